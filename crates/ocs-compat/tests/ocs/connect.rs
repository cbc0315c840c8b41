//! IdentityServer's protocol endpoints on the wire: sign-in and consent, codes and tokens
//! with IdentityServer's errors, one-time refresh tokens, every code and refresh token a
//! persisted grant that PersistedGrants lists, counts and removes — after which refresh is
//! refused — and the client's own settings taking effect.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use grant_core::model::*;
use grant_core::service::clients;
use grant_core::testing::fixture::credential;
use grant_http::GatewayConfig;
use ocs_compat::OcsConfig;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::common::*;
use grant_core::model::{ClientId, TenantId};

const PASSWORD: &str = "Sign-in-Pa55!";
const HYBRID: &str = "4a1b2c3d-0000-4000-8000-0000000000c1";
const PUBLIC: &str = "4a1b2c3d-0000-4000-8000-0000000000c2";
const CB: &str = "http://app.example/signin-oidc";
const VERIFIER: &str = "verifier-0123456789-0123456789-0123456789-0123456789";

struct Flow {
    e: Env,
    http: reqwest::Client,
}

async fn flow() -> Flow {
    let mut cfg = GatewayConfig::<OcsConfig>::default();
    cfg.vendor.persisted_grant_types = vec!["authorization_code".into(), "refresh_token".into()];
    let e = env_with(cfg).await;
    let mut conn = e.srv.conn();
    credential(CredentialKind::Password)
        .name("alice@example.test")
        .user(ALICE)
        .faces(&["ocs"])
        .issue_secret(&mut conn, T, PASSWORD);
    for (id, kind, method, offline) in [
        (
            HYBRID,
            ClientKind::Hybrid,
            TokenAuthMethod::ClientSecretBasic,
            false,
        ),
        (
            PUBLIC,
            ClientKind::AuthorizationCode,
            TokenAuthMethod::None,
            false,
        ),
    ] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(format!("{kind:?} app")),
            kind: Some(kind),
            redirect_uris: vec![CB.into()],
            post_logout_redirect_uris: vec!["http://app.example/bye".into()],
            allowed_cors_origins: vec!["http://app.example".into()],
            token_endpoint_auth_method: Some(method),
            consent_required: Some(true),
            allow_offline_access: Some(offline),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, TenantId::new(T), new, "test").unwrap();
    }
    credential(CredentialKind::ClientSecret)
        .name(&format!("{HYBRID}/1/test"))
        .client(HYBRID)
        .faces(&["ocs"])
        .issue_secret(&mut conn, T, SECRET);
    drop(conn);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Flow { e, http }
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

fn authorize_path(client: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let challenge = B64.encode(sha2::Sha256::digest(VERIFIER.as_bytes()));
    let acr = format!("tenant:{T}");
    let mut pairs = vec![
        ("client_id", client),
        ("response_type", "code"),
        ("redirect_uri", CB),
        ("scope", scope),
        ("state", "st"),
        ("nonce", "nn"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("acr_values", acr.as_str()),
    ];
    pairs.extend_from_slice(extra);
    format!("/identity/connect/authorize?{}", query(&pairs))
}

fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].replace("&amp;", "&")
}

fn cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie").iter().find_map(|v| {
        let pair = v.to_str().unwrap().split(';').next().unwrap();
        pair.strip_prefix(&format!("{name}="))
            .map(|val| format!("{name}={val}"))
    })
}

fn location_params(h: &HeaderMap) -> Vec<(String, String)> {
    let loc = h["location"].to_str().unwrap();
    serde_urlencoded::from_str(loc.split_once('?').map(|(_, q)| q).unwrap_or("")).unwrap()
}

fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl Flow {
    async fn get(&self, path: &str, cookies: &str) -> (u16, HeaderMap, String) {
        let mut req = self.http.get(self.e.srv.url(path));
        if !cookies.is_empty() {
            req = req.header("cookie", cookies);
        }
        let res = req.send().await.unwrap();
        (
            res.status().as_u16(),
            res.headers().clone(),
            res.text().await.unwrap(),
        )
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<&str>,
        cookies: &str,
    ) -> (u16, HeaderMap, String) {
        let mut req = self
            .http
            .post(self.e.srv.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query(form));
        if let Some(client) = basic {
            req = req.basic_auth(client, Some(SECRET));
        }
        if !cookies.is_empty() {
            req = req.header("cookie", cookies);
        }
        let res = req.send().await.unwrap();
        (
            res.status().as_u16(),
            res.headers().clone(),
            res.text().await.unwrap(),
        )
    }

    /// A signed-in browser: the `idsrv.session` and CSRF cookies.
    async fn session(&self, password: &str) -> Option<String> {
        let auth = authorize_path(HYBRID, "openid", &[]);
        let (s, h, _) = self.get(&auth, "").await;
        assert_eq!(s, 302);
        let login = h["location"].to_str().unwrap().to_owned();
        assert_eq!(
            login,
            format!("/identity/account/login?{}", query(&[("returnUrl", &auth)]))
        );
        let (s, h, page) = self.get(&login, "").await;
        assert_eq!(s, 200);
        for id in ["email", "password", "submit"] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        let csrf = cookie(&h, "idsrv.csrf").unwrap();
        let (s, h, page) = self
            .post(
                "/identity/account/login",
                &[
                    ("returnUrl", &field(&page, "returnUrl")),
                    ("csrf_token", &field(&page, "csrf_token")),
                    ("email", "alice@example.test"),
                    ("password", password),
                ],
                None,
                &csrf,
            )
            .await;
        if s == 200 {
            assert!(page.contains("Invalid username or password"));
            return None;
        }
        assert_eq!((s, h["location"].to_str().unwrap()), (302, auth.as_str()));
        Some(format!("{}; {csrf}", cookie(&h, "idsrv.session").unwrap()))
    }

    async fn code(&self, client: &str, scope: &str, cookies: &str) -> String {
        let (s, h, page) = self.get(&authorize_path(client, scope, &[]), cookies).await;
        let p = if s == 200 {
            let (s, h, _) = self
                .post(
                    "/identity/consent",
                    &[
                        ("request", &field(&page, "request")),
                        ("csrf_token", &field(&page, "csrf_token")),
                        ("decision", "allow"),
                    ],
                    None,
                    cookies,
                )
                .await;
            assert_eq!(s, 302);
            location_params(&h)
        } else {
            assert_eq!(s, 302, "{page}");
            location_params(&h)
        };
        assert_eq!(param(&p, "state"), Some("st"));
        assert!(param(&p, "session_state").is_some());
        param(&p, "code").unwrap().to_owned()
    }

    async fn exchange(&self, code: &str) -> (u16, HeaderMap, String) {
        self.post(
            "/identity/connect/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some(HYBRID),
            "",
        )
        .await
    }

    async fn refresh(&self, token: &str) -> (u16, String) {
        let (s, _, body) = self
            .post(
                "/identity/connect/token",
                &[("grant_type", "refresh_token"), ("refresh_token", token)],
                Some(HYBRID),
                "",
            )
            .await;
        (s, body)
    }
}

#[tokio::test]
async fn sign_in_consent_and_tokens_as_identityserver_issues_them() {
    let f = flow().await;
    assert!(f.session("wrong").await.is_none());
    let session = f.session(PASSWORD).await.unwrap();
    let (s, _, page) = f
        .get(
            &authorize_path(HYBRID, "openid ocsapi offline_access", &[]),
            &session,
        )
        .await;
    assert_eq!(s, 200);
    for scope in ["ocsapi", "offline_access"] {
        assert!(page.contains(&format!("data-scope=\"{scope}\"")), "{scope}");
    }
    let code = f
        .code(HYBRID, "openid ocsapi offline_access", &session)
        .await;
    let (s, h, body) = f.exchange(&code).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(h["cache-control"], "no-store, no-cache, max-age=0");
    assert_eq!(h["content-type"], "application/json; charset=UTF-8");
    let t: Value = serde_json::from_str(&body).unwrap();
    let header: Value = serde_json::from_slice(
        &B64.decode(
            t["access_token"]
                .as_str()
                .unwrap()
                .split('.')
                .next()
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "at+jwt");
    // IdentityServer's member order, on the wire.
    let order: Vec<usize> = [
        "id_token",
        "access_token",
        "expires_in",
        "token_type",
        "refresh_token",
        "scope",
    ]
    .iter()
    .map(|k| body.find(&format!("\"{k}\":")).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{body}");
    assert_eq!(t["scope"], "openid ocsapi offline_access");
    let id: Value = serde_json::from_slice(
        &B64.decode(t["id_token"].as_str().unwrap().split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let authority = format!("{}/identity", f.e.srv.base_url);
    assert_eq!(
        (
            id["iss"].clone(),
            id["aud"].clone(),
            id["sub"].clone(),
            id["nonce"].clone(),
            id["tid"].clone()
        ),
        (
            json!(authority),
            json!(HYBRID),
            json!(ALICE),
            json!("nn"),
            json!(T)
        )
    );
    // A second use of the code: IdentityServer's bare invalid_grant.
    let (s, _, body) = f.exchange(&code).await;
    assert_eq!((s, body.as_str()), (400, r#"{"error":"invalid_grant"}"#));
    // One-time refresh tokens.
    let code = f
        .code(HYBRID, "openid ocsapi offline_access", &session)
        .await;
    let (_, _, body) = f.exchange(&code).await;
    let t: Value = serde_json::from_str(&body).unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let (s, body) = f.refresh(rt).await;
    assert_eq!(s, 200, "{body}");
    let rt2 = serde_json::from_str::<Value>(&body).unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rt, rt2);
    assert_eq!(
        f.refresh(rt).await,
        (400, r#"{"error":"invalid_grant"}"#.to_owned())
    );
    // The replay is refused and nothing else: the newest refresh token still works
    // (IdentityServer's one-time refresh tokens, no reuse revocation).
    assert_eq!(f.refresh(&rt2).await.0, 200);
    // userinfo with the access token of a live family (the replay above revoked its own).
    let code = f.code(HYBRID, "openid ocsapi", &session).await;
    let (_, _, body) = f.exchange(&code).await;
    let at = serde_json::from_str::<Value>(&body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = f
        .http
        .get(f.e.srv.url("/identity/connect/userinfo"))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(
        (
            info["sub"].clone(),
            info["tid"].clone(),
            info["email"].clone()
        ),
        (json!(ALICE), json!(T), json!("alice@example.test"))
    );
    let res = f
        .http
        .get(f.e.srv.url("/identity/connect/userinfo"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"IdentityServer\", error=\"invalid_token\""
    );
    // The JWKS now publishes the key.
    let (_, _, body) = f
        .get("/identity/.well-known/openid-configuration/jwks", "")
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["keys"][0]["alg"],
        "RS256"
    );
}

#[tokio::test]
async fn persisted_grants_list_the_client_and_delete_stops_refresh() {
    let f = flow().await;
    let session = f.session(PASSWORD).await.unwrap();
    let code = f
        .code(HYBRID, "openid ocsapi offline_access", &session)
        .await;
    // The code itself is a persisted grant until it is redeemed.
    let r = f.e.get(&pg(ALICE), &f.e.admin).await;
    assert_eq!((r.status, r.json()), (200, json!([HYBRID])));
    let (_, _, body) = f.exchange(&code).await;
    let t: Value = serde_json::from_str(&body).unwrap();
    let (at, rt) = (
        t["access_token"].as_str().unwrap().to_owned(),
        t["refresh_token"].as_str().unwrap().to_owned(),
    );
    // Now the refresh token is.
    let r = f.e.get(&pg(ALICE), &f.e.admin).await;
    assert_eq!((r.status, r.json()), (200, json!([HYBRID])));
    let head =
        f.e.call(reqwest::Method::HEAD, &pg(ALICE), Some(&f.e.admin), None)
            .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("total-count"), Some("1"));
    let r =
        f.e.call(reqwest::Method::DELETE, &pg(ALICE), Some(&f.e.admin), None)
            .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        f.refresh(&rt).await,
        (400, r#"{"error":"invalid_grant"}"#.to_owned())
    );
    let (s, _, body) = f
        .post(
            "/identity/connect/introspect",
            &[("token", &at)],
            Some(HYBRID),
            "",
        )
        .await;
    assert_eq!((s, body.as_str()), (200, r#"{"active":false}"#));
    let head =
        f.e.call(reqwest::Method::HEAD, &pg(ALICE), Some(&f.e.admin), None)
            .await;
    assert_eq!(head.header("total-count"), Some("0"));
}

#[tokio::test]
async fn client_settings_and_identityserver_error_delivery() {
    let f = flow().await;
    let session = f.session(PASSWORD).await.unwrap();
    // Errors other than login/consent/access_denied are an error page, never a redirect.
    for path in [
        authorize_path("4a1b2c3d-0000-4000-8000-0000000000ff", "openid", &[]),
        authorize_path(HYBRID, "openid", &[]).replace("app.example", "evil.example"),
        authorize_path(HYBRID, "openid", &[]).replace("S256", "plain"),
        authorize_path(PUBLIC, "openid offline_access", &[]),
        authorize_path(HYBRID, "openid", &[]).replace(T, U),
    ] {
        let (s, h, _) = f.get(&path, &session).await;
        assert_eq!(s, 400, "{path}");
        assert!(h.get("location").is_none(), "{path}");
    }
    // prompt=none without a session: login_required back to the client.
    let (s, h, _) = f
        .get(&authorize_path(HYBRID, "openid", &[("prompt", "none")]), "")
        .await;
    assert_eq!(s, 302);
    assert_eq!(param(&location_params(&h), "error"), Some("login_required"));
    // Consent declined: access_denied.
    let (_, _, page) = f
        .get(&authorize_path(HYBRID, "openid ocsapi", &[]), &session)
        .await;
    let (s, h, _) = f
        .post(
            "/identity/consent",
            &[
                ("request", &field(&page, "request")),
                ("csrf_token", &field(&page, "csrf_token")),
                ("decision", "deny"),
            ],
            None,
            &session,
        )
        .await;
    assert_eq!(s, 302);
    assert_eq!(param(&location_params(&h), "error"), Some("access_denied"));
    // Bad client authentication at the token endpoint: 400 invalid_client (never 401).
    let (s, _, body) = f
        .post(
            "/identity/connect/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("redirect_uri", CB),
                ("client_id", HYBRID),
                ("client_secret", "wrong"),
            ],
            None,
            "",
        )
        .await;
    assert_eq!((s, body.as_str()), (400, r#"{"error":"invalid_client"}"#));
    // A public client redeems with its id and the verifier; CORS for its origin.
    let code = f.code(PUBLIC, "openid ocsapi", &session).await;
    let res = f
        .http
        .post(f.e.srv.url("/identity/connect/token"))
        .header("origin", "http://app.example")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", PUBLIC),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    let body: Value = res.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    // Disabling the client stops its refresh tokens.
    let code = f.code(HYBRID, "openid offline_access", &session).await;
    let (_, _, body) = f.exchange(&code).await;
    let rt = serde_json::from_str::<Value>(&body).unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let patch = ClientPatch {
        enabled: Some(false),
        ..ClientPatch::default()
    };
    clients::update_client(
        &mut f.e.srv.conn(),
        TenantId::new(T),
        ClientId::new(HYBRID),
        patch,
        "test",
    )
    .unwrap();
    assert_eq!(
        f.refresh(&rt).await,
        (400, r#"{"error":"invalid_client"}"#.to_owned())
    );
    // endsession returns to a registered post-logout URI with the state.
    let (s, h, _) = f.get("/identity/connect/endsession?post_logout_redirect_uri=http%3A%2F%2Fapp.example%2Fbye&state=x", &session).await;
    assert_eq!(s, 200, "{h:?}");
}

#[tokio::test]
async fn passwords_of_another_face_or_tenant_do_not_sign_in() {
    let f = flow().await;
    // bob (tenant T) has a password made for Okta only; carol's is for OCS but she is a
    // user of tenant U, and the client being authorized is T's.
    credential(CredentialKind::Password)
        .name("bob@example.test")
        .user(BOB)
        .faces(&["okta"])
        .issue_secret(&mut f.e.srv.conn(), T, PASSWORD);
    credential(CredentialKind::Password)
        .name("carol@example.test")
        .user(CAROL_U)
        .faces(&["ocs"])
        .issue_secret(&mut f.e.srv.conn(), U, PASSWORD);
    let auth = authorize_path(HYBRID, "openid", &[]);
    let login = format!("/identity/account/login?{}", query(&[("returnUrl", &auth)]));
    for email in ["bob@example.test", "carol@example.test"] {
        let (_, h, page) = f.get(&login, "").await;
        let csrf = cookie(&h, "idsrv.csrf").unwrap();
        let (s, h, page) = f
            .post(
                "/identity/account/login",
                &[
                    ("returnUrl", &field(&page, "returnUrl")),
                    ("csrf_token", &field(&page, "csrf_token")),
                    ("email", email),
                    ("password", PASSWORD),
                ],
                None,
                &csrf,
            )
            .await;
        assert_eq!(s, 200, "{email}");
        assert!(page.contains("Invalid username or password"), "{email}");
        assert!(cookie(&h, "idsrv.session").is_none(), "{email}");
    }
    // A client-credentials client's secret does not redeem another client's refresh token,
    // and another tenant's admin token sees nothing of T's persisted grants.
    let session = f.session(PASSWORD).await.unwrap();
    let code = f.code(HYBRID, "openid offline_access", &session).await;
    let (_, _, body) = f.exchange(&code).await;
    let rt = serde_json::from_str::<Value>(&body).unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = f
        .http
        .post(f.e.srv.url("/identity/connect/token"))
        .basic_auth(ADMIN_CLIENT, Some(SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let (s, body) = (res.status().as_u16(), res.text().await.unwrap());
    assert_eq!((s, body.as_str()), (400, r#"{"error":"invalid_grant"}"#));
    let r = f.e.get(&pg(ALICE), &f.e.other_admin).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(f.refresh(&rt).await.0, 200);
}
