//! Listing and reading grants: Okta's grant objects, `expand=scope`, pagination, the per-client
//! views and scope ids of any shape.

use grant_core::model::*;
use grant_core::service::grants;
use serde_json::json;
use std::collections::HashSet;

use crate::common::*;
use grant_core::model::GrantId;

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
    o.snapshots().bind(|| insta::assert_json_snapshot!(body));
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
    o.snapshots()
        .bind(|| insta::assert_json_snapshot!("user_clients", body));
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
    // Ids, scope ids, `_embedded` scopes and scope links (percent-encoded where a URL
    // needs it), in creation order.
    o.snapshots().bind(|| insta::assert_json_snapshot!(body));
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
            GrantId::new(&stored.id),
            &GrantFilter::default()
        )
        .is_ok()
    );
}
