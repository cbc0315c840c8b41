//! ocs-compat: the OCS / AVEVA Data Hub Identity API, drop-in — the token service
//! (`/identity/…`), PersistedGrants, AuthorizationCodeClients, ClientCredentialClients with
//! their Secrets, and the Users/Roles reads the sample libraries make. Translation only:
//! URL table, bearer authentication, OCS's PascalCase JSON and ErrorResponse; the rules
//! live in grant-core.

pub mod auth;
pub mod error;
pub mod handlers;
pub mod import;
pub mod json;
pub mod routes;

use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::model::GrantType;
use grant_http::{ApiError, AppState, GatewayConfig, Vendor};
use serde::Deserialize;

pub struct Ocs;

/// `[vendor]` section of `config/ocs.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcsConfig {
    /// Grant types PersistedGrants lists, counts and removes (OCS documents authorization
    /// codes; add `refresh_token` to include refresh tokens).
    pub persisted_grant_types: Vec<String>,
    /// `scope` of the access tokens the token endpoint issues.
    pub token_scope: String,
}

impl Default for OcsConfig {
    fn default() -> Self {
        Self {
            persisted_grant_types: vec!["authorization_code".into()],
            token_scope: "ocsapi".into(),
        }
    }
}

pub struct OcsState {
    pub persisted_grant_types: Vec<GrantType>,
    /// The identity server's signing keys, parsed once per process.
    pub signer: grant_core::service::signing::Signer,
}

pub type State = web::Data<AppState<Ocs>>;

impl Vendor for Ocs {
    const NAME: &'static str = "ocs";
    const REQUEST_ID_HEADER: Option<&'static str> = Some("operation-id");
    type Config = OcsConfig;
    type State = OcsState;
    type Principal = auth::OcsCaller;

    fn authenticate(
        req: HttpRequest,
        state: web::Data<AppState<Self>>,
        presented: grant_http::Presented,
    ) -> impl std::future::Future<Output = Result<auth::OcsCaller, ApiError>> + 'static {
        grant_http::auth::authenticate_in_own_hop(req, state, presented)
    }

    fn state(cfg: &GatewayConfig<OcsConfig>) -> Result<OcsState, String> {
        let types = cfg
            .vendor
            .persisted_grant_types
            .iter()
            .map(|t| {
                t.parse::<GrantType>()
                    .map_err(|e| format!("vendor.persisted_grant_types: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if types.is_empty() {
            return Err("vendor.persisted_grant_types must name at least one grant type".into());
        }
        Ok(OcsState {
            persisted_grant_types: types,
            signer: grant_core::service::signing::Signer::new(),
        })
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
    }

    const BUILT_IN_CONFIG: &'static str = include_str!("../../../config/ocs.toml");
    const IMPORT_FORMAT: &'static str = "JSON documents of a captured tenant: TenantId, TenantName, Roles, AuthorizationCodeClients, ClientCredentialClients, Users and PersistedGrants; see the README";

    fn parse_import(text: &str) -> Result<grant_core::service::import::ImportBatch, String> {
        import::parse_file(text)
    }

    fn render_error(err: &ApiError, req: &HttpRequest, _state: &AppState<Self>) -> HttpResponse {
        error::render(err, req)
    }
}
