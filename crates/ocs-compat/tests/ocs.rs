//! Wire-level tests of ocs-compat on a running server (SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set): status, headers and exact JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use grant_core::model::*;
use grant_core::service::{clients, credentials, directory, grants};
use grant_core::testing::fast_hashing;
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use ocs_compat::json::{TENANT_ADMINISTRATOR, TENANT_MEMBER, TENANT_VIEWER};
use ocs_compat::{Ocs, OcsConfig};
use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const T: &str = "5d1a0e1c-0000-4000-8000-00000000000a";
const U: &str = "5d1a0e1c-0000-4000-8000-00000000000b";
const ADMIN_CLIENT: &str = "6b9d6c5e-1111-4111-8111-000000000001";
const MEMBER_CLIENT: &str = "6b9d6c5e-1111-4111-8111-000000000002";
const VIEWER_CLIENT: &str = "6b9d6c5e-1111-4111-8111-000000000003";
const OTHER_ADMIN: &str = "6b9d6c5e-1111-4111-8111-00000000000b";
const SECRET: &str = "s3cret-For-Tests";
const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
const BOB: &str = "b0b00000-0000-4000-8000-000000000002";
const CAROL_U: &str = "ca201000-0000-4000-8000-000000000003";
const SPA1: &str = "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e51";
const SPA2: &str = "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e52";
const SPA3: &str = "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e53";

struct Resp {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    /// An OCS ErrorResponse: exact fields, OperationId equal to the Operation-Id header.
    fn assert_error(&self, status: u16, error: &str, reason: &str, resolution: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let op = self.header("operation-id").unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&op).is_ok(), "{op}");
        assert_eq!(
            self.json(),
            json!({"OperationId": op, "Error": error, "Reason": reason, "Resolution": resolution})
        );
    }
    fn assert_empty(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.text, "");
        assert!(self.header("operation-id").is_some());
    }
}

struct Env {
    srv: TestServer<Ocs>,
    admin: String,
    member: String,
    viewer: String,
    other_admin: String,
}

fn start(cfg: GatewayConfig<OcsConfig>) -> TestServer<Ocs> {
    TestServer::<Ocs>::start(cfg)
}

fn cc_client(srv: &TestServer<Ocs>, tenant: &str, id: &str, roles: &[&str], lifetime: i32) {
    let mut conn = srv.conn();
    let new = NewClient {
        id: Some(id.into()),
        kind: Some(ClientKind::ClientCredentials),
        name: Some(format!("cc {id}")),
        access_token_lifetime: Some(lifetime),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        ..NewClient::default()
    };
    clients::create_client(&mut conn, tenant, new, "test").unwrap();
    let secret = NewCredential {
        kind: CredentialKind::ClientSecret,
        name: format!("{id}/1/test"),
        user_id: None,
        client_id: Some(id.into()),
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: vec![],
    };
    credentials::create_credential(
        &mut conn,
        tenant,
        secret,
        Some(SecretString::from(SECRET)),
        &fast_hashing(),
        "test",
    )
    .unwrap();
}

fn user(srv: &TestServer<Ocs>, tenant: &str, id: &str, login: &str, roles: &[&str]) {
    let new = NewUser {
        id: Some(id.into()),
        login: login.into(),
        display_name: Some(format!("{login} Example")),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        ..NewUser::default()
    };
    directory::create_user(&mut srv.conn(), tenant, new, "test").unwrap();
}

fn acc(srv: &TestServer<Ocs>, tenant: &str, id: &str, tags: &[&str], offset: i64) {
    let new = NewClient {
        id: Some(id.into()),
        kind: Some(ClientKind::AuthorizationCode),
        name: Some(format!("spa {}", &id[id.len() - 1..])),
        redirect_uris: vec![format!("https://spa.test/{id}/cb")],
        tags: tags.iter().map(|s| s.to_string()).collect(),
        created_at: Some(Utc::now() + Duration::seconds(offset)),
        ..NewClient::default()
    };
    clients::create_client(&mut srv.conn(), tenant, new, "test").unwrap();
}

fn grant(srv: &TestServer<Ocs>, tenant: &str, user: &str, client: &str, kind: GrantType) {
    let mut g = NewGrant::new(user, client);
    g.grant_type = kind;
    g.scopes = ScopeSet::from_names(["openid", "ocsapi"]);
    grants::issue_grant(&mut srv.conn(), tenant, g, "test").unwrap();
}

/// A bearer token made directly (user tokens come from flows this gateway does not run).
fn direct_token(
    srv: &TestServer<Ocs>,
    tenant: &str,
    user: Option<&str>,
    roles: &[&str],
    expires_at: Option<chrono::DateTime<Utc>>,
) -> String {
    let new = NewCredential {
        kind: CredentialKind::BearerToken,
        name: format!("t{}", uuid::Uuid::new_v4()),
        user_id: user.map(str::to_owned),
        client_id: None,
        grant_id: None,
        scopes: vec!["ocsapi".into()],
        roles: roles.iter().map(|s| s.to_string()).collect(),
        expires_at,
        token_prefix: String::new(),
        faces: vec![],
    };
    let issued =
        credentials::create_credential(&mut srv.conn(), tenant, new, None, &fast_hashing(), "t")
            .unwrap();
    issued.secret.expose_secret().to_owned()
}

async fn env_with(cfg: GatewayConfig<OcsConfig>) -> Env {
    let srv = start(cfg);
    {
        let mut conn = srv.conn();
        directory::create_tenant(&mut conn, Some(T.into()), "Tenant A").unwrap();
        directory::create_tenant(&mut conn, Some(U.into()), "Tenant B").unwrap();
    }
    cc_client(
        &srv,
        T,
        ADMIN_CLIENT,
        &["Tenant Administrator", TENANT_MEMBER],
        3600,
    );
    cc_client(&srv, T, MEMBER_CLIENT, &["Account Member"], 120);
    cc_client(&srv, T, VIEWER_CLIENT, &[TENANT_VIEWER], 3600);
    cc_client(&srv, U, OTHER_ADMIN, &[TENANT_ADMINISTRATOR], 3600);
    user(&srv, T, ALICE, "alice@example.test", &["Tenant Member"]);
    user(&srv, T, BOB, "bob@example.test", &[]);
    user(&srv, U, CAROL_U, "carol@example.test", &[]);
    let mut e = Env {
        srv,
        admin: String::new(),
        member: String::new(),
        viewer: String::new(),
        other_admin: String::new(),
    };
    e.admin = e.token(ADMIN_CLIENT).await;
    e.member = e.token(MEMBER_CLIENT).await;
    e.viewer = e.token(VIEWER_CLIENT).await;
    e.other_admin = e.token(OTHER_ADMIN).await;
    e
}

async fn env() -> Env {
    env_with(GatewayConfig::default()).await
}

impl Env {
    async fn token_request(&self, form: &[(&str, &str)]) -> Resp {
        let res = self
            .srv
            .client
            .post(self.srv.url("/identity/connect/token"))
            .form(form)
            .send()
            .await
            .unwrap();
        to_resp(res).await
    }

    async fn token(&self, client: &str) -> String {
        let r = self
            .token_request(&[
                ("client_id", client),
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
            ])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.srv.client.request(method, self.srv.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        to_resp(req.send().await.unwrap()).await
    }

    async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }
}

async fn to_resp(res: reqwest::Response) -> Resp {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Resp {
        status,
        headers,
        text: res.text().await.unwrap(),
    }
}

fn pg(user: &str) -> String {
    format!("/api/v1/Tenants/{T}/Users/{user}/PersistedGrants")
}

fn accs(suffix: &str) -> String {
    format!("/api/v1/Tenants/{T}/AuthorizationCodeClients{suffix}")
}

fn spa_json(id: &str, name: &str, tags: &[&str]) -> Value {
    json!({
        "RedirectUris": [format!("https://spa.test/{id}/cb")],
        "PostLogoutRedirectUris": [],
        "ClientUri": null,
        "LogoUri": null,
        "Id": id,
        "Name": name,
        "Enabled": true,
        "AccessTokenLifetime": 3600,
        "Tags": tags,
        "AllowedCorsOrigins": [],
        "AllowOfflineAccess": false
    })
}

// ---------------------------------------------------------------- token service

#[tokio::test]
async fn discovery_names_our_own_authority_and_an_empty_key_set() {
    let e = env().await;
    let r = e
        .call(
            Method::GET,
            "/Identity/.well-known/OpenID-Configuration",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let id = format!("{}/identity", e.srv.base_url);
    let doc = r.json();
    assert_eq!(doc["issuer"], json!(id));
    assert_eq!(doc["token_endpoint"], json!(format!("{id}/connect/token")));
    assert_eq!(
        doc["authorization_endpoint"],
        json!(format!("{id}/connect/authorize"))
    );
    assert_eq!(
        doc["jwks_uri"],
        json!(format!("{id}/.well-known/openid-configuration/jwks"))
    );
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "client_credentials", "refresh_token"])
    );
    let jwks = e
        .call(
            Method::GET,
            "/identity/.well-known/openid-configuration/jwks",
            None,
            None,
        )
        .await;
    assert_eq!((jwks.status, jwks.json()), (200, json!({"keys": []})));
}

#[tokio::test]
async fn token_client_credentials_returns_identityserver_shape_with_client_lifetime() {
    let e = env().await;
    let r = e
        .token_request(&[
            ("client_id", &MEMBER_CLIENT.to_uppercase()),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("cache-control"),
        Some("no-store, no-cache, max-age=0")
    );
    let mut body = r.json();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 40 && token.chars().all(|c| c.is_ascii_alphanumeric()));
    body["access_token"] = json!("<token>");
    assert_eq!(
        body,
        json!({"access_token": "<token>", "expires_in": 120, "token_type": "Bearer", "scope": "ocsapi"})
    );
    // The token works, for its own tenant.
    let ok = e.get(&accs(""), &token).await;
    assert_eq!(ok.status, 200);
    // client_secret_basic works too.
    let res = e
        .srv
        .client
        .post(e.srv.url("/identity/connect/token"))
        .basic_auth(ADMIN_CLIENT, Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let r = to_resp(res).await;
    assert_eq!(
        (r.status, r.json()["expires_in"].clone()),
        (200, json!(3600))
    );
}

#[tokio::test]
async fn token_errors_are_400_with_an_oauth_error_never_401() {
    let e = env().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("client_id", ADMIN_CLIENT),
                ("client_secret", "wrong"),
                ("grant_type", "client_credentials"),
            ],
            "invalid_client",
        ),
        (
            vec![
                ("client_id", SPA1),
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
            ],
            "invalid_client",
        ),
        (
            vec![
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
            ],
            "invalid_client",
        ),
        (
            vec![("client_id", ADMIN_CLIENT), ("client_secret", SECRET)],
            "unsupported_grant_type",
        ),
        (
            vec![
                ("client_id", ADMIN_CLIENT),
                ("client_secret", SECRET),
                ("grant_type", "password"),
            ],
            "unsupported_grant_type",
        ),
    ];
    for (form, error) in cases {
        let r = e.token_request(&form).await;
        assert_eq!(
            (r.status, r.json()),
            (400, json!({"error": error})),
            "{form:?}"
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    // Not a form POST: invalid_request.
    let r = e
        .call(Method::GET, "/identity/connect/token", None, None)
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_request"}))
    );
    let r = e
        .call(
            Method::POST,
            "/identity/connect/token",
            None,
            Some(json!({"client_id": ADMIN_CLIENT})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_request"}))
    );
}

#[tokio::test]
async fn api_without_valid_token_is_401_without_body() {
    let e = env().await;
    let expired = direct_token(
        &e.srv,
        T,
        None,
        &[TENANT_ADMINISTRATOR],
        Some(Utc::now() - Duration::seconds(1)),
    );
    for auth in [None, Some("garbage"), Some(expired.as_str())] {
        let r = e.call(Method::GET, &accs(""), auth, None).await;
        r.assert_empty(401);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
    let r = e.call(Method::HEAD, &accs(""), Some("garbage"), None).await;
    r.assert_empty(401);
}

#[tokio::test]
async fn deleted_or_disabled_clients_tokens_are_refused() {
    let e = env().await;
    let r = e.get(&accs(""), &e.member).await;
    assert_eq!(r.status, 200);
    let path = format!("/api/v1/Tenants/{T}/ClientCredentialClients/{MEMBER_CLIENT}");
    let r = e.call(Method::DELETE, &path, Some(&e.admin), None).await;
    r.assert_empty(204);
    e.get(&accs(""), &e.member).await.assert_empty(401);
    let r = e
        .token_request(&[
            ("client_id", MEMBER_CLIENT),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_client"}))
    );
    // Disabling: existing tokens stop working, new ones are refused.
    let path = format!("/api/v1/Tenants/{T}/ClientCredentialClients/{VIEWER_CLIENT}");
    let r = e
        .call(
            Method::PUT,
            &path,
            Some(&e.admin),
            Some(json!({"Enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    e.get(&pg(ALICE), &e.viewer).await.assert_empty(401);
    let r = e
        .token_request(&[
            ("client_id", VIEWER_CLIENT),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_client"}))
    );
}

// ---------------------------------------------------------------- PersistedGrants

async fn grants_env(cfg: GatewayConfig<OcsConfig>) -> Env {
    let e = env_with(cfg).await;
    for (id, off) in [(SPA1, 1), (SPA2, 2), (SPA3, 3)] {
        acc(&e.srv, T, id, &[], off);
    }
    grant(&e.srv, T, ALICE, SPA2, GrantType::AuthorizationCode);
    grant(&e.srv, T, ALICE, SPA1, GrantType::AuthorizationCode);
    grant(&e.srv, T, ALICE, SPA1, GrantType::AuthorizationCode);
    grant(&e.srv, T, ALICE, SPA3, GrantType::RefreshToken);
    grant(&e.srv, T, BOB, SPA3, GrantType::AuthorizationCode);
    e
}

#[tokio::test]
async fn persisted_grants_list_count_and_remove_authorization_codes() {
    let e = grants_env(GatewayConfig::default()).await;
    let r = e.get(&pg(ALICE), &e.member).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!([SPA1, SPA2]));
    assert_eq!(r.header("total-count"), Some("2"));
    // Upper-case and braced GUIDs name the same user; path literals in any case.
    let path = format!(
        "/API/V1/tenants/{}/users/{{{}}}/persistedgrants",
        T.to_uppercase(),
        ALICE.to_uppercase()
    );
    let r = e.get(&path, &e.member).await;
    assert_eq!((r.status, r.json()), (200, json!([SPA1, SPA2])));
    let r = e
        .call(Method::HEAD, &pg(ALICE), Some(&e.member), None)
        .await;
    r.assert_empty(200);
    assert_eq!(r.header("total-count"), Some("2"));
    let r = e
        .call(Method::DELETE, &pg(ALICE), Some(&e.member), None)
        .await;
    r.assert_empty(204);
    let r = e.get(&pg(ALICE), &e.member).await;
    assert_eq!((r.status, r.json()), (200, json!([])));
    let r = e
        .call(Method::HEAD, &pg(ALICE), Some(&e.member), None)
        .await;
    assert_eq!(r.header("total-count"), Some("0"));
    // Bob's grant is untouched; a user with nothing left still answers 204.
    assert_eq!(e.get(&pg(BOB), &e.admin).await.json(), json!([SPA3]));
    e.call(Method::DELETE, &pg(ALICE), Some(&e.member), None)
        .await
        .assert_empty(204);
}

#[tokio::test]
async fn persisted_grants_can_include_refresh_tokens() {
    let mut cfg = GatewayConfig::<OcsConfig>::default();
    cfg.vendor.persisted_grant_types = vec!["authorization_code".into(), "refresh_token".into()];
    let e = grants_env(cfg).await;
    let r = e.get(&pg(ALICE), &e.member).await;
    assert_eq!(r.json(), json!([SPA1, SPA2, SPA3]));
    e.call(Method::DELETE, &pg(ALICE), Some(&e.member), None)
        .await
        .assert_empty(204);
    assert_eq!(e.get(&pg(ALICE), &e.member).await.json(), json!([]));
}

#[tokio::test]
async fn persisted_grants_errors_and_roles() {
    let e = grants_env(GatewayConfig::default()).await;
    let unknown = "00000000-0000-4000-8000-00000000dead";
    e.get(&pg(unknown), &e.admin).await.assert_error(
        404,
        "User not found.",
        &format!("User with Id '{unknown}' was not found."),
        "Check the identifier and try again.",
    );
    e.call(Method::HEAD, &pg(unknown), Some(&e.admin), None)
        .await
        .assert_empty(404);
    e.call(Method::DELETE, &pg(unknown), Some(&e.admin), None)
        .await
        .assert_error(
            404,
            "User not found.",
            &format!("User with Id '{unknown}' was not found."),
            "Check the identifier and try again.",
        );
    e.get(&pg("not-a-guid"), &e.admin).await.assert_error(
        400,
        "The request is not valid.",
        "userId: 'not-a-guid' is not a valid GUID",
        "Correct the request and try again.",
    );
    let forbidden = |r: Resp| {
        r.assert_error(
            403,
            "Forbidden.",
            "The caller does not have the required role for this operation.",
            "Use a client or user with a role allowed to perform this operation.",
        )
    };
    forbidden(e.get(&pg(ALICE), &e.viewer).await);
    forbidden(
        e.call(Method::DELETE, &pg(ALICE), Some(&e.viewer), None)
            .await,
    );
    e.call(Method::HEAD, &pg(ALICE), Some(&e.viewer), None)
        .await
        .assert_empty(403);
    // Self: a user token without roles reaches its own grants only.
    let bob = direct_token(&e.srv, T, Some(BOB), &[], None);
    assert_eq!(e.get(&pg(BOB), &bob).await.json(), json!([SPA3]));
    forbidden(e.get(&pg(ALICE), &bob).await);
    e.call(Method::DELETE, &pg(BOB), Some(&bob), None)
        .await
        .assert_empty(204);
    // 405 with Allow.
    let r = e
        .call(Method::POST, &pg(ALICE), Some(&e.admin), Some(json!({})))
        .await;
    r.assert_error(
        405,
        "Method not allowed.",
        "The method POST is not supported on this resource.",
        "Use one of the methods in the Allow header.",
    );
    assert_eq!(r.header("allow"), Some("GET, HEAD, DELETE"));
}

// ---------------------------------------------------------------- AuthorizationCodeClients

async fn clients_env() -> Env {
    let e = env().await;
    acc(&e.srv, T, SPA1, &["a"], 1);
    acc(&e.srv, T, SPA2, &["b"], 2);
    acc(&e.srv, T, SPA3, &["a", "c"], 3);
    acc(&e.srv, U, "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59", &["a"], 4);
    e
}

#[tokio::test]
async fn acc_list_pages_filters_and_counts() {
    let e = clients_env().await;
    let r = e.get(&accs(""), &e.member).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("total-count"), Some("3"));
    assert_eq!(
        r.json(),
        json!([
            spa_json(SPA1, "spa 1", &["a"]),
            spa_json(SPA2, "spa 2", &["b"]),
            spa_json(SPA3, "spa 3", &["a", "c"])
        ])
    );
    let ids = |r: &Resp| {
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["Id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        ("?skip=1&count=1".into(), vec![SPA2], "3"),
        ("?skip=5".into(), vec![], "3"),
        (
            format!("?id={SPA3}&id=%20&id=&id={}", SPA1.to_uppercase()),
            vec![SPA1, SPA3],
            "2",
        ),
        ("?tag=a".into(), vec![SPA1, SPA3], "2"),
        ("?tag=a&tag=b&skip=1&count=1".into(), vec![SPA2], "3"),
        (format!("?tag=a&id={SPA2}"), vec![], "0"),
        (
            "?ID=00000000-0000-4000-8000-000000000000&query=ignored".into(),
            vec![],
            "0",
        ),
        ("?Skip=2&COUNT=1000".into(), vec![SPA3], "3"),
    ];
    for (q, want, total) in cases {
        let r = e.get(&accs(&q), &e.member).await;
        assert_eq!(
            (r.status, ids(&r), r.header("total-count")),
            (
                200,
                want.iter().map(|s| s.to_string()).collect(),
                Some(total)
            ),
            "{q}"
        );
        let h = e.call(Method::HEAD, &accs(&q), Some(&e.member), None).await;
        h.assert_empty(200);
        assert_eq!(h.header("total-count"), Some(total), "HEAD {q}");
    }
    for (q, field, reason) in [
        ("?count=0", "count", "must be an integer from 1 to 1000"),
        ("?count=1001", "count", "must be an integer from 1 to 1000"),
        ("?skip=-1", "skip", "must be an integer of 0 or more"),
        ("?skip=x", "skip", "must be an integer of 0 or more"),
    ] {
        e.get(&accs(q), &e.member).await.assert_error(
            400,
            "The request is not valid.",
            &format!("{field}: {reason}"),
            "Correct the request and try again.",
        );
        e.call(Method::HEAD, &accs(q), Some(&e.member), None)
            .await
            .assert_empty(400);
    }
    // Client-credential clients are not listed here.
    assert!(!ids(&e.get(&accs("?count=1000"), &e.admin).await).contains(&ADMIN_CLIENT.to_owned()));
}

#[tokio::test]
async fn acc_create_generates_ids_validates_and_conflicts() {
    let e = clients_env().await;
    let body = json!({"Id": null, "Name": "New SPA", "RedirectUris": ["https://n/cb"], "AllowOfflineAccess": true});
    let r = e
        .call(Method::POST, &accs(""), Some(&e.admin), Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let created = r.json();
    let id = created["Id"].as_str().unwrap().to_owned();
    assert_eq!(
        uuid::Uuid::parse_str(&id).unwrap().hyphenated().to_string(),
        id
    );
    assert_eq!(
        created,
        json!({"RedirectUris": ["https://n/cb"], "PostLogoutRedirectUris": [], "ClientUri": null, "LogoUri": null,
               "Id": id, "Name": "New SPA", "Enabled": true, "AccessTokenLifetime": 3600, "Tags": [],
               "AllowedCorsOrigins": [], "AllowOfflineAccess": true})
    );
    assert_eq!(
        e.get(&accs(&format!("/{id}")), &e.member).await.json(),
        created
    );
    // Given ids are kept (normalized), property names in any case; absent Id also generates.
    let given = "ABCDEF00-1234-4000-8000-00000000AAAA";
    let r = e
        .call(
            Method::POST,
            &accs(""),
            Some(&e.admin),
            Some(json!({"id": given, "name": "x", "accessTokenLifetime": 60})),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.json()["Id"].clone(),
            r.json()["AccessTokenLifetime"].clone()
        ),
        (201, json!(given.to_lowercase()), json!(60))
    );
    let r = e
        .call(Method::POST, &accs(""), Some(&e.admin), Some(json!({})))
        .await;
    assert_eq!((r.status, r.json()["Name"].clone()), (201, Value::Null));
    // Conflicts: same id in any form, or an id held by a client of another kind.
    for dup in [SPA1.to_uppercase(), ADMIN_CLIENT.to_owned()] {
        let r = e
            .call(
                Method::POST,
                &accs(""),
                Some(&e.admin),
                Some(json!({"Id": dup})),
            )
            .await;
        r.assert_error(
            409,
            "Conflict.",
            &format!("a client with id {} already exists", dup.to_lowercase()),
            "Use a different identifier.",
        );
    }
    let uris: Vec<String> = (0..11).map(|i| format!("https://x/{i}")).collect();
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"RedirectUris": uris}),
            "RedirectUris: at most 10 are allowed",
        ),
        (
            json!({"PostLogoutRedirectUris": uris}),
            "PostLogoutRedirectUris: at most 10 are allowed",
        ),
        (
            json!({"AccessTokenLifetime": 59}),
            "AccessTokenLifetime: must be between 60 and 3600 seconds",
        ),
        (
            json!({"AccessTokenLifetime": 3601}),
            "AccessTokenLifetime: must be between 60 and 3600 seconds",
        ),
        (
            json!({"Id": "not-a-guid"}),
            "Id: 'not-a-guid' is not a valid GUID",
        ),
        (
            json!({"Enabled": "yes"}),
            "body: invalid type: string \"yes\", expected a boolean",
        ),
    ];
    for (body, reason) in bad {
        e.call(Method::POST, &accs(""), Some(&e.admin), Some(body))
            .await
            .assert_error(
                400,
                "The request is not valid.",
                reason,
                "Correct the request and try again.",
            );
    }
    let res = e
        .srv
        .client
        .post(e.srv.url(&accs("")))
        .bearer_auth(&e.admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let r = to_resp(res).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["Error"], json!("The request is not valid."));
    // Members may read, not write.
    let r = e
        .call(Method::POST, &accs(""), Some(&e.member), Some(json!({})))
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn acc_limit_counts_clients_of_every_kind() {
    let e = env().await;
    let now = Utc::now();
    let bulk: Vec<Client> = (0..(50_000 - 4))
        .map(|i| {
            let new = NewClient {
                id: Some(format!("bulk-{i:05}")),
                kind: Some(if i % 2 == 0 {
                    ClientKind::ClientCredentials
                } else {
                    ClientKind::Hybrid
                }),
                created_at: Some(now),
                ..NewClient::default()
            };
            clients::build_client(T, new).unwrap()
        })
        .collect();
    grant_core::store::clients::insert_clients(&mut e.srv.conn(), &bulk).unwrap();
    // 3 client-credential clients of the fixture + 49,996 = 49,999: one more fits.
    let r = e
        .call(
            Method::POST,
            &accs(""),
            Some(&e.admin),
            Some(json!({"Name": "last"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    e.call(
        Method::POST,
        &accs(""),
        Some(&e.admin),
        Some(json!({"Name": "one too many"})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Client: the tenant already has the maximum of 50000 clients",
        "Correct the request and try again.",
    );
    // The other tenant is not affected.
    let r = e
        .call(
            Method::POST,
            &format!("/api/v1/Tenants/{U}/AuthorizationCodeClients"),
            Some(&e.other_admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn acc_get_head_put_merge_and_delete() {
    let e = clients_env().await;
    let one = accs(&format!("/{SPA1}"));
    let r = e
        .get(&accs(&format!("/{}", SPA1.to_uppercase())), &e.member)
        .await;
    assert_eq!((r.status, r.json()), (200, spa_json(SPA1, "spa 1", &["a"])));
    let h = e.call(Method::HEAD, &one, Some(&e.member), None).await;
    h.assert_empty(200);
    // PUT: absent and null properties stay; [] clears a list.
    let r = e
        .call(Method::PUT, &one, Some(&e.admin), Some(json!({"Name": "renamed", "RedirectUris": null, "Tags": [], "LogoUri": "https://l/logo.png", "AccessTokenLifetime": 600})))
        .await;
    let mut want = spa_json(SPA1, "renamed", &[]);
    want["LogoUri"] = json!("https://l/logo.png");
    want["AccessTokenLifetime"] = json!(600);
    assert_eq!((r.status, r.json()), (200, want.clone()));
    assert_eq!(e.get(&one, &e.member).await.json(), want);
    let r = e
        .call(
            Method::PUT,
            &one,
            Some(&e.admin),
            Some(json!({"Id": SPA1.to_uppercase(), "Enabled": false})),
        )
        .await;
    want["Enabled"] = json!(false);
    assert_eq!((r.status, r.json()), (200, want.clone()));
    e.call(Method::PUT, &one, Some(&e.admin), Some(json!({"Id": SPA2})))
        .await
        .assert_error(
            400,
            "The request is not valid.",
            "Id: does not match the client identifier of the path",
            "Correct the request and try again.",
        );
    e.call(
        Method::PUT,
        &one,
        Some(&e.admin),
        Some(json!({"AccessTokenLifetime": 1})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "AccessTokenLifetime: must be between 60 and 3600 seconds",
        "Correct the request and try again.",
    );
    assert_eq!(
        e.call(Method::PUT, &one, Some(&e.member), Some(json!({})))
            .await
            .status,
        403
    );
    assert_eq!(
        e.call(Method::DELETE, &one, Some(&e.member), None)
            .await
            .status,
        403
    );
    e.call(Method::DELETE, &one, Some(&e.admin), None)
        .await
        .assert_empty(204);
    let missing = |r: Resp| {
        r.assert_error(
            404,
            "Client not found.",
            &format!("Client with Id '{SPA1}' was not found."),
            "Check the identifier and try again.",
        )
    };
    missing(e.get(&one, &e.member).await);
    missing(
        e.call(Method::PUT, &one, Some(&e.admin), Some(json!({})))
            .await,
    );
    missing(e.call(Method::DELETE, &one, Some(&e.admin), None).await);
    e.call(Method::HEAD, &one, Some(&e.member), None)
        .await
        .assert_empty(404);
    // A client of another kind is not an authorization-code client.
    let r = e.get(&accs(&format!("/{ADMIN_CLIENT}")), &e.member).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let e = clients_env().await;
    grant(
        &e.srv,
        U,
        CAROL_U,
        "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59",
        GrantType::AuthorizationCode,
    );
    // A token is valid only for its own tenant.
    let forbidden = |r: Resp| {
        r.assert_error(
            403,
            "Forbidden.",
            "The caller does not have the required role for this operation.",
            "Use a client or user with a role allowed to perform this operation.",
        )
    };
    forbidden(
        e.get(
            &format!("/api/v1/Tenants/{U}/AuthorizationCodeClients"),
            &e.admin,
        )
        .await,
    );
    forbidden(
        e.get(
            &format!("/api/v1/Tenants/{U}/Users/{CAROL_U}/PersistedGrants"),
            &e.admin,
        )
        .await,
    );
    forbidden(e.get(&accs(""), &e.other_admin).await);
    // Through its own tenant, the other tenant's objects do not exist.
    let r = e
        .get(
            &format!("/api/v1/Tenants/{T}/Users/{CAROL_U}/PersistedGrants"),
            &e.admin,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = e
        .get(&accs("/3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59"), &e.admin)
        .await;
    assert_eq!(r.status, 404);
    let r = e
        .get(
            &format!("/api/v1/Tenants/{U}/AuthorizationCodeClients"),
            &e.other_admin,
        )
        .await;
    assert_eq!((r.status, r.header("total-count")), (200, Some("1")));
    let r = e
        .get(
            &format!("/api/v1/Tenants/{U}/Users/{CAROL_U}/PersistedGrants"),
            &e.other_admin,
        )
        .await;
    assert_eq!(r.json(), json!(["3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59"]));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_error_responses() {
    let e = env().await;
    e.get(&format!("/api/v1/Tenants/{T}/Nope"), &e.admin)
        .await
        .assert_error(
            404,
            "Not found.",
            "The requested resource does not exist.",
            "Check the URL and try again.",
        );
    let r = e.call(Method::PATCH, &accs(""), Some(&e.admin), None).await;
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET, HEAD, POST"))
    );
}

// ---------------------------------------------------------------- ClientCredentialClients, Secrets

#[tokio::test]
async fn ccc_create_returns_a_secret_that_gets_a_token() {
    let e = env().await;
    let base = format!("/api/v1/Tenants/{T}/ClientCredentialClients");
    let r = e
        .call(Method::POST, &base, Some(&e.admin), Some(json!({"Id": null, "Name": "svc", "RoleIds": [TENANT_VIEWER], "AccessTokenLifetime": 900, "SecretDescription": "first"})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let body = r.json();
    let id = body["Client"]["Id"].as_str().unwrap().to_owned();
    let secret = body["Secret"].as_str().unwrap().to_owned();
    let mut masked = body.clone();
    masked["Secret"] = json!("<secret>");
    assert_eq!(
        masked,
        json!({"Secret": "<secret>", "Id": 1, "Description": "first", "ExpirationDate": null,
               "Client": {"Id": id, "Name": "svc", "Enabled": true, "AccessTokenLifetime": 900, "Tags": [],
                          "RoleIds": [TENANT_MEMBER, TENANT_VIEWER]}})
    );
    let t = e
        .token_request(&[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (t.status, t.json()["expires_in"].clone()),
        (200, json!(900))
    );
    let token = t.json()["access_token"].as_str().unwrap().to_owned();
    // Self may read itself; a member may read clients; only admins write.
    let r = e.get(&format!("{base}/{id}"), &token).await;
    assert_eq!(r.json()["RoleIds"], json!([TENANT_MEMBER, TENANT_VIEWER]));
    let r = e.get(&base, &e.member).await;
    assert_eq!((r.status, r.header("total-count")), (200, Some("4")));
    let r = e
        .call(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&e.admin),
            Some(json!({"RoleIds": ["Tenant Administrator"], "Name": null})),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.json()["RoleIds"].clone(),
            r.json()["Name"].clone()
        ),
        (
            200,
            json!([TENANT_MEMBER, TENANT_ADMINISTRATOR]),
            json!("svc")
        )
    );

    // Secrets.
    let secrets = format!("{base}/{id}/Secrets");
    let r = e.get(&secrets, &e.admin).await;
    assert_eq!(
        (r.status, r.json(), r.header("total-count")),
        (
            200,
            json!([{"Id": 1, "Description": "first", "Expiration": null, "Expires": false}]),
            Some("1")
        )
    );
    e.call(
        Method::POST,
        &secrets,
        Some(&e.admin),
        Some(json!({"Description": "x"})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Expiration: is required when Expires is true or not set",
        "Correct the request and try again.",
    );
    e.call(
        Method::POST,
        &secrets,
        Some(&e.admin),
        Some(json!({"Expires": false, "Expiration": "2030-01-01T00:00:00Z"})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Expiration: must not be set when Expires is false",
        "Correct the request and try again.",
    );
    let r = e
        .call(
            Method::POST,
            &secrets,
            Some(&e.admin),
            Some(json!({"Description": "second", "Expiration": "2030-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let second = r.json()["Secret"].as_str().unwrap().to_owned();
    let mut masked = r.json();
    masked["Secret"] = json!("<secret>");
    assert_eq!(
        masked,
        json!({"Secret": "<secret>", "Id": 2, "Description": "second", "Expiration": "2030-01-01T00:00:00Z", "Expires": true})
    );
    let r = e
        .call(
            Method::PUT,
            &format!("{secrets}/2"),
            Some(&e.admin),
            Some(json!({"Description": "renamed"})),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"Id": 2, "Description": "renamed", "Expiration": "2030-01-01T00:00:00Z", "Expires": true})
    );
    e.call(
        Method::DELETE,
        &format!("{secrets}/1"),
        Some(&e.admin),
        None,
    )
    .await
    .assert_empty(204);
    let r = e
        .token_request(&[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_client"}))
    );
    let r = e
        .token_request(&[
            ("client_id", &id),
            ("client_secret", &second),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(r.status, 200);
    e.get(&format!("{secrets}/1"), &e.admin).await.assert_error(
        404,
        "Secret not found.",
        "Secret with Id '1' was not found.",
        "Check the identifier and try again.",
    );
    for _ in 0..9 {
        let r = e
            .call(
                Method::POST,
                &secrets,
                Some(&e.admin),
                Some(json!({"Expires": false})),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    e.call(
        Method::POST,
        &secrets,
        Some(&e.admin),
        Some(json!({"Expires": false})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Secret: a client may have at most 10 secrets",
        "Correct the request and try again.",
    );
    assert_eq!(e.get(&secrets, &e.member).await.status, 403);
}

// ---------------------------------------------------------------- Users, Roles

#[tokio::test]
async fn users_and_roles_reads() {
    let e = env().await;
    let r = e
        .get(&format!("/api/v1/Tenants/{T}/Roles"), &e.member)
        .await;
    assert_eq!(r.header("total-count"), Some("5"));
    assert_eq!(
        r.json()[0],
        json!({"Id": TENANT_ADMINISTRATOR, "Name": "Tenant Administrator", "Description": "Administrators of the tenant",
               "RoleScope": 1, "TenantId": T, "CommunityId": null, "RoleTypeId": TENANT_ADMINISTRATOR})
    );
    let r = e
        .get(&format!("/api/v1/Tenants/{T}/Users?count=1"), &e.member)
        .await;
    assert_eq!(r.header("total-count"), Some("2"));
    assert_eq!(
        r.json(),
        json!([{"Id": ALICE, "GivenName": null, "Surname": null, "Name": "alice@example.test Example",
                "Email": "alice@example.test", "ContactEmail": "alice@example.test", "ContactGivenName": null,
                "ContactSurname": null, "ExternalUserId": "alice@example.test", "IdentityProviderId": null,
                "RoleIds": [TENANT_MEMBER]}])
    );
    let r = e
        .get(
            &format!("/api/v1/Tenants/{T}/Users/{}", BOB.to_uppercase()),
            &e.member,
        )
        .await;
    assert_eq!((r.status, r.json()["Id"].clone()), (200, json!(BOB)));
}

// ---------------------------------------------------------------- import

#[tokio::test]
async fn import_loads_captured_clients_users_and_persisted_grants() {
    let e = env().await;
    let doc: ocs_compat::import::Captured = serde_json::from_value(json!({
        "TenantId": T.to_uppercase(),
        "AuthorizationCodeClients": [
            {"RedirectUris": ["https://cap/cb"], "PostLogoutRedirectUris": [], "ClientUri": null, "LogoUri": null,
             "Id": SPA1.to_uppercase(), "Name": "captured", "Enabled": true, "AccessTokenLifetime": 900,
             "Tags": ["cap"], "AllowedCorsOrigins": [], "AllowOfflineAccess": true}
        ],
        "ClientCredentialClients": [
            {"Id": "c0ffee00-0000-4000-8000-000000000001", "Name": "svc", "Enabled": true,
             "AccessTokenLifetime": 3600, "Tags": [], "RoleIds": [TENANT_MEMBER]}
        ],
        "Users": [{"Id": "dada0000-0000-4000-8000-000000000001", "Name": "Dana", "Email": "dana@x.test",
                   "RoleIds": [TENANT_MEMBER]}],
        "PersistedGrants": {"DADA0000-0000-4000-8000-000000000001": [SPA1], (ALICE): [SPA1]}
    }))
    .unwrap();
    let batch = ocs_compat::import::parse_document(doc).unwrap();
    let reports = grant_core::service::import::import_batches(
        &mut e.srv.conn(),
        "default",
        vec![batch],
        "test",
    )
    .unwrap();
    let report = &reports[0];
    assert_eq!(
        (
            report.tenant.as_str(),
            report.counts.clients_created,
            report.counts.users_created,
            report.counts.grants
        ),
        (T, 2, 1, 2)
    );
    let r = e.get(&accs(&format!("/{SPA1}")), &e.member).await;
    assert_eq!(r.json()["Name"], json!("captured"));
    assert_eq!(r.json()["AllowOfflineAccess"], json!(true));
    let r = e
        .get(&pg("dada0000-0000-4000-8000-000000000001"), &e.member)
        .await;
    assert_eq!((r.status, r.json()), (200, json!([SPA1])));
    assert_eq!(e.get(&pg(ALICE), &e.member).await.json(), json!([SPA1]));
}

#[tokio::test]
async fn import_is_all_or_nothing_across_clients_users_and_grants() {
    let e = env().await;
    let doc: ocs_compat::import::Captured = serde_json::from_value(json!({
        "TenantId": T,
        "AuthorizationCodeClients": [
            {"Id": "c0ffee00-0000-4000-8000-0000000000a1", "Name": "fine", "AccessTokenLifetime": 900},
            {"Id": "c0ffee00-0000-4000-8000-0000000000a2", "Name": "too short", "AccessTokenLifetime": 5}
        ],
        "Users": [{"Id": "dada0000-0000-4000-8000-0000000000a1", "Name": "Erin"}],
    }))
    .unwrap();
    let batch = ocs_compat::import::parse_document(doc).unwrap();
    let err = grant_core::service::import::import_batches(
        &mut e.srv.conn(),
        "default",
        vec![batch],
        "test",
    )
    .unwrap_err();
    assert!(err.to_string().contains("AccessTokenLifetime"), "{err}");
    let r = e
        .get(&accs("/c0ffee00-0000-4000-8000-0000000000a1"), &e.member)
        .await;
    assert_eq!(
        r.status, 404,
        "the valid client of a failed import must not stay"
    );
    let r = e
        .get(
            &format!("/api/v1/Tenants/{T}/Users/dada0000-0000-4000-8000-0000000000a1"),
            &e.member,
        )
        .await;
    assert_eq!(r.status, 404, "the user of a failed import must not stay");
}

#[tokio::test]
async fn tokens_and_secrets_not_made_for_ocs_are_refused() {
    let e = env().await;
    let mk = |faces: &[&str]| {
        let new = NewCredential {
            kind: CredentialKind::BearerToken,
            name: format!("t{}", uuid::Uuid::new_v4()),
            user_id: None,
            client_id: None,
            grant_id: None,
            scopes: vec!["ocsapi".into()],
            roles: vec![TENANT_ADMINISTRATOR.into()],
            expires_at: None,
            token_prefix: String::new(),
            faces: faces.iter().map(|f| f.to_string()).collect(),
        };
        let issued =
            credentials::create_credential(&mut e.srv.conn(), T, new, None, &fast_hashing(), "t")
                .unwrap();
        issued.secret.expose_secret().to_owned()
    };
    let okta_only = mk(&["okta"]);
    let r = e.get(&accs(""), &okta_only).await;
    r.assert_empty(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(e.get(&accs(""), &mk(&["ocs"])).await.status, 200);
    // A client secret made for another gateway gets no token.
    let secret = NewCredential {
        kind: CredentialKind::ClientSecret,
        name: format!("{ADMIN_CLIENT}/2/okta"),
        user_id: None,
        client_id: Some(ADMIN_CLIENT.into()),
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: vec!["okta".into()],
    };
    credentials::create_credential(
        &mut e.srv.conn(),
        T,
        secret,
        Some(SecretString::from("not-for-ocs")),
        &fast_hashing(),
        "t",
    )
    .unwrap();
    let r = e
        .token_request(&[
            ("client_id", ADMIN_CLIENT),
            ("client_secret", "not-for-ocs"),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"error": "invalid_client"}));
}

// ------------------------------------------------ import round trip: a tenant as captured

const V: &str = "c4e70000-0000-4000-8000-0000000000c1";
const V_ADMIN_ROLE: &str = "a0000000-0000-4000-8000-0000000000c1";
const V_MEMBER_ROLE: &str = "a0000000-0000-4000-8000-0000000000c2";
const V_VIEWER_ROLE: &str = "a0000000-0000-4000-8000-0000000000c3";
const V_ADMIN_CLIENT: &str = "cc000000-0000-4000-8000-0000000000c1";
const V_MEMBER_CLIENT: &str = "cc000000-0000-4000-8000-0000000000c2";
const V_VIEWER_CLIENT: &str = "cc000000-0000-4000-8000-0000000000c3";
const V_SPA: &str = "5ba00000-0000-4000-8000-0000000000c1";
const V_SPA2: &str = "5ba00000-0000-4000-8000-0000000000c2";
const V_DANA: &str = "da0a0000-0000-4000-8000-0000000000c1";
const V_EVE: &str = "e0e00000-0000-4000-8000-0000000000c2";

/// What a real tenant's GETs returned (compact, in the order OCS listed them).
fn captured_roles() -> String {
    format!(
        r#"[{{"Id":"{V_ADMIN_ROLE}","Name":"Tenant Administrator","Description":"Administrators of the tenant","RoleScope":1,"TenantId":"{V}","CommunityId":null,"RoleTypeId":"{TENANT_ADMINISTRATOR}"}},{{"Id":"{V_MEMBER_ROLE}","Name":"Tenant Member","Description":"Members of the tenant","RoleScope":1,"TenantId":"{V}","CommunityId":null,"RoleTypeId":"{TENANT_MEMBER}"}},{{"Id":"{V_VIEWER_ROLE}","Name":"Read-only auditors","Description":"Custom viewer role","RoleScope":1,"TenantId":"{V}","CommunityId":null,"RoleTypeId":"{TENANT_VIEWER}"}}]"#
    )
}

fn captured_users() -> String {
    format!(
        r#"[{{"Id":"{V_DANA}","GivenName":"Dana","Surname":"Scully","Name":"Dana Scully","Email":"dana@corp.example","ContactEmail":"dana.scully@mail.example","ContactGivenName":"D.","ContactSurname":"Scully","ExternalUserId":"0c1d2e3f-aaaa-4bbb-8ccc-000000000001","IdentityProviderId":"e2398938-bf8f-40fa-b380-d538ece2bfc2","RoleIds":["{V_MEMBER_ROLE}"]}},{{"Id":"{V_EVE}","GivenName":null,"Surname":null,"Name":"Eve","Email":null,"ContactEmail":null,"ContactGivenName":null,"ContactSurname":null,"ExternalUserId":"eve-ext","IdentityProviderId":null,"RoleIds":["{V_ADMIN_ROLE}","{V_MEMBER_ROLE}"]}}]"#
    )
}

fn captured_cccs() -> String {
    format!(
        r#"[{{"Id":"{V_ADMIN_CLIENT}","Name":"ops","Enabled":true,"AccessTokenLifetime":3600,"Tags":["ops"],"RoleIds":["{V_ADMIN_ROLE}","{V_MEMBER_ROLE}"]}},{{"Id":"{V_MEMBER_CLIENT}","Name":"reader","Enabled":true,"AccessTokenLifetime":600,"Tags":[],"RoleIds":["{V_MEMBER_ROLE}"]}},{{"Id":"{V_VIEWER_CLIENT}","Name":"auditor","Enabled":true,"AccessTokenLifetime":600,"Tags":[],"RoleIds":["{V_VIEWER_ROLE}"]}}]"#
    )
}

fn captured_accs() -> String {
    format!(
        r#"[{{"RedirectUris":["https://app.example/cb"],"PostLogoutRedirectUris":["https://app.example/"],"ClientUri":"https://app.example","LogoUri":null,"Id":"{V_SPA}","Name":"App","Enabled":true,"AccessTokenLifetime":900,"Tags":["web"],"AllowedCorsOrigins":["https://app.example"],"AllowOfflineAccess":true}},{{"RedirectUris":[],"PostLogoutRedirectUris":[],"ClientUri":null,"LogoUri":null,"Id":"{V_SPA2}","Name":null,"Enabled":false,"AccessTokenLifetime":3600,"Tags":[],"AllowedCorsOrigins":[],"AllowOfflineAccess":false}}]"#
    )
}

fn captured_document() -> String {
    let future = (Utc::now() + Duration::days(30)).to_rfc3339();
    let past = (Utc::now() - Duration::days(1)).to_rfc3339();
    format!(
        r#"{{"TenantId":"{V}","TenantName":"Captured Corp","Roles":{},"Users":{},"ClientCredentialClients":{},"AuthorizationCodeClients":{},
        "PersistedGrants":{{"{V_DANA}":[
          {{"Key":"k1/abc+=","Type":"authorization_code","ClientId":"{V_SPA}","CreationTime":"2026-01-02T03:04:05.678Z","Expiration":"{future}"}},
          {{"Key":"k2","Type":"refresh_token","ClientId":"{V_SPA2}","CreationTime":"2026-01-02T03:04:05Z","Expiration":null}},
          {{"Key":"k3","Type":"authorization_code","ClientId":"{V_SPA2}","CreationTime":"2026-01-01T00:00:00Z","Expiration":"{past}"}}],
          "{V_EVE}":["{V_SPA2}"]}}}}"#,
        captured_roles(),
        captured_users(),
        captured_cccs(),
        captured_accs()
    )
}

fn import_text(
    e: &Env,
    text: &str,
) -> Result<Vec<grant_core::service::import::BatchReport>, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    std::fs::write(&path, text).unwrap();
    grant_core::service::import::import_files(
        &mut e.srv.conn(),
        "default",
        &[path.display().to_string()],
        "test",
        ocs_compat::import::parse_file,
    )
}

fn add_secret(e: &Env, tenant: &str, client: &str) {
    let secret = NewCredential {
        kind: CredentialKind::ClientSecret,
        name: format!("{client}/1/test"),
        user_id: None,
        client_id: Some(client.into()),
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: vec![],
    };
    credentials::create_credential(
        &mut e.srv.conn(),
        tenant,
        secret,
        Some(SecretString::from(SECRET)),
        &fast_hashing(),
        "test",
    )
    .unwrap();
}

#[tokio::test]
async fn import_captured_tenant_round_trips_byte_for_byte() {
    let e = env().await;
    let reports = import_text(&e, &captured_document()).unwrap();
    assert_eq!(reports[0].tenant, V);
    assert_eq!(
        directory::get_tenant(&mut e.srv.conn(), V).unwrap().name,
        "Captured Corp"
    );
    add_secret(&e, V, V_ADMIN_CLIENT);
    let admin = e.token(V_ADMIN_CLIENT).await;
    let base = format!("/api/v1/Tenants/{V}");
    let r = e.get(&format!("{base}/Roles"), &admin).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (200, captured_roles().as_str())
    );
    assert_eq!(r.header("total-count"), Some("3"));
    let r = e.get(&format!("{base}/Users"), &admin).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (200, captured_users().as_str())
    );
    let r = e
        .get(&format!("{base}/ClientCredentialClients"), &admin)
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, captured_cccs().as_str()));
    let r = e
        .get(&format!("{base}/AuthorizationCodeClients"), &admin)
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, captured_accs().as_str()));
    let r = e
        .get(
            &format!("{base}/Roles/{}", V_VIEWER_ROLE.to_uppercase()),
            &admin,
        )
        .await;
    assert_eq!(r.json()["Name"], json!("Read-only auditors"));
    let r = e
        .get(&format!("{base}/Roles?roleTypeId={TENANT_MEMBER}"), &admin)
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["Id"], json!(V_MEMBER_ROLE));
    let r = e.get(&format!("{base}/Users/{V_DANA}"), &admin).await;
    assert_eq!(
        r.json()["IdentityProviderId"],
        json!("e2398938-bf8f-40fa-b380-d538ece2bfc2")
    );
    // Persisted grants keep their type, creation time and expiration: the live
    // authorization code shows; the refresh token (not counted by default) and the expired
    // code do not.
    let r = e
        .get(&format!("{base}/Users/{V_DANA}/PersistedGrants"), &admin)
        .await;
    assert_eq!((r.status, r.json()), (200, json!([V_SPA])));
    let g = grants::list_all_grants(
        &mut e.srv.conn(),
        V,
        &GrantFilter {
            user_id: Some(V_DANA.into()),
            ..GrantFilter::default()
        },
    )
    .unwrap();
    let k1 = g.iter().find(|g| g.id == "k1/abc+=").unwrap();
    assert_eq!(k1.grant_type, GrantType::AuthorizationCode);
    assert_eq!(k1.created_at.to_rfc3339(), "2026-01-02T03:04:05.678+00:00");
    let k2 = g.iter().find(|g| g.id == "k2").unwrap();
    assert_eq!(
        (k2.grant_type, k2.expires_at),
        (GrantType::RefreshToken, None)
    );
    let r = e
        .get(&format!("{base}/Users/{V_EVE}/PersistedGrants"), &admin)
        .await;
    assert_eq!(r.json(), json!([V_SPA2]));
}

#[tokio::test]
async fn imported_clients_keep_exactly_the_rights_of_their_tenant_role_ids() {
    let e = env().await;
    import_text(&e, &captured_document()).unwrap();
    for c in [V_ADMIN_CLIENT, V_MEMBER_CLIENT, V_VIEWER_CLIENT] {
        add_secret(&e, V, c);
    }
    let base = format!("/api/v1/Tenants/{V}");
    let admin = e.token(V_ADMIN_CLIENT).await;
    let member = e.token(V_MEMBER_CLIENT).await;
    let viewer = e.token(V_VIEWER_CLIENT).await;
    // Members (by the role's RoleTypeId, not its id) read users; a custom role of type
    // Viewer does not.
    assert_eq!(e.get(&format!("{base}/Users"), &member).await.status, 200);
    assert_eq!(e.get(&format!("{base}/Users"), &viewer).await.status, 403);
    // Only the administrator role (by type) creates clients.
    let body = json!({"Name": "new", "RedirectUris": []});
    let r = e
        .call(
            Method::POST,
            &format!("{base}/AuthorizationCodeClients"),
            Some(&member),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = e
        .call(
            Method::POST,
            &format!("{base}/AuthorizationCodeClients"),
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn import_names_the_record_and_field_that_failed() {
    let e = env().await;
    let bad_user = format!(
        r#"{{"TenantId":"{V}","Users":[{{"Id":"{V_DANA}","Name":"x","IdentityProviderId":"google"}}]}}"#
    );
    let err = import_text(&e, &bad_user).unwrap_err();
    assert!(
        err.contains(&format!("user {V_DANA}: IdentityProviderId")),
        "{err}"
    );
    let bad_type = format!(
        r#"{{"TenantId":"{V}","PersistedGrants":{{"{V_DANA}":[{{"Key":"k9","Type":"reference_token","ClientId":"{V_SPA}"}}]}}}}"#
    );
    let err = import_text(&e, &bad_type).unwrap_err();
    assert!(
        err.contains("persisted grant k9 of user") && err.contains("Type"),
        "{err}"
    );
    let short = format!(
        r#"{{"TenantId":"{V}","AuthorizationCodeClients":[{{"Id":"{V_SPA}","AccessTokenLifetime":5}}]}}"#
    );
    let err = import_text(&e, &short).unwrap_err();
    assert!(err.contains(&format!("client {V_SPA}")), "{err}");
    // A login another user of the tenant already has: a conflict naming the user.
    let dup = format!(
        r#"{{"TenantId":"{T}","Users":[{{"Id":"{V_EVE}","Email":"alice@example.test"}}]}}"#
    );
    let err = import_text(&e, &dup).unwrap_err();
    assert!(err.contains(&format!("user {V_EVE}")), "{err}");
    // Nothing of a failed import stays.
    assert!(
        directory::find_tenant(&mut e.srv.conn(), V)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn client_credential_clients_get_the_tenants_own_member_role() {
    let e = env().await;
    import_text(&e, &captured_document()).unwrap();
    add_secret(&e, V, V_ADMIN_CLIENT);
    let admin = e.token(V_ADMIN_CLIENT).await;
    let path = format!("/api/v1/Tenants/{V}/ClientCredentialClients");
    // A role of another type: the tenant's Tenant Member role (its own id) is added first.
    let r = e
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({"Name": "a", "RoleIds": [V_VIEWER_ROLE]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json()["Client"]["RoleIds"],
        json!([V_MEMBER_ROLE, V_VIEWER_ROLE])
    );
    // The tenant's member role already there: nothing added (no RoleTypeId beside it).
    let r = e
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({"Name": "b", "RoleIds": [V_MEMBER_ROLE.to_uppercase()]})),
        )
        .await;
    assert_eq!(r.json()["Client"]["RoleIds"], json!([V_MEMBER_ROLE]));
    let id = r.json()["Client"]["Id"].as_str().unwrap().to_owned();
    let r = e
        .call(
            Method::PUT,
            &format!("{path}/{id}"),
            Some(&admin),
            Some(json!({"RoleIds": [V_ADMIN_ROLE]})),
        )
        .await;
    assert_eq!(r.json()["RoleIds"], json!([V_MEMBER_ROLE, V_ADMIN_ROLE]));
    // A tenant without roles of its own keeps the built-in Tenant Member id.
    let r = e
        .call(
            Method::POST,
            &format!("/api/v1/Tenants/{T}/ClientCredentialClients"),
            Some(&e.admin),
            Some(json!({"Name": "c", "RoleIds": [TENANT_VIEWER]})),
        )
        .await;
    assert_eq!(
        r.json()["Client"]["RoleIds"],
        json!([TENANT_MEMBER, TENANT_VIEWER])
    );
}

#[tokio::test]
async fn import_keeps_hybrid_clients_as_their_own_kind() {
    let e = env().await;
    let doc = format!(
        r#"{{"TenantId":"{V}","HybridClients":[{{"Id":"{V_SPA}","Name":"hybrid","AccessTokenLifetime":900,"RedirectUris":["https://h.example/cb"],"AllowOfflineAccess":true}}]}}"#
    );
    import_text(&e, &doc).unwrap();
    let c = clients::get_client(&mut e.srv.conn(), V, V_SPA).unwrap();
    assert_eq!(
        (c.kind, c.name.as_str(), c.allow_offline_access),
        (ClientKind::Hybrid, "hybrid", true)
    );
}
