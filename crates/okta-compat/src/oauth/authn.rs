//! Okta's Authentication API, the part headless sign-ins use: `POST /api/v1/authn` with a
//! username and password answers `SUCCESS` with a one-time `sessionToken` (5 minutes)
//! that `/authorize?sessionToken=…` accepts. Browsers call it from trusted origins with
//! credentials (CORS).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::CoreError;
use grant_core::model::{AliasVendor, SessionKind};
use grant_core::service::authorization;
use grant_http::{client_ip, vendor_rendered};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::{allow_origin, trusted_origin};
use crate::State;
use crate::json::{ErrorBody, ErrorCause, okta_time, random_id};

fn okta_error(
    status: StatusCode,
    code: &'static str,
    summary: &str,
    causes: Vec<ErrorCause>,
) -> HttpResponse {
    vendor_rendered(HttpResponse::build(status).json(ErrorBody {
        error_code: code,
        error_summary: summary.to_owned(),
        error_link: code,
        error_id: random_id("oae", 25),
        error_causes: causes,
    }))
}

/// `POST /api/v1/authn`.
pub async fn authn(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state).await;
    let mut res = sign_in(&req, &body, &state).await;
    allow_origin(&mut res, origin.as_deref(), true);
    res
}

async fn sign_in(req: &HttpRequest, body: &[u8], state: &State) -> HttpResponse {
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return okta_error(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
            Vec::new(),
        );
    };
    let field = |name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(username), Some(password)) = (field("username"), field("password")) else {
        return okta_error(
            StatusCode::BAD_REQUEST,
            "E0000001",
            "Api validation failed: authRequest",
            vec![ErrorCause {
                error_summary: "username and password: are required".into(),
            }],
        );
    };
    let source = client_ip(req, &state.config.server);
    let result = authorization::sign_in_with_password(
        &state.store,
        &state.passwords,
        state.tenant(),
        &grant_core::model::Face::Okta,
        username,
        SecretString::from(password.to_owned()),
        &source,
        SessionKind::OneTime,
    )
    .await;
    match result {
        Ok((user, token, expires_at)) => {
            let profile = user.profile.clone().unwrap_or_default();
            vendor_rendered(
                HttpResponse::Ok()
                    .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
                    .json(json!({
                        "expiresAt": okta_time(expires_at),
                        "status": "SUCCESS",
                        "sessionToken": token,
                        "_embedded": {
                            "user": {
                                "id": user.alias(AliasVendor::Okta),
                                "passwordChanged": null,
                                "profile": {
                                    "login": user.login,
                                    "firstName": profile.given_name.unwrap_or_default(),
                                    "lastName": profile.surname.unwrap_or_default(),
                                    "locale": "en",
                                    "timeZone": "America/Los_Angeles",
                                }
                            }
                        }
                    })),
            )
        }
        Err(CoreError::Unauthenticated) => okta_error(
            StatusCode::UNAUTHORIZED,
            "E0000004",
            "Authentication failed",
            Vec::new(),
        ),
        Err(e) => actix_web::ResponseError::error_response(&grant_http::ApiError::from(e)),
    }
}

/// `OPTIONS /api/v1/authn`: the credentialed preflight okta-auth-js sends.
pub async fn preflight(req: HttpRequest, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state).await;
    grant_http::oauth::preflight(
        origin.as_deref(),
        "POST, OPTIONS",
        "accept, content-type, x-okta-user-agent-extended, x-device-fingerprint",
        true,
    )
}
