//! `okta-compat import FILE…`: loads what a real org returned — a JSON array of the grant
//! objects Okta's grant list calls return (ids, times, issuers and scope ids kept), or a
//! document `{"users": [...], "clients": [...], "grants": [...]}` with the org's users
//! (`GET /api/v1/users`: `id`, `profile.login`, `firstName`, `lastName`, `email`,
//! `displayName`), its OAuth clients (`GET /api/v1/users/{id}/clients`: `client_id`,
//! `client_name`, `client_uri`, `logo_uri`; or apps: `id`, `label`) and grants. Users
//! without grants and clients without grants are kept too.

use chrono::{DateTime, Utc};
use grant_core::CoreError;
use grant_core::model::{
    Actor, AliasVendor, GrantSource, GrantType, NewClient, NewGrant, NewUser, ScopeSet, UserKey,
    UserProfile,
};
use grant_core::service::import::{ImportBatch, ImportedGrant};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CapturedActor {
    id: String,
    #[serde(rename = "type")]
    kind: String,
}

/// The fields of Okta's grant object that the store keeps; `_links` and the rest are
/// recomputed when served.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedGrant {
    id: String,
    status: String,
    created: DateTime<Utc>,
    created_by: Option<CapturedActor>,
    last_updated: Option<DateTime<Utc>>,
    issuer: String,
    client_id: String,
    user_id: String,
    scope_id: String,
    source: Option<String>,
}

pub fn to_imported(c: CapturedGrant) -> Result<ImportedGrant, CoreError> {
    let source = match c.source.as_deref() {
        None | Some("END_USER") => GrantSource::EndUser,
        Some("ADMIN") => GrantSource::Admin,
        Some(other) => {
            return Err(CoreError::invalid(
                "source",
                format!("unknown source {other}"),
            ));
        }
    };
    let revoked_at = match c.status.as_str() {
        "ACTIVE" => None,
        "REVOKED" => Some(c.last_updated.unwrap_or(c.created)),
        other => {
            return Err(CoreError::invalid(
                "status",
                format!("unknown status {other}"),
            ));
        }
    };
    let mut grant = NewGrant::new("", &c.client_id);
    grant.id = Some(c.id);
    grant.grant_type = GrantType::Consent;
    grant.source = source;
    grant.issuer = c.issuer;
    grant.scopes = ScopeSet::from_names([c.scope_id]);
    grant.created_at = Some(c.created);
    grant.updated_at = c.last_updated;
    grant.created_by = c.created_by.map(|a| Actor {
        id: a.id,
        kind: a.kind,
    });
    Ok(ImportedGrant {
        user_key: UserKey::Alias(AliasVendor::Okta),
        user_value: c.user_id,
        client_id: c.client_id,
        grant,
        revoked_at,
    })
}

/// An Okta user object (`GET /api/v1/users`); `status`, `_links` and the rest are ignored.
#[derive(Debug, Deserialize)]
pub struct CapturedUser {
    id: String,
    profile: CapturedProfile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct CapturedProfile {
    login: String,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
}

/// An OAuth client as `GET /api/v1/users/{id}/clients` shows it, or an app (`id`, `label`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CapturedClient {
    client_id: Option<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    id: Option<String>,
    label: Option<String>,
}

/// A whole capture: users, clients and grants (each optional).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapturedOrg {
    users: Vec<CapturedUser>,
    clients: Vec<CapturedClient>,
    grants: Vec<CapturedGrant>,
}

fn to_user(u: CapturedUser) -> Result<NewUser, CoreError> {
    let record = format!("user {}", u.id);
    if u.id.trim().is_empty() {
        return Err(CoreError::invalid("user: id", "must not be empty"));
    }
    if u.profile.login.trim().is_empty() {
        return Err(CoreError::invalid(
            format!("{record}: profile.login"),
            "must not be empty",
        ));
    }
    let p = u.profile;
    let names = [p.first_name.as_deref(), p.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let display_name = p
        .display_name
        .clone()
        .filter(|n| !n.is_empty())
        .or((!names.is_empty()).then_some(names));
    Ok(NewUser {
        aliases: [(AliasVendor::Okta, u.id)].into(),
        login: p.login,
        display_name,
        profile: Some(UserProfile {
            given_name: p.first_name,
            surname: p.last_name,
            email: p.email,
            ..UserProfile::default()
        }),
        ..NewUser::default()
    })
}

fn to_client(c: CapturedClient) -> Result<NewClient, CoreError> {
    let id = c
        .client_id
        .or(c.id)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| CoreError::invalid("client: client_id", "must not be empty"))?;
    Ok(NewClient {
        name: c.client_name.or(c.label).or(Some(id.clone())),
        id: Some(id),
        client_uri: c.client_uri,
        logo_uri: c.logo_uri,
        ..NewClient::default()
    })
}

fn grants(captured: Vec<CapturedGrant>) -> Result<Vec<ImportedGrant>, String> {
    captured
        .into_iter()
        .map(|c| {
            let id = c.id.clone();
            to_imported(c).map_err(|e| e.in_record(&format!("grant {id}")).to_string())
        })
        .collect()
}

/// One captured file: a JSON array of Okta grant objects, or a document with users, clients
/// and grants.
pub fn parse_file(text: &str) -> Result<ImportBatch, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if value.is_array() {
        let captured: Vec<CapturedGrant> =
            serde_json::from_value(value).map_err(|e| e.to_string())?;
        return grants(captured).map(ImportBatch::grants);
    }
    let org: CapturedOrg = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok(ImportBatch {
        users: org
            .users
            .into_iter()
            .map(to_user)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
        clients: org
            .clients
            .into_iter()
            .map(to_client)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
        grants: grants(org.grants)?,
        ..ImportBatch::default()
    })
}
