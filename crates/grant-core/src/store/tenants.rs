use diesel::prelude::*;

use super::DbConn;
use super::rows::TenantRow;
use super::schema::tenants;
use crate::Result;
use crate::model::Tenant;

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
