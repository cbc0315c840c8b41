//! Robustness on the wire: body deadline, Host header, undecodable credentials, storage
//! exhaustion, and a seeded fuzz run.

use grant_http::GatewayConfig;
use grant_http::testing::{fuzz, send_stalled_body};
use ocs_compat::OcsConfig;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::common::*;
use grant_core::model::TenantId;
use grant_core::model::TenantStatus;
use grant_core::service::admin;

#[tokio::test]
async fn token_endpoint_body_slower_than_the_deadline_is_408_then_closed() {
    let mut cfg = GatewayConfig::<OcsConfig>::default();
    cfg.server.body_read_timeout_secs = 1;
    let srv = start(cfg);
    let addr = srv.addr();
    let request = format!(
        "POST /identity/connect/token HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n\
         grant_type=client_credentials&client_id="
    );
    let res = &send_stalled_body(addr, request).await;
    assert_eq!(res.status, 408);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.header("connection"), Some("close"));
    let op = res.header("operation-id").unwrap().to_owned();
    assert_eq!(
        serde_json::from_slice::<Value>(&res.body).unwrap(),
        json!({
            "OperationId": op,
            "Error": "Request timeout.",
            "Reason": "The request body was not received in time.",
            "Resolution": "Send the whole request body without pausing."
        })
    );
}

#[tokio::test]
async fn discovery_ignores_a_foreign_host_header() {
    let srv = start(GatewayConfig::default());
    let res = srv
        .client
        .get(srv.url("/identity/.well-known/openid-configuration"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    let own = format!("{}/identity", srv.base_url);
    assert_eq!(doc["issuer"], json!(own));
    assert_eq!(doc["token_endpoint"], json!(format!("{own}/connect/token")));
    assert!(!doc.to_string().contains("evil.example"), "{doc}");

    let mut cfg = GatewayConfig::<OcsConfig>::default();
    cfg.server.allowed_hosts = vec!["ocs.example.test".into()];
    let srv = start(cfg);
    let doc: Value = srv
        .client
        .get(srv.url("/identity/.well-known/openid-configuration"))
        .header("host", "ocs.example.test:8084")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["issuer"],
        json!("http://ocs.example.test:8084/identity")
    );
}

#[tokio::test]
async fn undecodable_authorization_is_a_bad_credential() {
    let e = env().await;
    let srv = &e.srv;
    let bad = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfetoken").unwrap();
    let res = srv
        .client
        .get(srv.url(&format!("/api/v1/Tenants/{T}/Users")))
        .header("authorization", bad.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(res.text().await.unwrap(), "");
    // On the token endpoint it names no client, even with a valid client in the form.
    let res = srv
        .client
        .post(srv.url("/identity/connect/token"))
        .header("authorization", bad)
        .form(&[
            ("client_id", ADMIN_CLIENT),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "invalid_client"})
    );
}

#[tokio::test]
async fn a_full_database_is_503_and_not_ready() {
    let e = env().await;
    let srv = &e.srv;
    if srv.store.backend() != grant_core::Backend::Sqlite {
        return; // simulated with SQLite's max_page_count
    }
    let admin = e.admin.clone();
    srv.fill_sqlite_disk(1);
    let res = srv.client.get(srv.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let mut failed = None;
    for i in 0..300 {
        let res = srv
            .client
            .post(srv.url(&format!("/api/v1/Tenants/{T}/AuthorizationCodeClients")))
            .bearer_auth(&admin)
            .json(&json!({"Name": format!("spa {i} {}", "n".repeat(200))}))
            .send()
            .await
            .unwrap();
        if res.status() != 201 {
            failed = Some(res);
            break;
        }
    }
    let res = failed.expect("the database filled up");
    assert_eq!(res.status(), 503);
    let op = res.headers()["operation-id"].to_str().unwrap().to_owned();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({
            "OperationId": op,
            "Error": "Service unavailable.",
            "Reason": "The service is temporarily unavailable.",
            "Resolution": "Try again later."
        })
    );
    let res = srv.client.get(srv.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    srv.fill_sqlite_disk(1_000_000);
    let res = srv.client.get(srv.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

fn check_error(
    case: &fuzz::Case,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    if body.is_empty() {
        // 401 and every answer to HEAD have no body.
        return if status == 401 || case.method == reqwest::Method::HEAD {
            Ok(())
        } else {
            Err("empty error body".into())
        };
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return Err("not application/json".into());
    }
    let keys = fuzz::object_keys(body)?;
    if keys == ["error"] && case.path.to_ascii_lowercase().contains("/connect/token") {
        return Ok(());
    }
    if keys != ["Error", "OperationId", "Reason", "Resolution"] {
        return Err(format!("not an ErrorResponse: {keys:?}"));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let op = headers.get("operation-id").and_then(|v| v.to_str().ok());
    if value["OperationId"].as_str() != op {
        return Err("OperationId differs from the Operation-Id header".into());
    }
    Ok(())
}

#[tokio::test]
async fn fuzz_never_5xx_and_errors_keep_the_ocs_shape() {
    let e = env().await;
    let srv = &e.srv;
    let admin = format!("Bearer {}", e.admin);
    let paths = [
        "/identity/.well-known/openid-configuration",
        "/identity/.well-known/openid-configuration/jwks",
        "/identity/connect/token",
        "/api/v1/Tenants/{tenantId}/Users/{userId}/PersistedGrants",
        "/api/v1/Tenants/{tenantId}/AuthorizationCodeClients",
        "/api/v1/Tenants/{tenantId}/AuthorizationCodeClients/{clientId}",
        "/api/v1/Tenants/{tenantId}/ClientCredentialClients",
        "/api/v1/Tenants/{tenantId}/ClientCredentialClients/{clientId}",
        "/api/v1/Tenants/{tenantId}/ClientCredentialClients/{clientId}/Secrets",
        "/api/v1/Tenants/{tenantId}/ClientCredentialClients/{clientId}/Secrets/{secretId}",
        "/api/v1/Tenants/{tenantId}/Users",
        "/api/v1/Tenants/{tenantId}/Users/{userId}",
        "/api/v1/Tenants/{tenantId}/Roles",
        "/api/v1/Tenants/{tenantId}/Roles/{roleId}",
    ];
    let target = fuzz::Target {
        paths: &paths,
        ids: &[
            T,
            ALICE,
            ADMIN_CLIENT,
            "1",
            "2dc742ab-39ea-4fb6-a3a6-f3f4b9bb6e2c",
        ],
        auth: &[admin],
        fields: &[
            "Id",
            "Name",
            "RedirectUris",
            "PostLogoutRedirectUris",
            "Tags",
            "Enabled",
            "AccessTokenLifetime",
            "RoleIds",
            "Description",
            "Expiration",
            "Expires",
            "SecretExpirationDate",
            "AllowOfflineAccess",
            "id",
            "tag",
            "skip",
            "count",
            "client_id",
            "client_secret",
            "grant_type",
            "scope",
        ],
        extra_headers: &[],
    };
    fuzz::assert_vendor_errors(srv, 0x0c5_f022, 4000, &target, check_error).await;
}

#[tokio::test]
async fn a_disabled_tenant_is_401_and_invalid_client_until_enabled() {
    let e = env().await;
    let users = format!("/api/v1/Tenants/{T}/Users");
    let call = || e.call(reqwest::Method::GET, &users, Some(&e.admin), None);
    assert_eq!(call().await.status, 200);
    let set = |status| {
        let mut conn = e.srv.conn();
        admin::set_tenant_status(&mut conn, TenantId::new(T), status, "test").unwrap();
    };
    set(TenantStatus::Disabled);
    let r = call().await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(r.text, "");
    let r = e
        .token_request(&[
            ("client_id", ADMIN_CLIENT),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json(), json!({"error": "invalid_client"}));
    // Another tenant's client is untouched.
    assert_eq!(
        e.call(
            reqwest::Method::GET,
            &format!("/api/v1/Tenants/{U}/Users"),
            Some(&e.other_admin),
            None
        )
        .await
        .status,
        200
    );
    set(TenantStatus::Active);
    assert_eq!(call().await.status, 200);
    e.token(ADMIN_CLIENT).await;
}
