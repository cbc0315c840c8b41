//! The suite's fixtures: a PingFederate on a running gateway (users asmith and bob, the
//! seed's two clients and grants, the seed's `admin:2Federate` Basic credential, a runtime
//! API log in a temporary directory); passwords per user, PCV and hashing cost; requests
//! (reqwest and raw HTTP/1.1), the PingFederate error assertion and the log reader.

use chrono::{DateTime, Utc};
use grant_core::model::*;
use grant_core::service::{clients, directory, grants};
use grant_core::testing::fixture::credential;
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use pingfed_compat::{PingFed, PingFedConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const SEED_AUTH: &str = "Basic YWRtaW46MkZlZGVyYXRl"; // admin:2Federate

pub const AC_GRANT: &str = "ixqWL3k9ZnPxjTaphcFLrVqwdrtvc6tV";

pub const IM_GRANT: &str = "G7fV0HVALkplTl1Hdw109DYzlLNPXXIt";

pub struct Pf {
    pub srv: TestServer<PingFed>,
    pub asmith: User,
    pub bob: User,
    pub log: std::path::PathBuf,
    pub _dir: tempfile::TempDir,
}

pub fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn password(srv: &TestServer<PingFed>, name: &str, pass: &str) -> Credential {
    credential(CredentialKind::Password)
        .name(name)
        .issue_secret(&mut srv.conn(), srv.tenant(), pass)
}

pub fn password_for(
    srv: &TestServer<PingFed>,
    name: &str,
    pass: &str,
    user: Option<&User>,
    faces: &[&str],
    hashing: &grant_core::HashingConfig,
) {
    let mut new = credential(CredentialKind::Password).name(name).faces(faces);
    if let Some(u) = user {
        new = new.user(&u.id);
    }
    new.issue_with(&mut srv.conn(), srv.tenant(), Some(pass), hashing);
}

pub fn pf_with(edit: impl FnOnce(&mut GatewayConfig<PingFedConfig>)) -> Pf {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log/runtime-api.log");
    let mut cfg = GatewayConfig::<PingFedConfig>::default();
    cfg.vendor.runtime_api_log = log.to_string_lossy().into_owned();
    edit(&mut cfg);
    let srv = TestServer::<PingFed>::start(cfg);
    let t = srv.tenant().to_buf();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.to_string()), "pf").unwrap();
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

pub fn pf() -> Pf {
    pf_with(|_| {})
}

#[allow(clippy::too_many_arguments)]
pub fn add(
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
pub fn seed_grants(p: &Pf) {
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

pub fn seed_ac_json() -> Value {
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

pub fn seed_im_json() -> Value {
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

pub async fn send_with(
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

pub async fn call(p: &Pf, method: reqwest::Method, path: &str) -> (u16, HeaderMap, String) {
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

pub async fn get(p: &Pf, path: &str) -> (u16, HeaderMap, Value) {
    let (s, h, b) = call(p, reqwest::Method::GET, path).await;
    (s, h, serde_json::from_str(&b).unwrap_or(Value::Null))
}

pub async fn delete(p: &Pf, path: &str) -> (u16, HeaderMap, String) {
    call(p, reqwest::Method::DELETE, path).await
}

/// Sends raw bytes and reads one response: (status line, headers lower-cased, body).
pub async fn raw(p: &Pf, request: &[u8]) -> (String, Vec<(String, String)>, String) {
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

pub fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub fn assert_error(status: u16, body: &str, expected_status: u16, error: &str, text: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        json!({"error": error, "error_description": text})
    );
}

/// The log file once the writer thread has caught up (its line count stable for 100 ms).
pub fn log_text(p: &Pf) -> String {
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

pub fn log_lines(p: &Pf) -> Vec<String> {
    log_text(p).lines().map(str::to_owned).collect()
}
