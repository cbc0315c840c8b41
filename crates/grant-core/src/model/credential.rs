use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::grant::text_enum;

text_enum!(
    CredentialKind {
        /// Long-lived API token (Okta SSWS).
        ApiToken = "api_token",
        /// Bearer access token carrying scopes.
        BearerToken = "bearer_token",
        /// Refresh token bound to a grant.
        RefreshToken = "refresh_token",
        /// Username and password (PingFederate PCV, Venafi login).
        Password = "password",
        /// Client secret of a client-credentials client (OCS).
        ClientSecret = "client_secret",
    }
);

text_enum!(
    CredentialStatus {
        Active = "active",
        Disabled = "disabled",
        Locked = "locked",
        Revoked = "revoked",
    }
);

/// A credential the gateways accept from their callers. The secret itself is never held:
/// tokens are kept as SHA-256 digests, passwords as argon2id PHC strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub id: String,
    pub tenant_id: String,
    pub kind: CredentialKind,
    /// Username for passwords; a label for tokens.
    pub name: String,
    /// The user this credential acts as (`me`), if any.
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub grant_id: Option<String>,
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
    pub status: CredentialStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Credential {
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.status == CredentialStatus::Active && self.expires_at.is_none_or(|e| e > now)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    pub kind: CredentialKind,
    pub name: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub grant_id: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Token prefix (tokens) — the random part follows it.
    #[serde(default)]
    pub token_prefix: String,
}

/// A credential just created, with its secret: shown once, never stored.
#[derive(Debug)]
pub struct IssuedSecret {
    pub credential: Credential,
    pub secret: SecretString,
}
