//! Robustness of pingfed-compat on the wire: undecodable credentials and a seeded fuzz run
//! (SQLite, or PostgreSQL when GRANT_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use grant_core::model::*;
use grant_core::service::{admin, clients, credentials, directory, grants};
use grant_core::testing::fast_hashing;
use grant_http::GatewayConfig;
use grant_http::testing::{TestServer, fuzz};
use pingfed_compat::auth::{BASIC_REQUIRED, INVALID_CREDENTIALS};
use pingfed_compat::{PingFed, PingFedConfig};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use serde_json::{Value, json};

const ADMIN: &str = "Basic YWRtaW46MkZlZGVyYXRl"; // admin:2Federate

struct Pf {
    srv: TestServer<PingFed>,
    grant: Grant,
    _dir: tempfile::TempDir,
}

fn pf() -> Pf {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GatewayConfig::<PingFedConfig>::default();
    cfg.vendor.runtime_api_log = dir
        .path()
        .join("runtime-api.log")
        .to_string_lossy()
        .into_owned();
    let srv = TestServer::<PingFed>::start(cfg);
    let t = srv.tenant().to_owned();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.clone()), "pf").unwrap();
    let user = directory::create_user(
        &mut conn,
        &t,
        NewUser {
            login: "asmith".into(),
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    let new = NewClient {
        id: Some("ac_client".into()),
        name: Some("ac_client".into()),
        ..NewClient::default()
    };
    clients::create_client(&mut conn, &t, new, "test").unwrap();
    let new = NewCredential {
        kind: CredentialKind::Password,
        name: "admin".into(),
        user_id: None,
        client_id: None,
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: vec![],
    };
    credentials::create_credential(
        &mut conn,
        &t,
        new,
        Some(SecretString::from("2Federate")),
        &fast_hashing(),
        "test",
    )
    .unwrap();
    let mut g = NewGrant::new(&user.id, "ac_client");
    g.scopes = ScopeSet::from_names(["openid"]);
    let grant = grants::issue_grant(&mut conn, &t, g, "test").unwrap();
    drop(conn);
    Pf {
        srv,
        grant,
        _dir: dir,
    }
}

#[tokio::test]
async fn undecodable_authorization_is_invalid_credentials_not_missing() {
    let p = pf();
    let url = p.srv.url("/pf-ws/rest/oauth/users/asmith/grants");
    let res = p
        .srv
        .client
        .get(&url)
        .header(
            "authorization",
            HeaderValue::from_bytes(b"Basic \xc3\xa9\xff").unwrap(),
        )
        .header("x-xsrf-header", "pingfed")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "unauthorized", "error_description": INVALID_CREDENTIALS})
    );
    let res = p.srv.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "unauthorized", "error_description": BASIC_REQUIRED})
    );
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
async fn fuzz_never_5xx_and_errors_keep_the_pingfed_shape() {
    let p = pf();
    let gid: &'static str = Box::leak(p.grant.id.clone().into_boxed_str());
    let paths = [
        "/pf-ws/rest/oauth/clients/{clientId}/grants",
        "/pf-ws/rest/oauth/clients/{clientId}/grants/{grantId}",
        "/pf-ws/rest/oauth/users/{userKey}/grants",
        "/pf-ws/rest/oauth/users/{userKey}/grants/{grantId}",
    ];
    let target = fuzz::Target {
        paths: &paths,
        ids: &["ac_client", "asmith", gid, "im_client"],
        auth: &[ADMIN.to_owned()],
        fields: &["grantType", "clientId", "userKey", "scope"],
        extra_headers: &[("x-xsrf-header", "pingfed")],
    };
    fuzz::assert_vendor_errors(&p.srv, 0x9f_ed, 4000, &target, check_error).await;
}

#[tokio::test]
async fn a_disabled_tenant_is_invalid_credentials_until_enabled() {
    let p = pf();
    let url = p.srv.url("/pf-ws/rest/oauth/users/asmith/grants");
    let get = || {
        p.srv
            .client
            .get(&url)
            .header("authorization", ADMIN)
            .header("x-xsrf-header", "pingfed")
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    let set = |status| {
        let mut conn = p.srv.conn();
        admin::set_tenant_status(&mut conn, p.srv.tenant(), status, "test").unwrap();
    };
    set(TenantStatus::Disabled);
    let res = get().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "unauthorized", "error_description": INVALID_CREDENTIALS})
    );
    set(TenantStatus::Active);
    assert_eq!(get().await.unwrap().status(), 200);
}
