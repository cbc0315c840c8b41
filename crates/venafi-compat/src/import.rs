//! `venafi-compat import FILE…`: loads GetGrants / EnumerateGrants responses captured from a
//! real TPP (`{"Grants":[…]}` objects, or bare arrays of grants), keeping grantees (by
//! prefixed universal), applications, times, lifetimes and scopes.

use chrono::DateTime;
use grant_core::CoreError;
use grant_core::model::{GrantType, NewGrant, Scope, ScopeSet, UserKey};
use grant_core::service::import::{ImportBatch, ImportedGrant};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct CapturedScope {
    #[serde(default)]
    RestrictionList: Vec<String>,
    Scope: String,
}

#[derive(Debug, Default, Deserialize)]
#[allow(non_snake_case)]
struct CapturedScopes {
    #[serde(default)]
    ScopeList: Vec<CapturedScope>,
}

/// The fields of a TPP grant the store keeps (the ISO and Unix forms are recomputed).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct CapturedGrant {
    AccessIssuedOn: Option<String>,
    Application: String,
    Expires: Option<String>,
    GrantIssuedOn: String,
    GranteePrefixedUniversal: String,
    #[serde(default)]
    Scope: CapturedScopes,
    ValidFor: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Captured {
    #[allow(non_snake_case)]
    Response {
        Grants: Vec<CapturedGrant>,
    },
    List(Vec<CapturedGrant>),
}

/// Parses `/Date(ms)/` (also `\/Date(ms)\/` and with a time-zone suffix like `+0000`).
pub fn parse_net_date(field: &str, raw: &str) -> Result<chrono::DateTime<chrono::Utc>, CoreError> {
    let inner = raw
        .trim()
        .trim_matches('\\')
        .trim_matches('/')
        .trim_end_matches('\\')
        .strip_prefix("Date(")
        .and_then(|r| r.trim_end_matches(['/', '\\']).strip_suffix(')'))
        .ok_or_else(|| CoreError::invalid(field, format!("not a /Date(ms)/ value: {raw}")))?;
    let digits_end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i)
        .unwrap_or(inner.len());
    let ms: i64 = inner[..digits_end]
        .parse()
        .map_err(|_| CoreError::invalid(field, format!("not a /Date(ms)/ value: {raw}")))?;
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| CoreError::invalid(field, format!("out of range: {raw}")))
}

pub fn to_imported(c: CapturedGrant) -> Result<ImportedGrant, CoreError> {
    let created = parse_net_date("GrantIssuedOn", &c.GrantIssuedOn)?;
    let mut grant = NewGrant::new("", &c.Application);
    grant.grant_type = GrantType::Password;
    grant.created_at = Some(created);
    grant.access_issued_at = c
        .AccessIssuedOn
        .as_deref()
        .map(|s| parse_net_date("AccessIssuedOn", s))
        .transpose()?;
    grant.expires_at = c
        .Expires
        .as_deref()
        .map(|s| parse_net_date("Expires", s))
        .transpose()?;
    grant.valid_for = c.ValidFor;
    grant.scopes = ScopeSet(
        c.Scope
            .ScopeList
            .into_iter()
            .map(|s| Scope {
                name: s.Scope.to_ascii_lowercase(),
                restrictions: s
                    .RestrictionList
                    .into_iter()
                    .map(|r| r.to_ascii_lowercase())
                    .collect(),
            })
            .collect(),
    );
    Ok(ImportedGrant {
        user_key: UserKey::Universal,
        user_value: c.GranteePrefixedUniversal,
        client_id: c.Application,
        grant,
        revoked_at: None,
    })
}

pub fn parse_file(text: &str) -> Result<ImportBatch, String> {
    let captured: Captured = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = match captured {
        Captured::Response { Grants } => Grants,
        Captured::List(l) => l,
    };
    list.into_iter()
        .map(|c| to_imported(c).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(ImportBatch::grants)
}
