use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A scope of a grant, with Venafi-style restrictions (`certificate:manage,revoke`).
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

    /// Parses one stored token: `name` or `name:r1,r2`.
    pub fn parse_token(token: &str) -> Self {
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

    pub fn token(&self) -> String {
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

    /// Stored form: scope tokens separated by single spaces (RFC 6749 scope syntax).
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(Scope::token)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn from_stored(s: &str) -> Self {
        Self(
            s.split(' ')
                .filter(|t| !t.is_empty())
                .map(Scope::parse_token)
                .collect(),
        )
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| s.name.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}
