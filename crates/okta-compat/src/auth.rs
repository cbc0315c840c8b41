//! Okta authentication: `SSWS <api token>` or `Bearer <access token>` (also without the
//! space, as the Python SDK sends them), checked against digests held by grant-core.
//! Authorization is grant-core's (`service::authz`): an API token acts with its admin role,
//! an access token with the admin roles of its user, and a user without one reaches only
//! their own grants. Every request counts against a rate-limit bucket: authenticated ones
//! against the org's, the others (no or an invalid credential) against their source
//! address's own, so anonymous traffic cannot spend the org's budget.

use actix_web::{HttpMessage, HttpRequest};
use grant_core::model::{Credential, CredentialKind, Face, Principal, User};
use grant_core::service::authz::{self, OKTA_ADMIN_ROLES};
use grant_core::service::{credentials, rate_limits};
use grant_http::{ApiError, Presented, client_ip};

use crate::ratelimit::{Family, SharedWindow};
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
pub struct OktaCaller {
    pub principal: Principal,
    pub scheme: Scheme,
}

/// A handler's caller (authenticated once per request by grant-http's extractor).
pub type Caller = grant_http::Principal<crate::Okta>;

impl OktaCaller {
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
        authz::may_access_user_grants(&self.principal, &OKTA_ADMIN_ROLES, user.id(), write)
    }
}

/// Who presented what: the credential (an API token for SSWS, an access token for
/// Bearer) of this org, made for Okta. With a shared rate-limit store the request is
/// counted in the org's database window in the same blocking-pool hop as the lookup
/// (`Some(count)`), and only when the credential is valid.
async fn identify(
    state: &State,
    presented: Presented,
    window: Option<SharedWindow>,
) -> Result<(OktaCaller, Option<i64>), ApiError> {
    let (scheme, token) = match presented {
        Presented::Missing => return Err(ApiError::MissingCredentials),
        Presented::Ssws(t) if !t.is_empty() => (Scheme::Ssws, t),
        Presented::Bearer(t) if !t.is_empty() => (Scheme::Bearer, t),
        _ => return Err(json::invalid_token()),
    };
    let expected = match scheme {
        Scheme::Ssws => CredentialKind::ApiToken,
        Scheme::Bearer => CredentialKind::BearerToken,
    };
    let tenant = state.tenant().to_buf();
    let (principal, used) = state
        .db(move |conn| {
            let principal = credentials::authenticate_principal(conn, &token, &Face::Okta)?
                .filter(|p| p.credential.kind == expected && p.credential.tenant_id == *tenant);
            let used = match (&principal, window) {
                (Some(_), Some(w)) => Some(rate_limits::count_request(
                    conn, &tenant, w.bucket, w.start, w.len_secs,
                )?),
                _ => None,
            };
            Ok((principal, used))
        })
        .await?;
    let principal = principal.ok_or_else(json::invalid_token)?;
    Ok((OktaCaller { principal, scheme }, used))
}

/// `Vendor::authenticate` for Okta: identifies the caller, then counts the request in the
/// org's rate-limit window (authenticated: in process, or in the database during the
/// lookup) or its source address's own (anything else, always in process).
pub async fn authenticate(
    req: HttpRequest,
    state: State,
    presented: Presented,
) -> Result<OktaCaller, ApiError> {
    let family = req.app_data::<Family>().copied().unwrap_or(Family::Other);
    let now = chrono::Utc::now().timestamp();
    let limiter = &state.vendor.rate_limiter;
    let window = limiter.shared_window(family, now);
    let identified = identify(&state, presented, window).await;
    let (caller, counted) = match identified {
        Ok((caller, used)) => {
            let counted = match (window, used) {
                (Some(w), Some(used)) => limiter.settle(w, used),
                _ => limiter.acquire(family, now),
            };
            (Ok(caller), counted)
        }
        Err(e) => {
            let source = client_ip(&req, &state.config.server);
            (Err(e), limiter.acquire_anonymous(&source, family, now))
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
}
