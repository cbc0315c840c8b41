//! TPP's errors for routing, framework rejections and outages.

use grant_core::HashingConfig;
use grant_http::testing::TestServer;
use serde_json::json;
use venafi_compat::Venafi;

use crate::common::*;

#[tokio::test]
async fn routing_and_framework_errors_are_tpp_errors() {
    let o = tpp();
    let admin = o.token("admin", "admin").await;
    let (s, h, b) = o.get("/vedsdk/systemstatus/version/", Some(&admin)).await;
    assert_eq!((s, b.as_str()), (200, r#"{"Version":"22.4.0.0"}"#));
    assert_json_headers(&h);
    let (s, _, b) = o.get("/vedsdk/SystemStatus/Version", None).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    // Legacy API keys are not accepted.
    let (s, _, b) = send(
        o.srv
            .client
            .get(o.srv.url("/vedsdk/SystemStatus/Version"))
            .header("X-Venafi-API-Key", admin.clone()),
    )
    .await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    let (s, h, b) = o.get("/vedsdk/OAuth/GetGrants", Some(&admin)).await;
    assert_error(
        s,
        &b,
        405,
        "invalid_request",
        "The HTTP method is not supported by this API method",
    );
    assert_eq!(h["allow"], "POST");
    let (s, h, b) = o.get("/vedsdk/nope", Some(&admin)).await;
    assert_json_headers(&h);
    assert_error(
        s,
        &b,
        404,
        "invalid_request",
        "The requested method was not found",
    );
    let (s, _, b) = o
        .post("/vedsdk/oauth/getgrants", Some(&admin), json!({}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "GranteePrefixedUniversal is required",
    );
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": 5}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "The request body is not valid JSON",
    );
    let (s, _, b) = send(
        o.srv
            .client
            .post(o.srv.url("/vedsdk/oauth/getgrants"))
            .bearer_auth(&admin)
            .body("x".repeat(70_000)),
    )
    .await;
    assert_error(
        s,
        &b,
        413,
        "invalid_request",
        "The request body is too large",
    );
}

#[tokio::test]
async fn database_outage_is_a_503_in_tpp_shape() {
    let o = tpp();
    let admin = o.token("admin", "admin").await;
    let mut cfg = config();
    cfg.database.url = "postgres://nobody@127.0.0.1:1/none".into();
    cfg.database.connection_timeout_secs = 1;
    cfg.hashing = HashingConfig::default();
    let store = grant_core::Store::connect_lazy(&cfg.database).unwrap();
    let down = TestServer::<Venafi>::start_with_store(cfg, store, None);
    let (s, _, b) = send(
        down.client
            .post(down.url("/vedsdk/oauth/getgrants"))
            .bearer_auth(&admin)
            .json(&json!({"GranteePrefixedUniversal": ALICE})),
    )
    .await;
    assert_error(
        s,
        &b,
        503,
        "temporarily_unavailable",
        "The service is temporarily unavailable, try again later",
    );
}
