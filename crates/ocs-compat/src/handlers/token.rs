//! `POST /identity/connect/token`, client-credentials grant, as IdentityServer answers it:
//! form body (`client_secret_post`) or HTTP Basic (`client_secret_basic`); errors are 400
//! `{"error": …}` (never 401). Tokens are opaque random strings stored as SHA-256 digests
//! (grant-core `bearer_token` credentials with the client, its roles and the expiry).

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use grant_core::model::{ClientKind, CredentialKind, NewCredential, now};
use grant_core::service::{clients, credentials};
use grant_http::{ApiError, ApiResult, header_str, header_text};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::State;
use crate::error::OAuthReply;
use crate::json::normalize_id;

fn oauth_error(req: &HttpRequest, error: &str) -> ApiError {
    req.extensions_mut().insert(OAuthReply {
        status: StatusCode::BAD_REQUEST,
        body: json!({ "error": error }).to_string(),
    });
    ApiError::invalid("token", error)
}

fn is_form(req: &HttpRequest) -> bool {
    header_str(req, "content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn form_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1). An
/// Authorization header that is not visible ASCII is a credential matching no client.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = match header_text(req, "authorization") {
        Ok(v) => v?.trim(),
        Err(_) => return Some((String::new(), String::new())),
    };
    if value.len() < 6 || !value[..6].eq_ignore_ascii_case("basic ") {
        return None;
    }
    let decoded = STANDARD.decode(value[6..].trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

pub async fn token(req: HttpRequest, body: web::Bytes, state: State) -> ApiResult<HttpResponse> {
    if req.method() != Method::POST || !is_form(&req) {
        return Err(oauth_error(&req, "invalid_request"));
    }
    let text = std::str::from_utf8(&body).map_err(|_| oauth_error(&req, "invalid_request"))?;
    let form = web::Query::<Vec<(String, String)>>::from_query(text)
        .map_err(|_| oauth_error(&req, "invalid_request"))?
        .into_inner();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let (client_id, secret) = match basic_credentials(&req) {
        Some(pair) => pair,
        None => match (field("client_id"), field("client_secret")) {
            (Some(id), Some(secret)) => (id, secret),
            _ => return Err(oauth_error(&req, "invalid_client")),
        },
    };
    let client_id = normalize_id(&client_id);
    let lookup_id = client_id.clone();
    let candidates = state
        .db(move |conn| {
            credentials::find_client_credentials(conn, CredentialKind::ClientSecret, &lookup_id)
        })
        .await?;
    let at = now();
    let secret = SecretString::from(secret);
    let mut matched = None;
    for (cred, hash) in candidates {
        if !cred.is_usable_at(at) {
            continue;
        }
        let Some(hash) = hash else { continue };
        if state.passwords.verify(hash, secret.clone()).await? {
            matched = Some(cred);
            break;
        }
    }
    let Some(secret_cred) = matched else {
        return Err(oauth_error(&req, "invalid_client"));
    };
    let tenant = secret_cred.tenant_id.clone();
    let find_tenant = tenant.clone();
    let find_id = client_id.clone();
    let client = state
        .db(move |conn| clients::find_client(conn, &find_tenant, &find_id))
        .await?;
    let Some(client) = client.filter(|c| c.enabled) else {
        return Err(oauth_error(&req, "invalid_client"));
    };
    match field("grant_type").as_deref() {
        Some("client_credentials") => {}
        _ => return Err(oauth_error(&req, "unsupported_grant_type")),
    }
    if client.kind != ClientKind::ClientCredentials {
        return Err(oauth_error(&req, "unauthorized_client"));
    }
    let scope = state.config.vendor.token_scope.clone();
    let lifetime = client.access_token_lifetime;
    let new = NewCredential {
        kind: CredentialKind::BearerToken,
        name: format!("access token {}", uuid::Uuid::new_v4()),
        user_id: None,
        client_id: Some(client.id.clone()),
        grant_id: None,
        scopes: vec![scope.clone()],
        roles: client.roles.clone(),
        expires_at: Some(at + Duration::seconds(i64::from(lifetime))),
        token_prefix: String::new(),
    };
    let hashing = state.config.hashing.clone();
    let issued = state
        .db(move |conn| {
            credentials::create_credential(conn, &tenant, new, None, &hashing, "token endpoint")
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store, no-cache, max-age=0"))
        .insert_header(("pragma", "no-cache"))
        .content_type("application/json")
        .body(
            json!({
                "access_token": issued.secret.expose_secret(),
                "expires_in": lifetime,
                "token_type": "Bearer",
                "scope": scope,
            })
            .to_string(),
        ))
}
