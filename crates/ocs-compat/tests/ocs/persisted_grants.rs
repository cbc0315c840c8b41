//! PersistedGrants: list, count (HEAD, Total-Count), remove; errors and roles.

use grant_core::model::*;
use grant_http::GatewayConfig;
use ocs_compat::OcsConfig;
use reqwest::Method;
use serde_json::json;

use crate::common::*;

// ---------------------------------------------------------------- PersistedGrants

async fn grants_env(cfg: GatewayConfig<OcsConfig>) -> Env {
    let e = env_with(cfg).await;
    for (id, off) in [(SPA1, 1), (SPA2, 2), (SPA3, 3)] {
        acc(&e.srv, T, id, &[], off);
    }
    grant(&e.srv, T, ALICE, SPA2, GrantType::AuthorizationCode);
    grant(&e.srv, T, ALICE, SPA1, GrantType::AuthorizationCode);
    grant(&e.srv, T, ALICE, SPA1, GrantType::AuthorizationCode);
    grant(&e.srv, T, ALICE, SPA3, GrantType::RefreshToken);
    grant(&e.srv, T, BOB, SPA3, GrantType::AuthorizationCode);
    e
}

#[tokio::test]
async fn persisted_grants_list_count_and_remove_authorization_codes() {
    let e = grants_env(GatewayConfig::default()).await;
    let r = e.get(&pg(ALICE), &e.member).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!([SPA1, SPA2]));
    assert_eq!(r.header("total-count"), Some("2"));
    // Upper-case and braced GUIDs name the same user; path literals in any case.
    let path = format!(
        "/API/V1/tenants/{}/users/{{{}}}/persistedgrants",
        T.to_uppercase(),
        ALICE.to_uppercase()
    );
    let r = e.get(&path, &e.member).await;
    assert_eq!((r.status, r.json()), (200, json!([SPA1, SPA2])));
    let r = e
        .call(Method::HEAD, &pg(ALICE), Some(&e.member), None)
        .await;
    r.assert_empty(200);
    assert_eq!(r.header("total-count"), Some("2"));
    let r = e
        .call(Method::DELETE, &pg(ALICE), Some(&e.member), None)
        .await;
    r.assert_empty(204);
    let r = e.get(&pg(ALICE), &e.member).await;
    assert_eq!((r.status, r.json()), (200, json!([])));
    let r = e
        .call(Method::HEAD, &pg(ALICE), Some(&e.member), None)
        .await;
    assert_eq!(r.header("total-count"), Some("0"));
    // Bob's grant is untouched; a user with nothing left still answers 204.
    assert_eq!(e.get(&pg(BOB), &e.admin).await.json(), json!([SPA3]));
    e.call(Method::DELETE, &pg(ALICE), Some(&e.member), None)
        .await
        .assert_empty(204);
}

#[tokio::test]
async fn persisted_grants_can_include_refresh_tokens() {
    let mut cfg = GatewayConfig::<OcsConfig>::default();
    cfg.vendor.persisted_grant_types = vec!["authorization_code".into(), "refresh_token".into()];
    let e = grants_env(cfg).await;
    let r = e.get(&pg(ALICE), &e.member).await;
    assert_eq!(r.json(), json!([SPA1, SPA2, SPA3]));
    e.call(Method::DELETE, &pg(ALICE), Some(&e.member), None)
        .await
        .assert_empty(204);
    assert_eq!(e.get(&pg(ALICE), &e.member).await.json(), json!([]));
}

#[tokio::test]
async fn persisted_grants_errors_and_roles() {
    let e = grants_env(GatewayConfig::default()).await;
    let unknown = "00000000-0000-4000-8000-00000000dead";
    e.get(&pg(unknown), &e.admin).await.assert_error(
        404,
        "User not found.",
        &format!("User with Id '{unknown}' was not found."),
        "Check the identifier and try again.",
    );
    e.call(Method::HEAD, &pg(unknown), Some(&e.admin), None)
        .await
        .assert_empty(404);
    e.call(Method::DELETE, &pg(unknown), Some(&e.admin), None)
        .await
        .assert_error(
            404,
            "User not found.",
            &format!("User with Id '{unknown}' was not found."),
            "Check the identifier and try again.",
        );
    e.get(&pg("not-a-guid"), &e.admin).await.assert_error(
        400,
        "The request is not valid.",
        "userId: 'not-a-guid' is not a valid GUID",
        "Correct the request and try again.",
    );
    let forbidden = |r: Resp| {
        r.assert_error(
            403,
            "Forbidden.",
            "The caller does not have the required role for this operation.",
            "Use a client or user with a role allowed to perform this operation.",
        )
    };
    forbidden(e.get(&pg(ALICE), &e.viewer).await);
    forbidden(
        e.call(Method::DELETE, &pg(ALICE), Some(&e.viewer), None)
            .await,
    );
    e.call(Method::HEAD, &pg(ALICE), Some(&e.viewer), None)
        .await
        .assert_empty(403);
    // Self: a user token without roles reaches its own grants only.
    let bob = direct_token(&e.srv, T, Some(BOB), &[], None);
    assert_eq!(e.get(&pg(BOB), &bob).await.json(), json!([SPA3]));
    forbidden(e.get(&pg(ALICE), &bob).await);
    e.call(Method::DELETE, &pg(BOB), Some(&bob), None)
        .await
        .assert_empty(204);
    // 405 with Allow.
    let r = e
        .call(Method::POST, &pg(ALICE), Some(&e.admin), Some(json!({})))
        .await;
    r.assert_error(
        405,
        "Method not allowed.",
        "The method POST is not supported on this resource.",
        "Use one of the methods in the Allow header.",
    );
    assert_eq!(r.header("allow"), Some("GET, HEAD, DELETE"));
}
