//! The authorization engine's vocabulary: authorization servers, authorization requests,
//! what a refusal is, and what a token endpoint hands out. No HTTP, no vendor wording:
//! each face words a [`Refusal`] as its vendor does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::grant::text_enum;
use super::{Client, User};

/// The tenant's own authorization server: Okta's org server, and the only server of
/// PingFederate and OCS. It needs no row.
pub const ORG_SERVER: &str = "org";
/// Okta's `default` custom authorization server: always there, audience `api://default`.
pub const DEFAULT_SERVER: &str = "default";

/// An authorization server of a tenant: where tokens are issued, with its own keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationServer {
    pub id: String,
    pub name: String,
    /// The access tokens' `aud` (empty: the issuer itself).
    pub audience: String,
    pub created_at: DateTime<Utc>,
}

text_enum!(
    /// How long a signing key has been around: `next` is published before it signs,
    /// `active` signs, `expired` stays in the key set for tokens it already signed.
    KeyStatus {
        Next = "next",
        Active = "active",
        Expired = "expired",
    }
);

/// A public signing key as a JWK (RS256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub kid: String,
    pub status: KeyStatus,
    /// Base64url modulus and exponent.
    pub n: String,
    pub e: String,
    pub created_at: DateTime<Utc>,
}

text_enum!(
    /// PKCE code challenge methods (RFC 7636).
    ChallengeMethod {
        S256 = "S256",
        Plain = "plain",
    }
);

/// `/authorize` parameters after the face has read them (its own extensions removed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// How a face's vendor records an authorization as grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GrantRecording {
    /// Okta: the scopes a user consents to join the user's consent grant for the client at
    /// the issuer (one grant per scope as Okta shows it); no consent, no grant.
    #[default]
    Consent,
    /// PingFederate: a persistent grant (`authorization_code`) of the user for the client
    /// when the client may use refresh tokens, reused by the next authorization of the same
    /// user and client (its scopes replaced by the newly approved ones).
    Persistent,
    /// IdentityServer (OCS): the authorization code and each refresh token are persisted
    /// grants of their own type; the code's is gone once it is redeemed.
    PerArtifact,
}

/// What the engine needs of a face's policy: the vendor's rules for requests, grants and
/// tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestPolicy {
    /// The vendor requires `state` on every request (Okta).
    pub state_required: bool,
    /// PKCE `plain` is accepted from clients (refused when false: S256 only).
    pub allow_plain_pkce: bool,
    /// Consent is possible on this server (Okta: custom servers only).
    pub consent_possible: bool,
    pub recording: GrantRecording,
    /// Refresh tokens only when `offline_access` was granted (Okta, OCS); otherwise
    /// whenever the client may use the `refresh_token` grant (PingFederate).
    pub refresh_needs_offline_access: bool,
    /// Each refresh returns a new refresh token (Okta, OCS); otherwise the same one
    /// (PingFederate's default).
    pub rotate_refresh_tokens: bool,
    /// How long a rotated refresh token stays usable (Okta: 30 s; OCS: none).
    pub refresh_leeway_secs: i64,
    /// Authorization codes' lifetime (Okta and OCS 300 s, PingFederate 60 s).
    pub code_lifetime_secs: i64,
    /// A replayed code or rotated refresh token revokes what it issued (Okta's reuse
    /// detection); otherwise the replay is only refused (IdentityServer).
    pub revoke_on_replay: bool,
}

impl Default for RequestPolicy {
    fn default() -> Self {
        Self {
            state_required: false,
            allow_plain_pkce: false,
            consent_possible: true,
            recording: GrantRecording::Consent,
            refresh_needs_offline_access: true,
            rotate_refresh_tokens: true,
            refresh_leeway_secs: 30,
            code_lifetime_secs: 300,
            revoke_on_replay: true,
        }
    }
}

/// A request the engine accepted: its client, and the scopes it asks for.
#[derive(Debug, Clone)]
pub struct CheckedRequest {
    pub client: Client,
    pub request: AuthorizationRequest,
}

/// The signed-in user behind an authorization, and when they authenticated.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub auth_time: DateTime<Utc>,
}

text_enum!(
    /// A sign-in session (a cookie) or a one-time session token (Okta's `sessionToken`).
    SessionKind {
        Cookie = "cookie",
        OneTime = "one_time",
    }
);

/// Why an authorization, token, introspection or revocation request is refused. The
/// engine decides; each face words it as its vendor does and picks how it is delivered
/// (an error page, a redirect, a JSON body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    // — at /authorize, never redirected (the redirect URI is not trusted) —
    UnknownClient,
    RedirectUriNotRegistered,
    // — at /authorize, redirected to the client —
    MissingParameter(&'static str),
    UnsupportedResponseType(String),
    /// A scope the client may not ask for, or an unknown one.
    InvalidScope(String),
    NoScopes,
    PkceRequired,
    PkceMethodUnsupported(String),
    /// The client may not use this grant type.
    GrantTypeNotAllowed(String),
    LoginRequired,
    /// Consent is needed for these scopes and the request said not to prompt.
    ConsentRequired(Vec<String>),
    /// The user declined the consent page.
    AccessDenied,
    // — at the token, introspection and revocation endpoints —
    NoClientCredentials,
    ClientAuthenticationFailed,
    /// More than one way of authenticating the client was used at once.
    MultipleClientCredentials,
    UnsupportedGrantType(String),
    InvalidCode,
    RedirectUriMismatch,
    CodeOfAnotherClient,
    PkceVerifierMissing,
    PkceVerificationFailed,
    InvalidRefreshToken,
    /// A refresh asked for scopes beyond the original authorization.
    ScopesNotGranted(Vec<String>),
}

impl Refusal {
    /// The RFC 6749 / OIDC `error` code.
    pub fn error_code(&self) -> &'static str {
        use Refusal::*;
        match self {
            UnknownClient => "invalid_client",
            RedirectUriNotRegistered
            | MissingParameter(_)
            | PkceRequired
            | PkceMethodUnsupported(_)
            | PkceVerifierMissing
            | MultipleClientCredentials => "invalid_request",
            UnsupportedResponseType(_) => "unsupported_response_type",
            InvalidScope(_) | NoScopes => "invalid_scope",
            GrantTypeNotAllowed(_) => "unauthorized_client",
            LoginRequired => "login_required",
            ConsentRequired(_) => "consent_required",
            AccessDenied | ScopesNotGranted(_) => "access_denied",
            NoClientCredentials | ClientAuthenticationFailed => "invalid_client",
            UnsupportedGrantType(_) => "unsupported_grant_type",
            InvalidCode
            | RedirectUriMismatch
            | CodeOfAnotherClient
            | PkceVerificationFailed
            | InvalidRefreshToken => "invalid_grant",
        }
    }

    /// Shown on an error page instead of redirecting to an untrusted redirect URI.
    pub fn is_page(&self) -> bool {
        matches!(
            self,
            Refusal::UnknownClient | Refusal::RedirectUriNotRegistered
        )
    }

    /// The client's authentication failed (HTTP 401 at the token endpoint).
    pub fn is_client_authentication(&self) -> bool {
        matches!(
            self,
            Refusal::NoClientCredentials | Refusal::ClientAuthenticationFailed
        )
    }
}

/// How a client authenticated at a token endpoint, as the face read it from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    pub client_id: String,
    /// The secret, if one was presented (Basic or form).
    pub secret: Option<String>,
}

/// What the engine knows about an issuance when a face shapes its tokens.
#[derive(Debug, Clone)]
pub struct Issuance {
    pub family_id: String,
    pub server: AuthorizationServer,
    pub client: Client,
    pub user: User,
    pub grant_id: Option<String>,
    pub scopes: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub nonce: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub access_expires_at: DateTime<Utc>,
}

/// The tokens of one successful token request.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: String,
    pub expires_in: i64,
    pub scopes: Vec<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
}

/// What introspection found (RFC 7662); `None` from the engine is `{"active": false}`.
#[derive(Debug, Clone)]
pub enum ActiveToken {
    Access {
        claims: serde_json::Map<String, serde_json::Value>,
    },
    Refresh {
        issuance: Box<Issuance>,
        expires_at: Option<DateTime<Utc>>,
    },
}
