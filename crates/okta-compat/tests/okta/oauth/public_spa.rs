//! The public SPA: PKCE, CORS and `okta_post_message`.

use super::*;

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
