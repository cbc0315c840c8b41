//! `POST /identity/connect/token`, client-credentials grant, as IdentityServer answers it:
//! form body (`client_secret_post`) or HTTP Basic (`client_secret_basic`); errors are 400
//! `{"error": …}` (never 401). Tokens are opaque random strings stored as SHA-256 digests
//! (grant-core `client_secrets::issue_client_credentials_token`).

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::service::client_secrets;
use grant_http::{ApiError, ApiResult, Presented, header_str};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::State;
use crate::json::normalize_id;
use grant_core::model::ClientId;

/// IdentityServer's OAuth error: 400 `{"error": …}`, never re-rendered.
fn oauth_error(error: &str) -> HttpResponse {
    grant_http::vendor_rendered(
        HttpResponse::BadRequest()
            .insert_header(("cache-control", "no-store, no-cache, max-age=0"))
            .insert_header(("pragma", "no-cache"))
            .content_type("application/json")
            .body(json!({ "error": error }).to_string()),
    )
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
    match Presented::of(req) {
        Presented::Basic { username, password } => Some((
            form_decode(&username),
            form_decode(password.expose_secret()),
        )),
        // A header that is there but unreadable is a bad client credential.
        Presented::Malformed => Some((String::new(), String::new())),
        _ => None,
    }
}

pub async fn token(req: HttpRequest, body: web::Bytes, state: State) -> ApiResult<HttpResponse> {
    if req.method() != Method::POST || !is_form(&req) {
        return Ok(oauth_error("invalid_request"));
    }
    let Some(form) = std::str::from_utf8(&body)
        .ok()
        .and_then(|text| web::Query::<Vec<(String, String)>>::from_query(text).ok())
        .map(web::Query::into_inner)
    else {
        return Ok(oauth_error("invalid_request"));
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    // The authorization-code and refresh grants are the authorization engine's.
    if matches!(
        field("grant_type").as_deref(),
        Some("authorization_code" | "refresh_token")
    ) {
        return Ok(super::connect::token(req, grant_http::oauth::Params(form), state).await);
    }
    let (client_id, secret) = match basic_credentials(&req) {
        Some(pair) => pair,
        None => match (field("client_id"), field("client_secret")) {
            (Some(id), Some(secret)) => (id, secret),
            _ => return Ok(oauth_error("invalid_client")),
        },
    };
    let client_id = normalize_id(&client_id);
    let lookup_id = client_id.clone();
    let candidates = state
        .db(move |conn| client_secrets::usable_secrets(conn, ClientId::new(&lookup_id)))
        .await?;
    let secret = SecretString::from(secret);
    let mut matched = None;
    for (cred, hash) in candidates {
        if state.passwords.verify(hash, secret.clone()).await? {
            matched = Some(cred.id);
            break;
        }
    }
    let Some(secret_id) = matched else {
        return Ok(oauth_error("invalid_client"));
    };
    let grant_type = field("grant_type");
    let scope = state.config.vendor.token_scope.clone();
    let issued = state
        .db(move |conn| {
            client_secrets::issue_client_credentials_token(
                conn,
                ClientId::new(&client_id),
                &secret_id,
                grant_type.as_deref(),
                &scope,
            )
        })
        .await;
    let token = match issued {
        Ok(token) => token,
        Err(ApiError::InvalidCredentials { .. } | ApiError::MissingCredentials) => {
            return Ok(oauth_error("invalid_client"));
        }
        Err(ApiError::Invalid { field, .. }) if field == "grant_type" => {
            return Ok(oauth_error("unsupported_grant_type"));
        }
        Err(ApiError::Forbidden { .. }) => return Ok(oauth_error("unauthorized_client")),
        Err(other) => return Err(other),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store, no-cache, max-age=0"))
        .insert_header(("pragma", "no-cache"))
        .content_type("application/json")
        .body(
            json!({
                "access_token": token.access_token.expose_secret(),
                "expires_in": token.expires_in,
                "token_type": "Bearer",
                "scope": token.scope,
            })
            .to_string(),
        ))
}
