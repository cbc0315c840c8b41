//! The shared HTTP layer renders every error — its own and actix's — through the vendor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::{DatabaseConfig, Store};
use grant_http::testing::TestServer;
use grant_http::testing::{parse_responses, raw_exchange};
use grant_http::{ApiError, AppState, GatewayConfig, Vendor, base_url, client_ip};
use serde_json::{Value, json};

struct TestVendor;

impl Vendor for TestVendor {
    const NAME: &'static str = "test";
    const REQUEST_ID_HEADER: Option<&'static str> = Some("x-test-request-id");
    type Config = ();
    type State = ();

    fn state(_: &GatewayConfig<()>) -> Result<(), String> {
        Ok(())
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        cfg.service(
            web::resource("/echo")
                .route(web::post().to(|body: web::Json<Value>| async move {
                    HttpResponse::Ok().json(body.into_inner())
                }))
                .default_service(grant_http::allow_only("POST")),
        )
        .route(
            "/base",
            web::get().to(
                |req: HttpRequest, st: web::Data<AppState<TestVendor>>| async move {
                    HttpResponse::Ok().json(json!({"base": base_url(&req, &st.config.server)}))
                },
            ),
        )
        .service(
            web::resource(grant_http::routing::any_case("/Mixed/{id}"))
                .route(web::get().to(|| async { HttpResponse::Ok().json(json!({})) })),
        )
        .route(
            "/client",
            web::get().to(
                |req: HttpRequest, st: web::Data<AppState<TestVendor>>| async move {
                    HttpResponse::Ok().json(json!({"ip": client_ip(&req, &st.config.server)}))
                },
            ),
        )
        .route(
            "/slow",
            web::get().to(|| async {
                actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
                HttpResponse::Ok().json(json!({"slow": true}))
            }),
        )
        .route(
            "/write",
            web::post().to(|st: web::Data<AppState<TestVendor>>| async move {
                st.db(|conn| {
                    grant_core::service::directory::create_tenant(conn, None, &"n".repeat(500))
                })
                .await?;
                Ok::<_, ApiError>(HttpResponse::Created().json(json!({})))
            }),
        )
        .route(
            "/whoami",
            web::get().to(
                |a: grant_http::Principal<TestVendor>, b: grant_http::Principal<TestVendor>| async move {
                    HttpResponse::Ok().json(json!({"token": a.0.0, "runs": [a.1, b.1]}))
                },
            ),
        )
        .route(
            "/users/{user}/grants",
            web::delete().to(
                |st: web::Data<AppState<TestVendor>>, user: web::Path<String>| async move {
                    let tenant = st.tenant().to_buf();
                    let filter = grant_core::model::GrantFilter::by_user(user.into_inner());
                    let n = st
                        .db(move |conn| {
                            grant_core::service::grants::revoke_grants(conn, &tenant, &filter, "t")
                        })
                        .await?;
                    Ok::<_, ApiError>(HttpResponse::Ok().json(json!({"revoked": n})))
                },
            ),
        )
        .service(web::resource("/grants/{id}").route(web::get().to(
            |id: web::Path<String>| async move {
                Err::<HttpResponse, _>(ApiError::not_found("grant", id.into_inner()))
            },
        )));
    }

    /// The bearer token presented, and how many times authentication ran for the request.
    type Principal = (String, usize);

    fn authenticate(
        req: HttpRequest,
        _: web::Data<AppState<Self>>,
        presented: grant_http::Presented,
    ) -> impl std::future::Future<Output = Result<(String, usize), ApiError>> + 'static {
        use actix_web::HttpMessage;
        let runs = {
            let mut ext = req.extensions_mut();
            let n = ext.get::<usize>().copied().unwrap_or(0) + 1;
            ext.insert(n);
            n
        };
        std::future::ready(match presented {
            grant_http::Presented::Missing => Err(ApiError::MissingCredentials),
            grant_http::Presented::Bearer(token) if token == "good" => Ok((token, runs)),
            _ => Err(ApiError::InvalidCredentials {
                reason: "bad token".into(),
            }),
        })
    }

    const BUILT_IN_CONFIG: &'static str = "";
    const IMPORT_FORMAT: &'static str = "JSON arrays of grants";

    fn parse_import(_: &str) -> Result<grant_core::service::import::ImportBatch, String> {
        Err("the test gateway imports nothing".into())
    }

    fn render_error(err: &ApiError, req: &HttpRequest, _: &AppState<Self>) -> HttpResponse {
        let category = format!("{err:?}");
        let category = category
            .split([' ', '{', '('])
            .next()
            .unwrap_or_default()
            .to_owned();
        HttpResponse::build(err.default_status())
            .json(json!({"vendor": "test", "error": category, "path": req.path()}))
    }
}

fn config() -> GatewayConfig<()> {
    let mut cfg = GatewayConfig::<()>::default();
    cfg.server.max_body_bytes = 1024;
    cfg
}

async fn call(res: reqwest::Response) -> (u16, Value, reqwest::header::HeaderMap) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .json::<Value>()
        .await
        .expect("a JSON body, never plain text");
    (status, body, headers)
}

#[tokio::test]
async fn framework_errors_are_rendered_by_the_vendor() {
    let srv = TestServer::<TestVendor>::start(config());
    let c = &srv.client;

    let (s, b, h) = call(
        c.post(srv.url("/echo"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            400,
            json!({"vendor": "test", "error": "MalformedBody", "path": "/echo"})
        )
    );
    assert!(h.get("x-test-request-id").is_some());

    let (s, b, _) = call(c.get(srv.url("/no/such/route")).send().await.unwrap()).await;
    assert_eq!(
        (s, b),
        (
            404,
            json!({"vendor": "test", "error": "RouteNotFound", "path": "/no/such/route"})
        )
    );

    let (s, b, _) = call(c.delete(srv.url("/echo")).send().await.unwrap()).await;
    assert_eq!(
        (s, b),
        (
            405,
            json!({"vendor": "test", "error": "MethodNotAllowed", "path": "/echo"})
        )
    );
    // A resource without its own fallback answers actix's bare 405: rendered all the same.
    let (s, b, _) = call(c.post(srv.url("/grants/g1")).send().await.unwrap()).await;
    assert_eq!(
        (s, b),
        (
            405,
            json!({"vendor": "test", "error": "MethodNotAllowed", "path": "/grants/g1"})
        )
    );

    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(4096));
    let (s, b, _) = call(
        c.post(srv.url("/echo"))
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            413,
            json!({"vendor": "test", "error": "PayloadTooLarge", "path": "/echo"})
        )
    );

    let (s, b, _) = call(c.get(srv.url("/grants/g1")).send().await.unwrap()).await;
    assert_eq!(
        (s, b),
        (
            404,
            json!({"vendor": "test", "error": "NotFound", "path": "/grants/g1"})
        )
    );

    let (s, b, _) = call(
        c.post(srv.url("/echo"))
            .json(&json!({"a": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b), (200, json!({"a": 1})));

    let (s, b, _) = call(c.get(srv.url("/readyz")).send().await.unwrap()).await;
    assert_eq!((s, b), (200, json!({"status": "ready"})));
}

#[tokio::test]
async fn database_outage_is_a_503_in_the_vendor_format() {
    let db = DatabaseConfig {
        url: "postgres://nobody@127.0.0.1:1/none".into(),
        connection_timeout_secs: 1,
        ..DatabaseConfig::default()
    };
    let store = Store::connect_lazy(&db).unwrap();
    let mut cfg = config();
    cfg.database = db;
    let srv = TestServer::<TestVendor>::start_with_store(cfg, store, None);
    let (s, b, _) = call(srv.client.get(srv.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(
        (s, b),
        (
            503,
            json!({"vendor": "test", "error": "Unavailable", "path": "/readyz"})
        )
    );
    let (s, b, _) = call(srv.client.get(srv.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((s, b), (200, json!({"status": "ok"})));
}

/// With every connection taken, requests queue for a blocking thread (one per pooled
/// connection and argon2 thread) and then for a connection: the queueing counts against the
/// pool's connection timeout, so each request is refused once that timeout has passed since
/// it asked, not after a timeout per round of threads (8 requests, 2 threads: 4 rounds).
#[tokio::test]
async fn a_request_waits_for_the_database_no_longer_than_the_connection_timeout_in_all() {
    let db = grant_core::testing::TestDb::new();
    let mut cfg = config();
    cfg.database = DatabaseConfig {
        pool_size: 1,
        connection_timeout_secs: 1,
        ..db.config.clone()
    };
    cfg.hashing.max_hash_threads = 1;
    cfg.server.workers = 1;
    assert_eq!(grant_http::blocking_threads(&cfg.database, &cfg.hashing), 2);
    let store = Store::connect(&cfg.database).unwrap();
    let srv = TestServer::<TestVendor>::start_with_store(cfg, store.clone(), Some(db));
    let held = tokio::task::spawn_blocking(move || store.conn().unwrap())
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let url = srv.url("/readyz");
    let answers = futures_util::future::join_all(
        (0..8).map(|_| async { call(srv.client.get(&url).send().await.unwrap()).await }),
    )
    .await;
    let elapsed = started.elapsed();
    for (s, b, _) in answers {
        assert_eq!(
            (s, b),
            (
                503,
                json!({"vendor": "test", "error": "Unavailable", "path": "/readyz"})
            )
        );
    }
    assert!(
        elapsed >= Duration::from_millis(950),
        "each waited for the timeout: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(2500),
        "the queue for a thread counts against the timeout: {elapsed:?}"
    );

    drop(held);
    let (s, b, _) = call(srv.client.get(&url).send().await.unwrap()).await;
    assert_eq!((s, b), (200, json!({"status": "ready"})));
}

#[tokio::test]
async fn tls_reload_serves_new_certificates_to_new_connections_and_keeps_open_ones() {
    let srv = TestServer::<TestVendor>::start_tls(config());
    let url = srv.url("/healthz");
    let first = srv.ca_pem.clone().unwrap();
    assert_eq!(
        grant_http::testing::served_certificate(&url).await,
        grant_http::testing::certificate_der(&first)
    );
    // An open keep-alive connection of a client trusting only the first certificate.
    assert_eq!(srv.client.get(&url).send().await.unwrap().status(), 200);

    let server = &srv.state.config.server;
    let (cert, key) = grant_http::testing::self_signed_pem().unwrap();
    std::fs::write(&server.tls_cert, &cert).unwrap();
    std::fs::write(&server.tls_key, &key).unwrap();
    let certs = srv.state.tls.as_ref().unwrap();
    certs.reload().unwrap();
    assert_eq!(
        grant_http::testing::served_certificate(&url).await,
        grant_http::testing::certificate_der(&cert),
        "new connections"
    );
    assert_eq!(
        srv.client.get(&url).send().await.unwrap().status(),
        200,
        "the open connection keeps its session"
    );

    // A bad file keeps the current pair; the error names the file.
    std::fs::write(&server.tls_cert, "not a certificate").unwrap();
    let err = certs.reload().unwrap_err().to_string();
    assert_eq!(err, format!("{}: no certificate found", server.tls_cert));
    let (_, other_key) = grant_http::testing::self_signed_pem().unwrap();
    std::fs::write(&server.tls_cert, &cert).unwrap();
    std::fs::write(&server.tls_key, &other_key).unwrap();
    let err = certs.reload().unwrap_err().to_string();
    assert!(
        err.contains(&server.tls_key),
        "a key of another certificate: {err}"
    );
    assert_eq!(
        grant_http::testing::served_certificate(&url).await,
        grant_http::testing::certificate_der(&cert),
        "still the last good pair"
    );
}

#[tokio::test]
async fn tls_server_answers_https_and_errors_stay_vendor_rendered() {
    let srv = TestServer::<TestVendor>::start_tls(config());
    assert!(srv.base_url.starts_with("https://127.0.0.1:"));
    let (status, body, _) = call(
        srv.client
            .post(srv.url("/echo"))
            .json(&json!({"a": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"a": 1}));
    let (status, body, _) = call(srv.client.get(srv.url("/nope")).send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"vendor": "test", "error": "RouteNotFound", "path": "/nope"})
    );
    // Plain HTTP on the TLS port is refused (no silent downgrade).
    let plain = reqwest::Client::new()
        .get(srv.url("/healthz").replacen("https://", "http://", 1))
        .send()
        .await;
    assert!(plain.map(|r| r.status().as_u16() != 200).unwrap_or(true));
    // An untrusting client fails the handshake: the certificate really is served.
    let untrusting = reqwest::Client::new().get(srv.url("/healthz")).send().await;
    assert!(untrusting.is_err());
}

const RAW_WAIT: Duration = Duration::from_secs(4);

#[tokio::test]
async fn a_body_slower_than_the_deadline_gets_408_and_the_connection_closes() {
    let mut cfg = config();
    cfg.server.body_read_timeout_secs = 1;
    let srv = TestServer::<TestVendor>::start(cfg);
    let addr = srv.addr();
    let request = format!(
        "POST /echo HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"a\": 1"
    );
    let ex = tokio::task::spawn_blocking(move || raw_exchange(&addr, request.as_bytes(), RAW_WAIT))
        .await
        .unwrap();
    let (responses, rest) = parse_responses(&ex.bytes, &[false]);
    assert_eq!(
        responses.len(),
        1,
        "{:?}",
        String::from_utf8_lossy(&ex.bytes)
    );
    let res = &responses[0];
    assert_eq!(res.status, 408);
    assert_eq!(
        serde_json::from_slice::<Value>(&res.body).unwrap(),
        json!({"vendor": "test", "error": "RequestTimeout", "path": "/echo"})
    );
    assert_eq!(res.header("connection"), Some("close"));
    assert!(res.header("x-test-request-id").is_some());
    assert!(rest.is_empty());
    let answered = ex.first_byte_after.unwrap();
    eprintln!("408 after {answered:?}, closed after {:?}", ex.closed_after);
    assert!(
        answered >= Duration::from_millis(900) && answered < Duration::from_millis(2500),
        "answered after {answered:?}"
    );
    assert!(ex.closed_after.is_some(), "connection left open");
}

#[tokio::test]
async fn links_never_echo_an_unknown_host() {
    let mut cfg = config();
    cfg.server.allowed_hosts = vec!["good.example".into(), "pinned.example:8443".into()];
    let srv = TestServer::<TestVendor>::start(cfg);
    let base = |host: &'static str| {
        let req = srv.client.get(srv.url("/base"));
        async move {
            let req = if host.is_empty() {
                req
            } else {
                req.header("host", host)
            };
            call(req.send().await.unwrap()).await.1["base"].clone()
        }
    };
    let own = srv.base_url.clone();
    assert_eq!(base("").await, json!(own));
    assert_eq!(base("evil.example").await, json!(own));
    assert_eq!(base("evil.example:80").await, json!(own));
    assert_eq!(base("pinned.example:9999").await, json!(own));
    assert_eq!(
        base("good.example:8080").await,
        json!("http://good.example:8080")
    );
    assert_eq!(base("GOOD.example").await, json!("http://GOOD.example"));
    assert_eq!(
        base("pinned.example:8443").await,
        json!("http://pinned.example:8443")
    );
    let port = srv.addr().rsplit(':').next().unwrap().to_owned();
    let localhost: &'static str = Box::leak(format!("localhost:{port}").into_boxed_str());
    assert_eq!(base(localhost).await, json!(format!("http://{localhost}")));
    // X-Forwarded-Host is ignored from an untrusted peer.
    let res = srv
        .client
        .get(srv.url("/base"))
        .header("x-forwarded-host", "good.example")
        .send()
        .await
        .unwrap();
    assert_eq!(call(res).await.1["base"], json!(own));
}

#[tokio::test]
async fn a_full_database_is_a_503_in_the_vendor_format_and_readyz_says_so() {
    let srv = TestServer::<TestVendor>::start(config());
    if srv.store.backend() != grant_core::Backend::Sqlite {
        return; // simulated with SQLite's max_page_count
    }
    let c = &srv.client;
    let (s, _, _) = call(c.post(srv.url("/write")).send().await.unwrap()).await;
    assert_eq!(s, 201);
    srv.fill_sqlite_disk(1);
    let (s, b, _) = call(c.get(srv.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(
        (s, b),
        (
            503,
            json!({"vendor": "test", "error": "StorageUnavailable", "path": "/readyz"})
        )
    );
    let mut first_failure = None;
    for i in 0..200 {
        let (s, b, _) = call(c.post(srv.url("/write")).send().await.unwrap()).await;
        if s != 201 {
            first_failure = Some((i, s, b));
            break;
        }
    }
    let (_, s, b) = first_failure.expect("the database filled up");
    assert_eq!(
        (s, b),
        (
            503,
            json!({"vendor": "test", "error": "StorageUnavailable", "path": "/write"})
        )
    );
    let (s, _, _) = call(c.get(srv.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(s, 200);
    // Space freed: ready again at once.
    srv.fill_sqlite_disk(1_000_000);
    let (s, b, _) = call(c.get(srv.url("/readyz")).send().await.unwrap()).await;
    assert_eq!((s, b), (200, json!({"status": "ready"})));
    let (s, _, _) = call(c.post(srv.url("/write")).send().await.unwrap()).await;
    assert_eq!(s, 201);
}

/// actix-http answers requests it cannot parse itself, before any application code runs:
/// an empty 400 (or 431 for oversized heads), without the vendor's headers or body, and
/// the connection closed. Pinned here; see README "Known limits".
#[tokio::test]
async fn protocol_errors_are_answered_by_actix_itself() {
    let srv = TestServer::<TestVendor>::start(config());
    let addr = srv.addr();
    let many: String = (0..120).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "folded header line",
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-A: 1\r\n  folded\r\n\r\n"),
            400,
        ),
        (
            "duplicate Content-Length",
            format!(
                "POST /echo HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 2\r\n\
                 Content-Length: 3\r\n\r\n{{}}"
            ),
            400,
        ),
        (
            "bad version",
            format!("GET /healthz HTTP/9.7\r\nHost: {addr}\r\n\r\n"),
            400,
        ),
        (
            "oversized head",
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n{many}\r\n"),
            431,
        ),
    ];
    for (what, request, status) in cases {
        let a = addr.clone();
        let ex =
            tokio::task::spawn_blocking(move || raw_exchange(&a, request.as_bytes(), RAW_WAIT))
                .await
                .unwrap();
        let (responses, _) = parse_responses(&ex.bytes, &[false]);
        assert_eq!(
            responses.len(),
            1,
            "{what}: {:?}",
            String::from_utf8_lossy(&ex.bytes)
        );
        let res = &responses[0];
        assert_eq!(res.status, status, "{what}");
        assert!(res.body.is_empty(), "{what}");
        assert_eq!(res.header("x-test-request-id"), None, "{what}");
        assert!(ex.closed_after.is_some(), "{what}: connection left open");
    }
}

/// actix-http 3.x keeps one "answering a HEAD" flag per connection, set when a request is
/// *decoded*: with a GET still being handled and a HEAD pipelined behind it, the GET's
/// answer goes out as if for a HEAD — headers with its Content-Length, no body — and the
/// client reads the HEAD's answer as that body. Not fixable from an actix application;
/// pinned here so that an actix upgrade that fixes it shows up (see README "Known limits").
#[tokio::test]
async fn pipelined_head_after_a_pending_get_loses_the_get_body() {
    let srv = TestServer::<TestVendor>::start(config());
    let addr = srv.addr();
    let request = format!(
        "GET /slow HTTP/1.1\r\nHost: {addr}\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    );
    let ex = tokio::task::spawn_blocking(move || {
        raw_exchange(&addr, request.as_bytes(), Duration::from_millis(1500))
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&ex.bytes).into_owned();
    let (responses, _) = parse_responses(&ex.bytes, &[false, true]);
    let get = responses.first().unwrap_or_else(|| panic!("{text}"));
    assert_eq!(get.status, 200, "{text}");
    let length: usize = get.header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, br#"{"slow":true}"#.len());
    // Today: the GET's body is missing; its "body" is the start of the HEAD's answer.
    assert!(get.body.starts_with(b"HTTP/1.1 200"), "{text}");
    assert!(!text.contains(r#"{"slow":true}"#), "{text}");
}

#[tokio::test]
async fn sequential_get_then_head_keep_their_framing() {
    let srv = TestServer::<TestVendor>::start(config());
    let addr = srv.addr();
    // Without pipelining (a GET answered at once, then a HEAD) the framing is right.
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    );
    let ex = tokio::task::spawn_blocking(move || {
        raw_exchange(&addr, request.as_bytes(), Duration::from_millis(800))
    })
    .await
    .unwrap();
    let (responses, rest) = parse_responses(&ex.bytes, &[false, true]);
    assert_eq!(
        responses.len(),
        2,
        "{:?}",
        String::from_utf8_lossy(&ex.bytes)
    );
    assert_eq!(responses[0].body, br#"{"status":"ok"}"#);
    assert!(responses[1].body.is_empty());
    assert!(rest.is_empty());
}

fn with_proxies(list: &[&str]) -> GatewayConfig<()> {
    let mut cfg = config();
    cfg.server.trusted_proxies = list.iter().map(|p| p.parse().unwrap()).collect();
    cfg
}

/// What the gateway takes for the caller's address, given these request headers.
async fn client_seen(srv: &TestServer<TestVendor>, headers: &[(&str, &str)]) -> String {
    let mut req = srv.client.get(srv.url("/client"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let (s, body, _) = call(req.send().await.unwrap()).await;
    assert_eq!(s, 200);
    body["ip"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_trusted_proxy_forged_left_most_hop_is_not_the_client() {
    let srv = TestServer::<TestVendor>::start(with_proxies(&["127.0.0.1"]));
    // The caller wrote 6.6.6.6; the proxy appended the address it saw.
    let xff = [("x-forwarded-for", "6.6.6.6, 203.0.113.7")];
    assert_eq!(client_seen(&srv, &xff).await, "203.0.113.7");
    // Several X-Forwarded-For headers are one list, in order.
    let split = [
        ("x-forwarded-for", "6.6.6.6"),
        ("x-forwarded-for", "203.0.113.8"),
    ];
    assert_eq!(client_seen(&srv, &split).await, "203.0.113.8");
    // RFC 7239 Forwarded, when there is no X-Forwarded-For.
    let fwd = [(
        "forwarded",
        "for=6.6.6.6;proto=https, for=\"[2001:db8::1]:4711\";by=proxy",
    )];
    assert_eq!(client_seen(&srv, &fwd).await, "2001:db8::1");
    let fwd_v4_port = [("forwarded", "for=\"198.51.100.2:5000\"")];
    assert_eq!(client_seen(&srv, &fwd_v4_port).await, "198.51.100.2");
    // A hop that is not an address: the caller is unknown, the trusted proxy is not.
    let junk = [("x-forwarded-for", "6.6.6.6, not-an-ip")];
    assert_eq!(client_seen(&srv, &junk).await, "127.0.0.1");
    // No forwarding header: the proxy itself.
    assert_eq!(client_seen(&srv, &[]).await, "127.0.0.1");
}

#[tokio::test]
async fn trusted_proxy_ranges_are_skipped_right_to_left() {
    let srv = TestServer::<TestVendor>::start(with_proxies(&["127.0.0.0/8", "10.0.0.0/8"]));
    let chain = [(
        "x-forwarded-for",
        "6.6.6.6, 203.0.113.7, 10.1.2.3, 10.200.0.1",
    )];
    assert_eq!(client_seen(&srv, &chain).await, "203.0.113.7");
    // Every hop a trusted proxy: the left-most one.
    let inner = [("x-forwarded-for", "10.9.9.9, 10.1.2.3")];
    assert_eq!(client_seen(&srv, &inner).await, "10.9.9.9");
    let fwd = [("forwarded", "for=6.6.6.6, for=192.0.2.9, for=10.0.0.2")];
    assert_eq!(client_seen(&srv, &fwd).await, "192.0.2.9");
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let srv = TestServer::<TestVendor>::start(with_proxies(&["10.0.0.0/8", "::1"]));
    let forged = [
        ("x-forwarded-for", "203.0.113.7"),
        ("forwarded", "for=203.0.113.9"),
    ];
    assert_eq!(client_seen(&srv, &forged).await, "127.0.0.1");
}

/// Access-log lines (target `access`) written by this test binary.
fn access_lines() -> &'static std::sync::Mutex<Vec<String>> {
    static LINES: std::sync::OnceLock<std::sync::Mutex<Vec<String>>> = std::sync::OnceLock::new();
    struct Capture;
    impl log::Log for Capture {
        fn enabled(&self, meta: &log::Metadata) -> bool {
            meta.target() == "access"
        }
        fn log(&self, record: &log::Record) {
            if record.target() == "access" {
                access_lines()
                    .lock()
                    .unwrap()
                    .push(record.args().to_string());
            }
        }
        fn flush(&self) {}
    }
    LINES.get_or_init(|| {
        if log::set_boxed_logger(Box::new(Capture)).is_ok() {
            log::set_max_level(log::LevelFilter::Info);
        }
        std::sync::Mutex::new(Vec::new())
    })
}

#[tokio::test]
async fn the_access_log_records_the_client_behind_a_trusted_proxy() {
    access_lines();
    let srv = TestServer::<TestVendor>::start(with_proxies(&["127.0.0.1"]));
    let path = format!("/nowhere-{}", uuid::Uuid::new_v4().simple());
    let res = srv
        .client
        .get(srv.url(&path))
        .header("x-forwarded-for", "6.6.6.6, 203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let lines = access_lines().lock().unwrap().clone();
    let line = lines
        .iter()
        .find(|l| l.contains(&path))
        .expect("an access line");
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(
        fields[1..4],
        ["203.0.113.7", "GET", path.as_str()],
        "{line}"
    );
}

/// One sample of the Prometheus text format: name, labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// Parses the text exposition format (0.0.4): `# TYPE` lines and samples
/// `name{label="value",…} value`, label values with `\\`, `\"` and `\n` escapes.
fn parse_prometheus(text: &str) -> (Vec<(String, String)>, Vec<Sample>) {
    let mut types = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            types.push((name.to_owned(), kind.to_owned()));
            continue;
        }
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP "), "unknown comment: {line}");
            continue;
        }
        let name_end = line.find(['{', ' ']).expect("a sample name");
        let name = line[..name_end].to_owned();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name {name}"
        );
        let mut labels = Vec::new();
        let mut rest = &line[name_end..];
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices().peekable();
            let end = loop {
                let (i, c) = chars.next().expect("unterminated labels");
                if c == '}' {
                    break i;
                }
                if c == ',' {
                    continue;
                }
                let mut key = c.to_string();
                for (_, c) in chars.by_ref() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                }
                assert_eq!(chars.next().map(|x| x.1), Some('"'), "{line}");
                let mut value = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next().map(|x| x.1) {
                            Some('n') => value.push('\n'),
                            Some(other) => value.push(other),
                            None => panic!("{line}"),
                        },
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
            };
            rest = &body[end + 1..];
        }
        let value = rest.trim();
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value of {line}")),
        };
        samples.push((name, labels, value));
    }
    (types, samples)
}

fn label<'a>(sample: &'a Sample, key: &str) -> Option<&'a str> {
    sample
        .1
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn metrics_are_scraped_in_the_prometheus_text_format() {
    let srv = TestServer::<TestVendor>::start(config());
    let c = &srv.client;
    let stray = format!("/nowhere-{}", uuid::Uuid::new_v4().simple());
    for path in [
        "/base",
        "/grants/abc",
        "/grants/def",
        "/MIXED/x",
        stray.as_str(),
    ] {
        c.get(srv.url(path)).send().await.unwrap();
    }
    // Three grants of one user, revoked by one request: three revocations.
    let user = {
        use grant_core::model::{NewClient, NewGrant, NewUser};
        use grant_core::service::{clients, directory, grants};
        let t = srv.tenant().to_buf();
        let mut conn = srv.conn();
        directory::create_tenant(&mut conn, Some(t.to_string()), "t").unwrap();
        let new = NewUser {
            login: "metrics".into(),
            ..NewUser::default()
        };
        let user = directory::create_user(&mut conn, &t, new, "test").unwrap();
        let new = NewClient {
            id: Some("c1".into()),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, &t, new, "test").unwrap();
        for _ in 0..3 {
            grants::issue_grant(&mut conn, &t, NewGrant::new(&user.id, "c1"), "test").unwrap();
        }
        user
    };
    let res = c
        .delete(srv.url(&format!("/users/{}/grants", user.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"revoked": 3}));
    let res = c.get(srv.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = res.text().await.unwrap();
    let (types, samples) = parse_prometheus(&text);
    let kind = |name: &str| {
        types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, k)| k.as_str())
    };
    assert_eq!(kind("grant_http_requests_total"), Some("counter"));
    assert_eq!(
        kind("grant_http_request_duration_seconds"),
        Some("histogram")
    );
    assert_eq!(kind("grant_db_pool_connections"), Some("gauge"));
    assert_eq!(kind("grant_argon2_queue_depth"), Some("gauge"));
    assert_eq!(kind("grant_argon2_verifications_total"), Some("counter"));
    assert_eq!(kind("grant_revocations_total"), Some("counter"));
    let revocations: Vec<_> = samples
        .iter()
        .filter(|s| s.0 == "grant_revocations_total" && label(s, "gateway") == Some("test"))
        .map(|s| (label(s, "how").unwrap_or_default(), s.2))
        .collect();
    assert_eq!(
        revocations,
        [("user", 3.0)],
        "grants revoked, not requests: {text}"
    );

    let requests = |route: &str, status: &str| -> f64 {
        samples
            .iter()
            .filter(|s| s.0 == "grant_http_requests_total")
            .filter(|s| label(s, "gateway") == Some("test") && label(s, "method") == Some("GET"))
            .filter(|s| label(s, "route") == Some(route) && label(s, "status") == Some(status))
            .map(|s| s.2)
            .sum()
    };
    // Route templates, not paths: two grants are one series.
    assert!(requests("/grants/{id}", "404") >= 2.0, "{text}");
    assert!(requests("/base", "200") >= 1.0, "{text}");
    // any_case patterns are shown as written.
    assert!(requests("/Mixed/{id}", "200") >= 1.0, "{text}");
    assert!(requests("unmatched", "404") >= 1.0, "{text}");
    assert!(!text.contains(&stray), "a raw path is never a label");

    // The histogram: cumulative buckets ending at +Inf = _count, for the /grants series.
    let series = |suffix: &str| -> Vec<&Sample> {
        samples
            .iter()
            .filter(|s| s.0 == format!("grant_http_request_duration_seconds{suffix}"))
            .filter(|s| label(s, "gateway") == Some("test") && label(s, "method") == Some("GET"))
            .filter(|s| label(s, "route") == Some("/grants/{id}"))
            .collect()
    };
    let buckets = series("_bucket");
    assert!(buckets.len() >= 10, "{text}");
    let les: Vec<f64> = buckets
        .iter()
        .map(|s| label(s, "le").unwrap().parse::<f64>().unwrap())
        .collect();
    assert!(les.windows(2).all(|w| w[0] < w[1]), "le ascending: {les:?}");
    assert_eq!(*les.last().unwrap(), f64::INFINITY);
    assert!(buckets.windows(2).all(|w| w[0].2 <= w[1].2), "cumulative");
    let count = series("_count")[0].2;
    assert_eq!(buckets.last().unwrap().2, count);
    assert!(count >= 2.0);
    assert!(series("_sum")[0].2 > 0.0);

    // The database pool.
    let pool = |state: &str| {
        samples.iter().find(|s| {
            s.0 == "grant_db_pool_connections"
                && label(s, "gateway") == Some("test")
                && label(s, "state") == Some(state)
        })
    };
    assert!(pool("in_use").is_some() && pool("idle").is_some(), "{text}");
    let max = samples
        .iter()
        .find(|s| s.0 == "grant_db_pool_max_connections" && label(s, "gateway") == Some("test"))
        .map(|s| s.2);
    assert!(max.unwrap_or(0.0) >= 1.0, "{text}");
}

#[tokio::test]
async fn the_principal_is_authenticated_once_per_request_and_refusals_are_the_vendors() {
    let srv = TestServer::<TestVendor>::start(GatewayConfig::default());
    let res = srv
        .client
        .get(srv.url("/whoami"))
        .header("authorization", "bearer good")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"token": "good", "runs": [1, 1]}));
    for (header, status) in [(None, 401), (Some("Bearer bad"), 401)] {
        let mut req = srv.client.get(srv.url("/whoami"));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status);
        assert!(res.headers().contains_key("x-test-request-id"));
    }
}
