//! Revoking grants: one, per client, all; one user's grants never reachable through another's
//! path; multi-scope grants as one Okta grant per scope.

use grant_core::model::*;
use grant_core::service::grants;
use serde_json::{Value, json};
use std::collections::HashSet;

use crate::common::*;
use grant_core::model::GrantId;

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
        GrantId::new(&stored.id),
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
            GrantId::new(&stored.id),
            &GrantFilter::default()
        )
        .is_err()
    );
    let (_, _, clients) = get(&o, "/api/v1/users/00ualice000000000001/clients").await;
    assert_eq!(clients, json!([]));
}
