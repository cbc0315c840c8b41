//! Operator lifecycle operations (what grantctl offers beyond the gateways): reading any one
//! record whatever its status, deleting records, disabling users and tenants. Each mutation
//! is one write transaction with its audit row, and composes inside a caller's transaction.

use crate::model::{
    AuditAction, Credential, CredentialStatus, Grant, RecordKind, ScopeDefinition, Tenant,
    TenantStatus, User, UserKey,
};
use crate::model::{CredentialId, GrantId, TenantId, UserId};
use crate::service::audit;
use crate::store::{
    DbConn, admin, audit as audit_store, credentials, dialect, grants, scopes, tenants, users,
};
use crate::{CoreError, Result};

/// What a tenant still holds: the reason a delete without `force` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TenantContents {
    pub users: i64,
    pub clients: i64,
    pub grants: i64,
    pub credentials: i64,
}

impl TenantContents {
    pub fn is_empty(&self) -> bool {
        self.users == 0 && self.clients == 0 && self.grants == 0 && self.credentials == 0
    }
}

pub fn list_tenants(conn: &mut DbConn) -> Result<Vec<Tenant>> {
    tenants::list_tenants(conn)
}

pub fn tenant_contents(conn: &mut DbConn, id: &TenantId) -> Result<TenantContents> {
    let [users, clients, grants, credentials] = admin::tenant_contents(conn, id)?;
    Ok(TenantContents {
        users,
        clients,
        grants,
        credentials,
    })
}

/// Deletes a tenant. One that still holds users, clients, grants or credentials is a
/// conflict unless `force`, which deletes them with it. The audit row outlives the tenant.
pub fn delete_tenant(conn: &mut DbConn, id: &TenantId, force: bool, actor: &str) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        if tenants::find_tenant(conn, id)?.is_none() {
            return Err(CoreError::not_found(RecordKind::Tenant, id));
        }
        let held = tenant_contents(conn, id)?;
        if !held.is_empty() && !force {
            return Err(CoreError::Conflict(format!(
                "tenant '{id}' still holds {} users, {} clients, {} grants and {} credentials",
                held.users, held.clients, held.grants, held.credentials
            )));
        }
        admin::delete_tenant(conn, id)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                id,
                actor,
                AuditAction::TenantDeleted,
                "tenant",
                id,
                serde_json::to_value(held)?,
            )],
        )?;
        Ok(())
    })
}

/// Disables or re-enables a tenant; returns it as it now is. While disabled, no credential of
/// the tenant authenticates at any gateway (the credential lookups of `store::credentials`
/// skip them); the credentials themselves keep their own status, so enabling the tenant
/// again restores exactly the access it had. Audited; setting the status a tenant already
/// has is not an error.
pub fn set_tenant_status(
    conn: &mut DbConn,
    id: &TenantId,
    status: TenantStatus,
    actor: &str,
) -> Result<Tenant> {
    dialect::write_tx(conn, |conn| {
        let mut tenant = tenants::find_tenant(conn, id)?
            .ok_or_else(|| CoreError::not_found(RecordKind::Tenant, id))?;
        tenants::set_status(conn, id, status)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                id,
                actor,
                AuditAction::TenantStatus,
                "tenant",
                id,
                serde_json::json!({"status": status}),
            )],
        )?;
        tenant.status = status;
        Ok(tenant)
    })
}

/// Deletes a user with everything that depends on it (its grants and credentials).
pub fn delete_user(
    conn: &mut DbConn,
    tenant: &TenantId,
    user_id: &UserId,
    actor: &str,
) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        let user = users::find_user(conn, tenant, UserKey::Id, user_id)?
            .ok_or_else(|| CoreError::not_found(RecordKind::User, user_id))?;
        admin::delete_user(conn, tenant, &user.id)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::UserDeleted,
                "user",
                &user.id,
                serde_json::json!({"login": user.login}),
            )],
        )?;
        Ok(())
    })
}

/// Disables (`enabled == false`) or re-enables a user: every active credential acting as the
/// user becomes disabled (it stops authenticating at every gateway), and re-enabling turns
/// the disabled ones active again. Returns the ids of the credentials changed.
pub fn set_user_enabled(
    conn: &mut DbConn,
    tenant: &TenantId,
    user: &User,
    enabled: bool,
    actor: &str,
) -> Result<Vec<String>> {
    let (from, to) = if enabled {
        (CredentialStatus::Disabled, CredentialStatus::Active)
    } else {
        (CredentialStatus::Active, CredentialStatus::Disabled)
    };
    dialect::write_tx(conn, |conn| {
        let changed = admin::set_user_credentials_status(conn, tenant, &user.id, from, to)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::UserStatus,
                "user",
                &user.id,
                serde_json::json!({"enabled": enabled, "credentials": changed}),
            )],
        )?;
        Ok(changed)
    })
}

pub fn list_scopes(conn: &mut DbConn, tenant: Option<&TenantId>) -> Result<Vec<ScopeDefinition>> {
    scopes::list_scopes(conn, tenant.map(TenantId::as_str))
}

/// A scope definition by id.
pub fn get_scope(conn: &mut DbConn, tenant: &TenantId, id: &str) -> Result<ScopeDefinition> {
    scopes::find_scopes(conn, tenant, &[id])?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| CoreError::not_found(RecordKind::Scope, id))
}

/// Deletes a scope definition. Grants holding the scope keep it (scopes are opaque strings);
/// revoke them with `grants::revoke_grants` and a scope filter.
pub fn delete_scope(conn: &mut DbConn, tenant: &TenantId, id: &str, actor: &str) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        if admin::delete_scope(conn, tenant, id)? == 0 {
            return Err(CoreError::not_found(RecordKind::Scope, id));
        }
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::ScopeDeleted,
                "scope",
                id,
                serde_json::json!({}),
            )],
        )?;
        Ok(())
    })
}

/// A grant by id whatever its status (revoked and expired ones included).
pub fn get_grant_record(conn: &mut DbConn, tenant: &TenantId, id: &GrantId) -> Result<Grant> {
    grants::find_grant(conn, tenant, id)?.ok_or_else(|| CoreError::not_found(RecordKind::Grant, id))
}

/// Deletes a grant record (whatever its status) with its scope consents and the tokens
/// issued under it.
pub fn delete_grant(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &GrantId,
    actor: &str,
) -> Result<Grant> {
    dialect::write_tx(conn, |conn| {
        let grant = get_grant_record(conn, tenant, id)?;
        admin::delete_grant(conn, tenant, id)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::GrantDeleted,
                "grant",
                id,
                serde_json::json!({"user_id": grant.user_id, "client_id": grant.client_id}),
            )],
        )?;
        Ok(grant)
    })
}

/// Credentials of a tenant (every tenant when None); never their secrets.
pub fn list_credentials(conn: &mut DbConn, tenant: Option<&TenantId>) -> Result<Vec<Credential>> {
    credentials::list_credentials(conn, tenant.map(TenantId::as_str))
}

pub fn get_credential(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &CredentialId,
) -> Result<Credential> {
    credentials::find_credential(conn, tenant, id)?
        .ok_or_else(|| CoreError::not_found(RecordKind::Credential, id))
}

/// Sets a credential's status (revoke, disable, enable) and returns it; audited. A revoked
/// credential stays revoked: enabling or disabling it is a conflict.
pub fn set_credential_status(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &CredentialId,
    status: CredentialStatus,
    actor: &str,
) -> Result<Credential> {
    dialect::write_tx(conn, |conn| {
        let current = get_credential(conn, tenant, id)?;
        if current.status == CredentialStatus::Revoked && status != CredentialStatus::Revoked {
            return Err(CoreError::Conflict(format!(
                "credential '{id}' is revoked and cannot be {}",
                if status == CredentialStatus::Active {
                    "enabled"
                } else {
                    "disabled"
                }
            )));
        }
        crate::service::credentials::set_credential_status(conn, tenant, id, status, actor)?;
        Ok(Credential { status, ..current })
    })
}

pub fn delete_credential(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &CredentialId,
    actor: &str,
) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        if admin::delete_credential(conn, tenant, id)? == 0 {
            return Err(CoreError::not_found(RecordKind::Credential, id));
        }
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::CredentialDeleted,
                "credential",
                id,
                serde_json::json!({}),
            )],
        )?;
        Ok(())
    })
}

/// The credential a token secret belongs to (by its SHA-256 digest): what an operator holds
/// when a token leaked.
pub fn find_credential_by_token(conn: &mut DbConn, token: &str) -> Result<Credential> {
    let digest = crate::service::credentials::token_digest(token);
    credentials::find_by_digest_any_tenant(conn, &digest)?
        .ok_or_else(|| CoreError::not_found(RecordKind::Credential, "(the token given)"))
}

/// The audit log of a tenant (every tenant when None), oldest first.
pub fn list_audit(
    conn: &mut DbConn,
    tenant: Option<&TenantId>,
) -> Result<Vec<crate::model::AuditEvent>> {
    audit_store::list_audit(conn, tenant.map(TenantId::as_str))
}
