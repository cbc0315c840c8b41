//! `venafi-compat import FILE…`: loads GetGrants / EnumerateGrants responses captured from a
//! real TPP (`{"Grants":[…]}` objects, or bare arrays of grants), keeping grantees (by
//! prefixed universal), applications, times, lifetimes and scopes. A document may also
//! carry the identities (`{"Identities": [...]}` as `Identity/Browse` and `Identity/Self`
//! return them: `PrefixedUniversal`, `Name`, `FullName`, …) and the API integrations
//! (`{"Applications": [...]}`: `ApplicationId`, `ApplicationName`, `Vendor`, `Description`,
//! `AccessValidity` and `GrantValidity` in seconds, `Renewable`, `AllowedIdentities`,
//! `Scope`), so identities and integrations without grants come over too.

use chrono::DateTime;
use grant_core::CoreError;
use grant_core::model::{
    AliasVendor, ClientKind, GrantType, NewClient, NewGrant, NewUser, Scope, ScopeSet, UserKey,
};
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

/// A TPP identity (`Identity/Browse`, `Identity/Self`).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct CapturedIdentity {
    PrefixedUniversal: String,
    #[serde(default)]
    Name: Option<String>,
    #[serde(default)]
    PrefixedName: Option<String>,
    #[serde(default)]
    FullName: Option<String>,
}

/// An API integration with every property TPP keeps for it.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct CapturedApplication {
    ApplicationId: String,
    #[serde(default)]
    ApplicationName: Option<String>,
    #[serde(default)]
    Vendor: Option<String>,
    #[serde(default)]
    Description: Option<String>,
    #[serde(default)]
    AccessValidity: Option<i64>,
    #[serde(default)]
    GrantValidity: Option<i64>,
    #[serde(default)]
    Renewable: Option<bool>,
    #[serde(default)]
    AllowedIdentities: Vec<String>,
    #[serde(default)]
    Scope: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Captured {
    #[allow(non_snake_case)]
    Document {
        #[serde(default)]
        Identities: Vec<CapturedIdentity>,
        #[serde(default)]
        Applications: Vec<CapturedApplication>,
        #[serde(default)]
        Grants: Vec<CapturedGrant>,
    },
    List(Vec<CapturedGrant>),
}

fn to_user(i: CapturedIdentity) -> Result<NewUser, CoreError> {
    let u = i.PrefixedUniversal.trim().to_owned();
    let record = format!("identity {u}");
    if !u.contains(':') {
        return Err(CoreError::invalid(
            format!("{record}: PrefixedUniversal"),
            "must be prefixed (local:{…}, AD+…:…)",
        ));
    }
    let login = i
        .Name
        .clone()
        .or(i.PrefixedName.clone())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| u.clone());
    Ok(NewUser {
        login,
        aliases: [(AliasVendor::Venafi, u)].into(),
        display_name: i.FullName.or(i.Name).filter(|s| !s.is_empty()),
        ..NewUser::default()
    })
}

fn seconds(record: &str, field: &str, v: Option<i64>) -> Result<Option<i32>, CoreError> {
    v.map(|n| {
        i32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
            CoreError::invalid(
                format!("{record}: {field}"),
                "must be a positive number of seconds",
            )
        })
    })
    .transpose()
}

fn to_client(a: CapturedApplication) -> Result<NewClient, CoreError> {
    let record = format!("API integration {}", a.ApplicationId);
    if a.ApplicationId.trim().is_empty() {
        return Err(CoreError::invalid(
            "API integration: ApplicationId",
            "must not be empty",
        ));
    }
    let allowed_scopes = match a.Scope.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => crate::scope::parse(raw)
            .map_err(|bad| {
                CoreError::invalid(format!("{record}: Scope"), format!("unknown scope {bad}"))
            })?
            .0
            .iter()
            .map(Scope::venafi_token)
            .collect(),
        None => Vec::new(),
    };
    Ok(NewClient {
        id: Some(a.ApplicationId.clone()),
        kind: Some(ClientKind::ApiIntegration),
        name: a.ApplicationName.or(Some(a.ApplicationId)),
        vendor: a.Vendor,
        description: a.Description,
        access_token_lifetime: seconds(&record, "AccessValidity", a.AccessValidity)?,
        refresh_token_lifetime: seconds(&record, "GrantValidity", a.GrantValidity)?,
        renewable: a.Renewable,
        allowed_identities: a.AllowedIdentities,
        allowed_scopes,
        ..NewClient::default()
    })
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
        user_key: UserKey::Alias(AliasVendor::Venafi),
        user_value: c.GranteePrefixedUniversal,
        client_id: c.Application,
        grant,
        revoked_at: None,
    })
}

pub fn parse_file(text: &str) -> Result<ImportBatch, String> {
    let captured: Captured = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let (identities, applications, list) = match captured {
        Captured::Document {
            Identities,
            Applications,
            Grants,
        } => (Identities, Applications, Grants),
        Captured::List(l) => (Vec::new(), Vec::new(), l),
    };
    let users = identities
        .into_iter()
        .map(|i| to_user(i).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let clients = applications
        .into_iter()
        .map(|a| to_client(a).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let grants = list
        .into_iter()
        .map(|c| {
            let record = format!(
                "grant of {} for {}",
                c.GranteePrefixedUniversal, c.Application
            );
            to_imported(c).map_err(|e| e.in_record(&record).to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ImportBatch {
        users,
        clients,
        grants,
        ..ImportBatch::default()
    })
}
