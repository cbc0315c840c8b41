//! PingFederate's wire types: field names, order, enum literals and date format.

use chrono::{DateTime, Utc};
use grant_core::model::{Grant, GrantType};
use serde::{Deserialize, Serialize};

/// `yyyy-MM-ddTHH:mm:ss.SSSZ` (UTC, exactly three fraction digits).
pub fn pf_time(t: DateTime<Utc>) -> String {
    grant_http::time::iso8601_millis(t)
}

/// The `grantType` literal of a stored grant. Okta-style consent grants (which come from an
/// authorization-code flow) show as `AUTHORIZATION_CODE`.
pub fn grant_type_name(t: GrantType) -> &'static str {
    match t {
        GrantType::AuthorizationCode | GrantType::Consent => "AUTHORIZATION_CODE",
        GrantType::Implicit => "IMPLICIT",
        GrantType::Password => "RESOURCE_OWNER_CREDENTIALS",
        GrantType::DeviceCode => "DEVICE_CODE",
        GrantType::Ciba => "CIBA",
        GrantType::RefreshToken => "REFRESH_TOKEN",
        GrantType::ClientCredentials => "CLIENT_CREDENTIALS",
        GrantType::TokenExchange => "TOKEN_EXCHANGE",
    }
}

/// The reverse, for imports of captured grants.
pub fn parse_grant_type(s: &str) -> Option<GrantType> {
    Some(match s {
        "AUTHORIZATION_CODE" => GrantType::AuthorizationCode,
        "IMPLICIT" => GrantType::Implicit,
        "RESOURCE_OWNER_CREDENTIALS" => GrantType::Password,
        "DEVICE_CODE" => GrantType::DeviceCode,
        "CIBA" => GrantType::Ciba,
        "REFRESH_TOKEN" => GrantType::RefreshToken,
        "CLIENT_CREDENTIALS" => GrantType::ClientCredentials,
        "TOKEN_EXCHANGE" => GrantType::TokenExchange,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantAttributeJson {
    pub name: String,
    pub values: Vec<String>,
}

/// One persistent grant, as PingFederate writes it. `expires` only when the grant expires;
/// `grantAttributes` only when there are some.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantResponse {
    pub id: String,
    pub user_key: String,
    pub grant_type: &'static str,
    pub scopes: Vec<String>,
    pub client_id: String,
    pub issued: String,
    pub updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grant_attributes: Vec<GrantAttributeJson>,
}

impl GrantResponse {
    /// `user_key` is the grant's user's login (PingFederate's USER_KEY).
    pub fn project(g: &Grant, user_key: &str) -> Self {
        Self {
            id: g.id.clone(),
            user_key: user_key.to_owned(),
            grant_type: grant_type_name(g.grant_type),
            scopes: g.scopes.names().map(str::to_owned).collect(),
            client_id: g.client_id.clone(),
            issued: pf_time(g.created_at),
            updated: pf_time(g.updated_at),
            expires: g.expires_at.map(pf_time),
            grant_attributes: g
                .attributes
                .iter()
                .map(|a| GrantAttributeJson {
                    name: a.name.clone(),
                    values: a.values.clone(),
                })
                .collect(),
        }
    }
}

/// A list: `{"items":[…]}`, nothing else.
#[derive(Debug, Serialize)]
pub struct GrantList {
    pub items: Vec<GrantResponse>,
}

/// The small body of an error response (PingFederate documents none; this is the
/// `error`/`error_description` pair its runtime OAuth endpoints use).
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub error_description: String,
}

/// A captured grant, as the GET calls return it (for `pingfed-compat import`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedGrant {
    pub id: String,
    pub user_key: String,
    pub grant_type: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub client_id: String,
    pub issued: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    #[serde(default)]
    pub grant_attributes: Vec<GrantAttributeJson>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_exactly_three_fraction_digits() {
        let t: DateTime<Utc> = "2019-03-15T20:00:27.343Z".parse().unwrap_or_default();
        assert_eq!(pf_time(t), "2019-03-15T20:00:27.343Z");
        let t: DateTime<Utc> = "2026-01-02T03:04:05Z".parse().unwrap_or_default();
        assert_eq!(pf_time(t), "2026-01-02T03:04:05.000Z");
        let t: DateTime<Utc> = "2026-01-02T03:04:05.1234567Z".parse().unwrap_or_default();
        assert_eq!(pf_time(t), "2026-01-02T03:04:05.123Z");
    }
}
