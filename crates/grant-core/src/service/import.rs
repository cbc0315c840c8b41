//! Loads grants captured from a real vendor (each gateway parses its vendor's JSON into
//! `ImportedGrant`s): users and clients that do not exist yet are created, grant ids and
//! times are kept. One transaction: all of it or nothing.

use crate::model::TenantId;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{AliasVendor, AuditAction};
use crate::model::{
    Grant, GrantStatus, NewClient, NewGrant, NewUser, TenantRole, User, UserKey, to_millis,
};
use crate::service::{audit, clients as client_rules, directory, grants as grant_rules, ids};
use crate::store::{DbConn, audit as audit_store, clients, dialect, grants, roles, users};
use crate::{CoreError, Result};

/// One grant as a vendor showed it.
#[derive(Debug, Clone)]
pub struct ImportedGrant {
    /// How the vendor names the user, and the name.
    pub user_key: UserKey,
    pub user_value: String,
    pub client_id: String,
    /// `grant.user_id` is ignored: the user is resolved (or created) from `user_value`.
    pub grant: NewGrant,
    /// Set when the captured grant was already revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub grants: usize,
    pub users_created: usize,
    pub clients_created: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub roles_created: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn new_user(tenant: &TenantId, key: UserKey, value: &str) -> User {
    let id = if key == UserKey::Id {
        value.to_owned()
    } else {
        ids::guid()
    };
    let aliases = AliasVendor::ALL
        .iter()
        .map(|vendor| match key {
            UserKey::Alias(v) if v == *vendor => (v, value.to_owned()),
            _ => (*vendor, vendor.generated(&id)),
        })
        .collect();
    User {
        login: if key == UserKey::Login {
            value.to_owned()
        } else {
            format!("{value}@imported")
        },
        aliases,
        display_name: value.to_owned(),
        roles: Vec::new(),
        tenant_id: tenant.to_string(),
        created_at: crate::model::now(),
        profile: None,
        id,
    }
}

/// Inserts the grants (in a savepoint); a conflict names the grant whose id is taken.
fn insert_named(conn: &mut DbConn, tenant: &TenantId, built: &[Grant]) -> Result<()> {
    match dialect::write_tx(conn, |conn| grants::insert_grants(conn, built)) {
        Err(CoreError::Conflict(m)) => {
            let mut seen = std::collections::HashSet::new();
            for g in built {
                if !seen.insert(g.id.as_str()) || grants::find_grant(conn, tenant, &g.id)?.is_some()
                {
                    return Err(CoreError::Conflict(format!(
                        "grant {}: a grant with this id already exists",
                        g.id
                    )));
                }
            }
            Err(CoreError::Conflict(m))
        }
        other => other,
    }
}

pub fn import_grants(
    conn: &mut DbConn,
    tenant: &TenantId,
    items: Vec<ImportedGrant>,
    actor: &str,
) -> Result<ImportReport> {
    dialect::write_tx(conn, |conn| {
        let mut report = ImportReport::default();
        let mut user_ids: HashMap<(UserKey, String), String> = HashMap::new();
        let mut known_clients: HashMap<String, ()> = HashMap::new();
        let mut built: Vec<Grant> = Vec::with_capacity(items.len());
        for item in items {
            let key = (item.user_key, item.user_value.clone());
            let user_id = match user_ids.get(&key) {
                Some(id) => id.clone(),
                None => {
                    let id = match users::find_user(conn, tenant, item.user_key, &item.user_value)?
                    {
                        Some(u) => u.id,
                        None => {
                            let u = new_user(tenant, item.user_key, &item.user_value);
                            users::insert_users(conn, std::slice::from_ref(&u))?;
                            report.users_created += 1;
                            u.id
                        }
                    };
                    user_ids.insert(key, id.clone());
                    id
                }
            };
            if !known_clients.contains_key(&item.client_id) {
                if clients::find_client(conn, tenant, &item.client_id)?.is_none() {
                    let c = client_rules::build_client(
                        tenant,
                        NewClient {
                            id: Some(item.client_id.clone()),
                            name: Some(item.client_id.clone()),
                            ..NewClient::default()
                        },
                    )?;
                    clients::insert_clients(conn, std::slice::from_ref(&c))?;
                    report.clients_created += 1;
                }
                known_clients.insert(item.client_id.clone(), ());
            }
            let mut new = item.grant;
            new.user_id = user_id;
            new.client_id = item.client_id;
            let mut g = grant_rules::build(tenant, new);
            if let Some(at) = item.revoked_at {
                g.status = GrantStatus::Revoked;
                g.revoked_at = Some(to_millis(at));
                g.revoked_by = Some("import".into());
            }
            built.push(g);
        }
        insert_named(conn, tenant, &built)?;
        report.grants = built.len();
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::GrantsImported,
                "grants",
                "import",
                serde_json::to_value(&report)?,
            )],
        )?;
        Ok(report)
    })
}

/// Everything one captured document holds, already in canonical form: the records a
/// vendor's GET calls returned, parsed by the gateway.
#[derive(Debug, Default, Clone)]
pub struct ImportBatch {
    /// The tenant the document names (created when missing); None: the gateway's tenant.
    pub tenant: Option<String>,
    /// The tenant's name, when the document gives it (used when the tenant is created).
    pub tenant_name: Option<String>,
    /// Roles defined in the tenant (`tenant_id` is replaced by the batch's tenant).
    pub roles: Vec<TenantRole>,
    pub clients: Vec<NewClient>,
    pub users: Vec<NewUser>,
    pub grants: Vec<ImportedGrant>,
}

/// What one batch did, with the tenant it went to.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    pub tenant: String,
    #[serde(flatten)]
    pub counts: ImportReport,
}

/// Loads one batch (inside the caller's transaction, or its own): the tenant is created
/// when missing; clients and users that do not exist yet are created through the same
/// rules as the API (existing ones are kept as they are); then the grants.
pub fn import_batch(
    conn: &mut DbConn,
    default_tenant: &TenantId,
    batch: ImportBatch,
    actor: &str,
) -> Result<BatchReport> {
    dialect::write_tx(conn, |conn| {
        let tenant = batch
            .tenant
            .clone()
            .unwrap_or_else(|| default_tenant.to_string());
        let tenant_id = TenantId::new(&tenant);
        if directory::find_tenant(conn, tenant_id)?.is_none() {
            let name = batch.tenant_name.as_deref().unwrap_or(&tenant);
            directory::create_tenant(conn, Some(tenant.clone()), name)
                .map_err(|e| e.in_record(&format!("tenant {tenant}")))?;
        }
        let mut counts = ImportReport::default();
        for mut role in batch.roles {
            role.tenant_id = tenant.clone();
            let record = format!("role {}", role.id);
            if roles::find_roles(conn, &tenant, std::slice::from_ref(&role.id))?.is_empty() {
                directory::create_role(conn, role, actor).map_err(|e| e.in_record(&record))?;
                counts.roles_created += 1;
            }
        }
        for new in batch.clients {
            let record = format!("client {}", new.id.as_deref().unwrap_or("(without id)"));
            let exists = match new.id.as_deref() {
                Some(id) => clients::find_client(conn, &tenant, id)?.is_some(),
                None => false,
            };
            if !exists {
                client_rules::create_client(conn, tenant_id, new, actor)
                    .map_err(|e| e.in_record(&record))?;
                counts.clients_created += 1;
            }
        }
        for new in batch.users {
            // The user is known by the first identifier the document gives: its id, a
            // vendor's alias, its login.
            let (key, value) = match (&new.id, new.aliases.iter().next()) {
                (Some(id), _) => (UserKey::Id, id.as_str()),
                (None, Some((vendor, alias))) => (UserKey::Alias(*vendor), alias.as_str()),
                (None, None) => (UserKey::Login, new.login.as_str()),
            };
            let record = format!("user {value}");
            let exists = users::find_user(conn, &tenant, key, value)?.is_some();
            if !exists {
                directory::create_user(conn, tenant_id, new, actor)
                    .map_err(|e| e.in_record(&record))?;
                counts.users_created += 1;
            }
        }
        if !batch.grants.is_empty() {
            let r = import_grants(conn, tenant_id, batch.grants, actor)?;
            counts.grants = r.grants;
            counts.users_created += r.users_created;
            counts.clients_created += r.clients_created;
            counts.roles_created += r.roles_created;
        }
        Ok(BatchReport { tenant, counts })
    })
}

/// Loads every batch in ONE transaction: all of them or nothing.
pub fn import_batches(
    conn: &mut DbConn,
    default_tenant: &TenantId,
    batches: Vec<ImportBatch>,
    actor: &str,
) -> Result<Vec<BatchReport>> {
    dialect::write_tx(conn, |conn| {
        batches
            .into_iter()
            .map(|batch| import_batch(conn, default_tenant, batch, actor))
            .collect()
    })
}

/// Reads every file, turns each into canonical records with `parse` (the vendor's captured
/// JSON), and loads them all in one transaction, then refreshes the planner's statistics.
/// Errors name the file.
pub fn import_files(
    conn: &mut DbConn,
    default_tenant: &TenantId,
    files: &[String],
    actor: &str,
    parse: impl Fn(&str) -> std::result::Result<ImportBatch, String>,
) -> std::result::Result<Vec<BatchReport>, String> {
    let mut parsed = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        parsed.push((file, parse(&text).map_err(|e| format!("{file}: {e}"))?));
    }
    let mut failed = None;
    let reports = dialect::write_tx(conn, |conn| {
        let mut reports = Vec::with_capacity(parsed.len());
        for (file, batch) in parsed {
            match import_batch(conn, default_tenant, batch, actor) {
                Ok(report) => reports.push(report),
                Err(e) => {
                    failed = Some(file);
                    return Err(e);
                }
            }
        }
        Ok(reports)
    })
    .map_err(|e| match failed {
        Some(file) => format!("{file}: {e}"),
        None => e.to_string(),
    })?;
    dialect::refresh_statistics(conn).map_err(|e| e.to_string())?;
    Ok(reports)
}

impl ImportBatch {
    /// A batch of grants only (users and clients they name are created as needed).
    pub fn grants(grants: Vec<ImportedGrant>) -> Self {
        Self {
            grants,
            ..Self::default()
        }
    }
}

impl std::fmt::Display for BatchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tenant {}: {}", self.tenant, self.counts)
    }
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} grants ({} users and {} clients created)",
            self.grants, self.users_created, self.clients_created
        )
    }
}
