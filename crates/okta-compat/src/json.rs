//! Okta's wire types: every field name, order, casing and date format lives here.

use chrono::{DateTime, Utc};
use grant_core::model::{
    AliasVendor, Client, GrantSource, GrantStatus, ScopeConsent, ScopeDefinition, User,
};
use grant_http::ApiError;
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde::Serialize;

/// Characters kept as they are in a URL path segment (RFC 3986 `pchar`); everything else,
/// `/` and non-ASCII included, is percent-encoded.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// `YYYY-MM-DDTHH:mm:ss.SSSZ`.
pub fn okta_time(t: DateTime<Utc>) -> String {
    grant_http::time::iso8601_millis(t)
}

/// Okta-style random identifiers (`req…`, `oae…`, `oag…`).
pub fn random_id(prefix: &str, len: usize) -> String {
    let mut id = String::with_capacity(len);
    id.push_str(prefix);
    id.extend(
        rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(len.saturating_sub(prefix.len()))
            .map(char::from),
    );
    id
}

pub fn invalid_token() -> ApiError {
    ApiError::InvalidCredentials {
        reason: "Invalid token provided".into(),
    }
}

/// A link's URL, written straight into the response (no `String` of its own): its pieces
/// in order, then an optional last path segment, percent-encoded.
pub struct Href<'a> {
    pieces: [&'a str; 5],
    encoded_segment: Option<&'a str>,
}

impl<'a> Href<'a> {
    fn new(pieces: [&'a str; 5]) -> Self {
        Self {
            pieces,
            encoded_segment: None,
        }
    }
}

impl std::fmt::Display for Href<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for piece in self.pieces {
            f.write_str(piece)?;
        }
        if let Some(segment) = self.encoded_segment {
            write!(
                f,
                "{}",
                percent_encoding::utf8_percent_encode(segment, PATH_SEGMENT)
            )?;
        }
        Ok(())
    }
}

impl Serialize for Href<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A time as Okta writes it (`YYYY-MM-DDTHH:mm:ss.SSSZ`), written straight into the response.
pub struct OktaTime(pub DateTime<Utc>);

impl Serialize for OktaTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&grant_http::time::Iso8601Millis(self.0))
    }
}

#[derive(Serialize)]
pub struct Link<'a> {
    pub href: Href<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Hints {
    pub allow: [&'static str; 2],
}

#[derive(Serialize)]
pub struct SelfLink<'a> {
    pub href: Href<'a>,
    pub hints: Hints,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantLinks<'a> {
    pub app: Link<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Link<'a>>,
    pub client: Link<'a>,
    #[serde(rename = "self")]
    pub self_: SelfLink<'a>,
    pub user: Link<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<Link<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedScope<'a> {
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Embedded<'a> {
    pub scope: EmbeddedScope<'a>,
}

#[derive(Serialize)]
pub struct Actor<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
}

/// `OAuth2ScopeConsentGrant`, borrowing from the consent and its context: its strings and
/// links are written straight into the response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantResponse<'a> {
    pub id: &'a str,
    pub status: &'static str,
    pub created: OktaTime,
    pub created_by: Actor<'a>,
    pub last_updated: OktaTime,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub scope_id: &'a str,
    pub source: &'static str,
    #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
    pub embedded: Option<Embedded<'a>>,
    #[serde(rename = "_links")]
    pub links: GrantLinks<'a>,
}

/// What a grant's projection needs besides the grant.
pub struct GrantContext<'a> {
    /// Absolute org URL (`https://host[:port]`).
    pub base: &'a str,
    pub user: &'a User,
    /// Known scope definitions; `Some` only with `expand=scope`.
    pub scopes: Option<&'a [ScopeDefinition]>,
    pub authorization_server_name: &'a str,
}

/// The custom authorization server id in an issuer `…/oauth2/{id}`, if any.
fn authorization_server_id(issuer: &str) -> Option<&str> {
    let (_, rest) = issuer.rsplit_once("/oauth2/")?;
    let id = rest.trim_end_matches('/');
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

impl<'a> GrantResponse<'a> {
    /// One scope of a grant, as its own consent grant: the consent's id and scope, the
    /// grant's times, client, issuer and source.
    pub fn project(consent: &'a ScopeConsent, ctx: &GrantContext<'a>) -> Self {
        let g = &consent.grant;
        let base = ctx.base;
        let user_id = ctx.user.alias(AliasVendor::Okta);
        let scope_id = consent.scope.as_str();
        let client_title = consent.client_name.as_deref().filter(|n| !n.is_empty());
        let issuer = if g.issuer.is_empty() {
            base
        } else {
            g.issuer.as_str()
        };
        let as_id = authorization_server_id(issuer);
        let scope_def = ctx
            .scopes
            .and_then(|defs| defs.iter().find(|d| d.id == scope_id || d.name == scope_id));
        let created_by = match &g.created_by {
            // A grant the user made on a consent page records the user's own id: shown as
            // the user's Okta id.
            Some(a) => Actor {
                id: if a.id == ctx.user.id { user_id } else { &a.id },
                kind: &a.kind,
            },
            None => Actor {
                id: user_id,
                kind: "User",
            },
        };
        let client_id = g.client_id.as_str();
        GrantResponse {
            id: &consent.id,
            status: match g.status {
                GrantStatus::Active => "ACTIVE",
                GrantStatus::Revoked => "REVOKED",
            },
            created: OktaTime(g.created_at),
            created_by,
            last_updated: OktaTime(g.updated_at),
            issuer,
            client_id,
            user_id,
            embedded: ctx.scopes.map(|_| Embedded {
                scope: EmbeddedScope {
                    id: scope_id,
                    name: scope_def.map(|d| d.name.as_str()),
                    display_name: scope_def.map(|d| d.display_name.as_str()),
                    description: scope_def.map(|d| d.description.as_str()),
                },
            }),
            scope_id,
            source: match g.source {
                GrantSource::EndUser => "END_USER",
                GrantSource::Admin => "ADMIN",
            },
            links: GrantLinks {
                app: Link {
                    href: Href::new([base, "/api/v1/apps/", client_id, "", ""]),
                    title: client_title,
                },
                scope: as_id.map(|as_id| Link {
                    href: Href {
                        pieces: [base, "/api/v1/authorizationServers/", as_id, "/scopes/", ""],
                        encoded_segment: Some(scope_id),
                    },
                    title: scope_def.map(|d| d.display_name.as_str()),
                }),
                client: Link {
                    href: Href::new([base, "/oauth2/v1/clients/", client_id, "", ""]),
                    title: client_title,
                },
                self_: SelfLink {
                    href: Href::new([base, "/api/v1/users/", user_id, "/grants/", &consent.id]),
                    hints: Hints {
                        allow: ["GET", "DELETE"],
                    },
                },
                user: Link {
                    href: Href::new([base, "/api/v1/users/", user_id, "", ""]),
                    title: Some(&ctx.user.display_name),
                },
                authorization_server: as_id.map(|as_id| Link {
                    href: Href::new([base, "/api/v1/authorizationServers/", as_id, "", ""]),
                    title: Some(ctx.authorization_server_name),
                }),
            },
        }
    }
}

#[derive(Serialize)]
pub struct HrefOnly {
    pub href: String,
}

#[derive(Serialize)]
pub struct UserClientLinks {
    pub grants: HrefOnly,
    pub tokens: HrefOnly,
}

/// `OAuth2Client` as `GET /users/{id}/clients` returns it (snake_case, as Okta).
#[derive(Serialize)]
pub struct UserClientResponse {
    pub client_id: String,
    pub client_name: String,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    #[serde(rename = "_links")]
    pub links: UserClientLinks,
}

impl UserClientResponse {
    pub fn project(c: &Client, base: &str, user_id: &str) -> Self {
        let prefix = format!("{base}/api/v1/users/{user_id}/clients/{}", c.id);
        UserClientResponse {
            client_id: c.id.clone(),
            client_name: c.name.clone(),
            client_uri: c.client_uri.clone(),
            logo_uri: c.logo_uri.clone(),
            links: UserClientLinks {
                grants: HrefOnly {
                    href: format!("{prefix}/grants"),
                },
                tokens: HrefOnly {
                    href: format!("{prefix}/tokens"),
                },
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    pub error_summary: String,
}

/// Okta's error object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_code: &'static str,
    pub error_summary: String,
    pub error_link: &'static str,
    pub error_id: String,
    pub error_causes: Vec<ErrorCause>,
}
