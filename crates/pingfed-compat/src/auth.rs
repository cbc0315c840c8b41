//! PingFederate's runtime-API authentication: HTTP Basic, validated by grant-core's password
//! login against the `password` credentials registered as users of the configured PCV
//! (face `pingfed:<pcv_name>`, or `pingfed`), then the `X-XSRF-HEADER` rule (any value, checked after
//! authentication so an unauthenticated caller sees 401 first).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use grant_core::CoreError;
use grant_core::model::{Credential, Face};
use grant_core::service::credentials;
use grant_http::{ApiError, client_ip, header_text};
use secrecy::SecretString;

use crate::State;
use crate::runtime_log::ApiUser;

/// The message of a 401 when no Basic credentials came (none, or another scheme).
pub const BASIC_REQUIRED: &str = "HTTP Basic authentication is required";
pub const INVALID_CREDENTIALS: &str = "Invalid credentials";
pub const XSRF_HEADER: &str = "x-xsrf-header";

/// The authenticated caller: a user of the PCV.
#[derive(Debug, Clone)]
pub struct Caller {
    pub username: String,
    pub credential: Credential,
}

impl Caller {
    /// Who the audit log names: the PCV and the user (never the password).
    pub fn actor(&self, pcv_name: &str) -> String {
        format!("pingfed:pcv:{pcv_name}:{}", self.username)
    }
}

/// `Basic base64(user:password)` → (user, password); None when it is not Basic.
/// `Err` when it is Basic but undecodable.
pub fn parse_basic(value: &str) -> Option<Result<(String, String), ()>> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let rest = rest.trim();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
    ];
    let decoded = engines.iter().find_map(|e| e.decode(rest).ok());
    Some(
        decoded
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
            .filter(|(u, _)| !u.is_empty())
            .ok_or(()),
    )
}

fn invalid() -> ApiError {
    ApiError::InvalidCredentials {
        reason: INVALID_CREDENTIALS.into(),
    }
}

fn basic_required() -> ApiError {
    ApiError::InvalidCredentials {
        reason: BASIC_REQUIRED.into(),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<State>().cloned().ok_or(ApiError::Internal)?;
            let header = header_text(&req, "authorization")
                .map_err(|_| invalid())?
                .ok_or_else(basic_required)?;
            let (username, password) = match parse_basic(header) {
                None => {
                    let scheme = header.trim().split(' ').next().unwrap_or_default();
                    req.extensions_mut().insert(ApiUser {
                        name: String::new(),
                        authtype: scheme.to_ascii_lowercase(),
                    });
                    return Err(basic_required());
                }
                Some(Err(())) => {
                    req.extensions_mut().insert(ApiUser {
                        name: String::new(),
                        authtype: "basic".into(),
                    });
                    return Err(invalid());
                }
                Some(Ok(pair)) => pair,
            };
            req.extensions_mut().insert(ApiUser {
                name: username.clone(),
                authtype: "basic".into(),
            });
            let face = Face::PingFederate {
                pcv: &state.config.vendor.pcv_name,
            };
            let source = client_ip(&req, &state.config.server);
            let credential = credentials::login_password(
                &state.store,
                &state.passwords,
                state.tenant(),
                &face,
                &username,
                SecretString::from(password),
                &source,
            )
            .await
            .map_err(|e| match e {
                CoreError::Unauthenticated => invalid(),
                other => ApiError::from(other),
            })?;
            if !req.headers().contains_key(XSRF_HEADER) {
                return Err(ApiError::Forbidden {
                    reason: "X-XSRF-HEADER is required".into(),
                });
            }
            Ok(Caller {
                username,
                credential,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_parsing() {
        assert_eq!(
            parse_basic("Basic YWRtaW46MkZlZGVyYXRl"),
            Some(Ok(("admin".into(), "2Federate".into())))
        );
        assert_eq!(
            parse_basic("basic YTpiOmM="),
            Some(Ok(("a".into(), "b:c".into())))
        );
        assert_eq!(
            parse_basic("Basic YTpiOmM"),
            Some(Ok(("a".into(), "b:c".into())))
        );
        assert_eq!(parse_basic("Basic !!!"), Some(Err(())));
        assert_eq!(parse_basic("Basic OnBhc3M="), Some(Err(())), "empty user");
        assert_eq!(parse_basic("Bearer abc"), None);
    }
}
