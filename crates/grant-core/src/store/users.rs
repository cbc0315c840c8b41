use diesel::prelude::*;

use super::DbConn;
use super::rows::UserRow;
use super::schema::users;
use crate::Result;
use crate::model::{User, UserKey};

pub fn insert_users(conn: &mut DbConn, rows: &[User]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let rows: Vec<UserRow> = chunk.iter().map(UserRow::from).collect();
        super::dialect::insert_rows!(conn, users::table, &rows)?;
    }
    Ok(())
}

/// Finds a user of `tenant` by the identifier a gateway shows.
pub fn find_user(
    conn: &mut DbConn,
    tenant: &str,
    key: UserKey,
    value: &str,
) -> Result<Option<User>> {
    let q = users::table
        .filter(users::tenant_id.eq(tenant))
        .into_boxed();
    let q = match key {
        UserKey::Id => q.filter(users::id.eq(value)),
        UserKey::OktaId => q.filter(users::okta_id.eq(value)),
        UserKey::Login => q.filter(users::login.eq(value)),
        UserKey::Universal => q.filter(users::universal_folded.eq(value.to_lowercase())),
    };
    let row = q.select(UserRow::as_select()).first(conn).optional()?;
    Ok(row.map(User::from))
}

/// Users of a tenant by internal id, for projections that show another identifier.
pub fn find_users_by_ids(conn: &mut DbConn, tenant: &str, ids: &[&str]) -> Result<Vec<User>> {
    let rows = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(User::from).collect())
}

pub fn list_users(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<User>> {
    let mut q = users::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(users::tenant_id.eq(t));
    }
    let rows = q
        .order((users::tenant_id, users::created_at, users::id))
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// A page (`skip`, `count`) of a tenant's users, oldest first, narrowed to `ids` when not
/// empty, and how many match in all: paged by the database, not in memory.
pub fn list_users_page(
    conn: &mut DbConn,
    tenant: &str,
    ids: &[String],
    skip: i64,
    count: i64,
) -> Result<(Vec<User>, i64)> {
    let filtered = || {
        let mut q = users::table
            .filter(users::tenant_id.eq(tenant))
            .into_boxed();
        if !ids.is_empty() {
            q = q.filter(users::id.eq_any(ids));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((users::created_at, users::id))
        .offset(skip.max(0))
        .limit(count.max(0))
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows.into_iter().map(User::from).collect(), total))
}
