//! Canonical, vendor-neutral types. No vendor names, casings or date formats live here:
//! each gateway projects these into its own wire types.

mod authorization;
mod client;
mod credential;
mod grant;
mod ids;
mod page;

pub use authorization::{
    ActiveToken, AuthorizationRequest, AuthorizationServer, ChallengeMethod, CheckedRequest,
    ClientAuth, DEFAULT_SERVER, GrantRecording, Issuance, KeyStatus, ORG_SERVER, PublicKey,
    Refusal, RequestPolicy, SessionKind, SignedIn, TokenSet,
};
pub use client::{Client, ClientFilter, ClientKind, ClientPatch, NewClient, TokenAuthMethod};
pub use credential::{
    Credential, CredentialKind, CredentialStatus, Face, IssuedSecret, NewCredential, default_faces,
    valid_face,
};
pub use grant::{
    Actor, ConsentId, Grant, GrantAttribute, GrantFilter, GrantSource, GrantStatus, GrantType,
    NewGrant, Scope, ScopeConsent, ScopeSet,
};
pub use ids::{
    ClientId, ClientIdBuf, CredentialId, CredentialIdBuf, GrantId, GrantIdBuf, TenantId,
    TenantIdBuf, UserId, UserIdBuf,
};
pub use page::{Cursor, Page, PageRequest};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An isolated customer (an Okta org, an OCS tenant, a PingFederate or TPP installation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// A disabled tenant's credentials authenticate nowhere (absent in exports before the
    /// status existed: active).
    #[serde(default)]
    pub status: TenantStatus,
}

grant::text_enum!(
    /// Whether a tenant's credentials may authenticate (`grantctl tenant disable|enable`).
    #[derive(Default)]
    TenantStatus {
        #[default]
        Active = "active",
        Disabled = "disabled",
    }
);

/// A resource owner (the subject of grants), with the identifier each vendor shows for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "UserDocument")]
pub struct User {
    /// GUID; also the OCS user id.
    pub id: String,
    pub tenant_id: String,
    /// Login name; PingFederate's USER_KEY.
    pub login: String,
    /// The identifier each vendor with identifiers of its own shows for the user.
    pub aliases: Aliases,
    pub display_name: String,
    /// Role names (Venafi: Admin, Grant Admin, Auditor, Application Owner; OCS role names).
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The profile the user's directory keeps (None: only login and display name known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<UserProfile>,
}

impl User {
    /// The user's identifier in `vendor`'s namespace ("" when it has none).
    pub fn alias(&self, vendor: AliasVendor) -> &str {
        self.aliases.get(&vendor).map(String::as_str).unwrap_or("")
    }

    /// Whether `value` is one of the user's identifiers, compared as each vendor compares.
    pub fn answers_to(&self, value: &str) -> bool {
        self.aliases
            .iter()
            .any(|(vendor, alias)| !alias.is_empty() && vendor.same(alias, value))
    }
}

/// A user as export documents hold it. Formats 1–3 carry `okta_id` and `universal` fields;
/// format 4 an `aliases` map. Either is read.
#[derive(Deserialize)]
struct UserDocument {
    id: String,
    tenant_id: String,
    login: String,
    #[serde(default)]
    aliases: Aliases,
    #[serde(default)]
    okta_id: Option<String>,
    #[serde(default)]
    universal: Option<String>,
    display_name: String,
    roles: Vec<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    profile: Option<UserProfile>,
}

impl From<UserDocument> for User {
    fn from(d: UserDocument) -> Self {
        let mut aliases = d.aliases;
        for (vendor, value) in [
            (AliasVendor::Okta, d.okta_id),
            (AliasVendor::Venafi, d.universal),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                aliases.entry(vendor).or_insert(v);
            }
        }
        User {
            id: d.id,
            tenant_id: d.tenant_id,
            login: d.login,
            aliases,
            display_name: d.display_name,
            roles: d.roles,
            created_at: d.created_at,
            profile: d.profile,
        }
    }
}

grant::text_enum!(
    /// A vendor whose users are addressed by an identifier of its own (a row per user and
    /// vendor in the store's alias table; another vendor adds a variant, not a column).
    AliasVendor {
        /// Okta user id (`00u…`), compared exactly.
        Okta = "okta",
        /// Venafi prefixed universal (`local:{guid}`), compared case-insensitively.
        Venafi = "venafi",
    }
);

impl AliasVendor {
    /// The form an alias is looked up by: as given, or lower-cased where the vendor compares
    /// case-insensitively.
    pub fn lookup_key(self, alias: &str) -> String {
        match self {
            AliasVendor::Okta => alias.to_owned(),
            AliasVendor::Venafi => alias.to_lowercase(),
        }
    }

    /// Whether two aliases name the same user in this vendor's namespace.
    pub fn same(self, a: &str, b: &str) -> bool {
        match self {
            AliasVendor::Okta => a == b,
            AliasVendor::Venafi => a.to_lowercase() == b.to_lowercase(),
        }
    }

    /// The alias a user gets when none is given: in the vendor's own format.
    pub fn generated(self, user_id: &str) -> String {
        match self {
            AliasVendor::Okta => crate::service::ids::okta_id("00u"),
            AliasVendor::Venafi => format!("local:{{{user_id}}}"),
        }
    }
}

/// A user's identifiers by vendor.
pub type Aliases = BTreeMap<AliasVendor, String>;

/// A user's directory profile, every field as the directory holds it (None: not set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserProfile {
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub email: Option<String>,
    pub contact_email: Option<String>,
    pub contact_given_name: Option<String>,
    pub contact_surname: Option<String>,
    pub external_user_id: Option<String>,
    pub identity_provider_id: Option<String>,
}

/// A role defined in a tenant: its own id, and the role type that decides what it may do
/// (OCS: `Id` vs `RoleTypeId`). Role lists of users and clients hold role ids; an id with no
/// tenant role is read as a role type itself (built-in roles, whose id equals their type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRole {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub role_type: String,
    /// The vendor's scope number (OCS RoleScope: 1 = tenant).
    #[serde(default)]
    pub scope: i32,
    #[serde(default)]
    pub community_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Fields of a user to create; absent identifiers are generated.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewUser {
    pub id: Option<String>,
    pub login: String,
    /// Identifiers by vendor; a vendor left out gets one generated in its format.
    pub aliases: Aliases,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
    pub profile: Option<UserProfile>,
    /// When the user was created (imports keep a captured order); now when absent.
    pub created_at: Option<DateTime<Utc>>,
}

/// Who is calling, once authenticated: the credential and the user it acts as (if any).
/// Authorization rules (`service::authz`) look at this, never at vendor headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub credential: Credential,
    pub user: Option<User>,
}

impl Principal {
    /// True when the credential or its user holds `role` (case-insensitively).
    pub fn has_role(&self, role: &str) -> bool {
        self.credential.has_role(role)
            || self
                .user
                .iter()
                .flat_map(|u| u.roles.iter())
                .any(|r| r.eq_ignore_ascii_case(role))
    }

    /// The id of the user the credential acts as.
    pub fn user_id(&self) -> Option<&str> {
        self.credential.user_id.as_deref()
    }
}

/// A named OAuth scope known to a tenant (Okta's `_embedded.scope`, Venafi's restrictions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeDefinition {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub restrictions: Vec<String>,
}

/// Which user identifier a gateway addresses users by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserKey {
    /// The GUID (OCS).
    Id,
    /// The login (PingFederate's USER_KEY).
    Login,
    /// A vendor's own identifier.
    Alias(AliasVendor),
}

grant::text_enum!(
    /// What an audit row records.
    AuditAction {
        UserCreated = "user.created",
        RoleCreated = "role.created",
        ClientCreated = "client.created",
        ClientUpdated = "client.updated",
        ClientDeleted = "client.deleted",
        CredentialCreated = "credential.created",
        CredentialUpdated = "credential.updated",
        CredentialStatus = "credential.status",
        GrantIssued = "grant.issued",
        GrantRevoked = "grant.revoked",
        GrantScopeRevoked = "grant.scope_revoked",
        GrantsRevoked = "grants.revoked",
        GrantsImported = "grants.imported",
        TokenIssued = "token.issued",
        TokenRefreshed = "token.refreshed",
        TokenRevoked = "token.revoked",
        TenantDeleted = "tenant.deleted",
        TenantStatus = "tenant.status",
        UserDeleted = "user.deleted",
        UserStatus = "user.status",
        ScopeDeleted = "scope.deleted",
        GrantDeleted = "grant.deleted",
        CredentialDeleted = "credential.deleted",
        /// A user consented to scopes for a client on a consent page.
        GrantConsented = "grant.consented",
        /// A refresh token or authorization code was replayed: what it issued is revoked.
        TokenReuseDetected = "token.reuse_detected",
        AuthorizationServerCreated = "authorization_server.created",
        SigningKeysRotated = "signing_keys.rotated",
    }
);

grant::text_enum!(
    /// The kinds of record a "not found" can name.
    RecordKind {
        Tenant = "tenant",
        User = "user",
        Client = "client",
        Grant = "grant",
        Credential = "credential",
        Secret = "secret",
        Role = "role",
        Scope = "scope",
        AuthorizationServer = "authorization_server",
        Record = "record",
    }
);

/// One row of the audit log. Written in the same transaction as the change it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub affected: i64,
    pub detail: serde_json::Value,
}

/// Truncates an instant to whole milliseconds: every vendor shows milliseconds at most, and
/// both backends then store and return exactly the same value.
pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// Current time, truncated to milliseconds.
pub fn now() -> DateTime<Utc> {
    to_millis(Utc::now())
}
