//! Revocation: consent revoked through the User Grants API, the revoke endpoint, and
//! disabling the client.

use super::*;

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
