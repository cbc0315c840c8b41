//! API integrations (validity, allowed identities) and importing identities and integrations.

use grant_core::model::*;
use grant_core::service::{clients, directory};
use serde_json::json;

use crate::common::*;
use grant_core::model::ClientId;

#[tokio::test]
async fn integrations_have_any_positive_validity_and_admit_only_allowed_identities() {
    let o = tpp();
    let short = clients::create_client(
        &mut o.srv.conn(),
        o.srv.tenant(),
        NewClient {
            id: Some("short-app".into()),
            kind: Some(ClientKind::ApiIntegration),
            access_token_lifetime: Some(5),
            refresh_token_lifetime: Some(10),
            allowed_identities: vec![BOB.to_uppercase()],
            vendor: Some("Example Corp".into()),
            description: Some("Five-second tokens".into()),
            renewable: Some(false),
            ..NewClient::default()
        },
        "test",
    )
    .unwrap();
    assert_eq!(
        (
            short.vendor.as_str(),
            short.description.as_str(),
            short.renewable
        ),
        ("Example Corp", "Five-second tokens", false)
    );
    // An identity the integration does not allow gets TPP's rejection, never a token.
    let (s, h, b) = o
        .post(
            "/vedauth/authorize/oauth",
            None,
            json!({"username": "alice", "password": PASSWORD, "client_id": "short-app", "scope": "certificate"}),
        )
        .await;
    assert_json_headers(&h);
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The identity is not allowed to use this API integration",
    );
    let none = grant_core::service::grants::list_all_grants(
        &mut o.srv.conn(),
        o.srv.tenant(),
        &GrantFilter::by_client("short-app"),
    )
    .unwrap();
    assert!(none.is_empty());
    // An allowed one (universals compare case-insensitively) gets a 5-second token.
    let bob = o.login("bob", "short-app", "certificate").await;
    assert_eq!(bob["expires_in"], 5);
    assert_eq!(
        bob["refresh_until"].as_i64().unwrap() - bob["expires"].as_i64().unwrap(),
        5
    );
    // Not renewable: its refresh token does not renew access.
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": "short-app", "refresh_token": bob["refresh_token"]}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The refresh token is invalid, expired or revoked",
    );
}

#[tokio::test]
async fn import_takes_identities_and_api_integrations_with_every_property() {
    let o = tpp();
    let sample = sample_with_future_expiry();
    let mut doc = json_of(&sample);
    let carol = "local:{c0c0c0c0-0000-4000-8000-0000000000c3}";
    doc["Identities"] = json!([{
        "FullName": "\\VED\\Identity\\Carol Import", "Name": "carol.import", "Prefix": "local",
        "PrefixedName": "local:carol.import", "PrefixedUniversal": carol, "Type": 1,
        "Universal": "{c0c0c0c0-0000-4000-8000-0000000000c3}"
    }]);
    doc["Applications"] = json!([{
        "ApplicationId": "ImportedCI", "ApplicationName": "Imported CI", "Vendor": "Example Corp",
        "Description": "build pipeline", "AccessValidity": 5, "GrantValidity": 60, "Renewable": false,
        "AllowedIdentities": [carol], "Scope": "certificate:manage,revoke;configuration"
    }]);
    let batch = venafi_compat::import::parse_file(&doc.to_string()).unwrap();
    grant_core::service::import::import_batch(&mut o.srv.conn(), o.srv.tenant(), batch, "test")
        .unwrap();
    // The grants come back exactly as captured.
    let admin = o.token("admin", "admin").await;
    let (status, _, body) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&admin),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_eq!((status, body.as_str()), (200, sample.as_str()));
    // The integration keeps every property; the identity without grants exists.
    let mut conn = o.srv.conn();
    let app = clients::get_client(&mut conn, o.srv.tenant(), ClientId::new("ImportedCI")).unwrap();
    assert_eq!(
        (
            app.kind,
            app.name.as_str(),
            app.vendor.as_str(),
            app.description.as_str(),
            app.access_token_lifetime,
            app.refresh_token_lifetime,
            app.renewable,
            app.allowed_identities.clone(),
            app.allowed_scopes.clone()
        ),
        (
            ClientKind::ApiIntegration,
            "Imported CI",
            "Example Corp",
            "build pipeline",
            5,
            60,
            false,
            vec![carol.to_owned()],
            vec![
                "certificate:manage,revoke".to_owned(),
                "configuration".to_owned()
            ]
        )
    );
    let user = directory::get_user(
        &mut conn,
        o.srv.tenant(),
        UserKey::Alias(AliasVendor::Venafi),
        &carol.to_uppercase(),
    )
    .unwrap();
    assert_eq!(
        (user.login.as_str(), user.display_name.as_str()),
        ("carol.import", "\\VED\\Identity\\Carol Import")
    );
    // Errors name the record and its field.
    let bad = json!({"Applications": [{"ApplicationId": "Zero", "AccessValidity": 0}]});
    let err = venafi_compat::import::parse_file(&bad.to_string()).unwrap_err();
    assert!(
        err.contains("API integration Zero: AccessValidity"),
        "{err}"
    );
    let bad = json!({"Applications": [{"ApplicationId": "Odd", "Scope": "certificate:fly"}]});
    let err = venafi_compat::import::parse_file(&bad.to_string()).unwrap_err();
    assert!(err.contains("API integration Odd: Scope"), "{err}");
    let bad = json!({"Identities": [{"PrefixedUniversal": "nobody"}]});
    let err = venafi_compat::import::parse_file(&bad.to_string()).unwrap_err();
    assert!(err.contains("identity nobody: PrefixedUniversal"), "{err}");
}
