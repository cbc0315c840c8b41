//! The token service: discovery, client-credentials tokens and their errors, and which bearer
//! tokens the API accepts.

use chrono::{Duration, Utc};
use grant_core::model::*;
use ocs_compat::json::TENANT_ADMINISTRATOR;
use reqwest::Method;
use serde_json::json;

use crate::common::*;
use grant_core::testing::fixture::credential;
use grant_http::testing::snapshot;

// ---------------------------------------------------------------- token service

#[tokio::test]
async fn discovery_names_our_own_authority_and_a_signing_key_per_tenant() {
    let e = env().await;
    let r = e
        .call(
            Method::GET,
            "/Identity/.well-known/OpenID-Configuration",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    // The whole document, this server's URLs written `[base]`.
    insta::assert_json_snapshot!(snapshot::rebase(&r.text, &e.srv.base_url));
    let jwks = e
        .call(
            Method::GET,
            "/identity/.well-known/openid-configuration/jwks",
            None,
            None,
        )
        .await;
    // One RS256 key per tenant (two here), published before any token is signed.
    assert_eq!(jwks.status, 200);
    let keys = jwks.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2, "{}", jwks.text);
    for k in keys {
        assert_eq!(
            (k["kty"].clone(), k["alg"].clone(), k["use"].clone()),
            (json!("RSA"), json!("RS256"), json!("sig"))
        );
    }
}

#[tokio::test]
async fn token_client_credentials_returns_identityserver_shape_with_client_lifetime() {
    let e = env().await;
    let r = e
        .token_request(&[
            ("client_id", &MEMBER_CLIENT.to_uppercase()),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("cache-control"),
        Some("no-store, no-cache, max-age=0")
    );
    let body = r.json();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 40 && token.chars().all(|c| c.is_ascii_alphanumeric()));
    insta::assert_json_snapshot!(body, {".access_token" => snapshot::shape("access_token", |t| {
        t.len() >= 40 && t.chars().all(|c| c.is_ascii_alphanumeric())
    })});
    // The token works, for its own tenant.
    let ok = e.get(&accs(""), &token).await;
    assert_eq!(ok.status, 200);
    // client_secret_basic works too.
    let res = e
        .srv
        .client
        .post(e.srv.url("/identity/connect/token"))
        .basic_auth(ADMIN_CLIENT, Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let r = to_resp(res).await;
    assert_eq!(
        (r.status, r.json()["expires_in"].clone()),
        (200, json!(3600))
    );
}

#[tokio::test]
async fn token_errors_are_400_with_an_oauth_error_never_401() {
    let e = env().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("client_id", ADMIN_CLIENT),
                ("client_secret", "wrong"),
                ("grant_type", "client_credentials"),
            ],
            "invalid_client",
        ),
        (
            vec![
                ("client_id", SPA1),
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
            ],
            "invalid_client",
        ),
        (
            vec![
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
            ],
            "invalid_client",
        ),
        (
            vec![("client_id", ADMIN_CLIENT), ("client_secret", SECRET)],
            "unsupported_grant_type",
        ),
        (
            vec![
                ("client_id", ADMIN_CLIENT),
                ("client_secret", SECRET),
                ("grant_type", "password"),
            ],
            "unsupported_grant_type",
        ),
    ];
    for (form, error) in cases {
        let r = e.token_request(&form).await;
        assert_eq!(
            (r.status, r.json()),
            (400, json!({"error": error})),
            "{form:?}"
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    // Not a form POST: invalid_request.
    let r = e
        .call(Method::GET, "/identity/connect/token", None, None)
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_request"}))
    );
    let r = e
        .call(
            Method::POST,
            "/identity/connect/token",
            None,
            Some(json!({"client_id": ADMIN_CLIENT})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_request"}))
    );
}

#[tokio::test]
async fn api_without_valid_token_is_401_without_body() {
    let e = env().await;
    let expired = direct_token(
        &e.srv,
        T,
        None,
        &[TENANT_ADMINISTRATOR],
        Some(Utc::now() - Duration::seconds(1)),
    );
    for auth in [None, Some("garbage"), Some(expired.as_str())] {
        let r = e.call(Method::GET, &accs(""), auth, None).await;
        r.assert_empty(401);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
    let r = e.call(Method::HEAD, &accs(""), Some("garbage"), None).await;
    r.assert_empty(401);
}

#[tokio::test]
async fn deleted_or_disabled_clients_tokens_are_refused() {
    let e = env().await;
    let r = e.get(&accs(""), &e.member).await;
    assert_eq!(r.status, 200);
    let path = format!("/api/v1/Tenants/{T}/ClientCredentialClients/{MEMBER_CLIENT}");
    let r = e.call(Method::DELETE, &path, Some(&e.admin), None).await;
    r.assert_empty(204);
    e.get(&accs(""), &e.member).await.assert_empty(401);
    let r = e
        .token_request(&[
            ("client_id", MEMBER_CLIENT),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_client"}))
    );
    // Disabling: existing tokens stop working, new ones are refused.
    let path = format!("/api/v1/Tenants/{T}/ClientCredentialClients/{VIEWER_CLIENT}");
    let r = e
        .call(
            Method::PUT,
            &path,
            Some(&e.admin),
            Some(json!({"Enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    e.get(&pg(ALICE), &e.viewer).await.assert_empty(401);
    let r = e
        .token_request(&[
            ("client_id", VIEWER_CLIENT),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_client"}))
    );
}

#[tokio::test]
async fn tokens_and_secrets_not_made_for_ocs_are_refused() {
    let e = env().await;
    let mk = |faces: &[&str]| {
        credential(CredentialKind::BearerToken)
            .scopes(&["ocsapi"])
            .roles(&[TENANT_ADMINISTRATOR])
            .faces(faces)
            .issue(&mut e.srv.conn(), T)
    };
    let okta_only = mk(&["okta"]);
    let r = e.get(&accs(""), &okta_only).await;
    r.assert_empty(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(e.get(&accs(""), &mk(&["ocs"])).await.status, 200);
    // A client secret made for another gateway gets no token.
    credential(CredentialKind::ClientSecret)
        .name(&format!("{ADMIN_CLIENT}/2/okta"))
        .client(ADMIN_CLIENT)
        .faces(&["okta"])
        .issue_secret(&mut e.srv.conn(), T, "not-for-ocs");
    let r = e
        .token_request(&[
            ("client_id", ADMIN_CLIENT),
            ("client_secret", "not-for-ocs"),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"error": "invalid_client"}));
}
