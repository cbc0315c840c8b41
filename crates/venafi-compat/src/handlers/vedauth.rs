//! VEDauth (`/vedauth/…`): password login and refresh issue 16-byte base64 tokens bound to
//! a grant; Verify shows the grant; Revoke/Token revokes it. Lowercase keys throughout.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use grant_core::CoreError;
use grant_core::model::{AliasVendor, Face, UserKey};
use grant_core::service::tokens::{self, Issued, TokenPair};
use grant_core::service::{credentials, directory};
use grant_http::{ApiError, ApiResult, client_ip};
use rand::RngCore;
use secrecy::SecretString;

use crate::State;
use crate::auth::{self, Caller};
use crate::error::{invalid_grant, invalid_request};
use crate::json::{
    AuthorizeRequest, RefreshRequest, TokenResponse, VerifyResponse, parse_body, respond,
    unix_rounded,
};
use crate::scope;
use grant_core::model::ClientId;

const BAD_LOGIN: &str = "Username/password combination not valid";
const NOT_ALLOWED: &str = "The identity is not allowed to use this API integration";
const BAD_REFRESH: &str = "The refresh token is invalid, expired or revoked";

/// 16 random bytes, standard base64, `==`-padded: the format clients recognise (they send
/// tokens ending in `==` as `Authorization: Bearer`).
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

fn new_pair() -> TokenPair {
    TokenPair {
        access_token: new_token(),
        refresh_token: new_token(),
    }
}

fn required(v: Option<String>, name: &str) -> ApiResult<String> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| invalid_request(format!("The '{name}' parameter is required")))
}

fn token_response(issued: &Issued, pair: &TokenPair, identity: &str) -> HttpResponse {
    let g = &issued.grant;
    // Unix seconds rounded like every `…UnixTime`, so `refresh_until` equals the grant's
    // `ExpiresUnixTime` / `expires_unix_time`.
    let refresh_until = unix_rounded(g.expires_at.unwrap_or(issued.access_expires_at));
    respond(
        StatusCode::OK,
        None,
        &TokenResponse {
            access_token: pair.access_token.clone(),
            expires: unix_rounded(issued.access_expires_at),
            expires_in: g.valid_for.unwrap_or(0),
            identity: identity.to_owned(),
            refresh_token: pair.refresh_token.clone(),
            refresh_until,
            scope: scope::format(&g.scopes),
            token_type: "Bearer",
        },
    )
}

/// `POST /vedauth/Authorize/OAuth`: username + password + client_id + scope → tokens.
pub async fn authorize_oauth(
    state: State,
    http: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let req: AuthorizeRequest = parse_body(&body)?;
    let client_id = required(req.client_id, "client_id")?;
    let username = required(req.username, "username")?;
    let password = required(req.password, "password")?;
    let scope_text = required(req.scope, "scope")?;
    let scopes = scope::parse(&scope_text).map_err(|bad| ApiError::invalid("scope", bad))?;
    let tenant = state.tenant().to_buf();
    let cred = credentials::login_password(
        &state.store,
        &state.passwords,
        &tenant,
        &Face::Venafi,
        &username,
        SecretString::from(password),
        &client_ip(&http, &state.config.server),
    )
    .await
    .map_err(|e| match e {
        CoreError::Unauthenticated => invalid_grant(BAD_LOGIN),
        other => ApiError::from(other),
    })?;
    let user_id = cred
        .user_id
        .clone()
        .ok_or_else(|| invalid_grant(BAD_LOGIN))?;
    let pair = new_pair();
    let (issued, identity) = {
        let pair = TokenPair {
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
        };
        state
            .db(move |conn| {
                let user = directory::get_user(conn, &tenant, UserKey::Id, &user_id)?;
                let issued = tokens::authorize(
                    conn,
                    &tenant,
                    user.id(),
                    ClientId::new(&client_id),
                    scopes,
                    &pair,
                    user.alias(AliasVendor::Venafi),
                )?;
                Ok((issued, user.alias(AliasVendor::Venafi).to_owned()))
            })
            .await
            .map_err(|e| match e {
                // An identity the API integration does not allow: no token, no grant.
                ApiError::Forbidden { .. } => invalid_grant(NOT_ALLOWED),
                other => other,
            })?
    };
    Ok(token_response(&issued, &pair, &identity))
}

/// `POST /vedauth/Authorize/Token`: refresh token + client_id → a new pair.
pub async fn refresh_token(state: State, body: web::Bytes) -> ApiResult<HttpResponse> {
    let req: RefreshRequest = parse_body(&body)?;
    let client_id = required(req.client_id, "client_id")?;
    let refresh = required(req.refresh_token, "refresh_token")?;
    let tenant = state.tenant().to_buf();
    let pair = new_pair();
    let (issued, identity) = {
        let pair = TokenPair {
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
        };
        state
            .db(move |conn| {
                let issued = tokens::refresh(
                    conn,
                    &tenant,
                    &refresh,
                    ClientId::new(&client_id),
                    &pair,
                    "vedauth",
                )?;
                let user = directory::get_user(conn, &tenant, UserKey::Id, &issued.grant.user_id)?;
                Ok((issued, user.alias(AliasVendor::Venafi).to_owned()))
            })
            .await
            .map_err(|e| match e {
                ApiError::InvalidCredentials { .. } => invalid_grant(BAD_REFRESH),
                other => other,
            })?
    };
    Ok(token_response(&issued, &pair, &identity))
}

/// `GET /vedauth/Authorize/Verify`: `200 Token is valid` with the grant, or 401.
pub async fn verify(caller: Caller) -> ApiResult<HttpResponse> {
    let grant = caller.grant.as_ref().ok_or(ApiError::InvalidCredentials {
        reason: String::new(),
    })?;
    Ok(respond(
        StatusCode::OK,
        Some("Token is valid"),
        &VerifyResponse::new(grant, caller.universal()),
    ))
}

/// `GET /vedauth/Revoke/Token`: revokes the caller's grant and every token of it. 200 `{}`;
/// 202 when the token is unknown (already revoked or expired).
pub async fn revoke_token(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let caller = match auth::bearer(grant_http::Presented::of(&req))? {
        Some(token) => auth::lookup(&state, token).await?,
        None => None,
    };
    let Some(caller) = caller else {
        return Ok(respond(StatusCode::ACCEPTED, None, &serde_json::json!({})));
    };
    let tenant = state.tenant().to_buf();
    let actor = caller.universal().to_owned();
    let credential = caller.credential.clone();
    state
        .db(move |conn| tokens::revoke_own_grant(conn, &tenant, &credential, &actor))
        .await?;
    Ok(respond(StatusCode::OK, None, &serde_json::json!({})))
}

/// `GET /vedauth/Authorize/IsAuthServer`: `202 Venafi Authentication Server`.
pub async fn is_auth_server() -> HttpResponse {
    respond(
        StatusCode::ACCEPTED,
        Some("Venafi Authentication Server"),
        &serde_json::json!({}),
    )
}
