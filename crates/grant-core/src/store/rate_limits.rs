//! Rate-limit windows shared by a gateway's replicas (`rate_limit_windows`).

use diesel::prelude::*;

use super::DbConn;
use super::schema::rate_limit_windows as w;
use crate::Result;

/// The count of one window, without counting (0 when it has no row yet).
pub fn find_used(conn: &mut DbConn, tenant: &str, bucket: &str, window_start: i64) -> Result<i64> {
    Ok(w::table
        .find((tenant, bucket, window_start))
        .select(w::used)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Deletes the tenant's windows that started before `before`; returns how many.
pub fn delete_before(conn: &mut DbConn, tenant: &str, before: i64) -> Result<usize> {
    Ok(diesel::delete(
        w::table
            .filter(w::tenant_id.eq(tenant))
            .filter(w::window_start.lt(before)),
    )
    .execute(conn)?)
}
