use diesel::prelude::*;

use super::DbConn;
use super::rows::ClientRow;
use super::schema::{clients, grants};
use crate::Result;
use crate::model::Client;

pub fn insert_clients(conn: &mut DbConn, items: &[Client]) -> Result<()> {
    for chunk in items.chunks(500) {
        let rows: Vec<ClientRow> = chunk.iter().map(ClientRow::from).collect();
        super::dialect::insert_rows!(conn, clients::table, &rows)?;
    }
    Ok(())
}

pub fn find_client(conn: &mut DbConn, tenant: &str, id: &str) -> Result<Option<Client>> {
    let row = clients::table
        .find((tenant, id))
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Client::try_from).transpose()
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

pub fn count_clients(conn: &mut DbConn, tenant: &str) -> Result<i64> {
    Ok(clients::table
        .filter(clients::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?)
}

pub fn update_client(conn: &mut DbConn, client: &Client) -> Result<usize> {
    Ok(
        diesel::update(clients::table.find((&client.tenant_id, &client.id)))
            .set(ClientRow::from(client))
            .execute(conn)?,
    )
}

/// Deletes a client and (by cascade) its grants; returns how many clients were deleted.
pub fn delete_client(conn: &mut DbConn, tenant: &str, id: &str) -> Result<usize> {
    diesel::delete(
        grants::table
            .filter(grants::tenant_id.eq(tenant))
            .filter(grants::client_id.eq(id)),
    )
    .execute(conn)?;
    Ok(diesel::delete(clients::table.find((tenant, id))).execute(conn)?)
}
