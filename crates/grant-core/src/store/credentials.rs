use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::rows::{CredentialRow, naive};
use super::schema::credentials;
use crate::Result;
use crate::model::{Credential, CredentialKind, CredentialStatus};

pub fn insert_credentials(conn: &mut DbConn, rows: &[CredentialRow]) -> Result<()> {
    for chunk in rows.chunks(500) {
        super::dialect::insert_rows!(conn, credentials::table, chunk)?;
    }
    Ok(())
}

/// A token credential by the SHA-256 digest of its secret (unique index).
pub fn find_by_digest(conn: &mut DbConn, digest: &[u8]) -> Result<Option<Credential>> {
    let row = credentials::table
        .filter(credentials::digest.eq(digest))
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Credential::try_from).transpose()
}

/// A password credential by tenant and username, with its PHC hash.
pub fn find_password(
    conn: &mut DbConn,
    tenant: &str,
    username: &str,
) -> Result<Option<(Credential, String)>> {
    let row = credentials::table
        .filter(credentials::tenant_id.eq(tenant))
        .filter(credentials::kind.eq(CredentialKind::Password.as_str()))
        .filter(credentials::name.eq(username))
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(r) => {
            let hash = r.password_hash.clone().unwrap_or_default();
            Ok(Some((Credential::try_from(r)?, hash)))
        }
        None => Ok(None),
    }
}

pub fn find_credential(conn: &mut DbConn, tenant: &str, id: &str) -> Result<Option<Credential>> {
    let row = credentials::table
        .filter(credentials::tenant_id.eq(tenant))
        .filter(credentials::id.eq(id))
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Credential::try_from).transpose()
}

pub fn set_status(
    conn: &mut DbConn,
    tenant: &str,
    id: &str,
    status: CredentialStatus,
) -> Result<usize> {
    Ok(diesel::update(
        credentials::table
            .filter(credentials::tenant_id.eq(tenant))
            .filter(credentials::id.eq(id)),
    )
    .set(credentials::status.eq(status.as_str()))
    .execute(conn)?)
}

pub fn set_expiry(
    conn: &mut DbConn,
    tenant: &str,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> Result<usize> {
    Ok(diesel::update(
        credentials::table
            .filter(credentials::tenant_id.eq(tenant))
            .filter(credentials::id.eq(id)),
    )
    .set(credentials::expires_at.eq(at.map(naive)))
    .execute(conn)?)
}

/// Raw rows (digests and hashes included) for export.
pub fn dump_credentials(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<CredentialRow>> {
    let mut q = credentials::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(credentials::tenant_id.eq(t));
    }
    Ok(q.order((
        credentials::tenant_id,
        credentials::created_at,
        credentials::id,
    ))
    .select(CredentialRow::as_select())
    .load(conn)?)
}

pub fn list_credentials(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<Credential>> {
    dump_credentials(conn, tenant)?
        .into_iter()
        .map(Credential::try_from)
        .collect()
}

/// Credentials of the given kind bound to a client, in any tenant (a client id names its
/// tenant at token endpoints that carry none), oldest first, with their password hashes.
pub fn find_by_client(
    conn: &mut DbConn,
    kind: CredentialKind,
    client_id: &str,
) -> Result<Vec<(Credential, Option<String>)>> {
    let rows = credentials::table
        .filter(credentials::client_id.eq(client_id))
        .filter(credentials::kind.eq(kind.as_str()))
        .order((credentials::created_at, credentials::id))
        .select(CredentialRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let hash = r.password_hash.clone();
            Ok((Credential::try_from(r)?, hash))
        })
        .collect()
}

/// Revokes the active credentials of these kinds bound to a client; returns how many.
pub fn revoke_client_credentials(
    conn: &mut DbConn,
    tenant: &str,
    client_id: &str,
    kinds: &[CredentialKind],
) -> Result<usize> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    Ok(diesel::update(
        credentials::table
            .filter(credentials::tenant_id.eq(tenant))
            .filter(credentials::client_id.eq(client_id))
            .filter(credentials::kind.eq_any(kinds))
            .filter(credentials::status.eq(CredentialStatus::Active.as_str())),
    )
    .set(credentials::status.eq(CredentialStatus::Revoked.as_str()))
    .execute(conn)?)
}

/// Renames a credential (its label).
pub fn set_name(conn: &mut DbConn, tenant: &str, id: &str, name: &str) -> Result<usize> {
    Ok(diesel::update(
        credentials::table
            .filter(credentials::tenant_id.eq(tenant))
            .filter(credentials::id.eq(id)),
    )
    .set(credentials::name.eq(name))
    .execute(conn)?)
}

/// Revokes the active credentials of one issuance (access + refresh token share a `name`)
/// under a grant; returns how many changed.
pub fn revoke_issuance(
    conn: &mut DbConn,
    tenant: &str,
    grant_id: &str,
    name: &str,
) -> Result<usize> {
    Ok(diesel::update(
        credentials::table
            .filter(credentials::tenant_id.eq(tenant))
            .filter(credentials::grant_id.eq(grant_id))
            .filter(credentials::name.eq(name))
            .filter(credentials::status.eq(CredentialStatus::Active.as_str())),
    )
    .set(credentials::status.eq(CredentialStatus::Revoked.as_str()))
    .execute(conn)?)
}
