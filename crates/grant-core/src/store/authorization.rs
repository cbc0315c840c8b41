//! Storage of the authorization engine: servers, signing keys, sign-in sessions,
//! authorization codes, token families and their refresh tokens. Secrets are stored as
//! digests only (signing keys excepted: the store holds them, as the vendors' do).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::rows::{naive, utc};
use super::schema::{
    authorization_codes, authorization_servers, login_sessions, refresh_tokens,
    revoked_access_tokens, signing_keys, token_families,
};
use crate::Result;
use crate::model::{AuthorizationServer, KeyStatus, PublicKey};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_servers)]
struct ServerRow {
    tenant_id: String,
    id: String,
    name: String,
    audience: String,
    created_at: NaiveDateTime,
}

pub fn find_server(
    conn: &mut DbConn,
    tenant: &str,
    id: &str,
) -> Result<Option<AuthorizationServer>> {
    let row = authorization_servers::table
        .filter(authorization_servers::tenant_id.eq(tenant))
        .filter(authorization_servers::id.eq(id))
        .select(ServerRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|r| AuthorizationServer {
        id: r.id,
        name: r.name,
        audience: r.audience,
        created_at: utc(r.created_at),
    }))
}

pub fn list_servers(conn: &mut DbConn, tenant: &str) -> Result<Vec<AuthorizationServer>> {
    let rows = authorization_servers::table
        .filter(authorization_servers::tenant_id.eq(tenant))
        .order(authorization_servers::id)
        .select(ServerRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| AuthorizationServer {
            id: r.id,
            name: r.name,
            audience: r.audience,
            created_at: utc(r.created_at),
        })
        .collect())
}

pub fn insert_server(conn: &mut DbConn, tenant: &str, server: &AuthorizationServer) -> Result<()> {
    diesel::insert_into(authorization_servers::table)
        .values(ServerRow {
            tenant_id: tenant.to_owned(),
            id: server.id.clone(),
            name: server.name.clone(),
            audience: server.audience.clone(),
            created_at: naive(server.created_at),
        })
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    pub tenant_id: String,
    pub server_id: String,
    pub kid: String,
    pub status: String,
    pub private_key: Vec<u8>,
    pub modulus: String,
    pub exponent: String,
    pub created_at: NaiveDateTime,
}

/// The server's public keys (every status), newest first.
pub fn public_keys(conn: &mut DbConn, tenant: &str, server: &str) -> Result<Vec<PublicKey>> {
    keys_of(conn, Some(tenant), server)
}

/// The public keys of a server id in every tenant (a face whose key set is not per tenant:
/// OCS's one JWKS), newest first.
pub fn public_keys_any_tenant(conn: &mut DbConn, server: &str) -> Result<Vec<PublicKey>> {
    keys_of(conn, None, server)
}

fn keys_of(conn: &mut DbConn, tenant: Option<&str>, server: &str) -> Result<Vec<PublicKey>> {
    let mut query = signing_keys::table
        .filter(signing_keys::server_id.eq(server))
        .into_boxed();
    if let Some(t) = tenant {
        query = query.filter(signing_keys::tenant_id.eq(t));
    }
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = query
        .order(signing_keys::created_at.desc())
        .select((
            signing_keys::kid,
            signing_keys::status,
            signing_keys::modulus,
            signing_keys::exponent,
            signing_keys::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(kid, status, n, e, created_at)| {
            Ok(PublicKey {
                kid,
                status: status.parse()?,
                n,
                e,
                created_at: utc(created_at),
            })
        })
        .collect()
}

/// The private key (PKCS#1 DER) of the server's key in `status`, with its kid.
pub fn key_with_status(
    conn: &mut DbConn,
    tenant: &str,
    server: &str,
    status: KeyStatus,
) -> Result<Option<(String, Vec<u8>)>> {
    Ok(signing_keys::table
        .filter(signing_keys::tenant_id.eq(tenant))
        .filter(signing_keys::server_id.eq(server))
        .filter(signing_keys::status.eq(status.as_str()))
        .select((signing_keys::kid, signing_keys::private_key))
        .first(conn)
        .optional()?)
}

/// Inserts a key; false when the server already has a key in that status (another
/// replica made one first).
pub fn insert_key(conn: &mut DbConn, row: &KeyRow) -> Result<bool> {
    let insert = diesel::insert_into(signing_keys::table).values(row);
    let n = match conn {
        DbConn::Sqlite(c) => insert.on_conflict_do_nothing().execute(c)?,
        DbConn::Postgres(c) => insert.on_conflict_do_nothing().execute(c)?,
    };
    Ok(n == 1)
}

pub fn set_key_status(
    conn: &mut DbConn,
    tenant: &str,
    server: &str,
    from: KeyStatus,
    to: KeyStatus,
) -> Result<usize> {
    Ok(diesel::update(
        signing_keys::table
            .filter(signing_keys::tenant_id.eq(tenant))
            .filter(signing_keys::server_id.eq(server))
            .filter(signing_keys::status.eq(from.as_str())),
    )
    .set(signing_keys::status.eq(to.as_str()))
    .execute(conn)?)
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = login_sessions)]
pub struct SessionRow {
    pub digest: Vec<u8>,
    pub tenant_id: String,
    pub user_id: String,
    pub kind: String,
    pub auth_time: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

pub fn insert_session(conn: &mut DbConn, row: &SessionRow) -> Result<()> {
    diesel::insert_into(login_sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A session that has not ended and has not expired at `at`.
pub fn find_live_session(
    conn: &mut DbConn,
    digest: &[u8],
    kind: &str,
    at: DateTime<Utc>,
) -> Result<Option<SessionRow>> {
    Ok(login_sessions::table
        .filter(login_sessions::digest.eq(digest))
        .filter(login_sessions::kind.eq(kind))
        .filter(login_sessions::ended_at.is_null())
        .filter(login_sessions::expires_at.gt(naive(at)))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ends a live session; 1 when this call ended it (single use of one-time tokens).
pub fn end_session(conn: &mut DbConn, digest: &[u8], at: DateTime<Utc>) -> Result<usize> {
    Ok(diesel::update(
        login_sessions::table
            .filter(login_sessions::digest.eq(digest))
            .filter(login_sessions::ended_at.is_null()),
    )
    .set(login_sessions::ended_at.eq(Some(naive(at))))
    .execute(conn)?)
}

#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = authorization_codes)]
pub struct CodeRow {
    pub digest: Vec<u8>,
    pub tenant_id: String,
    pub server_id: String,
    pub client_id: String,
    pub user_id: String,
    pub grant_id: Option<String>,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
    pub scopes: String,
    pub auth_time: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub family_id: Option<String>,
}

pub fn insert_code(conn: &mut DbConn, row: &CodeRow) -> Result<()> {
    diesel::insert_into(authorization_codes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_code(conn: &mut DbConn, digest: &[u8]) -> Result<Option<CodeRow>> {
    Ok(authorization_codes::table
        .filter(authorization_codes::digest.eq(digest))
        .select(CodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks an unused code used by the family it made; 1 when this call used it.
pub fn use_code(
    conn: &mut DbConn,
    digest: &[u8],
    family: &str,
    at: DateTime<Utc>,
) -> Result<usize> {
    Ok(diesel::update(
        authorization_codes::table
            .filter(authorization_codes::digest.eq(digest))
            .filter(authorization_codes::used_at.is_null()),
    )
    .set((
        authorization_codes::used_at.eq(Some(naive(at))),
        authorization_codes::family_id.eq(Some(family)),
    ))
    .execute(conn)?)
}

#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = token_families)]
pub struct FamilyRow {
    pub id: String,
    pub tenant_id: String,
    pub server_id: String,
    pub client_id: String,
    pub user_id: String,
    pub grant_id: Option<String>,
    pub scopes: String,
    pub auth_time: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_family(conn: &mut DbConn, row: &FamilyRow) -> Result<()> {
    diesel::insert_into(token_families::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_family(conn: &mut DbConn, tenant: &str, id: &str) -> Result<Option<FamilyRow>> {
    Ok(token_families::table
        .filter(token_families::id.eq(id))
        .filter(token_families::tenant_id.eq(tenant))
        .select(FamilyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Revokes families that are not revoked yet; returns how many.
pub fn revoke_families(conn: &mut DbConn, ids: &[String], at: DateTime<Utc>) -> Result<usize> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        n += diesel::update(
            token_families::table
                .filter(token_families::id.eq_any(chunk))
                .filter(token_families::revoked_at.is_null()),
        )
        .set(token_families::revoked_at.eq(Some(naive(at))))
        .execute(conn)?;
    }
    Ok(n)
}

/// Revokes every live family issued under these grants (the grants' revocation).
pub fn revoke_families_of_grants(
    conn: &mut DbConn,
    grant_ids: &[String],
    at: DateTime<Utc>,
) -> Result<usize> {
    let mut n = 0;
    for chunk in grant_ids.chunks(500) {
        n += diesel::update(
            token_families::table
                .filter(token_families::grant_id.eq_any(chunk))
                .filter(token_families::revoked_at.is_null()),
        )
        .set(token_families::revoked_at.eq(Some(naive(at))))
        .execute(conn)?;
    }
    Ok(n)
}

/// Live families of a grant, with their stored scopes.
pub fn live_families_of_grant(conn: &mut DbConn, grant_id: &str) -> Result<Vec<(String, String)>> {
    Ok(token_families::table
        .filter(token_families::grant_id.eq(grant_id))
        .filter(token_families::revoked_at.is_null())
        .select((token_families::id, token_families::scopes))
        .load(conn)?)
}

/// Revokes the live families of a client (the client disabled or deleted).
pub fn revoke_families_of_client(
    conn: &mut DbConn,
    tenant: &str,
    client_id: &str,
    at: DateTime<Utc>,
) -> Result<usize> {
    Ok(diesel::update(
        token_families::table
            .filter(token_families::tenant_id.eq(tenant))
            .filter(token_families::client_id.eq(client_id))
            .filter(token_families::revoked_at.is_null()),
    )
    .set(token_families::revoked_at.eq(Some(naive(at))))
    .execute(conn)?)
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub digest: Vec<u8>,
    pub family_id: String,
    pub created_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
}

pub fn insert_refresh(conn: &mut DbConn, row: &RefreshRow) -> Result<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A refresh token with its family, in one query.
pub fn find_refresh(conn: &mut DbConn, digest: &[u8]) -> Result<Option<(RefreshRow, FamilyRow)>> {
    Ok(refresh_tokens::table
        .inner_join(token_families::table)
        .filter(refresh_tokens::digest.eq(digest))
        .select((RefreshRow::as_select(), FamilyRow::as_select()))
        .first(conn)
        .optional()?)
}

/// Marks a refresh token rotated (first rotation only); 1 when this call rotated it.
pub fn rotate_refresh(conn: &mut DbConn, digest: &[u8], at: DateTime<Utc>) -> Result<usize> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::digest.eq(digest))
            .filter(refresh_tokens::rotated_at.is_null()),
    )
    .set(refresh_tokens::rotated_at.eq(Some(naive(at))))
    .execute(conn)?)
}

pub fn revoke_access_token(
    conn: &mut DbConn,
    tenant: &str,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    let insert = diesel::insert_into(revoked_access_tokens::table).values((
        revoked_access_tokens::jti.eq(jti),
        revoked_access_tokens::tenant_id.eq(tenant),
        revoked_access_tokens::expires_at.eq(naive(expires_at)),
    ));
    match conn {
        DbConn::Sqlite(c) => insert.on_conflict_do_nothing().execute(c)?,
        DbConn::Postgres(c) => insert.on_conflict_do_nothing().execute(c)?,
    };
    Ok(())
}

pub fn access_token_revoked(conn: &mut DbConn, jti: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        revoked_access_tokens::table.filter(revoked_access_tokens::jti.eq(jti)),
    ))
    .get_result(conn)?)
}
