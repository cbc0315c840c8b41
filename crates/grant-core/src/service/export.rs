//! Everything in the store as one JSON document, and back.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{
    AuditEvent, Client, ConsentId, CredentialKind, Grant, ScopeDefinition, Tenant, TenantRole,
    User, default_faces,
};
use crate::store::rows::{CredentialRow, faces_column, json_list, naive, utc};
use crate::store::{
    DbConn, audit, clients, credentials, dialect, grants, roles, scopes, tenants, users,
};
use crate::{CoreError, Result};

/// 2: credentials carry `faces`. Format 1 documents still import: their credentials get
/// the faces their kind has been used for (`model::default_faces`, as the migration does).
/// 3: tenant `roles` and users' `profile` (both absent in older documents: no tenant roles,
/// no profiles).
/// 4: users' vendor identifiers in an `aliases` map (older: `okta_id` and `universal`);
/// credentials' `scopes` and `roles` as arrays (older: space- and comma-joined strings).
pub const FORMAT_VERSION: u32 = 4;
/// The oldest format `import` reads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// A credential as exported: only its digest or hash, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialRecord {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub name: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub grant_id: Option<String>,
    /// Base64 of the SHA-256 digest of a token.
    pub digest: Option<String>,
    /// argon2id PHC string of a password or client secret.
    pub password_hash: Option<String>,
    #[serde(deserialize_with = "words_or_list")]
    pub scopes: Vec<String>,
    #[serde(deserialize_with = "comma_list_or_list")]
    pub roles: Vec<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The gateways the credential is made for (absent in format 1: derived from the kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faces: Option<Vec<String>>,
}

/// A list as format 4 writes it (an array), or as older formats did: one string, split at
/// `sep`.
fn list_or_joined<'de, D: serde::Deserializer<'de>>(
    d: D,
    sep: char,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Joined(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(l) => l,
        Either::Joined(s) => s
            .split(sep)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

fn words_or_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    list_or_joined(d, ' ')
}

fn comma_list_or_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    list_or_joined(d, ',')
}

impl From<CredentialRow> for CredentialRecord {
    fn from(r: CredentialRow) -> Self {
        CredentialRecord {
            id: r.id,
            tenant_id: r.tenant_id,
            kind: r.kind,
            name: r.name,
            user_id: r.user_id,
            client_id: r.client_id,
            grant_id: r.grant_id,
            digest: r.digest.map(|d| STANDARD.encode(d)),
            password_hash: r.password_hash,
            scopes: serde_json::from_str(&r.scopes).unwrap_or_default(),
            roles: serde_json::from_str(&r.roles).unwrap_or_default(),
            status: r.status,
            created_at: utc(r.created_at),
            expires_at: r.expires_at.map(utc),
            last_used_at: r.last_used_at.map(utc),
            faces: Some(serde_json::from_str(&r.faces).unwrap_or_default()),
        }
    }
}

impl TryFrom<&CredentialRecord> for CredentialRow {
    type Error = CoreError;
    fn try_from(r: &CredentialRecord) -> Result<Self> {
        let digest = match &r.digest {
            Some(d) => Some(
                STANDARD
                    .decode(d)
                    .map_err(|e| CoreError::invalid("credentials.digest", e.to_string()))?,
            ),
            None => None,
        };
        let faces = match &r.faces {
            Some(f) => f.clone(),
            None => default_faces(
                r.kind
                    .parse::<CredentialKind>()
                    .map_err(|_| CoreError::invalid("credentials.kind", r.kind.clone()))?,
                r.user_id.as_deref(),
                r.grant_id.as_deref(),
                &r.scopes,
            ),
        };
        Ok(CredentialRow {
            faces: faces_column(&faces),
            id: r.id.clone(),
            tenant_id: r.tenant_id.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            user_id: r.user_id.clone(),
            client_id: r.client_id.clone(),
            grant_id: r.grant_id.clone(),
            digest,
            password_hash: r.password_hash.clone(),
            scopes: json_list(&r.scopes),
            roles: json_list(&r.roles),
            status: r.status.clone(),
            created_at: naive(r.created_at),
            expires_at: r.expires_at.map(naive),
            last_used_at: r.last_used_at.map(naive),
        })
    }
}

/// The whole store. Lists are in a stable order, so two exports of the same data are
/// byte-identical whichever backend they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format: u32,
    pub tenants: Vec<Tenant>,
    /// Roles defined per tenant (absent before format 3).
    #[serde(default)]
    pub roles: Vec<TenantRole>,
    pub users: Vec<User>,
    pub clients: Vec<Client>,
    pub scopes: Vec<ScopeDefinition>,
    pub grants: Vec<Grant>,
    /// The Okta consent id of each (grant, scope); absent in older snapshots (ids are then
    /// made as for new grants).
    #[serde(default)]
    pub consent_ids: Vec<ConsentId>,
    pub credentials: Vec<CredentialRecord>,
    pub audit: Vec<AuditEvent>,
}

pub fn export(conn: &mut DbConn) -> Result<Snapshot> {
    dialect::read_tx(conn, |conn| {
        Ok(Snapshot {
            format: FORMAT_VERSION,
            tenants: tenants::list_tenants(conn)?,
            roles: roles::list_roles(conn, None)?,
            users: users::list_users(conn, None)?,
            clients: clients::list_clients(conn, None)?,
            scopes: scopes::list_scopes(conn, None)?,
            grants: grants::dump_grants(conn, None)?,
            consent_ids: grants::dump_consent_ids(conn, None)?,
            credentials: credentials::dump_credentials(conn, None)?
                .into_iter()
                .map(CredentialRecord::from)
                .collect(),
            audit: audit::list_audit(conn, None)?,
        })
    })
}

/// How many records of each kind an import loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub tenants: usize,
    pub roles: usize,
    pub users: usize,
    pub clients: usize,
    pub scopes: usize,
    pub grants: usize,
    pub credentials: usize,
    pub audit: usize,
}

/// Loads a snapshot in one transaction: all of it, or nothing.
pub fn import(conn: &mut DbConn, snap: &Snapshot) -> Result<ImportCounts> {
    if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&snap.format) {
        return Err(CoreError::invalid(
            "format",
            format!(
                "expected {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}, got {}",
                snap.format
            ),
        ));
    }
    let creds = snap
        .credentials
        .iter()
        .map(CredentialRow::try_from)
        .collect::<Result<Vec<_>>>()?;
    validate(snap)?;
    dialect::write_tx(conn, |conn| {
        for t in &snap.tenants {
            named(
                conn,
                |c| tenants::insert_tenant(c, t),
                |_| Ok(Some(format!("tenant {}", t.id))),
            )?;
        }
        named(
            conn,
            |c| roles::insert_roles(c, &snap.roles),
            |c| {
                for r in &snap.roles {
                    if !roles::find_roles(c, &r.tenant_id, std::slice::from_ref(&r.id))?.is_empty()
                    {
                        return Ok(Some(format!("role {} of tenant {}", r.id, r.tenant_id)));
                    }
                }
                Ok(None)
            },
        )?;
        named(
            conn,
            |c| users::insert_users(c, &snap.users),
            |c| {
                for u in &snap.users {
                    if users::taken_identifier(c, u)?.is_some() {
                        return Ok(Some(format!("user {}", u.id)));
                    }
                }
                Ok(None)
            },
        )?;
        named(
            conn,
            |c| clients::insert_clients(c, &snap.clients),
            |c| {
                for cl in &snap.clients {
                    if clients::find_client(c, &cl.tenant_id, &cl.id)?.is_some() {
                        return Ok(Some(format!("client {} of tenant {}", cl.id, cl.tenant_id)));
                    }
                }
                Ok(None)
            },
        )?;
        scopes::insert_scopes(conn, &snap.scopes)?;
        named(
            conn,
            |c| grants::insert_grants(c, &snap.grants),
            |c| {
                for g in &snap.grants {
                    if grants::find_grant(c, &g.tenant_id, &g.id)?.is_some() {
                        return Ok(Some(format!("grant {}", g.id)));
                    }
                }
                Ok(None)
            },
        )?;
        grants::set_consent_ids(conn, &snap.consent_ids)?;
        credentials::insert_credentials(conn, &creds)?;
        audit::insert_audit(conn, &snap.audit)?;
        Ok(ImportCounts {
            tenants: snap.tenants.len(),
            roles: snap.roles.len(),
            users: snap.users.len(),
            clients: snap.clients.len(),
            scopes: snap.scopes.len(),
            grants: snap.grants.len(),
            credentials: creds.len(),
            audit: snap.audit.len(),
        })
    })
}

/// The rules the API applies, checked on every record of a snapshot before anything is
/// written; a failure names the record and its field.
fn validate(snap: &Snapshot) -> Result<()> {
    for t in &snap.tenants {
        if t.id.trim().is_empty() {
            return Err(CoreError::invalid("tenant: id", "must not be empty"));
        }
    }
    for r in &snap.roles {
        for (field, value) in [
            ("id", &r.id),
            ("name", &r.name),
            ("role_type", &r.role_type),
        ] {
            if value.trim().is_empty() {
                return Err(CoreError::invalid(
                    format!("role {}: {field}", r.id),
                    "must not be empty",
                ));
            }
        }
    }
    for u in &snap.users {
        if u.login.trim().is_empty() {
            return Err(CoreError::invalid(
                format!("user {}: login", u.id),
                "must not be empty",
            ));
        }
    }
    for c in &snap.clients {
        crate::service::clients::check(c).map_err(|e| e.in_record(&format!("client {}", c.id)))?;
    }
    Ok(())
}

/// Runs `insert` in a savepoint; when it conflicts, `find` names the record already there
/// (None: the conflict is reported as it is).
fn named(
    conn: &mut DbConn,
    insert: impl FnOnce(&mut DbConn) -> Result<()>,
    find: impl FnOnce(&mut DbConn) -> Result<Option<String>>,
) -> Result<()> {
    match dialect::write_tx(conn, insert) {
        Err(CoreError::Conflict(m)) => match find(conn)? {
            Some(record) => Err(CoreError::Conflict(format!("{record} already exists"))),
            None => Err(CoreError::Conflict(m)),
        },
        other => other,
    }
}
