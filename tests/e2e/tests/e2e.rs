//! Two gateways over one database, as operators run them behind one proxy: a grant revoked
//! through one vendor's API is gone from the other's at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use grant_core::model::*;
use grant_core::service::{clients, credentials, directory, grants};
use grant_core::testing::{TestDb, fast_hashing};
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use okta_compat::Okta;
use pingfed_compat::PingFed;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

fn config<V: Default>(db: &TestDb) -> GatewayConfig<V> {
    let mut cfg = GatewayConfig::<V> {
        database: db.config.clone(),
        hashing: fast_hashing(),
        ..GatewayConfig::default()
    };
    cfg.server.workers = 1;
    cfg.server.shutdown_timeout_secs = 0;
    cfg
}

#[tokio::test]
async fn a_grant_revoked_through_okta_is_gone_from_pingfederate() {
    let db = TestDb::new();
    let store = db.store();
    let okta = TestServer::<Okta>::start_with_store(config(&db), store.clone(), None);
    let pingfed = TestServer::<PingFed>::start_with_store(config(&db), store.clone(), None);
    let t = okta.tenant().to_owned();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some(t.clone()), "org").unwrap();
    let alice = directory::create_user(
        &mut conn,
        &t,
        NewUser {
            login: "alice".into(),
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    clients::create_client(
        &mut conn,
        &t,
        NewClient {
            id: Some("ac_client".into()),
            ..NewClient::default()
        },
        "test",
    )
    .unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut g = NewGrant::new(&alice.id, "ac_client");
        g.issuer = "https://org.example".into();
        g.scopes = ScopeSet::from_names(["openid"]);
        ids.push(grants::issue_grant(&mut conn, &t, g, "test").unwrap().id);
    }
    ids.sort();
    let token = credentials::create_credential(
        &mut conn,
        &t,
        NewCredential {
            kind: CredentialKind::ApiToken,
            name: "admin".into(),
            user_id: None,
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles: vec!["SUPER_ADMIN".into()],
            expires_at: None,
            token_prefix: "00".into(),
            faces: vec![],
        },
        None,
        &fast_hashing(),
        "test",
    )
    .unwrap();
    let pcv = NewCredential {
        kind: CredentialKind::Password,
        name: "ws-admin".into(),
        user_id: None,
        client_id: None,
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: String::new(),
        faces: vec![],
    };
    credentials::create_credential(
        &mut conn,
        &t,
        pcv,
        Some(SecretString::from("pw")),
        &fast_hashing(),
        "test",
    )
    .unwrap();
    drop(conn);

    let pf_list = || async {
        let res = pingfed
            .client
            .get(pingfed.url("/pf-ws/rest/oauth/users/alice/grants"))
            .basic_auth("ws-admin", Some("pw"))
            .header("X-XSRF-HEADER", "PingFederate")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let mut ids: Vec<String> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(pf_list().await, ids);

    let res = okta
        .client
        .delete(okta.url(&format!(
            "/api/v1/users/{}/grants/{}",
            alice.alias(AliasVendor::Okta),
            ids[0]
        )))
        .header(
            "authorization",
            format!("SSWS {}", token.secret.expose_secret()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(pf_list().await, vec![ids[1].clone()]);

    // And the other way round: revoked through PingFederate, gone from Okta.
    let res = pingfed
        .client
        .delete(pingfed.url(&format!(
            "/pf-ws/rest/oauth/clients/ac_client/grants/{}",
            ids[1]
        )))
        .basic_auth("ws-admin", Some("pw"))
        .header("x-xsrf-header", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = okta
        .client
        .get(okta.url(&format!(
            "/api/v1/users/{}/grants",
            alice.alias(AliasVendor::Okta)
        )))
        .header(
            "authorization",
            format!("SSWS {}", token.secret.expose_secret()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!([]));
    drop((okta, pingfed));
}

/// Scope names with `:`, `/`, `.` and non-ASCII, made through one gateway, read back through
/// every gateway exactly; one Okta scope revoked leaves the rest in every gateway.
#[tokio::test]
async fn opaque_scopes_round_trip_through_every_gateway() {
    const SCOPES: [&str; 4] = [
        "api:read",
        "urn:example:scope",
        "https://api.example.com/orders.read",
        "données:lire",
    ];
    let db = TestDb::new();
    let store = db.store();
    let okta = TestServer::<Okta>::start_with_store(config(&db), store.clone(), None);
    let pingfed = TestServer::<PingFed>::start_with_store(config(&db), store.clone(), None);
    let venafi =
        TestServer::<venafi_compat::Venafi>::start_with_store(config(&db), store.clone(), None);
    let t = okta.tenant().to_owned();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some(t.clone()), "org").unwrap();
    let alice = directory::create_user(
        &mut conn,
        &t,
        NewUser {
            login: "alice".into(),
            aliases: [(
                AliasVendor::Venafi,
                "local:{5a32c46e-e7d8-404d-9987-2e68c0928219}".to_owned(),
            )]
            .into(),
            roles: vec!["Admin".into()],
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    for (id, kind) in [
        ("ac_client", ClientKind::AuthorizationCode),
        ("tpp-app", ClientKind::ApiIntegration),
    ] {
        clients::create_client(
            &mut conn,
            &t,
            NewClient {
                id: Some(id.into()),
                kind: Some(kind),
                ..NewClient::default()
            },
            "test",
        )
        .unwrap();
    }
    let mut g = NewGrant::new(&alice.id, "ac_client");
    g.id = Some("ixqWL3k9ZnPxjTaphcFLrVqwdrtvc6tV".into());
    g.scopes = ScopeSet::from_names(SCOPES);
    grants::issue_grant(&mut conn, &t, g, "test").unwrap();
    let admin = |name: &str, kind: CredentialKind, roles: Vec<String>, user: Option<String>| {
        NewCredential {
            kind,
            name: name.into(),
            user_id: user,
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles,
            expires_at: None,
            token_prefix: if kind == CredentialKind::ApiToken {
                "00".into()
            } else {
                String::new()
            },
            faces: vec![],
        }
    };
    let ssws = credentials::create_credential(
        &mut conn,
        &t,
        admin(
            "admin",
            CredentialKind::ApiToken,
            vec!["SUPER_ADMIN".into()],
            None,
        ),
        None,
        &fast_hashing(),
        "test",
    )
    .unwrap();
    let ssws = format!("SSWS {}", ssws.secret.expose_secret());
    for (name, user) in [("ws-admin", None), ("alice", Some(alice.id.clone()))] {
        credentials::create_credential(
            &mut conn,
            &t,
            admin(name, CredentialKind::Password, vec![], user),
            Some(SecretString::from("pw")),
            &fast_hashing(),
            "test",
        )
        .unwrap();
    }
    drop(conn);

    let pf_scopes = || async {
        let res = pingfed
            .client
            .get(pingfed.url("/pf-ws/rest/oauth/users/alice/grants"))
            .basic_auth("ws-admin", Some("pw"))
            .header("X-XSRF-HEADER", "PingFederate")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["items"][0]["scopes"].clone()
    };
    assert_eq!(pf_scopes().await, serde_json::json!(SCOPES));

    let res = okta
        .client
        .get(okta.url(&format!(
            "/api/v1/users/{}/grants",
            alice.alias(AliasVendor::Okta)
        )))
        .header("authorization", &ssws)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    let mut seen: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["scopeId"].as_str().unwrap().to_owned(),
                g["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut want: Vec<&str> = SCOPES.to_vec();
    want.sort();
    assert_eq!(
        seen.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        want
    );

    // Venafi shows the names as they are, without restrictions.
    let res = venafi
        .client
        .post(venafi.url("/vedauth/authorize/oauth"))
        .json(&serde_json::json!({"username": "alice", "password": "pw", "client_id": "tpp-app", "scope": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let login: Value = res.json().await.unwrap();
    let res = venafi
        .client
        .post(venafi.url("/vedsdk/oauth/getgrants"))
        .bearer_auth(login["access_token"].as_str().unwrap())
        .json(&serde_json::json!({"GranteePrefixedUniversal": alice.alias(AliasVendor::Venafi), "ApplicationId": "ac_client"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let mut sorted = SCOPES.to_vec();
    sorted.sort();
    let list: Vec<Value> = sorted
        .iter()
        .map(|s| serde_json::json!({"RestrictionList": [], "Scope": s}))
        .collect();
    assert_eq!(
        body["Grants"][0]["Scope"],
        serde_json::json!({"ScopeList": list})
    );

    // One Okta scope revoked: the other gateways show the grant with the other scopes.
    let api_read = &seen.iter().find(|(s, _)| s == "api:read").unwrap().1;
    let res = okta
        .client
        .delete(okta.url(&format!(
            "/api/v1/users/{}/grants/{api_read}",
            alice.alias(AliasVendor::Okta)
        )))
        .header("authorization", &ssws)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(pf_scopes().await, serde_json::json!(SCOPES[1..]));
    drop((okta, pingfed, venafi));
}
