//! Okta authentication: `SSWS <api token>` or `Bearer <access token>` (also without the
//! space, as the Python SDK sends them), checked against digests held by grant-core.
//! The rate-limit bucket is taken first, as Okta counts every request.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use grant_core::model::{Credential, CredentialKind};
use grant_core::service::credentials;
use grant_http::{ApiError, header_text};

use crate::ratelimit::Family;
use crate::{State, json};

pub const SCOPE_READ: &str = "okta.users.read";
pub const SCOPE_MANAGE: &str = "okta.users.manage";

/// Admin roles of API tokens (an Okta API token acts with its creator's admin role).
pub const ROLE_SUPER_ADMIN: &str = "SUPER_ADMIN";
pub const ROLE_ORG_ADMIN: &str = "ORG_ADMIN";
pub const ROLE_READ_ONLY_ADMIN: &str = "READ_ONLY_ADMIN";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Ssws,
    Bearer,
}

/// The authenticated caller of an Okta endpoint.
#[derive(Debug, Clone)]
pub struct Caller {
    pub credential: Credential,
    pub scheme: Scheme,
}

/// Splits `Authorization` into scheme and token; the space after the scheme is optional.
pub fn parse_authorization(value: &str) -> Option<(Scheme, &str)> {
    let value = value.trim();
    let (scheme, rest) = if value.len() >= 4 && value[..4].eq_ignore_ascii_case("ssws") {
        (Scheme::Ssws, &value[4..])
    } else if value.len() >= 6 && value[..6].eq_ignore_ascii_case("bearer") {
        (Scheme::Bearer, &value[6..])
    } else {
        return None;
    };
    let token = rest.trim_start();
    (!token.is_empty()).then_some((scheme, token))
}

impl Caller {
    /// Checks the caller may read (`write == false`) or revoke grants.
    pub fn require(&self, write: bool) -> Result<(), ApiError> {
        let c = &self.credential;
        match self.scheme {
            Scheme::Bearer => {
                let ok = c.has_scope(SCOPE_MANAGE) || (!write && c.has_scope(SCOPE_READ));
                if ok {
                    Ok(())
                } else {
                    let scope = if write { SCOPE_MANAGE } else { SCOPE_READ };
                    Err(ApiError::InsufficientScope {
                        scope: scope.to_owned(),
                    })
                }
            }
            Scheme::Ssws => {
                let full = c.has_role(ROLE_SUPER_ADMIN) || c.has_role(ROLE_ORG_ADMIN);
                if full || (!write && c.has_role(ROLE_READ_ONLY_ADMIN)) {
                    Ok(())
                } else {
                    Err(ApiError::Forbidden {
                        reason: String::new(),
                    })
                }
            }
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<State>().cloned().ok_or(ApiError::Internal)?;
            let family = req.app_data::<Family>().copied().unwrap_or(Family::Other);
            let now = chrono::Utc::now().timestamp();
            match state.vendor.rate_limiter.acquire(family, now) {
                Ok(status) => {
                    req.extensions_mut().insert(status);
                }
                Err(status) => {
                    req.extensions_mut().insert(status);
                    return Err(ApiError::RateLimited {
                        limit: status.limit,
                        reset_epoch_secs: status.reset_epoch_secs,
                    });
                }
            }
            let header = header_text(&req, "authorization")
                .map_err(|_| json::invalid_token())?
                .ok_or(ApiError::MissingCredentials)?;
            let (scheme, token) = parse_authorization(header).ok_or_else(json::invalid_token)?;
            let token = token.to_owned();
            let credential = state
                .db(move |conn| credentials::authenticate_token(conn, &token))
                .await?
                .ok_or_else(json::invalid_token)?;
            let expected = match scheme {
                Scheme::Ssws => CredentialKind::ApiToken,
                Scheme::Bearer => CredentialKind::BearerToken,
            };
            if credential.kind != expected || credential.tenant_id != state.tenant() {
                return Err(json::invalid_token());
            }
            Ok(Caller { credential, scheme })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_with_or_without_space() {
        assert_eq!(
            parse_authorization("SSWS 00abc"),
            Some((Scheme::Ssws, "00abc"))
        );
        assert_eq!(
            parse_authorization("SSWS00abc"),
            Some((Scheme::Ssws, "00abc"))
        );
        assert_eq!(
            parse_authorization("Bearer eyJ"),
            Some((Scheme::Bearer, "eyJ"))
        );
        assert_eq!(
            parse_authorization("Bearereyj"),
            Some((Scheme::Bearer, "eyj"))
        );
        assert_eq!(parse_authorization("Basic abc"), None);
        assert_eq!(parse_authorization("SSWS "), None);
    }
}
