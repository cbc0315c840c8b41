use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::rows::{CredentialRow, naive};
use super::schema::{credentials, tenants};
use super::{DbConn, on_backend};
use crate::Result;
use crate::model::{Credential, CredentialKind, CredentialStatus, TenantStatus};

/// The credentials of enabled tenants: every lookup that authenticates a caller filters on
/// it, in the same query, so a disabled tenant's credentials authenticate nowhere (and
/// authenticate again, as they were, once it is enabled).
/// (`EXISTS` on the tenant's primary key: one index probe, whatever the number of tenants.)
#[diesel::dsl::auto_type]
fn of_enabled_tenant() -> _ {
    let enabled: &'static str = TenantStatus::Active.as_str();
    diesel::dsl::exists(
        tenants::table
            .filter(tenants::id.eq(credentials::tenant_id))
            .filter(tenants::status.eq(enabled)),
    )
}

pub fn insert_credentials(conn: &mut DbConn, rows: &[CredentialRow]) -> Result<()> {
    for chunk in rows.chunks(500) {
        super::dialect::insert_rows!(conn, credentials::table, chunk)?;
    }
    Ok(())
}

/// A token credential by the SHA-256 digest of its secret (unique index), for
/// authentication: None when its tenant is disabled.
pub fn find_by_digest(conn: &mut DbConn, digest: &[u8]) -> Result<Option<Credential>> {
    // Every authenticated request: on the backend's own connection (see `on_backend`).
    let row = on_backend!(conn, |c| credentials::table
        .filter(credentials::digest.eq(digest))
        .filter(of_enabled_tenant())
        .select(CredentialRow::as_select())
        .first(c)
        .optional())?;
    row.map(Credential::try_from).transpose()
}

/// A token credential by digest whatever its tenant's status (an operator looking up a
/// leaked token).
pub fn find_by_digest_any_tenant(conn: &mut DbConn, digest: &[u8]) -> Result<Option<Credential>> {
    let row = credentials::table
        .filter(credentials::digest.eq(digest))
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Credential::try_from).transpose()
}

/// A password credential by tenant and username, with its PHC hash; None when the tenant
/// is disabled.
pub fn find_password(
    conn: &mut DbConn,
    tenant: &str,
    username: &str,
) -> Result<Option<(Credential, String)>> {
    let row = credentials::table
        .filter(credentials::tenant_id.eq(tenant))
        .filter(credentials::kind.eq(CredentialKind::Password.as_str()))
        .filter(credentials::name.eq(username))
        .filter(of_enabled_tenant())
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

/// Every credential row (digests and hashes included), in export order, one at a time.
pub fn for_each_credential(
    conn: &mut DbConn,
    mut f: impl FnMut(CredentialRow) -> Result<()>,
) -> Result<()> {
    super::dialect::for_each_row!(
        conn,
        CredentialRow,
        credentials::table
            .order((
                credentials::tenant_id,
                credentials::created_at,
                credentials::id,
            ))
            .select(CredentialRow::as_select()),
        |r| f(r)
    )
}

pub fn list_credentials(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<Credential>> {
    dump_credentials(conn, tenant)?
        .into_iter()
        .map(Credential::try_from)
        .collect()
}

/// Credentials of the given kind bound to a client, in any tenant (a client id names its
/// tenant at token endpoints that carry none), oldest first, with their password hashes;
/// for authentication: none of a disabled tenant.
pub fn find_by_client(
    conn: &mut DbConn,
    kind: CredentialKind,
    client_id: &str,
) -> Result<Vec<(Credential, Option<String>)>> {
    by_client(conn, kind, client_id, true)
}

/// Like `find_by_client`, whatever the tenant's status (managing a client's secrets).
pub fn find_by_client_any_tenant(
    conn: &mut DbConn,
    kind: CredentialKind,
    client_id: &str,
) -> Result<Vec<(Credential, Option<String>)>> {
    by_client(conn, kind, client_id, false)
}

fn by_client(
    conn: &mut DbConn,
    kind: CredentialKind,
    client_id: &str,
    enabled_tenant_only: bool,
) -> Result<Vec<(Credential, Option<String>)>> {
    let mut q = credentials::table
        .filter(credentials::client_id.eq(client_id))
        .filter(credentials::kind.eq(kind.as_str()))
        .into_boxed();
    if enabled_tenant_only {
        q = q.filter(of_enabled_tenant());
    }
    let rows = q
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
    if kinds.contains(&CredentialKind::RefreshToken) {
        // What the authorization engine issued to the client goes with its tokens.
        super::authorization::revoke_families_of_client(
            conn,
            tenant,
            client_id,
            crate::model::now(),
        )?;
    }
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
