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
