//! `/token`: code exchange, refusals in Okta's words, refresh with rotation, and replay of a
//! rotated refresh token.

use super::*;

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
