//! grant-http: the actix-web layer every vendor gateway shares — start-up from
//! configuration, request ids, access log, health checks, database calls off the async
//! workers, and one place where every error (ours or actix's) is rendered by the vendor.

mod app;
pub mod auth;
pub mod config;
mod db;
mod error;
mod logging;
pub mod metrics;
pub mod oauth;
pub mod pagination;
mod request;
pub mod routing;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod tls;

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::Store;
use grant_core::service::credentials::PasswordVerifier;
use serde::de::DeserializeOwned;

pub use app::{blocking_threads, build_app, import_files, run_main, serve};
pub use auth::{ConnectionAuth, PendingCaller, Presented, Principal};
pub use config::{GatewayConfig, ServerConfig, TrustedProxy};
pub use db::run_db;
pub use error::{ApiError, ApiResult};
pub use request::{
    NotText, RequestId, base_url, client_addr, client_ip, header_str, header_text,
    requested_base_url,
};

/// What a vendor gateway supplies; everything else is shared.
pub trait Vendor: Sized + Send + Sync + 'static {
    /// Short lowercase name: config file `config/<name>.toml`, env prefix `<NAME>_COMPAT_`.
    const NAME: &'static str;
    /// Response header carrying the request id, if the vendor has one.
    const REQUEST_ID_HEADER: Option<&'static str> = None;

    /// The vendor's own configuration section (`[vendor]`).
    type Config: DeserializeOwned + Default + Clone + Send + Sync + 'static;
    /// Vendor state shared by all workers (rate limiters, signing keys…).
    type State: Send + Sync + 'static;

    fn state(cfg: &GatewayConfig<Self::Config>) -> Result<Self::State, String>;

    /// The vendor's URL table.
    fn routes(cfg: &mut web::ServiceConfig);

    /// A new request id in the vendor's format.
    fn new_request_id() -> String {
        uuid::Uuid::new_v4().to_string()
    }

    /// Renders any error in the vendor's exact format.
    fn render_error(err: &ApiError, req: &HttpRequest, state: &AppState<Self>) -> HttpResponse;

    /// Who a request's caller is, as the vendor's handlers need it.
    type Principal: Clone + Send + 'static;

    /// Authenticates a request from what its `Authorization` header presents: the vendor's
    /// lookup, its rules (rate limits, required headers) and its refusals. Runs once per
    /// request (see [`auth::Principal`]).
    fn authenticate(
        req: HttpRequest,
        state: web::Data<AppState<Self>>,
        presented: auth::Presented,
    ) -> impl std::future::Future<Output = Result<Self::Principal, ApiError>> + 'static;

    /// The vendor's own configuration file as shipped (`config/<name>.toml`), built in for
    /// a gateway started where no configuration directory is.
    const BUILT_IN_CONFIG: &'static str;

    /// What `<name>-compat import FILE…` reads, in one line (shown by `import --help`).
    const IMPORT_FORMAT: &'static str;

    /// Translates one captured file (what the vendor's own GET calls returned) into
    /// canonical records; grant-core loads them.
    fn parse_import(text: &str) -> Result<grant_core::service::import::ImportBatch, String>;

    /// Last look at every response (e.g. rate-limit headers on every response).
    fn finish_response(_req: &HttpRequest, _state: &AppState<Self>, _res: &mut HttpResponse) {}
}

/// Shared state handed to every handler as `web::Data<AppState<V>>`.
pub struct AppState<V: Vendor> {
    pub store: Store,
    pub passwords: Arc<PasswordVerifier>,
    pub config: Arc<GatewayConfig<V::Config>>,
    pub vendor: V::State,
    /// The certificate served when TLS is on (reloaded on SIGHUP).
    pub tls: Option<Arc<tls::CertStore>>,
}

impl<V: Vendor> AppState<V> {
    pub fn new(store: Store, config: GatewayConfig<V::Config>) -> Result<Self, String> {
        let vendor = V::state(&config)?;
        let tls = if config.server.tls_enabled() {
            Some(tls::CertStore::load(&config.server).map_err(|e| e.to_string())?)
        } else {
            None
        };
        Ok(Self {
            store,
            passwords: Arc::new(PasswordVerifier::new(&config.hashing)),
            config: Arc::new(config),
            vendor,
            tls,
        })
    }

    /// The tenant this gateway serves.
    pub fn tenant(&self) -> &grant_core::model::TenantId {
        grant_core::model::TenantId::new(&self.config.server.tenant)
    }

    /// Runs database work off the async workers; what grant-core counts meanwhile
    /// (revocations) is labelled with this gateway.
    pub async fn db<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut grant_core::DbConn) -> grant_core::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        run_db(&self.store, move |conn| {
            grant_core::metrics::attributed(V::NAME, || f(conn))
        })
        .await
    }
}

/// Marks an error response a handler already rendered in its vendor's exact shape (an
/// OAuth error of a token endpoint, say): it passes through unchanged instead of being
/// re-rendered from an `ApiError`.
#[derive(Debug, Clone, Copy)]
pub struct VendorRendered;

/// `res`, marked as already rendered by the vendor (see [`VendorRendered`]).
pub fn vendor_rendered(mut res: HttpResponse) -> HttpResponse {
    res.extensions_mut().insert(VendorRendered);
    res
}

/// A resource's fallback for methods it does not route: 405 with `Allow`, rendered by the
/// vendor (`resource.default_service(grant_http::allow_only("GET, DELETE"))`).
pub fn allow_only(allow: &'static str) -> actix_web::Route {
    web::to(
        move || async move { Err::<HttpResponse, ApiError>(ApiError::MethodNotAllowed { allow }) },
    )
}
