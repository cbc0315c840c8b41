//! Importing captured OCS tenants: clients, users, roles and persisted grants, all or nothing,
//! served back as captured.

use chrono::{Duration, Utc};
use grant_core::model::*;
use grant_core::service::{clients, directory, grants};
use ocs_compat::json::{TENANT_ADMINISTRATOR, TENANT_MEMBER, TENANT_VIEWER};
use reqwest::Method;
use serde_json::json;

use crate::common::*;

// ---------------------------------------------------------------- import

#[tokio::test]
async fn import_loads_captured_clients_users_and_persisted_grants() {
    let e = env().await;
    let doc: ocs_compat::import::Captured = serde_json::from_value(json!({
        "TenantId": T.to_uppercase(),
        "AuthorizationCodeClients": [
            {"RedirectUris": ["https://cap/cb"], "PostLogoutRedirectUris": [], "ClientUri": null, "LogoUri": null,
             "Id": SPA1.to_uppercase(), "Name": "captured", "Enabled": true, "AccessTokenLifetime": 900,
             "Tags": ["cap"], "AllowedCorsOrigins": [], "AllowOfflineAccess": true}
        ],
        "ClientCredentialClients": [
            {"Id": "c0ffee00-0000-4000-8000-000000000001", "Name": "svc", "Enabled": true,
             "AccessTokenLifetime": 3600, "Tags": [], "RoleIds": [TENANT_MEMBER]}
        ],
        "Users": [{"Id": "dada0000-0000-4000-8000-000000000001", "Name": "Dana", "Email": "dana@x.test",
                   "RoleIds": [TENANT_MEMBER]}],
        "PersistedGrants": {"DADA0000-0000-4000-8000-000000000001": [SPA1], (ALICE): [SPA1]}
    }))
    .unwrap();
    let batch = ocs_compat::import::parse_document(doc).unwrap();
    let reports = grant_core::service::import::import_batches(
        &mut e.srv.conn(),
        TenantId::new("default"),
        vec![batch],
        "test",
    )
    .unwrap();
    let report = &reports[0];
    assert_eq!(
        (
            report.tenant.as_str(),
            report.counts.clients_created,
            report.counts.users_created,
            report.counts.grants
        ),
        (T, 2, 1, 2)
    );
    let r = e.get(&accs(&format!("/{SPA1}")), &e.member).await;
    assert_eq!(r.json()["Name"], json!("captured"));
    assert_eq!(r.json()["AllowOfflineAccess"], json!(true));
    let r = e
        .get(&pg("dada0000-0000-4000-8000-000000000001"), &e.member)
        .await;
    assert_eq!((r.status, r.json()), (200, json!([SPA1])));
    assert_eq!(e.get(&pg(ALICE), &e.member).await.json(), json!([SPA1]));
}

#[tokio::test]
async fn import_is_all_or_nothing_across_clients_users_and_grants() {
    let e = env().await;
    let doc: ocs_compat::import::Captured = serde_json::from_value(json!({
        "TenantId": T,
        "AuthorizationCodeClients": [
            {"Id": "c0ffee00-0000-4000-8000-0000000000a1", "Name": "fine", "AccessTokenLifetime": 900},
            {"Id": "c0ffee00-0000-4000-8000-0000000000a2", "Name": "too short", "AccessTokenLifetime": 5}
        ],
        "Users": [{"Id": "dada0000-0000-4000-8000-0000000000a1", "Name": "Erin"}],
    }))
    .unwrap();
    let batch = ocs_compat::import::parse_document(doc).unwrap();
    let err = grant_core::service::import::import_batches(
        &mut e.srv.conn(),
        TenantId::new("default"),
        vec![batch],
        "test",
    )
    .unwrap_err();
    assert!(err.to_string().contains("AccessTokenLifetime"), "{err}");
    let r = e
        .get(&accs("/c0ffee00-0000-4000-8000-0000000000a1"), &e.member)
        .await;
    assert_eq!(
        r.status, 404,
        "the valid client of a failed import must not stay"
    );
    let r = e
        .get(
            &format!("/api/v1/Tenants/{T}/Users/dada0000-0000-4000-8000-0000000000a1"),
            &e.member,
        )
        .await;
    assert_eq!(r.status, 404, "the user of a failed import must not stay");
}

// ------------------------------------------------ import round trip: a tenant as captured

const V: &str = "c4e70000-0000-4000-8000-0000000000c1";

const V_ADMIN_ROLE: &str = "a0000000-0000-4000-8000-0000000000c1";

const V_MEMBER_ROLE: &str = "a0000000-0000-4000-8000-0000000000c2";

const V_VIEWER_ROLE: &str = "a0000000-0000-4000-8000-0000000000c3";

const V_ADMIN_CLIENT: &str = "cc000000-0000-4000-8000-0000000000c1";

const V_MEMBER_CLIENT: &str = "cc000000-0000-4000-8000-0000000000c2";

const V_VIEWER_CLIENT: &str = "cc000000-0000-4000-8000-0000000000c3";

const V_SPA: &str = "5ba00000-0000-4000-8000-0000000000c1";

const V_SPA2: &str = "5ba00000-0000-4000-8000-0000000000c2";

const V_DANA: &str = "da0a0000-0000-4000-8000-0000000000c1";

const V_EVE: &str = "e0e00000-0000-4000-8000-0000000000c2";

/// What a real tenant's GETs returned (compact, in the order OCS listed them).
fn captured_roles() -> String {
    format!(
        r#"[{{"Id":"{V_ADMIN_ROLE}","Name":"Tenant Administrator","Description":"Administrators of the tenant","RoleScope":1,"TenantId":"{V}","CommunityId":null,"RoleTypeId":"{TENANT_ADMINISTRATOR}"}},{{"Id":"{V_MEMBER_ROLE}","Name":"Tenant Member","Description":"Members of the tenant","RoleScope":1,"TenantId":"{V}","CommunityId":null,"RoleTypeId":"{TENANT_MEMBER}"}},{{"Id":"{V_VIEWER_ROLE}","Name":"Read-only auditors","Description":"Custom viewer role","RoleScope":1,"TenantId":"{V}","CommunityId":null,"RoleTypeId":"{TENANT_VIEWER}"}}]"#
    )
}

fn captured_users() -> String {
    format!(
        r#"[{{"Id":"{V_DANA}","GivenName":"Dana","Surname":"Scully","Name":"Dana Scully","Email":"dana@corp.example","ContactEmail":"dana.scully@mail.example","ContactGivenName":"D.","ContactSurname":"Scully","ExternalUserId":"0c1d2e3f-aaaa-4bbb-8ccc-000000000001","IdentityProviderId":"e2398938-bf8f-40fa-b380-d538ece2bfc2","RoleIds":["{V_MEMBER_ROLE}"]}},{{"Id":"{V_EVE}","GivenName":null,"Surname":null,"Name":"Eve","Email":null,"ContactEmail":null,"ContactGivenName":null,"ContactSurname":null,"ExternalUserId":"eve-ext","IdentityProviderId":null,"RoleIds":["{V_ADMIN_ROLE}","{V_MEMBER_ROLE}"]}}]"#
    )
}

fn captured_cccs() -> String {
    format!(
        r#"[{{"Id":"{V_ADMIN_CLIENT}","Name":"ops","Enabled":true,"AccessTokenLifetime":3600,"Tags":["ops"],"RoleIds":["{V_ADMIN_ROLE}","{V_MEMBER_ROLE}"]}},{{"Id":"{V_MEMBER_CLIENT}","Name":"reader","Enabled":true,"AccessTokenLifetime":600,"Tags":[],"RoleIds":["{V_MEMBER_ROLE}"]}},{{"Id":"{V_VIEWER_CLIENT}","Name":"auditor","Enabled":true,"AccessTokenLifetime":600,"Tags":[],"RoleIds":["{V_VIEWER_ROLE}"]}}]"#
    )
}

fn captured_accs() -> String {
    format!(
        r#"[{{"RedirectUris":["https://app.example/cb"],"PostLogoutRedirectUris":["https://app.example/"],"ClientUri":"https://app.example","LogoUri":null,"Id":"{V_SPA}","Name":"App","Enabled":true,"AccessTokenLifetime":900,"Tags":["web"],"AllowedCorsOrigins":["https://app.example"],"AllowOfflineAccess":true}},{{"RedirectUris":[],"PostLogoutRedirectUris":[],"ClientUri":null,"LogoUri":null,"Id":"{V_SPA2}","Name":null,"Enabled":false,"AccessTokenLifetime":3600,"Tags":[],"AllowedCorsOrigins":[],"AllowOfflineAccess":false}}]"#
    )
}

fn captured_document() -> String {
    let future = (Utc::now() + Duration::days(30)).to_rfc3339();
    let past = (Utc::now() - Duration::days(1)).to_rfc3339();
    format!(
        r#"{{"TenantId":"{V}","TenantName":"Captured Corp","Roles":{},"Users":{},"ClientCredentialClients":{},"AuthorizationCodeClients":{},
        "PersistedGrants":{{"{V_DANA}":[
          {{"Key":"k1/abc+=","Type":"authorization_code","ClientId":"{V_SPA}","CreationTime":"2026-01-02T03:04:05.678Z","Expiration":"{future}"}},
          {{"Key":"k2","Type":"refresh_token","ClientId":"{V_SPA2}","CreationTime":"2026-01-02T03:04:05Z","Expiration":null}},
          {{"Key":"k3","Type":"authorization_code","ClientId":"{V_SPA2}","CreationTime":"2026-01-01T00:00:00Z","Expiration":"{past}"}}],
          "{V_EVE}":["{V_SPA2}"]}}}}"#,
        captured_roles(),
        captured_users(),
        captured_cccs(),
        captured_accs()
    )
}

fn import_text(
    e: &Env,
    text: &str,
) -> Result<Vec<grant_core::service::import::BatchReport>, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    std::fs::write(&path, text).unwrap();
    grant_core::service::import::import_files(
        &mut e.srv.conn(),
        TenantId::new("default"),
        &[path.display().to_string()],
        "test",
        ocs_compat::import::parse_file,
    )
}

#[tokio::test]
async fn import_captured_tenant_round_trips_byte_for_byte() {
    let e = env().await;
    let reports = import_text(&e, &captured_document()).unwrap();
    assert_eq!(reports[0].tenant, V);
    assert_eq!(
        directory::get_tenant(&mut e.srv.conn(), TenantId::new(V))
            .unwrap()
            .name,
        "Captured Corp"
    );
    client_secret(&e.srv, V, V_ADMIN_CLIENT);
    let admin = e.token(V_ADMIN_CLIENT).await;
    let base = format!("/api/v1/Tenants/{V}");
    let r = e.get(&format!("{base}/Roles"), &admin).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (200, captured_roles().as_str())
    );
    assert_eq!(r.header("total-count"), Some("3"));
    let r = e.get(&format!("{base}/Users"), &admin).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (200, captured_users().as_str())
    );
    let r = e
        .get(&format!("{base}/ClientCredentialClients"), &admin)
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, captured_cccs().as_str()));
    let r = e
        .get(&format!("{base}/AuthorizationCodeClients"), &admin)
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, captured_accs().as_str()));
    let r = e
        .get(
            &format!("{base}/Roles/{}", V_VIEWER_ROLE.to_uppercase()),
            &admin,
        )
        .await;
    assert_eq!(r.json()["Name"], json!("Read-only auditors"));
    let r = e
        .get(&format!("{base}/Roles?roleTypeId={TENANT_MEMBER}"), &admin)
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["Id"], json!(V_MEMBER_ROLE));
    let r = e.get(&format!("{base}/Users/{V_DANA}"), &admin).await;
    assert_eq!(
        r.json()["IdentityProviderId"],
        json!("e2398938-bf8f-40fa-b380-d538ece2bfc2")
    );
    // Persisted grants keep their type, creation time and expiration: the live
    // authorization code shows; the refresh token (not counted by default) and the expired
    // code do not.
    let r = e
        .get(&format!("{base}/Users/{V_DANA}/PersistedGrants"), &admin)
        .await;
    assert_eq!((r.status, r.json()), (200, json!([V_SPA])));
    let g = grants::list_all_grants(
        &mut e.srv.conn(),
        TenantId::new(V),
        &GrantFilter {
            user_id: Some(V_DANA.into()),
            ..GrantFilter::default()
        },
    )
    .unwrap();
    let k1 = g.iter().find(|g| g.id == "k1/abc+=").unwrap();
    assert_eq!(k1.grant_type, GrantType::AuthorizationCode);
    assert_eq!(k1.created_at.to_rfc3339(), "2026-01-02T03:04:05.678+00:00");
    let k2 = g.iter().find(|g| g.id == "k2").unwrap();
    assert_eq!(
        (k2.grant_type, k2.expires_at),
        (GrantType::RefreshToken, None)
    );
    let r = e
        .get(&format!("{base}/Users/{V_EVE}/PersistedGrants"), &admin)
        .await;
    assert_eq!(r.json(), json!([V_SPA2]));
}

#[tokio::test]
async fn imported_clients_keep_exactly_the_rights_of_their_tenant_role_ids() {
    let e = env().await;
    import_text(&e, &captured_document()).unwrap();
    for c in [V_ADMIN_CLIENT, V_MEMBER_CLIENT, V_VIEWER_CLIENT] {
        client_secret(&e.srv, V, c);
    }
    let base = format!("/api/v1/Tenants/{V}");
    let admin = e.token(V_ADMIN_CLIENT).await;
    let member = e.token(V_MEMBER_CLIENT).await;
    let viewer = e.token(V_VIEWER_CLIENT).await;
    // Members (by the role's RoleTypeId, not its id) read users; a custom role of type
    // Viewer does not.
    assert_eq!(e.get(&format!("{base}/Users"), &member).await.status, 200);
    assert_eq!(e.get(&format!("{base}/Users"), &viewer).await.status, 403);
    // Only the administrator role (by type) creates clients.
    let body = json!({"Name": "new", "RedirectUris": []});
    let r = e
        .call(
            Method::POST,
            &format!("{base}/AuthorizationCodeClients"),
            Some(&member),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = e
        .call(
            Method::POST,
            &format!("{base}/AuthorizationCodeClients"),
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn import_names_the_record_and_field_that_failed() {
    let e = env().await;
    let bad_user = format!(
        r#"{{"TenantId":"{V}","Users":[{{"Id":"{V_DANA}","Name":"x","IdentityProviderId":"google"}}]}}"#
    );
    let err = import_text(&e, &bad_user).unwrap_err();
    assert!(
        err.contains(&format!("user {V_DANA}: IdentityProviderId")),
        "{err}"
    );
    let bad_type = format!(
        r#"{{"TenantId":"{V}","PersistedGrants":{{"{V_DANA}":[{{"Key":"k9","Type":"reference_token","ClientId":"{V_SPA}"}}]}}}}"#
    );
    let err = import_text(&e, &bad_type).unwrap_err();
    assert!(
        err.contains("persisted grant k9 of user") && err.contains("Type"),
        "{err}"
    );
    let short = format!(
        r#"{{"TenantId":"{V}","AuthorizationCodeClients":[{{"Id":"{V_SPA}","AccessTokenLifetime":5}}]}}"#
    );
    let err = import_text(&e, &short).unwrap_err();
    assert!(err.contains(&format!("client {V_SPA}")), "{err}");
    // A login another user of the tenant already has: a conflict naming the user.
    let dup = format!(
        r#"{{"TenantId":"{T}","Users":[{{"Id":"{V_EVE}","Email":"alice@example.test"}}]}}"#
    );
    let err = import_text(&e, &dup).unwrap_err();
    assert!(err.contains(&format!("user {V_EVE}")), "{err}");
    // Nothing of a failed import stays.
    assert!(
        directory::find_tenant(&mut e.srv.conn(), TenantId::new(V))
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn client_credential_clients_get_the_tenants_own_member_role() {
    let e = env().await;
    import_text(&e, &captured_document()).unwrap();
    client_secret(&e.srv, V, V_ADMIN_CLIENT);
    let admin = e.token(V_ADMIN_CLIENT).await;
    let path = format!("/api/v1/Tenants/{V}/ClientCredentialClients");
    // A role of another type: the tenant's Tenant Member role (its own id) is added first.
    let r = e
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({"Name": "a", "RoleIds": [V_VIEWER_ROLE]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json()["Client"]["RoleIds"],
        json!([V_MEMBER_ROLE, V_VIEWER_ROLE])
    );
    // The tenant's member role already there: nothing added (no RoleTypeId beside it).
    let r = e
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({"Name": "b", "RoleIds": [V_MEMBER_ROLE.to_uppercase()]})),
        )
        .await;
    assert_eq!(r.json()["Client"]["RoleIds"], json!([V_MEMBER_ROLE]));
    let id = r.json()["Client"]["Id"].as_str().unwrap().to_owned();
    let r = e
        .call(
            Method::PUT,
            &format!("{path}/{id}"),
            Some(&admin),
            Some(json!({"RoleIds": [V_ADMIN_ROLE]})),
        )
        .await;
    assert_eq!(r.json()["RoleIds"], json!([V_MEMBER_ROLE, V_ADMIN_ROLE]));
    // A tenant without roles of its own keeps the built-in Tenant Member id.
    let r = e
        .call(
            Method::POST,
            &format!("/api/v1/Tenants/{T}/ClientCredentialClients"),
            Some(&e.admin),
            Some(json!({"Name": "c", "RoleIds": [TENANT_VIEWER]})),
        )
        .await;
    assert_eq!(
        r.json()["Client"]["RoleIds"],
        json!([TENANT_MEMBER, TENANT_VIEWER])
    );
}

#[tokio::test]
async fn import_keeps_hybrid_clients_as_their_own_kind() {
    let e = env().await;
    let doc = format!(
        r#"{{"TenantId":"{V}","HybridClients":[{{"Id":"{V_SPA}","Name":"hybrid","AccessTokenLifetime":900,"RedirectUris":["https://h.example/cb"],"AllowOfflineAccess":true}}]}}"#
    );
    import_text(&e, &doc).unwrap();
    let c = clients::get_client(&mut e.srv.conn(), TenantId::new(V), ClientId::new(V_SPA)).unwrap();
    assert_eq!(
        (c.kind, c.name.as_str(), c.allow_offline_access),
        (ClientKind::Hybrid, "hybrid", true)
    );
}
