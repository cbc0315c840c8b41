//! `/userinfo`: claims released by scope.

use super::*;

#[tokio::test]
async fn userinfo_releases_claims_by_scope() {
    let a = authz();
    let t = a.tokens("openid email").await;
    let res = a
        .http
        .get(a.url("/oauth2/default/v1/userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"sub": ALICE, "email": "alice", "email_verified": true})
    );
    let res = a
        .http
        .get(a.url("/oauth2/default/v1/userinfo"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\", error_description=\"The access token is invalid\""
    );
    let t = a.tokens("profile").await;
    let res = a
        .http
        .get(a.url("/oauth2/default/v1/userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
