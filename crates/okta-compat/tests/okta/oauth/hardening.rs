//! Credentials of another face, client or purpose, and request bodies slower than the
//! deadline.

use super::*;

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
