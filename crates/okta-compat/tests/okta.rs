//! Wire-level tests of okta-compat on a running server (SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set): status, headers and exact JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use grant_core::HashingConfig;
use grant_core::model::*;
use grant_core::service::{clients, credentials, directory, grants};
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use okta_compat::{Okta, OktaConfig, RateLimitConfig};
use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

struct Org {
    srv: TestServer<Okta>,
    admin: String,
    alice: User,
    bob: User,
}

fn config() -> GatewayConfig<OktaConfig> {
    GatewayConfig::default()
}

fn org_with(cfg: GatewayConfig<OktaConfig>) -> Org {
    let srv = TestServer::<Okta>::start(cfg);
    let t = srv.tenant().to_owned();
    let mut conn = srv.conn();
    directory::create_tenant(&mut conn, Some(t.clone()), "org").unwrap();
    let user = |conn: &mut grant_core::DbConn, login: &str, okta: &str| {
        let new = NewUser {
            login: login.into(),
            aliases: [(AliasVendor::Okta, okta.to_owned())].into(),
            display_name: Some(format!("{login} Example")),
            ..NewUser::default()
        };
        directory::create_user(conn, &t, new, "test").unwrap()
    };
    let alice = user(&mut conn, "alice", "00ualice000000000001");
    let bob = user(&mut conn, "bob", "00ubob00000000000002");
    for (id, name) in [
        ("0oaclient00000000001", "Web App"),
        ("0oaclient00000000002", ""),
    ] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(name.into()),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, &t, new, "test").unwrap();
    }
    directory::define_scopes(
        &mut conn,
        &[ScopeDefinition {
            tenant_id: t.clone(),
            id: "scpCmCCV1DpxVkCaye2X".into(),
            name: "car:drive".into(),
            display_name: "Drive car".into(),
            description: "Allows the user to drive a car".into(),
            restrictions: vec![],
        }],
    )
    .unwrap();
    drop(conn);
    let admin = token(
        &srv,
        CredentialKind::ApiToken,
        &[],
        &["SUPER_ADMIN"],
        Some(&alice),
    );
    Org {
        srv,
        admin,
        alice,
        bob,
    }
}

fn org() -> Org {
    org_with(config())
}

fn token(
    srv: &TestServer<Okta>,
    kind: CredentialKind,
    scopes: &[&str],
    roles: &[&str],
    user: Option<&User>,
) -> String {
    let new = NewCredential {
        kind,
        name: format!("t{}", uuid_like()),
        user_id: user.map(|u| u.id.clone()),
        client_id: None,
        grant_id: None,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        expires_at: None,
        token_prefix: "00".into(),
        faces: vec![],
    };
    let issued = credentials::create_credential(
        &mut srv.conn(),
        srv.tenant(),
        new,
        None,
        &HashingConfig::default(),
        "test",
    )
    .unwrap();
    issued.secret.expose_secret().to_owned()
}

fn uuid_like() -> String {
    grant_core::service::ids::random_alnum(12)
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn add_grant(o: &Org, user: &User, client: &str, scope: &str, id: &str, created: &str) -> Grant {
    let mut g = NewGrant::new(&user.id, client);
    g.id = Some(id.into());
    g.issuer = "https://org.test/oauth2/ausain6z9zIedDCxB0h7".into();
    g.scopes = ScopeSet::from_names([scope]);
    g.created_at = Some(at(created));
    g.grant_type = GrantType::Consent;
    grants::issue_grant(&mut o.srv.conn(), o.srv.tenant(), g, "test").unwrap()
}

async fn send(
    o: &Org,
    method: reqwest::Method,
    path: &str,
    auth: Option<&str>,
) -> (u16, HeaderMap, String) {
    let mut req = o.srv.client.request(method, o.srv.url(path));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

async fn get(o: &Org, path: &str) -> (u16, HeaderMap, Value) {
    let (s, h, body) = send(
        o,
        reqwest::Method::GET,
        path,
        Some(&format!("SSWS {}", o.admin)),
    )
    .await;
    (s, h, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn delete(o: &Org, path: &str) -> (u16, HeaderMap, String) {
    send(
        o,
        reqwest::Method::DELETE,
        path,
        Some(&format!("SSWS {}", o.admin)),
    )
    .await
}

/// Asserts an Okta error body exactly (errorId checked for shape, then masked).
fn assert_error(body: &Value, code: &str, summary: &str, causes: Value) {
    let id = body["errorId"].as_str().unwrap_or_default();
    assert!(
        id.starts_with("oae") && id.len() == 25 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "errorId {id}"
    );
    let mut masked = body.clone();
    masked["errorId"] = json!("<errorId>");
    assert_eq!(
        masked,
        json!({"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "<errorId>", "errorCauses": causes})
    );
}

fn assert_okta_headers(h: &HeaderMap, json_body: bool) {
    let rid = h["x-okta-request-id"].to_str().unwrap();
    assert!(rid.starts_with("req") && rid.len() == 26, "{rid}");
    assert!(h.contains_key("date"));
    for name in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    ] {
        assert!(h[name].to_str().unwrap().parse::<i64>().is_ok(), "{name}");
    }
    if json_body {
        assert_eq!(h["content-type"], "application/json");
    } else {
        assert!(!h.contains_key("content-type"));
    }
}

fn links(h: &HeaderMap) -> Vec<String> {
    h.get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_user_grants_returns_okta_grant_objects_exactly() {
    let o = org();
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oag3ih1zrm1cBFOiq0h6",
        "2017-10-30T22:06:53Z",
    );
    let (s, h, body) = get(&o, "/api/v1/users/00ualice000000000001/grants").await;
    assert_eq!(s, 200);
    assert_okta_headers(&h, true);
    let base = &o.srv.base_url;
    assert_eq!(
        links(&h),
        vec![format!(
            "<{base}/api/v1/users/00ualice000000000001/grants>; rel=\"self\""
        )]
    );
    let expected = json!([{
        "id": "oag3ih1zrm1cBFOiq0h6",
        "status": "ACTIVE",
        "created": "2017-10-30T22:06:53.000Z",
        "createdBy": {"id": "00ualice000000000001", "type": "User"},
        "lastUpdated": "2017-10-30T22:06:53.000Z",
        "issuer": "https://org.test/oauth2/ausain6z9zIedDCxB0h7",
        "clientId": "0oaclient00000000001",
        "userId": "00ualice000000000001",
        "scopeId": "scpCmCCV1DpxVkCaye2X",
        "source": "END_USER",
        "_links": {
            "app": {"href": format!("{base}/api/v1/apps/0oaclient00000000001"), "title": "Web App"},
            "scope": {"href": format!("{base}/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/scopes/scpCmCCV1DpxVkCaye2X")},
            "client": {"href": format!("{base}/oauth2/v1/clients/0oaclient00000000001"), "title": "Web App"},
            "self": {"href": format!("{base}/api/v1/users/00ualice000000000001/grants/oag3ih1zrm1cBFOiq0h6"), "hints": {"allow": ["GET", "DELETE"]}},
            "user": {"href": format!("{base}/api/v1/users/00ualice000000000001"), "title": "alice Example"},
            "authorizationServer": {"href": format!("{base}/api/v1/authorizationServers/ausain6z9zIedDCxB0h7"), "title": "default"}
        }
    }]);
    assert_eq!(body, expected);
    // Field order is Okta's.
    let (_, _, raw) = send(
        &o,
        reqwest::Method::GET,
        "/api/v1/users/00ualice000000000001/grants",
        Some(&format!("SSWS {}", o.admin)),
    )
    .await;
    assert!(
        raw.starts_with("[{\"id\":\"oag3ih1zrm1cBFOiq0h6\",\"status\":\"ACTIVE\",\"created\":"),
        "{raw}"
    );
}

#[tokio::test]
async fn get_grant_with_expand_scope_embeds_the_scope() {
    let o = org();
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oag3ih1zrm1cBFOiq0h6",
        "2017-10-30T22:06:53.120Z",
    );
    let path = "/api/v1/users/00ualice000000000001/grants/oag3ih1zrm1cBFOiq0h6";
    let (s, h, body) = get(&o, &format!("{path}?expand=scope")).await;
    assert_eq!(s, 200);
    assert_okta_headers(&h, true);
    assert!(!h.contains_key("link"));
    assert_eq!(
        body["_embedded"],
        json!({"scope": {"id": "scpCmCCV1DpxVkCaye2X", "name": "car:drive", "displayName": "Drive car", "description": "Allows the user to drive a car"}})
    );
    assert_eq!(body["created"], "2017-10-30T22:06:53.120Z");
    assert_eq!(body["_links"]["scope"]["title"], "Drive car");
    let (_, _, plain) = get(&o, path).await;
    assert!(
        plain.get("_embedded").is_none(),
        "no _embedded without expand=scope"
    );
    // `me` is the caller's own user; the self link names the real id.
    let (s, _, me) = get(&o, "/api/v1/users/me/grants/oag3ih1zrm1cBFOiq0h6").await;
    assert_eq!(s, 200);
    assert_eq!(me, plain);
    assert_eq!(
        me["_links"]["self"]["href"],
        format!("{}{path}", o.srv.base_url)
    );
}

#[tokio::test]
async fn pagination_carries_expand_and_scope_id_across_three_pages() {
    let o = org();
    let mut all = HashSet::new();
    for i in 0..7 {
        let g = add_grant(
            &o,
            &o.alice,
            "0oaclient00000000001",
            "okta.users.read",
            &format!("oag{i:017}"),
            &format!("2024-01-01T00:00:0{i}Z"),
        );
        all.insert(g.id);
    }
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "okta.users.manage",
        "oagother0000000000001",
        "2024-01-01T00:00:03Z",
    );
    let mut next = Some(format!(
        "{}/api/v1/users/00ualice000000000001/grants?expand=scope&scopeId=okta.users.read&limit=3",
        o.srv.base_url
    ));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        let path = url.strip_prefix(&o.srv.base_url).unwrap().to_owned();
        let (s, h, body) = get(&o, &path).await;
        assert_eq!(s, 200);
        pages += 1;
        let l = links(&h);
        assert_eq!(l[0], format!("<{url}>; rel=\"self\""));
        for g in body.as_array().unwrap() {
            assert_eq!(g["scopeId"], "okta.users.read");
            assert_eq!(g["_embedded"]["scope"]["id"], "okta.users.read");
            seen.push(g["id"].as_str().unwrap().to_owned());
        }
        if let Some(n) = l.get(1) {
            assert!(n.ends_with("; rel=\"next\""));
            let n = n
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned();
            assert!(n.starts_with(&format!("{}/api/v1/users/00ualice000000000001/grants?expand=scope&scopeId=okta.users.read&limit=3&after=", o.srv.base_url)), "{n}");
            // A grant added mid-way shows up later, never twice.
            if pages == 1 {
                let g = add_grant(
                    &o,
                    &o.alice,
                    "0oaclient00000000001",
                    "okta.users.read",
                    "oaglate00000000000001",
                    "2099-01-01T00:00:00Z",
                );
                all.insert(g.id);
            }
            next = Some(n);
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 8);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), all);
}

#[tokio::test]
async fn list_for_client_and_user_clients() {
    let o = org();
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "okta.users.read",
        "oagA0000000000000001",
        "2024-01-01T00:00:00Z",
    );
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000002",
        "okta.users.read",
        "oagB0000000000000002",
        "2024-01-01T00:00:01Z",
    );
    let (s, _, body) = get(
        &o,
        "/api/v1/users/00ualice000000000001/clients/0oaclient00000000002/grants",
    )
    .await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["oagB0000000000000002"]);
    assert!(
        body[0]["_links"]["app"].get("title").is_none(),
        "no title for a nameless client"
    );
    let (s, _, body) = get(&o, "/api/v1/users/00ualice000000000001/clients").await;
    assert_eq!(s, 200);
    let base = &o.srv.base_url;
    assert_eq!(
        body[0],
        json!({
            "client_id": "0oaclient00000000001", "client_name": "Web App", "client_uri": null, "logo_uri": null,
            "_links": {
                "grants": {"href": format!("{base}/api/v1/users/00ualice000000000001/clients/0oaclient00000000001/grants")},
                "tokens": {"href": format!("{base}/api/v1/users/00ualice000000000001/clients/0oaclient00000000001/tokens")}
            }
        })
    );
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (s, _, body) = get(
        &o,
        "/api/v1/users/00ualice000000000001/clients/0oanosuchclient00000/grants",
    )
    .await;
    assert_eq!(s, 404);
    assert_error(
        &body,
        "E0000007",
        "Not found: Resource not found: 0oanosuchclient00000 (OAuth2Client)",
        json!([]),
    );
}

#[tokio::test]
async fn revoke_one_then_404_and_revoke_all_then_empty() {
    let o = org();
    for (i, client) in [
        "0oaclient00000000001",
        "0oaclient00000000001",
        "0oaclient00000000002",
    ]
    .iter()
    .enumerate()
    {
        add_grant(
            &o,
            &o.alice,
            client,
            "okta.users.read",
            &format!("oagR{i:016}"),
            "2024-01-01T00:00:00Z",
        );
    }
    add_grant(
        &o,
        &o.bob,
        "0oaclient00000000001",
        "okta.users.read",
        "oagBob00000000000001",
        "2024-01-01T00:00:00Z",
    );
    let one = "/api/v1/users/00ualice000000000001/grants/oagR0000000000000000";
    let (s, h, body) = delete(&o, one).await;
    assert_eq!((s, body.as_str()), (204, ""));
    assert_okta_headers(&h, false);
    let (s, h, body) = get(&o, one).await;
    assert_eq!(s, 404);
    assert_okta_headers(&h, true);
    assert_error(
        &body,
        "E0000007",
        "Not found: Resource not found: oagR0000000000000000 (OAuth2ScopeConsentGrant)",
        json!([]),
    );
    let (s, _, _) = delete(&o, one).await;
    assert_eq!(s, 404, "revoking twice is not found");

    let (s, _, _) = delete(
        &o,
        "/api/v1/users/00ualice000000000001/clients/0oaclient00000000002/grants",
    )
    .await;
    assert_eq!(s, 204);
    let (_, _, body) = get(
        &o,
        "/api/v1/users/00ualice000000000001/clients/0oaclient00000000002/grants",
    )
    .await;
    assert_eq!(body, json!([]));

    let (s, _, _) = delete(&o, "/api/v1/users/00ualice000000000001/grants").await;
    assert_eq!(s, 204);
    let (s, h, body) = get(&o, "/api/v1/users/00ualice000000000001/grants").await;
    assert_eq!((s, body), (200, json!([])));
    assert_eq!(links(&h).len(), 1, "self only on an empty last page");
    let (_, _, body) = get(&o, "/api/v1/users/00ubob00000000000002/grants").await;
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "bob's grants are untouched"
    );
}

#[tokio::test]
async fn one_users_grant_is_never_visible_through_another_users_path() {
    let o = org();
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "okta.users.read",
        "oagAlice000000000001",
        "2024-01-01T00:00:00Z",
    );
    let (s, _, body) = get(
        &o,
        "/api/v1/users/00ubob00000000000002/grants/oagAlice000000000001",
    )
    .await;
    assert_eq!(s, 404);
    assert_error(
        &body,
        "E0000007",
        "Not found: Resource not found: oagAlice000000000001 (OAuth2ScopeConsentGrant)",
        json!([]),
    );
    let (s, _, _) = delete(
        &o,
        "/api/v1/users/00ubob00000000000002/grants/oagAlice000000000001",
    )
    .await;
    assert_eq!(s, 404);
    let (_, _, body) = get(&o, "/api/v1/users/00ubob00000000000002/grants").await;
    assert_eq!(body, json!([]));
    let (_, _, body) = get(&o, "/api/v1/users/00ualice000000000001/grants").await;
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "still active after bob's attempts"
    );
    let (s, _, body) = get(&o, "/api/v1/users/00unosuchuser0000000/grants").await;
    assert_eq!(s, 404);
    assert_error(
        &body,
        "E0000007",
        "Not found: Resource not found: 00unosuchuser0000000 (User)",
        json!([]),
    );
    // A percent-encoded id is decoded once.
    let (s, _, body) = get(
        &o,
        "/api/v1/users/00ualice000000000001/grants/oag%2Fx%2520y",
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(
        body["errorSummary"],
        "Not found: Resource not found: oag/x%20y (OAuth2ScopeConsentGrant)"
    );
}

#[tokio::test]
async fn authentication_and_authorization_errors_are_okta_errors() {
    let o = org();
    let path = "/api/v1/users/00ualice000000000001/grants";
    let (s, h, body) = send(&o, reqwest::Method::GET, path, None).await;
    assert_eq!(s, 403);
    assert_okta_headers(&h, true);
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000005",
        "Invalid session",
        json!([]),
    );

    for bad in ["SSWS 00nope", "SSWS", "Basic YWxpY2U6eA==", "Bearer nope"] {
        let (s, _, body) = send(&o, reqwest::Method::GET, path, Some(bad)).await;
        assert_eq!(s, 401, "{bad}");
        assert_error(
            &serde_json::from_str(&body).unwrap(),
            "E0000011",
            "Invalid token provided",
            json!([]),
        );
    }
    // The Python SDK sends no space after the scheme.
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("SSWS{}", o.admin)),
    )
    .await;
    assert_eq!(s, 200);
    // An API token presented as a Bearer token is not valid.
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("Bearer {}", o.admin)),
    )
    .await;
    assert_eq!(s, 401);

    let read_only = token(
        &o.srv,
        CredentialKind::ApiToken,
        &[],
        &["READ_ONLY_ADMIN"],
        None,
    );
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("SSWS {read_only}")),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, body) = send(
        &o,
        reqwest::Method::DELETE,
        path,
        Some(&format!("SSWS {read_only}")),
    )
    .await;
    assert_eq!(s, 403);
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000006",
        "You do not have permission to perform the requested action",
        json!([]),
    );

    // Alice's own access token (a user without an admin role reaches only their grants).
    let bearer = token(
        &o.srv,
        CredentialKind::BearerToken,
        &["okta.users.read"],
        &[],
        Some(&o.alice),
    );
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("Bearer{bearer}")),
    )
    .await;
    assert_eq!(s, 200);
    let (s, h, body) = send(
        &o,
        reqwest::Method::DELETE,
        path,
        Some(&format!("Bearer {bearer}")),
    )
    .await;
    assert_eq!(s, 403);
    let base = &o.srv.base_url;
    assert_eq!(
        h["www-authenticate"].to_str().unwrap(),
        format!(
            "Bearer authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", scope=\"okta.users.manage\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", resource=\"{path}\""
        )
    );
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000006",
        "You do not have permission to perform the requested action",
        json!([]),
    );

    // `me` with a credential that acts as no user: not found.
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        "/api/v1/users/me/grants",
        Some(&format!("SSWS {read_only}")),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn routing_and_validation_errors_are_okta_errors() {
    let o = org();
    let (s, h, body) = get(&o, "/api/v1/users/00ualice000000000001/nothing").await;
    assert_eq!(s, 404);
    assert_okta_headers(&h, true);
    assert_error(
        &body,
        "E0000008",
        "The requested path was not found",
        json!([]),
    );
    let (s, h, body) = send(
        &o,
        reqwest::Method::POST,
        "/api/v1/users/00ualice000000000001/grants",
        Some(&format!("SSWS {}", o.admin)),
    )
    .await;
    assert_eq!(s, 405);
    assert_eq!(h["allow"], "GET, DELETE");
    assert_error(
        &serde_json::from_str(&body).unwrap(),
        "E0000022",
        "The endpoint does not support the provided HTTP method",
        json!([]),
    );
    for bad in ["0", "-1", "abc"] {
        let (s, _, body) = get(
            &o,
            &format!("/api/v1/users/00ualice000000000001/grants?limit={bad}"),
        )
        .await;
        assert_eq!(s, 400, "limit={bad}");
        assert_error(
            &body,
            "E0000001",
            "Api validation failed: limit",
            json!([{"errorSummary": "limit: must be an integer between 1 and 200"}]),
        );
    }
    let (s, _, body) = get(&o, "/api/v1/users/00ualice000000000001/grants?after=%21%21").await;
    assert_eq!(s, 400);
    assert_error(
        &body,
        "E0000001",
        "Api validation failed: after",
        json!([{"errorSummary": "after: is not a valid cursor"}]),
    );
    let (s, _, _) = get(
        &o,
        "/api/v1/users/00ualice000000000001/grants?limit=500&expand=other&unknown=1",
    )
    .await;
    assert_eq!(
        s, 200,
        "limit above 200 is capped; unknown expand values and parameters are ignored"
    );
    // Every error has its own errorId.
    let (_, _, a) = get(&o, "/api/v1/nothing").await;
    let (_, _, b) = get(&o, "/api/v1/nothing").await;
    assert_ne!(a["errorId"], b["errorId"]);
}

#[tokio::test]
async fn rate_limit_answers_429_then_recovers_after_the_reset() {
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        enabled: true,
        window_secs: 2,
        users: 3,
        other: 100,
    };
    let o = org_with(cfg);
    let path = "/api/v1/users/00ualice000000000001/grants";
    // Start at the beginning of a window so the three requests share it.
    let now = Utc::now();
    let into = (now.timestamp() % 2) as u64 * 1000 + u64::from(now.timestamp_subsec_millis());
    tokio::time::sleep(std::time::Duration::from_millis(2000 - into + 20)).await;
    for remaining in (0..3).rev() {
        let (s, h, _) = get(&o, path).await;
        assert_eq!(s, 200);
        assert_eq!(h["x-rate-limit-limit"], "3");
        assert_eq!(h["x-rate-limit-remaining"], remaining.to_string().as_str());
    }
    let (s, h, body) = get(&o, path).await;
    assert_eq!(s, 429);
    assert_okta_headers(&h, true);
    assert_eq!(h["x-rate-limit-remaining"], "0");
    let reset: i64 = h["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset > Utc::now().timestamp() - 1 && reset <= Utc::now().timestamp() + 2);
    assert_error(
        &body,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        json!([]),
    );
    let wait = (reset * 1000 - Utc::now().timestamp_millis()).max(0) as u64 + 50;
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let (s, _, _) = get(&o, path).await;
    assert_eq!(s, 200, "recovered after the reset");
}

#[tokio::test]
async fn database_outage_is_a_503_in_okta_shape() {
    let mut cfg = config();
    cfg.database = grant_core::DatabaseConfig {
        url: "postgres://nobody@127.0.0.1:1/none".into(),
        connection_timeout_secs: 1,
        ..grant_core::DatabaseConfig::default()
    };
    let store = grant_core::Store::connect_lazy(&cfg.database).unwrap();
    let srv = TestServer::<Okta>::start_with_store(cfg, store, None);
    let res = srv
        .client
        .get(srv.url("/api/v1/users/me/grants"))
        .header("authorization", "SSWS 00abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert!(res.headers().contains_key("x-rate-limit-reset"));
    let body: Value = res.json().await.unwrap();
    assert_error(
        &body,
        "E0000009",
        "Internal Server Error: the service is temporarily unavailable, try again later",
        json!([]),
    );
}

#[tokio::test]
async fn import_keeps_okta_ids_times_and_scope_ids() {
    let o = org();
    let captured = json!([{
        "id": "oag3ih1zrm1cBFOiq0h6", "status": "ACTIVE", "created": "2017-10-30T22:06:53.000Z",
        "createdBy": {"id": "00u5t60iloOHN9pBi0h7", "type": "User"}, "lastUpdated": "2017-11-01T10:00:00.000Z",
        "issuer": "https://acme.okta.com/oauth2/ausain6z9zIedDCxB0h7", "clientId": "0oabskvc6442nkvQO0h7",
        "userId": "00u5t60iloOHN9pBi0h7", "scopeId": "scpCmCCV1DpxVkCaye2X", "source": "END_USER",
        "_links": {"self": {"href": "https://acme.okta.com/api/v1/users/00u5t60iloOHN9pBi0h7/grants/oag3ih1zrm1cBFOiq0h6"}}
    }, {
        "id": "oagRevoked0000000001", "status": "REVOKED", "created": "2017-10-30T22:06:53.000Z",
        "lastUpdated": "2017-10-31T22:06:53.000Z", "issuer": "https://acme.okta.com", "clientId": "0oabskvc6442nkvQO0h7",
        "userId": "00u5t60iloOHN9pBi0h7", "scopeId": "okta.users.read", "source": "ADMIN"
    }]);
    let dir = tempfile_path();
    std::fs::write(&dir, captured.to_string()).unwrap();
    let reports = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&dir),
    )
    .unwrap();
    let report = &reports[0].counts;
    assert_eq!(
        (report.grants, report.users_created, report.clients_created),
        (2, 1, 1)
    );
    let (s, _, body) = get(&o, "/api/v1/users/00u5t60iloOHN9pBi0h7/grants").await;
    assert_eq!(s, 200);
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "the revoked grant is kept but not shown"
    );
    let g = &body[0];
    assert_eq!(
        (
            g["id"].as_str(),
            g["created"].as_str(),
            g["lastUpdated"].as_str(),
            g["issuer"].as_str(),
            g["scopeId"].as_str(),
            g["createdBy"]["id"].as_str()
        ),
        (
            Some("oag3ih1zrm1cBFOiq0h6"),
            Some("2017-10-30T22:06:53.000Z"),
            Some("2017-11-01T10:00:00.000Z"),
            Some("https://acme.okta.com/oauth2/ausain6z9zIedDCxB0h7"),
            Some("scpCmCCV1DpxVkCaye2X"),
            Some("00u5t60iloOHN9pBi0h7")
        )
    );
    // Importing the same file again conflicts (naming the grant) and changes nothing.
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&dir),
    )
    .unwrap_err();
    assert!(err.contains("grant oag3ih1zrm1cBFOiq0h6"), "{err}");
    let _ = std::fs::remove_file(dir);
}

fn tempfile_path() -> String {
    std::env::temp_dir()
        .join(format!("okta-import-{}.json", uuid_like()))
        .display()
        .to_string()
}

/// A user with these admin roles (held on the user, as Okta assigns admin roles to users).
fn user_with_roles(o: &Org, login: &str, okta_id: &str, roles: &[&str]) -> User {
    let new = NewUser {
        login: login.into(),
        aliases: [(AliasVendor::Okta, okta_id.to_owned())].into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        ..NewUser::default()
    };
    directory::create_user(&mut o.srv.conn(), o.srv.tenant(), new, "test").unwrap()
}

async fn as_bearer(o: &Org, method: reqwest::Method, path: &str, tok: &str) -> (u16, Value) {
    let (s, _, body) = send(o, method, path, Some(&format!("Bearer {tok}"))).await;
    (s, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn assert_forbidden(s: u16, body: &Value) {
    assert_eq!(s, 403);
    assert_error(
        body,
        "E0000006",
        "You do not have permission to perform the requested action",
        json!([]),
    );
}

#[tokio::test]
async fn bearer_token_of_a_user_without_admin_role_reaches_only_own_grants() {
    let o = org();
    let a = add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oagalice0000000000a1",
        "2024-01-01T00:00:00Z",
    );
    let b = add_grant(
        &o,
        &o.bob,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oagbob000000000000b1",
        "2024-01-01T00:00:00Z",
    );
    let bob = token(
        &o.srv,
        CredentialKind::BearerToken,
        &["okta.users.read", "okta.users.manage"],
        &[],
        Some(&o.bob),
    );
    let alice_paths = [
        "/api/v1/users/00ualice000000000001/grants".to_owned(),
        format!("/api/v1/users/00ualice000000000001/grants/{}", a.id),
        "/api/v1/users/00ualice000000000001/clients".to_owned(),
        "/api/v1/users/00ualice000000000001/clients/0oaclient00000000001/grants".to_owned(),
    ];
    for path in &alice_paths {
        let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &bob).await;
        assert_forbidden(s, &body);
    }
    for path in [&alice_paths[0], &alice_paths[1], &alice_paths[3]] {
        let (s, body) = as_bearer(&o, reqwest::Method::DELETE, path, &bob).await;
        assert_forbidden(s, &body);
    }
    // Alice's grant survived.
    let (s, _, _) = get(&o, &alice_paths[1]).await;
    assert_eq!(s, 200);
    // Bob's own grants, by `me` and by his id.
    for path in [
        "/api/v1/users/me/grants",
        "/api/v1/users/00ubob00000000000002/grants",
    ] {
        let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &bob).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(body.as_array().unwrap().len(), 1);
        assert_eq!(body[0]["id"], b.id.as_str());
    }
    let (s, _) = as_bearer(
        &o,
        reqwest::Method::DELETE,
        &format!("/api/v1/users/me/grants/{}", b.id),
        &bob,
    )
    .await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn bearer_token_acts_with_the_admin_roles_of_its_user() {
    let o = org();
    let a = add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "scpCmCCV1DpxVkCaye2X",
        "oagalice0000000000a1",
        "2024-01-01T00:00:00Z",
    );
    let path = "/api/v1/users/00ualice000000000001/grants";
    let one = format!("{path}/{}", a.id);
    let scopes = ["okta.users.read", "okta.users.manage"];
    let auditor = user_with_roles(&o, "ro", "00uro000000000000003", &["READ_ONLY_ADMIN"]);
    let ro = token(
        &o.srv,
        CredentialKind::BearerToken,
        &scopes,
        &[],
        Some(&auditor),
    );
    let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &ro).await;
    assert_eq!(s, 200);
    assert_eq!(body[0]["id"], a.id.as_str());
    let (s, body) = as_bearer(&o, reqwest::Method::DELETE, &one, &ro).await;
    assert_forbidden(s, &body);

    let admin = user_with_roles(&o, "sa", "00usa000000000000004", &["SUPER_ADMIN"]);
    let sa = token(
        &o.srv,
        CredentialKind::BearerToken,
        &scopes,
        &[],
        Some(&admin),
    );
    let (s, _) = as_bearer(&o, reqwest::Method::DELETE, &one, &sa).await;
    assert_eq!(s, 204);
    let (s, body) = as_bearer(&o, reqwest::Method::GET, path, &sa).await;
    assert_eq!((s, body), (200, json!([])));
}

#[tokio::test]
async fn anonymous_requests_do_not_spend_the_orgs_rate_limit() {
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        enabled: true,
        window_secs: 3600,
        users: 3,
        other: 100,
    };
    let o = org_with(cfg);
    let path = "/api/v1/users/00ualice000000000001/grants";
    // Missing and invalid credentials: counted in this address's own window.
    for auth in [None, Some("SSWS 00nope"), None] {
        let (s, h, _) = send(&o, reqwest::Method::GET, path, auth).await;
        assert!(s == 403 || s == 401, "{s}");
        assert_eq!(h["x-rate-limit-limit"], "3");
    }
    for auth in [None, Some("SSWS 00nope")] {
        let (s, h, body) = send(&o, reqwest::Method::GET, path, auth).await;
        assert_eq!(s, 429);
        assert_eq!(h["x-rate-limit-remaining"], "0");
        assert_error(
            &serde_json::from_str(&body).unwrap(),
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
            json!([]),
        );
    }
    // A valid token from the same address still has the org's whole window.
    let (s, h, body) = get(&o, path).await;
    assert_eq!(s, 200);
    assert_eq!(body, json!([]));
    assert_eq!(h["x-rate-limit-limit"], "3");
    assert_eq!(h["x-rate-limit-remaining"], "2");
    let reset: i64 = h["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    let now = Utc::now().timestamp();
    assert!(
        reset > now && reset <= now + 3600,
        "reset {reset}, now {now}"
    );
}

#[tokio::test]
async fn anonymous_windows_behind_a_trusted_proxy_are_per_right_most_untrusted_hop() {
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        enabled: true,
        window_secs: 3600,
        users: 2,
        other: 100,
    };
    cfg.server.trusted_proxies = vec![
        "127.0.0.0/8".parse().unwrap(),
        "10.0.0.0/8".parse().unwrap(),
    ];
    let o = org_with(cfg);
    let path = "/api/v1/users/00ualice000000000001/grants";
    let anon = |xff: String| {
        let req = o
            .srv
            .client
            .get(o.srv.url(path))
            .header("x-forwarded-for", xff);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // A caller behind the proxy forging a new left-most hop each time is still one address.
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(anon(format!("198.51.100.{i}, 203.0.113.1, 10.0.0.7")).await);
    }
    assert_eq!(statuses, [403, 403, 429, 429]);
    // Another caller through the same proxies has a window of its own.
    assert_eq!(anon("203.0.113.2, 10.0.0.7".into()).await, 403);
}

#[tokio::test]
async fn tokens_not_made_for_okta_are_invalid() {
    let o = org();
    let path = "/api/v1/users/me/grants";
    let mk = |kind: CredentialKind, scopes: &[&str], roles: &[&str], faces: &[&str]| {
        let new = NewCredential {
            kind,
            name: format!("t{}", uuid_like()),
            user_id: Some(o.alice.id.clone()),
            client_id: None,
            grant_id: None,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            expires_at: None,
            token_prefix: "00".into(),
            faces: faces.iter().map(|s| s.to_string()).collect(),
        };
        let issued = credentials::create_credential(
            &mut o.srv.conn(),
            o.srv.tenant(),
            new,
            None,
            &HashingConfig::default(),
            "test",
        )
        .unwrap();
        issued.secret.expose_secret().to_owned()
    };
    let cases = [
        (
            "SSWS",
            mk(CredentialKind::ApiToken, &[], &["SUPER_ADMIN"], &["venafi"]),
        ),
        (
            "Bearer",
            mk(
                CredentialKind::BearerToken,
                &["okta.users.read"],
                &[],
                &["ocs"],
            ),
        ),
        (
            "Bearer",
            mk(
                CredentialKind::BearerToken,
                &["okta.users.read"],
                &[],
                &["pingfed"],
            ),
        ),
    ];
    for (scheme, tok) in &cases {
        let (s, _, body) = send(
            &o,
            reqwest::Method::GET,
            path,
            Some(&format!("{scheme} {tok}")),
        )
        .await;
        assert_eq!(s, 401);
        assert_error(
            &serde_json::from_str(&body).unwrap(),
            "E0000011",
            "Invalid token provided",
            json!([]),
        );
    }
    let ok = mk(
        CredentialKind::BearerToken,
        &["okta.users.read"],
        &[],
        &["okta", "ocs"],
    );
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        path,
        Some(&format!("Bearer {ok}")),
    )
    .await;
    assert_eq!(s, 200);
}

#[test]
fn import_subcommand_loads_every_file_in_one_transaction_or_none() {
    let dir = std::env::temp_dir().join(format!("okta-import-cli-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    let bad = dir.join("bad.json");
    std::fs::write(
        &good,
        json!([{
            "id": "oagCli00000000000001", "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z",
            "lastUpdated": "2020-01-01T00:00:00.000Z", "issuer": "https://acme.okta.com",
            "clientId": "0oaCli00000000000001", "userId": "00uCli00000000000001",
            "scopeId": "okta.users.read", "source": "ADMIN"
        }])
        .to_string(),
    )
    .unwrap();
    std::fs::write(&bad, "[{\"id\": 42}]").unwrap();
    let db = dir.join("grants.db");
    let config_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");
    let run = |files: &[&std::path::Path]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_okta-compat"))
            .arg("import")
            .args(files)
            .env("GRANT_CONFIG_DIR", config_dir)
            .env("GRANT_DATABASE_URL", format!("sqlite://{}", db.display()))
            .env_remove("OKTA_COMPAT_DATABASE_URL")
            .output()
            .unwrap()
    };
    // A bad second file: exit 1, the file named, and the good file's grant not kept.
    let out = run(&[&good, &bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json"), "{stderr}");
    let out = run(&[&good]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "tenant default: imported 1 grants (1 users and 1 clients created)"
    );
    // No file is a usage error; the subcommand's help names the format.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_okta-compat"))
        .args(["import", "--help"])
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("JSON arrays of Okta grant objects"));
    let _ = std::fs::remove_dir_all(dir);
}

/// A grant as the other faces make it: several scopes under one stored grant.
fn add_multi_scope_grant(o: &Org, user: &User, id: &str, scopes: &[&str], created: &str) -> Grant {
    let mut g = NewGrant::new(&user.id, "0oaclient00000000001");
    g.id = Some(id.into());
    g.issuer = "https://org.test/oauth2/ausain6z9zIedDCxB0h7".into();
    g.scopes = ScopeSet::from_names(scopes.iter().copied());
    g.created_at = Some(at(created));
    g.grant_type = GrantType::AuthorizationCode;
    grants::issue_grant(&mut o.srv.conn(), o.srv.tenant(), g, "test").unwrap()
}

/// The consent ids, in list order, after checking each has Okta's shape.
fn consent_ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let id = g["id"].as_str().unwrap().to_owned();
            assert!(
                id.starts_with("oag")
                    && id.len() == 20
                    && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{id}"
            );
            id
        })
        .collect()
}

#[tokio::test]
async fn scope_ids_with_colons_slashes_and_non_ascii_come_back_exactly() {
    let o = org();
    let scopes = [
        ("car:drive", "oagcolon0000000000001", "2020-01-01T00:00:01Z"),
        (
            "urn:example:scope",
            "oagcolon0000000000002",
            "2020-01-01T00:00:02Z",
        ),
        (
            "https://api.example.com/orders.read",
            "oagcolon0000000000003",
            "2020-01-01T00:00:03Z",
        ),
        (
            "données:lire",
            "oagcolon0000000000004",
            "2020-01-01T00:00:04Z",
        ),
    ];
    for (scope, id, created) in scopes {
        add_grant(&o, &o.alice, "0oaclient00000000001", scope, id, created);
    }
    let (s, _, body) = get(&o, "/api/v1/users/00ualice000000000001/grants?expand=scope").await;
    assert_eq!(s, 200);
    let base = &o.srv.base_url;
    let as_url = format!("{base}/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/scopes");
    let got: Vec<Value> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|g| json!([g["id"], g["scopeId"], g["_embedded"], g["_links"]["scope"]]))
        .collect();
    assert_eq!(
        got,
        vec![
            json!(["oagcolon0000000000001", "car:drive",
                {"scope": {"id": "car:drive", "name": "car:drive", "displayName": "Drive car", "description": "Allows the user to drive a car"}},
                {"href": format!("{as_url}/car:drive"), "title": "Drive car"}]),
            json!(["oagcolon0000000000002", "urn:example:scope",
                {"scope": {"id": "urn:example:scope"}},
                {"href": format!("{as_url}/urn:example:scope")}]),
            json!(["oagcolon0000000000003", "https://api.example.com/orders.read",
                {"scope": {"id": "https://api.example.com/orders.read"}},
                {"href": format!("{as_url}/https:%2F%2Fapi.example.com%2Forders.read")}]),
            json!(["oagcolon0000000000004", "données:lire",
                {"scope": {"id": "données:lire"}},
                {"href": format!("{as_url}/donn%C3%A9es:lire")}]),
        ]
    );
    // The filter matches the stored string, exactly.
    for (scope, id, _) in scopes {
        let q: String = percent_encode(scope);
        let (s, _, body) = get(
            &o,
            &format!("/api/v1/users/00ualice000000000001/grants?scopeId={q}"),
        )
        .await;
        assert_eq!(s, 200, "{scope}");
        let ids: Vec<&str> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [id], "{scope}");
        let (s, _, one) = get(
            &o,
            &format!("/api/v1/users/00ualice000000000001/grants/{id}"),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(one["scopeId"], scope);
    }
    let (s, _, body) = get(&o, "/api/v1/users/00ualice000000000001/grants?scopeId=car").await;
    assert_eq!((s, body), (200, json!([])));
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_multi_scope_grant_is_one_okta_grant_per_scope_each_revocable_alone() {
    let o = org();
    let stored = add_multi_scope_grant(
        &o,
        &o.alice,
        "multi-scope-grant-0001",
        &["openid", "api:read", "api:write"],
        "2021-05-01T10:00:00Z",
    );
    let base = &o.srv.base_url;
    let path = "/api/v1/users/00ualice000000000001/grants";
    let (s, _, body) = get(&o, path).await;
    assert_eq!(s, 200);
    let ids = consent_ids(&body);
    assert_eq!(ids.len(), 3);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 3);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "same creation time: ordered by id");
    let scope_of: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["scopeId"].as_str().unwrap())
        .collect();
    let mut scope_set = scope_of.clone();
    scope_set.sort();
    assert_eq!(scope_set, ["api:read", "api:write", "openid"]);
    let first = &body[0];
    let id0 = &ids[0];
    assert_eq!(
        first,
        &json!({
            "id": id0,
            "status": "ACTIVE",
            "created": "2021-05-01T10:00:00.000Z",
            "createdBy": {"id": "00ualice000000000001", "type": "User"},
            "lastUpdated": "2021-05-01T10:00:00.000Z",
            "issuer": "https://org.test/oauth2/ausain6z9zIedDCxB0h7",
            "clientId": "0oaclient00000000001",
            "userId": "00ualice000000000001",
            "scopeId": scope_of[0],
            "source": "END_USER",
            "_links": {
                "app": {"href": format!("{base}/api/v1/apps/0oaclient00000000001"), "title": "Web App"},
                "scope": {"href": format!("{base}/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/scopes/{}", scope_of[0])},
                "client": {"href": format!("{base}/oauth2/v1/clients/0oaclient00000000001"), "title": "Web App"},
                "self": {"href": format!("{base}/api/v1/users/00ualice000000000001/grants/{id0}"), "hints": {"allow": ["GET", "DELETE"]}},
                "user": {"href": format!("{base}/api/v1/users/00ualice000000000001"), "title": "alice Example"},
                "authorizationServer": {"href": format!("{base}/api/v1/authorizationServers/ausain6z9zIedDCxB0h7"), "title": "default"}
            }
        })
    );
    // Ids are stable: the same on every read, through every listing.
    let (_, _, again) = get(&o, path).await;
    assert_eq!(again, body);
    let (_, _, for_client) = get(
        &o,
        "/api/v1/users/00ualice000000000001/clients/0oaclient00000000001/grants",
    )
    .await;
    assert_eq!(for_client, body);
    // Pagination walks the consents.
    let (s, h, page1) = get(&o, &format!("{path}?limit=2")).await;
    assert_eq!(s, 200);
    assert_eq!(consent_ids(&page1), ids[..2]);
    let next = links(&h)
        .into_iter()
        .find(|l| l.ends_with("rel=\"next\""))
        .unwrap();
    let next = next
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    let next_path = next.strip_prefix(base.as_str()).unwrap();
    let (s, h, page2) = get(&o, next_path).await;
    assert_eq!(s, 200);
    assert_eq!(consent_ids(&page2), ids[2..]);
    assert_eq!(links(&h).len(), 1, "no next on the last page");
    // Each one reads on its own, by its own id and with its own scope.
    for (i, id) in ids.iter().enumerate() {
        let (s, _, one) = get(&o, &format!("{path}/{id}")).await;
        assert_eq!(s, 200);
        assert_eq!(one, body[i]);
    }
    // The grant's own id is not an Okta grant id here.
    let (s, _, err) = get(&o, &format!("{path}/{}", stored.id)).await;
    assert_eq!(s, 404);
    assert_error(
        &err,
        "E0000007",
        "Not found: Resource not found: multi-scope-grant-0001 (OAuth2ScopeConsentGrant)",
        json!([]),
    );
    // Revoking one scope leaves the other two, under the same ids, and the grant.
    let api_read = ids[scope_of.iter().position(|s| *s == "api:read").unwrap()].clone();
    let (s, _, _) = delete(&o, &format!("{path}/{api_read}")).await;
    assert_eq!(s, 204);
    let (s, _, err) = get(&o, &format!("{path}/{api_read}")).await;
    assert_eq!(s, 404);
    assert_eq!(err["errorCode"], "E0000007");
    let (_, _, left) = get(&o, path).await;
    let expected: Vec<Value> = body
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["id"] != api_read.as_str())
        .map(|g| {
            let mut g = g.clone();
            g["lastUpdated"] = left[0]["lastUpdated"].clone();
            g
        })
        .collect();
    assert_eq!(left, Value::Array(expected));
    let (_, _, filtered) = get(&o, &format!("{path}?scopeId=api%3Aread")).await;
    assert_eq!(filtered, json!([]));
    let g = grants::get_grant(
        &mut o.srv.conn(),
        o.srv.tenant(),
        &stored.id,
        &GrantFilter::default(),
    )
    .unwrap();
    assert_eq!(g.scopes, ScopeSet::from_names(["openid", "api:write"]));
    let (_, _, clients) = get(&o, "/api/v1/users/00ualice000000000001/clients").await;
    assert_eq!(clients.as_array().unwrap().len(), 1);
    // Revoking the remaining two revokes the grant itself.
    for g in left.as_array().unwrap() {
        let (s, _, _) = delete(&o, &format!("{path}/{}", g["id"].as_str().unwrap())).await;
        assert_eq!(s, 204);
    }
    assert!(
        grants::get_grant(
            &mut o.srv.conn(),
            o.srv.tenant(),
            &stored.id,
            &GrantFilter::default()
        )
        .is_err()
    );
    let (_, _, clients) = get(&o, "/api/v1/users/00ualice000000000001/clients").await;
    assert_eq!(clients, json!([]));
}

#[tokio::test]
async fn a_grant_without_scope_is_not_an_okta_grant() {
    let o = org();
    let stored = add_multi_scope_grant(
        &o,
        &o.alice,
        "no-scope-grant-000001",
        &[],
        "2021-05-01T10:00:00Z",
    );
    let (s, _, body) = get(&o, "/api/v1/users/00ualice000000000001/grants").await;
    assert_eq!((s, body), (200, json!([])));
    let (s, _, body) = get(&o, "/api/v1/users/00ualice000000000001/clients").await;
    assert_eq!((s, body), (200, json!([])));
    let (s, _, body) = get(
        &o,
        "/api/v1/users/00ualice000000000001/grants/no-scope-grant-000001",
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(body["errorCode"], "E0000007");
    // Okta's revoke-all does not touch what Okta cannot show.
    let (s, _, _) = delete(&o, "/api/v1/users/00ualice000000000001/grants").await;
    assert_eq!(s, 204);
    assert!(
        grants::get_grant(
            &mut o.srv.conn(),
            o.srv.tenant(),
            &stored.id,
            &GrantFilter::default()
        )
        .is_ok()
    );
}

#[tokio::test]
async fn empty_limit_and_repeated_parameters_are_okta_validation_errors() {
    let o = org();
    let (s, h, body) = get(&o, "/api/v1/users/00ualice000000000001/grants?limit=").await;
    assert_eq!(s, 400);
    assert_okta_headers(&h, true);
    assert_error(
        &body,
        "E0000001",
        "Api validation failed: limit",
        json!([{"errorSummary": "limit: must be an integer between 1 and 200"}]),
    );
    for (query, name) in [
        ("limit=1&limit=2", "limit"),
        ("scopeId=a&scopeId=b", "scopeId"),
        ("expand=scope&expand=scope", "expand"),
        ("after=x&after=y", "after"),
    ] {
        for path in [
            "/api/v1/users/00ualice000000000001/grants",
            "/api/v1/users/00ualice000000000001/clients/0oaclient00000000001/grants",
        ] {
            let (s, _, body) = get(&o, &format!("{path}?{query}")).await;
            assert_eq!(s, 400, "{path}?{query}");
            assert_error(
                &body,
                "E0000001",
                &format!("Api validation failed: {name}"),
                json!([{"errorSummary": format!("{name}: may be given only once")}]),
            );
        }
    }
    add_grant(
        &o,
        &o.alice,
        "0oaclient00000000001",
        "x",
        "oag3ih1zrm1cBFOiq0h6",
        "2017-10-30T22:06:53Z",
    );
    let (s, _, body) = get(
        &o,
        "/api/v1/users/00ualice000000000001/grants/oag3ih1zrm1cBFOiq0h6?expand=scope&expand=x",
    )
    .await;
    assert_eq!(s, 400);
    assert_error(
        &body,
        "E0000001",
        "Api validation failed: expand",
        json!([{"errorSummary": "expand: may be given only once"}]),
    );
}

#[tokio::test]
async fn imported_colon_scopes_are_served_under_their_captured_ids() {
    let o = org();
    let grant = |id: &str, scope: &str| {
        json!({
            "id": id, "status": "ACTIVE", "created": "2019-01-01T00:00:00.000Z",
            "lastUpdated": "2019-01-01T00:00:00.000Z", "issuer": "https://acme.okta.com",
            "clientId": "0oabskvc6442nkvQO0h7", "userId": "00u5t60iloOHN9pBi0h7",
            "scopeId": scope, "source": "END_USER"
        })
    };
    let captured = json!([
        grant("oagColon000000000001", "api:read"),
        grant(
            "oagColon000000000002",
            "https://api.example.com/orders.read"
        ),
    ]);
    let file = tempfile_path();
    std::fs::write(&file, captured.to_string()).unwrap();
    grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap();
    for (id, scope) in [
        ("oagColon000000000001", "api:read"),
        (
            "oagColon000000000002",
            "https://api.example.com/orders.read",
        ),
    ] {
        let (s, _, g) = get(
            &o,
            &format!("/api/v1/users/00u5t60iloOHN9pBi0h7/grants/{id}"),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(
            (g["id"].as_str(), g["scopeId"].as_str()),
            (Some(id), Some(scope))
        );
    }
    // A second import conflicts; the error carries no database wording.
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .err()
    .unwrap()
    .to_string();
    for leak in ["duplicate", "pkey", "UNIQUE", "constraint"] {
        assert!(!err.contains(leak), "{err}");
    }
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn import_takes_users_and_clients_without_grants_and_serves_them_as_captured() {
    let o = org();
    let grant = json!({
        "id": "oagImp00000000000001", "status": "ACTIVE", "created": "2021-05-06T07:08:09.000Z",
        "createdBy": {"id": "00uImpDana0000000001", "type": "User"}, "lastUpdated": "2021-05-06T07:08:09.000Z",
        "issuer": "https://acme.okta.com/oauth2/default", "clientId": "0oaImpApp00000000001",
        "userId": "00uImpDana0000000001", "scopeId": "api:read", "source": "END_USER"
    });
    let captured = json!({
        "users": [
            {"id": "00uImpDana0000000001", "status": "ACTIVE",
             "profile": {"login": "dana@acme.example", "firstName": "Dana", "lastName": "Scully", "email": "dana@acme.example"}},
            {"id": "00uImpEve00000000002", "profile": {"login": "eve@acme.example", "firstName": "Eve"}}
        ],
        "clients": [
            {"client_id": "0oaImpApp00000000001", "client_name": "Orders", "client_uri": "https://orders.example",
             "logo_uri": null, "_links": {}},
            {"id": "0oaImpApp00000000002", "label": "Unused app"}
        ],
        "grants": [grant.clone()]
    });
    let file = tempfile_path();
    std::fs::write(&file, captured.to_string()).unwrap();
    let reports = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap();
    let c = &reports[0].counts;
    assert_eq!((c.grants, c.users_created, c.clients_created), (1, 2, 2));
    let (s, _, body) = get(&o, "/api/v1/users/00uImpDana0000000001/grants").await;
    assert_eq!(s, 200);
    for (k, v) in grant.as_object().unwrap() {
        assert_eq!(&body[0][k], v, "{k}");
    }
    // The client as captured (its `_links` point at this org, as Okta's point at the org).
    let (s, _, body) = get(&o, "/api/v1/users/00uImpDana0000000001/clients").await;
    let links = o
        .srv
        .url("/api/v1/users/00uImpDana0000000001/clients/0oaImpApp00000000001");
    assert_eq!(
        (s, body),
        (
            200,
            json!([{"client_id": "0oaImpApp00000000001", "client_name": "Orders",
                    "client_uri": "https://orders.example", "logo_uri": null,
                    "_links": {"grants": {"href": format!("{links}/grants")},
                               "tokens": {"href": format!("{links}/tokens")}}}])
        )
    );
    // A user without grants exists (an empty list, not 404), with the captured login: no
    // placeholder.
    let (s, _, body) = get(&o, "/api/v1/users/00uImpEve00000000002/grants").await;
    assert_eq!((s, body), (200, json!([])));
    let mut conn = o.srv.conn();
    let dana = directory::get_user(
        &mut conn,
        o.srv.tenant(),
        UserKey::Alias(AliasVendor::Okta),
        "00uImpDana0000000001",
    )
    .unwrap();
    assert_eq!(
        (dana.login.as_str(), dana.display_name.as_str()),
        ("dana@acme.example", "Dana Scully")
    );
    let unused =
        grant_core::service::clients::get_client(&mut conn, o.srv.tenant(), "0oaImpApp00000000002")
            .unwrap();
    assert_eq!(unused.name, "Unused app");
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn import_errors_name_the_record_and_field() {
    let o = org();
    let file = tempfile_path();
    std::fs::write(
        &file,
        json!({"users": [{"id": "00uNoLogin0000000001", "profile": {"firstName": "X"}}]})
            .to_string(),
    )
    .unwrap();
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap_err();
    assert!(
        err.contains("user 00uNoLogin0000000001: profile.login"),
        "{err}"
    );
    // A login another user already has: the conflict names the user.
    std::fs::write(
        &file,
        json!({"users": [{"id": "00uDupLogin000000001", "profile": {"login": o.alice.login}}]})
            .to_string(),
    )
    .unwrap();
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap_err();
    assert!(err.contains("user 00uDupLogin000000001"), "{err}");
    let _ = std::fs::remove_file(file);
}

#[test]
fn import_subcommand_takes_config_like_the_server() {
    let dir = std::env::temp_dir().join(format!("okta-import-cfg-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("grants.db");
    let cfg = dir.join("okta.toml");
    std::fs::write(
        &cfg,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[server]\ntenant = \"from-config\"\n",
            db.display()
        ),
    )
    .unwrap();
    let file = dir.join("org.json");
    std::fs::write(
        &file,
        json!({"users": [{"id": "00uCfg00000000000001", "profile": {"login": "cfg@acme.example"}}]})
            .to_string(),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_okta-compat"))
        .arg("import")
        .arg("--config")
        .arg(&cfg)
        .arg(&file)
        .env_remove("GRANT_DATABASE_URL")
        .env_remove("OKTA_COMPAT_DATABASE_URL")
        .env_remove("GRANT_TENANT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "tenant from-config: imported 0 grants (1 users and 0 clients created)"
    );
    assert!(db.exists());
    let _ = std::fs::remove_dir_all(dir);
}
