//! PingFederate's OAuth runtime endpoints on the wire: the sign-in and approval pages,
//! codes, tokens and their errors in PingFederate's exact bodies, persistent grants reused
//! per user and client, and revocation through the grant service stopping the tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use grant_core::model::*;
use grant_core::service::clients;
use grant_core::testing::fixture::credential;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::common::*;

const PASSWORD: &str = "Sign-in-Pa55!";
const CLIENT: &str = "pf_web";
const SECRET: &str = "pf-web-secret-0123456789";
const CB: &str = "http://app.example/cb";
const VERIFIER: &str = "verifier-0123456789-0123456789-0123456789-0123456789";

struct Flow {
    p: Pf,
    http: reqwest::Client,
}

/// The seed PingFederate plus asmith's sign-in password and a confidential client that
/// asks for approval and may refresh.
fn flow() -> Flow {
    let p = pf();
    let t = p.srv.tenant().to_buf();
    let mut conn = p.srv.conn();
    credential(CredentialKind::Password)
        .name("asmith")
        .user(&p.asmith.id)
        .faces(&["pingfed"])
        .issue_secret(&mut conn, &t, PASSWORD);
    let new = NewClient {
        id: Some(CLIENT.into()),
        name: Some("PF Web".into()),
        redirect_uris: vec![CB.into()],
        token_endpoint_auth_method: Some(TokenAuthMethod::ClientSecretBasic),
        consent_required: Some(true),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        ..NewClient::default()
    };
    clients::create_client(&mut conn, &t, new, "test").unwrap();
    credential(CredentialKind::ClientSecret)
        .name(CLIENT)
        .client(CLIENT)
        .faces(&["pingfed"])
        .issue_secret(&mut conn, &t, SECRET);
    drop(conn);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Flow { p, http }
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

fn authorize_path(scope: &str) -> String {
    let challenge = B64.encode(sha2::Sha256::digest(VERIFIER.as_bytes()));
    format!(
        "/as/authorization.oauth2?{}",
        query(&[
            ("client_id", CLIENT),
            ("response_type", "code"),
            ("redirect_uri", CB),
            ("scope", scope),
            ("state", "st"),
            ("nonce", "nn"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
    )
}

fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].replace("&amp;", "&")
}

fn action(page: &str) -> String {
    let start = page.find("action=\"").unwrap() + 8;
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

fn cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().unwrap();
        let pair = v.split(';').next().unwrap();
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
        let mut req = self.http.get(self.p.srv.url(path));
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
        basic: bool,
        cookies: &str,
    ) -> (u16, HeaderMap, String) {
        let mut req = self
            .http
            .post(self.p.srv.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query(form));
        if basic {
            req = req.basic_auth(CLIENT, Some(SECRET));
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

    /// Signs in on the login page; returns the page that follows and the cookies.
    async fn sign_in(&self, scope: &str, password: &str) -> (u16, HeaderMap, String, String) {
        let (s, h, page) = self.get(&authorize_path(scope), "").await;
        assert_eq!(s, 200);
        assert!(page.contains("name=\"pf.username\"") && page.contains("id=\"sign-on\""));
        let csrf_cookie = cookie(&h, "PF.CSRF").unwrap();
        let (request, csrf) = (field(&page, "request"), field(&page, "cSRFToken"));
        let (s, h, page) = self
            .post(
                &action(&page),
                &[
                    ("request", &request),
                    ("cSRFToken", &csrf),
                    ("pf.username", "asmith"),
                    ("pf.pass", password),
                    ("pf.ok", "clicked"),
                ],
                false,
                &csrf_cookie,
            )
            .await;
        let cookies = match cookie(&h, "PF") {
            Some(sid) => format!("{sid}; {csrf_cookie}"),
            None => csrf_cookie,
        };
        (s, h, page, cookies)
    }

    /// Answers the approval page; returns the redirect's parameters.
    async fn approve(
        &self,
        page: &str,
        cookies: &str,
        decision: &str,
        scopes: &[&str],
    ) -> Vec<(String, String)> {
        let (request, csrf) = (field(page, "request"), field(page, "cSRFToken"));
        let mut form = vec![
            ("request", request.as_str()),
            ("cSRFToken", csrf.as_str()),
            ("pf.oauth.authz.consent", decision),
        ];
        form.extend(scopes.iter().map(|s| ("scope", *s)));
        let (s, h, _) = self.post(&action(page), &form, false, cookies).await;
        assert_eq!(s, 302);
        location_params(&h)
    }

    async fn code(&self, scope: &str) -> (String, String) {
        let (s, _, page, cookies) = self.sign_in(scope, PASSWORD).await;
        assert_eq!(s, 200);
        let scopes: Vec<&str> = scope.split(' ').collect();
        let p = self.approve(&page, &cookies, "allow", &scopes).await;
        (param(&p, "code").unwrap().to_owned(), cookies)
    }

    async fn token(&self, form: &[(&str, &str)]) -> (u16, String) {
        let (s, _, body) = self.post("/as/token.oauth2", form, true, "").await;
        (s, body)
    }

    async fn tokens(&self, scope: &str) -> Value {
        let (code, _) = self.code(scope).await;
        let (s, body) = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ])
            .await;
        assert_eq!(s, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn introspect(&self, token: &str) -> String {
        let (s, _, body) = self
            .post("/as/introspect.oauth2", &[("token", token)], true, "")
            .await;
        assert_eq!(s, 200);
        body
    }
}

#[tokio::test]
async fn sign_in_and_approval_make_one_persistent_grant_reused_per_user_and_client() {
    let f = flow();
    // A wrong password: the page again with PingFederate's message.
    let (s, _, page, _) = f.sign_in("openid profile", "wrong").await;
    assert_eq!(s, 200);
    assert!(
        page.contains(
            "We didn't recognize the username or password you entered. Please try again."
        )
    );
    // Approval with one scope unticked: the grant holds what was approved.
    let (s, _, page, cookies) = f.sign_in("openid profile email", PASSWORD).await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"approval-form\""));
    for scope in ["openid", "profile", "email"] {
        assert!(
            page.contains(&format!("name=\"scope\" value=\"{scope}\" checked")),
            "{scope}"
        );
    }
    let p = f
        .approve(&page, &cookies, "allow", &["openid", "profile"])
        .await;
    assert_eq!(param(&p, "state"), Some("st"));
    assert!(param(&p, "code").is_some());
    let (s, _, body) = get(&f.p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(s, 200);
    let items = body["items"].as_array().unwrap();
    let mine: Vec<&Value> = items.iter().filter(|g| g["clientId"] == CLIENT).collect();
    assert_eq!(mine.len(), 1, "{body}");
    assert_eq!(mine[0]["grantType"], "AUTHORIZATION_CODE");
    assert_eq!(mine[0]["scopes"], json!(["openid", "profile"]));
    assert_eq!(
        mine[0]["grantAttributes"],
        json!([{"name": "USER_NAME", "values": ["asmith"]}])
    );
    let id = mine[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    // The session is kept: the next authorization goes straight to approval, and the
    // approval reuses the grant with the new scopes.
    let (s, _, page) = f.get(&authorize_path("openid email"), &cookies).await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"approval-form\"") && !page.contains("pf.username"));
    f.approve(&page, &cookies, "allow", &["openid", "email"])
        .await;
    let (_, _, body) = get(&f.p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    let mine: Vec<&Value> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["clientId"] == CLIENT)
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0]["id"].as_str().unwrap(), mine[0]["scopes"].clone()),
        (id.as_str(), json!(["openid", "email"]))
    );
    // Deny: access_denied, and the grant is untouched.
    let (_, _, page) = f.get(&authorize_path("openid"), &cookies).await;
    let p = f.approve(&page, &cookies, "deny", &[]).await;
    assert_eq!(param(&p, "error"), Some("access_denied"));
    assert_eq!(param(&p, "state"), Some("st"));
    // The OAuth runtime endpoints are not in the grant service's runtime-api.log.
    let lines = log_lines(&f.p);
    assert!(lines.iter().all(|l| !l.contains("/as/")), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/pf-ws/rest/oauth/users/asmith/grants"))
    );
}

#[tokio::test]
async fn token_endpoint_speaks_pingfederates_errors() {
    let f = flow();
    let (code, _) = f.code("openid").await;
    type Case<'a> = (Vec<(&'a str, &'a str)>, bool, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("code", &code)],
            true,
            400,
            r#"{"error_description":"grant_type is required","error":"invalid_request"}"#,
        ),
        (
            vec![("grant_type", "password")],
            true,
            400,
            r#"{"error":"unsupported_grant_type"}"#,
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", CB),
            ],
            true,
            400,
            r#"{"error_description":"Authorization code is invalid or expired.","error":"invalid_grant"}"#,
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                (
                    "code_verifier",
                    "wrong-verifier-0123456789-0123456789-01234567",
                ),
            ],
            true,
            400,
            r#"{"error_description":"The code_verifier sent does not match code_challenge included in the authorization request using the S256 code_challenge_method.","error":"invalid_grant"}"#,
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", VERIFIER),
            ],
            true,
            400,
            r#"{"error_description":"redirect_uri is required if it was included in the authorization request.","error":"invalid_grant"}"#,
        ),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", "nope")],
            true,
            400,
            r#"{"error_description":"unknown, invalid, or expired refresh token","error":"invalid_grant"}"#,
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            false,
            401,
            r#"{"error_description":"Invalid client or client credentials","error":"invalid_client"}"#,
        ),
    ];
    for (i, (form, basic, status, body)) in cases.into_iter().enumerate() {
        let (s, _, text) = f.post("/as/token.oauth2", &form, basic, "").await;
        assert_eq!((s, text.as_str()), (status, body), "case {i}");
    }
    // The refusals did not use the code; PKCE and the client check out.
    let (s, body) = f
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(s, 200, "{body}");
    let t: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert!(t["refresh_token"].is_string() && t["id_token"].is_string());
    let claims: Value = serde_json::from_slice(
        &B64.decode(
            t["access_token"]
                .as_str()
                .unwrap()
                .split('.')
                .nth(1)
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (
            claims["client_id"].clone(),
            claims["scope"].clone(),
            claims["Username"].clone()
        ),
        (json!(CLIENT), json!(["openid"]), json!("asmith"))
    );
    assert_eq!(claims["agid"].as_str().unwrap().len(), 32);
    // A refresh keeps the refresh token (PingFederate does not roll it by default).
    let rt = t["refresh_token"].as_str().unwrap();
    let (s, body) = f
        .token(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["refresh_token"],
        json!(rt)
    );
    // Introspection: a refresh token says only that it is active.
    assert_eq!(f.introspect(rt).await, r#"{"active":true}"#);
    // Discovery and keys.
    let (s, _, body) = f.get("/.well-known/openid-configuration", "").await;
    assert_eq!(s, 200);
    let d: Value = serde_json::from_str(&body).unwrap();
    let base = f.p.srv.base_url.clone();
    assert_eq!(
        (
            d["issuer"].clone(),
            d["token_endpoint"].clone(),
            d["jwks_uri"].clone(),
            d["authorization_endpoint"].clone()
        ),
        (
            json!(base),
            json!(format!("{base}/as/token.oauth2")),
            json!(format!("{base}/pf/JWKS")),
            json!(format!("{base}/as/authorization.oauth2"))
        )
    );
    let (s, _, body) = f.get("/pf/JWKS", "").await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["keys"][0]["kty"],
        "RSA"
    );
}

#[tokio::test]
async fn revoking_through_the_grant_service_stops_refresh_and_introspection() {
    let f = flow();
    for path in [
        format!("/pf-ws/rest/oauth/clients/{CLIENT}/grants"),
        "/pf-ws/rest/oauth/users/asmith/grants".to_owned(),
    ] {
        let t = f.tokens("openid profile").await;
        let (at, rt) = (
            t["access_token"].as_str().unwrap(),
            t["refresh_token"].as_str().unwrap(),
        );
        assert!(f.introspect(at).await.starts_with(r#"{"active":true"#));
        let (s, _, _) = delete(&f.p, &path).await;
        assert_eq!(s, 204, "{path}");
        let (s, body) = f
            .token(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
            .await;
        assert_eq!(
            (s, body.as_str()),
            (
                400,
                r#"{"error_description":"unknown, invalid, or expired refresh token","error":"invalid_grant"}"#
            ),
            "{path}"
        );
        assert_eq!(f.introspect(at).await, r#"{"active":false}"#);
        assert_eq!(f.introspect(rt).await, r#"{"active":false}"#);
        let lines = log_lines(&f.p);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("| DELETE|") && l.contains(&path)),
            "{lines:?}"
        );
    }
    // Unknown client and unregistered redirect URI: an error page, never a redirect.
    let (s, h, _) = f.get("/as/authorization.oauth2?client_id=nobody&response_type=code&redirect_uri=http%3A%2F%2Fapp.example%2Fcb", "").await;
    assert_eq!(s, 400);
    assert!(h.get("location").is_none());
    let (s, h, _) = f
        .get(
            &authorize_path("openid").replace("app.example", "evil.example"),
            "",
        )
        .await;
    assert_eq!(s, 400);
    assert!(h.get("location").is_none());
}

#[tokio::test]
async fn credentials_of_another_face_or_client_are_refused_and_slow_bodies_time_out() {
    let f = {
        let p = pf_with(|cfg| cfg.server.body_read_timeout_secs = 1);
        let t = p.srv.tenant().to_buf();
        let mut conn = p.srv.conn();
        // bob's password was made for Okta only; asmith's for this PCV.
        credential(CredentialKind::Password)
            .name("bob")
            .user(&p.bob.id)
            .faces(&["okta"])
            .issue_secret(&mut conn, &t, PASSWORD);
        credential(CredentialKind::Password)
            .name("asmith")
            .user(&p.asmith.id)
            .faces(&["pingfed"])
            .issue_secret(&mut conn, &t, PASSWORD);
        let new = NewClient {
            id: Some(CLIENT.into()),
            redirect_uris: vec![CB.into()],
            ..NewClient::default()
        };
        clients::create_client(&mut conn, &t, new, "test").unwrap();
        // The client's only secret was made for OCS.
        credential(CredentialKind::ClientSecret)
            .name(CLIENT)
            .client(CLIENT)
            .faces(&["ocs"])
            .issue_secret(&mut conn, &t, SECRET);
        drop(conn);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Flow { p, http }
    };
    let (s, h, page) = f.get(&authorize_path("openid"), "").await;
    assert_eq!(s, 200);
    let csrf = cookie(&h, "PF.CSRF").unwrap();
    let (request, token) = (field(&page, "request"), field(&page, "cSRFToken"));
    let (s, h, page) = f
        .post(
            &action(&page),
            &[
                ("request", &request),
                ("cSRFToken", &token),
                ("pf.username", "bob"),
                ("pf.pass", PASSWORD),
            ],
            false,
            &csrf,
        )
        .await;
    assert_eq!(s, 200);
    assert!(cookie(&h, "PF").is_none());
    assert!(
        page.contains(
            "We didn't recognize the username or password you entered. Please try again."
        )
    );
    // asmith signs in (no approval page: the client does not ask), but the client cannot
    // redeem the code with a secret made for another gateway.
    let (s, h, _) = f
        .post(
            &action(&page),
            &[
                ("request", &request),
                ("cSRFToken", &token),
                ("pf.username", "asmith"),
                ("pf.pass", PASSWORD),
            ],
            false,
            &csrf,
        )
        .await;
    assert_eq!(s, 302);
    let code = param(&location_params(&h), "code").unwrap().to_owned();
    let (s, body) = f
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(
        (s, body.as_str()),
        (
            401,
            r#"{"error_description":"Invalid client or client credentials","error":"invalid_client"}"#
        )
    );
    // The grant service's own admin credential is no OAuth client either.
    let (s, _, _) = f
        .http
        .post(f.p.srv.url("/as/token.oauth2"))
        .basic_auth("admin", Some("2Federate"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .map(|r| (r.status().as_u16(), (), ()))
        .unwrap();
    assert_eq!(s, 401);
    // A body slower than the deadline: answered, then closed.
    let addr = f.p.srv.addr();
    let request = format!(
        "POST /as/token.oauth2 HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\ngrant_type="
    );
    let res = grant_http::testing::send_stalled_body(addr, request).await;
    assert_eq!(res.status, 408);
    assert_eq!(res.header("connection"), Some("close"));
}
