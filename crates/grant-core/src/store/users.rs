use std::collections::HashMap;

use diesel::prelude::*;

use super::rows::{UserAliasRow, UserRow};
use super::schema::{user_aliases, users};
use super::{DbConn, on_backend};
use crate::Result;
use crate::model::{Aliases, User, UserKey};

pub fn insert_users(conn: &mut DbConn, rows: &[User]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let user_rows: Vec<UserRow> = chunk.iter().map(UserRow::from).collect();
        super::dialect::insert_rows!(conn, users::table, &user_rows)?;
        let alias_rows: Vec<UserAliasRow> = chunk.iter().flat_map(UserAliasRow::of).collect();
        if !alias_rows.is_empty() {
            super::dialect::insert_rows!(conn, user_aliases::table, &alias_rows)?;
        }
    }
    Ok(())
}

/// An alias row as loaded: (user id, vendor, alias).
const ALIAS_COLUMNS: (
    user_aliases::user_id,
    user_aliases::vendor,
    user_aliases::alias,
) = (
    user_aliases::user_id,
    user_aliases::vendor,
    user_aliases::alias,
);

/// The users of `rows`, each with its aliases (one query for all of them; for one user an
/// equality, which Diesel keeps prepared, unlike an `IN` list).
fn with_aliases(conn: &mut DbConn, rows: Vec<UserRow>) -> Result<Vec<User>> {
    let mut by_user: HashMap<String, Aliases> = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(500) {
        let found: Vec<(String, String, String)> = match chunk {
            [one] => on_backend!(conn, |c| user_aliases::table
                .filter(user_aliases::user_id.eq(&one.id))
                .select(ALIAS_COLUMNS)
                .load(c))?,
            _ => {
                let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
                user_aliases::table
                    .filter(user_aliases::user_id.eq_any(&ids))
                    .select(ALIAS_COLUMNS)
                    .load(conn)?
            }
        };
        collect_aliases(&mut by_user, found);
    }
    Ok(attach(rows, by_user))
}

fn collect_aliases(by_user: &mut HashMap<String, Aliases>, found: Vec<(String, String, String)>) {
    for (user_id, vendor, alias) in found {
        // A vendor this build does not know (written by a newer one) is left out.
        if let Ok(vendor) = vendor.parse() {
            by_user.entry(user_id).or_default().insert(vendor, alias);
        }
    }
}

fn attach(rows: Vec<UserRow>, mut by_user: HashMap<String, Aliases>) -> Vec<User> {
    rows.into_iter()
        .map(|r| {
            let aliases = by_user.remove(&r.id).unwrap_or_default();
            r.into_user(aliases)
        })
        .collect()
}

/// The first identifier of `user` (id, login, an alias) another user of its tenant holds, as
/// (field name, value).
pub fn taken_identifier(conn: &mut DbConn, user: &User) -> Result<Option<(String, String)>> {
    let keys = [
        ("id", UserKey::Id, &user.id),
        ("login", UserKey::Login, &user.login),
    ]
    .into_iter()
    .map(|(field, key, value)| (field.to_owned(), key, value))
    .chain(
        user.aliases
            .iter()
            .map(|(vendor, alias)| (format!("{vendor} id"), UserKey::Alias(*vendor), alias)),
    );
    for (field, key, value) in keys {
        if find_user(conn, &user.tenant_id, key, value)?.is_some() {
            return Ok(Some((field, value.clone())));
        }
    }
    Ok(None)
}

/// Finds a user of `tenant` by the identifier a gateway shows. Each key is its own static
/// query, so Diesel keeps its prepared statement (a boxed query is prepared on every call).
pub fn find_user(
    conn: &mut DbConn,
    tenant: &str,
    key: UserKey,
    value: &str,
) -> Result<Option<User>> {
    let in_tenant = users::table.filter(users::tenant_id.eq(tenant));
    let row = match key {
        // A request's own user or the user of its path, on most requests: on the backend's
        // own connection (see `on_backend`).
        UserKey::Id => on_backend!(conn, |c| in_tenant
            .filter(users::id.eq(value))
            .select(UserRow::as_select())
            .first(c)
            .optional())?,
        UserKey::Login => in_tenant
            .filter(users::login.eq(value))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?,
        UserKey::Alias(vendor) => {
            let key = vendor.lookup_key(value);
            on_backend!(conn, |c| in_tenant
                .filter(
                    users::id.nullable().eq(user_aliases::table
                        .filter(user_aliases::tenant_id.eq(tenant))
                        .filter(user_aliases::vendor.eq(vendor.as_str()))
                        .filter(user_aliases::lookup_key.eq(&key))
                        .select(user_aliases::user_id)
                        .single_value()),
                )
                .select(UserRow::as_select())
                .first(c)
                .optional())?
        }
    };
    match row {
        Some(row) => Ok(with_aliases(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// Users of a tenant by internal id, for projections that show another identifier.
pub fn find_users_by_ids(conn: &mut DbConn, tenant: &str, ids: &[&str]) -> Result<Vec<User>> {
    let rows = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(conn)?;
    with_aliases(conn, rows)
}

pub fn list_users(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<User>> {
    let mut q = users::table.into_boxed();
    let mut aliases = user_aliases::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(users::tenant_id.eq(t));
        aliases = aliases.filter(user_aliases::tenant_id.eq(t));
    }
    let rows = q
        .order((users::tenant_id, users::created_at, users::id))
        .select(UserRow::as_select())
        .load(conn)?;
    let found = aliases.select(ALIAS_COLUMNS).load(conn)?;
    let mut by_user = HashMap::with_capacity(rows.len());
    collect_aliases(&mut by_user, found);
    Ok(attach(rows, by_user))
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
    Ok((with_aliases(conn, rows)?, total))
}
