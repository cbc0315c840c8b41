use diesel::prelude::*;

use super::DbConn;
use super::rows::ClientRow;
use super::schema::{client_counts, client_tags, clients, grants};
use crate::Result;
use crate::model::{Client, ClientFilter};

/// Inserts clients and keeps `client_counts` in step. Callers run it inside a write
/// transaction.
pub fn insert_clients(conn: &mut DbConn, items: &[Client]) -> Result<()> {
    let mut added: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
    for chunk in items.chunks(500) {
        let rows: Vec<ClientRow> = chunk.iter().map(ClientRow::from).collect();
        super::dialect::insert_rows!(conn, clients::table, &rows)?;
    }
    insert_tags(conn, items)?;
    for c in items {
        *added.entry((&c.tenant_id, c.kind.as_str())).or_default() += 1;
    }
    for ((tenant, kind), n) in added {
        super::dialect::add_client_count(conn, tenant, kind, n)?;
    }
    Ok(())
}

/// One `client_tags` row per distinct tag of each client.
fn insert_tags(conn: &mut DbConn, items: &[Client]) -> Result<()> {
    let mut rows = Vec::new();
    for c in items {
        let mut tags: Vec<&str> = c.tags.iter().map(String::as_str).collect();
        tags.sort_unstable();
        tags.dedup();
        rows.extend(tags.into_iter().map(|tag| {
            (
                client_tags::tenant_id.eq(c.tenant_id.as_str()),
                client_tags::client_id.eq(c.id.as_str()),
                client_tags::tag.eq(tag),
            )
        }));
    }
    for chunk in rows.chunks(300) {
        super::dialect::insert_rows!(conn, client_tags::table, chunk)?;
    }
    Ok(())
}

/// The tenant's client count of one kind, or of every kind (`None`), from `client_counts`.
pub fn counted_clients(conn: &mut DbConn, tenant: &str, kind: Option<&str>) -> Result<i64> {
    let mut q = client_counts::table
        .filter(client_counts::tenant_id.eq(tenant))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(client_counts::kind.eq(k));
    }
    let counts: Vec<i64> = q.select(client_counts::n).load(conn)?;
    Ok(counts.into_iter().sum())
}

pub fn find_client(conn: &mut DbConn, tenant: &str, id: &str) -> Result<Option<Client>> {
    let row = clients::table
        .find((tenant, id))
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Client::try_from).transpose()
}

/// The tenant holding a client id (client ids are unique across tenants).
pub fn tenant_of_client(conn: &mut DbConn, id: &str) -> Result<Option<String>> {
    Ok(clients::table
        .filter(clients::id.eq(id))
        .select(clients::tenant_id)
        .first(conn)
        .optional()?)
}

pub fn find_clients(conn: &mut DbConn, tenant: &str, ids: &[&str]) -> Result<Vec<Client>> {
    let rows = clients::table
        .filter(clients::tenant_id.eq(tenant))
        .filter(clients::id.eq_any(ids))
        .order(clients::id)
        .select(ClientRow::as_select())
        .load(conn)?;
    rows.into_iter().map(Client::try_from).collect()
}

/// Clients of a tenant (all of them when `tenant` is None), oldest first.
pub fn list_clients(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<Client>> {
    let mut q = clients::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(clients::tenant_id.eq(t));
    }
    let rows = q
        .order((clients::tenant_id, clients::created_at, clients::id))
        .select(ClientRow::as_select())
        .load(conn)?;
    rows.into_iter().map(Client::try_from).collect()
}

/// How many clients (of every kind) the tenant holds.
pub fn count_clients(conn: &mut DbConn, tenant: &str) -> Result<i64> {
    counted_clients(conn, tenant, None)
}

/// Writes a client's fields and its tag rows; callers run it inside a write transaction.
pub fn update_client(conn: &mut DbConn, client: &Client) -> Result<usize> {
    let changed = diesel::update(clients::table.find((&client.tenant_id, &client.id)))
        .set(ClientRow::from(client))
        .execute(conn)?;
    if changed > 0 {
        diesel::delete(
            client_tags::table
                .filter(client_tags::tenant_id.eq(&client.tenant_id))
                .filter(client_tags::client_id.eq(&client.id)),
        )
        .execute(conn)?;
        insert_tags(conn, std::slice::from_ref(client))?;
    }
    Ok(changed)
}

/// Deletes a client and its grants; returns how many clients were deleted. Callers run it
/// inside a write transaction (it keeps `client_counts` in step).
pub fn delete_client(conn: &mut DbConn, tenant: &str, id: &str) -> Result<usize> {
    let kind: Option<String> = clients::table
        .find((tenant, id))
        .select(clients::kind)
        .first(conn)
        .optional()?;
    let Some(kind) = kind else { return Ok(0) };
    diesel::delete(
        grants::table
            .filter(grants::tenant_id.eq(tenant))
            .filter(grants::client_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        client_tags::table
            .filter(client_tags::tenant_id.eq(tenant))
            .filter(client_tags::client_id.eq(id)),
    )
    .execute(conn)?;
    let deleted = diesel::delete(clients::table.find((tenant, id))).execute(conn)?;
    if deleted > 0 {
        super::dialect::add_client_count(conn, tenant, &kind, -(deleted as i64))?;
    }
    Ok(deleted)
}

fn filtered<'a>(
    tenant: &'a str,
    filter: &'a ClientFilter,
) -> clients::BoxedQuery<'a, super::MultiBackend> {
    let mut q = clients::table
        .filter(clients::tenant_id.eq(tenant))
        .into_boxed();
    if let Some(kind) = filter.kind {
        q = q.filter(clients::kind.eq(kind.as_str()));
    }
    if !filter.ids.is_empty() {
        q = q.filter(clients::id.eq_any(&filter.ids));
    }
    if !filter.tags.is_empty() {
        q = q.filter(
            clients::id.eq_any(
                client_tags::table
                    .filter(client_tags::tenant_id.eq(tenant))
                    .filter(client_tags::tag.eq_any(&filter.tags))
                    .select(client_tags::client_id),
            ),
        );
    }
    q
}

/// A page (`skip`, `count`) of the clients matching `filter` (kind, ids, any of the tags),
/// oldest first, and how many match in all — both counted and paged by the database.
pub fn list_clients_page(
    conn: &mut DbConn,
    tenant: &str,
    filter: &ClientFilter,
    skip: i64,
    count: i64,
) -> Result<(Vec<Client>, i64)> {
    let total: i64 = if filter.ids.is_empty() && filter.tags.is_empty() {
        counted_clients(conn, tenant, filter.kind.map(|k| k.as_str()))?
    } else {
        filtered(tenant, filter).count().get_result(conn)?
    };
    let rows = filtered(tenant, filter)
        .order((clients::created_at.asc(), clients::id.asc()))
        .offset(skip.max(0))
        .limit(count.max(0))
        .select(ClientRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(Client::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok((items, total))
}
