//! PingFederate's runtime-API authentication: HTTP Basic, validated against the gateway's
//! `password` credentials (argon2id; verified off the async workers, bounded, with the
//! verified-credential cache), then the `X-XSRF-HEADER` rule (any value, checked after
//! authentication so an unauthenticated caller sees 401 first).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use grant_core::model::Credential;
use grant_http::{ApiError, header_text};
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
            let tenant = state.tenant().to_owned();
            let name = username.clone();
            let found = state
                .db(move |conn| grant_core::store::credentials::find_password(conn, &tenant, &name))
                .await?;
            // Unknown users are verified against a dummy hash: same cost, same answer.
            let phc = match &found {
                Some((_, hash)) => hash.clone(),
                None => state.vendor.dummy_hash.clone(),
            };
            let ok = state
                .passwords
                .verify(phc, SecretString::from(password))
                .await
                .map_err(ApiError::from)?;
            let credential = match found {
                Some((c, _)) if ok && c.is_usable_at(chrono::Utc::now()) => c,
                _ => return Err(invalid()),
            };
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
