//! `ocs-compat import FILE…`: loads what the OCS Identity API returned for a real tenant —
//! the JSON of `GET …/AuthorizationCodeClients`, `GET …/ClientCredentialClients`,
//! `GET …/Users` and, per user, `GET …/Users/{userId}/PersistedGrants` — gathered in one
//! document per tenant:
//!
//! ```json
//! {"TenantId": "…", "AuthorizationCodeClients": [...], "ClientCredentialClients": [...],
//!  "Users": [...], "PersistedGrants": {"<userId>": ["<clientId>", ...]}}
//! ```
//!
//! Every member is optional. Ids are normalized to lowercase GUIDs; clients and users that
//! already exist are kept as they are; each persisted grant becomes one
//! `authorization_code` grant of the user for the client. Client secrets cannot be
//! captured: add them with the Secrets endpoint or `grantctl credential add`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use grant_core::model::{ClientKind, GrantType, NewClient, NewGrant, NewUser, UserKey};
use grant_core::service::import::{ImportedGrant, import_grants};
use grant_core::service::{clients, directory};
use grant_core::{CoreError, DbConn};
use serde::{Deserialize, Serialize};

use crate::json::{normalize_id, role_id};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CapturedClient {
    pub id: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub access_token_lifetime: Option<i32>,
    pub tags: Option<Vec<String>>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub allowed_cors_origins: Option<Vec<String>>,
    pub allow_offline_access: Option<bool>,
    pub role_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CapturedUser {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub external_user_id: Option<String>,
    pub role_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Captured {
    pub tenant_id: Option<String>,
    pub authorization_code_clients: Vec<CapturedClient>,
    pub client_credential_clients: Vec<CapturedClient>,
    pub users: Vec<CapturedUser>,
    pub persisted_grants: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub tenant: String,
    pub clients_created: usize,
    pub users_created: usize,
    pub grants: usize,
}

fn new_client(c: CapturedClient, kind: ClientKind) -> Result<NewClient, CoreError> {
    let id =
        c.id.filter(|s| !s.trim().is_empty())
            .ok_or_else(|| CoreError::invalid("Id", "every captured client needs an Id"))?;
    Ok(NewClient {
        id: Some(normalize_id(&id)),
        kind: Some(kind),
        name: c.name,
        enabled: c.enabled,
        access_token_lifetime: c.access_token_lifetime,
        redirect_uris: c.redirect_uris.unwrap_or_default(),
        post_logout_redirect_uris: c.post_logout_redirect_uris.unwrap_or_default(),
        client_uri: c.client_uri,
        logo_uri: c.logo_uri,
        tags: c.tags.unwrap_or_default(),
        allowed_cors_origins: c.allowed_cors_origins.unwrap_or_default(),
        allow_offline_access: c.allow_offline_access,
        roles: c
            .role_ids
            .unwrap_or_default()
            .iter()
            .map(|r| role_id(r))
            .collect(),
        ..NewClient::default()
    })
}

/// Loads one captured document into `default_tenant` (or its `TenantId`), creating the
/// tenant when missing.
pub fn import_document(
    conn: &mut DbConn,
    default_tenant: &str,
    doc: Captured,
) -> Result<Report, CoreError> {
    let actor = "ocs-compat import";
    let tenant = doc
        .tenant_id
        .as_deref()
        .map(normalize_id)
        .unwrap_or_else(|| default_tenant.to_owned());
    if directory::find_tenant(conn, &tenant)?.is_none() {
        directory::create_tenant(conn, Some(tenant.clone()), &tenant)?;
    }
    let mut report = Report {
        tenant: tenant.clone(),
        ..Report::default()
    };
    let captured = doc
        .authorization_code_clients
        .into_iter()
        .map(|c| (c, ClientKind::AuthorizationCode))
        .chain(
            doc.client_credential_clients
                .into_iter()
                .map(|c| (c, ClientKind::ClientCredentials)),
        );
    for (c, kind) in captured {
        let new = new_client(c, kind)?;
        let id = new.id.clone().unwrap_or_default();
        if clients::find_client(conn, &tenant, &id)?.is_none() {
            clients::create_client(conn, &tenant, new, actor)?;
            report.clients_created += 1;
        }
    }
    for u in doc.users {
        let id = normalize_id(&u.id);
        if directory::find_user(conn, &tenant, UserKey::Id, &id)?.is_some() {
            continue;
        }
        let login = u
            .email
            .or(u.external_user_id)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| id.clone());
        let new = NewUser {
            id: Some(id),
            login,
            display_name: u.name,
            roles: u
                .role_ids
                .unwrap_or_default()
                .iter()
                .map(|r| role_id(r))
                .collect(),
            ..NewUser::default()
        };
        directory::create_user(conn, &tenant, new, actor)?;
        report.users_created += 1;
    }
    let mut items = Vec::new();
    for (user, client_ids) in doc.persisted_grants {
        let user = normalize_id(&user);
        for client in client_ids {
            let client = normalize_id(&client);
            let mut grant = NewGrant::new("", &client);
            grant.grant_type = GrantType::AuthorizationCode;
            items.push(ImportedGrant {
                user_key: UserKey::Id,
                user_value: user.clone(),
                client_id: client,
                grant,
                revoked_at: None,
            });
        }
    }
    if !items.is_empty() {
        let r = import_grants(conn, &tenant, items, actor)?;
        report.grants = r.grants;
        report.users_created += r.users_created;
        report.clients_created += r.clients_created;
    }
    Ok(report)
}

pub fn import_files(
    conn: &mut DbConn,
    tenant: &str,
    files: &[String],
) -> Result<Vec<Report>, String> {
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let doc: Captured = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
        out.push(import_document(conn, tenant, doc).map_err(|e| format!("{file}: {e}"))?);
    }
    Ok(out)
}

pub fn main(args: Vec<String>) -> ExitCode {
    grant_http::run_import::<crate::Ocs>(
        "JSON documents of captured AuthorizationCodeClients, ClientCredentialClients, Users and \
         PersistedGrants; see the README",
        args,
        |conn, config, files| {
            let reports = import_files(conn, &config.server.tenant, files)?;
            Ok(reports
                .iter()
                .map(|r| {
                    format!(
                        "tenant {}: {} grants imported ({} clients and {} users created)",
                        r.tenant, r.grants, r.clients_created, r.users_created
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        },
    )
}
