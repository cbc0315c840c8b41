//! Okta's authorization servers on the wire: discovery and keys, `/api/v1/authn`,
//! `/authorize` (sign-in page, session token, consent page, every refusal), `/token`
//! (code + PKCE, refresh with rotation, every refusal), introspection, revocation,
//! userinfo, logout, CORS — and the loop that matters: consent makes User Grants, and
//! revoking them through the User Grants API stops the tokens issued under them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use grant_core::model::*;
use grant_core::service::{clients, signing};
use grant_core::testing::fixture::credential;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::common::*;
use grant_core::model::ClientId;

const PASSWORD: &str = "Sign-in-Pa55!";
const WEB: &str = "0oaWebApp00000000001";
const WEB_SECRET: &str = "web-secret-0123456789-abcdefghij";
const SPA: &str = "0oaSpaApp00000000001";
const TRUSTED: &str = "0oaTrustedApp0000001";
const CB: &str = "http://app.example/cb";
const APP_ORIGIN: &str = "http://app.example";
const VERIFIER: &str = "verifier-0123456789-0123456789-0123456789-0123456789";

struct Authz {
    o: Org,
    http: reqwest::Client,
}

fn challenge(verifier: &str) -> String {
    B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// An org with alice's sign-in password and three apps: a confidential web app and a
/// public SPA that require consent, and a trusted app that does not.
fn authz() -> Authz {
    authz_with(unlimited())
}

fn authz_with(cfg: grant_http::GatewayConfig<okta_compat::OktaConfig>) -> Authz {
    let o = org_with(cfg);
    let t = o.srv.tenant().to_buf();
    let mut conn = o.srv.conn();
    credential(CredentialKind::Password)
        .name("alice")
        .user(&o.alice.id)
        .faces(&["okta"])
        .issue_secret(&mut conn, &t, PASSWORD);
    for (id, method, consent) in [
        (WEB, TokenAuthMethod::ClientSecretBasic, true),
        (SPA, TokenAuthMethod::None, true),
        (TRUSTED, TokenAuthMethod::ClientSecretPost, false),
    ] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(format!("{id} app")),
            redirect_uris: vec![CB.into()],
            post_logout_redirect_uris: vec![format!("{APP_ORIGIN}/")],
            allowed_cors_origins: if id == SPA {
                vec![APP_ORIGIN.into()]
            } else {
                vec![]
            },
            token_endpoint_auth_method: Some(method),
            consent_required: Some(consent),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, &t, new, "test").unwrap();
        if method != TokenAuthMethod::None {
            credential(CredentialKind::ClientSecret)
                .name(id)
                .client(id)
                .faces(&["okta"])
                .issue_secret(&mut conn, &t, WEB_SECRET);
        }
    }
    drop(conn);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Authz { o, http }
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

fn authorize_path(server: &str, client: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let ch = challenge(VERIFIER);
    let mut pairs = vec![
        ("client_id", client),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", scope),
        ("state", "state-1"),
        ("nonce", "nonce-1"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    format!("{server}/v1/authorize?{}", query(&pairs))
}

/// The query parameters of a redirect's `Location`.
fn redirect_params(h: &HeaderMap) -> Vec<(String, String)> {
    let loc = h["location"].to_str().unwrap();
    let (_, q) = loc.split_once('?').unwrap_or((loc, ""));
    serde_urlencoded::from_str(q).unwrap()
}

fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn cookie_of(h: &HeaderMap, name: &str) -> Option<(String, String)> {
    h.get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().unwrap();
        let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
        let (k, val) = pair.split_once('=')?;
        (k == name).then(|| (val.to_owned(), attrs.to_owned()))
    })
}

fn claims(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(part).unwrap()).unwrap()
}

fn header_of(jwt: &str) -> Value {
    serde_json::from_slice(&B64.decode(jwt.split('.').next().unwrap()).unwrap()).unwrap()
}

impl Authz {
    fn url(&self, path: &str) -> String {
        self.o.srv.url(path)
    }

    async fn get(&self, path: &str, cookies: &str) -> (u16, HeaderMap, String) {
        let mut req = self.http.get(self.url(path));
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

    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        cookies: &str,
    ) -> (u16, HeaderMap, String) {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query(form));
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
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

    async fn session_token(&self) -> String {
        let res = self
            .http
            .post(self.url("/api/v1/authn"))
            .json(&json!({"username": "alice", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["sessionToken"].as_str().unwrap().to_owned()
    }

    /// A browser session: the `sid` cookie from a redeemed session token.
    async fn session(&self) -> String {
        let st = self.session_token().await;
        let path = authorize_path(
            "/oauth2/default",
            TRUSTED,
            "openid",
            &[("sessionToken", &st)],
        );
        let (s, h, _) = self.get(&path, "").await;
        assert_eq!(s, 302);
        format!("sid={}", cookie_of(&h, "sid").unwrap().0)
    }

    /// Answers a consent page shown for `path`; returns the redirect's parameters.
    async fn consent(
        &self,
        page: &str,
        page_headers: &HeaderMap,
        session: &str,
        decision: &str,
    ) -> (u16, Vec<(String, String)>) {
        let field = |name: &str| -> String {
            let marker = format!("name=\"{name}\" value=\"");
            let start = page.find(&marker).unwrap() + marker.len();
            let end = start + page[start..].find('"').unwrap();
            page[start..end]
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
        };
        let action_start = page.find("action=\"").unwrap() + 8;
        let action = &page[action_start..action_start + page[action_start..].find('"').unwrap()];
        let csrf_cookie = cookie_of(page_headers, "okta_csrf")
            .map(|(v, _)| format!("; okta_csrf={v}"))
            .unwrap_or_default();
        let request = field("request");
        let csrf = field("csrf_token");
        let (s, h, _) = self
            .post_form(
                action,
                &[
                    ("request", &request),
                    ("csrf_token", &csrf),
                    ("decision", decision),
                ],
                None,
                &format!("{session}{csrf_cookie}"),
            )
            .await;
        (
            s,
            if s == 302 {
                redirect_params(&h)
            } else {
                Vec::new()
            },
        )
    }

    /// Signs alice in, consents when asked, and returns the code.
    async fn code(&self, server: &str, client: &str, scope: &str) -> String {
        let session = self.session().await;
        let (s, h, body) = self
            .get(&authorize_path(server, client, scope, &[]), &session)
            .await;
        let params = if s == 200 {
            let (s, p) = self.consent(&body, &h, &session, "allow").await;
            assert_eq!(s, 302);
            p
        } else {
            assert_eq!(s, 302, "{body}");
            redirect_params(&h)
        };
        assert_eq!(param(&params, "state"), Some("state-1"));
        param(&params, "code").unwrap().to_owned()
    }

    async fn exchange(
        &self,
        server: &str,
        client: &str,
        code: &str,
        verifier: &str,
    ) -> (u16, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", verifier),
            ("client_id", client),
        ];
        let basic = (client == WEB).then_some((WEB, WEB_SECRET));
        let form = if basic.is_some() {
            &form[..4]
        } else {
            &form[..]
        };
        let (s, h, body) = self
            .post_form(&format!("{server}/v1/token"), form, basic, "")
            .await;
        if s == 200 {
            assert_eq!(h["cache-control"], "no-store");
            assert_eq!(h["pragma"], "no-cache");
        }
        (s, serde_json::from_str(&body).unwrap())
    }

    async fn refresh(&self, server: &str, token: &str) -> (u16, Value) {
        let (s, _, body) = self
            .post_form(
                &format!("{server}/v1/token"),
                &[("grant_type", "refresh_token"), ("refresh_token", token)],
                Some((WEB, WEB_SECRET)),
                "",
            )
            .await;
        (s, serde_json::from_str(&body).unwrap())
    }

    async fn introspect(&self, server: &str, token: &str) -> Value {
        let (s, _, body) = self
            .post_form(
                &format!("{server}/v1/introspect"),
                &[("token", token)],
                Some((WEB, WEB_SECRET)),
                "",
            )
            .await;
        assert_eq!(s, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Code + PKCE → tokens for the web app on the default server.
    async fn tokens(&self, scope: &str) -> Value {
        let code = self.code("/oauth2/default", WEB, scope).await;
        let (s, body) = self.exchange("/oauth2/default", WEB, &code, VERIFIER).await;
        assert_eq!(s, 200, "{body}");
        body
    }
}

fn oauth_error(error: &str, description: &str) -> Value {
    json!({"error": error, "error_description": description})
}

#[tokio::test]
async fn discovery_documents_name_each_servers_issuer_and_endpoints() {
    let a = authz();
    let base = a.o.srv.base_url.clone();
    for (path, issuer, endpoints) in [
        (
            "/.well-known/openid-configuration",
            base.clone(),
            format!("{base}/oauth2/v1"),
        ),
        (
            "/.well-known/oauth-authorization-server",
            base.clone(),
            format!("{base}/oauth2/v1"),
        ),
        (
            "/oauth2/default/.well-known/openid-configuration",
            format!("{base}/oauth2/default"),
            format!("{base}/oauth2/default/v1"),
        ),
        (
            "/.well-known/oauth-authorization-server/oauth2/default",
            format!("{base}/oauth2/default"),
            format!("{base}/oauth2/default/v1"),
        ),
    ] {
        let (s, _, body) = a.get(path, "").await;
        assert_eq!(s, 200, "{path}");
        let d: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(d["issuer"], json!(issuer), "{path}");
        for (key, tail) in [
            ("authorization_endpoint", "authorize"),
            ("token_endpoint", "token"),
            ("jwks_uri", "keys"),
            ("introspection_endpoint", "introspect"),
            ("revocation_endpoint", "revoke"),
            ("userinfo_endpoint", "userinfo"),
            ("end_session_endpoint", "logout"),
        ] {
            assert_eq!(d[key], json!(format!("{endpoints}/{tail}")), "{path} {key}");
        }
        assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
        assert_eq!(
            d["response_modes_supported"],
            json!(["query", "fragment", "form_post", "okta_post_message"])
        );
    }
    let (s, _, body) = a
        .get(
            "/oauth2/ausNoSuchServer0001/.well-known/openid-configuration",
            "",
        )
        .await;
    assert_eq!(s, 404);
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000007",
        "Not found: Resource not found: ausNoSuchServer0001 (AuthorizationServer)",
        json!([]),
    );
}

#[tokio::test]
async fn keys_are_rs256_jwks_and_rotation_keeps_the_old_key_published() {
    let a = authz();
    let (s, h, body) = a.get("/oauth2/default/v1/keys", "").await;
    assert_eq!(s, 200);
    assert_eq!(h["cache-control"], "max-age=3600, must-revalidate");
    let keys: Value = serde_json::from_str(&body).unwrap();
    let first = keys["keys"][0].clone();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            first["kty"].clone(),
            first["alg"].clone(),
            first["use"].clone(),
            first["e"].clone()
        ),
        (json!("RSA"), json!("RS256"), json!("sig"), json!("AQAB"))
    );
    assert_eq!(first["kid"].as_str().unwrap().len(), 43);
    // Signed before the rotation, verified after it.
    let before = a.tokens("openid profile").await;
    assert_eq!(
        header_of(before["access_token"].as_str().unwrap())["kid"],
        first["kid"]
    );
    let rotated =
        signing::rotate_keys(&mut a.o.srv.conn(), a.o.srv.tenant(), "default", "test").unwrap();
    a.o.srv
        .state
        .vendor
        .signer
        .forget(a.o.srv.tenant(), "default");
    let (_, _, body) = a.get("/oauth2/default/v1/keys", "").await;
    let kids: Vec<Value> = serde_json::from_str::<Value>(&body).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(kids, vec![json!(rotated.kid), first["kid"].clone()]);
    assert_eq!(
        a.introspect("/oauth2/default", before["access_token"].as_str().unwrap())
            .await["active"],
        json!(true)
    );
    let after = a.tokens("openid profile").await;
    assert_eq!(
        header_of(after["access_token"].as_str().unwrap())["kid"],
        json!(rotated.kid)
    );
    // The org server has keys of its own.
    let (_, _, body) = a.get("/oauth2/v1/keys", "").await;
    let org_kid = serde_json::from_str::<Value>(&body).unwrap()["keys"][0]["kid"].clone();
    assert!(org_kid != first["kid"] && org_kid != json!(rotated.kid));
}

#[tokio::test]
async fn authn_answers_success_with_a_session_token_or_e0000004() {
    let a = authz();
    let res = a
        .http
        .post(a.url("/api/v1/authn"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body: Value = res.json().await.unwrap();
    let token = body["sessionToken"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43);
    assert!(body["expiresAt"].as_str().unwrap().ends_with('Z'));
    body["sessionToken"] = json!("<token>");
    body["expiresAt"] = json!("<time>");
    assert_eq!(
        body,
        json!({"expiresAt": "<time>", "status": "SUCCESS", "sessionToken": "<token>", "_embedded": {"user": {
            "id": ALICE, "passwordChanged": null,
            "profile": {"login": "alice", "firstName": "", "lastName": "", "locale": "en", "timeZone": "America/Los_Angeles"}}}})
    );
    for creds in [
        json!({"username": "alice", "password": "wrong"}),
        json!({"username": "nobody", "password": PASSWORD}),
    ] {
        let res = a
            .http
            .post(a.url("/api/v1/authn"))
            .json(&creds)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_error(
            &res.json().await.unwrap(),
            "E0000004",
            "Authentication failed",
            json!([]),
        );
    }
    // The token is single use.
    let path = authorize_path(
        "/oauth2/default",
        TRUSTED,
        "openid",
        &[("sessionToken", &token), ("prompt", "none")],
    );
    let (s, h, _) = a.get(&path, "").await;
    assert_eq!(s, 302);
    assert!(param(&redirect_params(&h), "code").is_some());
    let (s, h, _) = a.get(&path, "").await;
    assert_eq!(s, 302);
    assert_eq!(param(&redirect_params(&h), "error"), Some("login_required"));
}

#[tokio::test]
async fn authorize_refuses_on_a_page_or_by_redirect_as_okta_does() {
    let a = authz();
    // Never redirected: unknown client, unregistered redirect URI.
    let (s, _, body) = a
        .get(
            &authorize_path("/oauth2/default", "0oaNoSuchApp00000001", "openid", &[]),
            "",
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        body.contains("invalid_client")
            && body.contains("Invalid value for 'client_id' parameter."),
        "{body}"
    );
    let bad_redirect = format!(
        "/oauth2/default/v1/authorize?{}",
        query(&[
            ("client_id", WEB),
            ("redirect_uri", "http://evil.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "s")
        ])
    );
    let (s, h, body) = a.get(&bad_redirect, "").await;
    assert_eq!(s, 400);
    assert!(h.get("location").is_none());
    assert!(body.contains("must be a Login redirect URI"), "{body}");
    // Redirected with error, error_description and state.
    let session = a.session().await;
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!(
                "/oauth2/default/v1/authorize?{}",
                query(&[
                    ("client_id", WEB),
                    ("redirect_uri", CB),
                    ("response_type", "code"),
                    ("scope", "openid")
                ])
            ),
            "invalid_request",
            "The 'state' parameter is required.",
        ),
        (
            format!(
                "/oauth2/default/v1/authorize?{}",
                query(&[
                    ("client_id", SPA),
                    ("redirect_uri", CB),
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("state", "state-1")
                ])
            ),
            "invalid_request",
            "PKCE code challenge is required by the application.",
        ),
        (
            authorize_path("/oauth2/default", WEB, "openid", &[]).replace("S256", "plain"),
            "invalid_request",
            "PKCE code challenge method is not supported. Valid values: [S256]",
        ),
        (
            authorize_path("/oauth2/default", WEB, "openid", &[])
                .replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
            "The response type 'token' is not supported by the authorization server. Configured response types: [code].",
        ),
        (
            authorize_path("/oauth2/default", TRUSTED, "openid", &[("prompt", "none")]),
            "login_required",
            "The client specified not to prompt, but the user is not logged in.",
        ),
    ];
    for (path, error, description) in cases {
        let (s, h, _) = a.get(&path, "").await;
        assert_eq!(s, 302, "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let p = redirect_params(&h);
        assert!(h["location"].to_str().unwrap().starts_with(CB));
        assert_eq!(param(&p, "error"), Some(error), "{path}");
        assert_eq!(param(&p, "error_description"), Some(description), "{path}");
    }
    // Signed in, consent needed, not allowed to prompt.
    let (s, h, _) = a
        .get(
            &authorize_path(
                "/oauth2/default",
                WEB,
                "openid email profile",
                &[("prompt", "none")],
            ),
            &session,
        )
        .await;
    assert_eq!(s, 302);
    let p = redirect_params(&h);
    assert_eq!(param(&p, "error"), Some("consent_required"));
    assert_eq!(
        param(&p, "error_description"),
        Some("The following scopes require user consent: [email, profile].")
    );
    assert_eq!(param(&p, "state"), Some("state-1"));
}

#[tokio::test]
async fn hosted_sign_in_page_starts_a_session_behind_csrf() {
    let a = authz();
    let auth = authorize_path("/oauth2/default", TRUSTED, "openid", &[]);
    let (s, h, _) = a.get(&auth, "").await;
    assert_eq!(s, 302);
    let login = h["location"].to_str().unwrap().to_owned();
    assert_eq!(
        login,
        format!("/login/login.htm?{}", query(&[("fromURI", &auth)]))
    );
    let (s, h, page) = a.get(&login, "").await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    for id in [
        "okta-signin-form",
        "okta-signin-username",
        "okta-signin-password",
        "okta-signin-submit",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let (csrf, attrs) = cookie_of(&h, "okta_csrf").unwrap();
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax"),
        "{attrs}"
    );
    let cookies = format!("okta_csrf={csrf}");
    // Without the form's CSRF token: refused.
    let (s, _, _) = a
        .post_form(
            "/login/login.htm",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("fromURI", &auth),
            ],
            None,
            &cookies,
        )
        .await;
    assert_eq!(s, 403);
    // A wrong password: the page again, 401.
    let (s, h, page) = a
        .post_form(
            "/login/login.htm",
            &[
                ("username", "alice"),
                ("password", "nope"),
                ("fromURI", &auth),
                ("csrf_token", &csrf),
            ],
            None,
            &cookies,
        )
        .await;
    assert_eq!(s, 401);
    assert!(page.contains("Unable to sign in"));
    assert!(cookie_of(&h, "sid").is_none());
    // An absolute fromURI is never followed.
    let (s, h, _) = a
        .post_form(
            "/login/login.htm",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("fromURI", "https://evil.example/"),
                ("csrf_token", &csrf),
            ],
            None,
            &cookies,
        )
        .await;
    assert_eq!(s, 302);
    assert_eq!(h["location"], "/");
    // A query holding an unencoded URL (as browsers send typed-in links) is followed.
    let typed = format!(
        "/oauth2/default/v1/authorize?client_id={TRUSTED}&redirect_uri={CB}&response_type=code&scope=openid&state=s"
    );
    let (s, h, _) = a
        .post_form(
            "/login/login.htm",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("fromURI", &typed),
                ("csrf_token", &csrf),
            ],
            None,
            &cookies,
        )
        .await;
    assert_eq!(s, 302);
    assert_eq!(h["location"].to_str().unwrap(), typed);
    let (s, h, _) = a
        .post_form(
            "/login/login.htm",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("fromURI", &auth),
                ("csrf_token", &csrf),
            ],
            None,
            &cookies,
        )
        .await;
    assert_eq!(s, 302);
    assert_eq!(h["location"].to_str().unwrap(), auth);
    let (sid, attrs) = cookie_of(&h, "sid").unwrap();
    assert!(
        attrs.contains("HttpOnly")
            && attrs.contains("SameSite=Lax")
            && attrs.contains("Path=/")
            && !attrs.contains("Secure"),
        "{attrs}"
    );
    let (s, h, _) = a.get(&auth, &format!("sid={sid}")).await;
    assert_eq!(s, 302);
    assert!(param(&redirect_params(&h), "code").is_some());
    // Logout ends the session.
    let (s, _, _) = a
        .get("/oauth2/default/v1/logout", &format!("sid={sid}"))
        .await;
    assert_eq!(s, 302);
    let (s, h, _) = a
        .get(
            &authorize_path("/oauth2/default", TRUSTED, "openid", &[("prompt", "none")]),
            &format!("sid={sid}"),
        )
        .await;
    assert_eq!(s, 302);
    assert_eq!(param(&redirect_params(&h), "error"), Some("login_required"));
}

#[tokio::test]
async fn consent_page_makes_one_user_grant_per_scope_and_is_not_asked_again() {
    let a = authz();
    let session = a.session().await;
    let path = authorize_path(
        "/oauth2/default",
        WEB,
        "openid profile email offline_access",
        &[],
    );
    let (s, h, page) = a.get(&path, &session).await;
    assert_eq!(s, 200);
    for scope in ["profile", "email", "offline_access"] {
        assert!(
            page.contains(&format!("<li class=\"scope-item\" data-scope=\"{scope}\">")),
            "{scope}"
        );
    }
    assert!(!page.contains("data-scope=\"openid\""));
    assert!(page.contains("id=\"consent-allow\"") && page.contains("id=\"consent-deny\""));
    // Denied: access_denied, no grant.
    let (s, p) = a.consent(&page, &h, &session, "deny").await;
    assert_eq!(s, 302);
    assert_eq!(param(&p, "error"), Some("access_denied"));
    assert_eq!(param(&p, "state"), Some("state-1"));
    let (_, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(grants, json!([]));
    // Allowed: a code, and three grants the User Grants API lists at once.
    let (s, p) = a.consent(&page, &h, &session, "allow").await;
    assert_eq!(s, 302);
    assert!(param(&p, "code").is_some());
    let (s, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(s, 200);
    let mut scopes: Vec<&str> = grants
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["scopeId"].as_str().unwrap())
        .collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["email", "offline_access", "profile"]);
    let issuer = format!("{}/oauth2/default", a.o.srv.base_url);
    for g in grants.as_array().unwrap() {
        assert_eq!(g["source"], "END_USER");
        assert_eq!(g["status"], "ACTIVE");
        assert_eq!(g["createdBy"], json!({"id": ALICE, "type": "User"}));
        assert_eq!(g["clientId"], WEB);
        assert_eq!(g["userId"], ALICE);
        assert_eq!(g["issuer"], json!(issuer));
    }
    // Consented already: straight to a code; `prompt=consent` asks again, and a new scope
    // is asked alone.
    let (s, _, _) = a.get(&path, &session).await;
    assert_eq!(s, 302);
    let (s, _, page) = a
        .get(
            &authorize_path(
                "/oauth2/default",
                WEB,
                "openid profile",
                &[("prompt", "consent")],
            ),
            &session,
        )
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("data-scope=\"profile\""));
    let (s, _, page) = a
        .get(
            &authorize_path("/oauth2/default", WEB, "openid profile phone", &[]),
            &session,
        )
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("data-scope=\"phone\"") && !page.contains("data-scope=\"profile\""));
    // The org server has no consent: a code at once, and no grant.
    let (s, h, _) = a
        .get(
            &authorize_path("/oauth2", WEB, "openid address", &[]),
            &session,
        )
        .await;
    assert_eq!(s, 302);
    assert!(param(&redirect_params(&h), "code").is_some());
    let (_, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(grants.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn code_exchange_issues_signed_tokens_okta_shapes() {
    let a = authz();
    let body = a.tokens("openid profile email offline_access").await;
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 6, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "openid profile email offline_access");
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);
    let issuer = format!("{}/oauth2/default", a.o.srv.base_url);
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(header_of(at)["alg"], "RS256");
    let c = claims(at);
    assert!(c["jti"].as_str().unwrap().starts_with("AT."));
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(
        (
            c["ver"].clone(),
            c["iss"].clone(),
            c["aud"].clone(),
            c["cid"].clone(),
            c["uid"].clone(),
            c["sub"].clone(),
            c["scp"].clone()
        ),
        (
            json!(1),
            json!(issuer),
            json!("api://default"),
            json!(WEB),
            json!(ALICE),
            json!("alice"),
            json!(["openid", "profile", "email", "offline_access"])
        )
    );
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(
        (
            id["sub"].clone(),
            id["aud"].clone(),
            id["iss"].clone(),
            id["nonce"].clone(),
            id["email"].clone(),
            id["name"].clone(),
            id["preferred_username"].clone()
        ),
        (
            json!(ALICE),
            json!(WEB),
            json!(issuer),
            json!("nonce-1"),
            json!("alice"),
            json!("alice Example"),
            json!("alice")
        )
    );
    let digest = sha2::Sha256::digest(at.as_bytes());
    assert_eq!(id["at_hash"], json!(B64.encode(&digest[..16])));
    // Introspection of both tokens.
    let mut i = a.introspect("/oauth2/default", at).await;
    assert_eq!(i["active"], true);
    i["exp"] = json!(0);
    i["iat"] = json!(0);
    i["jti"] = json!("AT");
    assert_eq!(
        i,
        json!({"active": true, "token_type": "Bearer", "scope": "openid profile email offline_access", "client_id": WEB,
               "username": "alice", "exp": 0, "iat": 0, "sub": "alice", "aud": "api://default", "iss": issuer, "jti": "AT", "uid": ALICE})
    );
    let rt = a
        .introspect("/oauth2/default", body["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(rt["active"], true);
    assert_eq!(rt["client_id"], WEB);
    assert_eq!(
        a.introspect("/oauth2/default", "not-a-token").await,
        json!({"active": false})
    );
    // The token of one server is not another's.
    assert_eq!(a.introspect("/oauth2", at).await, json!({"active": false}));
    // Without offline_access: no refresh token; without openid: no ID token.
    let body = a.tokens("profile").await;
    assert!(
        body.get("refresh_token").is_none() && body.get("id_token").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn token_endpoint_refusals_in_okta_words() {
    let a = authz();
    let code = a
        .code("/oauth2/default", WEB, "openid offline_access")
        .await;
    let token = "/oauth2/default/v1/token";
    let form = |code: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ]
    };
    let code: &'static str = Box::leak(code.into_boxed_str());
    type Case<'a> = (
        Vec<(&'a str, &'a str)>,
        Option<(&'a str, &'a str)>,
        u16,
        Value,
    );
    let cases: Vec<Case> = vec![
        (
            form(code),
            None,
            401,
            oauth_error("invalid_client", "No client credentials found."),
        ),
        (
            form(code),
            Some((WEB, "wrong-secret")),
            401,
            oauth_error(
                "invalid_client",
                "Client authentication failed. Either the client or the client credentials are invalid.",
            ),
        ),
        (
            {
                let mut f = form(code);
                f.push(("client_secret", WEB_SECRET));
                f
            },
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error(
                "invalid_request",
                "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.",
            ),
        ),
        (
            {
                let mut f = form(code);
                f.push(("client_id", WEB));
                f.push(("client_secret", WEB_SECRET));
                f
            },
            None,
            401,
            oauth_error(
                "invalid_client",
                "Client authentication failed. Either the client or the client credentials are invalid.",
            ),
        ),
        (
            vec![("code", code)],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error(
                "invalid_request",
                "The token request must specify a 'grant_type'. Valid values: [authorization_code, refresh_token]",
            ),
        ),
        (
            vec![("grant_type", "password")],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, refresh_token].",
            ),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("grant_type", "refresh_token"),
            ],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error(
                "invalid_request",
                "The request contained multiple parameters with the same name.",
            ),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", "http://app.example/other"),
                ("code_verifier", VERIFIER),
            ],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error(
                "invalid_grant",
                "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
            ),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CB),
            ],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error(
                "invalid_request",
                "PKCE code verifier is required by the application.",
            ),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CB),
                (
                    "code_verifier",
                    "wrong-verifier-0123456789-0123456789-0123456789",
                ),
            ],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error("invalid_grant", "PKCE verification failed."),
        ),
        (
            form(code),
            Some((TRUSTED, WEB_SECRET)),
            401,
            oauth_error(
                "invalid_client",
                "Client authentication failed. Either the client or the client credentials are invalid.",
            ),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", "no-such-code"),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error(
                "invalid_grant",
                "The authorization code is invalid or has expired.",
            ),
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "no-such-token"),
            ],
            Some((WEB, WEB_SECRET)),
            400,
            oauth_error("invalid_grant", "The refresh token is invalid or expired."),
        ),
    ];
    for (i, (form, basic, status, expected)) in cases.into_iter().enumerate() {
        let (s, _, body) = a.post_form(token, &form, basic, "").await;
        assert_eq!(
            (s, serde_json::from_str::<Value>(&body).unwrap()),
            (status, expected),
            "case {i}"
        );
    }
    // A code issued to the web app, redeemed by the trusted app (client_secret_post).
    let (s, _, body) = a
        .post_form(
            token,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
                ("client_id", TRUSTED),
                ("client_secret", WEB_SECRET),
            ],
            None,
            "",
        )
        .await;
    assert_eq!(
        (s, serde_json::from_str::<Value>(&body).unwrap()),
        (
            400,
            oauth_error(
                "invalid_grant",
                "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request."
            )
        )
    );
    // The refusals above did not use the code.
    let (s, first) = a.exchange("/oauth2/default", WEB, code, VERIFIER).await;
    assert_eq!(s, 200, "{first}");
    // A second use fails and revokes what the first issued (RFC 6749 §4.1.2).
    let (s, again) = a.exchange("/oauth2/default", WEB, code, VERIFIER).await;
    assert_eq!(
        (s, again),
        (
            400,
            oauth_error(
                "invalid_grant",
                "The authorization code is invalid or has expired."
            )
        )
    );
    assert_eq!(
        a.introspect("/oauth2/default", first["access_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
    let (s, body) = a
        .refresh("/oauth2/default", first["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (s, body),
        (
            400,
            oauth_error("invalid_grant", "The refresh token is invalid or expired.")
        )
    );
}

#[tokio::test]
async fn refresh_rotates_and_refuses_scopes_beyond_the_authorization() {
    let a = authz();
    let first = a.tokens("openid profile offline_access").await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let (s, second) = a.refresh("/oauth2/default", rt1).await;
    assert_eq!(s, 200, "{second}");
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_eq!(second["scope"], "openid profile offline_access");
    assert!(second["id_token"].is_string());
    // Within the leeway the rotated token still works (a retry after a lost answer).
    let (s, _) = a.refresh("/oauth2/default", rt1).await;
    assert_eq!(s, 200);
    // A narrower scope is granted; a wider one is not.
    let (s, _, body) = a
        .post_form(
            "/oauth2/default/v1/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt2),
                ("scope", "openid"),
            ],
            Some((WEB, WEB_SECRET)),
            "",
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["scope"],
        "openid"
    );
    let (s, _, body) = a
        .post_form(
            "/oauth2/default/v1/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt2),
                ("scope", "openid email"),
            ],
            Some((WEB, WEB_SECRET)),
            "",
        )
        .await;
    assert_eq!(
        (s, serde_json::from_str::<Value>(&body).unwrap()),
        (
            400,
            oauth_error(
                "access_denied",
                "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: email"
            )
        )
    );
}

#[tokio::test]
async fn revoking_the_consent_through_user_grants_stops_refresh_and_introspection() {
    let a = authz();
    let tokens = a.tokens("openid profile offline_access").await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (_, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    // Revoking the consent of a scope the tokens do not rely on... every scope here is theirs:
    // revoke `profile` alone.
    let profile = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["scopeId"] == "profile")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, _) = delete(&a.o, &format!("/api/v1/users/{ALICE}/grants/{profile}")).await;
    assert_eq!(s, 204);
    let (s, body) = a.refresh("/oauth2/default", rt).await;
    assert_eq!(
        (s, body),
        (
            400,
            oauth_error("invalid_grant", "The refresh token is invalid or expired.")
        )
    );
    assert_eq!(
        a.introspect("/oauth2/default", at).await,
        json!({"active": false})
    );
    // Tokens issued after, for the remaining consent, live until the whole grant goes.
    let tokens = a.tokens("openid offline_access").await;
    let (s, _) = a
        .refresh("/oauth2/default", tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(s, 200);
    let (s, _, _) = delete(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(s, 204);
    let (s, _) = a
        .refresh("/oauth2/default", tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        a.introspect("/oauth2/default", tokens["access_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn revocation_endpoint_and_client_disable() {
    let a = authz();
    // Revoking an access token leaves its refresh token.
    let t = a.tokens("openid offline_access").await;
    let (s, _, body) = a
        .post_form(
            "/oauth2/default/v1/revoke",
            &[
                ("token", t["access_token"].as_str().unwrap()),
                ("token_type_hint", "access_token"),
            ],
            Some((WEB, WEB_SECRET)),
            "",
        )
        .await;
    assert_eq!((s, body.as_str()), (200, ""));
    assert_eq!(
        a.introspect("/oauth2/default", t["access_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
    let (s, t2) = a
        .refresh("/oauth2/default", t["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(s, 200);
    // Revoking a refresh token takes its access tokens with it.
    let (s, _, _) = a
        .post_form(
            "/oauth2/default/v1/revoke",
            &[("token", t2["refresh_token"].as_str().unwrap())],
            Some((WEB, WEB_SECRET)),
            "",
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        a.introspect("/oauth2/default", t2["access_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
    // Unknown tokens: 200; no token: invalid_request.
    let (s, _, _) = a
        .post_form(
            "/oauth2/default/v1/revoke",
            &[("token", "whatever")],
            Some((WEB, WEB_SECRET)),
            "",
        )
        .await;
    assert_eq!(s, 200);
    let (s, _, body) = a
        .post_form(
            "/oauth2/default/v1/revoke",
            &[],
            Some((WEB, WEB_SECRET)),
            "",
        )
        .await;
    assert_eq!(
        (s, serde_json::from_str::<Value>(&body).unwrap()),
        (
            400,
            oauth_error("invalid_request", "The 'token' parameter is required.")
        )
    );
    // Disabling the client revokes what it holds.
    let t = a.tokens("openid offline_access").await;
    let patch = ClientPatch {
        enabled: Some(false),
        ..ClientPatch::default()
    };
    clients::update_client(
        &mut a.o.srv.conn(),
        a.o.srv.tenant(),
        ClientId::new(WEB),
        patch,
        "test",
    )
    .unwrap();
    let patch = ClientPatch {
        enabled: Some(true),
        ..ClientPatch::default()
    };
    clients::update_client(
        &mut a.o.srv.conn(),
        a.o.srv.tenant(),
        ClientId::new(WEB),
        patch,
        "test",
    )
    .unwrap();
    let (s, _) = a
        .refresh("/oauth2/default", t["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn userinfo_releases_claims_by_scope() {
    let a = authz();
    let t = a.tokens("openid email").await;
    let res = a
        .http
        .get(a.url("/oauth2/default/v1/userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"sub": ALICE, "email": "alice", "email_verified": true})
    );
    let res = a
        .http
        .get(a.url("/oauth2/default/v1/userinfo"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\", error_description=\"The access token is invalid\""
    );
    let t = a.tokens("profile").await;
    let res = a
        .http
        .get(a.url("/oauth2/default/v1/userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn public_spa_uses_pkce_cors_and_post_message() {
    let a = authz();
    // CORS preflight: a trusted origin gets Okta's headers, another is refused.
    let res = a
        .http
        .request(reqwest::Method::OPTIONS, a.url("/oauth2/default/v1/token"))
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["access-control-allow-origin"], APP_ORIGIN);
    assert_eq!(res.headers()["access-control-max-age"], "3600");
    assert_eq!(res.headers()["vary"], "Origin");
    let res = a
        .http
        .request(reqwest::Method::OPTIONS, a.url("/api/v1/authn"))
        .header("origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["access-control-allow-credentials"], "true");
    let res = a
        .http
        .request(reqwest::Method::OPTIONS, a.url("/oauth2/default/v1/token"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    // okta_post_message: the code is posted to the redirect URI's origin only.
    let session = a.session().await;
    let (s, h, page) = a
        .get(
            &authorize_path("/oauth2/default", SPA, "openid email", &[]),
            &session,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = a.consent(&page, &h, &session, "allow").await;
    assert_eq!(s, 302);
    let st = a.session_token().await;
    let (s, _, page) = a
        .get(
            &authorize_path(
                "/oauth2/default",
                SPA,
                "openid email",
                &[
                    ("response_mode", "okta_post_message"),
                    ("prompt", "none"),
                    ("sessionToken", &st),
                ],
            ),
            "",
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        page.contains(&format!("postMessage(d,\"{APP_ORIGIN}\")")),
        "{page}"
    );
    let start = page.find("var d=").unwrap() + 6;
    let end = page[start..].find(";if(").unwrap() + start;
    let data: Value = serde_json::from_str(&page[start..end]).unwrap();
    assert_eq!(data["state"], "state-1");
    let code = data["code"].as_str().unwrap();
    // The public client redeems it with its id and the verifier, from the trusted origin.
    let res = a
        .http
        .post(a.url("/oauth2/default/v1/token"))
        .header("origin", APP_ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", SPA),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], APP_ORIGIN);
    // A public client presenting a secret is refused.
    let code = a.code("/oauth2/default", SPA, "openid email").await;
    let (s, _, body) = a
        .post_form(
            "/oauth2/default/v1/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
                ("client_id", SPA),
                ("client_secret", "x"),
            ],
            None,
            "",
        )
        .await;
    assert_eq!(s, 401, "{body}");
}

#[tokio::test]
async fn expired_codes_disallowed_scopes_and_consent_forms_without_csrf_are_refused() {
    let a = authz();
    // An expired code.
    let code = a.code("/oauth2/default", WEB, "openid").await;
    grant_core::testing::clock::expire_codes(&mut a.o.srv.conn());
    let (s, body) = a.exchange("/oauth2/default", WEB, &code, VERIFIER).await;
    assert_eq!(
        (s, body),
        (
            400,
            oauth_error(
                "invalid_grant",
                "The authorization code is invalid or has expired."
            )
        )
    );
    // A scope the app may not ask for.
    let new = NewClient {
        id: Some("0oaNarrowApp00000001".into()),
        redirect_uris: vec![CB.into()],
        allowed_scopes: vec!["orders:read".into()],
        ..NewClient::default()
    };
    clients::create_client(&mut a.o.srv.conn(), a.o.srv.tenant(), new, "test").unwrap();
    let session = a.session().await;
    let (s, h, _) = a
        .get(
            &authorize_path(
                "/oauth2/default",
                "0oaNarrowApp00000001",
                "openid orders:write",
                &[],
            ),
            &session,
        )
        .await;
    assert_eq!(s, 302);
    let p = redirect_params(&h);
    assert_eq!(param(&p, "error"), Some("invalid_scope"));
    assert_eq!(
        param(&p, "error_description"),
        Some("The requested scope is invalid, unknown, or malformed.")
    );
    let (s, h, _) = a
        .get(
            &authorize_path(
                "/oauth2/default",
                "0oaNarrowApp00000001",
                "openid orders:read",
                &[],
            ),
            &session,
        )
        .await;
    assert_eq!(s, 302);
    assert!(param(&redirect_params(&h), "code").is_some());
    // The consent form without its CSRF token, or with another browser's: refused, no grant.
    let (s, h, page) = a
        .get(
            &authorize_path("/oauth2/default", WEB, "openid email", &[]),
            &session,
        )
        .await;
    assert_eq!(s, 200);
    let request_start = page.find("name=\"request\" value=\"").unwrap() + 22;
    let request = page[request_start..request_start + page[request_start..].find('"').unwrap()]
        .replace("&amp;", "&");
    let csrf = cookie_of(&h, "okta_csrf").unwrap().0;
    for (form_token, cookie_token) in [
        ("", csrf.as_str()),
        ("other-browser-token-0123456789ab", csrf.as_str()),
    ] {
        let (s, h, _) = a
            .post_form(
                "/oauth2/default/v1/consent",
                &[
                    ("request", &request),
                    ("csrf_token", form_token),
                    ("decision", "allow"),
                ],
                None,
                &format!("{session}; okta_csrf={cookie_token}"),
            )
            .await;
        assert_eq!(s, 403);
        assert!(h.get("location").is_none());
    }
    let (_, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(grants, json!([]));
}

#[tokio::test]
async fn a_rotated_refresh_token_replayed_after_the_leeway_revokes_its_family() {
    let a = authz();
    let t = a.tokens("openid offline_access").await;
    let rt1 = t["refresh_token"].as_str().unwrap();
    let (s, t2) = a.refresh("/oauth2/default", rt1).await;
    assert_eq!(s, 200);
    grant_core::testing::clock::age_rotations(&mut a.o.srv.conn(), 31);
    let (s, body) = a.refresh("/oauth2/default", rt1).await;
    assert_eq!(
        (s, body),
        (
            400,
            oauth_error("invalid_grant", "The refresh token is invalid or expired.")
        )
    );
    // The newest refresh token and every access token of the family are dead too.
    let (s, _) = a
        .refresh("/oauth2/default", t2["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(s, 400);
    for at in [&t["access_token"], &t2["access_token"]] {
        assert_eq!(
            a.introspect("/oauth2/default", at.as_str().unwrap()).await,
            json!({"active": false})
        );
    }
    // Recorded in the audit log.
    let events =
        grant_core::service::admin::list_audit(&mut a.o.srv.conn(), Some(a.o.srv.tenant()))
            .unwrap();
    assert!(events.iter().any(|e| e.action == "token.reuse_detected"));
}

#[tokio::test]
async fn credentials_of_another_face_client_or_purpose_are_refused() {
    let a = authz();
    let t = a.o.srv.tenant().to_buf();
    // bob's password was made for Venafi only: no Okta sign-in with it.
    credential(CredentialKind::Password)
        .name("bob")
        .user(&a.o.bob.id)
        .faces(&["venafi"])
        .issue_secret(&mut a.o.srv.conn(), &t, PASSWORD);
    let res = a
        .http
        .post(a.url("/api/v1/authn"))
        .json(&json!({"username": "bob", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_error(
        &res.json().await.unwrap(),
        "E0000004",
        "Authentication failed",
        json!([]),
    );
    // A client secret made for OCS does not authenticate the app at Okta's token endpoint.
    credential(CredentialKind::ClientSecret)
        .name("web-ocs")
        .client(WEB)
        .faces(&["ocs"])
        .issue_secret(&mut a.o.srv.conn(), &t, "ocs-only-secret-0123456789abcdef");
    let code = a
        .code("/oauth2/default", WEB, "openid offline_access")
        .await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ];
    let (s, _, body) = a
        .post_form(
            "/oauth2/default/v1/token",
            &form,
            Some((WEB, "ocs-only-secret-0123456789abcdef")),
            "",
        )
        .await;
    assert_eq!(
        (s, serde_json::from_str::<Value>(&body).unwrap()),
        (
            401,
            oauth_error(
                "invalid_client",
                "Client authentication failed. Either the client or the client credentials are invalid."
            )
        )
    );
    // The management API token is no access token at userinfo.
    let res = a
        .http
        .get(a.url("/oauth2/default/v1/userinfo"))
        .bearer_auth(&a.o.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Another app's refresh token: refused at its token endpoint, ignored by its revoke.
    let (s, tokens) = a.exchange("/oauth2/default", WEB, &code, VERIFIER).await;
    assert_eq!(s, 200);
    let rt = tokens["refresh_token"].as_str().unwrap();
    let other = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", TRUSTED),
        ("client_secret", WEB_SECRET),
    ];
    let (s, _, body) = a
        .post_form("/oauth2/default/v1/token", &other, None, "")
        .await;
    assert_eq!(
        (s, serde_json::from_str::<Value>(&body).unwrap()),
        (
            400,
            oauth_error("invalid_grant", "The refresh token is invalid or expired.")
        )
    );
    let revoke = [
        ("token", rt),
        ("client_id", TRUSTED),
        ("client_secret", WEB_SECRET),
    ];
    let (s, _, _) = a
        .post_form("/oauth2/default/v1/revoke", &revoke, None, "")
        .await;
    assert_eq!(s, 200);
    let (s, _) = a.refresh("/oauth2/default", rt).await;
    assert_eq!(s, 200, "another app's revoke left the token alone");
    // A session of one user is not another's: bob's grants stay empty after alice consents.
    let (_, _, grants) = get(&a.o, &format!("/api/v1/users/{BOB}/grants")).await;
    assert_eq!(grants, json!([]));
}

#[tokio::test]
async fn token_and_authn_bodies_slower_than_the_deadline_are_answered_then_closed() {
    let mut cfg = unlimited();
    cfg.server.body_read_timeout_secs = 1;
    let a = authz_with(cfg);
    let addr = a.o.srv.addr();
    for (path, content_type) in [
        (
            "/oauth2/default/v1/token",
            "application/x-www-form-urlencoded",
        ),
        ("/api/v1/authn", "application/json"),
        ("/login/login.htm", "application/x-www-form-urlencoded"),
    ] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
             Content-Length: 200\r\n\r\ngrant_type=authorization_code&code="
        );
        let res = grant_http::testing::send_stalled_body(addr.clone(), request).await;
        assert_eq!(res.status, 408, "{path}");
        assert_eq!(res.header("connection"), Some("close"), "{path}");
    }
}
