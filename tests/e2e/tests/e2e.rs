//! Two gateways over one database, as operators run them behind one proxy: a grant revoked
//! through one vendor's API is gone from the other's at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use grant_core::model::*;
use grant_core::service::{clients, directory, grants};
use grant_core::testing::fixture::credential;
use grant_core::testing::{TestDb, fast_hashing};
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use okta_compat::Okta;
use pingfed_compat::PingFed;
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
    let t = okta.tenant().to_buf();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some(t.to_string()), "org").unwrap();
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
    let token = credential(CredentialKind::ApiToken)
        .name("admin")
        .roles(&["SUPER_ADMIN"])
        .prefix("00")
        .issue(&mut conn, &t);
    credential(CredentialKind::Password)
        .name("ws-admin")
        .issue_secret(&mut conn, &t, "pw");
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
        .header("authorization", format!("SSWS {token}"))
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
        .header("authorization", format!("SSWS {token}"))
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
    let t = okta.tenant().to_buf();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some(t.to_string()), "org").unwrap();
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
    let ssws = credential(CredentialKind::ApiToken)
        .name("admin")
        .roles(&["SUPER_ADMIN"])
        .prefix("00")
        .issue(&mut conn, &t);
    let ssws = format!("SSWS {ssws}");
    for (name, user) in [("ws-admin", None), ("alice", Some(alice.id.as_str()))] {
        let mut pw = credential(CredentialKind::Password).name(name);
        if let Some(user) = user {
            pw = pw.user(user);
        }
        pw.issue_secret(&mut conn, &t, "pw");
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

/// Grants born from sign-ins: one made by PingFederate's approval is listed by Okta's and
/// OCS's APIs, and removing it through OCS stops the refresh token PingFederate issued; one
/// made by Okta's consent page is listed by PingFederate, and revoking it there stops the
/// refresh token Okta issued.
#[tokio::test]
async fn a_grant_born_on_one_face_is_revoked_on_another_and_its_tokens_stop() {
    const TENANT: &str = "0e2e0000-0000-4000-8000-000000000001";
    const ALICE: &str = "0e2e0000-0000-4000-8000-0000000000a1";
    const PF_APP: &str = "pf_app";
    const OKTA_APP: &str = "0oaE2eOktaApp0000001";
    const ADMIN: &str = "0e2e0000-0000-4000-8000-0000000000c1";
    const CB: &str = "http://app.example/cb";
    let db = TestDb::new();
    let store = db.store();
    fn in_tenant<V: Default>(db: &TestDb) -> GatewayConfig<V> {
        let mut cfg = config::<V>(db);
        cfg.server.tenant = TENANT.into();
        cfg
    }
    let okta = TestServer::<Okta>::start_with_store(in_tenant(&db), store.clone(), None);
    let pingfed = TestServer::<PingFed>::start_with_store(in_tenant(&db), store.clone(), None);
    let mut ocs_cfg = in_tenant::<ocs_compat::OcsConfig>(&db);
    ocs_cfg.vendor.persisted_grant_types =
        vec!["authorization_code".into(), "refresh_token".into()];
    let ocs = TestServer::<ocs_compat::Ocs>::start_with_store(ocs_cfg, store.clone(), None);
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some(TENANT.into()), "org").unwrap();
    let alice = directory::create_user(
        &mut conn,
        TenantId::new(TENANT),
        NewUser {
            id: Some(ALICE.into()),
            login: "alice".into(),
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    credential(CredentialKind::Password)
        .name("alice")
        .user(ALICE)
        .faces(&["okta", "pingfed"])
        .issue_secret(&mut conn, TENANT, "Pa55-word!");
    for (id, consent) in [(PF_APP, false), (OKTA_APP, true)] {
        clients::create_client(
            &mut conn,
            TenantId::new(TENANT),
            NewClient {
                id: Some(id.into()),
                redirect_uris: vec![CB.into()],
                consent_required: Some(consent),
                ..NewClient::default()
            },
            "test",
        )
        .unwrap();
        credential(CredentialKind::ClientSecret)
            .name(id)
            .client(id)
            .faces(&["okta", "pingfed"])
            .issue_secret(&mut conn, TENANT, "app-secret");
    }
    clients::create_client(
        &mut conn,
        TenantId::new(TENANT),
        NewClient {
            id: Some(ADMIN.into()),
            kind: Some(ClientKind::ClientCredentials),
            roles: vec!["Tenant Administrator".into()],
            ..NewClient::default()
        },
        "test",
    )
    .unwrap();
    credential(CredentialKind::ClientSecret)
        .name("admin-secret")
        .client(ADMIN)
        .faces(&["ocs"])
        .issue_secret(&mut conn, TENANT, "admin-secret");
    let token = credential(CredentialKind::ApiToken)
        .name("admin")
        .roles(&["SUPER_ADMIN"])
        .prefix("00")
        .issue(&mut conn, TENANT);
    credential(CredentialKind::Password)
        .name("ws-admin")
        .issue_secret(&mut conn, TENANT, "pw");
    drop(conn);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap();
    let field = |page: &str, name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).unwrap() + marker.len();
        page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&")
    };
    let set_cookie = |res: &reqwest::Response, name: &str| {
        res.headers().get_all("set-cookie").iter().find_map(|v| {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_owned();
            pair.starts_with(&format!("{name}=")).then_some(pair)
        })
    };
    let code_of = |res: &reqwest::Response| {
        let loc = res.headers()["location"].to_str().unwrap();
        let q: Vec<(String, String)> =
            serde_urlencoded::from_str(loc.split_once('?').unwrap().1).unwrap();
        q.into_iter().find(|(k, _)| k == "code").unwrap().1
    };

    // 1. Born on PingFederate: sign in on the HTML form; the client may refresh, so the
    //    authorization is a persistent grant.
    let auth = format!(
        "/as/authorization.oauth2?{}",
        form(&[
            ("client_id", PF_APP),
            ("response_type", "code"),
            ("redirect_uri", CB),
            ("scope", "openid profile")
        ])
    );
    let res = http.get(pingfed.url(&auth)).send().await.unwrap();
    let csrf = set_cookie(&res, "PF.CSRF").unwrap();
    let page = res.text().await.unwrap();
    let start = page.find("action=\"").unwrap() + 8;
    let action = page[start..start + page[start..].find('"').unwrap()].to_owned();
    let res = http
        .post(pingfed.url(&action))
        .header("cookie", &csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("request", &field(&page, "request")),
            ("cSRFToken", &field(&page, "cSRFToken")),
            ("pf.username", "alice"),
            ("pf.pass", "Pa55-word!"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let code = code_of(&res);
    let tokens: Value = http
        .post(pingfed.url("/as/token.oauth2"))
        .basic_auth(PF_APP, Some("app-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pf_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let okta_grants = || async {
        let body: Value = http
            .get(okta.url(&format!(
                "/api/v1/users/{}/grants",
                alice.alias(AliasVendor::Okta)
            )))
            .header("authorization", format!("SSWS {token}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut seen: Vec<(String, String)> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["clientId"].as_str().unwrap().to_owned(),
                    g["scopeId"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        seen.sort();
        seen
    };
    assert_eq!(
        okta_grants().await,
        vec![
            (PF_APP.to_owned(), "openid".to_owned()),
            (PF_APP.to_owned(), "profile".to_owned())
        ]
    );
    let ocs_token: Value = http
        .post(ocs.url("/identity/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ADMIN),
            ("client_secret", "admin-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ocs_token = ocs_token["access_token"].as_str().unwrap().to_owned();
    let persisted = format!("/api/v1/Tenants/{TENANT}/Users/{ALICE}/PersistedGrants");
    let listed: Value = http
        .get(ocs.url(&persisted))
        .bearer_auth(&ocs_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, serde_json::json!([PF_APP]));
    // Removed through OCS: PingFederate's refresh token stops.
    let res = http
        .delete(ocs.url(&persisted))
        .bearer_auth(&ocs_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = http
        .post(pingfed.url("/as/token.oauth2"))
        .basic_auth(PF_APP, Some("app-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pf_refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text().await.unwrap(),
        r#"{"error_description":"unknown, invalid, or expired refresh token","error":"invalid_grant"}"#
    );
    assert_eq!(okta_grants().await, vec![]);

    // 2. Born on Okta's consent page; PingFederate lists it, and revoking it there stops
    //    Okta's refresh token.
    let authn: Value = http
        .post(okta.url("/api/v1/authn"))
        .json(&serde_json::json!({"username": "alice", "password": "Pa55-word!"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let auth = format!(
        "/oauth2/default/v1/authorize?{}",
        form(&[
            ("client_id", OKTA_APP),
            ("response_type", "code"),
            ("redirect_uri", CB),
            ("scope", "openid email offline_access"),
            ("state", "s"),
            ("sessionToken", authn["sessionToken"].as_str().unwrap()),
        ])
    );
    let res = http.get(okta.url(&auth)).send().await.unwrap();
    let cookies = format!(
        "{}; {}",
        set_cookie(&res, "sid").unwrap(),
        set_cookie(&res, "okta_csrf").unwrap()
    );
    let page = res.text().await.unwrap();
    let res = http
        .post(okta.url("/oauth2/default/v1/consent"))
        .header("cookie", &cookies)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("request", &field(&page, "request")),
            ("csrf_token", &field(&page, "csrf_token")),
            ("decision", "allow"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let code = code_of(&res);
    let tokens: Value = http
        .post(okta.url("/oauth2/default/v1/token"))
        .basic_auth(OKTA_APP, Some("app-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let okta_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let pf_grants: Value = http
        .get(pingfed.url("/pf-ws/rest/oauth/users/alice/grants"))
        .basic_auth("ws-admin", Some("pw"))
        .header("X-XSRF-HEADER", "PingFederate")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = pf_grants["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{pf_grants}");
    assert_eq!(items[0]["clientId"], OKTA_APP);
    assert_eq!(
        items[0]["scopes"],
        serde_json::json!(["email", "offline_access"])
    );
    let res = http
        .delete(pingfed.url(&format!("/pf-ws/rest/oauth/clients/{OKTA_APP}/grants")))
        .basic_auth("ws-admin", Some("pw"))
        .header("X-XSRF-HEADER", "PingFederate")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = http
        .post(okta.url("/oauth2/default/v1/token"))
        .basic_auth(OKTA_APP, Some("app-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", okta_refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        serde_json::json!({"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."})
    );
    drop((okta, pingfed, ocs));
}
