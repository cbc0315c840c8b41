//! Okta authentication: `SSWS <api token>` or `Bearer <access token>` (also without the
//! space, as the Python SDK sends them), checked against digests held by grant-core.
//! Authorization is grant-core's (`service::authz`): an API token acts with its admin role,
//! an access token with the admin roles of its user, and a user without one reaches only
//! their own grants. Every request counts against a rate-limit bucket: authenticated ones
//! against the org's, the others (no or an invalid credential) against their source
//! address's own, so anonymous traffic cannot spend the org's budget.

use actix_web::{HttpMessage, HttpRequest};
use grant_core::DbConn;
use grant_core::model::{Credential, CredentialKind, Face, Principal, User};
use grant_core::service::authz::{self, OKTA_ADMIN_ROLES};
use grant_core::service::{credentials, rate_limits};
use grant_http::{ApiError, ApiResult, AppState, ConnectionAuth, Presented, client_ip};

use crate::ratelimit::{Family, RateStatus, SharedWindow};
use crate::{Okta, json};

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

/// A handler's caller, checked on the connection its work then uses, in one blocking-pool hop
/// (`caller.run(|conn, caller| …)`).
pub type PendingCaller = grant_http::PendingCaller<crate::Okta>;

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

/// What an Okta request presents: the token and its scheme, and the rate-limit window the
/// request counts in.
pub struct OktaPresentation {
    scheme: Scheme,
    token: String,
    family: Family,
    now: i64,
    window: Option<SharedWindow>,
}

/// How the request was counted against a rate limit: in the org's window (`Counted`), or not
/// yet, because it has no valid credential and counts against its source address's own.
pub enum OktaNote {
    Counted(Result<RateStatus, RateStatus>),
    Anonymous { family: Family, now: i64 },
}

impl ConnectionAuth for Okta {
    type Presentation = OktaPresentation;
    type Note = OktaNote;

    /// The credential (an API token for SSWS, an access token for Bearer); a request without
    /// one is refused here, counted against its source address.
    fn present(
        req: &HttpRequest,
        state: &AppState<Okta>,
        presented: Presented,
    ) -> Result<OktaPresentation, ApiError> {
        let family = req.app_data::<Family>().copied().unwrap_or(Family::Other);
        let now = chrono::Utc::now().timestamp();
        let (scheme, token) = match presented {
            Presented::Ssws(t) if !t.is_empty() => (Scheme::Ssws, t),
            Presented::Bearer(t) if !t.is_empty() => (Scheme::Bearer, t),
            Presented::Missing => {
                return count_anonymous(req, state, family, now, Err(ApiError::MissingCredentials));
            }
            _ => return count_anonymous(req, state, family, now, Err(json::invalid_token())),
        };
        Ok(OktaPresentation {
            scheme,
            token,
            family,
            now,
            window: state.vendor.rate_limiter.shared_window(family, now),
        })
    }

    /// The credential of this org, made for Okta and of the presented kind, and the request
    /// counted in the org's window: with a shared rate-limit store in the database on the
    /// same connection, otherwise in process; only when the credential is valid.
    fn check(
        conn: &mut DbConn,
        state: &AppState<Okta>,
        p: OktaPresentation,
    ) -> (ApiResult<OktaCaller>, OktaNote) {
        let anonymous = OktaNote::Anonymous {
            family: p.family,
            now: p.now,
        };
        let expected = match p.scheme {
            Scheme::Ssws => CredentialKind::ApiToken,
            Scheme::Bearer => CredentialKind::BearerToken,
        };
        let tenant = state.tenant();
        let principal = match credentials::authenticate_principal(conn, &p.token, &Face::Okta) {
            Ok(found) => found
                .filter(|c| c.credential.kind == expected && c.credential.tenant_id == **tenant),
            Err(e) => return (Err(e.into()), anonymous),
        };
        let Some(principal) = principal else {
            return (Err(json::invalid_token()), anonymous);
        };
        let limiter = &state.vendor.rate_limiter;
        let counted = match p.window {
            Some(w) => {
                match rate_limits::count_request(conn, tenant, w.bucket, w.start, w.len_secs) {
                    Ok(used) => limiter.settle(w, used),
                    Err(e) => return (Err(e.into()), anonymous),
                }
            }
            None => limiter.acquire(p.family, p.now),
        };
        let caller = match counted {
            Ok(_) => Ok(OktaCaller {
                principal,
                scheme: p.scheme,
            }),
            Err(status) => Err(rate_limited(status)),
        };
        (caller, OktaNote::Counted(counted))
    }

    /// Records the rate-limit status for the headers; a request refused for its credential
    /// is counted against its source address now (and may be refused for that instead).
    fn conclude<T>(
        req: &HttpRequest,
        state: &AppState<Okta>,
        note: Option<OktaNote>,
        outcome: ApiResult<T>,
    ) -> ApiResult<T> {
        let (family, now) = match note {
            Some(OktaNote::Counted(counted)) => {
                req.extensions_mut().insert(counted.unwrap_or_else(|s| s));
                return outcome;
            }
            Some(OktaNote::Anonymous { family, now }) => (family, now),
            None => (
                req.app_data::<Family>().copied().unwrap_or(Family::Other),
                chrono::Utc::now().timestamp(),
            ),
        };
        count_anonymous(req, state, family, now, outcome)
    }
}

fn rate_limited(status: RateStatus) -> ApiError {
    ApiError::RateLimited {
        limit: status.limit,
        reset_epoch_secs: status.reset_epoch_secs,
    }
}

/// Counts a request without a valid credential against its source address's window, and
/// records the status for the headers: `outcome`, or 429 when that window is used up.
fn count_anonymous<T>(
    req: &HttpRequest,
    state: &AppState<Okta>,
    family: Family,
    now: i64,
    outcome: ApiResult<T>,
) -> ApiResult<T> {
    let source = client_ip(req, &state.config.server);
    let counted = state
        .vendor
        .rate_limiter
        .acquire_anonymous(&source, family, now);
    match counted {
        Ok(status) => {
            req.extensions_mut().insert(status);
            outcome
        }
        Err(status) => {
            req.extensions_mut().insert(status);
            Err(rate_limited(status))
        }
    }
}
