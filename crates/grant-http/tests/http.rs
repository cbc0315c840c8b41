//! The shared HTTP layer renders every error — its own and actix's — through the vendor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::{DatabaseConfig, Store};
use grant_http::testing::TestServer;
use grant_http::{ApiError, AppState, GatewayConfig, Vendor};
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
        .service(web::resource("/grants/{id}").route(web::get().to(
            |id: web::Path<String>| async move {
                Err::<HttpResponse, _>(ApiError::not_found("grant", id.into_inner()))
            },
        )));
    }

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
