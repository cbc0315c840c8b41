//! okta-compat: Okta's User Grants API (`/api/v1/users/{userId}/grants…`), drop-in.
//! Translation only: URL table, SSWS/Bearer authentication, Okta's JSON and errors; the
//! rules live in grant-core.

pub mod auth;
pub mod error;
pub mod handlers;
pub mod import;
pub mod json;
pub mod oauth;
pub mod ratelimit;
pub mod routes;

use actix_web::{HttpRequest, HttpResponse, web};
use grant_http::{ApiError, AppState, GatewayConfig, Vendor};
use serde::Deserialize;

pub use ratelimit::{RateLimitConfig, RateLimitStore, RateLimiter};

pub struct Okta;

/// `[vendor]` section of `config/okta.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OktaConfig {
    /// Label of the org's authorization server shown in `_links.authorizationServer`.
    pub authorization_server_name: String,
    pub rate_limit: RateLimitConfig,
}

impl Default for OktaConfig {
    fn default() -> Self {
        Self {
            authorization_server_name: "default".into(),
            rate_limit: RateLimitConfig::default(),
        }
    }
}

pub struct OktaState {
    pub rate_limiter: RateLimiter,
    /// The authorization servers' signing keys, parsed once per process.
    pub signer: grant_core::service::signing::Signer,
}

pub type State = web::Data<AppState<Okta>>;

impl Vendor for Okta {
    const NAME: &'static str = "okta";
    const REQUEST_ID_HEADER: Option<&'static str> = Some("x-okta-request-id");
    type Config = OktaConfig;
    type State = OktaState;
    type Principal = auth::OktaCaller;

    fn authenticate(
        req: HttpRequest,
        state: web::Data<AppState<Self>>,
        presented: grant_http::Presented,
    ) -> impl std::future::Future<Output = Result<auth::OktaCaller, ApiError>> + 'static {
        grant_http::auth::authenticate_in_own_hop(req, state, presented)
    }

    fn state(cfg: &GatewayConfig<OktaConfig>) -> Result<OktaState, String> {
        Ok(OktaState {
            rate_limiter: RateLimiter::new(cfg.vendor.rate_limit.clone()),
            signer: grant_core::service::signing::Signer::new(),
        })
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
        oauth::configure(cfg);
    }

    fn new_request_id() -> String {
        json::random_id("req", 26)
    }

    const BUILT_IN_CONFIG: &'static str = include_str!("../../../config/okta.toml");
    const IMPORT_FORMAT: &'static str = "JSON arrays of Okta grant objects (GET /api/v1/users/{id}/grants), or {\"users\", \"clients\", \"grants\"} documents; see the README";

    fn parse_import(text: &str) -> Result<grant_core::service::import::ImportBatch, String> {
        import::parse_file(text)
    }

    fn render_error(err: &ApiError, req: &HttpRequest, state: &AppState<Self>) -> HttpResponse {
        error::render(err, req, state)
    }

    fn finish_response(req: &HttpRequest, state: &AppState<Self>, res: &mut HttpResponse) {
        ratelimit::add_headers(req, state, res);
    }
}
