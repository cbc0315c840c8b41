//! Tenants, Users and Roles: reads, isolation between tenants, unknown routes and methods.

use grant_core::model::*;
use reqwest::Method;
use serde_json::json;

use crate::common::*;

// ---------------------------------------------------------------- Users, Roles

#[tokio::test]
async fn users_and_roles_reads() {
    let e = env().await;
    let r = e
        .get(&format!("/api/v1/Tenants/{T}/Roles"), &e.member)
        .await;
    assert_eq!(r.header("total-count"), Some("5"));
    insta::assert_json_snapshot!("roles", r.json());
    let r = e
        .get(&format!("/api/v1/Tenants/{T}/Users?count=1"), &e.member)
        .await;
    assert_eq!(r.header("total-count"), Some("2"));
    insta::assert_json_snapshot!("users_page", r.json());
    let r = e
        .get(
            &format!("/api/v1/Tenants/{T}/Users/{}", BOB.to_uppercase()),
            &e.member,
        )
        .await;
    assert_eq!((r.status, r.json()["Id"].clone()), (200, json!(BOB)));
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let e = clients_env().await;
    grant(
        &e.srv,
        U,
        CAROL_U,
        "3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59",
        GrantType::AuthorizationCode,
    );
    // A token is valid only for its own tenant.
    let forbidden = |r: Resp| {
        r.assert_error(
            403,
            "Forbidden.",
            "The caller does not have the required role for this operation.",
            "Use a client or user with a role allowed to perform this operation.",
        )
    };
    forbidden(
        e.get(
            &format!("/api/v1/Tenants/{U}/AuthorizationCodeClients"),
            &e.admin,
        )
        .await,
    );
    forbidden(
        e.get(
            &format!("/api/v1/Tenants/{U}/Users/{CAROL_U}/PersistedGrants"),
            &e.admin,
        )
        .await,
    );
    forbidden(e.get(&accs(""), &e.other_admin).await);
    // Through its own tenant, the other tenant's objects do not exist.
    let r = e
        .get(
            &format!("/api/v1/Tenants/{T}/Users/{CAROL_U}/PersistedGrants"),
            &e.admin,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = e
        .get(&accs("/3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59"), &e.admin)
        .await;
    assert_eq!(r.status, 404);
    let r = e
        .get(
            &format!("/api/v1/Tenants/{U}/AuthorizationCodeClients"),
            &e.other_admin,
        )
        .await;
    assert_eq!((r.status, r.header("total-count")), (200, Some("1")));
    let r = e
        .get(
            &format!("/api/v1/Tenants/{U}/Users/{CAROL_U}/PersistedGrants"),
            &e.other_admin,
        )
        .await;
    assert_eq!(r.json(), json!(["3f1c2a9e-5b7d-4c1a-9e2f-0a1b2c3d4e59"]));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_error_responses() {
    let e = env().await;
    e.get(&format!("/api/v1/Tenants/{T}/Nope"), &e.admin)
        .await
        .assert_error(
            404,
            "Not found.",
            "The requested resource does not exist.",
            "Check the URL and try again.",
        );
    let r = e.call(Method::PATCH, &accs(""), Some(&e.admin), None).await;
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET, HEAD, POST"))
    );
}
