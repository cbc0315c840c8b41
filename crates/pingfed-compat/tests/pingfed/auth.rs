//! Basic authentication, the XSRF header, challenges, the verified-password cache and which
//! passwords the grant service accepts.

use grant_core::model::*;
use grant_core::service::credentials;
use grant_core::testing::fast_hashing;
use serde_json::{Value, json};

use crate::common::*;
use grant_core::model::CredentialId;

#[tokio::test]
async fn xsrf_header_any_casing_any_value_and_missing_is_403_after_auth() {
    let p = pf();
    seed_grants(&p);
    for name in [
        "X-XSRF-HEADER",
        "X-XSRF-Header",
        "x-xsrf-header",
        "X-Xsrf-Header",
    ] {
        for value in ["PingFederate", "pingfed", ""] {
            let request = format!(
                "GET /pf-ws/rest/oauth/users/asmith/grants HTTP/1.1\r\nHost: localhost\r\nAuthorization: {SEED_AUTH}\r\n{name}: {value}\r\n\r\n"
            );
            let (status, _, body) = raw(&p, request.as_bytes()).await;
            assert_eq!(status, "HTTP/1.1 200 OK", "{name}: {value}");
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap()["items"]
                    .as_array()
                    .unwrap()
                    .len(),
                2
            );
        }
    }
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let (s, h, body) = send_with(
            &p,
            method.clone(),
            "/pf-ws/rest/oauth/users/asmith/grants",
            &[("authorization", SEED_AUTH)],
        )
        .await;
        assert_error(s, &body, 403, "forbidden", "X-XSRF-HEADER is required");
        assert_eq!(h["content-type"], "application/json");
        assert!(!h.contains_key("www-authenticate"));
    }
    // Nothing was revoked by the refused DELETE.
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    // Unauthenticated without the header: 401 first.
    let (s, _, body) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[("authorization", &basic("admin", "wrong"))],
    )
    .await;
    assert_error(s, &body, 401, "unauthorized", "Invalid credentials");
}

#[tokio::test]
async fn authentication_failures_are_401_with_a_basic_challenge() {
    let p = pf();
    seed_grants(&p);
    let locked = password(&p.srv, "locked", "pw-locked");
    credentials::set_credential_status(
        &mut p.srv.conn(),
        p.srv.tenant(),
        CredentialId::new(&locked.id),
        CredentialStatus::Locked,
        "t",
    )
    .unwrap();
    let disabled = password(&p.srv, "disabled", "pw-disabled");
    credentials::set_credential_status(
        &mut p.srv.conn(),
        p.srv.tenant(),
        CredentialId::new(&disabled.id),
        CredentialStatus::Disabled,
        "t",
    )
    .unwrap();
    let path = "/pf-ws/rest/oauth/users/asmith/grants";
    let xsrf = ("x-xsrf-header", "PingFederate");
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![], "HTTP Basic authentication is required"),
        (
            vec![(
                "authorization",
                "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig".into(),
            )],
            "HTTP Basic authentication is required",
        ),
        (
            vec![("authorization", basic("admin", "wrong"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", basic("nobody", "2Federate"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", basic("locked", "pw-locked"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", basic("disabled", "pw-disabled"))],
            "Invalid credentials",
        ),
        (
            vec![("authorization", "Basic !!notbase64".into())],
            "Invalid credentials",
        ),
    ];
    for (auth, text) in cases {
        let mut headers: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
        headers.push(xsrf);
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let (s, h, body) = send_with(&p, method, path, &headers).await;
            assert_error(s, &body, 401, "unauthorized", text);
            assert_eq!(
                h["www-authenticate"], "Basic realm=\"PingFederate\"",
                "{headers:?}"
            );
        }
    }
    let (_, _, body) = get(&p, path).await;
    assert_eq!(
        body["items"].as_array().unwrap().len(),
        2,
        "nothing revoked"
    );
    // Another PCV user with the right password works (and a password with a colon).
    password(&p.srv, "ws-admin", "se:cret");
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        path,
        &[("authorization", &basic("ws-admin", "se:cret")), xsrf],
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn challenge_realm_and_bodies_are_configurable() {
    let p = pf_with(|c| {
        c.vendor.realm = "Runtime".into();
        c.vendor.error_bodies = false;
    });
    let (s, h, body) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[],
    )
    .await;
    assert_eq!((s, body.as_str()), (401, ""));
    assert_eq!(h["www-authenticate"], "Basic realm=\"Runtime\"");
    let p = pf_with(|c| c.vendor.www_authenticate = false);
    let (s, h, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[],
    )
    .await;
    assert_eq!(s, 401);
    assert!(!h.contains_key("www-authenticate"));
}

#[tokio::test]
async fn basic_auth_does_not_cost_an_argon2_hash_per_request() {
    let p = pf();
    // A deliberately expensive hash: its parameters travel in the PHC string.
    let costly = grant_core::HashingConfig {
        argon2_memory_kib: 32 * 1024,
        argon2_iterations: 8,
        ..fast_hashing()
    };
    password_for(&p.srv, "costly", "pw", None, &[], &costly);
    let auth = basic("costly", "pw");
    let headers = [("authorization", auth.as_str()), ("x-xsrf-header", "x")];
    let path = "/pf-ws/rest/oauth/users/asmith/grants";
    let started = std::time::Instant::now();
    let (s, _, _) = send_with(&p, reqwest::Method::GET, path, &headers).await;
    assert_eq!(s, 200);
    let first = started.elapsed();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        let (s, _, _) = send_with(&p, reqwest::Method::GET, path, &headers).await;
        assert_eq!(s, 200);
    }
    let next20 = started.elapsed();
    assert!(
        next20 < first * 10,
        "20 cached requests took {next20:?}, one verification {first:?}"
    );
    // A wrong password is never answered from the cache.
    let wrong = basic("costly", "pw2");
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        path,
        &[("authorization", wrong.as_str()), ("x-xsrf-header", "x")],
    )
    .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn only_users_of_the_configured_pcv_may_use_the_grant_service() {
    let p = pf_with(|c| c.vendor.pcv_name = "Grant Management PCV".into());
    seed_grants(&p);
    // A Venafi identity's password (a user with no role), an Okta-only one, a user of another
    // PCV: all refused like a wrong password.
    let fast = fast_hashing();
    password_for(&p.srv, "tppuser", "pw", Some(&p.bob), &[], &fast);
    password_for(&p.srv, "oktaonly", "pw", None, &["okta"], &fast);
    password_for(
        &p.srv,
        "otherpcv",
        "pw",
        None,
        &["pingfed:Other PCV"],
        &fast,
    );
    // Users of this PCV, by name or made for whichever PCV is configured.
    password_for(
        &p.srv,
        "pcvuser",
        "pw",
        None,
        &["pingfed:Grant Management PCV"],
        &fast,
    );
    password_for(
        &p.srv,
        "both",
        "pw",
        Some(&p.bob),
        &["venafi", "pingfed"],
        &fast,
    );
    let path = "/pf-ws/rest/oauth/users/asmith/grants";
    for user in ["tppuser", "oktaonly", "otherpcv"] {
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let auth = basic(user, "pw");
            let (s, h, body) = send_with(
                &p,
                method,
                path,
                &[("authorization", &auth), ("x-xsrf-header", "x")],
            )
            .await;
            assert_eq!(s, 401, "{user}");
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap(),
                json!({"error": "unauthorized", "error_description": "Invalid credentials"})
            );
            assert_eq!(h["www-authenticate"], "Basic realm=\"PingFederate\"");
        }
    }
    let (_, _, body) = get(&p, path).await;
    assert_eq!(
        body["items"].as_array().unwrap().len(),
        2,
        "nothing revoked"
    );
    for user in ["pcvuser", "both", "admin"] {
        let auth = basic(user, if user == "admin" { "2Federate" } else { "pw" });
        let (s, _, _) = send_with(
            &p,
            reqwest::Method::GET,
            path,
            &[("authorization", &auth), ("x-xsrf-header", "x")],
        )
        .await;
        assert_eq!(s, 200, "{user}");
    }
}
