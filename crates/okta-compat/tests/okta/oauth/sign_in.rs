//! Signing in: `/api/v1/authn` session tokens, the hosted sign-in page behind CSRF, and
//! logout.

use super::*;

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
