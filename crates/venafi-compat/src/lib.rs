//! venafi-compat: Venafi TPP's OAuth grant WebSDK calls (`/vedsdk/OAuth/…`) and the VEDauth
//! token flow (`/vedauth/…`), drop-in over TLS. Translation only: URL table, bearer
//! authentication, TPP's JSON and errors; the rules live in grant-core.

pub mod auth;
pub mod error;
pub mod handlers;
pub mod import;
pub mod json;
pub mod routes;
pub mod scope;

use actix_web::{HttpRequest, HttpResponse, web};
use grant_http::{ApiError, AppState, GatewayConfig, Vendor};
use serde::Deserialize;

pub struct Venafi;

/// `[vendor]` section of `config/venafi.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VenafiConfig {
    /// What `GET /vedsdk/SystemStatus/Version` reports (≥ 22.3 so clients enable
    /// RevokeGrants).
    pub version: String,
    /// When true, RevokeGrants needs `admin:delete`; otherwise any `admin` scope will do.
    pub strict_revoke_scope: bool,
}

impl Default for VenafiConfig {
    fn default() -> Self {
        Self {
            version: "22.4.0.0".into(),
            strict_revoke_scope: false,
        }
    }
}

pub type State = web::Data<AppState<Venafi>>;

/// Vendor state: none beyond the shared one (the password login, decoy hash included, is
/// grant-core's).
pub struct VenafiState;

impl Vendor for Venafi {
    const NAME: &'static str = "venafi";
    type Config = VenafiConfig;
    type State = VenafiState;
    type Principal = auth::VenafiCaller;

    fn authenticate(
        req: HttpRequest,
        state: web::Data<AppState<Self>>,
        presented: grant_http::Presented,
    ) -> impl std::future::Future<Output = Result<auth::VenafiCaller, ApiError>> + 'static {
        grant_http::auth::authenticate_in_own_hop(req, state, presented)
    }

    fn state(_cfg: &GatewayConfig<VenafiConfig>) -> Result<VenafiState, String> {
        Ok(VenafiState)
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
    }

    const BUILT_IN_CONFIG: &'static str = include_str!("../../../config/venafi.toml");
    const IMPORT_FORMAT: &'static str = "TPP GetGrants responses or arrays of grants, with optional Identities and Applications (API integrations)";

    fn parse_import(text: &str) -> Result<grant_core::service::import::ImportBatch, String> {
        import::parse_file(text)
    }

    fn render_error(err: &ApiError, req: &HttpRequest, _: &AppState<Self>) -> HttpResponse {
        error::render(err, req)
    }
}
