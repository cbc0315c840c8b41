//! `okta-compat import FILE…`: loads the JSON arrays Okta's grant list calls return (as
//! captured from a real org) with their ids, times, issuers and scope ids.

use chrono::{DateTime, Utc};
use grant_core::CoreError;
use grant_core::model::{Actor, GrantSource, GrantType, NewGrant, ScopeSet, UserKey};
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
        user_key: UserKey::OktaId,
        user_value: c.user_id,
        client_id: c.client_id,
        grant,
        revoked_at,
    })
}

/// One captured file: a JSON array of Okta grant objects.
pub fn parse_file(text: &str) -> Result<ImportBatch, String> {
    let captured: Vec<CapturedGrant> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    captured
        .into_iter()
        .map(|c| to_imported(c).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(ImportBatch::grants)
}
