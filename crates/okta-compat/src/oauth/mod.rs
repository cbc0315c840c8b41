//! Okta's authorization servers: the org server (`/oauth2/v1/…`, issuer = the org URL)
//! and custom servers (`/oauth2/{authorizationServerId}/v1/…`, issuer = org URL +
//! `/oauth2/{id}`), each with its discovery documents and keys, over grant-core's
//! authorization engine. This module holds what every endpoint shares: which server a URL
//! names, Okta's wording of the engine's refusals, form parsing, client authentication
//! and CORS for trusted origins.

// Helpers here return `Err(HttpResponse)`: the response to send, once per request.
#![allow(clippy::result_large_err)]

pub mod authn;
pub mod authorize;
pub mod pages;
pub mod tokens;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use grant_core::model::{
    AuthorizationServer, ClientAuth, DEFAULT_SERVER, ORG_SERVER, Refusal, RequestPolicy,
    TokenAuthMethod,
};
use grant_core::service::authorization::{self, PresentedClient};
use grant_http::{ApiError, base_url, header_str, run_db, vendor_rendered};

use crate::State;

/// Registers every authorization-server route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::guard;
    let options = || web::route().guard(guard::Options());
    for (prefix, named) in [("/oauth2/v1", false), ("/oauth2/{asId}/v1", true)] {
        let _ = named;
        cfg.service(
            web::resource(format!("{prefix}/authorize"))
                .route(web::get().to(authorize::authorize_get))
                .route(web::post().to(authorize::authorize_post)),
        )
        .service(
            web::resource(format!("{prefix}/consent")).route(web::post().to(authorize::consent)),
        )
        .service(
            web::resource(format!("{prefix}/token"))
                .route(web::post().to(tokens::token))
                .route(options().to(preflight)),
        )
        .service(
            web::resource(format!("{prefix}/introspect"))
                .route(web::post().to(tokens::introspect))
                .route(options().to(preflight)),
        )
        .service(
            web::resource(format!("{prefix}/revoke"))
                .route(web::post().to(tokens::revoke))
                .route(options().to(preflight)),
        )
        .service(
            web::resource(format!("{prefix}/keys"))
                .route(web::get().to(tokens::keys))
                .route(options().to(preflight)),
        )
        .service(
            web::resource(format!("{prefix}/userinfo"))
                .route(web::get().to(tokens::userinfo))
                .route(web::post().to(tokens::userinfo))
                .route(options().to(preflight)),
        )
        .service(
            web::resource(format!("{prefix}/logout"))
                .route(web::get().to(authorize::logout))
                .route(web::post().to(authorize::logout)),
        );
    }
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/oauth2/{asId}/.well-known/openid-configuration",
        "/oauth2/{asId}/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/oauth2/{asId}",
    ] {
        cfg.service(
            web::resource(path)
                .route(web::get().to(tokens::discovery))
                .route(options().to(preflight)),
        );
    }
    cfg.service(
        web::resource("/login/login.htm")
            .route(web::get().to(authorize::login_page))
            .route(web::post().to(authorize::login_submit)),
    )
    .service(
        web::resource("/api/v1/authn")
            .route(web::post().to(authn::authn))
            .route(options().to(authn::preflight)),
    );
}

/// The server a request's path names: `/oauth2/{asId}/…` a custom server, anything else
/// the org server.
pub fn server_id(req: &HttpRequest) -> String {
    req.match_info()
        .get("asId")
        .map(str::to_owned)
        .unwrap_or_else(|| ORG_SERVER.to_owned())
}

/// The server named by the request (404 `E0000007` when there is no such server).
pub async fn server(req: &HttpRequest, state: &State) -> Result<AuthorizationServer, ApiError> {
    let id = server_id(req);
    let tenant = state.config.server.tenant.clone();
    run_db(&state.store, move |conn| {
        authorization::server(conn, &tenant, &id)
    })
    .await
}

/// The server's issuer: the org URL, plus `/oauth2/{id}` for a custom server.
pub fn issuer(req: &HttpRequest, state: &State, server: &AuthorizationServer) -> String {
    let base = base_url(req, &state.config.server);
    if server.id == ORG_SERVER {
        base
    } else {
        format!("{base}/oauth2/{}", server.id)
    }
}

/// The engine's policy for a server: Okta requires `state`, accepts only S256, and has
/// consent on custom servers only.
pub fn policy(server: &AuthorizationServer) -> RequestPolicy {
    RequestPolicy {
        state_required: true,
        allow_plain_pkce: false,
        consent_possible: server.id != ORG_SERVER,
    }
}

/// Okta's `error_description` for a refusal.
pub fn describe(r: &Refusal) -> String {
    match r {
        Refusal::UnknownClient => "Invalid value for 'client_id' parameter.".into(),
        Refusal::RedirectUriNotRegistered => {
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings."
                .into()
        }
        Refusal::MissingParameter(p) => format!("The '{p}' parameter is required."),
        Refusal::UnsupportedResponseType(t) => format!(
            "The response type '{t}' is not supported by the authorization server. Configured response types: [code]."
        ),
        Refusal::InvalidScope(_) => {
            "The requested scope is invalid, unknown, or malformed.".into()
        }
        Refusal::NoScopes => "No scopes were requested.".into(),
        Refusal::PkceRequired => "PKCE code challenge is required by the application.".into(),
        Refusal::PkceMethodUnsupported(_) => {
            "PKCE code challenge method is not supported. Valid values: [S256]".into()
        }
        Refusal::GrantTypeNotAllowed(g) => format!(
            "The client is not authorized to use the provided grant type. Configured grant types: [{g}]."
        ),
        Refusal::LoginRequired => {
            "The client specified not to prompt, but the user is not logged in.".into()
        }
        Refusal::ConsentRequired(scopes) => format!(
            "The following scopes require user consent: [{}].",
            scopes.join(", ")
        ),
        Refusal::AccessDenied => "User denied access to the requested scopes.".into(),
        Refusal::NoClientCredentials => "No client credentials found.".into(),
        Refusal::ClientAuthenticationFailed => {
            "Client authentication failed. Either the client or the client credentials are invalid."
                .into()
        }
        Refusal::MultipleClientCredentials => "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.".into(),
        Refusal::UnsupportedGrantType(_) => "The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, refresh_token].".into(),
        Refusal::InvalidCode => "The authorization code is invalid or has expired.".into(),
        Refusal::RedirectUriMismatch => "The 'redirect_uri' does not match the redirection URI used in the authorization request.".into(),
        Refusal::CodeOfAnotherClient => "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.".into(),
        Refusal::PkceVerifierMissing => "PKCE code verifier is required by the application.".into(),
        Refusal::PkceVerificationFailed => "PKCE verification failed.".into(),
        Refusal::InvalidRefreshToken => "The refresh token is invalid or expired.".into(),
        Refusal::ScopesNotGranted(denied) => format!(
            "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: {}",
            denied.join(", ")
        ),
    }
}

/// An OAuth error body (`{"error","error_description"}`) with its status, passed through
/// as rendered.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    vendor_rendered(
        HttpResponse::build(status)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(serde_json::json!({"error": error, "error_description": description})),
    )
}

/// A refusal at a token-type endpoint: 401 for client authentication, else 400.
pub fn refusal_response(r: &Refusal) -> HttpResponse {
    let status = if r.is_client_authentication() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    oauth_error(status, r.error_code(), &describe(r))
}

/// An error of the engine at a token-type endpoint: refusals in OAuth JSON, anything else
/// as the gateway renders it.
pub fn token_error(e: ApiError, refusal: Option<Refusal>) -> HttpResponse {
    match refusal {
        Some(r) => refusal_response(&r),
        None => actix_web::ResponseError::error_response(&e),
    }
}

/// Runs engine work on the blocking pool, keeping a refusal apart from other failures.
pub async fn engine<T, F>(state: &State, f: F) -> Result<T, Outcome>
where
    F: FnOnce(&mut grant_core::DbConn) -> grant_core::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let store = state.store.clone();
    let joined = web::block(move || {
        let mut conn = store.conn()?;
        f(&mut conn)
    })
    .await;
    match joined {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(grant_core::CoreError::Refused(r))) => Err(Outcome::Refused(r)),
        Ok(Err(e)) => Err(Outcome::Failed(e.into())),
        Err(e) => {
            log::error!("blocking task failed: {e}");
            Err(Outcome::Failed(ApiError::Internal))
        }
    }
}

/// Why engine work did not succeed.
#[derive(Debug)]
pub enum Outcome {
    Refused(Refusal),
    Failed(ApiError),
}

impl From<grant_core::CoreError> for Outcome {
    fn from(e: grant_core::CoreError) -> Self {
        match e {
            grant_core::CoreError::Refused(r) => Outcome::Refused(r),
            e => Outcome::Failed(e.into()),
        }
    }
}

impl From<ApiError> for Outcome {
    fn from(e: ApiError) -> Self {
        Outcome::Failed(e)
    }
}

/// A form body or query string as name/value pairs, order kept.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(text: &str) -> Option<Self> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(text)
            .ok()
            .map(Params)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A non-empty value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The first name given more than once.
    pub fn repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(i, (k, _))| self.0[..*i].iter().any(|(seen, _)| seen == k))
            .map(|(_, (k, _))| k.as_str())
    }
}

/// A form body of a token-type endpoint: `application/x-www-form-urlencoded`, no repeated
/// parameter.
pub fn form(req: &HttpRequest, body: &[u8]) -> Result<Params, HttpResponse> {
    let content_type = header_str(req, "content-type").unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request must be sent with Content-Type application/x-www-form-urlencoded.",
        ));
    }
    let params = std::str::from_utf8(body)
        .ok()
        .and_then(Params::parse)
        .ok_or_else(|| {
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request body is not a valid form.",
            )
        })?;
    if params.repeated().is_some() {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request contained multiple parameters with the same name.",
        ));
    }
    Ok(params)
}

fn form_decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map(|(_, v)| v)
        .unwrap_or_else(|| s.to_owned())
}

/// How the client presented itself: HTTP Basic (`id:secret`, each form-encoded, RFC 6749
/// §2.3.1; `base64(id)` alone for a public client, as okta-auth-js sends it), or
/// `client_id` / `client_secret` in the form; both at once is refused.
pub fn presented_client(req: &HttpRequest, form: &Params) -> Result<PresentedClient, Refusal> {
    let basic = header_str(req, "authorization").and_then(|h| {
        let (scheme, rest) = h.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("basic")
            .then(|| rest.trim().to_owned())
    });
    let form_id = form.value("client_id");
    let form_secret = form.value("client_secret");
    if let Some(encoded) = basic {
        if form_secret.is_some() {
            return Err(Refusal::MultipleClientCredentials);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(Refusal::ClientAuthenticationFailed)?;
        let (id, secret) = match decoded.split_once(':') {
            Some((id, secret)) => (form_decode(id), Some(form_decode(secret))),
            None => (decoded, None),
        };
        if form_id.is_some_and(|f| f != id) {
            return Err(Refusal::MultipleClientCredentials);
        }
        let secret = secret.filter(|s| !s.is_empty());
        let method = if secret.is_some() {
            TokenAuthMethod::ClientSecretBasic
        } else {
            TokenAuthMethod::None
        };
        return Ok(PresentedClient {
            auth: ClientAuth {
                client_id: id,
                secret,
            },
            method,
        });
    }
    let id = form_id.ok_or(Refusal::NoClientCredentials)?;
    Ok(PresentedClient {
        auth: ClientAuth {
            client_id: id.to_owned(),
            secret: form_secret.map(str::to_owned),
        },
        method: if form_secret.is_some() {
            TokenAuthMethod::ClientSecretPost
        } else {
            TokenAuthMethod::None
        },
    })
}

/// The `Origin` of a browser request, when some client trusts it (CORS).
pub async fn trusted_origin(req: &HttpRequest, state: &State) -> Option<String> {
    let origin = header_str(req, "origin")?.to_owned();
    let tenant = state.config.server.tenant.clone();
    let check = origin.clone();
    run_db(&state.store, move |conn| {
        authorization::origin_trusted(conn, &tenant, &check)
    })
    .await
    .ok()
    .filter(|trusted| *trusted)
    .map(|_| origin)
}

/// Adds CORS headers for a trusted origin (credentialed: `/api/v1/authn`).
pub fn allow_origin(res: &mut HttpResponse, origin: Option<&str>, credentials: bool) {
    let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return;
    };
    let headers = res.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if credentials {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// `OPTIONS` on the token-type endpoints, discovery and keys: 204 with the CORS headers
/// for a trusted origin; 403 for any other.
pub async fn preflight(req: HttpRequest, state: State) -> HttpResponse {
    match trusted_origin(&req, &state).await {
        Some(origin) => {
            let mut res = HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "accept, authorization, content-type, x-okta-user-agent-extended, x-device-fingerprint",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "3600"))
                .finish();
            allow_origin(&mut res, Some(&origin), false);
            vendor_rendered(res)
        }
        None => vendor_rendered(HttpResponse::Forbidden().finish()),
    }
}

/// True when the server named by `id` is Okta's `default` or the org server (always there).
pub fn is_built_in(id: &str) -> bool {
    id == ORG_SERVER || id == DEFAULT_SERVER
}
