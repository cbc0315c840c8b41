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
//! `authorization_code` grant of the user for the client. Every file is loaded in one
//! transaction (grant-core `import_batches`): all or nothing. Client secrets cannot be
//! captured: add them with the Secrets endpoint or `grantctl credential add`.

use std::collections::BTreeMap;

use grant_core::CoreError;
use grant_core::model::{ClientKind, GrantType, NewClient, NewGrant, NewUser, UserKey};
use grant_core::service::import::{ImportBatch, ImportedGrant};
use serde::Deserialize;

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

/// Translates one captured document into the canonical records it holds (ids
/// normalized to lowercase GUIDs; each persisted grant becomes one `authorization_code`
/// grant of the user for the client).
pub fn parse_document(doc: Captured) -> Result<ImportBatch, CoreError> {
    let captured = doc
        .authorization_code_clients
        .into_iter()
        .map(|c| (c, ClientKind::AuthorizationCode))
        .chain(
            doc.client_credential_clients
                .into_iter()
                .map(|c| (c, ClientKind::ClientCredentials)),
        );
    let clients = captured
        .map(|(c, kind)| new_client(c, kind))
        .collect::<Result<Vec<_>, _>>()?;
    let users = doc
        .users
        .into_iter()
        .map(|u| {
            let id = normalize_id(&u.id);
            let login = u
                .email
                .or(u.external_user_id)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| id.clone());
            NewUser {
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
            }
        })
        .collect();
    let mut grants = Vec::new();
    for (user, client_ids) in doc.persisted_grants {
        let user = normalize_id(&user);
        for client in client_ids {
            let client = normalize_id(&client);
            let mut grant = NewGrant::new("", &client);
            grant.grant_type = GrantType::AuthorizationCode;
            grants.push(ImportedGrant {
                user_key: UserKey::Id,
                user_value: user.clone(),
                client_id: client,
                grant,
                revoked_at: None,
            });
        }
    }
    Ok(ImportBatch {
        tenant: doc.tenant_id.as_deref().map(normalize_id),
        clients,
        users,
        grants,
    })
}

/// One captured file: a document as above.
pub fn parse_file(text: &str) -> Result<ImportBatch, String> {
    let doc: Captured = serde_json::from_str(text).map_err(|e| e.to_string())?;
    parse_document(doc).map_err(|e| e.to_string())
}
