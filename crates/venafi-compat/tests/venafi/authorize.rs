//! Logging in (`/vedauth/authorize/oauth`): tokens bound to a grant, OAuth errors, one grant
//! per login, credentials made for other gateways.

use grant_core::model::*;
use grant_core::service::directory;
use serde_json::{Value, json};

use crate::common::*;
use grant_http::testing::snapshot;

/// A TPP token: 24 characters of base64 ending in `==` (16 random bytes).
fn is_token(s: &str) -> bool {
    s.len() == 24
        && s.ends_with("==")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
}
use grant_core::testing::fixture::credential;

#[tokio::test]
async fn authorize_oauth_issues_base64_tokens_bound_to_a_grant() {
    let o = tpp();
    let before = chrono::Utc::now().timestamp();
    let (status, h, body) = o
        .post(
            "/vedauth/Authorize/OAuth",
            None,
            json!({"username": "alice", "password": PASSWORD, "client_id": APP,
                   "scope": "Configuration:Manage;certificate:revoke,manage", "state": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_json_headers(&h);
    let v = json_of(&body);
    insta::assert_json_snapshot!(v, {
        ".access_token" => snapshot::shape("token", is_token),
        ".refresh_token" => snapshot::shape("token", is_token),
        ".expires" => snapshot::unix_time_between("expires", before + 7_776_000, before + 7_776_002),
        ".refresh_until" => snapshot::unix_time_between("refresh_until", before + 31_536_000, before + 31_536_002),
    });
    // Key order in the raw text too.
    assert!(body.starts_with(r#"{"access_token":""#), "{body}");
    for t in ["access_token", "refresh_token"] {
        let tok = v[t].as_str().unwrap();
        assert_eq!(tok.len(), 24, "{tok}");
        assert!(tok.ends_with("=="), "{tok}");
    }
    assert_ne!(v["access_token"], v["refresh_token"]);
    assert_eq!(v["expires_in"], 7_776_000);
    let expires = v["expires"].as_i64().unwrap();
    assert!((before + 7_776_000..=before + 7_776_002).contains(&expires));
    let until = v["refresh_until"].as_i64().unwrap();
    assert!((before + 31_536_000..=before + 31_536_002).contains(&until));
    assert_eq!(v["identity"], ALICE);
    assert_eq!(v["scope"], "certificate:manage,revoke;configuration:manage");
    assert_eq!(v["token_type"], "Bearer");
    // The echoed scope can be submitted again as is; a second login is a second grant.
    let again = o.login("alice", APP, v["scope"].as_str().unwrap()).await;
    assert_eq!(again["scope"], v["scope"]);
    // Only digests are stored.
    let creds = grant_core::store::credentials::dump_credentials(&mut o.srv.conn(), None).unwrap();
    for row in &creds {
        for t in [&v["access_token"], &v["refresh_token"]] {
            let tok = t.as_str().unwrap();
            assert_ne!(row.name, tok);
            assert!(row.digest.as_deref() != Some(tok.as_bytes()));
        }
    }
    let grants = grant_core::service::grants::list_all_grants(
        &mut o.srv.conn(),
        o.srv.tenant(),
        &GrantFilter::by_client(APP),
    )
    .unwrap();
    assert_eq!(grants.len(), 2, "one grant per authorization");
    // Audited.
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    let issued: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "token.issued")
        .collect();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0].actor, ALICE);
    assert_eq!(issued[0].detail["client_id"], APP);
    assert_eq!(issued[0].detail["result"], "success");
}

#[tokio::test]
async fn authorize_errors_are_oauth_errors() {
    let o = tpp();
    let p = "/vedauth/authorize/oauth";
    let (s, h, b) = o
        .post(p, None, json!({"username": "alice", "password": "wrong", "client_id": APP, "scope": "certificate"}))
        .await;
    assert_json_headers(&h);
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "Username/password combination not valid",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "nobody", "password": PASSWORD, "client_id": APP, "scope": "certificate"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "Username/password combination not valid",
    );
    let (s, _, b) = o
        .post(
            p,
            None,
            json!({"username": "alice", "password": PASSWORD, "scope": "certificate"}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "The 'client_id' parameter is required",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": APP, "scope": "certificate:fly"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_scope",
        "Grant rejected scope 'certificate:fly'.",
    );
    // A scope the API integration does not allow.
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": APP, "scope": "ssh:manage"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_scope",
        "Grant rejected scope 'ssh:manage'.",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": APP, "scope": "certificate:delete"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_scope",
        "Grant rejected scope 'certificate:delete'.",
    );
    let (s, _, b) = o
        .post(p, None, json!({"username": "alice", "password": PASSWORD, "client_id": "ghost", "scope": "certificate"}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_client",
        "Client 'ghost' is not registered or is disabled",
    );
    let (s, _, b) = send(
        o.srv
            .client
            .post(o.srv.url(p))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "The request body is not valid JSON",
    );
    // Nothing was issued by the failures.
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    assert!(audit.iter().all(|e| e.action != "token.issued"));
}

#[tokio::test]
async fn a_second_login_is_its_own_grant_and_leaves_the_first_token_as_it_was() {
    let o = tpp();
    let first = o.login("alice", APP, "certificate:manage").await;
    let a = first["access_token"].as_str().unwrap().to_owned();
    // GetGrants orders by issue time (milliseconds): keep the two logins apart.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = o.login("alice", APP, "admin:delete").await;
    let b = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(second["scope"], "admin:delete");
    // The first token may do what it could before, and nothing more.
    let (s, _, v) = o.get("/vedauth/authorize/verify", Some(&a)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(json_of(&v)["scope"], "certificate:manage");
    let (s, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&a),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_error(
        s,
        &body,
        403,
        "insufficient_scope",
        "Grant rejected scope 'certificate:manage'.",
    );
    let (s, _, v) = o.get("/vedauth/authorize/verify", Some(&b)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(json_of(&v)["scope"], "admin:delete");
    // GetGrants lists both, oldest first, each with its own scope.
    let grants = grants_of(&o, &b, ALICE).await;
    let scopes: Vec<Value> = grants["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["Scope"].clone())
        .collect();
    assert_eq!(
        scopes,
        [
            json!({"ScopeList": [{"RestrictionList": ["manage"], "Scope": "certificate"}]}),
            json!({"ScopeList": [{"RestrictionList": ["delete"], "Scope": "admin"}]}),
        ]
    );
    // A refresh stays inside its grant: same scope, same grant expiry.
    let (s, _, r) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": APP, "refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let r = json_of(&r);
    assert_eq!(r["scope"], "certificate:manage");
    assert_eq!(r["refresh_until"], first["refresh_until"]);
    let a2 = r["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        grants_of(&o, &b, ALICE).await["Grants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // RevokeGrants revokes every grant of the grantee, with their tokens.
    let (s, _, body) = o
        .post(
            "/vedsdk/oauth/revokegrants",
            Some(&b),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_eq!((s, body.as_str()), (200, r#"{"Result":0,"Success":true}"#));
    for t in [&a2, &b] {
        let (s, _, _) = o.get("/vedauth/authorize/verify", Some(t)).await;
        assert_eq!(s, 401);
    }
}

#[tokio::test]
async fn credentials_not_made_for_venafi_are_refused() {
    let o = tpp();
    let t = o.srv.tenant().to_buf();
    let mut conn = o.srv.conn();
    let alice =
        directory::get_user(&mut conn, &t, UserKey::Alias(AliasVendor::Venafi), ALICE).unwrap();
    let new = |kind, name: &str, faces: &[&str]| {
        credential(kind)
            .name(name)
            .user(&alice.id)
            .scopes(&["admin"])
            .faces(faces)
    };
    // A PingFederate PCV user's password, even one acting as a TPP identity: no login.
    new(CredentialKind::Password, "pcvalice", &["pingfed"]).issue_secret(&mut conn, &t, PASSWORD);
    let mut token = |faces: &[&str]| {
        new(CredentialKind::BearerToken, &format!("tok{faces:?}"), faces).issue(&mut conn, &t)
    };
    let okta_token = token(&["okta"]);
    let venafi_token = token(&["venafi"]);
    drop(conn);
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/oauth",
            None,
            json!({"username": "pcvalice", "password": PASSWORD, "client_id": APP, "scope": "certificate"}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "Username/password combination not valid",
    );
    let (s, h, b) = o
        .get("/vedsdk/systemstatus/version", Some(&okta_token))
        .await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    assert_eq!(h["www-authenticate"], "Bearer error=\"invalid_token\"");
    let (s, _, _) = o
        .get("/vedsdk/systemstatus/version", Some(&venafi_token))
        .await;
    assert_eq!(s, 200);
}
