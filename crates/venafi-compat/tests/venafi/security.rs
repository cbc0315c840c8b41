//! Robustness on the wire (plain HTTP here: raw sockets): body deadline, undecodable
//! credentials and a seeded fuzz run.

use grant_http::GatewayConfig;
use grant_http::testing::{fuzz, send_stalled_body};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use venafi_compat::VenafiConfig;
use venafi_compat::error::INVALID_TOKEN_DESCRIPTION;

use crate::common::*;
use grant_core::model::TenantStatus;
use grant_core::service::admin;

#[tokio::test]
async fn authorize_body_slower_than_the_deadline_is_408_then_closed() {
    let mut cfg = GatewayConfig::<VenafiConfig>::default();
    cfg.server.body_read_timeout_secs = 1;
    let o = tpp_with(cfg, false);
    let srv = &o.srv;
    let addr = srv.addr();
    let request = format!(
        "POST /vedauth/Authorize/OAuth HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: 120\r\n\r\n{{\"username\": \"alice\""
    );
    let res = &send_stalled_body(addr, request).await;
    assert_eq!(res.status, 408);
    assert_eq!(res.header("connection"), Some("close"));
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&res.body).unwrap(),
        json!({"error": "invalid_request",
               "error_description": "The request body was not received in time"})
    );
}

#[tokio::test]
async fn undecodable_bearer_token_is_an_unknown_token() {
    let o = tpp_with(config(), false);
    let srv = &o.srv;
    let bad = HeaderValue::from_bytes(b"Bearer \xc3\xa9t\xc3\xa9").unwrap();
    let res = srv
        .client
        .get(srv.url("/vedauth/Authorize/Verify"))
        .header("authorization", bad.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "invalid_token", "error_description": INVALID_TOKEN_DESCRIPTION})
    );
    // Revoke/Token: a token that is not known is 202 {}, a missing one 401.
    let res = srv
        .client
        .get(srv.url("/vedauth/Revoke/Token"))
        .header("authorization", bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let res = srv
        .client
        .get(srv.url("/vedauth/Revoke/Token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

fn check_error(
    case: &fuzz::Case,
    _status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    fuzz::json_error_with_keys(case, headers, body, &["error", "error_description"])
}

#[tokio::test]
async fn fuzz_never_5xx_and_errors_keep_the_tpp_shape() {
    let o = tpp_with(config(), false);
    let srv = &o.srv;
    // An Admin's login with the scopes the fuzz run's paths need.
    let token = format!(
        "Bearer {}",
        o.token("admin", "admin:delete;certificate:manage").await
    );
    let paths = [
        "/vedsdk/OAuth/GetGrants",
        "/vedsdk/OAuth/RevokeGrants",
        "/vedsdk/OAuth/EnumerateGrants",
        "/vedsdk/OAuth/GrantCount",
        "/vedsdk/SystemStatus/Version",
        "/vedauth/Authorize/OAuth",
        "/vedauth/Authorize/Token",
        "/vedauth/Authorize/Verify",
        "/vedauth/Authorize/IsAuthServer",
    ];
    let target = fuzz::Target {
        paths: &paths,
        ids: &[],
        auth: &[token],
        fields: &[
            "GranteePrefixedUniversal",
            "ApplicationId",
            "Start",
            "Count",
            "username",
            "password",
            "client_id",
            "scope",
            "state",
            "refresh_token",
        ],
        extra_headers: &[],
    };
    fuzz::assert_vendor_errors(srv, 0x7e_aaf1, 4000, &target, check_error).await;
}

#[tokio::test]
async fn a_disabled_tenant_is_an_invalid_token_and_an_invalid_grant_until_enabled() {
    let o = tpp();
    let token = o.token("alice", "certificate:manage").await;
    let verify = "/vedauth/authorize/verify";
    assert_eq!(o.get(verify, Some(&token)).await.0, 200);
    let set = |status| {
        let mut conn = o.srv.conn();
        admin::set_tenant_status(&mut conn, o.srv.tenant(), status, "test").unwrap();
    };
    set(TenantStatus::Disabled);
    let (status, headers, body) = o.get(verify, Some(&token)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        headers["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    assert_eq!(
        json_of(&body),
        json!({"error": "invalid_token", "error_description": INVALID_TOKEN_DESCRIPTION})
    );
    let (status, _, body) = o
        .post(
            "/vedauth/authorize/oauth",
            None,
            json!({"username": "alice", "password": PASSWORD, "client_id": APP,
                   "scope": "certificate:manage"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        json_of(&body),
        json!({"error": "invalid_grant",
               "error_description": "Username/password combination not valid"})
    );
    set(TenantStatus::Active);
    assert_eq!(o.get(verify, Some(&token)).await.0, 200);
    o.token("alice", "certificate:manage").await;
}
