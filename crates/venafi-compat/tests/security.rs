//! Robustness of venafi-compat on the wire: body deadline, undecodable credentials and a
//! seeded fuzz run (plain HTTP here: raw sockets; SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use grant_core::model::*;
use grant_core::service::{admin, clients, credentials, directory};
use grant_http::GatewayConfig;
use grant_http::testing::{TestServer, fuzz, parse_responses, raw_exchange};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use serde_json::{Value, json};
use venafi_compat::error::INVALID_TOKEN_DESCRIPTION;
use venafi_compat::{Venafi, VenafiConfig};

const ALICE: &str = "local:{5a32c46e-e7d8-404d-9987-2e68c0928219}";
const APP: &str = "my-app";
const PASSWORD: &str = "Passw0rd!";

fn start(cfg: GatewayConfig<VenafiConfig>) -> TestServer<Venafi> {
    let srv = TestServer::<Venafi>::start(cfg);
    let t = srv.tenant().to_owned();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.clone()), "tpp").unwrap();
    let user = directory::create_user(
        &mut conn,
        &t,
        NewUser {
            login: "alice".into(),
            aliases: [(AliasVendor::Venafi, ALICE.to_owned())].into(),
            roles: vec!["Admin".into()],
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    credentials::create_credential(
        &mut conn,
        &t,
        NewCredential {
            kind: CredentialKind::Password,
            name: "alice".into(),
            user_id: Some(user.id),
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: String::new(),
            faces: vec![],
        },
        Some(SecretString::from(PASSWORD)),
        &grant_core::testing::fast_hashing(),
        "test",
    )
    .unwrap();
    clients::create_client(
        &mut conn,
        &t,
        NewClient {
            id: Some(APP.into()),
            name: Some(APP.into()),
            kind: Some(ClientKind::ApiIntegration),
            access_token_lifetime: Some(7_776_000),
            refresh_token_lifetime: Some(31_536_000),
            allowed_scopes: vec!["admin:delete".into(), "certificate:manage".into()],
            ..NewClient::default()
        },
        "test",
    )
    .unwrap();
    drop(conn);
    srv
}

/// Alice's password login at Authorize/OAuth.
async fn request_login(srv: &TestServer<Venafi>) -> reqwest::Response {
    srv.client
        .post(srv.url("/vedauth/Authorize/OAuth"))
        .json(
            &json!({"username": "alice", "password": PASSWORD, "client_id": APP,
                      "scope": "admin:delete;certificate:manage"}),
        )
        .send()
        .await
        .unwrap()
}

async fn login(srv: &TestServer<Venafi>) -> String {
    let res = request_login(srv).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn authorize_body_slower_than_the_deadline_is_408_then_closed() {
    let mut cfg = GatewayConfig::<VenafiConfig>::default();
    cfg.server.body_read_timeout_secs = 1;
    let srv = start(cfg);
    let addr = srv.addr();
    let request = format!(
        "POST /vedauth/Authorize/OAuth HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: 120\r\n\r\n{{\"username\": \"alice\""
    );
    let ex = tokio::task::spawn_blocking(move || {
        raw_exchange(&addr, request.as_bytes(), Duration::from_secs(4))
    })
    .await
    .unwrap();
    let (responses, _) = parse_responses(&ex.bytes, &[false]);
    assert_eq!(responses.len(), 1, "{}", String::from_utf8_lossy(&ex.bytes));
    let res = &responses[0];
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
    let answered = ex.first_byte_after.unwrap();
    eprintln!("408 after {answered:?}, closed after {:?}", ex.closed_after);
    assert!(
        answered >= Duration::from_millis(900) && answered < Duration::from_millis(2500),
        "{answered:?}"
    );
    assert!(ex.closed_after.is_some(), "connection left open");
}

/// TPP's answer to a bearer token it does not accept.
async fn assert_invalid_token(res: reqwest::Response) {
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "invalid_token", "error_description": INVALID_TOKEN_DESCRIPTION})
    );
}

#[tokio::test]
async fn undecodable_bearer_token_is_an_unknown_token() {
    let srv = start(GatewayConfig::default());
    let bad = HeaderValue::from_bytes(b"Bearer \xc3\xa9t\xc3\xa9").unwrap();
    let res = srv
        .client
        .get(srv.url("/vedauth/Authorize/Verify"))
        .header("authorization", bad.clone())
        .send()
        .await
        .unwrap();
    assert_invalid_token(res).await;
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
    let srv = start(GatewayConfig::default());
    let token = format!("Bearer {}", login(&srv).await);
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
    fuzz::assert_vendor_errors(&srv, 0x7e_aaf1, 4000, &target, check_error).await;
}

#[tokio::test]
async fn a_disabled_tenant_is_an_invalid_token_and_an_invalid_grant_until_enabled() {
    let srv = start(GatewayConfig::default());
    let token = login(&srv).await;
    let verify = || {
        srv.client
            .get(srv.url("/vedauth/Authorize/Verify"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(verify().await.unwrap().status(), 200);
    let set = |status| {
        let mut conn = srv.conn();
        admin::set_tenant_status(&mut conn, srv.tenant(), status, "test").unwrap();
    };
    set(TenantStatus::Disabled);
    let res = verify().await.unwrap();
    assert_invalid_token(res).await;
    let res = request_login(&srv).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "invalid_grant",
               "error_description": "Username/password combination not valid"})
    );
    set(TenantStatus::Active);
    assert_eq!(verify().await.unwrap().status(), 200);
    login(&srv).await;
}
