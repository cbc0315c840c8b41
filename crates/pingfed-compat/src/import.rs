//! `pingfed-compat import FILE…`: loads grants captured from a real PingFederate — the JSON
//! the GET calls return (`{"items":[…]}`, a bare grant, or an array), one file per user or
//! client — with ids, times, scopes and attributes preserved. USER_KEY is the user's login.
//! Clients come from the administrative API's `GET /pf-admin-api/v1/oauth/clients`
//! (`{"items":[…]}` of client objects: `clientId`, `name`, `description`, `enabled`,
//! `grantTypes`, `redirectUris`, `restrictScopes`/`restrictedScopes`), or a document
//! `{"clients": [...], "grants": [...]}`; clients without grants are kept too.

use grant_core::CoreError;
use grant_core::model::{ClientKind, GrantAttribute, NewClient, NewGrant, ScopeSet, UserKey};
use grant_core::service::import::{ImportBatch, ImportedGrant};
use serde::Deserialize;

use crate::json::{CapturedGrant, parse_grant_type};

/// A client as PingFederate's administrative API returns it (fields the store keeps).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedClient {
    client_id: String,
    /// Required: what tells a client list from a grant list.
    grant_types: Vec<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    restrict_scopes: bool,
    #[serde(default)]
    restricted_scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    clients: Vec<CapturedClient>,
    #[serde(default)]
    grants: Vec<CapturedGrant>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Captured {
    Document(Document),
    List { items: Vec<CapturedGrant> },
    Clients { items: Vec<CapturedClient> },
    Array(Vec<CapturedGrant>),
    One(Box<CapturedGrant>),
}

pub fn to_client(c: CapturedClient) -> Result<NewClient, CoreError> {
    let record = format!("client {}", c.client_id);
    if c.client_id.trim().is_empty() {
        return Err(CoreError::invalid("client: clientId", "must not be empty"));
    }
    let grant_types = c
        .grant_types
        .iter()
        .map(|t| {
            parse_grant_type(t).ok_or_else(|| {
                CoreError::invalid(
                    format!("{record}: grantTypes"),
                    format!("unsupported grant type {t}"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NewClient {
        id: Some(c.client_id.clone()),
        kind: Some(ClientKind::Other),
        name: c.name.or(Some(c.client_id)),
        description: c.description,
        enabled: c.enabled,
        redirect_uris: c.redirect_uris,
        allowed_scopes: if c.restrict_scopes {
            c.restricted_scopes
        } else {
            Vec::new()
        },
        grant_types,
        ..NewClient::default()
    })
}

pub fn to_imported(c: CapturedGrant) -> Result<ImportedGrant, CoreError> {
    let grant_type = parse_grant_type(&c.grant_type).ok_or_else(|| {
        CoreError::invalid(
            "grantType",
            format!("unsupported grant type {}", c.grant_type),
        )
    })?;
    let mut grant = NewGrant::new("", &c.client_id);
    grant.id = Some(c.id);
    grant.grant_type = grant_type;
    grant.scopes = ScopeSet::from_names(c.scopes);
    grant.attributes = c
        .grant_attributes
        .into_iter()
        .map(|a| GrantAttribute {
            name: a.name,
            values: a.values,
        })
        .collect();
    grant.created_at = Some(c.issued);
    grant.updated_at = c.updated;
    grant.expires_at = c.expires;
    Ok(ImportedGrant {
        user_key: UserKey::Login,
        user_value: c.user_key,
        client_id: c.client_id,
        grant,
        revoked_at: None,
    })
}

/// Parses one captured document into clients and grants.
pub fn parse_file(text: &str) -> Result<ImportBatch, String> {
    let captured: Captured = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let (clients, list) = match captured {
        Captured::Document(d) => (d.clients, d.grants),
        Captured::Clients { items } => (items, Vec::new()),
        Captured::List { items } | Captured::Array(items) => (Vec::new(), items),
        Captured::One(g) => (Vec::new(), vec![*g]),
    };
    let clients = clients
        .into_iter()
        .map(|c| to_client(c).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let grants = list
        .into_iter()
        .map(|c| {
            let id = c.id.clone();
            to_imported(c).map_err(|e| e.in_record(&format!("grant {id}")).to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ImportBatch {
        clients,
        grants,
        ..ImportBatch::default()
    })
}
