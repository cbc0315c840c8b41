//! The suite's fixtures: two tenants on a running gateway with client-credential clients
//! (admin, member, viewer; another tenant's admin), users, authorization-code clients and
//! persisted grants; tokens from the token endpoint (client credentials) or made directly;
//! requests and the OCS error-shape assertions.

use chrono::{Duration, Utc};
use grant_core::model::TenantId;
use grant_core::model::*;
use grant_core::service::{clients, directory, grants};
use grant_core::testing::fixture::credential;
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use ocs_compat::json::{TENANT_ADMINISTRATOR, TENANT_MEMBER, TENANT_VIEWER};
use ocs_compat::{Ocs, OcsConfig};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const T: &str = "5d1a0e1c-0000-4000-8000-00000000000a";
pub const U: &str = "5d1a0e1c-0000-4000-8000-00000000000b";
pub const ADMIN_CLIENT: &str = "6b9d6c5e-1111-4111-8111-000000000001";
pub const MEMBER_CLIENT: &str = "6b9d6c5e-1111-4111-8111-000000000002";
pub const VIEWER_CLIENT: &str = "6b9d6c5e-1111-4111-8111-000000000003";
pub const OTHER_ADMIN: &str = "6b9d6c5e-1111-4111-8111-00000000000b";
pub const SECRET: &str = "s3cret-For-Tests";
pub const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
pub const BOB: &str = "b0b00000-0000-4000-8000-000000000002";
pub const CAROL_U: &str = "ca201000-0000-4000-8000-000000000003";
pub const SPA1: &str = "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e51";
pub const SPA2: &str = "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e52";
pub const SPA3: &str = "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e53";

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    /// An OCS ErrorResponse: exact fields, OperationId equal to the Operation-Id header.
    pub fn assert_error(&self, status: u16, error: &str, reason: &str, resolution: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let op = self.header("operation-id").unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&op).is_ok(), "{op}");
        assert_eq!(
            self.json(),
            json!({"OperationId": op, "Error": error, "Reason": reason, "Resolution": resolution})
        );
    }
    pub fn assert_empty(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.text, "");
        assert!(self.header("operation-id").is_some());
    }
}

pub struct Env {
    pub srv: TestServer<Ocs>,
    pub admin: String,
    pub member: String,
    pub viewer: String,
    pub other_admin: String,
}

pub fn start(cfg: GatewayConfig<OcsConfig>) -> TestServer<Ocs> {
    TestServer::<Ocs>::start(cfg)
}

pub fn cc_client(srv: &TestServer<Ocs>, tenant: &str, id: &str, roles: &[&str], lifetime: i32) {
    let mut conn = srv.conn();
    let new = NewClient {
        id: Some(id.into()),
        kind: Some(ClientKind::ClientCredentials),
        name: Some(format!("cc {id}")),
        access_token_lifetime: Some(lifetime),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        ..NewClient::default()
    };
    clients::create_client(&mut conn, TenantId::new(tenant), new, "test").unwrap();
    drop(conn);
    client_secret(srv, tenant, id);
}

/// The client's first secret, `SECRET`, named as the gateway names secrets.
pub fn client_secret(srv: &TestServer<Ocs>, tenant: &str, client: &str) {
    credential(CredentialKind::ClientSecret)
        .name(&format!("{client}/1/test"))
        .client(client)
        .issue_secret(&mut srv.conn(), tenant, SECRET);
}

pub fn user(srv: &TestServer<Ocs>, tenant: &str, id: &str, login: &str, roles: &[&str]) {
    let new = NewUser {
        id: Some(id.into()),
        login: login.into(),
        display_name: Some(format!("{login} Example")),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        ..NewUser::default()
    };
    directory::create_user(&mut srv.conn(), TenantId::new(tenant), new, "test").unwrap();
}

pub fn acc(srv: &TestServer<Ocs>, tenant: &str, id: &str, tags: &[&str], offset: i64) {
    let new = NewClient {
        id: Some(id.into()),
        kind: Some(ClientKind::AuthorizationCode),
        name: Some(format!("spa {}", &id[id.len() - 1..])),
        redirect_uris: vec![format!("https://spa.test/{id}/cb")],
        tags: tags.iter().map(|s| s.to_string()).collect(),
        created_at: Some(Utc::now() + Duration::seconds(offset)),
        ..NewClient::default()
    };
    clients::create_client(&mut srv.conn(), TenantId::new(tenant), new, "test").unwrap();
}

pub fn grant(srv: &TestServer<Ocs>, tenant: &str, user: &str, client: &str, kind: GrantType) {
    let mut g = NewGrant::new(user, client);
    g.grant_type = kind;
    g.scopes = ScopeSet::from_names(["openid", "ocsapi"]);
    grants::issue_grant(&mut srv.conn(), TenantId::new(tenant), g, "test").unwrap();
}

/// A bearer token made directly (user tokens come from flows this gateway does not run).
pub fn direct_token(
    srv: &TestServer<Ocs>,
    tenant: &str,
    user: Option<&str>,
    roles: &[&str],
    expires_at: Option<chrono::DateTime<Utc>>,
) -> String {
    let mut new = credential(CredentialKind::BearerToken)
        .scopes(&["ocsapi"])
        .roles(roles);
    if let Some(u) = user {
        new = new.user(u);
    }
    if let Some(at) = expires_at {
        new = new.expires_at(at);
    }
    new.issue(&mut srv.conn(), tenant)
}

pub async fn env_with(cfg: GatewayConfig<OcsConfig>) -> Env {
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

pub async fn env() -> Env {
    env_with(GatewayConfig::default()).await
}

impl Env {
    pub async fn token_request(&self, form: &[(&str, &str)]) -> Resp {
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

    pub async fn token(&self, client: &str) -> String {
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

    pub async fn call(
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

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }
}

pub async fn to_resp(res: reqwest::Response) -> Resp {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Resp {
        status,
        headers,
        text: res.text().await.unwrap(),
    }
}

pub fn pg(user: &str) -> String {
    format!("/api/v1/Tenants/{T}/Users/{user}/PersistedGrants")
}

pub fn accs(suffix: &str) -> String {
    format!("/api/v1/Tenants/{T}/AuthorizationCodeClients{suffix}")
}

pub fn spa_json(id: &str, name: &str, tags: &[&str]) -> Value {
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

// ---------------------------------------------------------------- AuthorizationCodeClients

pub async fn clients_env() -> Env {
    let e = env().await;
    acc(&e.srv, T, SPA1, &["a"], 1);
    acc(&e.srv, T, SPA2, &["b"], 2);
    acc(&e.srv, T, SPA3, &["a", "c"], 3);
    acc(&e.srv, U, "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59", &["a"], 4);
    e
}
