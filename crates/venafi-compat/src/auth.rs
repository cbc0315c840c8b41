//! WebSDK authentication: `Authorization: Bearer <access token>` issued by VEDauth, checked
//! against digests held by grant-core together with the grant it was issued under (a revoked
//! or expired grant stops its tokens at once). The legacy `X-Venafi-API-Key` is not
//! implemented and is answered 401 `invalid_token`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use grant_core::model::{Credential, Grant, Principal, Scope, ScopeSet, User, UserKey};
use grant_core::service::authz::{self, VENAFI_ADMIN_ROLES};
use grant_core::service::{directory, tokens};
use grant_http::ApiError;

use crate::{State, scope};

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
                    .map(|s| Scope::parse_venafi(s))
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
        authz::may_access_grantee_grants(&self.principal(), &VENAFI_ADMIN_ROLES, grantee, write)
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
