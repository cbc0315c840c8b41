//! Importing captured grants and clients.

use grant_core::model::*;
use grant_core::service::clients;
use pingfed_compat::PingFed;
use serde_json::json;

use crate::common::*;
use grant_core::model::ClientId;

#[tokio::test]
async fn import_of_captured_grants_round_trips_exactly() {
    let p = pf();
    let captured = json!({"items": [seed_ac_json(), {
        "id": "2LS7YSTTRmnW9ErGlvUH2lhOSbX4brWf",
        "userKey": "alice",
        "grantType": "AUTHORIZATION_CODE",
        "scopes": ["accounts.read"],
        "clientId": "acme-budgeting",
        "issued": "2026-07-16T22:44:30.090Z",
        "updated": "2026-07-16T22:44:30.090Z",
        "expires": "2099-08-15T22:44:30.091Z",
        "grantAttributes": [{"name": "pi.sri", "values": ["xGzlniBqAYwFSUDDRv5RGA1qEHs"]}]
    }]});
    let items = pingfed_compat::import::parse_file(&captured.to_string())
        .unwrap()
        .grants;
    let report = grant_core::service::import::import_grants(
        &mut p.srv.conn(),
        p.srv.tenant(),
        items,
        "test",
    )
    .unwrap();
    assert_eq!(
        (report.grants, report.users_created, report.clients_created),
        (2, 1, 1)
    );
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!((s, body), (200, json!({"items": [seed_ac_json()]})));
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/users/alice/grants/2LS7YSTTRmnW9ErGlvUH2lhOSbX4brWf",
    )
    .await;
    assert_eq!((s, body), (200, captured["items"][1].clone()));
    // A bare grant object is a capture too; an unknown grant type is refused.
    let one = pingfed_compat::import::parse_file(&seed_im_json().to_string()).unwrap();
    assert_eq!(one.grants.len(), 1);
    let mut bad = seed_im_json();
    bad["grantType"] = json!("EXTENSION");
    let err = pingfed_compat::import::parse_file(&bad.to_string())
        .err()
        .unwrap();
    assert!(err.contains("unsupported grant type EXTENSION"), "{err}");
}

#[tokio::test]
async fn import_takes_clients_with_their_grant_types_and_clients_without_grants() {
    let p = pf();
    let doc = json!({
        "clients": [
            {"clientId": "imp-web", "name": "Web portal", "description": "captured", "enabled": true,
             "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "redirectUris": ["https://web.example/cb"],
             "restrictScopes": true, "restrictedScopes": ["openid", "accounts.read"], "bypassApprovalPage": false},
            {"clientId": "imp-batch", "grantTypes": ["CLIENT_CREDENTIALS"], "enabled": false}
        ],
        "grants": [{
            "id": "impGrant0000000000000000000000a1", "userKey": "imp-user", "grantType": "AUTHORIZATION_CODE",
            "scopes": ["accounts.read"], "clientId": "imp-web", "issued": "2026-07-16T22:44:30.090Z",
            "updated": "2026-07-16T22:44:30.090Z"
        }]
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pf-import.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let reports = grant_http::import_files::<PingFed>(
        &mut p.srv.conn(),
        p.srv.tenant(),
        &[file.display().to_string()],
    )
    .unwrap();
    let c = &reports[0].counts;
    assert_eq!((c.clients_created, c.users_created, c.grants), (2, 1, 1));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/imp-user/grants").await;
    assert_eq!((s, body), (200, json!({"items": [doc["grants"][0]]})));
    // The client without grants exists (its grant list is empty, not 404).
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/imp-batch/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    let mut conn = p.srv.conn();
    let web = clients::get_client(&mut conn, p.srv.tenant(), ClientId::new("imp-web")).unwrap();
    assert_eq!(
        (
            web.name.as_str(),
            web.description.as_str(),
            web.grant_types.clone(),
            web.allowed_scopes.clone()
        ),
        (
            "Web portal",
            "captured",
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            vec!["openid".to_owned(), "accounts.read".to_owned()]
        )
    );
    let batch = clients::get_client(&mut conn, p.srv.tenant(), ClientId::new("imp-batch")).unwrap();
    assert!(!batch.enabled);
    assert_eq!(batch.grant_types, [GrantType::ClientCredentials]);
    // The admin API's client list is a capture too; an unknown grant type names the client.
    let list = json!({"items": [{"clientId": "imp-x", "grantTypes": ["EXTENSION"]}]});
    let err = pingfed_compat::import::parse_file(&list.to_string()).unwrap_err();
    assert!(err.contains("client imp-x: grantTypes"), "{err}");
}
