//! The consent page: one User Grant per scope, not asked again.

use super::*;

#[tokio::test]
async fn consent_page_makes_one_user_grant_per_scope_and_is_not_asked_again() {
    let a = authz();
    let session = a.session().await;
    let path = authorize_path(
        "/oauth2/default",
        WEB,
        "openid profile email offline_access",
        &[],
    );
    let (s, h, page) = a.get(&path, &session).await;
    assert_eq!(s, 200);
    for scope in ["profile", "email", "offline_access"] {
        assert!(
            page.contains(&format!("<li class=\"scope-item\" data-scope=\"{scope}\">")),
            "{scope}"
        );
    }
    assert!(!page.contains("data-scope=\"openid\""));
    assert!(page.contains("id=\"consent-allow\"") && page.contains("id=\"consent-deny\""));
    // Denied: access_denied, no grant.
    let (s, p) = a.consent(&page, &h, &session, "deny").await;
    assert_eq!(s, 302);
    assert_eq!(param(&p, "error"), Some("access_denied"));
    assert_eq!(param(&p, "state"), Some("state-1"));
    let (_, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(grants, json!([]));
    // Allowed: a code, and three grants the User Grants API lists at once.
    let (s, p) = a.consent(&page, &h, &session, "allow").await;
    assert_eq!(s, 302);
    assert!(param(&p, "code").is_some());
    let (s, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(s, 200);
    let mut scopes: Vec<&str> = grants
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["scopeId"].as_str().unwrap())
        .collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["email", "offline_access", "profile"]);
    let issuer = format!("{}/oauth2/default", a.o.srv.base_url);
    for g in grants.as_array().unwrap() {
        assert_eq!(g["source"], "END_USER");
        assert_eq!(g["status"], "ACTIVE");
        assert_eq!(g["createdBy"], json!({"id": ALICE, "type": "User"}));
        assert_eq!(g["clientId"], WEB);
        assert_eq!(g["userId"], ALICE);
        assert_eq!(g["issuer"], json!(issuer));
    }
    // Consented already: straight to a code; `prompt=consent` asks again, and a new scope
    // is asked alone.
    let (s, _, _) = a.get(&path, &session).await;
    assert_eq!(s, 302);
    let (s, _, page) = a
        .get(
            &authorize_path(
                "/oauth2/default",
                WEB,
                "openid profile",
                &[("prompt", "consent")],
            ),
            &session,
        )
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("data-scope=\"profile\""));
    let (s, _, page) = a
        .get(
            &authorize_path("/oauth2/default", WEB, "openid profile phone", &[]),
            &session,
        )
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("data-scope=\"phone\"") && !page.contains("data-scope=\"profile\""));
    // The org server has no consent: a code at once, and no grant.
    let (s, h, _) = a
        .get(
            &authorize_path("/oauth2", WEB, "openid address", &[]),
            &session,
        )
        .await;
    assert_eq!(s, 302);
    assert!(param(&redirect_params(&h), "code").is_some());
    let (_, _, grants) = get(&a.o, &format!("/api/v1/users/{ALICE}/grants")).await;
    assert_eq!(grants.as_array().unwrap().len(), 3);
}
