//! Discovery documents and the signing keys (JWKS, rotation).

use super::*;

#[tokio::test]
async fn discovery_documents_name_each_servers_issuer_and_endpoints() {
    let a = authz();
    let base = a.o.srv.base_url.clone();
    for (path, issuer, endpoints) in [
        (
            "/.well-known/openid-configuration",
            base.clone(),
            format!("{base}/oauth2/v1"),
        ),
        (
            "/.well-known/oauth-authorization-server",
            base.clone(),
            format!("{base}/oauth2/v1"),
        ),
        (
            "/oauth2/default/.well-known/openid-configuration",
            format!("{base}/oauth2/default"),
            format!("{base}/oauth2/default/v1"),
        ),
        (
            "/.well-known/oauth-authorization-server/oauth2/default",
            format!("{base}/oauth2/default"),
            format!("{base}/oauth2/default/v1"),
        ),
    ] {
        let (s, _, body) = a.get(path, "").await;
        assert_eq!(s, 200, "{path}");
        let d: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(d["issuer"], json!(issuer), "{path}");
        for (key, tail) in [
            ("authorization_endpoint", "authorize"),
            ("token_endpoint", "token"),
            ("jwks_uri", "keys"),
            ("introspection_endpoint", "introspect"),
            ("revocation_endpoint", "revoke"),
            ("userinfo_endpoint", "userinfo"),
            ("end_session_endpoint", "logout"),
        ] {
            assert_eq!(d[key], json!(format!("{endpoints}/{tail}")), "{path} {key}");
        }
        assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
        assert_eq!(
            d["response_modes_supported"],
            json!(["query", "fragment", "form_post", "okta_post_message"])
        );
    }
    let (s, _, body) = a
        .get(
            "/oauth2/ausNoSuchServer0001/.well-known/openid-configuration",
            "",
        )
        .await;
    assert_eq!(s, 404);
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000007",
        "Not found: Resource not found: ausNoSuchServer0001 (AuthorizationServer)",
        json!([]),
    );
}

#[tokio::test]
async fn keys_are_rs256_jwks_and_rotation_keeps_the_old_key_published() {
    let a = authz();
    let (s, h, body) = a.get("/oauth2/default/v1/keys", "").await;
    assert_eq!(s, 200);
    assert_eq!(h["cache-control"], "max-age=3600, must-revalidate");
    let keys: Value = serde_json::from_str(&body).unwrap();
    let first = keys["keys"][0].clone();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            first["kty"].clone(),
            first["alg"].clone(),
            first["use"].clone(),
            first["e"].clone()
        ),
        (json!("RSA"), json!("RS256"), json!("sig"), json!("AQAB"))
    );
    assert_eq!(first["kid"].as_str().unwrap().len(), 43);
    // Signed before the rotation, verified after it.
    let before = a.tokens("openid profile").await;
    assert_eq!(
        header_of(before["access_token"].as_str().unwrap())["kid"],
        first["kid"]
    );
    let rotated =
        signing::rotate_keys(&mut a.o.srv.conn(), a.o.srv.tenant(), "default", "test").unwrap();
    a.o.srv
        .state
        .vendor
        .signer
        .forget(a.o.srv.tenant(), "default");
    let (_, _, body) = a.get("/oauth2/default/v1/keys", "").await;
    let kids: Vec<Value> = serde_json::from_str::<Value>(&body).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(kids, vec![json!(rotated.kid), first["kid"].clone()]);
    assert_eq!(
        a.introspect("/oauth2/default", before["access_token"].as_str().unwrap())
            .await["active"],
        json!(true)
    );
    let after = a.tokens("openid profile").await;
    assert_eq!(
        header_of(after["access_token"].as_str().unwrap())["kid"],
        json!(rotated.kid)
    );
    // The org server has keys of its own.
    let (_, _, body) = a.get("/oauth2/v1/keys", "").await;
    let org_kid = serde_json::from_str::<Value>(&body).unwrap()["keys"][0]["kid"].clone();
    assert!(org_kid != first["kid"] && org_kid != json!(rotated.kid));
}
