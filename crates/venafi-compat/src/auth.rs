//! WebSDK authentication: `Authorization: Bearer <access token>` issued by VEDauth, checked
//! against digests held by grant-core together with the grant it was issued under (a revoked
//! or expired grant stops its tokens at once). The legacy `X-Venafi-API-Key` is not
//! implemented and is answered 401 `invalid_token`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use grant_core::model::{Credential, Grant, Scope, ScopeSet, User, UserKey};
use grant_core::service::{directory, tokens};
use grant_http::ApiError;

use crate::{State, scope};

pub const ROLE_ADMIN: &str = "Admin";
pub const ROLE_GRANT_ADMIN: &str = "Grant Admin";
pub const ROLE_AUDITOR: &str = "Auditor";
pub const ROLE_APPLICATION_OWNER: &str = "Application Owner";

/// Roles that may read anyone's grants (GetGrants, EnumerateGrants, GrantCount).
pub const READ_ROLES: &[&str] = &[
    ROLE_ADMIN,
    ROLE_GRANT_ADMIN,
    ROLE_AUDITOR,
    ROLE_APPLICATION_OWNER,
];
/// Roles that may revoke anyone's grants.
pub const REVOKE_ROLES: &[&str] = &[ROLE_ADMIN, ROLE_GRANT_ADMIN];

/// The authenticated caller of a WebSDK or VEDauth method.
#[derive(Debug, Clone)]
pub struct Caller {
    pub credential: Credential,
    pub grant: Option<Grant>,
    pub user: Option<User>,
}

/// The bearer token of a request, if it carries one. A token with bytes outside visible
/// ASCII is still a token (one that matches nothing), not a missing one.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let raw = req.headers().get("authorization")?;
    let value = String::from_utf8_lossy(raw.as_bytes());
    let value = value.trim();
    if value.len() < 7 || !value[..7].eq_ignore_ascii_case("bearer ") {
        return None;
    }
    let token = value[7..].trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// Looks the token up; None when it is unknown, revoked, expired or its grant is gone.
pub async fn lookup(state: &State, token: String) -> Result<Option<Caller>, ApiError> {
    let tenant = state.tenant().to_owned();
    state
        .db(move |conn| {
            let Some((credential, grant)) = tokens::authenticate_access(conn, &tenant, &token)?
            else {
                return Ok(None);
            };
            let user = match credential.user_id.as_deref() {
                Some(id) => directory::find_user(conn, &tenant, UserKey::Id, id)?,
                None => None,
            };
            Ok(Some(Caller {
                credential,
                grant,
                user,
            }))
        })
        .await
}

impl Caller {
    /// The scopes the token carries.
    pub fn scopes(&self) -> ScopeSet {
        match &self.grant {
            Some(g) => g.scopes.clone(),
            None => ScopeSet(
                self.credential
                    .scopes
                    .iter()
                    .map(|s| Scope::parse_token(s))
                    .collect(),
            ),
        }
    }

    /// The caller's prefixed universal (empty for a token without a user).
    pub fn universal(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.universal.as_str())
            .unwrap_or("")
    }

    /// True when `universal` names the caller (prefixed universals compare
    /// case-insensitively).
    pub fn is(&self, universal: &str) -> bool {
        !self.universal().is_empty() && self.universal().eq_ignore_ascii_case(universal)
    }

    pub fn has_any_role(&self, roles: &[&str]) -> bool {
        let user_roles = self.user.iter().flat_map(|u| u.roles.iter());
        user_roles
            .chain(self.credential.roles.iter())
            .any(|have| roles.iter().any(|r| have.eq_ignore_ascii_case(r)))
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

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<State>().cloned().ok_or(ApiError::Internal)?;
            let token = bearer(&req).ok_or(ApiError::MissingCredentials)?;
            lookup(&state, token)
                .await?
                .ok_or(ApiError::InvalidCredentials {
                    reason: String::new(),
                })
        })
    }
}
