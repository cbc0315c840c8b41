//! Okta's authorization servers on the wire: discovery and keys, `/api/v1/authn`,
//! `/authorize` (sign-in page, session token, consent page, every refusal), `/token`
//! (code + PKCE, refresh with rotation, every refusal), introspection, revocation,
//! userinfo, logout, CORS — and the loop that matters: consent makes User Grants, and
//! revoking them through the User Grants API stops the tokens issued under them.

mod authorize;
mod consent;
mod discovery;
mod hardening;
mod public_spa;
mod revocation;
mod sign_in;
mod tokens;
mod userinfo;

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
