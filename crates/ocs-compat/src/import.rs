//! `ocs-compat import FILE…`: loads what the OCS Identity API returned for a real tenant —
//! the JSON of `GET …/Roles`, `GET …/AuthorizationCodeClients`, `GET
//! …/ClientCredentialClients`, `GET …/Users` and, per user, the persisted grants — gathered
//! in one document per tenant:
//!
//! ```json
//! {"TenantId": "…", "TenantName": "…", "Roles": [...], "AuthorizationCodeClients": [...],
//!  "ClientCredentialClients": [...], "HybridClients": [...], "Users": [...],
//!  "PersistedGrants": {"<userId>": ["<clientId>", {"ClientId": "…", "Type": "refresh_token",
//!                       "CreationTime": "…", "Expiration": "…"}]}}
//! ```
//!
//! Every member is optional. Ids are normalized to lowercase GUIDs; roles, clients and users
//! that already exist are kept as they are; records keep the order they were captured in.
//! A persisted grant is a client id (the PersistedGrants GET) or an IdentityServer
//! `PersistedGrant` record (`Key`, `Type`, `ClientId`, `CreationTime`, `Expiration`,
//! `ConsumedTime`). Every file is loaded in one transaction (grant-core `import_files`): all
//! or nothing; a failure names the record and its field. Client secrets cannot be captured:
//! add them with the Secrets endpoint or `grantctl credential add`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use grant_core::CoreError;
use grant_core::model::{
    ClientKind, GrantType, NewClient, NewGrant, NewUser, TenantRole, UserKey, UserProfile, now,
};
use grant_core::service::import::{ImportBatch, ImportedGrant};
use serde::Deserialize;

use crate::json::{normalize_id, parse_guid, role_id};

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
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub contact_email: Option<String>,
    pub contact_given_name: Option<String>,
    pub contact_surname: Option<String>,
    pub external_user_id: Option<String>,
    pub identity_provider_id: Option<String>,
    pub role_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CapturedRole {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub role_scope: Option<i32>,
    pub tenant_id: Option<String>,
    pub community_id: Option<String>,
    pub role_type_id: String,
}

/// IdentityServer's `PersistedGrant` record (the fields a grant keeps).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CapturedPersistedGrant {
    pub key: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub client_id: String,
    pub creation_time: Option<DateTime<Utc>>,
    pub expiration: Option<DateTime<Utc>>,
    pub consumed_time: Option<DateTime<Utc>>,
}

/// One entry of a user's persisted grants: a client id, or a full record.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CapturedGrant {
    ClientId(String),
    Record(CapturedPersistedGrant),
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Captured {
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    pub roles: Vec<CapturedRole>,
    pub authorization_code_clients: Vec<CapturedClient>,
    pub client_credential_clients: Vec<CapturedClient>,
    /// `GET …/HybridClients` (v1-preview until 2021): kept, not served.
    pub hybrid_clients: Vec<CapturedClient>,
    pub users: Vec<CapturedUser>,
    pub persisted_grants: BTreeMap<String, Vec<CapturedGrant>>,
}

fn invalid(record: &str, field: &str, reason: impl Into<String>) -> CoreError {
    CoreError::invalid(format!("{record}: {field}"), reason)
}

/// A GUID property (any .NET form) in lowercase D form; 400-style error naming the record.
fn guid(record: &str, field: &str, raw: &str) -> Result<String, CoreError> {
    parse_guid(raw).ok_or_else(|| invalid(record, field, format!("'{raw}' is not a valid GUID")))
}

fn new_client(
    c: CapturedClient,
    kind: ClientKind,
    at: DateTime<Utc>,
) -> Result<NewClient, CoreError> {
    let id =
        c.id.filter(|s| !s.trim().is_empty())
            .ok_or_else(|| invalid("client", "Id", "every captured client needs an Id"))?;
    let record = format!("client {id}");
    Ok(NewClient {
        id: Some(guid(&record, "Id", &id)?),
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
        created_at: Some(at),
        ..NewClient::default()
    })
}

fn new_user(u: CapturedUser, at: DateTime<Utc>) -> Result<NewUser, CoreError> {
    let record = format!("user {}", u.id);
    let id = guid(&record, "Id", &u.id)?;
    if let Some(idp) = u.identity_provider_id.as_deref() {
        guid(&record, "IdentityProviderId", idp)?;
    }
    // The login (PingFederate's USER_KEY, Okta's login) is the address, else the external id.
    let login = u
        .email
        .clone()
        .or(u.external_user_id.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| id.clone());
    Ok(NewUser {
        id: Some(id),
        login,
        display_name: Some(u.name.unwrap_or_default()),
        roles: u
            .role_ids
            .unwrap_or_default()
            .iter()
            .map(|r| role_id(r))
            .collect(),
        profile: Some(UserProfile {
            given_name: u.given_name,
            surname: u.surname,
            email: u.email,
            contact_email: u.contact_email,
            contact_given_name: u.contact_given_name,
            contact_surname: u.contact_surname,
            external_user_id: u.external_user_id,
            identity_provider_id: u.identity_provider_id,
        }),
        created_at: Some(at),
        ..NewUser::default()
    })
}

fn new_role(r: CapturedRole, at: DateTime<Utc>) -> Result<TenantRole, CoreError> {
    let record = format!("role {}", r.id);
    if r.id.trim().is_empty() {
        return Err(invalid("role", "Id", "every captured role needs an Id"));
    }
    if r.name.trim().is_empty() {
        return Err(invalid(&record, "Name", "must not be empty"));
    }
    Ok(TenantRole {
        tenant_id: String::new(),
        id: guid(&record, "Id", &r.id)?,
        name: r.name,
        description: r.description.unwrap_or_default(),
        role_type: guid(&record, "RoleTypeId", &r.role_type_id)?,
        scope: r.role_scope.unwrap_or(1),
        community_id: r.community_id,
        created_at: at,
    })
}

/// IdentityServer's grant types → the store's (`reference_token` is an access token, not a
/// grant: refused).
fn grant_type(record: &str, raw: &str) -> Result<GrantType, CoreError> {
    Ok(match raw {
        "authorization_code" => GrantType::AuthorizationCode,
        "refresh_token" => GrantType::RefreshToken,
        "user_consent" => GrantType::Consent,
        "device_code" | "user_code" => GrantType::DeviceCode,
        "ciba" => GrantType::Ciba,
        other => {
            return Err(invalid(
                record,
                "Type",
                format!("'{other}' is not a persisted grant type this gateway keeps"),
            ));
        }
    })
}

fn new_grant(user: &str, g: CapturedGrant) -> Result<ImportedGrant, CoreError> {
    let rec = match g {
        CapturedGrant::ClientId(client_id) => CapturedPersistedGrant {
            client_id,
            ..CapturedPersistedGrant::default()
        },
        CapturedGrant::Record(r) => r,
    };
    let record = format!(
        "persisted grant {} of user {user}",
        rec.key.as_deref().unwrap_or(&rec.client_id)
    );
    if rec.client_id.trim().is_empty() {
        return Err(invalid(&record, "ClientId", "must not be empty"));
    }
    let client = normalize_id(&rec.client_id);
    let mut grant = NewGrant::new("", &client);
    grant.id = rec.key.filter(|k| !k.is_empty());
    grant.grant_type = match rec.kind.as_deref() {
        Some(t) => grant_type(&record, t)?,
        None => GrantType::AuthorizationCode,
    };
    grant.created_at = rec.creation_time;
    grant.updated_at = rec.creation_time;
    grant.expires_at = rec.expiration;
    Ok(ImportedGrant {
        user_key: UserKey::Id,
        user_value: user.to_owned(),
        client_id: client,
        grant,
        revoked_at: rec.consumed_time,
    })
}

/// Translates one captured document into the canonical records it holds.
pub fn parse_document(doc: Captured) -> Result<ImportBatch, CoreError> {
    // Records are created one millisecond apart, in the captured order, so lists (ordered
    // by creation time) come back in that order.
    let base = now();
    let mut tick = 0i64;
    let mut at = || {
        tick += 1;
        base + Duration::milliseconds(tick)
    };
    let roles = doc
        .roles
        .into_iter()
        .map(|r| new_role(r, at()))
        .collect::<Result<Vec<_>, _>>()?;
    let captured = doc
        .authorization_code_clients
        .into_iter()
        .map(|c| (c, ClientKind::AuthorizationCode))
        .chain(
            doc.client_credential_clients
                .into_iter()
                .map(|c| (c, ClientKind::ClientCredentials)),
        )
        .chain(
            doc.hybrid_clients
                .into_iter()
                .map(|c| (c, ClientKind::Hybrid)),
        );
    let clients = captured
        .map(|(c, kind)| new_client(c, kind, at()))
        .collect::<Result<Vec<_>, _>>()?;
    let users = doc
        .users
        .into_iter()
        .map(|u| new_user(u, at()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut grants = Vec::new();
    for (user, entries) in doc.persisted_grants {
        let user = guid(&format!("persisted grants of user {user}"), "userId", &user)?;
        for g in entries {
            grants.push(new_grant(&user, g)?);
        }
    }
    Ok(ImportBatch {
        tenant: doc.tenant_id.as_deref().map(normalize_id),
        tenant_name: doc.tenant_name,
        roles,
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
