//! Robustness on the wire: undecodable credentials and a seeded fuzz run.

use grant_http::testing::fuzz;
use pingfed_compat::auth::{BASIC_REQUIRED, INVALID_CREDENTIALS};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::common::*;
use grant_core::model::TenantStatus;
use grant_core::service::admin;

#[tokio::test]
async fn undecodable_authorization_is_invalid_credentials_not_missing() {
    let p = pf();
    let url = p.srv.url("/pf-ws/rest/oauth/users/asmith/grants");
    let res = p
        .srv
        .client
        .get(&url)
        .header(
            "authorization",
            HeaderValue::from_bytes(b"Basic \xc3\xa9\xff").unwrap(),
        )
        .header("x-xsrf-header", "pingfed")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "unauthorized", "error_description": INVALID_CREDENTIALS})
    );
    let res = p.srv.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "unauthorized", "error_description": BASIC_REQUIRED})
    );
}

fn check_error(
    case: &fuzz::Case,
    _status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    fuzz::json_error_with_keys(case, headers, body, &["error", "error_description"])
}

#[tokio::test]
async fn fuzz_never_5xx_and_errors_keep_the_pingfed_shape() {
    let p = pf();
    seed_grants(&p);
    let paths = [
        "/pf-ws/rest/oauth/clients/{clientId}/grants",
        "/pf-ws/rest/oauth/clients/{clientId}/grants/{grantId}",
        "/pf-ws/rest/oauth/users/{userKey}/grants",
        "/pf-ws/rest/oauth/users/{userKey}/grants/{grantId}",
    ];
    let target = fuzz::Target {
        paths: &paths,
        ids: &["ac_client", "asmith", AC_GRANT, "im_client"],
        auth: &[SEED_AUTH.to_owned()],
        fields: &["grantType", "clientId", "userKey", "scope"],
        extra_headers: &[("x-xsrf-header", "pingfed")],
    };
    fuzz::assert_vendor_errors(&p.srv, 0x9f_ed, 4000, &target, check_error).await;
}

#[tokio::test]
async fn a_disabled_tenant_is_invalid_credentials_until_enabled() {
    let p = pf();
    let path = "/pf-ws/rest/oauth/users/asmith/grants";
    assert_eq!(get(&p, path).await.0, 200);
    let set = |status| {
        let mut conn = p.srv.conn();
        admin::set_tenant_status(&mut conn, p.srv.tenant(), status, "test").unwrap();
    };
    set(TenantStatus::Disabled);
    let (status, headers, body) = get(&p, path).await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    assert_eq!(
        body,
        json!({"error": "unauthorized", "error_description": INVALID_CREDENTIALS})
    );
    set(TenantStatus::Active);
    assert_eq!(get(&p, path).await.0, 200);
}
