//! ClientCredentialClients and their Secrets.

use ocs_compat::json::{TENANT_ADMINISTRATOR, TENANT_MEMBER, TENANT_VIEWER};
use reqwest::Method;
use serde_json::json;

use crate::common::*;
use grant_http::testing::snapshot;

/// A client secret as the gateway makes them: 44 letters and digits.
fn is_secret(s: &str) -> bool {
    s.len() == 44 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

// ---------------------------------------------------------------- ClientCredentialClients, Secrets

#[tokio::test]
async fn ccc_create_returns_a_secret_that_gets_a_token() {
    let e = env().await;
    let base = format!("/api/v1/Tenants/{T}/ClientCredentialClients");
    let r = e
        .call(Method::POST, &base, Some(&e.admin), Some(json!({"Id": null, "Name": "svc", "RoleIds": [TENANT_VIEWER], "AccessTokenLifetime": 900, "SecretDescription": "first"})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let body = r.json();
    let id = body["Client"]["Id"].as_str().unwrap().to_owned();
    let secret = body["Secret"].as_str().unwrap().to_owned();
    insta::assert_json_snapshot!("created", body, {
        ".Secret" => snapshot::shape("secret", is_secret),
        ".Client.Id" => snapshot::shape("uuid", snapshot::is_uuid),
    });
    let t = e
        .token_request(&[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (t.status, t.json()["expires_in"].clone()),
        (200, json!(900))
    );
    let token = t.json()["access_token"].as_str().unwrap().to_owned();
    // Self may read itself; a member may read clients; only admins write.
    let r = e.get(&format!("{base}/{id}"), &token).await;
    assert_eq!(r.json()["RoleIds"], json!([TENANT_MEMBER, TENANT_VIEWER]));
    let r = e.get(&base, &e.member).await;
    assert_eq!((r.status, r.header("total-count")), (200, Some("4")));
    let r = e
        .call(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&e.admin),
            Some(json!({"RoleIds": ["Tenant Administrator"], "Name": null})),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.json()["RoleIds"].clone(),
            r.json()["Name"].clone()
        ),
        (
            200,
            json!([TENANT_MEMBER, TENANT_ADMINISTRATOR]),
            json!("svc")
        )
    );

    // Secrets.
    let secrets = format!("{base}/{id}/Secrets");
    let r = e.get(&secrets, &e.admin).await;
    assert_eq!(
        (r.status, r.json(), r.header("total-count")),
        (
            200,
            json!([{"Id": 1, "Description": "first", "Expiration": null, "Expires": false}]),
            Some("1")
        )
    );
    e.call(
        Method::POST,
        &secrets,
        Some(&e.admin),
        Some(json!({"Description": "x"})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Expiration: is required when Expires is true or not set",
        "Correct the request and try again.",
    );
    e.call(
        Method::POST,
        &secrets,
        Some(&e.admin),
        Some(json!({"Expires": false, "Expiration": "2030-01-01T00:00:00Z"})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Expiration: must not be set when Expires is false",
        "Correct the request and try again.",
    );
    let r = e
        .call(
            Method::POST,
            &secrets,
            Some(&e.admin),
            Some(json!({"Description": "second", "Expiration": "2030-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let second = r.json()["Secret"].as_str().unwrap().to_owned();
    insta::assert_json_snapshot!("second_secret", r.json(), {".Secret" => snapshot::shape("secret", is_secret)});
    let r = e
        .call(
            Method::PUT,
            &format!("{secrets}/2"),
            Some(&e.admin),
            Some(json!({"Description": "renamed"})),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"Id": 2, "Description": "renamed", "Expiration": "2030-01-01T00:00:00Z", "Expires": true})
    );
    e.call(
        Method::DELETE,
        &format!("{secrets}/1"),
        Some(&e.admin),
        None,
    )
    .await
    .assert_empty(204);
    let r = e
        .token_request(&[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "invalid_client"}))
    );
    let r = e
        .token_request(&[
            ("client_id", &id),
            ("client_secret", &second),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(r.status, 200);
    e.get(&format!("{secrets}/1"), &e.admin).await.assert_error(
        404,
        "Secret not found.",
        "Secret with Id '1' was not found.",
        "Check the identifier and try again.",
    );
    for _ in 0..9 {
        let r = e
            .call(
                Method::POST,
                &secrets,
                Some(&e.admin),
                Some(json!({"Expires": false})),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    e.call(
        Method::POST,
        &secrets,
        Some(&e.admin),
        Some(json!({"Expires": false})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Secret: a client may have at most 10 secrets",
        "Correct the request and try again.",
    );
    assert_eq!(e.get(&secrets, &e.member).await.status, 403);
}
