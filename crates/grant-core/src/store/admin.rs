//! Queries used only by the operator's lifecycle commands (grantctl): deletions, counts,
//! status changes by owner. Foreign keys cascade (users → grants → credentials), so a delete
//! here removes what depends on the record.

use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    audit_log, clients, credentials, grant_scopes, grants, scopes, tenant_roles, tenants, users,
};
use crate::Result;
use crate::model::CredentialStatus;

/// How many users, clients, grants and credentials a tenant holds.
pub fn tenant_contents(conn: &mut DbConn, tenant: &str) -> Result<[i64; 4]> {
    let u = users::table
        .filter(users::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?;
    let c = clients::table
        .filter(clients::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?;
    let g = grants::table
        .filter(grants::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?;
    let k = credentials::table
        .filter(credentials::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?;
    Ok([u, c, g, k])
}

/// How many records of every table an export holds (its progress total).
pub fn record_count(conn: &mut DbConn) -> Result<u64> {
    let counts: [i64; 9] = [
        tenants::table.count().get_result(conn)?,
        tenant_roles::table.count().get_result(conn)?,
        users::table.count().get_result(conn)?,
        clients::table.count().get_result(conn)?,
        scopes::table.count().get_result(conn)?,
        grants::table.count().get_result(conn)?,
        grant_scopes::table.count().get_result(conn)?,
        credentials::table.count().get_result(conn)?,
        audit_log::table.count().get_result(conn)?,
    ];
    Ok(counts.iter().map(|n| u64::try_from(*n).unwrap_or(0)).sum())
}

pub fn delete_tenant(conn: &mut DbConn, id: &str) -> Result<usize> {
    Ok(diesel::delete(tenants::table.find(id)).execute(conn)?)
}

pub fn delete_user(conn: &mut DbConn, tenant: &str, id: &str) -> Result<usize> {
    Ok(diesel::delete(
        users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq(id)),
    )
    .execute(conn)?)
}

pub fn delete_scope(conn: &mut DbConn, tenant: &str, id: &str) -> Result<usize> {
    Ok(diesel::delete(scopes::table.find((tenant, id))).execute(conn)?)
}

pub fn delete_grant(conn: &mut DbConn, tenant: &str, id: &str) -> Result<usize> {
    Ok(diesel::delete(
        grants::table
            .filter(grants::tenant_id.eq(tenant))
            .filter(grants::id.eq(id)),
    )
    .execute(conn)?)
}

pub fn delete_credential(conn: &mut DbConn, tenant: &str, id: &str) -> Result<usize> {
    Ok(diesel::delete(
        credentials::table
            .filter(credentials::tenant_id.eq(tenant))
            .filter(credentials::id.eq(id)),
    )
    .execute(conn)?)
}

/// Sets every credential of a user whose status is `from` to `to`; returns their ids.
pub fn set_user_credentials_status(
    conn: &mut DbConn,
    tenant: &str,
    user_id: &str,
    from: CredentialStatus,
    to: CredentialStatus,
) -> Result<Vec<String>> {
    let ids: Vec<String> = credentials::table
        .filter(credentials::tenant_id.eq(tenant))
        .filter(credentials::user_id.eq(user_id))
        .filter(credentials::status.eq(from.as_str()))
        .select(credentials::id)
        .load(conn)?;
    if !ids.is_empty() {
        diesel::update(
            credentials::table
                .filter(credentials::tenant_id.eq(tenant))
                .filter(credentials::id.eq_any(&ids)),
        )
        .set(credentials::status.eq(to.as_str()))
        .execute(conn)?;
    }
    Ok(ids)
}
