//! Tenants, users and scope definitions.

use crate::model::AuditAction;
use crate::model::RecordKind;
use crate::model::TenantId;
use crate::model::{
    AliasVendor, NewUser, ScopeDefinition, Tenant, TenantRole, TenantStatus, User, UserKey, now,
};
use crate::service::{audit, ids};
use crate::store::{DbConn, audit as audit_store, dialect, roles, scopes, tenants, users};
use crate::{CoreError, Result};

pub fn create_tenant(conn: &mut DbConn, id: Option<String>, name: &str) -> Result<Tenant> {
    let tenant = Tenant {
        id: id.unwrap_or_else(ids::guid),
        name: name.to_owned(),
        created_at: now(),
        status: TenantStatus::Active,
    };
    if tenant.id.is_empty() {
        return Err(CoreError::invalid("id", "must not be empty"));
    }
    dialect::write_tx(conn, |conn| {
        if tenants::find_tenant(conn, &tenant.id)?.is_some() {
            return Err(CoreError::Conflict(format!(
                "tenant {} already exists",
                tenant.id
            )));
        }
        tenants::insert_tenant(conn, &tenant)?;
        Ok(tenant.clone())
    })
}

pub fn find_tenant(conn: &mut DbConn, id: &TenantId) -> Result<Option<Tenant>> {
    tenants::find_tenant(conn, id)
}

pub fn get_tenant(conn: &mut DbConn, id: &TenantId) -> Result<Tenant> {
    tenants::find_tenant(conn, id)?.ok_or_else(|| CoreError::not_found(RecordKind::Tenant, id))
}

/// Creates a user; identifiers that are not given are generated in each vendor's format.
pub fn create_user(
    conn: &mut DbConn,
    tenant: &TenantId,
    new: NewUser,
    actor: &str,
) -> Result<User> {
    if new.login.trim().is_empty() {
        return Err(CoreError::invalid("login", "must not be empty"));
    }
    let id = new.id.unwrap_or_else(ids::guid);
    let mut aliases = new.aliases;
    for vendor in AliasVendor::ALL {
        aliases
            .entry(*vendor)
            .or_insert_with(|| vendor.generated(&id));
    }
    let user = User {
        aliases,
        display_name: new.display_name.unwrap_or_else(|| new.login.clone()),
        login: new.login,
        roles: new.roles,
        tenant_id: tenant.to_string(),
        created_at: new
            .created_at
            .map(crate::model::to_millis)
            .unwrap_or_else(now),
        profile: new.profile,
        id,
    };
    dialect::write_tx(conn, |conn| {
        if tenants::find_tenant(conn, tenant)?.is_none() {
            return Err(CoreError::not_found(RecordKind::Tenant, tenant));
        }
        if let Some((field, value)) = users::taken_identifier(conn, &user)? {
            return Err(CoreError::Conflict(format!(
                "{field} {value} already belongs to a user"
            )));
        }
        users::insert_users(conn, std::slice::from_ref(&user))?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::UserCreated,
                "user",
                &user.id,
                serde_json::json!({"login": user.login}),
            )],
        )?;
        Ok(user.clone())
    })
}

/// A user by the identifier a gateway shows; not found otherwise.
pub fn get_user(conn: &mut DbConn, tenant: &TenantId, key: UserKey, value: &str) -> Result<User> {
    users::find_user(conn, tenant, key, value)?
        .ok_or_else(|| CoreError::not_found(RecordKind::User, value))
}

pub fn find_user(
    conn: &mut DbConn,
    tenant: &TenantId,
    key: UserKey,
    value: &str,
) -> Result<Option<User>> {
    users::find_user(conn, tenant, key, value)
}

pub fn define_scopes(conn: &mut DbConn, defs: &[ScopeDefinition]) -> Result<()> {
    dialect::write_tx(conn, |conn| scopes::insert_scopes(conn, defs))
}

pub fn find_scopes(
    conn: &mut DbConn,
    tenant: &TenantId,
    keys: &[&str],
) -> Result<Vec<ScopeDefinition>> {
    scopes::find_scopes(conn, tenant, keys)
}

/// Users of a tenant by internal id (for projections that show another identifier).
pub fn find_users_by_ids(conn: &mut DbConn, tenant: &TenantId, ids: &[&str]) -> Result<Vec<User>> {
    users::find_users_by_ids(conn, tenant, ids)
}

/// A page of a tenant's users (oldest first, narrowed to `ids` when not empty) and how many
/// match in all; one snapshot.
pub fn list_users_page(
    conn: &mut DbConn,
    tenant: &TenantId,
    ids: &[String],
    skip: i64,
    count: i64,
) -> Result<(Vec<User>, i64)> {
    crate::store::dialect::read_tx(conn, |conn| {
        users::list_users_page(conn, tenant, ids, skip, count)
    })
}

/// Every user of a tenant (all tenants when None), oldest first.
pub fn list_users(conn: &mut DbConn, tenant: Option<&TenantId>) -> Result<Vec<User>> {
    users::list_users(conn, tenant.map(TenantId::as_str))
}

/// Defines a role in a tenant (its own id, a name and the role type deciding its rights),
/// audited in the same transaction. The id must be new in the tenant.
pub fn create_role(conn: &mut DbConn, role: TenantRole, actor: &str) -> Result<TenantRole> {
    for (field, value) in [
        ("id", &role.id),
        ("name", &role.name),
        ("role_type", &role.role_type),
    ] {
        if value.trim().is_empty() {
            return Err(CoreError::invalid(field, "must not be empty"));
        }
    }
    dialect::write_tx(conn, |conn| {
        if tenants::find_tenant(conn, &role.tenant_id)?.is_none() {
            return Err(CoreError::not_found(RecordKind::Tenant, &role.tenant_id));
        }
        if !roles::find_roles(conn, &role.tenant_id, std::slice::from_ref(&role.id))?.is_empty() {
            return Err(CoreError::Conflict(format!(
                "role {} already exists",
                role.id
            )));
        }
        roles::insert_roles(conn, std::slice::from_ref(&role))?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                TenantId::new(&role.tenant_id),
                actor,
                AuditAction::RoleCreated,
                "role",
                &role.id,
                serde_json::json!({"name": role.name, "role_type": role.role_type}),
            )],
        )?;
        Ok(role.clone())
    })
}

/// The roles defined in a tenant, oldest first.
pub fn list_roles(conn: &mut DbConn, tenant: &TenantId) -> Result<Vec<TenantRole>> {
    roles::list_roles(conn, Some(tenant))
}

/// The role types that decide what holders of `role_ids` may do: a tenant role's type, or
/// the id itself when the tenant defines no role with that id (built-in roles, whose id is
/// their type, and roles stored before tenant roles existed). Same order as `role_ids`.
pub fn role_types(
    conn: &mut DbConn,
    tenant: &TenantId,
    role_ids: &[String],
) -> Result<Vec<String>> {
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    let defined = roles::find_roles(conn, tenant, role_ids)?;
    Ok(role_ids
        .iter()
        .map(|id| {
            defined
                .iter()
                .find(|r| &r.id == id)
                .map_or_else(|| id.clone(), |r| r.role_type.clone())
        })
        .collect())
}

/// `role_ids` holding a role of type `role_type`: unchanged when one of them resolves to that
/// type (`role_types`), else with the tenant's role of that type put first (the type itself
/// when the tenant defines no such role: the built-in role's id is its type).
pub fn ensure_role_type(
    conn: &mut DbConn,
    tenant: &TenantId,
    mut role_ids: Vec<String>,
    role_type: &str,
) -> Result<Vec<String>> {
    if role_types(conn, tenant, &role_ids)?
        .iter()
        .any(|t| t == role_type)
    {
        return Ok(role_ids);
    }
    let id = roles::list_roles(conn, Some(tenant))?
        .into_iter()
        .find(|r| r.role_type == role_type)
        .map_or_else(|| role_type.to_owned(), |r| r.id);
    role_ids.insert(0, id);
    Ok(role_ids)
}
