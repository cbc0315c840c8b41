//! Wire-level tests of pingfed-compat on a running server (SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set): status, headers and exact JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDateTime, Utc};
use grant_core::model::*;
use grant_core::service::{clients, credentials, directory, grants};
use grant_core::testing::fast_hashing;
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use pingfed_compat::{PingFed, PingFedConfig};
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SEED_AUTH: &str = "Basic YWRtaW46MkZlZGVyYXRl"; // admin:2Federate
const AC_GRANT: &str = "ixqWL3k9ZnPxjTaphcFLrVqwdrtvc6tV";
const IM_GRANT: &str = "G7fV0HVALkplTl1Hdw109DYzlLNPXXIt";

struct Pf {
    srv: TestServer<PingFed>,
    asmith: User,
    bob: User,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn password(srv: &TestServer<PingFed>, name: &str, pass: &str) -> Credential {
    let new = NewCredential {
        kind: CredentialKind::Password,
        name: name.into(),
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
        &mut srv.conn(),
        srv.tenant(),
        new,
        Some(SecretString::from(pass.to_owned())),
        &fast_hashing(),
        "test",
    )
    .unwrap()
    .credential
}

fn pf_with(edit: impl FnOnce(&mut GatewayConfig<PingFedConfig>)) -> Pf {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log/runtime-api.log");
    let mut cfg = GatewayConfig::<PingFedConfig>::default();
    cfg.vendor.runtime_api_log = log.to_string_lossy().into_owned();
    edit(&mut cfg);
    let srv = TestServer::<PingFed>::start(cfg);
    let t = srv.tenant().to_owned();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.clone()), "pf").unwrap();
    let user = |conn: &mut grant_core::DbConn, login: &str| {
        let new = NewUser {
            login: login.into(),
            ..NewUser::default()
        };
        directory::create_user(conn, &t, new, "test").unwrap()
    };
    let asmith = user(&mut conn, "asmith");
    let bob = user(&mut conn, "bob");
    for id in ["ac_client", "im_client"] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(id.into()),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, &t, new, "test").unwrap();
    }
    drop(conn);
    password(&srv, "admin", "2Federate");
    Pf {
        srv,
        asmith,
        bob,
        log,
        _dir: dir,
    }
}

fn pf() -> Pf {
    pf_with(|_| {})
}

#[allow(clippy::too_many_arguments)]
fn add(
    p: &Pf,
    user: &User,
    client: &str,
    id: &str,
    kind: GrantType,
    scopes: &[&str],
    issued: &str,
    attributes: &[(&str, &[&str])],
) -> Grant {
    let mut g = NewGrant::new(&user.id, client);
    g.id = Some(id.into());
    g.grant_type = kind;
    g.scopes = ScopeSet::from_names(scopes.iter().copied());
    g.created_at = Some(at(issued));
    g.attributes = attributes
        .iter()
        .map(|(n, v)| GrantAttribute {
            name: (*n).into(),
            values: v.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    grants::issue_grant(&mut p.srv.conn(), p.srv.tenant(), g, "test").unwrap()
}

/// The two grants of the seed's examples.
fn seed_grants(p: &Pf) {
    add(
        p,
        &p.asmith,
        "ac_client",
        AC_GRANT,
        GrantType::AuthorizationCode,
        &[],
        "2019-03-15T20:00:27.343Z",
        &[
            (
                "pgeaAttrMulti",
                &[
                    "CN=group1,OU=Resources,DC=example,DC=local",
                    "CN=group2,OU=Resources,DC=example,DC=local",
                ],
            ),
            ("pgeaAttrSingle", &["asmith@example.local"]),
        ],
    );
    add(
        p,
        &p.asmith,
        "im_client",
        IM_GRANT,
        GrantType::Implicit,
        &[],
        "2019-03-15T18:20:39.652Z",
        &[],
    );
}

fn seed_ac_json() -> Value {
    json!({
        "id": "ixqWL3k9ZnPxjTaphcFLrVqwdrtvc6tV",
        "userKey": "asmith",
        "grantType": "AUTHORIZATION_CODE",
        "scopes": [],
        "clientId": "ac_client",
        "issued": "2019-03-15T20:00:27.343Z",
        "updated": "2019-03-15T20:00:27.343Z",
        "grantAttributes": [
            {"name": "pgeaAttrMulti", "values": ["CN=group1,OU=Resources,DC=example,DC=local", "CN=group2,OU=Resources,DC=example,DC=local"]},
            {"name": "pgeaAttrSingle", "values": ["asmith@example.local"]}
        ]
    })
}

fn seed_im_json() -> Value {
    json!({
        "id": "G7fV0HVALkplTl1Hdw109DYzlLNPXXIt",
        "userKey": "asmith",
        "grantType": "IMPLICIT",
        "scopes": [],
        "clientId": "im_client",
        "issued": "2019-03-15T18:20:39.652Z",
        "updated": "2019-03-15T18:20:39.652Z"
    })
}

async fn send_with(
    p: &Pf,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, HeaderMap, String) {
    let mut req = p.srv.client.request(method, p.srv.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let h = res.headers().clone();
    (status, h, res.text().await.unwrap())
}

async fn call(p: &Pf, method: reqwest::Method, path: &str) -> (u16, HeaderMap, String) {
    send_with(
        p,
        method,
        path,
        &[
            ("authorization", SEED_AUTH),
            ("x-xsrf-header", "PingFederate"),
        ],
    )
    .await
}

async fn get(p: &Pf, path: &str) -> (u16, HeaderMap, Value) {
    let (s, h, b) = call(p, reqwest::Method::GET, path).await;
    (s, h, serde_json::from_str(&b).unwrap_or(Value::Null))
}

async fn delete(p: &Pf, path: &str) -> (u16, HeaderMap, String) {
    call(p, reqwest::Method::DELETE, path).await
}

/// Sends raw bytes and reads one response: (status line, headers lower-cased, body).
async fn raw(p: &Pf, request: &[u8]) -> (String, Vec<(String, String)>, String) {
    let addr = p.srv.base_url.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "connection closed early: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let mut lines = head.split("\r\n");
            let status = lines.next().unwrap().to_owned();
            let headers: Vec<(String, String)> = lines
                .map(|l| {
                    let (k, v) = l.split_once(':').unwrap();
                    (k.to_ascii_lowercase(), v.trim().to_owned())
                })
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let body = String::from_utf8(buf[end + 4..end + 4 + len].to_vec()).unwrap();
                return (status, headers, body);
            }
        }
    }
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn assert_error(status: u16, body: &str, expected_status: u16, error: &str, text: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        json!({"error": error, "error_description": text})
    );
}

/// The log file once the writer thread has caught up (its line count stable for 100 ms).
fn log_text(p: &Pf) -> String {
    let mut last = String::new();
    for _ in 0..60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let now = std::fs::read_to_string(&p.log).unwrap_or_default();
        if now == last && !now.is_empty() {
            return now;
        }
        last = now;
    }
    last
}

fn log_lines(p: &Pf) -> Vec<String> {
    log_text(p).lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn seed_sample_requests_replayed_byte_for_byte() {
    let p = pf();
    seed_grants(&p);
    for (client, item, raw_item_start) in [
        (
            "ac_client",
            seed_ac_json(),
            "{\"items\":[{\"id\":\"ixqWL3k9ZnPxjTaphcFLrVqwdrtvc6tV\",\"userKey\":\"asmith\",\"grantType\":\"AUTHORIZATION_CODE\",\"scopes\":[],\"clientId\":\"ac_client\",\"issued\":\"2019-03-15T20:00:27.343Z\",\"updated\":\"2019-03-15T20:00:27.343Z\",\"grantAttributes\":[{\"name\":\"pgeaAttrMulti\",\"values\":[",
        ),
        (
            "im_client",
            seed_im_json(),
            "{\"items\":[{\"id\":\"G7fV0HVALkplTl1Hdw109DYzlLNPXXIt\",\"userKey\":\"asmith\",\"grantType\":\"IMPLICIT\",\"scopes\":[],\"clientId\":\"im_client\",\"issued\":\"2019-03-15T18:20:39.652Z\",\"updated\":\"2019-03-15T18:20:39.652Z\"}]}",
        ),
    ] {
        let request = format!(
            "GET /pf-ws/rest/oauth/clients/{client}/grants HTTP/1.1\r\nHost: localhost:9031\r\nAuthorization: Basic YWRtaW46MkZlZGVyYXRl\r\nX-XSRF-HEADER: PingFederate\r\n\r\n"
        );
        let (status, headers, body) = raw(&p, request.as_bytes()).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"items": [item]})
        );
        assert!(body.starts_with(raw_item_start), "field order: {body}");
    }
    // The audit line names the URL the caller used (its Host).
    let lines = log_lines(&p);
    assert!(
        lines[0].contains("| admin| basic| 127.0.0.1| GET| http://localhost:9031/pf-ws/rest/oauth/clients/ac_client/grants| 200 "),
        "{lines:?}"
    );
}

#[tokio::test]
async fn the_eight_operations() {
    let p = pf();
    seed_grants(&p);
    let mut g = NewGrant::new(&p.bob.id, "ac_client");
    g.id = Some("BobGrant000000000000000000000001".into());
    g.scopes = ScopeSet::from_names(["openid", "profile"]);
    g.created_at = Some(at("2026-07-16T22:44:30.090Z"));
    g.updated_at = Some(at("2026-07-17T08:00:00.5Z"));
    g.expires_at = Some(at("2099-08-15T22:44:30.091Z"));
    g.grant_type = GrantType::Password;
    grants::issue_grant(&mut p.srv.conn(), p.srv.tenant(), g, "test").unwrap();
    let bob_json = json!({
        "id": "BobGrant000000000000000000000001",
        "userKey": "bob",
        "grantType": "RESOURCE_OWNER_CREDENTIALS",
        "scopes": ["openid", "profile"],
        "clientId": "ac_client",
        "issued": "2026-07-16T22:44:30.090Z",
        "updated": "2026-07-17T08:00:00.500Z",
        "expires": "2099-08-15T22:44:30.091Z"
    });

    // 1. GET client grants: every user's, oldest first.
    let (s, h, body) = get(&p, "/pf-ws/rest/oauth/clients/ac_client/grants").await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(body, json!({"items": [seed_ac_json(), bob_json.clone()]}));
    // 2. GET one client grant: the bare object.
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/clients/ac_client/grants/BobGrant000000000000000000000001",
    )
    .await;
    assert_eq!((s, body), (200, bob_json.clone()));
    let (_, _, raw_body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/ac_client/grants/BobGrant000000000000000000000001",
    )
    .await;
    assert_eq!(
        raw_body,
        "{\"id\":\"BobGrant000000000000000000000001\",\"userKey\":\"bob\",\"grantType\":\"RESOURCE_OWNER_CREDENTIALS\",\"scopes\":[\"openid\",\"profile\"],\"clientId\":\"ac_client\",\"issued\":\"2026-07-16T22:44:30.090Z\",\"updated\":\"2026-07-17T08:00:00.500Z\",\"expires\":\"2099-08-15T22:44:30.091Z\"}"
    );
    // 3. GET user grants.
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(s, 200);
    assert_eq!(body, json!({"items": [seed_im_json(), seed_ac_json()]}));
    // 4. GET one user grant.
    let (s, _, body) = get(
        &p,
        &format!("/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}"),
    )
    .await;
    assert_eq!((s, body), (200, seed_ac_json()));
    // 5. DELETE one user grant.
    let (s, h, body) = delete(
        &p,
        &format!("/pf-ws/rest/oauth/users/asmith/grants/{IM_GRANT}"),
    )
    .await;
    assert_eq!((s, body.as_str()), (204, ""));
    assert!(!h.contains_key("content-type"));
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body, json!({"items": [seed_ac_json()]}));
    // 6. DELETE one client grant.
    let (s, _, body) = delete(
        &p,
        "/pf-ws/rest/oauth/clients/ac_client/grants/BobGrant000000000000000000000001",
    )
    .await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/bob/grants").await;
    assert_eq!(body, json!({"items": []}));
    // 7. DELETE all of a user's grants.
    add(
        &p,
        &p.bob,
        "im_client",
        "BobGrant000000000000000000000002",
        GrantType::Implicit,
        &["email"],
        "2024-01-01T00:00:00Z",
        &[],
    );
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body, json!({"items": []}));
    // 8. DELETE all of a client's grants.
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/clients/im_client/grants").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/clients/im_client/grants").await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/im_client/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    // Revocations went through grant-core: audited, never coming back.
    let audit =
        grant_core::store::audit::list_audit(&mut p.srv.conn(), Some(p.srv.tenant())).unwrap();
    let revocations: Vec<&AuditEvent> = audit
        .iter()
        .filter(|e| e.action.contains("revoked"))
        .collect();
    assert_eq!(revocations.len(), 4, "{audit:?}");
    assert!(
        revocations
            .iter()
            .all(|e| e.actor == "pingfed:pcv:Grant Management PCV:admin")
    );
    let all = grants::list_all_grants(&mut p.srv.conn(), p.srv.tenant(), &GrantFilter::default())
        .unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn trailing_slash_and_percent_encoded_segments() {
    let p = pf();
    seed_grants(&p);
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants/").await;
    assert_eq!((s, body["items"].as_array().unwrap().len()), (200, 2));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/im_client/grants/").await;
    assert_eq!((s, body), (200, json!({"items": [seed_im_json()]})));
    let (s, _, body) = get(
        &p,
        &format!("/pf-ws/rest/oauth/clients/im_client/grants/{IM_GRANT}/"),
    )
    .await;
    assert_eq!((s, body), (200, seed_im_json()));

    // USER_KEY values are arbitrary strings: decoded exactly once.
    let t = p.srv.tenant().to_owned();
    for login in ["j doe@example.com", "CN=Doe/OU=x", "100%25"] {
        let u = directory::create_user(
            &mut p.srv.conn(),
            &t,
            NewUser {
                login: login.into(),
                ..NewUser::default()
            },
            "t",
        )
        .unwrap();
        let id = format!("Enc{:029}", login.len());
        add(
            &p,
            &u,
            "ac_client",
            &id,
            GrantType::AuthorizationCode,
            &["a"],
            "2024-01-01T00:00:00Z",
            &[],
        );
        let enc: String = login
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (s, _, body) = get(&p, &format!("/pf-ws/rest/oauth/users/{enc}/grants")).await;
        assert_eq!(s, 200, "{login}");
        assert_eq!(body["items"][0]["userKey"], login, "{login}");
        let (s, _, body) = get(&p, &format!("/pf-ws/rest/oauth/users/{enc}/grants/{id}")).await;
        assert_eq!(
            (s, body["id"].as_str()),
            (200, Some(id.as_str())),
            "{login}"
        );
    }
    // Query parameters are not part of the service: ignored.
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/users/asmith/grants?limit=1&grantType=IMPLICIT",
    )
    .await;
    assert_eq!((s, body["items"].as_array().unwrap().len()), (200, 2));
}

#[tokio::test]
async fn xsrf_header_any_casing_any_value_and_missing_is_403_after_auth() {
    let p = pf();
    seed_grants(&p);
    for name in [
        "X-XSRF-HEADER",
        "X-XSRF-Header",
        "x-xsrf-header",
        "X-Xsrf-Header",
    ] {
        for value in ["PingFederate", "pingfed", ""] {
            let request = format!(
                "GET /pf-ws/rest/oauth/users/asmith/grants HTTP/1.1\r\nHost: localhost\r\nAuthorization: {SEED_AUTH}\r\n{name}: {value}\r\n\r\n"
            );
            let (status, _, body) = raw(&p, request.as_bytes()).await;
            assert_eq!(status, "HTTP/1.1 200 OK", "{name}: {value}");
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap()["items"]
                    .as_array()
                    .unwrap()
                    .len(),
                2
            );
        }
    }
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let (s, h, body) = send_with(
            &p,
            method.clone(),
            "/pf-ws/rest/oauth/users/asmith/grants",
            &[("authorization", SEED_AUTH)],
        )
        .await;
        assert_error(s, &body, 403, "forbidden", "X-XSRF-HEADER is required");
        assert_eq!(h["content-type"], "application/json");
        assert!(!h.contains_key("www-authenticate"));
    }
    // Nothing was revoked by the refused DELETE.
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    // Unauthenticated without the header: 401 first.
    let (s, _, body) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[("authorization", &basic("admin", "wrong"))],
    )
    .await;
    assert_error(s, &body, 401, "unauthorized", "Invalid credentials");
}

#[tokio::test]
async fn authentication_failures_are_401_with_a_basic_challenge() {
    let p = pf();
    seed_grants(&p);
    let locked = password(&p.srv, "locked", "pw-locked");
    credentials::set_credential_status(
        &mut p.srv.conn(),
        p.srv.tenant(),
        &locked.id,
        CredentialStatus::Locked,
        "t",
    )
    .unwrap();
    let disabled = password(&p.srv, "disabled", "pw-disabled");
    credentials::set_credential_status(
        &mut p.srv.conn(),
        p.srv.tenant(),
        &disabled.id,
        CredentialStatus::Disabled,
        "t",
    )
    .unwrap();
    let path = "/pf-ws/rest/oauth/users/asmith/grants";
    let xsrf = ("x-xsrf-header", "PingFederate");
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![], "HTTP Basic authentication is required"),
        (
            vec![(
                "authorization",
                "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig".into(),
            )],
            "HTTP Basic authentication is required",
        ),
        (
            vec![("authorization", basic("admin", "wrong"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", basic("nobody", "2Federate"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", basic("locked", "pw-locked"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", basic("disabled", "pw-disabled"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", "Basic !!notbase64".into())],
            "Invalid credentials",
        ),
    ];
    for (auth, text) in cases {
        let mut headers: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
        headers.push(xsrf);
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let (s, h, body) = send_with(&p, method, path, &headers).await;
            assert_error(s, &body, 401, "unauthorized", text);
            assert_eq!(
                h["www-authenticate"], "Basic realm=\"PingFederate\"",
                "{headers:?}"
            );
        }
    }
    let (_, _, body) = get(&p, path).await;
    assert_eq!(
        body["items"].as_array().unwrap().len(),
        2,
        "nothing revoked"
    );
    // Another PCV user with the right password works (and a password with a colon).
    password(&p.srv, "ws-admin", "se:cret");
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        path,
        &[("authorization", &basic("ws-admin", "se:cret")), xsrf],
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn challenge_realm_and_bodies_are_configurable() {
    let p = pf_with(|c| {
        c.vendor.realm = "Runtime".into();
        c.vendor.error_bodies = false;
    });
    let (s, h, body) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[],
    )
    .await;
    assert_eq!((s, body.as_str()), (401, ""));
    assert_eq!(h["www-authenticate"], "Basic realm=\"Runtime\"");
    let p = pf_with(|c| c.vendor.www_authenticate = false);
    let (s, h, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[],
    )
    .await;
    assert_eq!(s, 401);
    assert!(!h.contains_key("www-authenticate"));
}

#[tokio::test]
async fn unknown_client_is_404_unknown_user_is_an_empty_list() {
    let p = pf();
    seed_grants(&p);
    let (s, h, body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/no_such_client/grants",
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Client not found");
    assert_eq!(h["content-type"], "application/json");
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/clients/no_such_client/grants").await;
    assert_error(s, &body, 404, "not_found", "Client not found");
    let (s, _, body) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/clients/no_such_client/grants/{AC_GRANT}"),
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Client not found");

    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/nobody/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    let (_, _, raw_body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/nobody/grants",
    )
    .await;
    assert_eq!(raw_body, "{\"items\":[]}");
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/users/nobody/grants").await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (s, _, body) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/users/nobody/grants/{AC_GRANT}"),
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    // A client that exists but has no grants: empty list.
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/ac_client/grants").await;
    assert_eq!((s, body["items"].as_array().unwrap().len()), (200, 1));
}

#[tokio::test]
async fn get_after_delete_is_404_and_delete_all_then_list_is_empty() {
    let p = pf();
    seed_grants(&p);
    let one = format!("/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}");
    let (s, _, _) = delete(&p, &one).await;
    assert_eq!(s, 204);
    let (s, _, body) = call(&p, reqwest::Method::GET, &one).await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    let (s, _, body) = delete(&p, &one).await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    let (s, _, _) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/clients/ac_client/grants/{AC_GRANT}"),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _, body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants/NoSuchGrant00000000000000000000",
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");

    let (s, _, _) = delete(&p, "/pf-ws/rest/oauth/users/asmith/grants/").await;
    assert_eq!(s, 204);
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    let (s, _, _) = delete(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(s, 204, "deleting nothing is still 204");
    // Revoked grants stay revoked.
    let (s, _, _) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/clients/im_client/grants/{IM_GRANT}"),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn another_users_or_clients_grant_is_404_under_this_path() {
    let p = pf();
    seed_grants(&p);
    add(
        &p,
        &p.bob,
        "ac_client",
        "BobGrant000000000000000000000009",
        GrantType::AuthorizationCode,
        &[],
        "2024-01-01T00:00:00Z",
        &[],
    );
    let cases = [
        format!("/pf-ws/rest/oauth/users/bob/grants/{AC_GRANT}"),
        "/pf-ws/rest/oauth/users/asmith/grants/BobGrant000000000000000000000009".to_owned(),
        format!("/pf-ws/rest/oauth/clients/im_client/grants/{AC_GRANT}"),
    ];
    for path in &cases {
        let (s, _, body) = call(&p, reqwest::Method::GET, path).await;
        assert_error(s, &body, 404, "not_found", "Persistent grant not found");
        let (s, _, body) = delete(&p, path).await;
        assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    }
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/clients/ac_client/grants").await;
    assert_eq!(
        body["items"].as_array().unwrap().len(),
        2,
        "nothing revoked"
    );
    // Another tenant's data is invisible.
    let t2 = "other-tenant";
    let mut conn = p.srv.conn();
    directory::create_tenant(&mut conn, Some(t2.into()), "t2").unwrap();
    let u = directory::create_user(
        &mut conn,
        t2,
        NewUser {
            login: "asmith".into(),
            ..NewUser::default()
        },
        "t",
    )
    .unwrap();
    clients::create_client(
        &mut conn,
        t2,
        NewClient {
            id: Some("t2_client".into()),
            ..NewClient::default()
        },
        "t",
    )
    .unwrap();
    let mut g = NewGrant::new(&u.id, "t2_client");
    g.id = Some("OtherTenant000000000000000000001".into());
    grants::issue_grant(&mut conn, t2, g, "t").unwrap();
    drop(conn);
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    let (s, _, _) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/t2_client/grants",
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn other_methods_are_405_with_allow_and_unknown_paths_404() {
    let p = pf();
    for path in [
        "/pf-ws/rest/oauth/users/asmith/grants",
        "/pf-ws/rest/oauth/users/asmith/grants/x",
        "/pf-ws/rest/oauth/clients/ac_client/grants/",
        "/pf-ws/rest/oauth/clients/ac_client/grants/x",
    ] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
        ] {
            let (s, h, body) = call(&p, method, path).await;
            assert_error(
                s,
                &body,
                405,
                "method_not_allowed",
                "HTTP method not allowed",
            );
            assert_eq!(h["allow"], "GET, DELETE");
        }
    }
    for path in [
        "/pf-ws/rest/oauth/clients/ac_client",
        "/pf-ws/rest/oauth/grants",
        "/pf-ws/rest/oauth/Users/asmith/grants",
    ] {
        let (s, _, body) = call(&p, reqwest::Method::GET, path).await;
        assert_error(s, &body, 404, "not_found", "Resource not found");
    }
}

fn split_line(line: &str) -> Vec<String> {
    line.split("| ").map(str::to_owned).collect()
}

#[tokio::test]
async fn runtime_api_log_lines_for_a_success_and_a_401() {
    let p = pf_with(|c| {
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()]
    });
    seed_grants(&p);
    let (s, _, _) = delete(
        &p,
        &format!("/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}"),
    )
    .await;
    assert_eq!(s, 204);
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[
            ("authorization", &basic("mallory", "guess")),
            ("x-xsrf-header", "x"),
        ],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/ac_client/grants",
        &[
            ("authorization", SEED_AUTH),
            ("x-xsrf-header", "x"),
            // The left-most hop is the caller's to forge; 10.0.0.1 is a trusted proxy.
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.1"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/ac_client/grants",
        &[("authorization", "Bearer abc")],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, _) = call(
        &p,
        reqwest::Method::PUT,
        "/pf-ws/rest/oauth/clients/ac_client/grants",
    )
    .await;
    assert_eq!(s, 405);
    let (s, _, _) = send_with(&p, reqwest::Method::GET, "/healthz", &[]).await;
    assert_eq!(s, 200);
    let (s, _, _) = send_with(&p, reqwest::Method::GET, "/metrics", &[]).await;
    assert_eq!(s, 200, "scrapes are not API calls: not in the runtime log");

    let raw_text = log_text(&p);
    assert!(raw_text.ends_with(" \n"), "trailing space then newline");
    let lines = log_lines(&p);
    assert_eq!(lines.len(), 5, "{lines:?}");
    let base = &p.srv.base_url;
    let user_one = format!("{base}/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}");
    let user_list = format!("{base}/pf-ws/rest/oauth/users/asmith/grants");
    let client_list = format!("{base}/pf-ws/rest/oauth/clients/ac_client/grants");
    let expected = [
        vec!["admin", "basic", "127.0.0.1", "DELETE", &user_one, "204 "],
        vec!["mallory", "basic", "127.0.0.1", "GET", &user_list, "401 "],
        vec!["admin", "basic", "203.0.113.7", "GET", &client_list, "200 "],
        vec!["", "bearer", "127.0.0.1", "GET", &client_list, "401 "],
        vec!["admin", "basic", "127.0.0.1", "PUT", &client_list, "405 "],
    ];
    for (line, want) in lines.iter().zip(expected) {
        let fields = split_line(line);
        assert_eq!(fields.len(), 7, "{line}");
        NaiveDateTime::parse_from_str(&fields[0], "%Y-%m-%d %H:%M:%S,%3f")
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(fields[0].len(), 23, "{line}");
        let want: Vec<String> = want.into_iter().map(|s| s.to_owned()).collect();
        assert_eq!(&fields[1..], &want[..], "{line}");
        assert!(
            !line.contains("2Federate") && !line.contains("guess"),
            "no passwords in the log"
        );
    }
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_untrusted_peers() {
    let p = pf();
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[
            ("authorization", SEED_AUTH),
            ("x-xsrf-header", "x"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let lines = log_lines(&p);
    assert_eq!(split_line(&lines[0])[3], "127.0.0.1");
}

#[tokio::test]
async fn import_of_captured_grants_round_trips_exactly() {
    let p = pf();
    let captured = json!({"items": [seed_ac_json(), {
        "id": "2LS7YSTTRmnW9ErGlvUH2lhOSbX4brWf",
        "userKey": "alice",
        "grantType": "AUTHORIZATION_CODE",
        "scopes": ["accounts.read"],
        "clientId": "acme-budgeting",
        "issued": "2026-07-16T22:44:30.090Z",
        "updated": "2026-07-16T22:44:30.090Z",
        "expires": "2099-08-15T22:44:30.091Z",
        "grantAttributes": [{"name": "pi.sri", "values": ["xGzlniBqAYwFSUDDRv5RGA1qEHs"]}]
    }]});
    let items = pingfed_compat::import::parse_file(&captured.to_string())
        .unwrap()
        .grants;
    let report = grant_core::service::import::import_grants(
        &mut p.srv.conn(),
        p.srv.tenant(),
        items,
        "test",
    )
    .unwrap();
    assert_eq!(
        (report.grants, report.users_created, report.clients_created),
        (2, 1, 1)
    );
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!((s, body), (200, json!({"items": [seed_ac_json()]})));
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/users/alice/grants/2LS7YSTTRmnW9ErGlvUH2lhOSbX4brWf",
    )
    .await;
    assert_eq!((s, body), (200, captured["items"][1].clone()));
    // A bare grant object is a capture too; an unknown grant type is refused.
    let one = pingfed_compat::import::parse_file(&seed_im_json().to_string()).unwrap();
    assert_eq!(one.grants.len(), 1);
    let mut bad = seed_im_json();
    bad["grantType"] = json!("EXTENSION");
    let err = pingfed_compat::import::parse_file(&bad.to_string())
        .err()
        .unwrap();
    assert!(err.contains("unsupported grant type EXTENSION"), "{err}");
}

#[tokio::test]
async fn basic_auth_does_not_cost_an_argon2_hash_per_request() {
    let p = pf();
    // A deliberately expensive hash: its parameters travel in the PHC string.
    let costly = grant_core::HashingConfig {
        argon2_memory_kib: 32 * 1024,
        argon2_iterations: 8,
        ..fast_hashing()
    };
    let new = NewCredential {
        kind: CredentialKind::Password,
        name: "costly".into(),
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
        &mut p.srv.conn(),
        p.srv.tenant(),
        new,
        Some(SecretString::from("pw".to_owned())),
        &costly,
        "t",
    )
    .unwrap();
    let auth = basic("costly", "pw");
    let headers = [("authorization", auth.as_str()), ("x-xsrf-header", "x")];
    let path = "/pf-ws/rest/oauth/users/asmith/grants";
    let started = std::time::Instant::now();
    let (s, _, _) = send_with(&p, reqwest::Method::GET, path, &headers).await;
    assert_eq!(s, 200);
    let first = started.elapsed();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        let (s, _, _) = send_with(&p, reqwest::Method::GET, path, &headers).await;
        assert_eq!(s, 200);
    }
    let next20 = started.elapsed();
    assert!(
        next20 < first * 10,
        "20 cached requests took {next20:?}, one verification {first:?}"
    );
    // A wrong password is never answered from the cache.
    let wrong = basic("costly", "pw2");
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        path,
        &[("authorization", wrong.as_str()), ("x-xsrf-header", "x")],
    )
    .await;
    assert_eq!(s, 401);
}

fn password_for(
    srv: &TestServer<PingFed>,
    name: &str,
    pass: &str,
    user: Option<&User>,
    faces: &[&str],
    hashing: &grant_core::HashingConfig,
) {
    let new = NewCredential {
        kind: CredentialKind::Password,
        name: name.into(),
        user_id: user.map(|u| u.id.clone()),
        client_id: None,
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: faces.iter().map(|f| f.to_string()).collect(),
    };
    credentials::create_credential(
        &mut srv.conn(),
        srv.tenant(),
        new,
        Some(SecretString::from(pass.to_owned())),
        hashing,
        "test",
    )
    .unwrap();
}

#[tokio::test]
async fn only_users_of_the_configured_pcv_may_use_the_grant_service() {
    let p = pf_with(|c| c.vendor.pcv_name = "Grant Management PCV".into());
    seed_grants(&p);
    // A Venafi identity's password (a user with no role), an Okta-only one, a user of another
    // PCV: all refused like a wrong password.
    let fast = fast_hashing();
    password_for(&p.srv, "tppuser", "pw", Some(&p.bob), &[], &fast);
    password_for(&p.srv, "oktaonly", "pw", None, &["okta"], &fast);
    password_for(
        &p.srv,
        "otherpcv",
        "pw",
        None,
        &["pingfed:Other PCV"],
        &fast,
    );
    // Users of this PCV, by name or made for whichever PCV is configured.
    password_for(
        &p.srv,
        "pcvuser",
        "pw",
        None,
        &["pingfed:Grant Management PCV"],
        &fast,
    );
    password_for(
        &p.srv,
        "both",
        "pw",
        Some(&p.bob),
        &["venafi", "pingfed"],
        &fast,
    );
    let path = "/pf-ws/rest/oauth/users/asmith/grants";
    for user in ["tppuser", "oktaonly", "otherpcv"] {
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let auth = basic(user, "pw");
            let (s, h, body) = send_with(
                &p,
                method,
                path,
                &[("authorization", &auth), ("x-xsrf-header", "x")],
            )
            .await;
            assert_eq!(s, 401, "{user}");
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap(),
                json!({"error": "unauthorized", "error_description": "Invalid credentials"})
            );
            assert_eq!(h["www-authenticate"], "Basic realm=\"PingFederate\"");
        }
    }
    let (_, _, body) = get(&p, path).await;
    assert_eq!(
        body["items"].as_array().unwrap().len(),
        2,
        "nothing revoked"
    );
    for user in ["pcvuser", "both", "admin"] {
        let auth = basic(user, if user == "admin" { "2Federate" } else { "pw" });
        let (s, _, _) = send_with(
            &p,
            reqwest::Method::GET,
            path,
            &[("authorization", &auth), ("x-xsrf-header", "x")],
        )
        .await;
        assert_eq!(s, 200, "{user}");
    }
}

/// A gateway with real argon2 cost and tight verification limits, on its own test database.
fn pf_hashing(hashing: grant_core::HashingConfig) -> TestServer<PingFed> {
    let db = grant_core::testing::TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GatewayConfig::<PingFedConfig>::default();
    cfg.vendor.runtime_api_log = dir.path().join("runtime-api.log").to_string_lossy().into();
    cfg.database = db.config.clone();
    cfg.hashing = hashing.clone();
    cfg.server.workers = 1;
    cfg.server.shutdown_timeout_secs = 0;
    cfg.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let store = db.store();
    let srv = TestServer::<PingFed>::start_with_store(cfg, store, Some(db));
    let t = srv.tenant().to_owned();
    directory::create_tenant(&mut srv.conn(), Some(t), "pf").unwrap();
    password_for(&srv, "ws-admin", "right", None, &[], &hashing);
    srv
}

fn costly_hashing() -> grant_core::HashingConfig {
    grant_core::HashingConfig {
        argon2_memory_kib: 8 * 1024,
        argon2_iterations: 3,
        argon2_parallelism: 1,
        max_hash_threads: 1,
        max_queued_verifications: 1,
        max_verifications_per_source: 2,
        verified_cache_ttl_secs: 2,
        ..grant_core::HashingConfig::default()
    }
}

async fn basic_get(srv: &TestServer<PingFed>, user: &str, pass: &str, from: &str) -> u16 {
    srv.client
        .get(srv.url("/pf-ws/rest/oauth/users/nobody/grants"))
        .header("authorization", basic(user, pass))
        .header("x-xsrf-header", "x")
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn concurrent_basic_logins_share_one_verification_and_are_never_refused() {
    // 16 clients with the right password, a queue of one, a cache that expires every 2 s:
    // for 5 s, every request is answered 200 (no 503 at the start or at any expiry).
    let srv = std::sync::Arc::new(pf_hashing(costly_hashing()));
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let srv = srv.clone();
        tasks.push(tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let from = format!("198.51.100.{}", i % 4);
            while started.elapsed() < std::time::Duration::from_secs(5) {
                *statuses
                    .entry(basic_get(&srv, "ws-admin", "right", &from).await)
                    .or_default() += 1;
            }
            statuses
        }));
    }
    let mut total = std::collections::BTreeMap::<u16, usize>::new();
    for t in tasks {
        for (s, n) in t.await.unwrap() {
            *total.entry(s).or_default() += n;
        }
    }
    let hashes = srv.state.passwords.hashes_run();
    eprintln!("16 clients, 5 s: {total:?}, argon2 runs: {hashes}");
    assert_eq!(
        total.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "{total:?}"
    );
    // One run at the start, then about one background refresh per half-life.
    assert!(hashes <= 8, "argon2 ran {hashes} times");
}

#[tokio::test]
async fn wrong_password_flood_from_one_address_does_not_starve_other_logins() {
    let hashing = grant_core::HashingConfig {
        max_queued_verifications: 4,
        failed_logins_per_source: 10,
        failed_login_window_secs: 60,
        ..costly_hashing()
    };
    let srv = std::sync::Arc::new(pf_hashing(hashing));
    let started = std::time::Instant::now();
    let run_for = std::time::Duration::from_secs(4);
    let mut flood = Vec::new();
    for i in 0..16 {
        let srv = srv.clone();
        flood.push(tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let mut n = 0;
            while started.elapsed() < run_for {
                n += 1;
                let wrong = format!("wrong-{i}-{n}");
                *statuses
                    .entry(basic_get(&srv, "ws-admin", &wrong, "203.0.113.66").await)
                    .or_default() += 1;
            }
            statuses
        }));
    }
    let mut valid = Vec::new();
    for i in 0..4 {
        let srv = srv.clone();
        valid.push(tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let from = format!("198.51.100.{i}");
            while started.elapsed() < run_for {
                *statuses
                    .entry(basic_get(&srv, "ws-admin", "right", &from).await)
                    .or_default() += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            statuses
        }));
    }
    let sum = |tasks: Vec<tokio::task::JoinHandle<std::collections::BTreeMap<u16, usize>>>| async {
        let mut total = std::collections::BTreeMap::<u16, usize>::new();
        for t in tasks {
            for (s, n) in t.await.unwrap() {
                *total.entry(s).or_default() += n;
            }
        }
        total
    };
    let flood = sum(flood).await;
    let valid = sum(valid).await;
    let hashes = srv.state.passwords.hashes_run();
    eprintln!("flood {flood:?}, valid {valid:?}, argon2 runs: {hashes}");
    assert_eq!(
        valid.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "{valid:?}"
    );
    assert!(!flood.contains_key(&200));
    // The flooding address stops costing argon2 runs once it is locked out.
    assert!(hashes <= 10 + 16 + 8, "argon2 ran {hashes} times");
}

#[tokio::test]
async fn scopes_with_colons_slashes_dots_and_non_ascii_round_trip_exactly() {
    let p = pf();
    let captured = json!({
        "id": "ScopesWithColons0000000000000001",
        "userKey": "alice",
        "grantType": "AUTHORIZATION_CODE",
        "scopes": ["api:read", "urn:example:scope", "https://api.example.com/orders.read", "données:lire", "car:drive,fast"],
        "clientId": "acme-budgeting",
        "issued": "2026-07-16T22:44:30.090Z",
        "updated": "2026-07-16T22:44:30.090Z"
    });
    let items = pingfed_compat::import::parse_file(&captured.to_string())
        .unwrap()
        .grants;
    grant_core::service::import::import_grants(&mut p.srv.conn(), p.srv.tenant(), items, "test")
        .unwrap();
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/users/alice/grants/ScopesWithColons0000000000000001",
    )
    .await;
    assert_eq!((s, body), (200, captured.clone()));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/alice/grants").await;
    assert_eq!((s, body), (200, json!({"items": [captured]})));
}

#[tokio::test]
async fn import_takes_clients_with_their_grant_types_and_clients_without_grants() {
    let p = pf();
    let doc = json!({
        "clients": [
            {"clientId": "imp-web", "name": "Web portal", "description": "captured", "enabled": true,
             "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "redirectUris": ["https://web.example/cb"],
             "restrictScopes": true, "restrictedScopes": ["openid", "accounts.read"], "bypassApprovalPage": false},
            {"clientId": "imp-batch", "grantTypes": ["CLIENT_CREDENTIALS"], "enabled": false}
        ],
        "grants": [{
            "id": "impGrant0000000000000000000000a1", "userKey": "imp-user", "grantType": "AUTHORIZATION_CODE",
            "scopes": ["accounts.read"], "clientId": "imp-web", "issued": "2026-07-16T22:44:30.090Z",
            "updated": "2026-07-16T22:44:30.090Z"
        }]
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pf-import.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let reports = grant_http::import_files::<PingFed>(
        &mut p.srv.conn(),
        p.srv.tenant(),
        &[file.display().to_string()],
    )
    .unwrap();
    let c = &reports[0].counts;
    assert_eq!((c.clients_created, c.users_created, c.grants), (2, 1, 1));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/imp-user/grants").await;
    assert_eq!((s, body), (200, json!({"items": [doc["grants"][0]]})));
    // The client without grants exists (its grant list is empty, not 404).
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/imp-batch/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    let mut conn = p.srv.conn();
    let web = clients::get_client(&mut conn, p.srv.tenant(), "imp-web").unwrap();
    assert_eq!(
        (
            web.name.as_str(),
            web.description.as_str(),
            web.grant_types.clone(),
            web.allowed_scopes.clone()
        ),
        (
            "Web portal",
            "captured",
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            vec!["openid".to_owned(), "accounts.read".to_owned()]
        )
    );
    let batch = clients::get_client(&mut conn, p.srv.tenant(), "imp-batch").unwrap();
    assert!(!batch.enabled);
    assert_eq!(batch.grant_types, [GrantType::ClientCredentials]);
    // The admin API's client list is a capture too; an unknown grant type names the client.
    let list = json!({"items": [{"clientId": "imp-x", "grantTypes": ["EXTENSION"]}]});
    let err = pingfed_compat::import::parse_file(&list.to_string()).unwrap_err();
    assert!(err.contains("client imp-x: grantTypes"), "{err}");
}
