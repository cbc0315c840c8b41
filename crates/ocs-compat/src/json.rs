//! OCS wire types (PascalCase, every property present, `null` for unset strings, `[]` for
//! empty lists), lenient GUIDs, case-insensitive request properties and query keys.

use chrono::{DateTime, SecondsFormat, Utc};
use grant_core::model::TenantId;
use grant_core::model::{Client, TenantRole, User};
use grant_http::{ApiError, ApiResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Well-known RoleTypeIds; in this gateway a tenant role's `Id` equals its RoleTypeId.
pub const TENANT_ADMINISTRATOR: &str = "2dc742ab-39ea-4fc0-a39e-2bcb71c26a5f";
pub const TENANT_CONTRIBUTOR: &str = "f1439595-e5a2-487f-8a4f-0627fefe75df";
pub const TENANT_DATA_STEWARD: &str = "45b66433-5f57-420b-bbdf-8bbd60c1cd9d";
pub const TENANT_MEMBER: &str = "7ad2b9ef-5386-4ead-ac9f-ad99c5c5b977";
pub const TENANT_VIEWER: &str = "e6cbf91e-0be8-4858-92b5-f88ecafd5574";

/// (RoleTypeId, name, former name, description) of the tenant roles.
pub const TENANT_ROLES: &[(&str, &str, &str, &str)] = &[
    (
        TENANT_ADMINISTRATOR,
        "Tenant Administrator",
        "Account Administrator",
        "Administrators of the tenant",
    ),
    (
        TENANT_CONTRIBUTOR,
        "Tenant Contributor",
        "Account Contributor",
        "Contributors of the tenant",
    ),
    (
        TENANT_DATA_STEWARD,
        "Tenant Data Steward",
        "Account Data Steward",
        "Data stewards of the tenant",
    ),
    (
        TENANT_MEMBER,
        "Tenant Member",
        "Account Member",
        "Members of the tenant",
    ),
    (
        TENANT_VIEWER,
        "Tenant Viewer",
        "Account Viewer",
        "Viewers of the tenant",
    ),
];

/// A role as stored (RoleTypeId in any GUID form, or a current or former role name, any
/// case) → its RoleTypeId; unknown roles are kept as they are.
pub fn role_id(stored: &str) -> String {
    let s = stored.trim();
    if let Some(g) = parse_guid(s) {
        return g;
    }
    TENANT_ROLES
        .iter()
        .find(|(_, name, old, _)| s.eq_ignore_ascii_case(name) || s.eq_ignore_ascii_case(old))
        .map(|(id, ..)| (*id).to_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// Parses a GUID in any of .NET's forms (D, N, B, P; any case) into lowercase D form.
pub fn parse_guid(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(s);
    if s.starts_with("urn:") {
        return None;
    }
    uuid::Uuid::parse_str(s)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// A path or query id: its lowercase D form when it is a GUID, else as given.
pub fn normalize_id(raw: &str) -> String {
    parse_guid(raw).unwrap_or_else(|| raw.to_owned())
}

/// A GUID the API binds as `Guid`: 400 when it does not parse.
pub fn require_guid(field: &str, raw: &str) -> ApiResult<String> {
    parse_guid(raw).ok_or_else(|| ApiError::invalid(field, format!("'{raw}' is not a valid GUID")))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorBody {
    pub operation_id: String,
    pub error: String,
    pub reason: String,
    pub resolution: String,
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationCodeClientResponse {
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub id: String,
    pub name: Option<String>,
    pub enabled: bool,
    pub access_token_lifetime: i32,
    pub tags: Vec<String>,
    pub allowed_cors_origins: Vec<String>,
    pub allow_offline_access: bool,
}

impl From<&Client> for AuthorizationCodeClientResponse {
    fn from(c: &Client) -> Self {
        Self {
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            client_uri: c.client_uri.clone(),
            logo_uri: c.logo_uri.clone(),
            id: c.id.clone(),
            name: opt(&c.name),
            enabled: c.enabled,
            access_token_lifetime: c.access_token_lifetime,
            tags: c.tags.clone(),
            allowed_cors_origins: c.allowed_cors_origins.clone(),
            allow_offline_access: c.allow_offline_access,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientCredentialClientResponse {
    pub id: String,
    pub name: Option<String>,
    pub enabled: bool,
    pub access_token_lifetime: i32,
    pub tags: Vec<String>,
    pub role_ids: Vec<String>,
}

impl From<&Client> for ClientCredentialClientResponse {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.clone(),
            name: opt(&c.name),
            enabled: c.enabled,
            access_token_lifetime: c.access_token_lifetime,
            tags: c.tags.clone(),
            role_ids: c.roles.iter().map(|r| role_id(r)).collect(),
        }
    }
}

/// `POST …/ClientCredentialClients` answer: the new client and its first secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientCredentialClientCreated {
    pub secret: String,
    pub id: i64,
    pub description: Option<String>,
    pub expiration_date: Option<String>,
    pub client: ClientCredentialClientResponse,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretResponse {
    pub id: i64,
    pub description: Option<String>,
    pub expiration: Option<String>,
    pub expires: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretCreated {
    pub secret: String,
    pub id: i64,
    pub description: Option<String>,
    pub expiration: Option<String>,
    pub expires: bool,
}

/// Timestamps as .NET writes a UTC `DateTime`: `2026-11-24T10:00:00Z` (fraction when any).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserResponse {
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
    pub role_ids: Vec<String>,
}

impl From<&User> for UserResponse {
    /// A user with a directory profile (imported from a tenant) shows it as it was captured;
    /// one without (made with `grantctl`) shows what its login and display name give.
    fn from(u: &User) -> Self {
        let role_ids = u.roles.iter().map(|r| role_id(r)).collect();
        if let Some(p) = &u.profile {
            return Self {
                id: u.id.clone(),
                given_name: p.given_name.clone(),
                surname: p.surname.clone(),
                name: opt(&u.display_name),
                email: p.email.clone(),
                contact_email: p.contact_email.clone(),
                contact_given_name: p.contact_given_name.clone(),
                contact_surname: p.contact_surname.clone(),
                external_user_id: p.external_user_id.clone(),
                identity_provider_id: p.identity_provider_id.clone(),
                role_ids,
            };
        }
        let email = u.login.contains('@').then(|| u.login.clone());
        Self {
            id: u.id.clone(),
            given_name: None,
            surname: None,
            name: opt(&u.display_name),
            email: email.clone(),
            contact_email: email,
            contact_given_name: None,
            contact_surname: None,
            external_user_id: Some(u.login.clone()),
            identity_provider_id: None,
            role_ids,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleResponse {
    pub id: String,
    pub name: String,
    pub description: String,
    /// RoleScope: 1 = Tenant.
    pub role_scope: i32,
    pub tenant_id: String,
    pub community_id: Option<String>,
    pub role_type_id: String,
}

impl From<&TenantRole> for RoleResponse {
    fn from(r: &TenantRole) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            role_scope: r.scope,
            tenant_id: normalize_id(&r.tenant_id),
            community_id: r.community_id.clone(),
            role_type_id: r.role_type.clone(),
        }
    }
}

impl RoleResponse {
    /// The built-in tenant roles of a tenant that defines none (`Id` = RoleTypeId).
    pub fn built_in(tenant: &TenantId) -> Vec<Self> {
        TENANT_ROLES
            .iter()
            .map(|(id, name, _, description)| RoleResponse {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                description: (*description).to_owned(),
                role_scope: 1,
                tenant_id: normalize_id(tenant),
                community_id: None,
                role_type_id: (*id).to_owned(),
            })
            .collect()
    }
}

/// Reads a JSON object body with case-insensitive property names (as ASP.NET binds them)
/// into `T`, whose fields are named in lowercase. Unknown properties are ignored.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedBody {
            reason: e.to_string(),
        })?;
    let serde_json::Value::Object(map) = value else {
        return Err(ApiError::MalformedBody {
            reason: "a JSON object is expected".into(),
        });
    };
    let lowered: serde_json::Map<String, serde_json::Value> = map
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    serde_json::from_value(serde_json::Value::Object(lowered))
        .map_err(|e| ApiError::invalid("body", e.to_string()))
}

/// Body of POST/PUT AuthorizationCodeClients: every property optional and nullable.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizationCodeClientBody {
    #[serde(rename = "redirecturis")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(rename = "postlogoutredirecturis")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    #[serde(rename = "clienturi")]
    pub client_uri: Option<String>,
    #[serde(rename = "logouri")]
    pub logo_uri: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    #[serde(rename = "accesstokenlifetime")]
    pub access_token_lifetime: Option<i32>,
    pub tags: Option<Vec<String>>,
    #[serde(rename = "allowedcorsorigins")]
    pub allowed_cors_origins: Option<Vec<String>>,
    #[serde(rename = "allowofflineaccess")]
    pub allow_offline_access: Option<bool>,
}

/// Body of POST/PUT ClientCredentialClients.
#[derive(Debug, Default, Deserialize)]
pub struct ClientCredentialClientBody {
    pub id: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    #[serde(rename = "accesstokenlifetime")]
    pub access_token_lifetime: Option<i32>,
    pub tags: Option<Vec<String>>,
    #[serde(rename = "roleids")]
    pub role_ids: Option<Vec<String>>,
    #[serde(rename = "secretdescription")]
    pub secret_description: Option<String>,
    #[serde(rename = "secretexpirationdate")]
    pub secret_expiration_date: Option<DateTime<Utc>>,
}

/// Body of POST/PUT Secrets.
#[derive(Debug, Default, Deserialize)]
pub struct SecretBody {
    pub description: Option<String>,
    pub expiration: Option<DateTime<Utc>>,
    pub expires: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_parse_in_every_dotnet_form() {
        let d = "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e5f";
        for raw in [
            d,
            "3F1C2A9E-5B7D-4C1A-9E2F-0A1B2C3D4E5F",
            "3f1c2a9e5b7d4c1a9e2f0a1b2c3d4e5f",
            "{3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e5f}",
            "(3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e5f)",
        ] {
            assert_eq!(parse_guid(raw).as_deref(), Some(d), "{raw}");
        }
        assert_eq!(parse_guid("not-a-guid"), None);
        assert_eq!(parse_guid(&format!("urn:uuid:{d}")), None);
    }

    #[test]
    fn roles_by_name_former_name_or_id() {
        assert_eq!(role_id("Account Administrator"), TENANT_ADMINISTRATOR);
        assert_eq!(role_id("tenant member"), TENANT_MEMBER);
        assert_eq!(
            role_id("7AD2B9EF-5386-4EAD-AC9F-AD99C5C5B977"),
            TENANT_MEMBER
        );
        assert_eq!(role_id("Custom"), "Custom");
    }
}
