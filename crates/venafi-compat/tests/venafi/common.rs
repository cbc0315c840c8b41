//! The suite's fixtures: a TPP on a running gateway (HTTPS by default) with four identities
//! (alice, bob, an Admin, an Auditor) holding password credentials and two API
//! integrations; bearer tokens from a real login (`/vedauth/authorize/oauth`); requests,
//! the seed's GetGrants sample and the TPP error assertions.

use grant_core::model::*;
use grant_core::service::import::import_grants;
use grant_core::service::{clients, directory};
use grant_core::testing::fixture::credential;
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use venafi_compat::{Venafi, VenafiConfig};

pub const ALICE: &str = "local:{5a32c46e-e7d8-404d-9987-2e68c0928219}";

pub const BOB: &str = "local:{0b0b0b0b-1111-4222-8333-944444444444}";

pub const ADMIN: &str = "local:{ad000000-0000-4000-8000-000000000001}";

pub const AUDITOR: &str = "local:{a0d17000-0000-4000-8000-000000000002}";

pub const APP: &str = "my-app";

pub const OTHER_APP: &str = "other-app";

pub const PASSWORD: &str = "Passw0rd!";

/// The seed's GetGrants response, compact (serde's default `/` escaping).
pub const SEED_SAMPLE: &str = r#"{"Grants":[{"AccessIssuedOn":"/Date(1668623132853)/","AccessIssuedOnISO8601":"2022-11-16T18:25:32Z","AccessIssuedOnUnixTime":1668623133,"Application":"VenafiMMCCodeSigning","Expires":"/Date(1697394332853)/","ExpiresISO8601":"2023-10-15T18:25:32Z","ExpiresUnixTime":1697394333,"GrantIssuedOn":"/Date(1668623132853)/","GrantIssuedOnISO8601":"2022-11-16T18:25:32Z","GrantIssuedOnUnixTime":1668623133,"GranteePrefixedUniversal":"local:{5a32c46e-e7d8-404d-9987-2e68c0928219}","Scope":{"ScopeList":[{"RestrictionList":["admin","approve","delete","manage"],"Scope":"codesign"},{"RestrictionList":["delete","manage"],"Scope":"configuration"},{"RestrictionList":["manage"],"Scope":"security"}]},"ValidFor":7776000}],"Result":0,"Success":true}"#;

pub struct Tpp {
    pub srv: TestServer<Venafi>,
}

pub fn config() -> GatewayConfig<VenafiConfig> {
    GatewayConfig::default()
}

pub fn tpp_with(cfg: GatewayConfig<VenafiConfig>, tls: bool) -> Tpp {
    let srv = if tls {
        TestServer::<Venafi>::start_tls(cfg)
    } else {
        TestServer::<Venafi>::start(cfg)
    };
    let t = srv.tenant().to_buf();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.to_string()), "tpp").unwrap();
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
        credential(CredentialKind::Password)
            .name(login)
            .user(&user.id)
            .issue_secret(&mut conn, &t, PASSWORD);
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

pub fn tpp() -> Tpp {
    tpp_with(config(), true)
}

pub async fn send(res: reqwest::RequestBuilder) -> (u16, HeaderMap, String) {
    let res = res.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

impl Tpp {
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, HeaderMap, String) {
        let mut req = self.srv.client.post(self.srv.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        send(req).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, HeaderMap, String) {
        let mut req = self.srv.client.get(self.srv.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        send(req).await
    }

    pub async fn login(&self, user: &str, client: &str, scope: &str) -> Value {
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

    pub async fn token(&self, user: &str, scope: &str) -> String {
        self.login(user, APP, scope).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn import_sample(&self, text: &str) {
        let items = venafi_compat::import::parse_file(text).unwrap().grants;
        import_grants(&mut self.srv.conn(), self.srv.tenant(), items, "test").unwrap();
    }
}

pub fn assert_json_headers(h: &HeaderMap) {
    assert_eq!(h["content-type"], "application/json; charset=utf-8");
}

pub fn assert_error(status: u16, body: &str, want_status: u16, error: &str, description: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(
        body,
        serde_json::to_string(&json!({"error": error, "error_description": description})).unwrap()
    );
}

/// The seed's sample with its grant expiry moved into the future (a grant past its expiry
/// is not shown), same milliseconds so the triple arithmetic is the same.
pub fn sample_with_future_expiry() -> String {
    SEED_SAMPLE
        .replace("/Date(1697394332853)/", "/Date(4102444812853)/")
        .replace("2023-10-15T18:25:32Z", "2100-01-01T00:00:12Z")
        .replace("1697394333", "4102444813")
}

pub async fn grants_of(o: &Tpp, token: &str, who: &str) -> Value {
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
