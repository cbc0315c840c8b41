//! Bearer authentication for `/api/v1/Tenants/{tenantId}/…`: the token (issued by our token
//! endpoint, or by `grantctl`) is looked up by its SHA-256 digest; it must be active, carry
//! the access-token scope, and belong to the tenant named in the path. Roles are
//! tenant role ids, decided by their RoleTypeIds (grant-core `directory::role_types`; stored
//! names such as "Account Administrator" are mapped to RoleTypeIds).

use actix_web::HttpRequest;
use grant_core::DbConn;
use grant_core::model::{Credential, CredentialKind, Face, Principal};
use grant_core::service::authz::{self, AdminRoles};
use grant_core::service::{credentials, directory};
use grant_http::{ApiError, ApiResult, AppState, ConnectionAuth, Presented};

use crate::Ocs;
use crate::json::{TENANT_ADMINISTRATOR, TENANT_MEMBER, normalize_id, role_id};
use grant_core::model::TenantIdBuf;
use grant_core::model::UserId;

/// The authenticated caller, within the tenant of the path.
#[derive(Debug, Clone)]
pub struct OcsCaller {
    /// The tenant of the path (and of the token), as stored.
    pub tenant: TenantIdBuf,
    pub client_id: Option<String>,
    pub user_id: Option<String>,
    /// RoleTypeIds.
    pub roles: Vec<String>,
    pub actor: String,
    /// The credential, with its user and client ids in lowercase D form and its roles as
    /// RoleTypeIds: what grant-core's authorization rules look at.
    pub principal: Principal,
}

/// OCS roles over users' persisted grants: Tenant Administrators and Tenant Members read and
/// remove anyone's (every user and client-credential client is a member); others only
/// their own.
pub const OCS_GRANT_ROLES: AdminRoles = AdminRoles {
    read_any: &[],
    write_any: &[TENANT_ADMINISTRATOR, TENANT_MEMBER],
};

fn forbidden() -> ApiError {
    ApiError::Forbidden {
        reason: String::new(),
    }
}

/// A handler's caller (authenticated once per request by grant-http's extractor).
pub type Caller = grant_http::Principal<crate::Ocs>;
/// A handler's caller, checked on the connection its work then uses, in one blocking-pool hop
/// (`caller.run(|conn, caller| …)`).
pub type PendingCaller = grant_http::PendingCaller<crate::Ocs>;

impl OcsCaller {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == TENANT_ADMINISTRATOR)
    }

    /// Tenant Member (every user and client-credential client holds it); an administrator
    /// counts as a member.
    pub fn is_member(&self) -> bool {
        self.is_admin() || self.roles.iter().any(|r| r == TENANT_MEMBER)
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    pub fn require_member(&self) -> Result<(), ApiError> {
        if self.is_member() {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// May the caller read (`write == false`) or remove the persisted grants of the user
    /// `user_id` (lowercase D form)? grant-core's rule with `OCS_GRANT_ROLES`.
    pub fn may_access_user_grants(&self, user_id: &str, write: bool) -> Result<(), ApiError> {
        authz::may_access_user_grants(
            &self.principal,
            &OCS_GRANT_ROLES,
            UserId::new(user_id),
            write,
        )
        .map_err(|_| forbidden())
    }

    /// Member, or the object is the caller itself (user or client id, compared as stored
    /// in lowercase D form).
    pub fn require_member_or_self(&self, id: &str) -> Result<(), ApiError> {
        let is_self = self.user_id.as_deref() == Some(id) || self.client_id.as_deref() == Some(id);
        if is_self || self.is_member() {
            Ok(())
        } else {
            Err(forbidden())
        }
    }
}

/// The `{tenantId}` path segment, in lowercase D form when it is a GUID.
pub fn path_tenant(req: &HttpRequest) -> String {
    normalize_id(req.match_info().get("tenantId").unwrap_or_default())
}

fn invalid_token() -> ApiError {
    ApiError::InvalidCredentials {
        reason: String::new(),
    }
}

/// What an `/api/…` request presents: its bearer token and the tenant of its path.
pub struct OcsPresentation {
    token: String,
    path_tenant: String,
}

/// Authentication for `/api/…`: a bearer token this gateway issued (or grantctl made for
/// OCS) carrying the access-token scope, for the tenant of the path.
impl ConnectionAuth for Ocs {
    type Presentation = OcsPresentation;
    type Note = ();

    fn present(
        req: &HttpRequest,
        _state: &AppState<Ocs>,
        presented: Presented,
    ) -> Result<OcsPresentation, ApiError> {
        let token = match presented {
            Presented::Missing => return Err(ApiError::MissingCredentials),
            Presented::Bearer(token) if !token.is_empty() => token,
            _ => return Err(invalid_token()),
        };
        Ok(OcsPresentation {
            token,
            path_tenant: path_tenant(req),
        })
    }

    fn check(
        conn: &mut DbConn,
        state: &AppState<Ocs>,
        p: OcsPresentation,
    ) -> (ApiResult<OcsCaller>, ()) {
        (caller_of(conn, state, p), ())
    }
}

fn caller_of(conn: &mut DbConn, state: &AppState<Ocs>, p: OcsPresentation) -> ApiResult<OcsCaller> {
    let credential =
        credentials::authenticate_token(conn, &p.token, &Face::Ocs)?.ok_or_else(invalid_token)?;
    if credential.kind != CredentialKind::BearerToken
        || !credential.has_scope(&state.config.vendor.token_scope)
    {
        return Err(invalid_token());
    }
    // A token is valid for its own tenant only.
    if normalize_id(&credential.tenant_id) != p.path_tenant {
        return Err(forbidden());
    }
    // The token's role ids are tenant role ids: resolved to their RoleTypeIds through the
    // tenant's roles (an id the tenant does not define is read as a RoleTypeId or a role
    // name, as stored before tenant roles existed).
    let ids: Vec<String> = credential.roles.iter().map(|r| role_id(r)).collect();
    let role_types = directory::role_types(conn, credential.tenant_id(), &ids)?;
    let actor = match (&credential.client_id, &credential.user_id) {
        (Some(c), _) => format!("client:{c}"),
        (None, Some(u)) => format!("user:{u}"),
        (None, None) => format!("credential:{}", credential.id),
    };
    let roles: Vec<String> = role_types.iter().map(|r| role_id(r)).collect();
    let principal = Principal {
        credential: Credential {
            user_id: credential.user_id.as_deref().map(normalize_id),
            client_id: credential.client_id.as_deref().map(normalize_id),
            roles: roles.clone(),
            ..credential.clone()
        },
        user: None,
    };
    Ok(OcsCaller {
        tenant: TenantIdBuf::new(credential.tenant_id.clone()),
        client_id: credential.client_id.as_deref().map(normalize_id),
        user_id: credential.user_id.as_deref().map(normalize_id),
        roles,
        actor,
        principal,
    })
}
