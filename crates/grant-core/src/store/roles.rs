use diesel::prelude::*;

use super::DbConn;
use super::rows::TenantRoleRow;
use super::schema::tenant_roles;
use crate::Result;
use crate::model::TenantRole;

pub fn insert_roles(conn: &mut DbConn, roles: &[TenantRole]) -> Result<()> {
    let rows: Vec<TenantRoleRow> = roles.iter().map(TenantRoleRow::from).collect();
    for chunk in rows.chunks(500) {
        super::dialect::insert_rows!(conn, tenant_roles::table, chunk)?;
    }
    Ok(())
}

/// The roles of a tenant whose id is one of `ids`.
pub fn find_roles(conn: &mut DbConn, tenant: &str, ids: &[String]) -> Result<Vec<TenantRole>> {
    let rows = tenant_roles::table
        .filter(tenant_roles::tenant_id.eq(tenant))
        .filter(tenant_roles::id.eq_any(ids))
        .select(TenantRoleRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(TenantRole::from).collect())
}

/// Every role of a tenant (all tenants when None), oldest first, then by id.
pub fn list_roles(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<TenantRole>> {
    let mut q = tenant_roles::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(tenant_roles::tenant_id.eq(t));
    }
    let rows = q
        .order((
            tenant_roles::tenant_id,
            tenant_roles::created_at,
            tenant_roles::id,
        ))
        .select(TenantRoleRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(TenantRole::from).collect())
}
