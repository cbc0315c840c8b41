//! `/authorize` refusals: on a page or by redirect, expired codes, scopes the app may not
//! ask for, and consent forms without their CSRF token.

use super::*;

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
