//! Everything in the store as one JSON document, and back. Both ways stream: `write_export`
//! writes records as the database returns them, `import_from` inserts them in batches as
//! they are read, so memory stays flat whatever the number of grants.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::model::{
    AuditEvent, Client, ConsentId, CredentialKind, Grant, ScopeDefinition, Tenant, TenantRole,
    User, UserKey, default_faces,
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
/// credentials' `scopes` and `roles` as arrays (older: space- and comma-joined strings);
/// tenants' `status` (absent in older documents: active).
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

/// The whole store in memory (small stores and tests; `write_export` streams the same
/// document).
pub fn export(conn: &mut DbConn) -> Result<Snapshot> {
    dialect::snapshot_tx(conn, |conn| {
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

/// Why a streamed export or import stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The store refused (a conflict, an invalid record, an unreachable database).
    #[error(transparent)]
    Store(#[from] CoreError),
    /// Reading or writing the document failed.
    #[error("{0}")]
    Io(std::io::Error),
    /// The document is not an export (malformed JSON, a record of the wrong shape, a missing
    /// or unknown field); names the record (`grants[41]`) and the position.
    #[error("{0}")]
    Document(String),
}

/// How many records of the store `write_export` writes (for a progress bar).
pub fn record_count(conn: &mut DbConn) -> Result<u64> {
    crate::store::admin::record_count(conn)
}

/// Writes the export document to `out`: byte for byte `serde_json::to_string_pretty` of
/// [`export`], but each record is written as the database returns it (one read transaction,
/// one snapshot), so memory stays flat. `on_record` is called after each record.
pub fn write_export<W: Write>(
    conn: &mut DbConn,
    out: W,
    on_record: &mut dyn FnMut(),
) -> std::result::Result<(), TransferError> {
    let mut doc = DocWriter {
        out,
        fields: 0,
        items: 0,
        buf: Vec::new(),
        io: None,
        on_record,
    };
    let written = dialect::snapshot_tx(conn, |conn| {
        doc.field("format")?;
        doc.raw(FORMAT_VERSION.to_string().as_bytes())?;
        doc.list("tenants", &tenants::list_tenants(conn)?)?;
        doc.list("roles", &roles::list_roles(conn, None)?)?;
        doc.list("users", &users::list_users(conn, None)?)?;
        doc.list("clients", &clients::list_clients(conn, None)?)?;
        doc.list("scopes", &scopes::list_scopes(conn, None)?)?;
        doc.begin("grants")?;
        grants::for_each_grant(conn, |g| doc.item(&g))?;
        doc.end()?;
        doc.begin("consent_ids")?;
        grants::for_each_consent_id(conn, |c| doc.item(&c))?;
        doc.end()?;
        doc.begin("credentials")?;
        credentials::for_each_credential(conn, |r| doc.item(&CredentialRecord::from(r)))?;
        doc.end()?;
        doc.begin("audit")?;
        audit::for_each_audit(conn, |e| doc.item(&e))?;
        doc.end()?;
        doc.raw(b"\n}")?;
        doc.out.flush().map_err(|e| doc.failed(e))
    });
    match (written, doc.io) {
        (_, Some(e)) => Err(TransferError::Io(e)),
        (Ok(()), None) => Ok(()),
        (Err(e), None) => Err(TransferError::Store(e)),
    }
}

/// Writes the top-level object the way serde_json's pretty printer does (two-space indent),
/// one record at a time.
struct DocWriter<'p, W: Write> {
    out: W,
    fields: usize,
    items: usize,
    buf: Vec<u8>,
    /// The write error that stopped the export (the store error returned is a stand-in).
    io: Option<std::io::Error>,
    on_record: &'p mut dyn FnMut(),
}

impl<W: Write> DocWriter<'_, W> {
    fn failed(&mut self, e: std::io::Error) -> CoreError {
        self.io = Some(e);
        CoreError::Internal("the export could not be written".into())
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| self.failed(e))
    }

    fn field(&mut self, key: &str) -> Result<()> {
        self.raw(if self.fields == 0 { b"{\n  " } else { b",\n  " })?;
        self.fields += 1;
        let key = serde_json::to_vec(key)?;
        self.raw(&key)?;
        self.raw(b": ")
    }

    fn begin(&mut self, key: &str) -> Result<()> {
        self.field(key)?;
        self.items = 0;
        self.raw(b"[")
    }

    /// One array element, indented two levels: JSON strings hold no raw newline, so every
    /// newline of the pretty-printed record starts a line to indent.
    fn item<T: Serialize>(&mut self, item: &T) -> Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        serde_json::to_writer_pretty(&mut buf, item)?;
        self.raw(if self.items == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        for (i, line) in buf.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                self.raw(b"\n    ")?;
            }
            self.raw(line)?;
        }
        self.buf = buf;
        self.items += 1;
        (self.on_record)();
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.raw(if self.items == 0 { b"]" } else { b"\n  ]" })
    }

    fn list<T: Serialize>(&mut self, key: &str, items: &[T]) -> Result<()> {
        self.begin(key)?;
        for item in items {
            self.item(item)?;
        }
        self.end()
    }
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

fn check_format(format: u32) -> Result<()> {
    if (OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&format) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "format",
            format!("expected {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}, got {format}"),
        ))
    }
}

/// Loads a snapshot in one transaction: all of it, or nothing; then refreshes the planner's
/// statistics (`dialect::refresh_statistics`).
pub fn import(conn: &mut DbConn, snap: &Snapshot) -> Result<ImportCounts> {
    check_format(snap.format)?;
    let counts = dialect::write_tx(conn, |conn| {
        let mut l = Loader {
            conn,
            counts: ImportCounts::default(),
        };
        l.tenants(&snap.tenants)?;
        l.roles(&snap.roles)?;
        l.users(&snap.users)?;
        l.clients(&snap.clients)?;
        l.scopes(&snap.scopes)?;
        l.grants(&snap.grants)?;
        l.consent_ids(&snap.consent_ids)?;
        l.credentials(&snap.credentials)?;
        l.audit(&snap.audit)?;
        Ok(l.counts)
    })?;
    dialect::refresh_statistics(conn)?;
    Ok(counts)
}

/// Records inserted per batch (one multi-row INSERT per table, in a savepoint).
const BATCH: usize = 500;
/// SQLite's page cache during an import: the grants' indexes are written in random order,
/// and with the default 2 MiB cache their pages went to the WAL and back millions of times.
const IMPORT_CACHE_MIB: u32 = 32;

/// Loads a document written by `write_export` (or an older format) from `input` in one
/// transaction: all of it, or nothing. Records are validated and inserted in batches as
/// they are read, in document order, so memory stays flat. Grants, consent ids and
/// credentials refer to tenants, users and clients: those must come first in the document
/// (as `write_export` writes them); a grant whose user or client was not loaded before it is
/// refused, naming the grant. Then the planner's statistics are refreshed.
pub fn import_from<R: Read>(
    conn: &mut DbConn,
    input: R,
) -> std::result::Result<ImportCounts, TransferError> {
    let mut stop: Option<TransferError> = None;
    let loaded = dialect::with_large_cache(conn, IMPORT_CACHE_MIB, |conn| {
        dialect::write_tx(conn, |conn| {
            let mut state = Streamed {
                loader: Loader {
                    conn,
                    counts: ImportCounts::default(),
                },
                seen: HashSet::new(),
                failure: None,
            };
            let mut de = serde_json::Deserializer::from_reader(input);
            let parsed = Document(&mut state)
                .deserialize(&mut de)
                .and_then(|()| de.end());
            let failure = match parsed {
                Ok(()) => match REQUIRED.iter().find(|k| !state.seen.contains(**k)) {
                    None => return Ok(state.loader.counts),
                    Some(k) => TransferError::Document(format!("missing field `{k}`")),
                },
                Err(e) => state
                    .failure
                    .take()
                    .unwrap_or_else(|| parse_failure(e, None)),
            };
            stop = Some(failure);
            Err(CoreError::Internal("import stopped".into()))
        })
    })
    .and_then(|loaded| loaded);
    match (loaded, stop) {
        (_, Some(failure)) => Err(failure),
        (Ok(counts), None) => {
            dialect::refresh_statistics(conn).map_err(TransferError::Store)?;
            Ok(counts)
        }
        (Err(e), None) => Err(TransferError::Store(e)),
    }
}

fn parse_failure(e: serde_json::Error, record: Option<String>) -> TransferError {
    if e.is_io() {
        return TransferError::Io(std::io::Error::other(e.to_string()));
    }
    match record {
        Some(r) => TransferError::Document(format!("{r}: {e}")),
        None => TransferError::Document(e.to_string()),
    }
}

/// The document's fields, in the order an export writes them (and an import needs them:
/// what a record refers to comes before it).
pub const FIELDS: &[&str] = &[
    "format",
    "tenants",
    "roles",
    "users",
    "clients",
    "scopes",
    "grants",
    "consent_ids",
    "credentials",
    "audit",
];
/// The fields a document must have (`roles` and `consent_ids` came later: absent is empty).
const REQUIRED: &[&str] = &[
    "format",
    "tenants",
    "users",
    "clients",
    "scopes",
    "grants",
    "credentials",
    "audit",
];

/// What a streamed import holds while the document is read.
struct Streamed<'c> {
    loader: Loader<'c>,
    seen: HashSet<&'static str>,
    /// What stopped the import (the serde error returned is a stand-in).
    failure: Option<TransferError>,
}

/// The top-level object: each field is handled as soon as its value is read.
struct Document<'s, 'c>(&'s mut Streamed<'c>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a grantctl export (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(field) = FIELDS.iter().copied().find(|f| *f == key) else {
                return Err(de::Error::unknown_field(&key, FIELDS));
            };
            if !st.seen.insert(field) {
                return Err(de::Error::duplicate_field(field));
            }
            match field {
                "format" => {
                    let format: u32 = map.next_value()?;
                    if let Err(e) = check_format(format) {
                        st.failure = Some(e.into());
                        return Err(de::Error::custom("unsupported format"));
                    }
                }
                "tenants" => map.next_value_seed(Section::new(st, field, Loader::tenants))?,
                "roles" => map.next_value_seed(Section::new(st, field, Loader::roles))?,
                "users" => map.next_value_seed(Section::new(st, field, Loader::users))?,
                "clients" => map.next_value_seed(Section::new(st, field, Loader::clients))?,
                "scopes" => map.next_value_seed(Section::new(st, field, Loader::scopes))?,
                "grants" => map.next_value_seed(Section::new(st, field, Loader::grants))?,
                "consent_ids" => {
                    map.next_value_seed(Section::new(st, field, Loader::consent_ids))?
                }
                "credentials" => {
                    map.next_value_seed(Section::new(st, field, Loader::credentials))?
                }
                _ => map.next_value_seed(Section::new(st, field, Loader::audit))?,
            }
        }
        Ok(())
    }
}

/// One array of records, loaded in batches of `BATCH` as its elements are read.
struct Section<'s, 'c, T, F> {
    st: &'s mut Streamed<'c>,
    name: &'static str,
    load: F,
    record: PhantomData<T>,
}

impl<'s, 'c, T, F> Section<'s, 'c, T, F>
where
    F: FnMut(&mut Loader<'c>, &[T]) -> Result<()>,
{
    fn new(st: &'s mut Streamed<'c>, name: &'static str, load: F) -> Self {
        Section {
            st,
            name,
            load,
            record: PhantomData,
        }
    }

    fn flush<E: de::Error>(&mut self, batch: &mut Vec<T>) -> std::result::Result<(), E> {
        let loaded = (self.load)(&mut self.st.loader, batch);
        batch.clear();
        loaded.map_err(|e| {
            self.st.failure = Some(e.into());
            E::custom("import stopped")
        })
    }
}

impl<'de, 'c, T, F> DeserializeSeed<'de> for Section<'_, 'c, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(&mut Loader<'c>, &[T]) -> Result<()>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 'c, T, F> Visitor<'de> for Section<'_, 'c, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(&mut Loader<'c>, &[T]) -> Result<()>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an array of {}", self.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> std::result::Result<(), A::Error> {
        let mut batch = Vec::with_capacity(BATCH);
        let mut index = 0usize;
        loop {
            match seq.next_element::<T>() {
                Ok(Some(record)) => {
                    batch.push(record);
                    index += 1;
                    if batch.len() == BATCH {
                        self.flush(&mut batch)?;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // The position is the reader's; the record is named by its index.
                    let name = format!("{}[{index}]", self.name);
                    self.st.failure = Some(TransferError::Document(format!("{name}: {e}")));
                    return Err(e);
                }
            }
        }
        self.flush(&mut batch)
    }
}

/// Validates and inserts records in batches inside the caller's write transaction; a
/// failure names the record and its field.
struct Loader<'c> {
    conn: &'c mut DbConn,
    counts: ImportCounts,
}

impl Loader<'_> {
    fn tenants(&mut self, items: &[Tenant]) -> Result<()> {
        for t in items {
            if t.id.trim().is_empty() {
                return Err(CoreError::invalid("tenant: id", "must not be empty"));
            }
            named(
                self.conn,
                |c| tenants::insert_tenant(c, t),
                |_| Ok(Some(format!("tenant {}", t.id))),
            )?;
        }
        self.counts.tenants += items.len();
        Ok(())
    }

    fn roles(&mut self, items: &[TenantRole]) -> Result<()> {
        for r in items {
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
        named(
            self.conn,
            |c| roles::insert_roles(c, items),
            |c| {
                for r in items {
                    if !roles::find_roles(c, &r.tenant_id, std::slice::from_ref(&r.id))?.is_empty()
                    {
                        return Ok(Some(format!("role {} of tenant {}", r.id, r.tenant_id)));
                    }
                }
                Ok(None)
            },
        )?;
        self.counts.roles += items.len();
        Ok(())
    }

    fn users(&mut self, items: &[User]) -> Result<()> {
        for u in items {
            if u.login.trim().is_empty() {
                return Err(CoreError::invalid(
                    format!("user {}: login", u.id),
                    "must not be empty",
                ));
            }
        }
        named(
            self.conn,
            |c| users::insert_users(c, items),
            |c| {
                for u in items {
                    if users::taken_identifier(c, u)?.is_some() {
                        return Ok(Some(format!("user {}", u.id)));
                    }
                }
                Ok(None)
            },
        )?;
        self.counts.users += items.len();
        Ok(())
    }

    fn clients(&mut self, items: &[Client]) -> Result<()> {
        for c in items {
            crate::service::clients::check(c)
                .map_err(|e| e.in_record(&format!("client {}", c.id)))?;
        }
        named(
            self.conn,
            |c| clients::insert_clients(c, items),
            |c| {
                for cl in items {
                    if clients::find_client(c, &cl.tenant_id, &cl.id)?.is_some() {
                        return Ok(Some(format!("client {} of tenant {}", cl.id, cl.tenant_id)));
                    }
                }
                Ok(None)
            },
        )?;
        self.counts.clients += items.len();
        Ok(())
    }

    fn scopes(&mut self, items: &[ScopeDefinition]) -> Result<()> {
        scopes::insert_scopes(self.conn, items)?;
        self.counts.scopes += items.len();
        Ok(())
    }

    fn grants(&mut self, items: &[Grant]) -> Result<()> {
        named(
            self.conn,
            |c| grants::insert_grants(c, items),
            |c| {
                let mut ids = HashSet::new();
                for g in items {
                    if !ids.insert(g.id.as_str())
                        || grants::find_grant(c, &g.tenant_id, &g.id)?.is_some()
                    {
                        return Ok(Some(format!("grant {}", g.id)));
                    }
                }
                Ok(None)
            },
        )
        .map_err(|e| match e {
            CoreError::Invalid { field, .. } if field == "reference" => {
                missing_reference(self.conn, items)
            }
            other => other,
        })?;
        self.counts.grants += items.len();
        Ok(())
    }

    /// Gives consents the ids they had when exported; only those that differ from the id
    /// the grant's insert gave them are updated (a single-scope grant's consent already has
    /// the grant's id).
    fn consent_ids(&mut self, items: &[ConsentId]) -> Result<()> {
        let grant_ids: Vec<&str> = items.iter().map(|c| c.grant_id.as_str()).collect();
        let current = grants::consent_ids_of(self.conn, &grant_ids)?;
        let changed: Vec<ConsentId> = items
            .iter()
            .filter(|c| current.get(&(c.grant_id.clone(), c.scope.clone())) != Some(&c.id))
            .cloned()
            .collect();
        grants::set_consent_ids(self.conn, &changed)
    }

    fn credentials(&mut self, items: &[CredentialRecord]) -> Result<()> {
        let rows = items
            .iter()
            .map(|r| {
                CredentialRow::try_from(r).map_err(|e| e.in_record(&format!("credential {}", r.id)))
            })
            .collect::<Result<Vec<_>>>()?;
        credentials::insert_credentials(self.conn, &rows)?;
        self.counts.credentials += rows.len();
        Ok(())
    }

    fn audit(&mut self, items: &[AuditEvent]) -> Result<()> {
        audit::insert_audit(self.conn, items)?;
        self.counts.audit += items.len();
        Ok(())
    }
}

/// The first grant of a batch whose tenant, user or client is not in the store (a foreign
/// key refused the batch), named with what it lacks.
fn missing_reference(conn: &mut DbConn, items: &[Grant]) -> CoreError {
    let lacking = |conn: &mut DbConn, g: &Grant| -> Result<Option<String>> {
        if tenants::find_tenant(conn, &g.tenant_id)?.is_none() {
            return Ok(Some(format!("tenant '{}'", g.tenant_id)));
        }
        if users::find_user(conn, &g.tenant_id, UserKey::Id, &g.user_id)?.is_none() {
            return Ok(Some(format!("user '{}'", g.user_id)));
        }
        if clients::find_client(conn, &g.tenant_id, &g.client_id)?.is_none() {
            return Ok(Some(format!("client '{}'", g.client_id)));
        }
        Ok(None)
    };
    for g in items {
        match lacking(conn, g) {
            Ok(Some(what)) => {
                return CoreError::invalid(
                    format!("grant {}", g.id),
                    format!(
                        "its {what} is not in the store nor earlier in the document (tenants, \
                         users and clients must come before the grants that refer to them)"
                    ),
                );
            }
            Ok(None) => {}
            Err(e) => return e,
        }
    }
    CoreError::invalid("reference", "refers to a record that does not exist")
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
