//! `pingfed-compat import FILE…`: loads grants captured from a real PingFederate — the JSON
//! the GET calls return (`{"items":[…]}`, a bare grant, or an array), one file per user or
//! client — with ids, times, scopes and attributes preserved. USER_KEY is the user's login.

use grant_core::CoreError;
use grant_core::model::{GrantAttribute, NewGrant, ScopeSet, UserKey};
use grant_core::service::import::{ImportBatch, ImportedGrant};
use serde::Deserialize;

use crate::json::{CapturedGrant, parse_grant_type};

#[derive(Deserialize)]
#[serde(untagged)]
enum Captured {
    List { items: Vec<CapturedGrant> },
    Array(Vec<CapturedGrant>),
    One(Box<CapturedGrant>),
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

/// Parses one captured document into grants.
pub fn parse_file(text: &str) -> Result<ImportBatch, String> {
    let captured: Captured = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = match captured {
        Captured::List { items } | Captured::Array(items) => items,
        Captured::One(g) => vec![*g],
    };
    list.into_iter()
        .map(|c| to_imported(c).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(ImportBatch::grants)
}
