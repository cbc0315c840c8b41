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

/// One URL path segment, percent-encoded.
pub fn path_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

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

#[derive(Serialize)]
pub struct Link {
    pub href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Serialize)]
pub struct Hints {
    pub allow: [&'static str; 2],
}

#[derive(Serialize)]
pub struct SelfLink {
    pub href: String,
    pub hints: Hints,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantLinks {
    pub app: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Link>,
    pub client: Link,
    #[serde(rename = "self")]
    pub self_: SelfLink,
    pub user: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<Link>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedScope {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Serialize)]
pub struct Embedded {
    pub scope: EmbeddedScope,
}

#[derive(Serialize)]
pub struct Actor {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `OAuth2ScopeConsentGrant`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantResponse {
    pub id: String,
    pub status: &'static str,
    pub created: String,
    pub created_by: Actor,
    pub last_updated: String,
    pub issuer: String,
    pub client_id: String,
    pub user_id: String,
    pub scope_id: String,
    pub source: &'static str,
    #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
    pub embedded: Option<Embedded>,
    #[serde(rename = "_links")]
    pub links: GrantLinks,
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

impl GrantResponse {
    /// One scope of a grant, as its own consent grant: the consent's id and scope, the
    /// grant's times, client, issuer and source.
    pub fn project(consent: &ScopeConsent, ctx: &GrantContext<'_>) -> Self {
        let g = &consent.grant;
        let base = ctx.base;
        let user_id = ctx.user.alias(AliasVendor::Okta);
        let scope_id = consent.scope.clone();
        let client_title = consent.client_name.clone().filter(|n| !n.is_empty());
        let issuer = if g.issuer.is_empty() {
            base.to_owned()
        } else {
            g.issuer.clone()
        };
        let as_id = authorization_server_id(&issuer).map(str::to_owned);
        let as_id = as_id.as_deref();
        let scope_def = ctx
            .scopes
            .and_then(|defs| defs.iter().find(|d| d.id == scope_id || d.name == scope_id));
        let created_by = match &g.created_by {
            // A grant the user made on a consent page records the user's own id: shown as
            // the user's Okta id.
            Some(a) => Actor {
                id: if a.id == ctx.user.id {
                    user_id.to_owned()
                } else {
                    a.id.clone()
                },
                kind: a.kind.clone(),
            },
            None => Actor {
                id: user_id.to_owned(),
                kind: "User".into(),
            },
        };
        GrantResponse {
            id: consent.id.clone(),
            status: match g.status {
                GrantStatus::Active => "ACTIVE",
                GrantStatus::Revoked => "REVOKED",
            },
            created: okta_time(g.created_at),
            created_by,
            last_updated: okta_time(g.updated_at),
            issuer,
            client_id: g.client_id.clone(),
            user_id: user_id.to_owned(),
            embedded: ctx.scopes.map(|_| Embedded {
                scope: EmbeddedScope {
                    id: scope_id.clone(),
                    name: scope_def.map(|d| d.name.clone()),
                    display_name: scope_def.map(|d| d.display_name.clone()),
                    description: scope_def.map(|d| d.description.clone()),
                },
            }),
            scope_id: scope_id.clone(),
            source: match g.source {
                GrantSource::EndUser => "END_USER",
                GrantSource::Admin => "ADMIN",
            },
            links: GrantLinks {
                app: Link {
                    href: format!("{base}/api/v1/apps/{}", g.client_id),
                    title: client_title.clone(),
                },
                scope: as_id.map(|as_id| Link {
                    href: format!(
                        "{base}/api/v1/authorizationServers/{as_id}/scopes/{}",
                        path_segment(&scope_id)
                    ),
                    title: scope_def.map(|d| d.display_name.clone()),
                }),
                client: Link {
                    href: format!("{base}/oauth2/v1/clients/{}", g.client_id),
                    title: client_title,
                },
                self_: SelfLink {
                    href: format!("{base}/api/v1/users/{user_id}/grants/{}", consent.id),
                    hints: Hints {
                        allow: ["GET", "DELETE"],
                    },
                },
                user: Link {
                    href: format!("{base}/api/v1/users/{user_id}"),
                    title: Some(ctx.user.display_name.clone()),
                },
                authorization_server: as_id.map(|as_id| Link {
                    href: format!("{base}/api/v1/authorizationServers/{as_id}"),
                    title: Some(ctx.authorization_server_name.to_owned()),
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
