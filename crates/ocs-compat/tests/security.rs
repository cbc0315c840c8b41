//! Robustness of ocs-compat on the wire: body deadline, Host header, undecodable
//! credentials, storage exhaustion, and a seeded fuzz run (SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use grant_core::model::*;
use grant_core::service::{admin, clients, credentials, directory};
use grant_core::testing::fast_hashing;
use grant_http::GatewayConfig;
use grant_http::testing::{TestServer, fuzz, parse_responses, raw_exchange};
use ocs_compat::json::TENANT_ADMINISTRATOR;
use ocs_compat::{Ocs, OcsConfig};
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};

const T: &str = "5d1a0e1c-0000-4000-8000-00000000000a";
const ADMIN_CLIENT: &str = "6b9d6c5e-1111-4111-8111-000000000001";
const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
const SECRET: &str = "s3cret-For-Tests";

fn start(cfg: GatewayConfig<OcsConfig>) -> TestServer<Ocs> {
    let srv = TestServer::<Ocs>::start(cfg);
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(T.into()), "Tenant A").unwrap();
    let new = NewClient {
        id: Some(ADMIN_CLIENT.into()),
        kind: Some(ClientKind::ClientCredentials),
        name: Some("admin".into()),
        access_token_lifetime: Some(3600),
        roles: vec![TENANT_ADMINISTRATOR.into()],
        ..NewClient::default()
    };
    clients::create_client(&mut conn, T, new, "test").unwrap();
    let secret = NewCredential {
        kind: CredentialKind::ClientSecret,
        name: format!("{ADMIN_CLIENT}/1/test"),
        user_id: None,
        client_id: Some(ADMIN_CLIENT.into()),
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: vec![],
    };
    credentials::create_credential(
        &mut conn,
        T,
        secret,
        Some(SecretString::from(SECRET)),
        &fast_hashing(),
        "test",
    )
    .unwrap();
    let user = NewUser {
        id: Some(ALICE.into()),
        login: "alice@example.test".into(),
        ..NewUser::default()
    };
    directory::create_user(&mut conn, T, user, "test").unwrap();
    drop(conn);
    srv
}

/// The admin client's client-credentials request at the token endpoint.
async fn request_token(srv: &TestServer<Ocs>) -> reqwest::Response {
    srv.client
        .post(srv.url("/identity/connect/token"))
        .form(&[
            ("client_id", ADMIN_CLIENT),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap()
}

async fn token(srv: &TestServer<Ocs>) -> String {
    let res = request_token(srv).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

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
    let ex = tokio::task::spawn_blocking(move || {
        raw_exchange(&addr, request.as_bytes(), Duration::from_secs(4))
    })
    .await
    .unwrap();
    let (responses, _) = parse_responses(&ex.bytes, &[false]);
    assert_eq!(responses.len(), 1, "{}", String::from_utf8_lossy(&ex.bytes));
    let res = &responses[0];
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
    let answered = ex.first_byte_after.unwrap();
    eprintln!("408 after {answered:?}, closed after {:?}", ex.closed_after);
    assert!(
        answered >= Duration::from_millis(900) && answered < Duration::from_millis(2500),
        "{answered:?}"
    );
    assert!(ex.closed_after.is_some(), "connection left open");
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
    let srv = start(GatewayConfig::default());
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
    let srv = start(GatewayConfig::default());
    if srv.store.backend() != grant_core::Backend::Sqlite {
        return; // simulated with SQLite's max_page_count
    }
    let admin = token(&srv).await;
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
    let srv = start(GatewayConfig::default());
    let admin = format!("Bearer {}", token(&srv).await);
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
    fuzz::assert_vendor_errors(&srv, 0x0c5_f022, 4000, &target, check_error).await;
}

#[tokio::test]
async fn a_disabled_tenant_is_401_and_invalid_client_until_enabled() {
    let srv = start(GatewayConfig::default());
    let bearer = token(&srv).await;
    let users = || {
        srv.client
            .get(srv.url(&format!("/api/v1/Tenants/{T}/Users")))
            .bearer_auth(&bearer)
            .send()
    };
    assert_eq!(users().await.unwrap().status(), 200);
    let set = |status| {
        let mut conn = srv.conn();
        admin::set_tenant_status(&mut conn, T, status, "test").unwrap();
    };
    set(TenantStatus::Disabled);
    let res = users().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(res.text().await.unwrap(), "");
    let res = request_token(&srv).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "invalid_client"})
    );
    set(TenantStatus::Active);
    assert_eq!(users().await.unwrap().status(), 200);
    token(&srv).await;
}
