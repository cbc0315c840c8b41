//! Okta authentication: `SSWS <api token>` or `Bearer <access token>` (also without the
//! space, as the Python SDK sends them), checked against digests held by grant-core.
//! Authorization is grant-core's (`service::authz`): an API token acts with its admin role,
//! an access token with the admin roles of its user, and a user without one reaches only
//! their own grants. Every request counts against a rate-limit bucket: authenticated ones
//! against the org's, the others (no or an invalid credential) against their source
//! address's own, so anonymous traffic cannot spend the org's budget.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use grant_core::model::{Credential, CredentialKind, Face, Principal, User};
use grant_core::service::authz::{self, OKTA_ADMIN_ROLES};
use grant_core::service::credentials;
use grant_http::{ApiError, client_ip, header_text};

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

/// The authenticated caller of an Okta endpoint: the credential and the user it acts as.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
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
    pub fn credential(&self) -> &Credential {
        &self.principal.credential
    }

    /// Checks the caller may read (`write == false`) or revoke grants at all: a Bearer
    /// token needs the scope, an API token an admin role.
    pub fn require(&self, write: bool) -> Result<(), ApiError> {
        let c = self.credential();
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
            Scheme::Ssws => Ok(authz::require_admin(
                &self.principal,
                &OKTA_ADMIN_ROLES,
                write,
            )?),
        }
    }

    /// Checks the caller may read or revoke `user`'s grants (403 E0000006 otherwise).
    pub fn may_access(&self, user: &User, write: bool) -> Result<(), grant_core::CoreError> {
        authz::may_access_user_grants(&self.principal, &OKTA_ADMIN_ROLES, &user.id, write)
    }
}

/// Authenticates the request (no rate limit yet).
async fn authenticate(req: &HttpRequest, state: &State) -> Result<Caller, ApiError> {
    let header = header_text(req, "authorization")
        .map_err(|_| json::invalid_token())?
        .ok_or(ApiError::MissingCredentials)?;
    let (scheme, token) = parse_authorization(header).ok_or_else(json::invalid_token)?;
    let token = token.to_owned();
    let principal = state
        .db(move |conn| credentials::authenticate_principal(conn, &token, &Face::Okta))
        .await?
        .ok_or_else(json::invalid_token)?;
    let expected = match scheme {
        Scheme::Ssws => CredentialKind::ApiToken,
        Scheme::Bearer => CredentialKind::BearerToken,
    };
    let c = &principal.credential;
    if c.kind != expected || c.tenant_id != state.tenant() {
        return Err(json::invalid_token());
    }
    Ok(Caller { principal, scheme })
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
            let caller = authenticate(&req, &state).await;
            let limiter = &state.vendor.rate_limiter;
            let counted = match &caller {
                Ok(_) => limiter.acquire(family, now),
                Err(_) => {
                    let source = client_ip(&req, &state.config.server);
                    limiter.acquire_anonymous(&source, family, now)
                }
            };
            match counted {
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
            caller
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
