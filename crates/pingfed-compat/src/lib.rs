//! pingfed-compat: PingFederate's OAuth Access Grant Management Service
//! (`/pf-ws/rest/oauth/{clients|users}/{id}/grants[/{grantId}]`), drop-in.
//! Translation only: URL table, HTTP Basic checked against the gateway's password
//! credentials (the role of PingFederate's Password Credential Validator), the
//! `X-XSRF-HEADER` rule, PingFederate's JSON and the `runtime-api.log` audit lines; the
//! rules live in grant-core.

pub mod auth;
pub mod error;
pub mod handlers;
pub mod import;
pub mod json;
pub mod oauth;
pub mod routes;
pub mod runtime_log;

use actix_web::{HttpRequest, HttpResponse, web};
use grant_http::{ApiError, AppState, GatewayConfig, Vendor};
use serde::Deserialize;

use crate::runtime_log::RuntimeApiLog;

pub struct PingFed;

/// `[vendor]` section of `config/pingfed.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PingFedConfig {
    /// Name of the Password Credential Validator instance the gateway stands in for: the
    /// gateway's `password` credentials of the tenant. Shown in audit records.
    pub pcv_name: String,
    /// Realm of the `WWW-Authenticate: Basic realm="…"` challenge on 401s.
    pub realm: String,
    /// Send `WWW-Authenticate` on 401s (PingFederate documents none).
    pub www_authenticate: bool,
    /// Error responses carry a small JSON body (`error`, `error_description`); when false
    /// they have no body at all.
    pub error_bodies: bool,
    /// The runtime API audit log file (`runtime-api.log`); empty: not written.
    pub runtime_api_log: String,
    /// log4j2 pattern of one audit line (the one PingFederate ships by default).
    pub runtime_api_log_pattern: String,
}

impl Default for PingFedConfig {
    fn default() -> Self {
        Self {
            pcv_name: "Grant Management PCV".into(),
            realm: "PingFederate".into(),
            www_authenticate: true,
            error_bodies: true,
            runtime_api_log: String::new(),
            runtime_api_log_pattern: runtime_log::DEFAULT_PATTERN.into(),
        }
    }
}

pub struct PingFedState {
    pub runtime_log: RuntimeApiLog,
    /// The authorization server's signing keys, parsed once per process.
    pub signer: grant_core::service::signing::Signer,
}

pub type State = web::Data<AppState<PingFed>>;

impl Vendor for PingFed {
    const NAME: &'static str = "pingfed";
    type Config = PingFedConfig;
    type State = PingFedState;
    type Principal = auth::PingFedCaller;

    fn authenticate(
        req: HttpRequest,
        state: web::Data<AppState<Self>>,
        presented: grant_http::Presented,
    ) -> impl std::future::Future<Output = Result<auth::PingFedCaller, ApiError>> + 'static {
        auth::authenticate(req, state, presented)
    }

    fn state(cfg: &GatewayConfig<PingFedConfig>) -> Result<PingFedState, String> {
        let runtime_log = RuntimeApiLog::open(
            &cfg.vendor.runtime_api_log,
            &cfg.vendor.runtime_api_log_pattern,
        )?;
        Ok(PingFedState {
            runtime_log,
            signer: grant_core::service::signing::Signer::new(),
        })
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
        oauth::configure(cfg);
    }

    const BUILT_IN_CONFIG: &'static str = include_str!("../../../config/pingfed.toml");
    const IMPORT_FORMAT: &'static str = "captured grant lists ({\"items\": [...]} as the grant service returns them), client lists of the admin API, or {\"clients\", \"grants\"} documents";

    fn parse_import(text: &str) -> Result<grant_core::service::import::ImportBatch, String> {
        import::parse_file(text)
    }

    fn render_error(err: &ApiError, req: &HttpRequest, state: &AppState<Self>) -> HttpResponse {
        error::render(err, req, state)
    }

    fn finish_response(req: &HttpRequest, state: &AppState<Self>, res: &mut HttpResponse) {
        runtime_log::record(req, state, res.status().as_u16());
    }
}
