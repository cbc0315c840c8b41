//! Robustness on the wire: Host header, undecodable credentials, storage exhaustion, a NUL in
//! the path, and a seeded fuzz run.

use grant_core::model::*;
use grant_core::service::{admin, grants};
use grant_http::testing::fuzz;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::common::*;

fn add_grants(o: &Org, n: usize) -> Vec<Grant> {
    let mut conn = o.srv.conn();
    (0..n)
        .map(|_| {
            let mut g = NewGrant::new(&o.alice.id, CLIENT);
            g.issuer = "https://org.test/oauth2/default".into();
            g.scopes = ScopeSet::from_names(["okta.users.read"]);
            g.grant_type = GrantType::Consent;
            grants::issue_grant(&mut conn, o.srv.tenant(), g, "test").unwrap()
        })
        .collect()
}

fn failed_at(g: &Grant, all: &[Grant]) -> usize {
    all.iter().position(|x| x.id == g.id).unwrap_or_default()
}

fn assert_okta_error(body: &Value, status_code: &str, summary: &str) {
    assert_eq!(body["errorCode"], json!(status_code), "{body}");
    assert_eq!(body["errorLink"], json!(status_code), "{body}");
    assert_eq!(body["errorSummary"], json!(summary), "{body}");
    assert!(body["errorId"].as_str().unwrap().starts_with("oae"));
    assert_eq!(body["errorCauses"], json!([]));
}

#[tokio::test]
async fn links_ignore_a_foreign_host_header() {
    let o = org_with(unlimited());
    add_grants(&o, 2);
    let res = o
        .srv
        .client
        .get(o.srv.url(&format!("/api/v1/users/{ALICE}/grants?limit=1")))
        .header("authorization", &o.ssws())
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let links: Vec<String> = res
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = res.text().await.unwrap();
    assert_eq!(links.len(), 2, "{links:?}");
    let own = &o.srv.base_url;
    for link in &links {
        assert!(
            link.starts_with(&format!("<{own}/api/v1/users/{ALICE}/grants")),
            "{link}"
        );
    }
    assert!(!body.contains("evil.example"), "{body}");
    assert!(body.contains(&format!("\"href\":\"{own}/")), "{body}");
}

#[tokio::test]
async fn undecodable_authorization_is_an_invalid_token_not_a_missing_one() {
    let o = org_with(unlimited());
    let path = format!("/api/v1/users/{ALICE}/grants");
    for raw in [b"SSWS \xe2\x82\xac00abc".as_slice(), b"\xff\xfe"] {
        let res = o
            .srv
            .client
            .get(o.srv.url(&path))
            .header("authorization", HeaderValue::from_bytes(raw).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{raw:?}");
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_okta_error(
            &res.json().await.unwrap(),
            "E0000011",
            "Invalid token provided",
        );
    }
    let res = o.srv.client.get(o.srv.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_okta_error(&res.json().await.unwrap(), "E0000005", "Invalid session");
}

#[tokio::test]
async fn a_full_database_is_e0000010_503_and_not_ready() {
    let o = org_with(unlimited());
    if o.srv.store.backend() != grant_core::Backend::Sqlite {
        return; // simulated with SQLite's max_page_count
    }
    let grants = add_grants(&o, 300);
    o.srv.fill_sqlite_disk(1);
    let res = o.srv.client.get(o.srv.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_okta_error(
        &res.json().await.unwrap(),
        "E0000010",
        "Service is in read only mode",
    );
    let mut failed = None;
    for g in &grants {
        let res = o
            .srv
            .client
            .delete(o.srv.url(&format!("/api/v1/users/{ALICE}/grants/{}", g.id)))
            .header("authorization", &o.ssws())
            .send()
            .await
            .unwrap();
        if res.status() != 204 {
            failed = Some((failed_at(g, &grants), res));
            break;
        }
    }
    let (i, res) = failed.expect("the database filled up");
    eprintln!("okta: write {i} after the cap failed");
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert!(res.headers().contains_key("x-okta-request-id"));
    assert_okta_error(
        &res.json().await.unwrap(),
        "E0000010",
        "Service is in read only mode",
    );
    // Reads still work; readiness comes back once there is room again.
    let res = o
        .srv
        .client
        .get(o.srv.url(&format!("/api/v1/users/{ALICE}/grants?limit=1")))
        .header("authorization", &o.ssws())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    o.srv.fill_sqlite_disk(1_000_000);
    let res = o.srv.client.get(o.srv.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

fn check_error(
    case: &fuzz::Case,
    _status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    fuzz::json_error_with_keys(
        case,
        headers,
        body,
        &[
            "errorCauses",
            "errorCode",
            "errorId",
            "errorLink",
            "errorSummary",
        ],
    )?;
    if case.method == reqwest::Method::HEAD {
        return Ok(());
    }
    // Exactly Okta's media type, without parameters.
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return Err("not application/json".into());
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let code = v["errorCode"].as_str().unwrap_or_default();
    if !(code.starts_with('E') && code.len() == 8 && v["errorLink"] == v["errorCode"]) {
        return Err("bad errorCode/errorLink".into());
    }
    if !v["errorCauses"].is_array() || !v["errorSummary"].is_string() {
        return Err("bad errorCauses/errorSummary".into());
    }
    Ok(())
}

#[tokio::test]
async fn fuzz_never_5xx_and_errors_keep_the_okta_shape() {
    let o = org_with(unlimited());
    let grants = add_grants(&o, 5);
    let gid: &'static str = Box::leak(grants[0].id.clone().into_boxed_str());
    let paths = [
        "/api/v1/users/{userId}/grants",
        "/api/v1/users/{userId}/grants/{grantId}",
        "/api/v1/users/{userId}/clients",
        "/api/v1/users/{userId}/clients/{clientId}/grants",
    ];
    let ssws = o.ssws();
    let target = fuzz::Target {
        paths: &paths,
        ids: &[ALICE, "me", CLIENT, gid, "alice"],
        auth: std::slice::from_ref(&ssws),
        fields: &[
            "limit", "after", "expand", "scopeId", "clientId", "status", "q",
        ],
        extra_headers: &[("accept", "application/json")],
    };
    fuzz::assert_vendor_errors(&o.srv, 0x0c7a, 4000, &target, check_error).await;
}

#[tokio::test]
async fn a_nul_in_the_path_matches_nothing_on_every_backend() {
    let o = org_with(unlimited());
    for path in [
        "/api/v1/users/%00/grants",
        &format!("/api/v1/users/{ALICE}/grants/a%00b"),
    ] {
        let res = o
            .srv
            .client
            .get(o.srv.url(path))
            .header("authorization", &o.ssws())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers().contains_key("x-okta-request-id"));
        assert_okta_error(
            &res.json().await.unwrap(),
            "E0000008",
            "The requested path was not found",
        );
    }
}

#[tokio::test]
async fn a_disabled_tenant_is_an_invalid_token_until_enabled() {
    let o = org();
    let path = format!("/api/v1/users/{ALICE}/grants");
    let get = || {
        o.srv
            .client
            .get(o.srv.url(&path))
            .header("authorization", o.ssws())
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    let set = |status| {
        let mut conn = o.srv.conn();
        admin::set_tenant_status(&mut conn, o.srv.tenant(), status, "test").unwrap();
    };
    set(TenantStatus::Disabled);
    let res = get().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_okta_error(
        &res.json().await.unwrap(),
        "E0000011",
        "Invalid token provided",
    );
    set(TenantStatus::Active);
    assert_eq!(get().await.unwrap().status(), 200);
}
