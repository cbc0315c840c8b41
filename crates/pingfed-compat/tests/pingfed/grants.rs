//! The grant service's eight operations: the seed's requests replayed byte for byte, paths in
//! every spelling, what another user's or client's path shows, 405s, and scopes of any shape.

use grant_core::model::*;
use grant_core::service::{clients, directory, grants};
use serde_json::{Value, json};

use crate::common::*;
use grant_core::model::TenantId;

#[tokio::test]
async fn seed_sample_requests_replayed_byte_for_byte() {
    let p = pf();
    seed_grants(&p);
    for (client, item, raw_item_start) in [
        (
            "ac_client",
            seed_ac_json(),
            "{\"items\":[{\"id\":\"ixqWL3k9ZnPxjTaphcFLrVqwdrtvc6tV\",\"userKey\":\"asmith\",\"grantType\":\"AUTHORIZATION_CODE\",\"scopes\":[],\"clientId\":\"ac_client\",\"issued\":\"2019-03-15T20:00:27.343Z\",\"updated\":\"2019-03-15T20:00:27.343Z\",\"grantAttributes\":[{\"name\":\"pgeaAttrMulti\",\"values\":[",
        ),
        (
            "im_client",
            seed_im_json(),
            "{\"items\":[{\"id\":\"G7fV0HVALkplTl1Hdw109DYzlLNPXXIt\",\"userKey\":\"asmith\",\"grantType\":\"IMPLICIT\",\"scopes\":[],\"clientId\":\"im_client\",\"issued\":\"2019-03-15T18:20:39.652Z\",\"updated\":\"2019-03-15T18:20:39.652Z\"}]}",
        ),
    ] {
        let request = format!(
            "GET /pf-ws/rest/oauth/clients/{client}/grants HTTP/1.1\r\nHost: localhost:9031\r\nAuthorization: Basic YWRtaW46MkZlZGVyYXRl\r\nX-XSRF-HEADER: PingFederate\r\n\r\n"
        );
        let (status, headers, body) = raw(&p, request.as_bytes()).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"items": [item]})
        );
        assert!(body.starts_with(raw_item_start), "field order: {body}");
    }
    // The audit line names the URL the caller used (its Host).
    let lines = log_lines(&p);
    assert!(
        lines[0].contains("| admin| basic| 127.0.0.1| GET| http://localhost:9031/pf-ws/rest/oauth/clients/ac_client/grants| 200 "),
        "{lines:?}"
    );
}

#[tokio::test]
async fn the_eight_operations() {
    let p = pf();
    seed_grants(&p);
    let mut g = NewGrant::new(&p.bob.id, "ac_client");
    g.id = Some("BobGrant000000000000000000000001".into());
    g.scopes = ScopeSet::from_names(["openid", "profile"]);
    g.created_at = Some(at("2026-07-16T22:44:30.090Z"));
    g.updated_at = Some(at("2026-07-17T08:00:00.5Z"));
    g.expires_at = Some(at("2099-08-15T22:44:30.091Z"));
    g.grant_type = GrantType::Password;
    grants::issue_grant(&mut p.srv.conn(), p.srv.tenant(), g, "test").unwrap();
    let bob_json = json!({
        "id": "BobGrant000000000000000000000001",
        "userKey": "bob",
        "grantType": "RESOURCE_OWNER_CREDENTIALS",
        "scopes": ["openid", "profile"],
        "clientId": "ac_client",
        "issued": "2026-07-16T22:44:30.090Z",
        "updated": "2026-07-17T08:00:00.500Z",
        "expires": "2099-08-15T22:44:30.091Z"
    });

    // 1. GET client grants: every user's, oldest first.
    let (s, h, body) = get(&p, "/pf-ws/rest/oauth/clients/ac_client/grants").await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "application/json");
    // Every user's grants, oldest first: the seed's grant as documented, then bob's.
    assert_eq!(body["items"][0], seed_ac_json());
    insta::assert_json_snapshot!("client_grants", body);
    // 2. GET one client grant: the bare object.
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/clients/ac_client/grants/BobGrant000000000000000000000001",
    )
    .await;
    assert_eq!((s, body), (200, bob_json.clone()));
    let (_, _, raw_body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/ac_client/grants/BobGrant000000000000000000000001",
    )
    .await;
    assert_eq!(
        raw_body,
        "{\"id\":\"BobGrant000000000000000000000001\",\"userKey\":\"bob\",\"grantType\":\"RESOURCE_OWNER_CREDENTIALS\",\"scopes\":[\"openid\",\"profile\"],\"clientId\":\"ac_client\",\"issued\":\"2026-07-16T22:44:30.090Z\",\"updated\":\"2026-07-17T08:00:00.500Z\",\"expires\":\"2099-08-15T22:44:30.091Z\"}"
    );
    // 3. GET user grants.
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(s, 200);
    assert_eq!(body, json!({"items": [seed_im_json(), seed_ac_json()]}));
    // 4. GET one user grant.
    let (s, _, body) = get(
        &p,
        &format!("/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}"),
    )
    .await;
    assert_eq!((s, body), (200, seed_ac_json()));
    // 5. DELETE one user grant.
    let (s, h, body) = delete(
        &p,
        &format!("/pf-ws/rest/oauth/users/asmith/grants/{IM_GRANT}"),
    )
    .await;
    assert_eq!((s, body.as_str()), (204, ""));
    assert!(!h.contains_key("content-type"));
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body, json!({"items": [seed_ac_json()]}));
    // 6. DELETE one client grant.
    let (s, _, body) = delete(
        &p,
        "/pf-ws/rest/oauth/clients/ac_client/grants/BobGrant000000000000000000000001",
    )
    .await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/bob/grants").await;
    assert_eq!(body, json!({"items": []}));
    // 7. DELETE all of a user's grants.
    add(
        &p,
        &p.bob,
        "im_client",
        "BobGrant000000000000000000000002",
        GrantType::Implicit,
        &["email"],
        "2024-01-01T00:00:00Z",
        &[],
    );
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body, json!({"items": []}));
    // 8. DELETE all of a client's grants.
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/clients/im_client/grants").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/clients/im_client/grants").await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/im_client/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    // Revocations went through grant-core: audited, never coming back.
    let audit =
        grant_core::store::audit::list_audit(&mut p.srv.conn(), Some(p.srv.tenant())).unwrap();
    let revocations: Vec<&AuditEvent> = audit
        .iter()
        .filter(|e| e.action.contains("revoked"))
        .collect();
    assert_eq!(revocations.len(), 4, "{audit:?}");
    assert!(
        revocations
            .iter()
            .all(|e| e.actor == "pingfed:pcv:Grant Management PCV:admin")
    );
    let all = grants::list_all_grants(&mut p.srv.conn(), p.srv.tenant(), &GrantFilter::default())
        .unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn trailing_slash_and_percent_encoded_segments() {
    let p = pf();
    seed_grants(&p);
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants/").await;
    assert_eq!((s, body["items"].as_array().unwrap().len()), (200, 2));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/im_client/grants/").await;
    assert_eq!((s, body), (200, json!({"items": [seed_im_json()]})));
    let (s, _, body) = get(
        &p,
        &format!("/pf-ws/rest/oauth/clients/im_client/grants/{IM_GRANT}/"),
    )
    .await;
    assert_eq!((s, body), (200, seed_im_json()));

    // USER_KEY values are arbitrary strings: decoded exactly once.
    let t = p.srv.tenant().to_buf();
    for login in ["j doe@example.com", "CN=Doe/OU=x", "100%25"] {
        let u = directory::create_user(
            &mut p.srv.conn(),
            &t,
            NewUser {
                login: login.into(),
                ..NewUser::default()
            },
            "t",
        )
        .unwrap();
        let id = format!("Enc{:029}", login.len());
        add(
            &p,
            &u,
            "ac_client",
            &id,
            GrantType::AuthorizationCode,
            &["a"],
            "2024-01-01T00:00:00Z",
            &[],
        );
        let enc: String = login
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (s, _, body) = get(&p, &format!("/pf-ws/rest/oauth/users/{enc}/grants")).await;
        assert_eq!(s, 200, "{login}");
        assert_eq!(body["items"][0]["userKey"], login, "{login}");
        let (s, _, body) = get(&p, &format!("/pf-ws/rest/oauth/users/{enc}/grants/{id}")).await;
        assert_eq!(
            (s, body["id"].as_str()),
            (200, Some(id.as_str())),
            "{login}"
        );
    }
    // Query parameters are not part of the service: ignored.
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/users/asmith/grants?limit=1&grantType=IMPLICIT",
    )
    .await;
    assert_eq!((s, body["items"].as_array().unwrap().len()), (200, 2));
}

#[tokio::test]
async fn unknown_client_is_404_unknown_user_is_an_empty_list() {
    let p = pf();
    seed_grants(&p);
    let (s, h, body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/no_such_client/grants",
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Client not found");
    assert_eq!(h["content-type"], "application/json");
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/clients/no_such_client/grants").await;
    assert_error(s, &body, 404, "not_found", "Client not found");
    let (s, _, body) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/clients/no_such_client/grants/{AC_GRANT}"),
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Client not found");

    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/nobody/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    let (_, _, raw_body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/nobody/grants",
    )
    .await;
    assert_eq!(raw_body, "{\"items\":[]}");
    let (s, _, body) = delete(&p, "/pf-ws/rest/oauth/users/nobody/grants").await;
    assert_eq!((s, body.as_str()), (204, ""));
    let (s, _, body) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/users/nobody/grants/{AC_GRANT}"),
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    // A client that exists but has no grants: empty list.
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/clients/ac_client/grants").await;
    assert_eq!((s, body["items"].as_array().unwrap().len()), (200, 1));
}

#[tokio::test]
async fn get_after_delete_is_404_and_delete_all_then_list_is_empty() {
    let p = pf();
    seed_grants(&p);
    let one = format!("/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}");
    let (s, _, _) = delete(&p, &one).await;
    assert_eq!(s, 204);
    let (s, _, body) = call(&p, reqwest::Method::GET, &one).await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    let (s, _, body) = delete(&p, &one).await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    let (s, _, _) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/clients/ac_client/grants/{AC_GRANT}"),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _, body) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants/NoSuchGrant00000000000000000000",
    )
    .await;
    assert_error(s, &body, 404, "not_found", "Persistent grant not found");

    let (s, _, _) = delete(&p, "/pf-ws/rest/oauth/users/asmith/grants/").await;
    assert_eq!(s, 204);
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!((s, body), (200, json!({"items": []})));
    let (s, _, _) = delete(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(s, 204, "deleting nothing is still 204");
    // Revoked grants stay revoked.
    let (s, _, _) = call(
        &p,
        reqwest::Method::GET,
        &format!("/pf-ws/rest/oauth/clients/im_client/grants/{IM_GRANT}"),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn another_users_or_clients_grant_is_404_under_this_path() {
    let p = pf();
    seed_grants(&p);
    add(
        &p,
        &p.bob,
        "ac_client",
        "BobGrant000000000000000000000009",
        GrantType::AuthorizationCode,
        &[],
        "2024-01-01T00:00:00Z",
        &[],
    );
    let cases = [
        format!("/pf-ws/rest/oauth/users/bob/grants/{AC_GRANT}"),
        "/pf-ws/rest/oauth/users/asmith/grants/BobGrant000000000000000000000009".to_owned(),
        format!("/pf-ws/rest/oauth/clients/im_client/grants/{AC_GRANT}"),
    ];
    for path in &cases {
        let (s, _, body) = call(&p, reqwest::Method::GET, path).await;
        assert_error(s, &body, 404, "not_found", "Persistent grant not found");
        let (s, _, body) = delete(&p, path).await;
        assert_error(s, &body, 404, "not_found", "Persistent grant not found");
    }
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/clients/ac_client/grants").await;
    assert_eq!(
        body["items"].as_array().unwrap().len(),
        2,
        "nothing revoked"
    );
    // Another tenant's data is invisible.
    let t2 = "other-tenant";
    let mut conn = p.srv.conn();
    directory::create_tenant(&mut conn, Some(t2.into()), "t2").unwrap();
    let u = directory::create_user(
        &mut conn,
        TenantId::new(t2),
        NewUser {
            login: "asmith".into(),
            ..NewUser::default()
        },
        "t",
    )
    .unwrap();
    clients::create_client(
        &mut conn,
        TenantId::new(t2),
        NewClient {
            id: Some("t2_client".into()),
            ..NewClient::default()
        },
        "t",
    )
    .unwrap();
    let mut g = NewGrant::new(&u.id, "t2_client");
    g.id = Some("OtherTenant000000000000000000001".into());
    grants::issue_grant(&mut conn, TenantId::new(t2), g, "t").unwrap();
    drop(conn);
    let (_, _, body) = get(&p, "/pf-ws/rest/oauth/users/asmith/grants").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    let (s, _, _) = call(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/t2_client/grants",
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn other_methods_are_405_with_allow_and_unknown_paths_404() {
    let p = pf();
    for path in [
        "/pf-ws/rest/oauth/users/asmith/grants",
        "/pf-ws/rest/oauth/users/asmith/grants/x",
        "/pf-ws/rest/oauth/clients/ac_client/grants/",
        "/pf-ws/rest/oauth/clients/ac_client/grants/x",
    ] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
        ] {
            let (s, h, body) = call(&p, method, path).await;
            assert_error(
                s,
                &body,
                405,
                "method_not_allowed",
                "HTTP method not allowed",
            );
            assert_eq!(h["allow"], "GET, DELETE");
        }
    }
    for path in [
        "/pf-ws/rest/oauth/clients/ac_client",
        "/pf-ws/rest/oauth/grants",
        "/pf-ws/rest/oauth/Users/asmith/grants",
    ] {
        let (s, _, body) = call(&p, reqwest::Method::GET, path).await;
        assert_error(s, &body, 404, "not_found", "Resource not found");
    }
}

#[tokio::test]
async fn scopes_with_colons_slashes_dots_and_non_ascii_round_trip_exactly() {
    let p = pf();
    let captured = json!({
        "id": "ScopesWithColons0000000000000001",
        "userKey": "alice",
        "grantType": "AUTHORIZATION_CODE",
        "scopes": ["api:read", "urn:example:scope", "https://api.example.com/orders.read", "données:lire", "car:drive,fast"],
        "clientId": "acme-budgeting",
        "issued": "2026-07-16T22:44:30.090Z",
        "updated": "2026-07-16T22:44:30.090Z"
    });
    let items = pingfed_compat::import::parse_file(&captured.to_string())
        .unwrap()
        .grants;
    grant_core::service::import::import_grants(&mut p.srv.conn(), p.srv.tenant(), items, "test")
        .unwrap();
    let (s, _, body) = get(
        &p,
        "/pf-ws/rest/oauth/users/alice/grants/ScopesWithColons0000000000000001",
    )
    .await;
    assert_eq!((s, body), (200, captured.clone()));
    let (s, _, body) = get(&p, "/pf-ws/rest/oauth/users/alice/grants").await;
    assert_eq!((s, body), (200, json!({"items": [captured]})));
}
