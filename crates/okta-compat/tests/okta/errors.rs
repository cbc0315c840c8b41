//! Okta's error objects for routing, validation and outages.

use grant_http::testing::TestServer;
use okta_compat::Okta;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn routing_and_validation_errors_are_okta_errors() {
    let o = org();
    let (s, h, body) = get(&o, "/api/v1/users/00ualice000000000001/nothing").await;
    assert_eq!(s, 404);
    assert_okta_headers(&h, true);
    assert_error(
        &body,
        "E0000008",
        "The requested path was not found",
        json!([]),
    );
    let (s, h, body) = send(
        &o,
        reqwest::Method::POST,
        "/api/v1/users/00ualice000000000001/grants",
        Some(&format!("SSWS {}", o.admin)),
    )
    .await;
    assert_eq!(s, 405);
    assert_eq!(h["allow"], "GET, DELETE");
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000022",
        "The endpoint does not support the provided HTTP method",
        json!([]),
    );
    for bad in ["0", "-1", "abc"] {
        let (s, _, body) = get(
            &o,
            &format!("/api/v1/users/00ualice000000000001/grants?limit={bad}"),
        )
        .await;
        assert_eq!(s, 400, "limit={bad}");
        assert_error(
            &body,
            "E0000001",
            "Api validation failed: limit",
            json!([{"errorSummary": "limit: must be an integer between 1 and 200"}]),
        );
    }
    let (s, _, body) = get(&o, "/api/v1/users/00ualice000000000001/grants?after=%21%21").await;
    assert_eq!(s, 400);
    assert_error(
        &body,
        "E0000001",
        "Api validation failed: after",
        json!([{"errorSummary": "after: is not a valid cursor"}]),
    );
    let (s, _, _) = get(
        &o,
        "/api/v1/users/00ualice000000000001/grants?limit=500&expand=other&unknown=1",
    )
    .await;
    assert_eq!(
        s, 200,
        "limit above 200 is capped; unknown expand values and parameters are ignored"
    );
    // Every error has its own errorId.
    let (_, _, a) = get(&o, "/api/v1/nothing").await;
    let (_, _, b) = get(&o, "/api/v1/nothing").await;
    assert_ne!(a["errorId"], b["errorId"]);
}

#[tokio::test]
async fn empty_limit_and_repeated_parameters_are_okta_validation_errors() {
    let o = org();
    let (s, h, body) = get(&o, "/api/v1/users/00ualice000000000001/grants?limit=").await;
    assert_eq!(s, 400);
    assert_okta_headers(&h, true);
    assert_error(
        &body,
        "E0000001",
        "Api validation failed: limit",
        json!([{"errorSummary": "limit: must be an integer between 1 and 200"}]),
    );
    for (query, name) in [
        ("limit=1&limit=2", "limit"),
        ("scopeId=a&scopeId=b", "scopeId"),
        ("expand=scope&expand=scope", "expand"),
        ("after=x&after=y", "after"),
    ] {
        for path in [
            "/api/v1/users/00ualice000000000001/grants",
            "/api/v1/users/00ualice000000000001/clients/0oaclient00000000001/grants",
        ] {
            let (s, _, body) = get(&o, &format!("{path}?{query}")).await;
            assert_eq!(s, 400, "{path}?{query}");
            assert_error(
                &body,
                "E0000001",
                &format!("Api validation failed: {name}"),
                json!([{"errorSummary": format!("{name}: may be given only once")}]),
            );
        }
    }
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "x",
        "oag3ih1zrm1cBFOiq0h6",
        "2017-10-30T22:06:53Z",
    );
    let (s, _, body) = get(
        &o,
        "/api/v1/users/00ualice000000000001/grants/oag3ih1zrm1cBFOiq0h6?expand=scope&expand=x",
    )
    .await;
    assert_eq!(s, 400);
    assert_error(
        &body,
        "E0000001",
        "Api validation failed: expand",
        json!([{"errorSummary": "expand: may be given only once"}]),
    );
}

#[tokio::test]
async fn database_outage_is_a_503_in_okta_shape() {
    let mut cfg = config();
    cfg.database = grant_core::DatabaseConfig {
        url: "postgres://nobody@127.0.0.1:1/none".into(),
        connection_timeout_secs: 1,
        ..grant_core::DatabaseConfig::default()
    };
    let store = grant_core::Store::connect_lazy(&cfg.database).unwrap();
    let srv = TestServer::<Okta>::start_with_store(cfg, store, None);
    let res = srv
        .client
        .get(srv.url("/api/v1/users/me/grants"))
        .header("authorization", "SSWS 00abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert!(res.headers().contains_key("x-rate-limit-reset"));
    let body: Value = res.json().await.unwrap();
    assert_error(
        &body,
        "E0000009",
        "Internal Server Error: the service is temporarily unavailable, try again later",
        json!([]),
    );
}
