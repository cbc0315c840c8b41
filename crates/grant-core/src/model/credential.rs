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
    /// The gateways (faces) this credential was made for: `okta`, `venafi`, `ocs`,
    /// `pingfed:<PCV name>` (a user of that PCV) or `pingfed` (of whichever PCV the
    /// gateway is configured with). A gateway refuses a credential not made for it.
    pub faces: Vec<String>,
}

/// A gateway, as a credential names it in its `faces`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face<'a> {
    Okta,
    /// PingFederate's grant service, checked against the named Password Credential Validator.
    PingFederate {
        pcv: &'a str,
    },
    Venafi,
    Ocs,
}

impl Face<'_> {
    pub const OKTA: &'static str = "okta";
    pub const PINGFED: &'static str = "pingfed";
    pub const VENAFI: &'static str = "venafi";
    pub const OCS: &'static str = "ocs";

    /// True when one of `faces` names this gateway (PCV names compare exactly).
    pub fn accepts(&self, faces: &[String]) -> bool {
        faces.iter().any(|f| match self {
            Face::Okta => f == Self::OKTA,
            Face::Venafi => f == Self::VENAFI,
            Face::Ocs => f == Self::OCS,
            Face::PingFederate { pcv } => {
                f == Self::PINGFED || f.strip_prefix("pingfed:").is_some_and(|name| name == *pcv)
            }
        })
    }

    /// The face entry naming this gateway (`pingfed:<PCV name>` for PingFederate).
    pub fn entry(&self) -> String {
        match self {
            Face::Okta => Self::OKTA.into(),
            Face::Venafi => Self::VENAFI.into(),
            Face::Ocs => Self::OCS.into(),
            Face::PingFederate { pcv } => format!("pingfed:{pcv}"),
        }
    }
}

/// Checks a face entry given by an operator (`okta`, `venafi`, `ocs`, `pingfed`,
/// `pingfed:<PCV name>`).
pub fn valid_face(entry: &str) -> bool {
    matches!(entry, Face::OKTA | Face::VENAFI | Face::OCS | Face::PINGFED)
        || entry
            .strip_prefix("pingfed:")
            .is_some_and(|name| !name.trim().is_empty())
}

/// The faces of a credential made before faces were recorded (migration, old exports) or
/// made without naming any: what each kind has been used for. API tokens are Okta's;
/// VEDauth issues bearer tokens bound to a grant and refresh tokens; bearer tokens with
/// the `ocsapi` scope and client secrets are OCS's; other bearer tokens Okta's; passwords
/// of a user are Venafi logins (VEDauth needs the user), passwords without one PingFederate
/// PCV users (of whichever PCV is configured).
pub fn default_faces(
    kind: CredentialKind,
    user_id: Option<&str>,
    grant_id: Option<&str>,
    scopes: &[String],
) -> Vec<String> {
    let face = match kind {
        CredentialKind::ApiToken => Face::OKTA,
        CredentialKind::RefreshToken => Face::VENAFI,
        CredentialKind::BearerToken if grant_id.is_some() => Face::VENAFI,
        CredentialKind::BearerToken if scopes.iter().any(|s| s == "ocsapi") => Face::OCS,
        CredentialKind::BearerToken => Face::OKTA,
        CredentialKind::ClientSecret => Face::OCS,
        CredentialKind::Password if user_id.is_some() => Face::VENAFI,
        CredentialKind::Password => Face::PINGFED,
    };
    vec![face.to_owned()]
}

impl Credential {
    /// True when the credential was made for this gateway.
    pub fn is_made_for(&self, face: &Face<'_>) -> bool {
        face.accepts(&self.faces)
    }

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
    /// The gateways it is made for (see `Credential::faces`); empty: `default_faces`.
    #[serde(default)]
    pub faces: Vec<String>,
}

/// A credential just created, with its secret: shown once, never stored.
#[derive(Debug)]
pub struct IssuedSecret {
    pub credential: Credential,
    pub secret: SecretString,
}
