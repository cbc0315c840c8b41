use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::grant::{GrantType, text_enum};

text_enum!(
    ClientKind {
        AuthorizationCode = "authorization_code",
        ClientCredentials = "client_credentials",
        Hybrid = "hybrid",
        Other = "other",
        /// Venafi API integration: token lifetimes of days or months.
        ApiIntegration = "api_integration",
    }
);

text_enum!(
    /// How a client authenticates at the token, introspection and revocation endpoints
    /// (OIDC `token_endpoint_auth_method`); `none` is a public client (PKCE required).
    TokenAuthMethod {
        ClientSecretBasic = "client_secret_basic",
        ClientSecretPost = "client_secret_post",
        None = "none",
    }
);

/// An OAuth client (an application, an API integration). Fields follow OCS's
/// authorization-code client, the richest of the four vendors' client objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub tenant_id: String,
    pub id: String,
    pub kind: ClientKind,
    pub name: String,
    pub enabled: bool,
    /// Seconds, 60..=3600 (API integrations: any positive number).
    pub access_token_lifetime: i32,
    /// Seconds a refresh token (Venafi: the grant) stays usable; 0 when not applicable.
    pub refresh_token_lifetime: i32,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub tags: Vec<String>,
    pub allowed_cors_origins: Vec<String>,
    pub allow_offline_access: bool,
    /// Scopes (with restrictions) the client may request; empty means any.
    pub allowed_scopes: Vec<String>,
    /// Role ids held by the client itself (OCS client-credential clients' `RoleIds`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Venafi API integration: prefixed universals allowed to authorize (compared
    /// case-insensitively); empty means any identity.
    #[serde(default)]
    pub allowed_identities: Vec<String>,
    /// Venafi API integration's `Vendor` and `Description`.
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub description: String,
    /// Venafi `Renewable`: whether a refresh token may renew access under a grant.
    #[serde(default = "yes")]
    pub renewable: bool,
    /// The grant types the client may use (canonical names: `authorization_code`,
    /// `refresh_token`…); empty when not recorded.
    #[serde(default)]
    pub grant_types: Vec<GrantType>,
    /// How the client authenticates at the token endpoint.
    #[serde(default = "secret_basic")]
    pub token_endpoint_auth_method: TokenAuthMethod,
    /// Whether users consent to its scopes on a consent page (Okta `consent_method`
    /// REQUIRED); each consent is a grant.
    #[serde(default)]
    pub consent_required: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A client to create. Absent fields get the documented defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewClient {
    pub id: Option<String>,
    pub kind: Option<ClientKind>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub access_token_lifetime: Option<i32>,
    pub refresh_token_lifetime: Option<i32>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub tags: Vec<String>,
    pub allowed_cors_origins: Vec<String>,
    pub allow_offline_access: Option<bool>,
    pub allowed_scopes: Vec<String>,
    pub roles: Vec<String>,
    pub allowed_identities: Vec<String>,
    pub vendor: Option<String>,
    pub description: Option<String>,
    pub renewable: Option<bool>,
    pub grant_types: Vec<GrantType>,
    pub token_endpoint_auth_method: Option<TokenAuthMethod>,
    pub consent_required: Option<bool>,
    pub created_at: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

fn secret_basic() -> TokenAuthMethod {
    TokenAuthMethod::ClientSecretBasic
}

impl Client {
    /// A public client: no secret, PKCE instead.
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenAuthMethod::None
    }
}

/// A merge update: `None` leaves the field as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub access_token_lifetime: Option<i32>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub tags: Option<Vec<String>>,
    pub allowed_cors_origins: Option<Vec<String>>,
    pub allow_offline_access: Option<bool>,
    pub roles: Option<Vec<String>>,
}

/// Which clients of a tenant a list or a count covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFilter {
    /// Only clients of this kind (None: every kind).
    pub kind: Option<ClientKind>,
    /// Only these ids (empty: any).
    pub ids: Vec<String>,
    /// Only clients holding at least one of these tags (empty: any); exact match.
    pub tags: Vec<String>,
}
