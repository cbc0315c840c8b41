//! Authentication (SSWS API tokens, Bearer access tokens) and what each caller may do.

use grant_core::model::*;
use serde_json::json;

use crate::common::*;
use grant_core::testing::fixture::credential;

#[tokio::test]
async fn authentication_and_authorization_errors_are_okta_errors() {
    let o = org();
    let path = "/api/v1/users/00ualice000000000001/grants";
    let (s, h, body) = send(&o, reqwest::Method::GET, path, None).await;
    assert_eq!(s, 403);
    assert_okta_headers(&h, true);
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000005",
        "Invalid session",
        json!([]),
    );

    for bad in ["SSWS 00nope", "SSWS", "Basic YWxpY2U6eA==", "Bearer nope"] {
        let (s, _, body) = send(&o, reqwest::Method::GET, path, Some(bad)).await;
        assert_eq!(s, 401, "{bad}");
        assert_error(
            &serde_json::from_str(&body).unwrap(),
            "E0000011",
            "Invalid token provided",
            json!([]),
        );
    }
    // The Python SDK sends no space after the scheme.
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("SSWS{}", o.admin)),
    )
    .await;
    assert_eq!(s, 200);
    // An API token presented as a Bearer token is not valid.
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("Bearer {}", o.admin)),
    )
    .await;
    assert_eq!(s, 401);

    let read_only = token(
        &o.srv,
        CredentialKind::ApiToken,
        &[],
        &["READ_ONLY_ADMIN"],
        None,
    );
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("SSWS {read_only}")),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, body) = send(
        &o,
        reqwest::Method::DELETE,
        path,
        Some(&format!("SSWS {read_only}")),
    )
    .await;
    assert_eq!(s, 403);
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000006",
        "You do not have permission to perform the requested action",
        json!([]),
    );

    // Alice's own access token (a user without an admin role reaches only their grants).
    let bearer = token(
        &o.srv,
        CredentialKind::BearerToken,
        &["okta.users.read"],
        &[],
        Some(&o.alice),
    );
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("Bearer{bearer}")),
    )
    .await;
    assert_eq!(s, 200);
    let (s, h, body) = send(
        &o,
        reqwest::Method::DELETE,
        path,
        Some(&format!("Bearer {bearer}")),
    )
    .await;
    assert_eq!(s, 403);
    let base = &o.srv.base_url;
    assert_eq!(
        h["www-authenticate"].to_str().unwrap(),
        format!(
            "Bearer authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", scope=\"okta.users.manage\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", resource=\"{path}\""
        )
    );
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000006",
        "You do not have permission to perform the requested action",
        json!([]),
    );

    // `me` with a credential that acts as no user: not found.
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        "/api/v1/users/me/grants",
        Some(&format!("SSWS {read_only}")),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn bearer_token_of_a_user_without_admin_role_reaches_only_own_grants() {
    let o = org();
    let a = add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oagalice0000000000a1",
        "2024-01-01T00:00:00Z",
    );
    let b = add_grant(
        &o,
        &o.bob,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oagbob000000000000b1",
        "2024-01-01T00:00:00Z",
    );
    let bob = token(
        &o.srv,
        CredentialKind::BearerToken,
        &["okta.users.read", "okta.users.manage"],
        &[],
        Some(&o.bob),
    );
    let alice_paths = [
        "/api/v1/users/00ualice000000000001/grants".to_owned(),
        format!("/api/v1/users/00ualice000000000001/grants/{}", a.id),
        "/api/v1/users/00ualice000000000001/clients".to_owned(),
        "/api/v1/users/00ualice000000000001/clients/0oaclient00000000001/grants".to_owned(),
    ];
    for path in &alice_paths {
        let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &bob).await;
        assert_forbidden(s, &body);
    }
    for path in [&alice_paths[0], &alice_paths[1], &alice_paths[3]] {
        let (s, body) = as_bearer(&o, reqwest::Method::DELETE, path, &bob).await;
        assert_forbidden(s, &body);
    }
    // Alice's grant survived.
    let (s, _, _) = get(&o, &alice_paths[1]).await;
    assert_eq!(s, 200);
    // Bob's own grants, by `me` and by his id.
    for path in [
        "/api/v1/users/me/grants",
        "/api/v1/users/00ubob00000000000002/grants",
    ] {
        let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &bob).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(body.as_array().unwrap().len(), 1);
        assert_eq!(body[0]["id"], b.id.as_str());
    }
    let (s, _) = as_bearer(
        &o,
        reqwest::Method::DELETE,
        &format!("/api/v1/users/me/grants/{}", b.id),
        &bob,
    )
    .await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn bearer_token_acts_with_the_admin_roles_of_its_user() {
    let o = org();
    let a = add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oagalice0000000000a1",
        "2024-01-01T00:00:00Z",
    );
    let path = "/api/v1/users/00ualice000000000001/grants";
    let one = format!("{path}/{}", a.id);
    let scopes = ["okta.users.read", "okta.users.manage"];
    let auditor = user_with_roles(&o, "ro", "00uro000000000000003", &["READ_ONLY_ADMIN"]);
    let ro = token(
        &o.srv,
        CredentialKind::BearerToken,
        &scopes,
        &[],
        Some(&auditor),
    );
    let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &ro).await;
    assert_eq!(s, 200);
    assert_eq!(body[0]["id"], a.id.as_str());
    let (s, body) = as_bearer(&o, reqwest::Method::DELETE, &one, &ro).await;
    assert_forbidden(s, &body);

    let admin = user_with_roles(&o, "sa", "00usa000000000000004", &["SUPER_ADMIN"]);
    let sa = token(
        &o.srv,
        CredentialKind::BearerToken,
        &scopes,
        &[],
        Some(&admin),
    );
    let (s, _) = as_bearer(&o, reqwest::Method::DELETE, &one, &sa).await;
    assert_eq!(s, 204);
    let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &sa).await;
    assert_eq!((s, body), (200, json!([])));
}

#[tokio::test]
async fn tokens_not_made_for_okta_are_invalid() {
    let o = org();
    let path = "/api/v1/users/me/grants";
    let mk = |kind: CredentialKind, scopes: &[&str], roles: &[&str], faces: &[&str]| {
        credential(kind)
            .user(&o.alice.id)
            .scopes(scopes)
            .roles(roles)
            .faces(faces)
            .prefix("00")
            .issue(&mut o.srv.conn(), o.srv.tenant())
    };
    let cases = [
        (
            "SSWS",
            mk(CredentialKind::ApiToken, &[], &["SUPER_ADMIN"], &["venafi"]),
        ),
        (
            "Bearer",
            mk(
                CredentialKind::BearerToken,
                &["okta.users.read"],
                &[],
                &["ocs"],
            ),
        ),
        (
            "Bearer",
            mk(
                CredentialKind::BearerToken,
                &["okta.users.read"],
                &[],
                &["pingfed"],
            ),
        ),
    ];
    for (scheme, tok) in &cases {
        let (s, _, body) = send(
            &o,
            reqwest::Method::GET,
            path,
            Some(&format!("{scheme} {tok}")),
        )
        .await;
        assert_eq!(s, 401);
        assert_error(
            &serde_json::from_str(&body).unwrap(),
            "E0000011",
            "Invalid token provided",
            json!([]),
        );
    }
    let ok = mk(
        CredentialKind::BearerToken,
        &["okta.users.read"],
        &[],
        &["okta", "ocs"],
    );
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("Bearer {ok}")),
    )
    .await;
    assert_eq!(s, 200);
}
