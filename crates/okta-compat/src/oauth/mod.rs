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
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::model::{AuthorizationServer, DEFAULT_SERVER, ORG_SERVER, Refusal, RequestPolicy};
use grant_core::service::authorization;
use grant_http::oauth::FormError;
pub use grant_http::oauth::{Outcome, Params, allow_origin, presented_client};
use grant_http::{ApiError, base_url, run_db, vendor_rendered};

use crate::State;

/// Registers every authorization-server route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::guard;
    let options = || web::route().guard(guard::Options());
    for (prefix, named) in [("/oauth2/v1", false), ("/oauth2/{asId}/v1", true)] {
        let _ = named;
        cfg.service(
            web::resource(format!("{prefix}/authorize"))
                .route(web::get().to(authorize::authorize))
                .route(web::post().to(authorize::authorize)),
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
    let tenant = state.tenant().to_buf();
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
        ..RequestPolicy::default()
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
    grant_http::oauth::engine(&state.store, f).await
}

/// The form body of a token-type endpoint, or Okta's `invalid_request`.
pub fn form(req: &HttpRequest, body: &[u8]) -> Result<Params, HttpResponse> {
    grant_http::oauth::form(req, body).map_err(|e| {
        let description = match e {
            FormError::NotForm => {
                "The request must be sent with Content-Type application/x-www-form-urlencoded."
            }
            FormError::Malformed => "The request body is not a valid form.",
            FormError::Repeated => "The request contained multiple parameters with the same name.",
        };
        oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
    })
}

/// The `Origin` of a browser request, when some app of the org trusts it (CORS).
pub async fn trusted_origin(req: &HttpRequest, state: &State) -> Option<String> {
    grant_http::oauth::trusted_origin(req, &state.store, Some(state.tenant())).await
}

/// `OPTIONS` on the token-type endpoints, discovery and keys: 204 with the CORS headers
/// for a trusted origin; 403 for any other.
pub async fn preflight(req: HttpRequest, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state).await;
    grant_http::oauth::preflight(
        origin.as_deref(),
        "GET, POST, OPTIONS",
        "accept, authorization, content-type, x-okta-user-agent-extended, x-device-fingerprint",
        false,
    )
}

/// True when the server named by `id` is Okta's `default` or the org server (always there).
pub fn is_built_in(id: &str) -> bool {
    id == ORG_SERVER || id == DEFAULT_SERVER
}
