//! WebSDK authentication: `Authorization: Bearer <access token>` issued by VEDauth, checked
//! against digests held by grant-core together with the grant it was issued under (a revoked
//! or expired grant stops its tokens at once). The legacy `X-Venafi-API-Key` is not
//! implemented and is answered 401 `invalid_token`.

use actix_web::HttpRequest;
use grant_core::DbConn;
use grant_core::model::{
    AliasVendor, Credential, Grant, Principal, Scope, ScopeSet, TenantId, User, UserKey,
};
use grant_core::service::authz::{self, VENAFI_ADMIN_ROLES};
use grant_core::service::{directory, tokens};
use grant_http::{ApiError, ApiResult, AppState, ConnectionAuth, Presented};

use crate::{State, Venafi, scope};

/// The authenticated caller of a WebSDK or VEDauth method.
#[derive(Debug, Clone)]
pub struct VenafiCaller {
    pub credential: Credential,
    pub grant: Option<Grant>,
    pub user: Option<User>,
}

/// The bearer token presented, if any: `Ok(None)` for an `Authorization` header that is
/// not visible ASCII (a token that matches nothing), `Err(MissingCredentials)` when no
/// bearer token came.
pub fn bearer(presented: Presented) -> Result<Option<String>, ApiError> {
    match presented {
        Presented::Bearer(token) if !token.is_empty() => Ok(Some(token)),
        Presented::Malformed => Ok(None),
        _ => Err(ApiError::MissingCredentials),
    }
}

/// Looks the token up; None when it is unknown, revoked, expired or its grant is gone.
pub async fn lookup(state: &State, token: String) -> Result<Option<VenafiCaller>, ApiError> {
    let tenant = state.tenant().to_buf();
    state
        .db(move |conn| find_caller(conn, &tenant, &token))
        .await
}

/// The token's caller, on `conn`: its credential, the grant it was issued under and its user.
fn find_caller(
    conn: &mut DbConn,
    tenant: &TenantId,
    token: &str,
) -> grant_core::Result<Option<VenafiCaller>> {
    let Some((credential, grant)) = tokens::authenticate_access(conn, tenant, token)? else {
        return Ok(None);
    };
    let user = match credential.user_id.as_deref() {
        Some(id) => directory::find_user(conn, tenant, UserKey::Id, id)?,
        None => None,
    };
    Ok(Some(VenafiCaller {
        credential,
        grant,
        user,
    }))
}

fn invalid_token() -> ApiError {
    ApiError::InvalidCredentials {
        reason: String::new(),
    }
}

impl ConnectionAuth for Venafi {
    /// The bearer token (`None`: a header that is not visible ASCII, matching nothing).
    type Presentation = Option<String>;
    type Note = ();

    fn present(
        _req: &HttpRequest,
        _state: &AppState<Venafi>,
        presented: Presented,
    ) -> Result<Option<String>, ApiError> {
        bearer(presented)
    }

    fn check(
        conn: &mut DbConn,
        state: &AppState<Venafi>,
        token: Option<String>,
    ) -> (ApiResult<VenafiCaller>, ()) {
        let Some(token) = token else {
            return (Err(invalid_token()), ());
        };
        let found = find_caller(conn, state.tenant(), &token);
        (
            found
                .map_err(ApiError::from)
                .and_then(|c| c.ok_or_else(invalid_token)),
            (),
        )
    }
}

/// A handler's caller (authenticated once per request by grant-http's extractor).
pub type Caller = grant_http::Principal<crate::Venafi>;
/// A handler's caller, checked on the connection its work then uses, in one blocking-pool hop
/// (`caller.run(|conn, caller| …)`).
pub type PendingCaller = grant_http::PendingCaller<crate::Venafi>;

impl VenafiCaller {
    /// The scopes the token carries.
    pub fn scopes(&self) -> ScopeSet {
        match &self.grant {
            Some(g) => g.scopes.clone(),
            None => ScopeSet(
                self.credential
                    .scopes
                    .iter()
                    .map(|s| Scope::parse_venafi(s))
                    .collect(),
            ),
        }
    }

    /// The caller's prefixed universal (empty for a token without a user).
    pub fn universal(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.alias(AliasVendor::Venafi))
            .unwrap_or("")
    }

    fn principal(&self) -> Principal {
        Principal {
            credential: self.credential.clone(),
            user: self.user.clone(),
        }
    }

    /// May the caller read (`write == false`) or revoke the grants of `grantee` (a prefixed
    /// universal; `None`: not one identity's)? grant-core's rule with TPP's roles (Admin,
    /// Grant Admin; Auditor, Application Owner), held on the user or the token; anyone may
    /// for their own grants. 401 `insufficient_rights` otherwise.
    pub fn may_access(&self, grantee: Option<&str>, write: bool) -> Result<(), ApiError> {
        authz::may_access_grantee_grants(
            &self.principal(),
            &VENAFI_ADMIN_ROLES,
            grantee.map(|g| (AliasVendor::Venafi, g)),
            write,
        )
        .map_err(|_| ApiError::Forbidden {
            reason: String::new(),
        })
    }

    /// The token must hold the `admin` scope (with `restriction`, when given): 403
    /// `insufficient_scope` naming the token's scope otherwise.
    pub fn require_admin_scope(&self, restriction: Option<&str>) -> Result<(), ApiError> {
        let scopes = self.scopes();
        let ok = scopes.0.iter().any(|s| {
            s.name.eq_ignore_ascii_case("admin")
                && restriction
                    .is_none_or(|r| s.restrictions.iter().any(|h| h.eq_ignore_ascii_case(r)))
        });
        if ok {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope {
                scope: scope::format(&scopes),
            })
        }
    }
}
