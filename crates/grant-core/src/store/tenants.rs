use diesel::prelude::*;

use super::DbConn;
use super::rows::TenantRow;
use super::schema::tenants;
use crate::Result;
use crate::model::{Tenant, TenantStatus};

pub fn insert_tenant(conn: &mut DbConn, tenant: &Tenant) -> Result<()> {
    diesel::insert_into(tenants::table)
        .values(TenantRow::from(tenant))
        .execute(conn)?;
    Ok(())
}

pub fn find_tenant(conn: &mut DbConn, id: &str) -> Result<Option<Tenant>> {
    let row = tenants::table
        .find(id)
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Tenant::from))
}

pub fn list_tenants(conn: &mut DbConn) -> Result<Vec<Tenant>> {
    let rows = tenants::table
        .order((tenants::created_at, tenants::id))
        .select(TenantRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

/// Sets a tenant's status; returns how many rows changed (0: no such tenant).
pub fn set_status(conn: &mut DbConn, id: &str, status: TenantStatus) -> Result<usize> {
    Ok(diesel::update(tenants::table.find(id))
        .set(tenants::status.eq(status.as_str()))
        .execute(conn)?)
}
