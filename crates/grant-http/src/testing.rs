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
    pub fn start(config: GatewayConfig<V::Config>) -> Self {
        let db = TestDb::new();
        let mut srv = Self::start_on(config, &db);
        srv.db = Some(db);
        srv
    }

    /// Starts a gateway on an existing test database, which outlives it: several servers
    /// on one database are replicas of one gateway, and a server started again on it after
    /// another was dropped is a restart.
    pub fn start_on(mut config: GatewayConfig<V::Config>, db: &TestDb) -> Self {
        config.database = db.config.clone();
        config.hashing = fast_hashing();
        config.server.workers = 1;
        config.server.shutdown_timeout_secs = 0;
        Self::start_with_store(config, db.store(), None)
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

    pub fn tenant(&self) -> &grant_core::model::TenantId {
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

/// The certificate (DER) a new connection to the HTTPS `url` is served (any certificate is
/// accepted).
#[allow(clippy::expect_used)]
pub async fn served_certificate(url: &str) -> Vec<u8> {
    let client = test_client()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .build()
        .expect("reqwest client");
    let res = client.get(url).send().await.expect("an HTTPS answer");
    res.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("a peer certificate")
        .to_vec()
}

/// The DER of the first certificate of a PEM text.
#[allow(clippy::expect_used)]
pub fn certificate_der(pem: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("a PEM certificate")
        .to_vec()
}

impl<V: Vendor> TestServer<V> {
    /// `host:port` the server listens on (for raw TCP tests).
    pub fn addr(&self) -> String {
        self.base_url
            .split("://")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }

    /// Sets `PRAGMA max_page_count` on every pooled SQLite connection (a value below the
    /// current size means "the current size"): the next write needing a new page fails as
    /// on a full disk. Takes all `pool_size` connections at once so that each gets it.
    #[allow(clippy::expect_used)]
    pub fn fill_sqlite_disk(&self, pages: u32) {
        use diesel::connection::SimpleConnection;
        let size = self.state.config.database.pool_size.max(1);
        let mut conns: Vec<_> = (0..size).map(|_| self.conn()).collect();
        // Free pages (left by migrations that drop columns) would take writes: none left.
        if let Some(conn) = conns.first_mut() {
            conn.batch_execute("VACUUM;").expect("vacuum");
        }
        for conn in &mut conns {
            conn.batch_execute(&format!("PRAGMA max_page_count = {pages};"))
                .expect("set max_page_count");
        }
    }
}

/// One HTTP/1.1 response read off a raw connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a raw exchange saw: everything read, how long until the first byte and until the
/// peer closed (None: still open when `wait` ran out).
#[derive(Debug)]
pub struct RawExchange {
    pub bytes: Vec<u8>,
    pub first_byte_after: Option<std::time::Duration>,
    pub closed_after: Option<std::time::Duration>,
}

/// Writes `request` in one write on a new connection to `addr`, then reads until the peer
/// closes the connection or `wait` has passed.
#[allow(clippy::expect_used)]
pub fn raw_exchange(addr: &str, request: &[u8], wait: std::time::Duration) -> RawExchange {
    use std::io::{Read, Write};
    let started = std::time::Instant::now();
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).ok();
    stream.write_all(request).expect("write request");
    let mut bytes = Vec::new();
    let mut first_byte_after = None;
    let mut closed_after = None;
    let mut buf = [0u8; 8192];
    while started.elapsed() < wait {
        let left = wait.saturating_sub(started.elapsed());
        stream
            .set_read_timeout(Some(left.max(std::time::Duration::from_millis(1))))
            .ok();
        match stream.read(&mut buf) {
            Ok(0) => {
                closed_after = Some(started.elapsed());
                break;
            }
            Ok(n) => {
                first_byte_after.get_or_insert(started.elapsed());
                bytes.extend_from_slice(&buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                closed_after = Some(started.elapsed());
                break;
            }
        }
    }
    RawExchange {
        bytes,
        first_byte_after,
        closed_after,
    }
}

/// Sends `request`, whose headers promise more body than it carries, to a server with a
/// 1-second body deadline; asserts that exactly one response came, between 0.9 and 2.5 s
/// after the request, and that the server then closed the connection. Returns it.
#[allow(clippy::expect_used)]
pub async fn send_stalled_body(addr: String, request: String) -> RawResponse {
    let wait = std::time::Duration::from_secs(4);
    let ex = tokio::task::spawn_blocking(move || raw_exchange(&addr, request.as_bytes(), wait))
        .await
        .expect("raw exchange");
    let (mut responses, _) = parse_responses(&ex.bytes, &[false]);
    assert_eq!(responses.len(), 1, "{}", String::from_utf8_lossy(&ex.bytes));
    let answered = ex.first_byte_after.expect("an answer");
    eprintln!(
        "answered after {answered:?}, closed after {:?}",
        ex.closed_after
    );
    assert!(
        answered >= std::time::Duration::from_millis(900)
            && answered < std::time::Duration::from_millis(2500),
        "{answered:?}"
    );
    assert!(ex.closed_after.is_some(), "connection left open");
    responses.remove(0)
}

/// Splits a byte stream into HTTP/1.1 responses framed by `Content-Length` (chunked bodies
/// are not expected here). `head[i]` tells whether response `i` answers a HEAD (no body
/// whatever its Content-Length). Returns the responses parsed and the unparsed rest.
pub fn parse_responses(mut bytes: &[u8], head: &[bool]) -> (Vec<RawResponse>, Vec<u8>) {
    let mut out = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let text = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let is_head = head.get(out.len()).copied().unwrap_or(false);
        let len: usize = if is_head {
            0
        } else {
            headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0)
        };
        let start = end + 4;
        if bytes.len() < start + len {
            break;
        }
        out.push(RawResponse {
            status,
            headers,
            body: bytes[start..start + len].to_vec(),
        });
        bytes = &bytes[start + len..];
    }
    (out, bytes.to_vec())
}

/// A bounded, seeded fuzz run: requests made from a vendor's URL table with mutated
/// segments, methods, queries, headers (Authorization variants included) and bodies.
pub mod fuzz {
    use rand::rngs::StdRng;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    use super::TestServer;
    use crate::Vendor;

    /// What a gateway tells the generator about itself.
    pub struct Target<'a> {
        /// Path templates from the vendor's URL table; `{name}` segments are replaced by
        /// one of `ids` or junk.
        pub paths: &'a [&'a str],
        /// Plausible identifiers (existing ones make deeper code paths reachable).
        pub ids: &'a [&'a str],
        /// Whole Authorization header values that are valid (junk ones are added).
        pub auth: &'a [String],
        /// Query keys and body member names the vendor reads.
        pub fields: &'a [&'a str],
        /// Extra headers a request may carry (name, value), e.g. an XSRF header.
        pub extra_headers: &'a [(&'a str, &'a str)],
    }

    /// One generated request.
    #[derive(Debug, Clone)]
    pub struct Case {
        pub method: reqwest::Method,
        pub path: String,
        pub headers: Vec<(String, Vec<u8>)>,
        pub body: Option<Vec<u8>>,
    }

    const JUNK_SEGMENTS: &[&str] = &[
        "",
        "x",
        "..",
        "%2e%2e",
        "%00",
        "%ZZ",
        "%C3%A9t%C3%A9",
        "%F0%9F%92%A5",
        "00000000-0000-0000-0000-000000000000",
        "{00000000-0000-0000-0000-000000000000}",
        "-1",
        "0",
        "18446744073709551616",
        "me",
        "null",
        "%20",
        "a%2Fb",
        "'%20OR%201=1--",
        "%3Cscript%3E",
    ];

    const JUNK_VALUES: &[&str] = &[
        "",
        "-1",
        "0",
        "1",
        "1000",
        "1001",
        "99999999999999999999",
        "abc",
        "%FF",
        "%C3%A9",
        "true",
        "null",
        "2024-13-45T99:99:99Z",
        "a,b,,c",
        "%00",
    ];

    fn junk_string(rng: &mut StdRng) -> String {
        match rng.gen_range(0..5) {
            0 => JUNK_VALUES
                .choose(rng)
                .copied()
                .unwrap_or_default()
                .to_owned(),
            1 => "A".repeat(rng.gen_range(200..5000)),
            2 => "é\u{0}\u{202e}💥\"\\".to_owned(),
            3 => rng.gen_range(i64::MIN..i64::MAX).to_string(),
            _ => (0..rng.gen_range(1..30))
                .map(|_| char::from(rng.gen_range(0x21u8..0x7e)))
                .collect(),
        }
    }

    fn junk_json(rng: &mut StdRng, fields: &[&str], depth: u32) -> serde_json::Value {
        use serde_json::Value;
        match rng.gen_range(0..if depth > 2 { 5 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.r#gen()),
            2 => Value::from(rng.gen_range(-5i64..5_000_000_000)),
            3 => Value::from(rng.r#gen::<f64>() * 1e20),
            4 => Value::String(junk_string(rng)),
            5 => Value::Array(
                (0..rng.gen_range(0..4))
                    .map(|_| junk_json(rng, fields, depth + 1))
                    .collect(),
            ),
            _ => {
                let mut map = serde_json::Map::new();
                for _ in 0..rng.gen_range(0..6) {
                    let key = if rng.gen_bool(0.8) && !fields.is_empty() {
                        fields.choose(rng).copied().unwrap_or_default().to_owned()
                    } else {
                        junk_string(rng)
                    };
                    map.insert(key, junk_json(rng, fields, depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    fn mutate_path(rng: &mut StdRng, template: &str, ids: &[&str]) -> String {
        let mut out = String::new();
        for seg in template.split('/').skip(1) {
            out.push('/');
            if seg.starts_with('{') && seg.ends_with('}') {
                let roll = rng.gen_range(0..10);
                if roll < 8 && !ids.is_empty() {
                    out.push_str(ids.choose(rng).copied().unwrap_or_default());
                } else {
                    out.push_str(JUNK_SEGMENTS.choose(rng).copied().unwrap_or_default());
                }
            } else if rng.gen_bool(0.05) {
                out.push_str(&seg.to_ascii_uppercase());
            } else if rng.gen_bool(0.03) {
                out.push_str(JUNK_SEGMENTS.choose(rng).copied().unwrap_or_default());
            } else {
                out.push_str(seg);
            }
        }
        match rng.gen_range(0..20) {
            0 => out.push('/'),
            1 => out.push_str("/extra"),
            2 => out = out.replacen('/', "//", 1),
            3 => {
                if let Some(i) = out.rfind('/') {
                    out.truncate(i.max(1));
                }
            }
            _ => {}
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }

    fn auth_header(rng: &mut StdRng, valid: &[String]) -> Option<Vec<u8>> {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        Some(match rng.gen_range(0..20) {
            0 => return None,
            1..=11 if !valid.is_empty() => {
                valid.choose(rng).cloned().unwrap_or_default().into_bytes()
            }
            6 => b"Bearer ".to_vec(),
            7 => b"SSWS".to_vec(),
            8 => format!("Basic {}", b64("nobody:wrong")).into_bytes(),
            9 => b"Basic !!!not-base64".to_vec(),
            10 => vec![b'B', b'e', b'a', b'r', b'e', b'r', b' ', 0xff, 0xfe, b'x'],
            11 => format!("Bearer {}", "t".repeat(rng.gen_range(100..6000))).into_bytes(),
            12 => format!("Basic {}", b64("é:ü")).into_bytes(),
            13 => junk_string(rng).into_bytes(),
            _ => return None,
        })
    }

    /// `n` cases from `seed`: the same seed always gives the same cases.
    pub fn cases(seed: u64, n: usize, target: &Target<'_>) -> Vec<Case> {
        let mut rng = StdRng::seed_from_u64(seed);
        let methods = [
            "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "BREW",
        ];
        (0..n)
            .map(|_| {
                let template = target.paths.choose(&mut rng).copied().unwrap_or("/");
                let mut path = mutate_path(&mut rng, template, target.ids);
                if rng.gen_bool(0.4) {
                    let pairs: Vec<String> = (0..rng.gen_range(1..4))
                        .map(|_| {
                            let key = target.fields.choose(&mut rng).copied().unwrap_or("q");
                            let value = JUNK_VALUES.choose(&mut rng).copied().unwrap_or_default();
                            format!("{key}={value}")
                        })
                        .collect();
                    path = format!("{path}?{}", pairs.join("&"));
                }
                let method = reqwest::Method::from_bytes(
                    methods
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or("GET")
                        .as_bytes(),
                )
                .unwrap_or(reqwest::Method::GET);
                let mut headers = Vec::new();
                if let Some(a) = auth_header(&mut rng, target.auth) {
                    headers.push(("authorization".to_owned(), a));
                }
                for (name, value) in target.extra_headers {
                    if rng.gen_bool(0.7) {
                        headers.push(((*name).to_owned(), value.as_bytes().to_vec()));
                    }
                }
                let body = match rng.gen_range(0..8) {
                    0 | 1 => None,
                    2 | 3 => {
                        headers.push(("content-type".into(), b"application/json".to_vec()));
                        Some(
                            junk_json(&mut rng, target.fields, 0)
                                .to_string()
                                .into_bytes(),
                        )
                    }
                    4 => {
                        headers.push(("content-type".into(), b"application/json".to_vec()));
                        Some(b"{\"unterminated\": [1, 2".to_vec())
                    }
                    5 => {
                        headers.push((
                            "content-type".into(),
                            b"application/x-www-form-urlencoded".to_vec(),
                        ));
                        let form: Vec<String> = (0..rng.gen_range(0..5))
                            .map(|_| {
                                let key = target.fields.choose(&mut rng).copied().unwrap_or("k");
                                format!(
                                    "{key}={}",
                                    JUNK_VALUES.choose(&mut rng).copied().unwrap_or_default()
                                )
                            })
                            .collect();
                        Some(form.join("&").into_bytes())
                    }
                    6 => {
                        let ct: &[u8] = [
                            b"text/plain".as_slice(),
                            b"application/json; charset=utf-16",
                            b"multipart/form-data",
                            b"\xff\xfe",
                        ]
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or_default();
                        headers.push(("content-type".into(), ct.to_vec()));
                        Some(
                            (0..rng.gen_range(0..300))
                                .map(|_| rng.r#gen::<u8>())
                                .collect(),
                        )
                    }
                    _ => {
                        headers.push(("content-type".into(), b"application/json".to_vec()));
                        Some(format!("{{\"big\": \"{}\"}}", "x".repeat(200_000)).into_bytes())
                    }
                };
                Case {
                    method,
                    path,
                    headers,
                    body,
                }
            })
            .collect()
    }

    /// Sends every case; returns a description of each answer that is a 5xx or whose error
    /// body `check` rejects (`check(case, status, headers, body)`; called for statuses
    /// ≥ 400).
    /// The common error check: nothing on HEAD, else a JSON object with exactly `keys`.
    pub fn json_error_with_keys(
        case: &Case,
        headers: &HeaderMap,
        body: &[u8],
        keys: &[&str],
    ) -> Result<(), String> {
        if case.method == reqwest::Method::HEAD {
            return if body.is_empty() {
                Ok(())
            } else {
                Err("a body on HEAD".into())
            };
        }
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !ct.starts_with("application/json") {
            return Err(format!("content-type {ct:?}"));
        }
        let found = object_keys(body)?;
        if found != keys {
            return Err(format!("not the vendor's error object: {found:?}"));
        }
        Ok(())
    }

    /// Sends `n` cases generated from `seed` and fails the test, listing every offender,
    /// unless none answered 5xx and every error passed `check` (the vendor's error shape).
    pub async fn assert_vendor_errors<V: Vendor>(
        srv: &TestServer<V>,
        seed: u64,
        n: usize,
        target: &Target<'_>,
        check: impl Fn(&Case, u16, &HeaderMap, &[u8]) -> Result<(), String>,
    ) {
        let cases = cases(seed, n, target);
        let started = std::time::Instant::now();
        let failures = run(srv, &cases, check).await;
        eprintln!(
            "{} fuzz: {} requests in {:?}",
            V::NAME,
            cases.len(),
            started.elapsed()
        );
        if !failures.is_empty() {
            panic!("{} failures:\n{}", failures.len(), failures.join("\n"));
        }
    }

    pub async fn run<V: Vendor>(
        srv: &TestServer<V>,
        cases: &[Case],
        check: impl Fn(&Case, u16, &HeaderMap, &[u8]) -> Result<(), String>,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        for case in cases {
            let mut headers = HeaderMap::new();
            for (name, value) in &case.headers {
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(value),
                ) {
                    headers.append(n, v);
                }
            }
            let mut req = srv
                .client
                .request(case.method.clone(), srv.url(&case.path))
                .headers(headers);
            if let Some(body) = &case.body {
                req = req.body(body.clone());
            }
            let res = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!(
                        "{} {}: transport error {e}",
                        case.method, case.path
                    ));
                    continue;
                }
            };
            let status = res.status().as_u16();
            *statuses.entry(status).or_default() += 1;
            let headers = res.headers().clone();
            let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            let verdict = if status >= 500 {
                Err("5xx".to_owned())
            } else if status >= 400 {
                check(case, status, &headers, &body)
            } else {
                Ok(())
            };
            if let Err(why) = verdict {
                failures.push(format!(
                    "{} {} -> {status}: {why}: {}",
                    case.method,
                    case.path,
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ));
            }
        }
        eprintln!("fuzz statuses: {statuses:?}");
        failures
    }

    /// The members of a JSON object error body, or why it is not one.
    pub fn object_keys(body: &[u8]) -> Result<Vec<String>, String> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
        let obj = value.as_object().ok_or("not a JSON object")?;
        let mut keys: Vec<String> = obj.keys().cloned().collect();
        keys.sort();
        Ok(keys)
    }
}

/// Redactions for `insta` JSON snapshots of wire bodies. Each one first asserts that the
/// value has the shape the vendor documents (a UUID, an RFC 3339 timestamp, an id of a
/// given prefix and length, a URL of this server), then replaces it with a stable marker:
/// a snapshot never hides a malformed value.
pub mod snapshot {
    use insta::internals::{Content, ContentPath, Redaction};

    fn text(value: &Content, path: &ContentPath<'_>) -> String {
        match value.as_str() {
            Some(s) => s.to_owned(),
            None => panic!("{path}: expected a string, found {value:?}"),
        }
    }

    /// Asserts `is(value)` and writes `[label]` in its place.
    pub fn shape(label: &'static str, is: fn(&str) -> bool) -> Redaction {
        insta::dynamic_redaction(move |value: Content, path: ContentPath<'_>| {
            let s = text(&value, &path);
            assert!(is(&s), "{path}: {s:?} is not {label}");
            Content::from(format!("[{label}]").as_str())
        })
    }

    /// An id made of `prefix` and ASCII letters and digits, `len` characters in all
    /// (Okta's `oag…`/`oae…` ids), written as `[label]`.
    pub fn prefixed_id(label: &'static str, prefix: &'static str, len: usize) -> Redaction {
        insta::dynamic_redaction(move |value: Content, path: ContentPath<'_>| {
            let s = text(&value, &path);
            assert!(
                s.starts_with(prefix)
                    && s.len() == len
                    && s.chars().all(|c| c.is_ascii_alphanumeric()),
                "{path}: {s:?} is not {prefix}… of {len} letters and digits"
            );
            Content::from(format!("[{label}]").as_str())
        })
    }

    /// A Unix time in seconds within `from..=to` (e.g. "now + lifetime" measured around the
    /// request), written `[label]`.
    pub fn unix_time_between(label: &'static str, from: i64, to: i64) -> Redaction {
        insta::dynamic_redaction(move |value: Content, path: ContentPath<'_>| {
            match value.as_i64() {
                Some(t) if (from..=to).contains(&t) => {}
                _ => panic!("{path}: {value:?} is not a Unix time in {from}..={to}"),
            }
            Content::from(format!("[{label}]").as_str())
        })
    }

    /// A URL on the test server (`base`, e.g. `http://127.0.0.1:41234`), whose varying
    /// base is written `[base]`; the rest of the URL stays in the snapshot.
    pub fn base_url(base: &str) -> Redaction {
        let base = base.to_owned();
        insta::dynamic_redaction(move |value: Content, path: ContentPath<'_>| {
            let s = text(&value, &path);
            match s.strip_prefix(base.as_str()) {
                Some(rest) => Content::from(format!("[base]{rest}").as_str()),
                None => panic!("{path}: {s:?} is not a URL of this server ({base})"),
            }
        })
    }

    /// A JSON body with every occurrence of this server's base URL written `[base]` (for
    /// documents whose URLs sit under many keys, e.g. an OpenID discovery document).
    pub fn rebase(text: &str, base: &str) -> serde_json::Value {
        match serde_json::from_str(&text.replace(base, "[base]")) {
            Ok(v) => v,
            Err(e) => panic!("not JSON ({e}): {text}"),
        }
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase hexadecimal.
    pub fn is_uuid(s: &str) -> bool {
        s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
            })
    }

    /// RFC 3339 in UTC with exactly three fractional digits: `2024-01-01T00:00:00.000Z`.
    pub fn is_rfc3339_millis(s: &str) -> bool {
        s.len() == 24
            && s.ends_with('Z')
            && s.as_bytes().get(19) == Some(&b'.')
            && chrono::DateTime::parse_from_rfc3339(s).is_ok()
    }

    /// RFC 3339 with an offset or `Z`, any precision.
    pub fn is_rfc3339(s: &str) -> bool {
        chrono::DateTime::parse_from_rfc3339(s).is_ok()
    }
}
