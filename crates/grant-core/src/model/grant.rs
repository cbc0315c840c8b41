use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A scope of a grant. `name` is opaque: `api:read`, `urn:example:scope` and
/// `https://api.example.com/orders.read` are names, exactly as the client wrote them.
/// `restrictions` exist only where Venafi put them (`certificate:manage,revoke` parsed by
/// the Venafi face with [`Scope::parse_venafi`]); other faces show the name alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<String>,
}

impl Scope {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            restrictions: Vec::new(),
        }
    }

    /// Venafi's scope syntax for one scope: `name` or `name:r1,r2`. Only the Venafi face
    /// (and its VEDauth flow, and API-integration allow-lists) reads scopes this way.
    pub fn parse_venafi(token: &str) -> Self {
        match token.split_once(':') {
            Some((name, rest)) => Self {
                name: name.to_owned(),
                restrictions: rest
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            None => Self::new(token),
        }
    }

    /// Venafi's rendering: `name` or `name:r1,r2`.
    pub fn venafi_token(&self) -> String {
        if self.restrictions.is_empty() {
            self.name.clone()
        } else {
            format!("{}:{}", self.name, self.restrictions.join(","))
        }
    }
}

/// The scopes of a grant, in the order they were granted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScopeSet(pub Vec<Scope>);

impl ScopeSet {
    pub fn from_names<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        Self(names.into_iter().map(|n| Scope::new(n)).collect())
    }

    /// Stored form: a JSON array with one array per scope, its name then its restrictions
    /// (`[["openid"],["certificate","manage","revoke"]]`).
    pub fn to_stored(&self) -> String {
        let scopes: Vec<Vec<&str>> = self
            .0
            .iter()
            .map(|s| {
                std::iter::once(s.name.as_str())
                    .chain(s.restrictions.iter().map(String::as_str))
                    .collect()
            })
            .collect();
        serde_json::to_string(&scopes).unwrap_or_else(|_| "[]".into())
    }

    /// Reads the stored form.
    pub fn from_stored(s: &str) -> crate::Result<Self> {
        let scopes: Vec<Vec<String>> = serde_json::from_str(s)?;
        Ok(Self(
            scopes
                .into_iter()
                .filter_map(|parts| {
                    let mut parts = parts.into_iter();
                    parts.next().map(|name| Scope {
                        name,
                        restrictions: parts.collect(),
                    })
                })
                .collect(),
        ))
    }

    /// Venafi's scope string: `name:r1,r2;name`.
    pub fn venafi_string(&self) -> String {
        self.0
            .iter()
            .map(Scope::venafi_token)
            .collect::<Vec<_>>()
            .join(";")
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| s.name.as_str())
    }

    /// The distinct scope names, sorted.
    pub fn distinct_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One scope of a grant as Okta shows it: an `OAuth2ScopeConsentGrant` with its own id.
/// Other faces show the grant itself and ignore these ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeConsent {
    /// Okta-format id, stable for the life of the (grant, scope) pair.
    pub id: String,
    pub scope: String,
    pub grant: Grant,
    /// The name of the grant's client, read with the consent (`None` once the client is
    /// gone): what Okta shows as the `client` link's title.
    pub client_name: Option<String>,
}

/// A consent id as exported: which scope of which grant it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentId {
    pub grant_id: String,
    pub scope: String,
    pub id: String,
}

/// A named, multi-valued attribute of a grant (PingFederate's `grantAttributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantAttribute {
    pub name: String,
    pub values: Vec<String>,
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::CoreError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(crate::CoreError::invalid(
                        stringify!($name),
                        format!("unknown value '{other}'"),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// How the grant came to be (OAuth grant type of the flow that created it).
    GrantType {
        AuthorizationCode = "authorization_code",
        Implicit = "implicit",
        RefreshToken = "refresh_token",
        ClientCredentials = "client_credentials",
        Password = "password",
        DeviceCode = "device_code",
        Ciba = "ciba",
        TokenExchange = "token_exchange",
        Consent = "consent",
    }
);

text_enum!(
    GrantStatus {
        Active = "active",
        Revoked = "revoked",
    }
);

text_enum!(
    /// Who consented: the end user, or an administrator on their behalf.
    GrantSource {
        EndUser = "end_user",
        Admin = "admin",
    }
);

/// Who created a grant (Okta's `createdBy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// In the format of the vendor that issued it (Okta `oag…`, PingFederate 32 chars, …).
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub client_id: String,
    pub grant_type: GrantType,
    pub status: GrantStatus,
    pub source: GrantSource,
    pub issuer: String,
    pub scopes: ScopeSet,
    pub attributes: Vec<GrantAttribute>,
    /// When the grant was first issued (consent time).
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When the latest access token under this grant was issued.
    pub access_issued_at: Option<DateTime<Utc>>,
    /// Access-token lifetime in seconds of the latest issuance.
    pub valid_for: Option<i64>,
    pub created_by: Option<Actor>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl Grant {
    /// Visible to vendor reads: not revoked and not past its expiry.
    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        self.status == GrantStatus::Active && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A grant to create. Absent id and times are generated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewGrant {
    pub id: Option<String>,
    pub user_id: String,
    pub client_id: String,
    pub grant_type: GrantType,
    pub source: GrantSource,
    pub issuer: String,
    pub scopes: ScopeSet,
    pub attributes: Vec<GrantAttribute>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub access_issued_at: Option<DateTime<Utc>>,
    pub valid_for: Option<i64>,
    pub created_by: Option<Actor>,
}

impl NewGrant {
    pub fn new(user_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            id: None,
            user_id: user_id.into(),
            client_id: client_id.into(),
            grant_type: GrantType::AuthorizationCode,
            source: GrantSource::EndUser,
            issuer: String::new(),
            scopes: ScopeSet::default(),
            attributes: Vec::new(),
            created_at: None,
            updated_at: None,
            expires_at: None,
            access_issued_at: None,
            valid_for: None,
            created_by: None,
        }
    }
}

/// Which active grants a list or a revocation applies to. Always within one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantFilter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// Only grants holding this scope name.
    pub scope: Option<String>,
    /// Only grants of these types (empty: all).
    pub grant_types: Vec<GrantType>,
    /// Only grants holding at least one scope (Okta shows nothing else).
    pub scoped_only: bool,
}

impl GrantFilter {
    pub fn by_user(user_id: impl Into<String>) -> Self {
        Self {
            user_id: Some(user_id.into()),
            ..Self::default()
        }
    }
    pub fn by_client(client_id: impl Into<String>) -> Self {
        Self {
            client_id: Some(client_id.into()),
            ..Self::default()
        }
    }
    pub fn by_user_and_client(user_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            user_id: Some(user_id.into()),
            client_id: Some(client_id.into()),
            ..Self::default()
        }
    }
    pub fn with_scope(mut self, scope: Option<String>) -> Self {
        self.scope = scope;
        self
    }
    pub fn scoped_only(mut self) -> Self {
        self.scoped_only = true;
        self
    }
}
