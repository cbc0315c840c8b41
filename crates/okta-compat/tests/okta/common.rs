//! The suite's fixtures: an org on a running gateway (two users, two apps, one scope
//! definition), credentials per auth mode (`SSWS` API tokens, `Bearer` access tokens),
//! grants, requests, and the Okta-specific assertions and snapshot settings.

use chrono::{DateTime, Utc};
use grant_core::model::*;
use grant_core::service::{clients, directory, grants};
use grant_core::testing::fixture::credential;
use grant_http::GatewayConfig;
use grant_http::testing::{TestServer, snapshot};
use okta_compat::{Okta, OktaConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const ALICE: &str = "00ualice000000000001";
pub const BOB: &str = "00ubob00000000000002";
pub const CLIENT: &str = "0oaclient00000000001";
pub const CLIENT2: &str = "0oaclient00000000002";

pub struct Org {
    pub srv: TestServer<Okta>,
    /// A SUPER_ADMIN API token acting as alice (send it as `SSWS <token>`).
    pub admin: String,
    pub alice: User,
    pub bob: User,
}

pub fn config() -> GatewayConfig<OktaConfig> {
    GatewayConfig::default()
}

/// The default configuration without rate limits (for runs of many requests).
pub fn unlimited() -> GatewayConfig<OktaConfig> {
    let mut cfg = config();
    cfg.vendor.rate_limit.enabled = false;
    cfg
}

pub fn org_with(cfg: GatewayConfig<OktaConfig>) -> Org {
    seed(TestServer::<Okta>::start(cfg))
}

/// The org (tenant, alice and bob, two apps, a scope, an admin token) on a new server.
pub fn seed(srv: TestServer<Okta>) -> Org {
    let t = srv.tenant().to_buf();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.to_string()), "org").unwrap();
    let user = |conn: &mut grant_core::DbConn, login: &str, okta: &str| {
        let new = NewUser {
            login: login.into(),
            aliases: [(AliasVendor::Okta, okta.to_owned())].into(),
            display_name: Some(format!("{login} Example")),
            ..NewUser::default()
        };
        directory::create_user(conn, &t, new, "test").unwrap()
    };
    let alice = user(&mut conn, "alice", ALICE);
    let bob = user(&mut conn, "bob", BOB);
    for (id, name) in [(CLIENT, "Web App"), (CLIENT2, "")] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(name.into()),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, &t, new, "test").unwrap();
    }
    directory::define_scopes(
        &mut conn,
        &[ScopeDefinition {
            tenant_id: t.to_string(),
            id: "scpCmCCV1DpxVkCaye2X".into(),
            name: "car:drive".into(),
            display_name: "Drive car".into(),
            description: "Allows the user to drive a car".into(),
            restrictions: vec![],
        }],
    )
    .unwrap();
    drop(conn);
    let admin = token(
        &srv,
        CredentialKind::ApiToken,
        &[],
        &["SUPER_ADMIN"],
        Some(&alice),
    );
    Org {
        srv,
        admin,
        alice,
        bob,
    }
}

pub fn org() -> Org {
    org_with(config())
}

impl Org {
    /// The admin token as an Authorization header value.
    pub fn ssws(&self) -> String {
        format!("SSWS {}", self.admin)
    }

    /// Snapshot settings for this org's wire bodies: every `href` checked to be on this
    /// server (written `[base]…`), every `errorId` checked for Okta's `oae` + 22 shape.
    pub fn snapshots(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        settings.add_redaction(".**.href", snapshot::base_url(&self.srv.base_url));
        settings.add_redaction(".**.errorId", snapshot::prefixed_id("errorId", "oae", 25));
        settings
    }
}

/// An Okta credential (token prefix `00`) of `kind` for `user`; returns the token.
pub fn token(
    srv: &TestServer<Okta>,
    kind: CredentialKind,
    scopes: &[&str],
    roles: &[&str],
    user: Option<&User>,
) -> String {
    let mut new = credential(kind).scopes(scopes).roles(roles).prefix("00");
    if let Some(u) = user {
        new = new.user(&u.id);
    }
    new.issue(&mut srv.conn(), srv.tenant())
}

pub fn uuid_like() -> String {
    grant_core::service::ids::random_alnum(12)
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn add_grant(
    o: &Org,
    user: &User,
    client: &str,
    scope: &str,
    id: &str,
    created: &str,
) -> Grant {
    let mut g = NewGrant::new(&user.id, client);
    g.id = Some(id.into());
    g.issuer = "https://org.test/oauth2/ausain6z9zIedDCxB0h7".into();
    g.scopes = ScopeSet::from_names([scope]);
    g.created_at = Some(at(created));
    g.grant_type = GrantType::Consent;
    grants::issue_grant(&mut o.srv.conn(), o.srv.tenant(), g, "test").unwrap()
}

/// A grant as the other faces make it: several scopes under one stored grant.
pub fn add_multi_scope_grant(
    o: &Org,
    user: &User,
    id: &str,
    scopes: &[&str],
    created: &str,
) -> Grant {
    let mut g = NewGrant::new(&user.id, CLIENT);
    g.id = Some(id.into());
    g.issuer = "https://org.test/oauth2/ausain6z9zIedDCxB0h7".into();
    g.scopes = ScopeSet::from_names(scopes.iter().copied());
    g.created_at = Some(at(created));
    g.grant_type = GrantType::AuthorizationCode;
    grants::issue_grant(&mut o.srv.conn(), o.srv.tenant(), g, "test").unwrap()
}

/// The consent ids, in list order, after checking each has Okta's shape.
pub fn consent_ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let id = g["id"].as_str().unwrap().to_owned();
            assert!(
                id.starts_with("oag")
                    && id.len() == 20
                    && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{id}"
            );
            id
        })
        .collect()
}

pub async fn send(
    o: &Org,
    method: reqwest::Method,
    path: &str,
    auth: Option<&str>,
) -> (u16, HeaderMap, String) {
    let mut req = o.srv.client.request(method, o.srv.url(path));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

/// GET as the admin (SSWS).
pub async fn get(o: &Org, path: &str) -> (u16, HeaderMap, Value) {
    let (s, h, body) = send(o, reqwest::Method::GET, path, Some(&o.ssws())).await;
    (s, h, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// DELETE as the admin (SSWS).
pub async fn delete(o: &Org, path: &str) -> (u16, HeaderMap, String) {
    send(o, reqwest::Method::DELETE, path, Some(&o.ssws())).await
}

/// A request with `Authorization: Bearer <tok>`.
pub async fn as_bearer(o: &Org, method: reqwest::Method, path: &str, tok: &str) -> (u16, Value) {
    let (s, _, body) = send(o, method, path, Some(&format!("Bearer {tok}"))).await;
    (s, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A user with these admin roles (held on the user, as Okta assigns admin roles to users).
pub fn user_with_roles(o: &Org, login: &str, okta_id: &str, roles: &[&str]) -> User {
    let new = NewUser {
        login: login.into(),
        aliases: [(AliasVendor::Okta, okta_id.to_owned())].into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        ..NewUser::default()
    };
    directory::create_user(&mut o.srv.conn(), o.srv.tenant(), new, "test").unwrap()
}

/// Asserts an Okta error body exactly (errorId checked for shape, then masked).
pub fn assert_error(body: &Value, code: &str, summary: &str, causes: Value) {
    let id = body["errorId"].as_str().unwrap_or_default();
    assert!(
        id.starts_with("oae") && id.len() == 25 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "errorId {id}"
    );
    let mut masked = body.clone();
    masked["errorId"] = json!("<errorId>");
    assert_eq!(
        masked,
        json!({"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "<errorId>", "errorCauses": causes})
    );
}

pub fn assert_forbidden(s: u16, body: &Value) {
    assert_eq!(s, 403);
    assert_error(
        body,
        "E0000006",
        "You do not have permission to perform the requested action",
        json!([]),
    );
}

pub fn assert_okta_headers(h: &HeaderMap, json_body: bool) {
    let rid = h["x-okta-request-id"].to_str().unwrap();
    assert!(rid.starts_with("req") && rid.len() == 26, "{rid}");
    assert!(h.contains_key("date"));
    for name in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    ] {
        assert!(h[name].to_str().unwrap().parse::<i64>().is_ok(), "{name}");
    }
    if json_body {
        assert_eq!(h["content-type"], "application/json");
    } else {
        assert!(!h.contains_key("content-type"));
    }
}

pub fn links(h: &HeaderMap) -> Vec<String> {
    h.get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

pub fn tempfile_path() -> String {
    std::env::temp_dir()
        .join(format!("okta-import-{}.json", uuid_like()))
        .display()
        .to_string()
}
