//! Wire-level tests of venafi-compat on a running HTTPS server (SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set): status, headers, reason phrases and exact JSON bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};

use grant_core::HashingConfig;
use grant_core::model::*;
use grant_core::service::import::import_grants;
use grant_core::service::{clients, credentials, directory};
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};
use venafi_compat::{Venafi, VenafiConfig};

const ALICE: &str = "local:{5a32c46e-e7d8-404d-9987-2e68c0928219}";
const BOB: &str = "local:{0b0b0b0b-1111-4222-8333-944444444444}";
const ADMIN: &str = "local:{ad000000-0000-4000-8000-000000000001}";
const AUDITOR: &str = "local:{a0d17000-0000-4000-8000-000000000002}";
const APP: &str = "my-app";
const OTHER_APP: &str = "other-app";
const PASSWORD: &str = "Passw0rd!";

/// The seed's GetGrants response, compact (serde's default `/` escaping).
const SEED_SAMPLE: &str = r#"{"Grants":[{"AccessIssuedOn":"/Date(1668623132853)/","AccessIssuedOnISO8601":"2022-11-16T18:25:32Z","AccessIssuedOnUnixTime":1668623133,"Application":"VenafiMMCCodeSigning","Expires":"/Date(1697394332853)/","ExpiresISO8601":"2023-10-15T18:25:32Z","ExpiresUnixTime":1697394333,"GrantIssuedOn":"/Date(1668623132853)/","GrantIssuedOnISO8601":"2022-11-16T18:25:32Z","GrantIssuedOnUnixTime":1668623133,"GranteePrefixedUniversal":"local:{5a32c46e-e7d8-404d-9987-2e68c0928219}","Scope":{"ScopeList":[{"RestrictionList":["admin","approve","delete","manage"],"Scope":"codesign"},{"RestrictionList":["delete","manage"],"Scope":"configuration"},{"RestrictionList":["manage"],"Scope":"security"}]},"ValidFor":7776000}],"Result":0,"Success":true}"#;

struct Tpp {
    srv: TestServer<Venafi>,
}

fn config() -> GatewayConfig<VenafiConfig> {
    GatewayConfig::default()
}

fn tpp_with(cfg: GatewayConfig<VenafiConfig>, tls: bool) -> Tpp {
    let srv = if tls {
        TestServer::<Venafi>::start_tls(cfg)
    } else {
        TestServer::<Venafi>::start(cfg)
    };
    let t = srv.tenant().to_owned();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.clone()), "tpp").unwrap();
    for (login, universal, roles) in [
        ("alice", ALICE, vec![]),
        ("bob", BOB, vec![]),
        ("admin", ADMIN, vec!["Admin".to_owned()]),
        ("auditor", AUDITOR, vec!["Auditor".to_owned()]),
    ] {
        let user = directory::create_user(
            &mut conn,
            &t,
            NewUser {
                login: login.into(),
                aliases: [(AliasVendor::Venafi, universal.to_owned())].into(),
                roles,
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
                name: login.into(),
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
    }
    for (id, allowed) in [
        (
            APP,
            vec![
                "admin:delete".to_owned(),
                "certificate:manage,revoke,discover".to_owned(),
                "configuration:manage".to_owned(),
            ],
        ),
        (OTHER_APP, vec![]),
    ] {
        clients::create_client(
            &mut conn,
            &t,
            NewClient {
                id: Some(id.into()),
                name: Some(id.into()),
                kind: Some(ClientKind::ApiIntegration),
                access_token_lifetime: Some(7_776_000),
                refresh_token_lifetime: Some(31_536_000),
                allowed_scopes: allowed,
                ..NewClient::default()
            },
            "test",
        )
        .unwrap();
    }
    drop(conn);
    Tpp { srv }
}

fn tpp() -> Tpp {
    tpp_with(config(), true)
}

async fn send(res: reqwest::RequestBuilder) -> (u16, HeaderMap, String) {
    let res = res.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

impl Tpp {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, HeaderMap, String) {
        let mut req = self.srv.client.post(self.srv.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        send(req).await
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, HeaderMap, String) {
        let mut req = self.srv.client.get(self.srv.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        send(req).await
    }

    async fn login(&self, user: &str, client: &str, scope: &str) -> Value {
        let (status, _, body) = self
            .post(
                "/vedauth/authorize/oauth",
                None,
                json!({"username": user, "password": PASSWORD, "client_id": client, "scope": scope, "state": ""}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        json_of(&body)
    }

    async fn token(&self, user: &str, scope: &str) -> String {
        self.login(user, APP, scope).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn import_sample(&self, text: &str) {
        let items = venafi_compat::import::parse_file(text).unwrap().grants;
        import_grants(&mut self.srv.conn(), self.srv.tenant(), items, "test").unwrap();
    }
}

fn assert_json_headers(h: &HeaderMap) {
    assert_eq!(h["content-type"], "application/json; charset=utf-8");
}

fn assert_error(status: u16, body: &str, want_status: u16, error: &str, description: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(
        body,
        serde_json::to_string(&json!({"error": error, "error_description": description})).unwrap()
    );
}

/// The seed's sample with its grant expiry moved into the future (a grant past its expiry
/// is not shown), same milliseconds so the triple arithmetic is the same.
fn sample_with_future_expiry() -> String {
    SEED_SAMPLE
        .replace("/Date(1697394332853)/", "/Date(4102444812853)/")
        .replace("2023-10-15T18:25:32Z", "2100-01-01T00:00:12Z")
        .replace("1697394333", "4102444813")
}

#[tokio::test]
async fn get_grants_matches_the_seed_sample_byte_for_byte() {
    let o = tpp();
    let sample = sample_with_future_expiry();
    o.import_sample(&sample);
    let admin = o.token("admin", "admin").await;
    for path in [
        "/vedsdk/OAuth/GetGrants",
        "/vedsdk/oauth/getgrants",
        "/VEDSDK/OAUTH/GETGRANTS/",
    ] {
        let (status, h, body) = o
            .post(
                path,
                Some(&admin),
                json!({"GranteePrefixedUniversal": ALICE.to_uppercase(), "Unknown": 1}),
            )
            .await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_json_headers(&h);
        assert_eq!(body, sample, "{path}");
    }
    // Filter by application; an unknown application is Result 2.
    let (_, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE, "ApplicationId": "VenafiMMCCodeSigning"}),
        )
        .await;
    assert_eq!(body, sample);
    let (status, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE, "ApplicationId": "nope"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"Grants":[],"Result":2,"Success":false}"#);
    // Unknown grantee: no grants, success.
    let (_, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": "local:{00000000-0000-0000-0000-000000000000}"}),
        )
        .await;
    assert_eq!(body, r#"{"Grants":[],"Result":0,"Success":true}"#);
}

#[test]
fn grant_projection_of_the_seed_sample_is_exact() {
    let items = venafi_compat::import::parse_file(SEED_SAMPLE)
        .unwrap()
        .grants;
    let g = &items[0].grant;
    let grant = Grant {
        id: "x".into(),
        tenant_id: "t".into(),
        user_id: "u".into(),
        client_id: items[0].client_id.clone(),
        grant_type: GrantType::Password,
        status: GrantStatus::Active,
        source: GrantSource::EndUser,
        issuer: String::new(),
        scopes: g.scopes.clone(),
        attributes: vec![],
        created_at: g.created_at.unwrap(),
        updated_at: g.created_at.unwrap(),
        expires_at: g.expires_at,
        access_issued_at: g.access_issued_at,
        valid_for: g.valid_for,
        created_by: None,
        revoked_at: None,
        revoked_by: None,
    };
    let body = venafi_compat::json::GrantsResponse {
        Grants: vec![venafi_compat::json::GrantWire::new(&grant, ALICE)],
        Result: 0,
        Success: true,
    };
    assert_eq!(serde_json::to_string(&body).unwrap(), SEED_SAMPLE);
}

#[tokio::test]
async fn authorize_oauth_issues_base64_tokens_bound_to_a_grant() {
    let o = tpp();
    let before = chrono::Utc::now().timestamp();
    let (status, h, body) = o
        .post(
            "/vedauth/Authorize/OAuth",
            None,
            json!({"username": "alice", "password": PASSWORD, "client_id": APP,
                   "scope": "Configuration:Manage;certificate:revoke,manage", "state": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_json_headers(&h);
    let v = json_of(&body);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires",
            "expires_in",
            "identity",
            "refresh_token",
            "refresh_until",
            "scope",
            "token_type"
        ]
    );
    // Key order in the raw text too.
    assert!(body.starts_with(r#"{"access_token":""#), "{body}");
    for t in ["access_token", "refresh_token"] {
        let tok = v[t].as_str().unwrap();
        assert_eq!(tok.len(), 24, "{tok}");
        assert!(tok.ends_with("=="), "{tok}");
    }
    assert_ne!(v["access_token"], v["refresh_token"]);
    assert_eq!(v["expires_in"], 7_776_000);
    let expires = v["expires"].as_i64().unwrap();
    assert!((before + 7_776_000..=before + 7_776_002).contains(&expires));
    let until = v["refresh_until"].as_i64().unwrap();
    assert!((before + 31_536_000..=before + 31_536_002).contains(&until));
    assert_eq!(v["identity"], ALICE);
    assert_eq!(v["scope"], "certificate:manage,revoke;configuration:manage");
    assert_eq!(v["token_type"], "Bearer");
    // The echoed scope can be submitted again as is; a second login is a second grant.
    let again = o.login("alice", APP, v["scope"].as_str().unwrap()).await;
    assert_eq!(again["scope"], v["scope"]);
    // Only digests are stored.
    let creds = grant_core::store::credentials::dump_credentials(&mut o.srv.conn(), None).unwrap();
    for row in &creds {
        for t in [&v["access_token"], &v["refresh_token"]] {
            let tok = t.as_str().unwrap();
            assert_ne!(row.name, tok);
            assert!(row.digest.as_deref() != Some(tok.as_bytes()));
        }
    }
    let grants = grant_core::service::grants::list_all_grants(
        &mut o.srv.conn(),
        o.srv.tenant(),
        &GrantFilter::by_client(APP),
    )
    .unwrap();
    assert_eq!(grants.len(), 2, "one grant per authorization");
    // Audited.
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    let issued: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "token.issued")
        .collect();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0].actor, ALICE);
    assert_eq!(issued[0].detail["client_id"], APP);
    assert_eq!(issued[0].detail["result"], "success");
}

#[tokio::test]
async fn authorize_errors_are_oauth_errors() {
    let o = tpp();
    let p = "/vedauth/authorize/oauth";
    let (s, h, b) = o
        .post(p, None, json!({"username": "alice", "password": "wrong", "client_id": APP, "scope": "certificate"}))
        .await;
    assert_json_headers(&h);
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "Username/password combination not valid",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "nobody", "password": PASSWORD, "client_id": APP, "scope": "certificate"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "Username/password combination not valid",
    );
    let (s, _, b) = o
        .post(
            p,
            None,
            json!({"username": "alice", "password": PASSWORD, "scope": "certificate"}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "The 'client_id' parameter is required",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": APP, "scope": "certificate:fly"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_scope",
        "Grant rejected scope 'certificate:fly'.",
    );
    // A scope the API integration does not allow.
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": APP, "scope": "ssh:manage"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_scope",
        "Grant rejected scope 'ssh:manage'.",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": APP, "scope": "certificate:delete"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_scope",
        "Grant rejected scope 'certificate:delete'.",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": "ghost", "scope": "certificate"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_client",
        "Client 'ghost' is not registered or is disabled",
    );
    let (s, _, b) = send(
        o.srv
            .client
            .post(o.srv.url(p))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "The request body is not valid JSON",
    );
    // Nothing was issued by the failures.
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    assert!(audit.iter().all(|e| e.action != "token.issued"));
}

/// One raw HTTP/1.1 exchange over plain TCP: the status line as sent (reason phrase
/// included), and the body.
fn raw_get(base_url: &str, path: &str, token: &str) -> (String, String) {
    let addr = base_url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status_line = out.lines().next().unwrap_or_default().to_owned();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status_line, body)
}

#[tokio::test]
async fn verify_and_is_auth_server_use_tpp_reason_phrases() {
    let o = tpp_with(config(), false);
    let login = o.login("alice", APP, "certificate:manage").await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let base = o.srv.base_url.clone();
    let t = token.clone();
    let (line, body) =
        tokio::task::spawn_blocking(move || raw_get(&base, "/vedauth/authorize/verify", &t))
            .await
            .unwrap();
    assert_eq!(line, "HTTP/1.1 200 Token is valid");
    let v = json_of(&body);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "access_issued_on",
            "access_issued_on_ISO8601",
            "access_issued_on_unix_time",
            "application",
            "expires",
            "expires_ISO8601",
            "expires_unix_time",
            "grant_issued_on",
            "grant_issued_on_ISO8601",
            "grant_issued_on_unix_time",
            "identity",
            "scope",
            "valid_for"
        ]
    );
    assert!(body.starts_with(r#"{"access_issued_on":"/Date("#), "{body}");
    assert_eq!(v["application"], APP);
    assert_eq!(v["identity"], ALICE);
    assert_eq!(v["scope"], "certificate:manage");
    assert_eq!(v["valid_for"], 7_776_000);
    assert_eq!(v["expires_unix_time"], login["refresh_until"]);
    let ms = v["access_issued_on"]
        .as_str()
        .unwrap()
        .trim_start_matches("/Date(")
        .trim_end_matches(")/")
        .parse::<i64>()
        .unwrap();
    assert_eq!(v["access_issued_on_unix_time"], (ms + 500) / 1000);
    let iso = chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert_eq!(v["access_issued_on_ISO8601"], iso);

    let base = o.srv.base_url.clone();
    let (line, _) =
        tokio::task::spawn_blocking(move || raw_get(&base, "/vedauth/Authorize/IsAuthServer", ""))
            .await
            .unwrap();
    assert_eq!(line, "HTTP/1.1 202 Venafi Authentication Server");
}

fn expire_access_tokens(o: &Tpp) {
    let mut conn = o.srv.conn();
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    for c in grant_core::store::credentials::list_credentials(&mut conn, None).unwrap() {
        if c.kind == CredentialKind::BearerToken && c.status == CredentialStatus::Active {
            grant_core::store::credentials::set_expiry(&mut conn, &c.tenant_id, &c.id, Some(past))
                .unwrap();
        }
    }
}

#[tokio::test]
async fn refresh_after_the_access_token_expired() {
    let o = tpp();
    let first = o.login("alice", APP, "certificate:manage").await;
    let access = first["access_token"].as_str().unwrap().to_owned();
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    expire_access_tokens(&o);
    let (s, h, b) = o.get("/vedauth/authorize/verify", Some(&access)).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    assert_eq!(h["www-authenticate"], "Bearer error=\"invalid_token\"");
    // Another application's client_id cannot use the refresh token.
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": OTHER_APP, "refresh_token": refresh}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The client_id value being requested with the refresh token does not match the client_id of the access token making the call",
    );
    let (s, h, b) = o
        .post(
            "/vedauth/Authorize/Token",
            None,
            json!({"client_id": APP, "refresh_token": refresh}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_json_headers(&h);
    let second = json_of(&b);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["identity"], ALICE);
    assert_eq!(second["scope"], "certificate:manage");
    assert_eq!(
        second["refresh_until"], first["refresh_until"],
        "refresh does not extend the grant"
    );
    let new_access = second["access_token"].as_str().unwrap();
    let (s, _, b) = o.get("/vedauth/authorize/verify", Some(new_access)).await;
    assert_eq!(s, 200, "{b}");
    // The used refresh token is spent.
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": APP, "refresh_token": refresh}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The refresh token is invalid, expired or revoked",
    );
    let (s, _, b) = o
        .post("/vedauth/authorize/token", None, json!({"client_id": APP}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "The 'refresh_token' parameter is required",
    );
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "token.refreshed")
            .count(),
        1
    );
}

#[tokio::test]
async fn revoke_token_then_verify_and_websdk_are_401() {
    let o = tpp();
    let login = o.login("admin", APP, "admin:delete").await;
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let (s, _, _) = o.get("/vedsdk/SystemStatus/Version", Some(&access)).await;
    assert_eq!(s, 200);
    let (s, h, b) = o.get("/vedauth/Revoke/Token", Some(&access)).await;
    assert_eq!(s, 200, "{b}");
    assert_json_headers(&h);
    assert_eq!(b, "{}");
    let (s, _, b) = o.get("/vedauth/authorize/verify", Some(&access)).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&access),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    let (s, _, _) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": APP, "refresh_token": refresh}),
        )
        .await;
    assert_eq!(s, 400);
    // Revoking again: the token is no longer known.
    let (s, _, b) = o.get("/vedauth/revoke/token", Some(&access)).await;
    assert_eq!(s, 202, "{b}");
    let (s, _, b) = o.get("/vedauth/revoke/token", None).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    let revoked: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "token.revoked")
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].actor, ADMIN);
}

async fn grants_of(o: &Tpp, token: &str, who: &str) -> Value {
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(token),
            json!({"GranteePrefixedUniversal": who}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    json_of(&b)
}

#[tokio::test]
async fn revoke_grants_by_grantee_and_by_application() {
    let o = tpp();
    let alice_app = o.token("alice", "certificate:manage").await;
    let alice_other = o.login("alice", OTHER_APP, "certificate:manage").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_app = o.token("bob", "certificate").await;
    let admin = o.token("admin", "admin:delete").await;
    assert_eq!(
        grants_of(&o, &admin, ALICE).await["Grants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // By application: only that application's grants go, with their tokens.
    let (s, h, b) = o
        .post(
            "/vedsdk/OAuth/RevokeGrants",
            Some(&admin),
            json!({"ApplicationId": OTHER_APP}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_json_headers(&h);
    assert_eq!(b, r#"{"Result":0,"Success":true}"#);
    let (s, _, _) = o.get("/vedauth/authorize/verify", Some(&alice_other)).await;
    assert_eq!(s, 401);
    let (s, _, _) = o.get("/vedauth/authorize/verify", Some(&alice_app)).await;
    assert_eq!(s, 200);
    let v = grants_of(&o, &admin, ALICE).await;
    assert_eq!(v["Grants"].as_array().unwrap().len(), 1);
    assert_eq!(v["Grants"][0]["Application"], APP);

    // By grantee (case-insensitive universal).
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE.to_uppercase()}),
        )
        .await;
    assert_eq!((s, b.as_str()), (200, r#"{"Result":0,"Success":true}"#));
    let (s, _, b) = o.get("/vedauth/authorize/verify", Some(&alice_app)).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    assert_eq!(grants_of(&o, &admin, ALICE).await["Grants"], json!([]));
    // Bob is untouched.
    let (s, _, _) = o.get("/vedauth/authorize/verify", Some(&bob_app)).await;
    assert_eq!(s, 200);

    // Logical failures: 200 with a non-zero Result; a malformed request is 400.
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&admin),
            json!({"ApplicationId": "ghost"}),
        )
        .await;
    assert_eq!((s, b.as_str()), (200, r#"{"Result":2,"Success":false}"#));
    let (s, _, b) = o
        .post("/vedsdk/oauth/revokegrants", Some(&admin), json!({}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "GranteePrefixedUniversal or ApplicationId is required",
    );

    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    let revoked: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "grants.revoked")
        .collect();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().all(|e| e.actor == ADMIN));
    assert_eq!(revoked[0].affected, 1);
    assert!(revoked[0].detail["client_id"] == OTHER_APP);
}

#[tokio::test]
async fn grants_are_never_visible_to_another_identity_without_a_role() {
    let o = tpp();
    o.token("bob", "certificate").await;
    let alice_admin_scope = o.login("alice", OTHER_APP, "admin").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Alice reads her own grants...
    let v = grants_of(&o, &alice_admin_scope, ALICE).await;
    assert_eq!(v["Grants"].as_array().unwrap().len(), 1);
    // ...but not Bob's, whatever the scope.
    for path in [
        "/vedsdk/oauth/getgrants",
        "/vedsdk/oauth/enumerategrants",
        "/vedsdk/oauth/revokegrants",
    ] {
        let (s, _, b) = o
            .post(
                path,
                Some(&alice_admin_scope),
                json!({"GranteePrefixedUniversal": BOB}),
            )
            .await;
        assert_error(
            s,
            &b,
            401,
            "insufficient_rights",
            "The underlying user account does not have sufficient permissions for this request",
        );
    }
    let (s, _, _) = o
        .post(
            "/vedsdk/oauth/grantcount",
            Some(&alice_admin_scope),
            json!({"ApplicationId": APP}),
        )
        .await;
    assert_eq!(s, 401);
    // An Auditor reads anyone's grants but cannot revoke them.
    let auditor = o.token("auditor", "admin").await;
    assert_eq!(
        grants_of(&o, &auditor, BOB).await["Grants"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&auditor),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_eq!(s, 401, "{b}");
    // Without the admin scope: 403 naming the token's scope.
    let cert = o.token("admin", "certificate:manage,revoke").await;
    let (s, h, b) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&cert),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_json_headers(&h);
    assert_error(
        s,
        &b,
        403,
        "insufficient_scope",
        "Grant rejected scope 'certificate:manage,revoke'.",
    );
}

#[tokio::test]
async fn strict_revoke_scope_needs_admin_delete() {
    let mut cfg = config();
    cfg.vendor.strict_revoke_scope = true;
    let o = tpp_with(cfg, true);
    let bare = o.login("admin", OTHER_APP, "admin").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&bare),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_error(
        s,
        &b,
        403,
        "insufficient_scope",
        "Grant rejected scope 'admin'.",
    );
    let delete = o.token("admin", "admin:delete").await;
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&delete),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_eq!((s, b.as_str()), (200, r#"{"Result":0,"Success":true}"#));
}

#[tokio::test]
async fn enumerate_grants_and_grant_count() {
    let o = tpp();
    o.token("alice", "certificate").await;
    o.token("bob", "certificate").await;
    o.login("bob", OTHER_APP, "ssh").await;
    let admin = o.token("admin", "admin").await;
    let (s, h, b) = o
        .post(
            "/vedsdk/OAuth/GrantCount",
            Some(&admin),
            json!({"ApplicationId": APP}),
        )
        .await;
    assert_json_headers(&h);
    assert_eq!(
        (s, b.as_str()),
        (200, r#"{"Count":3,"Result":0,"Success":true}"#)
    );
    let (_, _, b) = o
        .post(
            "/vedsdk/oauth/grantcount",
            Some(&admin),
            json!({"ApplicationId": "ghost"}),
        )
        .await;
    assert_eq!(b, r#"{"Count":0,"Result":2,"Success":false}"#);
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"ApplicationId": APP}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let v = json_of(&b);
    let who: Vec<&str> = v["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["GranteePrefixedUniversal"].as_str().unwrap())
        .collect();
    assert_eq!(who, [ALICE, BOB, ADMIN], "oldest grant first");
    assert_eq!(
        (v["Result"].clone(), v["Success"].clone()),
        (json!(0), json!(true))
    );
    let (_, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"ApplicationId": APP, "Start": "1", "Count": 1, "OrderBy": "x", "ResolveIdentities": true}),
        )
        .await;
    let v = json_of(&b);
    assert_eq!(v["Grants"].as_array().unwrap().len(), 1);
    assert_eq!(v["Grants"][0]["GranteePrefixedUniversal"], BOB);
    let (_, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    let v = json_of(&b);
    let apps: Vec<&str> = v["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["Application"].as_str().unwrap())
        .collect();
    assert_eq!(apps, [APP, OTHER_APP]);
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"ApplicationId": APP, "Start": -1}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "Start and Count must be non-negative integers",
    );
    assert_eq!(
        v["Grants"][1]["Scope"],
        json!({"ScopeList": [{"RestrictionList": [], "Scope": "ssh"}]})
    );
}

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

#[tokio::test]
async fn credentials_not_made_for_venafi_are_refused() {
    let o = tpp();
    let t = o.srv.tenant().to_owned();
    let mut conn = o.srv.conn();
    let alice =
        directory::get_user(&mut conn, &t, UserKey::Alias(AliasVendor::Venafi), ALICE).unwrap();
    let new = |kind, name: &str, faces: &[&str]| NewCredential {
        kind,
        name: name.into(),
        user_id: Some(alice.id.clone()),
        client_id: None,
        grant_id: None,
        scopes: vec!["admin".into()],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: faces.iter().map(|f| f.to_string()).collect(),
    };
    // A PingFederate PCV user's password, even one acting as a TPP identity: no login.
    credentials::create_credential(
        &mut conn,
        &t,
        new(CredentialKind::Password, "pcvalice", &["pingfed"]),
        Some(SecretString::from(PASSWORD)),
        &grant_core::testing::fast_hashing(),
        "test",
    )
    .unwrap();
    let mut token = |faces: &[&str]| {
        let issued = credentials::create_credential(
            &mut conn,
            &t,
            new(CredentialKind::BearerToken, &format!("tok{faces:?}"), faces),
            None,
            &grant_core::testing::fast_hashing(),
            "test",
        )
        .unwrap();
        secrecy::ExposeSecret::expose_secret(&issued.secret).to_owned()
    };
    let okta_token = token(&["okta"]);
    let venafi_token = token(&["venafi"]);
    drop(conn);
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/oauth",
            None,
            json!({"username": "pcvalice", "password": PASSWORD, "client_id": APP, "scope": "certificate"}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "Username/password combination not valid",
    );
    let (s, h, b) = o
        .get("/vedsdk/systemstatus/version", Some(&okta_token))
        .await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    assert_eq!(h["www-authenticate"], "Bearer error=\"invalid_token\"");
    let (s, _, _) = o
        .get("/vedsdk/systemstatus/version", Some(&venafi_token))
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn a_second_login_is_its_own_grant_and_leaves_the_first_token_as_it_was() {
    let o = tpp();
    let first = o.login("alice", APP, "certificate:manage").await;
    let a = first["access_token"].as_str().unwrap().to_owned();
    // GetGrants orders by issue time (milliseconds): keep the two logins apart.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = o.login("alice", APP, "admin:delete").await;
    let b = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(second["scope"], "admin:delete");
    // The first token may do what it could before, and nothing more.
    let (s, _, v) = o.get("/vedauth/authorize/verify", Some(&a)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(json_of(&v)["scope"], "certificate:manage");
    let (s, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&a),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_error(
        s,
        &body,
        403,
        "insufficient_scope",
        "Grant rejected scope 'certificate:manage'.",
    );
    let (s, _, v) = o.get("/vedauth/authorize/verify", Some(&b)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(json_of(&v)["scope"], "admin:delete");
    // GetGrants lists both, oldest first, each with its own scope.
    let grants = grants_of(&o, &b, ALICE).await;
    let scopes: Vec<Value> = grants["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["Scope"].clone())
        .collect();
    assert_eq!(
        scopes,
        [
            json!({"ScopeList": [{"RestrictionList": ["manage"], "Scope": "certificate"}]}),
            json!({"ScopeList": [{"RestrictionList": ["delete"], "Scope": "admin"}]}),
        ]
    );
    // A refresh stays inside its grant: same scope, same grant expiry.
    let (s, _, r) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": APP, "refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let r = json_of(&r);
    assert_eq!(r["scope"], "certificate:manage");
    assert_eq!(r["refresh_until"], first["refresh_until"]);
    let a2 = r["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        grants_of(&o, &b, ALICE).await["Grants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // RevokeGrants revokes every grant of the grantee, with their tokens.
    let (s, _, body) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&b),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_eq!((s, body.as_str()), (200, r#"{"Result":0,"Success":true}"#));
    for t in [&a2, &b] {
        let (s, _, _) = o.get("/vedauth/authorize/verify", Some(t)).await;
        assert_eq!(s, 401);
    }
}

#[tokio::test]
async fn integrations_have_any_positive_validity_and_admit_only_allowed_identities() {
    let o = tpp();
    let short = clients::create_client(
        &mut o.srv.conn(),
        o.srv.tenant(),
        NewClient {
            id: Some("short-app".into()),
            kind: Some(ClientKind::ApiIntegration),
            access_token_lifetime: Some(5),
            refresh_token_lifetime: Some(10),
            allowed_identities: vec![BOB.to_uppercase()],
            vendor: Some("Example Corp".into()),
            description: Some("Five-second tokens".into()),
            renewable: Some(false),
            ..NewClient::default()
        },
        "test",
    )
    .unwrap();
    assert_eq!(
        (
            short.vendor.as_str(),
            short.description.as_str(),
            short.renewable
        ),
        ("Example Corp", "Five-second tokens", false)
    );
    // An identity the integration does not allow gets TPP's rejection, never a token.
    let (s, h, b) = o
        .post(
            "/vedauth/authorize/oauth",
            None,
            json!({"username": "alice", "password": PASSWORD, "client_id": "short-app", "scope": "certificate"}),
        )
        .await;
    assert_json_headers(&h);
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The identity is not allowed to use this API integration",
    );
    let none = grant_core::service::grants::list_all_grants(
        &mut o.srv.conn(),
        o.srv.tenant(),
        &GrantFilter::by_client("short-app"),
    )
    .unwrap();
    assert!(none.is_empty());
    // An allowed one (universals compare case-insensitively) gets a 5-second token.
    let bob = o.login("bob", "short-app", "certificate").await;
    assert_eq!(bob["expires_in"], 5);
    assert_eq!(
        bob["refresh_until"].as_i64().unwrap() - bob["expires"].as_i64().unwrap(),
        5
    );
    // Not renewable: its refresh token does not renew access.
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": "short-app", "refresh_token": bob["refresh_token"]}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The refresh token is invalid, expired or revoked",
    );
}

#[tokio::test]
async fn import_takes_identities_and_api_integrations_with_every_property() {
    let o = tpp();
    let sample = sample_with_future_expiry();
    let mut doc = json_of(&sample);
    let carol = "local:{c0c0c0c0-0000-4000-8000-0000000000c3}";
    doc["Identities"] = json!([{
        "FullName": "\\VED\\Identity\\Carol Import", "Name": "carol.import", "Prefix": "local",
        "PrefixedName": "local:carol.import", "PrefixedUniversal": carol, "Type": 1,
        "Universal": "{c0c0c0c0-0000-4000-8000-0000000000c3}"
    }]);
    doc["Applications"] = json!([{
        "ApplicationId": "ImportedCI", "ApplicationName": "Imported CI", "Vendor": "Example Corp",
        "Description": "build pipeline", "AccessValidity": 5, "GrantValidity": 60, "Renewable": false,
        "AllowedIdentities": [carol], "Scope": "certificate:manage,revoke;configuration"
    }]);
    let batch = venafi_compat::import::parse_file(&doc.to_string()).unwrap();
    grant_core::service::import::import_batch(&mut o.srv.conn(), o.srv.tenant(), batch, "test")
        .unwrap();
    // The grants come back exactly as captured.
    let admin = o.token("admin", "admin").await;
    let (status, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_eq!((status, body.as_str()), (200, sample.as_str()));
    // The integration keeps every property; the identity without grants exists.
    let mut conn = o.srv.conn();
    let app = clients::get_client(&mut conn, o.srv.tenant(), "ImportedCI").unwrap();
    assert_eq!(
        (
            app.kind,
            app.name.as_str(),
            app.vendor.as_str(),
            app.description.as_str(),
            app.access_token_lifetime,
            app.refresh_token_lifetime,
            app.renewable,
            app.allowed_identities.clone(),
            app.allowed_scopes.clone()
        ),
        (
            ClientKind::ApiIntegration,
            "Imported CI",
            "Example Corp",
            "build pipeline",
            5,
            60,
            false,
            vec![carol.to_owned()],
            vec![
                "certificate:manage,revoke".to_owned(),
                "configuration".to_owned()
            ]
        )
    );
    let user = directory::get_user(
        &mut conn,
        o.srv.tenant(),
        UserKey::Alias(AliasVendor::Venafi),
        &carol.to_uppercase(),
    )
    .unwrap();
    assert_eq!(
        (user.login.as_str(), user.display_name.as_str()),
        ("carol.import", "\\VED\\Identity\\Carol Import")
    );
    // Errors name the record and its field.
    let bad = json!({"Applications": [{"ApplicationId": "Zero", "AccessValidity": 0}]});
    let err = venafi_compat::import::parse_file(&bad.to_string()).unwrap_err();
    assert!(
        err.contains("API integration Zero: AccessValidity"),
        "{err}"
    );
    let bad = json!({"Applications": [{"ApplicationId": "Odd", "Scope": "certificate:fly"}]});
    let err = venafi_compat::import::parse_file(&bad.to_string()).unwrap_err();
    assert!(err.contains("API integration Odd: Scope"), "{err}");
    let bad = json!({"Identities": [{"PrefixedUniversal": "nobody"}]});
    let err = venafi_compat::import::parse_file(&bad.to_string()).unwrap_err();
    assert!(err.contains("identity nobody: PrefixedUniversal"), "{err}");
}
