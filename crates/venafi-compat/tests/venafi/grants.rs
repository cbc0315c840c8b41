//! GetGrants, EnumerateGrants, GrantCount and RevokeGrants: the seed's bytes, who sees which
//! grants, and revocation by grantee and by application.

use grant_core::model::*;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn get_grants_matches_the_seed_sample_byte_for_byte() {
    let o = tpp();
    let sample = sample_with_future_expiry();
    o.import_sample(&sample);
    let admin = o.token("admin", "admin").await;
    for path in [
        "/vedsdk/OAuth/GetGrants",
        "/vedsdk/oauth/getgrants",
        "/VEDSDK/OAUTH/GETGRANTS/",
    ] {
        let (status, h, body) = o
            .post(
                path,
                Some(&admin),
                json!({"GranteePrefixedUniversal": ALICE.to_uppercase(), "Unknown": 1}),
            )
            .await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_json_headers(&h);
        assert_eq!(body, sample, "{path}");
    }
    // Filter by application; an unknown application is Result 2.
    let (_, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE, "ApplicationId": "VenafiMMCCodeSigning"}),
        )
        .await;
    assert_eq!(body, sample);
    let (status, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE, "ApplicationId": "nope"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"Grants":[],"Result":2,"Success":false}"#);
    // Unknown grantee: no grants, success.
    let (_, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": "local:{00000000-0000-0000-0000-000000000000}"}),
        )
        .await;
    assert_eq!(body, r#"{"Grants":[],"Result":0,"Success":true}"#);
}

#[test]
fn grant_projection_of_the_seed_sample_is_exact() {
    let items = venafi_compat::import::parse_file(SEED_SAMPLE)
        .unwrap()
        .grants;
    let g = &items[0].grant;
    let grant = Grant {
        id: "x".into(),
        tenant_id: "t".into(),
        user_id: "u".into(),
        client_id: items[0].client_id.clone(),
        grant_type: GrantType::Password,
        status: GrantStatus::Active,
        source: GrantSource::EndUser,
        issuer: String::new(),
        scopes: g.scopes.clone(),
        attributes: vec![],
        created_at: g.created_at.unwrap(),
        updated_at: g.created_at.unwrap(),
        expires_at: g.expires_at,
        access_issued_at: g.access_issued_at,
        valid_for: g.valid_for,
        created_by: None,
        revoked_at: None,
        revoked_by: None,
    };
    let body = venafi_compat::json::GrantsResponse {
        Grants: vec![venafi_compat::json::GrantWire::new(&grant, ALICE)],
        Result: 0,
        Success: true,
    };
    assert_eq!(serde_json::to_string(&body).unwrap(), SEED_SAMPLE);
}

#[tokio::test]
async fn grants_are_never_visible_to_another_identity_without_a_role() {
    let o = tpp();
    o.token("bob", "certificate").await;
    let alice_admin_scope = o.login("alice", OTHER_APP, "admin").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Alice reads her own grants...
    let v = grants_of(&o, &alice_admin_scope, ALICE).await;
    assert_eq!(v["Grants"].as_array().unwrap().len(), 1);
    // ...but not Bob's, whatever the scope.
    for path in [
        "/vedsdk/oauth/getgrants",
        "/vedsdk/oauth/enumerategrants",
        "/vedsdk/oauth/revokegrants",
    ] {
        let (s, _, b) = o
            .post(
                path,
                Some(&alice_admin_scope),
                json!({"GranteePrefixedUniversal": BOB}),
            )
            .await;
        assert_error(
            s,
            &b,
            401,
            "insufficient_rights",
            "The underlying user account does not have sufficient permissions for this request",
        );
    }
    let (s, _, _) = o
        .post(
            "/vedsdk/oauth/grantcount",
            Some(&alice_admin_scope),
            json!({"ApplicationId": APP}),
        )
        .await;
    assert_eq!(s, 401);
    // An Auditor reads anyone's grants but cannot revoke them.
    let auditor = o.token("auditor", "admin").await;
    assert_eq!(
        grants_of(&o, &auditor, BOB).await["Grants"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&auditor),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_eq!(s, 401, "{b}");
    // Without the admin scope: 403 naming the token's scope.
    let cert = o.token("admin", "certificate:manage,revoke").await;
    let (s, h, b) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&cert),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_json_headers(&h);
    assert_error(
        s,
        &b,
        403,
        "insufficient_scope",
        "Grant rejected scope 'certificate:manage,revoke'.",
    );
}

#[tokio::test]
async fn enumerate_grants_and_grant_count() {
    let o = tpp();
    o.token("alice", "certificate").await;
    o.token("bob", "certificate").await;
    o.login("bob", OTHER_APP, "ssh").await;
    let admin = o.token("admin", "admin").await;
    let (s, h, b) = o
        .post(
            "/vedsdk/OAuth/GrantCount",
            Some(&admin),
            json!({"ApplicationId": APP}),
        )
        .await;
    assert_json_headers(&h);
    assert_eq!(
        (s, b.as_str()),
        (200, r#"{"Count":3,"Result":0,"Success":true}"#)
    );
    let (_, _, b) = o
        .post(
            "/vedsdk/oauth/grantcount",
            Some(&admin),
            json!({"ApplicationId": "ghost"}),
        )
        .await;
    assert_eq!(b, r#"{"Count":0,"Result":2,"Success":false}"#);
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"ApplicationId": APP}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let v = json_of(&b);
    let who: Vec<&str> = v["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["GranteePrefixedUniversal"].as_str().unwrap())
        .collect();
    assert_eq!(who, [ALICE, BOB, ADMIN], "oldest grant first");
    assert_eq!(
        (v["Result"].clone(), v["Success"].clone()),
        (json!(0), json!(true))
    );
    let (_, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"ApplicationId": APP, "Start": "1", "Count": 1, "OrderBy": "x", "ResolveIdentities": true}),
        )
        .await;
    let v = json_of(&b);
    assert_eq!(v["Grants"].as_array().unwrap().len(), 1);
    assert_eq!(v["Grants"][0]["GranteePrefixedUniversal"], BOB);
    let (_, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    let v = json_of(&b);
    let apps: Vec<&str> = v["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["Application"].as_str().unwrap())
        .collect();
    assert_eq!(apps, [APP, OTHER_APP]);
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/enumerategrants",
            Some(&admin),
            json!({"ApplicationId": APP, "Start": -1}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "Start and Count must be non-negative integers",
    );
    assert_eq!(
        v["Grants"][1]["Scope"],
        json!({"ScopeList": [{"RestrictionList": [], "Scope": "ssh"}]})
    );
}

#[tokio::test]
async fn revoke_grants_by_grantee_and_by_application() {
    let o = tpp();
    let alice_app = o.token("alice", "certificate:manage").await;
    let alice_other = o.login("alice", OTHER_APP, "certificate:manage").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_app = o.token("bob", "certificate").await;
    let admin = o.token("admin", "admin:delete").await;
    assert_eq!(
        grants_of(&o, &admin, ALICE).await["Grants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // By application: only that application's grants go, with their tokens.
    let (s, h, b) = o
        .post(
            "/vedsdk/OAuth/RevokeGrants",
            Some(&admin),
            json!({"ApplicationId": OTHER_APP}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_json_headers(&h);
    assert_eq!(b, r#"{"Result":0,"Success":true}"#);
    let (s, _, _) = o.get("/vedauth/authorize/verify", Some(&alice_other)).await;
    assert_eq!(s, 401);
    let (s, _, _) = o.get("/vedauth/authorize/verify", Some(&alice_app)).await;
    assert_eq!(s, 200);
    let v = grants_of(&o, &admin, ALICE).await;
    assert_eq!(v["Grants"].as_array().unwrap().len(), 1);
    assert_eq!(v["Grants"][0]["Application"], APP);

    // By grantee (case-insensitive universal).
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE.to_uppercase()}),
        )
        .await;
    assert_eq!((s, b.as_str()), (200, r#"{"Result":0,"Success":true}"#));
    let (s, _, b) = o.get("/vedauth/authorize/verify", Some(&alice_app)).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    assert_eq!(grants_of(&o, &admin, ALICE).await["Grants"], json!([]));
    // Bob is untouched.
    let (s, _, _) = o.get("/vedauth/authorize/verify", Some(&bob_app)).await;
    assert_eq!(s, 200);

    // Logical failures: 200 with a non-zero Result; a malformed request is 400.
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&admin),
            json!({"ApplicationId": "ghost"}),
        )
        .await;
    assert_eq!((s, b.as_str()), (200, r#"{"Result":2,"Success":false}"#));
    let (s, _, b) = o
        .post("/vedsdk/oauth/revokegrants", Some(&admin), json!({}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "GranteePrefixedUniversal or ApplicationId is required",
    );

    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    let revoked: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "grants.revoked")
        .collect();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().all(|e| e.actor == ADMIN));
    assert_eq!(revoked[0].affected, 1);
    assert!(revoked[0].detail["client_id"] == OTHER_APP);
}

#[tokio::test]
async fn strict_revoke_scope_needs_admin_delete() {
    let mut cfg = config();
    cfg.vendor.strict_revoke_scope = true;
    let o = tpp_with(cfg, true);
    let bare = o.login("admin", OTHER_APP, "admin").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&bare),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_error(
        s,
        &b,
        403,
        "insufficient_scope",
        "Grant rejected scope 'admin'.",
    );
    let delete = o.token("admin", "admin:delete").await;
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&delete),
            json!({"GranteePrefixedUniversal": BOB}),
        )
        .await;
    assert_eq!((s, b.as_str()), (200, r#"{"Result":0,"Success":true}"#));
}
