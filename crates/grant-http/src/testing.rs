//! A real gateway on `127.0.0.1:0` for wire-level tests: the same `serve` as `main`, its own
//! actix system on its own thread, its own database (SQLite temp file or PostgreSQL schema,
//! see `grant_core::testing::TestDb`), stopped and dropped with the value.

use std::net::TcpListener;
use std::sync::mpsc;

use actix_web::web;
use grant_core::Store;
use grant_core::testing::{TestDb, fast_hashing};

use crate::{AppState, GatewayConfig, Vendor};

pub struct TestServer<V: Vendor> {
    pub base_url: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub state: web::Data<AppState<V>>,
    /// PEM of the self-signed certificate when serving HTTPS (`start_tls`).
    pub ca_pem: Option<String>,
    system: Option<actix_web::rt::System>,
    thread: Option<std::thread::JoinHandle<()>>,
    db: Option<TestDb>,
    _tls_dir: Option<tempfile::TempDir>,
}

/// A throw-away self-signed certificate for `localhost` / `127.0.0.1` / `::1`: (cert PEM,
/// key PEM).
pub fn self_signed_pem() -> Result<(String, String), String> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
    Ok((certified.cert.pem(), certified.key_pair.serialize_pem()))
}

impl<V: Vendor> TestServer<V> {
    /// Starts a gateway on a fresh test database with the given configuration (its
    /// `database` section is replaced by the test database's).
    #[allow(clippy::expect_used)]
    pub fn start(mut config: GatewayConfig<V::Config>) -> Self {
        let db = TestDb::new();
        config.database = db.config.clone();
        config.hashing = fast_hashing();
        config.server.workers = 1;
        config.server.shutdown_timeout_secs = 0;
        let store = db.store();
        Self::start_with_store(config, store, Some(db))
    }

    /// Like `start`, serving HTTPS with a fresh self-signed certificate; the client trusts
    /// exactly that certificate.
    #[allow(clippy::expect_used)]
    pub fn start_tls(mut config: GatewayConfig<V::Config>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (cert, key) = self_signed_pem().expect("self-signed certificate");
        let cert_path = dir.path().join("cert.pem");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&cert_path, &cert).expect("write cert");
        std::fs::write(&key_path, &key).expect("write key");
        config.server.tls_cert = cert_path.to_string_lossy().into_owned();
        config.server.tls_key = key_path.to_string_lossy().into_owned();
        let mut srv = Self::start(config);
        srv.base_url = srv.base_url.replacen("http://", "https://", 1);
        srv.client = test_client()
            .add_root_certificate(
                reqwest::Certificate::from_pem(cert.as_bytes()).expect("certificate"),
            )
            .build()
            .expect("reqwest client");
        srv.ca_pem = Some(cert);
        srv._tls_dir = Some(dir);
        srv
    }

    /// Starts a gateway on an explicit store (e.g. one whose database is unreachable).
    #[allow(clippy::expect_used)]
    pub fn start_with_store(
        config: GatewayConfig<V::Config>,
        store: Store,
        db: Option<TestDb>,
    ) -> Self {
        let state =
            web::Data::new(AppState::<V>::new(store.clone(), config).expect("vendor state"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = mpsc::channel();
        let server_state = state.clone();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                match crate::serve::<V>(server_state, listener) {
                    Ok(server) => {
                        actix_web::rt::spawn(server);
                    }
                    Err(e) => log::error!("test server: {e}"),
                }
            });
            let _ = tx.send(actix_web::rt::System::current());
            // Runs until `System::stop`, called when the TestServer is dropped.
            let _ = system.run();
        });
        let system = rx.recv().expect("test server started");
        Self {
            base_url: format!("http://{addr}"),
            client: test_client().build().expect("reqwest client"),
            store,
            state,
            ca_pem: None,
            system: Some(system),
            thread: Some(thread),
            db,
            _tls_dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A connection to the server's database, for arranging data.
    #[allow(clippy::expect_used)]
    pub fn conn(&self) -> grant_core::store::PooledConn {
        self.store.conn().expect("test connection")
    }

    pub fn tenant(&self) -> &str {
        self.state.tenant()
    }
}

impl<V: Vendor> Drop for TestServer<V> {
    fn drop(&mut self) {
        if let Some(system) = self.system.take() {
            system.stop();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        drop(self.db.take());
    }
}

/// The tests' HTTP client: no redirects followed, and idle connections dropped well before
/// the server's keep-alive ends them. A client that keeps an idle connection longer than
/// the server does can send a request on a connection the server is closing at that very
/// moment (`IncompleteMessage`): a test that pauses (a bulk insert) hit exactly that.
pub fn test_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
}
