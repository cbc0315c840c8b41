use diesel::prelude::*;

use super::DbConn;
use super::rows::ScopeRow;
use super::schema::scopes;
use crate::Result;
use crate::model::ScopeDefinition;

pub fn insert_scopes(conn: &mut DbConn, defs: &[ScopeDefinition]) -> Result<()> {
    let rows: Vec<ScopeRow> = defs.iter().map(ScopeRow::from).collect();
    for chunk in rows.chunks(500) {
        super::dialect::insert_rows!(conn, scopes::table, chunk)?;
    }
    Ok(())
}

/// Scope definitions of a tenant whose id or name is one of `keys`.
pub fn find_scopes(conn: &mut DbConn, tenant: &str, keys: &[&str]) -> Result<Vec<ScopeDefinition>> {
    let rows = scopes::table
        .filter(scopes::tenant_id.eq(tenant))
        .filter(scopes::id.eq_any(keys).or(scopes::name.eq_any(keys)))
        .select(ScopeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ScopeDefinition::try_from).collect()
}

pub fn list_scopes(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<ScopeDefinition>> {
    let mut q = scopes::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(scopes::tenant_id.eq(t));
    }
    let rows = q
        .order((scopes::tenant_id, scopes::id))
        .select(ScopeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ScopeDefinition::try_from).collect()
}
