use std::cell::Cell;
use std::net::TcpListener;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Server, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use futures_util::Stream;
use futures_util::future::{Either, ready};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{ApiError, AppState, GatewayConfig, RequestId, Vendor, VendorRendered};
use grant_core::model::TenantId;

fn extractor_error(err: ApiError) -> actix_web::Error {
    err.into()
}

/// The application: vendor routes plus health checks, body limits, extractor errors mapped
/// into `ApiError`, and the middleware that renders every error the vendor's way.
pub fn build_app<V: Vendor>(
    state: web::Data<AppState<V>>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limit = state.config.server.max_body_bytes;
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(limit))
        .app_data(
            web::JsonConfig::default()
                .limit(limit)
                .error_handler(|e, _| {
                    extractor_error(match e {
                        actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                        | actix_web::error::JsonPayloadError::Overflow { .. } => {
                            ApiError::PayloadTooLarge
                        }
                        actix_web::error::JsonPayloadError::ContentType => {
                            ApiError::UnsupportedMediaType
                        }
                        other => ApiError::MalformedBody {
                            reason: other.to_string(),
                        },
                    })
                }),
        )
        .app_data(
            web::FormConfig::default()
                .limit(limit)
                .error_handler(|e, _| {
                    extractor_error(match e {
                        actix_web::error::UrlencodedError::Overflow { .. } => {
                            ApiError::PayloadTooLarge
                        }
                        actix_web::error::UrlencodedError::ContentType => {
                            ApiError::UnsupportedMediaType
                        }
                        other => ApiError::MalformedBody {
                            reason: other.to_string(),
                        },
                    })
                }),
        )
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| extractor_error(ApiError::invalid("query", e.to_string()))),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| extractor_error(ApiError::invalid("path", e.to_string()))),
        )
        .wrap_fn(|mut req: ServiceRequest, srv| {
            let started = Instant::now();
            let request_id = V::new_request_id();
            req.extensions_mut().insert(RequestId(request_id.clone()));
            let body_timeout = req
                .app_data::<web::Data<AppState<V>>>()
                .map(|s| s.config.server.body_read_timeout_secs)
                .unwrap_or(0);
            if body_timeout > 0 {
                let payload = req.take_payload();
                if matches!(payload, Payload::None) {
                    req.set_payload(payload);
                } else {
                    let timed_out = BodyTimedOut::default();
                    req.extensions_mut().insert(timed_out.clone());
                    req.set_payload(Payload::Stream {
                        payload: Box::pin(DeadlinePayload {
                            inner: payload,
                            sleep: Box::pin(actix_web::rt::time::sleep(Duration::from_secs(
                                body_timeout,
                            ))),
                            timed_out,
                        }),
                    });
                }
            }
            // No resource has a NUL in its name (and PostgreSQL refuses NUL in text): a
            // path carrying one matches nothing, on every backend.
            if req.path().contains("%00") {
                let res = req.error_response(ApiError::RouteNotFound);
                return Either::Left(ready(Ok(finish::<V>(res, &request_id, started))));
            }
            let fut = srv.call(req);
            Either::Right(async move {
                let res = fut.await?;
                Ok(finish::<V>(res.map_into_boxed_body(), &request_id, started))
            })
        })
        .service(web::resource("/metrics").route(web::get().to(crate::metrics::scrape::<V>)))
        .service(
            web::resource("/healthz")
                .route(web::get().to(healthz))
                .route(web::head().to(healthz)),
        )
        .route("/readyz", web::get().to(readyz::<V>))
        .configure(V::routes)
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::RouteNotFound)
        }))
}

/// Set (in the request's extensions) when the body did not arrive in time.
#[derive(Clone, Default)]
struct BodyTimedOut(Rc<Cell<bool>>);

/// The request body, cut off with an I/O `TimedOut` error once the deadline passes (actix
/// times out request heads, not bodies: a client announcing more bytes than it sends
/// would hold the handler, its worker slot and the connection forever).
struct DeadlinePayload {
    inner: Payload,
    sleep: Pin<Box<actix_web::rt::time::Sleep>>,
    timed_out: BodyTimedOut,
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let timeout = || {
            Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "request body read timed out",
            )))))
        };
        if this.timed_out.0.get() {
            return timeout();
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Pending => {}
            ready => return ready,
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.timed_out.0.set(true);
            return timeout();
        }
        Poll::Pending
    }
}

/// Renders errors through the vendor, adds the request id and the vendor's per-response
/// headers, and writes the access-log line.
fn finish<V: Vendor>(
    res: ServiceResponse<BoxBody>,
    request_id: &str,
    started: Instant,
) -> ServiceResponse<BoxBody> {
    let (req, mut response) = res.into_parts();
    let Some(state) = req.app_data::<web::Data<AppState<V>>>().cloned() else {
        return ServiceResponse::new(req, response);
    };
    let status = response.status();
    let body_timed_out = req
        .extensions()
        .get::<BodyTimedOut>()
        .is_some_and(|t| t.0.get());
    if status.as_u16() >= 400
        && (body_timed_out || response.extensions().get::<VendorRendered>().is_none())
    {
        let err = if body_timed_out {
            ApiError::RequestTimeout
        } else {
            match response.error() {
                Some(e) => match e.as_error::<ApiError>() {
                    Some(api) => api.clone(),
                    None => {
                        log::debug!("{request_id}: framework error: {e}");
                        ApiError::from_status(status)
                    }
                },
                None => ApiError::from_status(status),
            }
        };
        if err == ApiError::Internal {
            log::error!(
                "{request_id}: internal error on {} {}",
                req.method(),
                req.path()
            );
        }
        response = V::render_error(&err, &req, &state);
        // Every vendor answers 405 with the methods the resource has.
        if let ApiError::MethodNotAllowed { allow } = err
            && let Ok(value) = HeaderValue::from_str(allow)
            && !allow.is_empty()
        {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
    }
    if body_timed_out {
        // The rest of the body may still be on its way: the connection cannot be reused.
        response
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    V::finish_response(&req, &state, &mut response);
    if let (Some(name), Ok(value)) = (V::REQUEST_ID_HEADER, HeaderValue::from_str(request_id)) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
    let bytes = response.body().size();
    crate::metrics::record(
        V::NAME,
        &req,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    access_log(
        &req,
        &state.config.server,
        response.status().as_u16(),
        bytes,
        request_id,
        started,
    );
    ServiceResponse::new(req, response)
}

/// Query parameters whose values are secrets: logged as `***`.
const SECRET_PARAMETERS: &[&str] = &[
    "access_token",
    "client_secret",
    "code",
    "code_verifier",
    "id_token",
    "id_token_hint",
    "password",
    "refresh_token",
    "secret",
    "sessiontoken",
    "token",
];

/// The query string with the values of secret parameters replaced by `***`.
pub(crate) fn redacted_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _))
                if SECRET_PARAMETERS
                    .iter()
                    .any(|s| key.eq_ignore_ascii_case(s)) =>
            {
                format!("{key}=***")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One line per request: request id, client address (through trusted proxies), method,
/// path and query (secrets redacted), status, response bytes, duration, and a keyed tag of
/// the credential.
fn access_log(
    req: &HttpRequest,
    server: &crate::ServerConfig,
    status: u16,
    bytes: actix_web::body::BodySize,
    request_id: &str,
    started: Instant,
) {
    if !log::log_enabled!(target: "access", log::Level::Info) {
        return;
    }
    // The Authorization header is never logged, only a short keyed digest of it.
    let auth = req
        .headers()
        .get("authorization")
        .map(|v| auth_tag(v.as_bytes()))
        .unwrap_or_else(|| "-".into());
    let bytes = match bytes {
        actix_web::body::BodySize::Sized(n) => n.to_string(),
        actix_web::body::BodySize::None => "0".to_owned(),
        actix_web::body::BodySize::Stream => "-".to_owned(),
    };
    let query = req.query_string();
    let target = if query.is_empty() {
        req.path().to_owned()
    } else {
        format!("{}?{}", req.path(), redacted_query(query))
    };
    log::info!(
        target: "access",
        "{request_id} {} {} {target} {status} {bytes}B {}us auth={auth}",
        crate::client_ip(req, server),
        req.method(),
        started.elapsed().as_micros(),
    );
}

/// The key of `auth_tag`: random, made once per process, never stored or logged.
fn auth_tag_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(rand::random)
}

/// A 6-byte HMAC-SHA256 tag of an Authorization header, keyed per process: requests with
/// the same credential can be told apart in one process's log, but a log line cannot be
/// checked against guessed passwords offline (a plain SHA-256 of `Basic base64(user:pw)`
/// could, fast).
pub(crate) fn auth_tag(value: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(auth_tag_key()) else {
        return "-".into();
    };
    mac.update(value);
    mac.finalize().into_bytes()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz<V: Vendor>(state: web::Data<AppState<V>>) -> Result<HttpResponse, ApiError> {
    // A write probe, rolled back: a full disk or database (or an I/O error) reads fine
    // but cannot be written, and must take the instance out of rotation.
    state.db(grant_core::store::probe_write).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}

/// Starts the server on an already bound listener: the same path for `main` and for tests.
/// SIGHUP rereads the TLS certificate files (`tls::CertStore::reload`; without TLS it is
/// only logged). Must be called inside an actix system.
pub fn serve<V: Vendor>(
    state: web::Data<AppState<V>>,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let server_cfg = state.config.server.clone();
    let blocking_threads = blocking_threads(&state.config.database, &state.config.hashing);
    let certs = state.tls.clone();
    let server = HttpServer::new(move || build_app::<V>(state.clone())).keep_alive(
        std::time::Duration::from_secs(server_cfg.keep_alive_secs.max(1)),
    );
    crate::tls::reload_on_sighup(certs.clone())?;
    let mut server = match certs {
        Some(certs) => server.listen_rustls_0_23(listener, crate::tls::server_config(certs)?)?,
        None => server.listen(listener)?,
    }
    .shutdown_timeout(server_cfg.shutdown_timeout_secs);
    if server_cfg.workers > 0 {
        server = server.workers(server_cfg.workers);
    }
    Ok(server.worker_max_blocking_threads(blocking_threads).run())
}

/// Blocking-pool threads per HTTP worker: one per pooled database connection and one per
/// argon2 thread, the most blocking work a worker can have running at once. More threads
/// would only wait for a connection; fewer rotating threads keep their caches and memory warm
/// (okta's list: 4,169 → 5,392 req/s at pool_size 4, scripts/bench-okta.sh). Work beyond
/// them queues, and the queueing counts against the pool's connection timeout
/// (`Store::conn_for`), so the wait stays bounded.
pub fn blocking_threads(
    database: &grant_core::DatabaseConfig,
    hashing: &grant_core::HashingConfig,
) -> usize {
    usize::try_from(database.pool_size.max(1))
        .unwrap_or(usize::MAX)
        .saturating_add(hashing.max_hash_threads.max(1))
}

/// The command line every gateway has.
#[derive(Debug, clap::Parser)]
struct GatewayArgs {
    /// A TOML file layered over the defaults (config/default.toml, then config/<vendor>.toml).
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<GatewayCommand>,
}

#[derive(Debug, clap::Subcommand)]
enum GatewayCommand {
    /// Loads data captured from the real vendor into the database, all files in one
    /// transaction (all or nothing), with the gateway's own configuration.
    Import {
        /// Captured files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
}

fn command<V: Vendor>() -> clap::Command {
    use clap::CommandFactory;
    let name = format!("{}-compat", V::NAME);
    let upper = V::NAME.to_ascii_uppercase();
    GatewayArgs::command()
        .name(name.clone())
        .bin_name(name.clone())
        .version(env!("CARGO_PKG_VERSION"))
        .about(format!(
            "{name}: the {} API, drop-in, over grant-gateways' shared grant store.",
            V::NAME
        ))
        .after_help(format!(
            "Configuration, each layer over the one before:\n  \
             $GRANT_CONFIG_DIR/default.toml and $GRANT_CONFIG_DIR/{v}.toml (GRANT_CONFIG_DIR \
             defaults to ./config; built-in copies when it has no default.toml),\n  \
             --config FILE,\n  \
             GRANT_DATABASE_URL, GRANT_BIND, GRANT_WORKERS, GRANT_PUBLIC_BASE_URL, \
             GRANT_ALLOWED_HOSTS, GRANT_TRUSTED_PROXIES (comma-separated), GRANT_TENANT, GRANT_TLS_CERT, \
              GRANT_TLS_KEY,\n  \
             any key as GRANT_<SECTION>__<KEY> (e.g. GRANT_SERVER__KEEP_ALIVE_SECS=30, \
             GRANT_HASHING__MAX_HASH_THREADS=4),\n  \
             and the same with the {upper}_COMPAT_ prefix, which wins over GRANT_.\n\
             Defaults: bind and database from config/{v}.toml and config/default.toml \
             (sqlite://grants.db).\n\
             Exit codes: 0 ok, 1 runtime error, 2 usage or configuration error.",
            v = V::NAME
        ))
        .mut_subcommand("import", |c| {
            c.about(format!(
                "Loads data captured from the real vendor ({}) into the database, all files in \
                 one transaction (all or nothing), with the gateway's own configuration.",
                V::IMPORT_FORMAT
            ))
        })
}

/// The configuration of this process: files, `--config`, environment.
fn load_config<V: Vendor>(
    explicit: Option<&std::path::Path>,
) -> Result<crate::config::Loaded<V::Config>, String> {
    let env = |k: &str| std::env::var(k).ok();
    let vars: Vec<(String, String)> = std::env::vars().collect();
    crate::config::load_layers(
        V::NAME,
        V::BUILT_IN_CONFIG,
        &crate::config::config_dir(),
        explicit,
        &env,
        &vars,
    )
}

/// The whole `main` of a gateway binary: the server, or the `import FILE…` subcommand.
pub fn run_main<V: Vendor>() -> ExitCode {
    crate::logging::init();
    crate::metrics::init();
    let matches = match command::<V>().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let args = match <GatewayArgs as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    let loaded = match load_config::<V>(args.config.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}-compat: configuration: {e}", V::NAME);
            return ExitCode::from(2);
        }
    };
    if let Some(GatewayCommand::Import { files }) = args.command {
        return run_import::<V>(&loaded.config, &files);
    }
    let config = loaded.config;
    let database = grant_core::store::DatabaseUrl::parse(&config.database.url)
        .map(|u| u.describe())
        .unwrap_or_else(|_| "(invalid URL)".into());
    let store = match grant_core::Store::connect(&config.database) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}-compat: database ({database}): {e}", V::NAME);
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&config.server.bind) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "{}-compat: cannot listen on {}: {e}",
                V::NAME,
                config.server.bind
            );
            return ExitCode::from(2);
        }
    };
    let state = match AppState::<V>::new(store, config) {
        Ok(s) => web::Data::new(s),
        Err(e) => {
            eprintln!("{}-compat: {e}", V::NAME);
            return ExitCode::from(2);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let tls = state.config.server.tls_enabled();
    log::info!(
        "{}-compat {} listening on {}://{addr} (TLS {}); database: {database}; configuration: {}",
        V::NAME,
        env!("CARGO_PKG_VERSION"),
        if tls { "https" } else { "http" },
        if tls { "on" } else { "off" },
        loaded.sources.join(", "),
    );
    let result = actix_web::rt::System::new().block_on(async move {
        match serve::<V>(state, listener) {
            Ok(server) => server.await,
            Err(e) => Err(e),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}-compat: {e}", V::NAME);
            ExitCode::FAILURE
        }
    }
}

/// Loads captured files with the vendor's parser, all in one transaction (grant-core
/// `import_files`); the audit names `<vendor>-compat import`.
pub fn import_files<V: Vendor>(
    conn: &mut grant_core::DbConn,
    tenant: &grant_core::model::TenantId,
    files: &[String],
) -> Result<Vec<grant_core::service::import::BatchReport>, String> {
    let actor = format!("{}-compat import", V::NAME);
    grant_core::service::import::import_files(conn, tenant, files, &actor, V::parse_import)
}

/// The `<vendor>-compat import FILE…` subcommand every gateway has: same configuration and
/// database as the server, then the files, in one transaction; a summary per file.
fn run_import<V: Vendor>(config: &GatewayConfig<V::Config>, files: &[String]) -> ExitCode {
    let result = grant_core::Store::connect(&config.database)
        .and_then(|s| s.conn())
        .map_err(|e| e.to_string())
        .and_then(|mut conn| {
            import_files::<V>(&mut conn, TenantId::new(&config.server.tenant), files)
        });
    match result {
        Ok(reports) => {
            for report in reports {
                println!("{report}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}-compat import: {e}", V::NAME);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::auth_tag;

    #[test]
    fn secret_query_values_are_redacted() {
        assert_eq!(
            super::redacted_query("limit=20&client_secret=s3cr3t&Token=abc&after=x&code"),
            "limit=20&client_secret=***&Token=***&after=x&code"
        );
    }

    #[test]
    fn auth_tag_is_keyed_and_stable_within_the_process() {
        let header = b"Basic YWxpY2U6c2VjcmV0";
        let tag = auth_tag(header);
        assert_eq!(tag.len(), 12);
        assert_eq!(tag, auth_tag(header));
        assert_ne!(tag, auth_tag(b"Basic Ym9iOnNlY3JldA=="));
        let plain: String = Sha256::digest(header)[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(tag, plain, "not the unsalted SHA-256 prefix");
    }
}
