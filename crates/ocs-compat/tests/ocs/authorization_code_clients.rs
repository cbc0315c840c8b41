//! AuthorizationCodeClients: paging and filters, create, read, merge, delete, and the per-
//! tenant limit.

use chrono::Utc;
use grant_core::model::*;
use grant_core::service::clients;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;
use grant_core::model::TenantId;
use grant_http::testing::snapshot;

#[tokio::test]
async fn acc_list_pages_filters_and_counts() {
    let e = clients_env().await;
    let r = e.get(&accs(""), &e.member).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("total-count"), Some("3"));
    insta::assert_json_snapshot!(r.json());
    let ids = |r: &Resp| {
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["Id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        ("?skip=1&count=1".into(), vec![SPA2], "3"),
        ("?skip=5".into(), vec![], "3"),
        (
            format!("?id={SPA3}&id=%20&id=&id={}", SPA1.to_uppercase()),
            vec![SPA1, SPA3],
            "2",
        ),
        ("?tag=a".into(), vec![SPA1, SPA3], "2"),
        ("?tag=a&tag=b&skip=1&count=1".into(), vec![SPA2], "3"),
        (format!("?tag=a&id={SPA2}"), vec![], "0"),
        (
            "?ID=00000000-0000-4000-8000-000000000000&query=ignored".into(),
            vec![],
            "0",
        ),
        ("?Skip=2&COUNT=1000".into(), vec![SPA3], "3"),
    ];
    for (q, want, total) in cases {
        let r = e.get(&accs(&q), &e.member).await;
        assert_eq!(
            (r.status, ids(&r), r.header("total-count")),
            (
                200,
                want.iter().map(|s| s.to_string()).collect(),
                Some(total)
            ),
            "{q}"
        );
        let h = e.call(Method::HEAD, &accs(&q), Some(&e.member), None).await;
        h.assert_empty(200);
        assert_eq!(h.header("total-count"), Some(total), "HEAD {q}");
    }
    for (q, field, reason) in [
        ("?count=0", "count", "must be an integer from 1 to 1000"),
        ("?count=1001", "count", "must be an integer from 1 to 1000"),
        ("?skip=-1", "skip", "must be an integer of 0 or more"),
        ("?skip=x", "skip", "must be an integer of 0 or more"),
    ] {
        e.get(&accs(q), &e.member).await.assert_error(
            400,
            "The request is not valid.",
            &format!("{field}: {reason}"),
            "Correct the request and try again.",
        );
        e.call(Method::HEAD, &accs(q), Some(&e.member), None)
            .await
            .assert_empty(400);
    }
    // Client-credential clients are not listed here.
    assert!(!ids(&e.get(&accs("?count=1000"), &e.admin).await).contains(&ADMIN_CLIENT.to_owned()));
}

#[tokio::test]
async fn acc_create_generates_ids_validates_and_conflicts() {
    let e = clients_env().await;
    let body = json!({"Id": null, "Name": "New SPA", "RedirectUris": ["https://n/cb"], "AllowOfflineAccess": true});
    let r = e
        .call(Method::POST, &accs(""), Some(&e.admin), Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let created = r.json();
    let id = created["Id"].as_str().unwrap().to_owned();
    assert_eq!(
        uuid::Uuid::parse_str(&id).unwrap().hyphenated().to_string(),
        id
    );
    insta::assert_json_snapshot!(created, {".Id" => snapshot::shape("uuid", snapshot::is_uuid)});
    assert_eq!(
        e.get(&accs(&format!("/{id}")), &e.member).await.json(),
        created
    );
    // Given ids are kept (normalized), property names in any case; absent Id also generates.
    let given = "ABCDEF00-1234-4000-8000-00000000AAAA";
    let r = e
        .call(
            Method::POST,
            &accs(""),
            Some(&e.admin),
            Some(json!({"id": given, "name": "x", "accessTokenLifetime": 60})),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.json()["Id"].clone(),
            r.json()["AccessTokenLifetime"].clone()
        ),
        (201, json!(given.to_lowercase()), json!(60))
    );
    let r = e
        .call(Method::POST, &accs(""), Some(&e.admin), Some(json!({})))
        .await;
    assert_eq!((r.status, r.json()["Name"].clone()), (201, Value::Null));
    // Conflicts: same id in any form, or an id held by a client of another kind.
    for dup in [SPA1.to_uppercase(), ADMIN_CLIENT.to_owned()] {
        let r = e
            .call(
                Method::POST,
                &accs(""),
                Some(&e.admin),
                Some(json!({"Id": dup})),
            )
            .await;
        r.assert_error(
            409,
            "Conflict.",
            &format!("a client with id {} already exists", dup.to_lowercase()),
            "Use a different identifier.",
        );
    }
    let uris: Vec<String> = (0..11).map(|i| format!("https://x/{i}")).collect();
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"RedirectUris": uris}),
            "RedirectUris: at most 10 are allowed",
        ),
        (
            json!({"PostLogoutRedirectUris": uris}),
            "PostLogoutRedirectUris: at most 10 are allowed",
        ),
        (
            json!({"AccessTokenLifetime": 59}),
            "AccessTokenLifetime: must be between 60 and 3600 seconds",
        ),
        (
            json!({"AccessTokenLifetime": 3601}),
            "AccessTokenLifetime: must be between 60 and 3600 seconds",
        ),
        (
            json!({"Id": "not-a-guid"}),
            "Id: 'not-a-guid' is not a valid GUID",
        ),
        (
            json!({"Enabled": "yes"}),
            "body: invalid type: string \"yes\", expected a boolean",
        ),
    ];
    for (body, reason) in bad {
        e.call(Method::POST, &accs(""), Some(&e.admin), Some(body))
            .await
            .assert_error(
                400,
                "The request is not valid.",
                reason,
                "Correct the request and try again.",
            );
    }
    let res = e
        .srv
        .client
        .post(e.srv.url(&accs("")))
        .bearer_auth(&e.admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let r = to_resp(res).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["Error"], json!("The request is not valid."));
    // Members may read, not write.
    let r = e
        .call(Method::POST, &accs(""), Some(&e.member), Some(json!({})))
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn acc_limit_counts_clients_of_every_kind() {
    let e = env().await;
    let now = Utc::now();
    let bulk: Vec<Client> = (0..(50_000 - 4))
        .map(|i| {
            let new = NewClient {
                id: Some(format!("bulk-{i:05}")),
                kind: Some(if i % 2 == 0 {
                    ClientKind::ClientCredentials
                } else {
                    ClientKind::Hybrid
                }),
                created_at: Some(now),
                ..NewClient::default()
            };
            clients::build_client(TenantId::new(T), new).unwrap()
        })
        .collect();
    grant_core::store::clients::insert_clients(&mut e.srv.conn(), &bulk).unwrap();
    // 3 client-credential clients of the fixture + 49,996 = 49,999: one more fits.
    let r = e
        .call(
            Method::POST,
            &accs(""),
            Some(&e.admin),
            Some(json!({"Name": "last"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    e.call(
        Method::POST,
        &accs(""),
        Some(&e.admin),
        Some(json!({"Name": "one too many"})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "Client: the tenant already has the maximum of 50000 clients",
        "Correct the request and try again.",
    );
    // The other tenant is not affected.
    let r = e
        .call(
            Method::POST,
            &format!("/api/v1/Tenants/{U}/AuthorizationCodeClients"),
            Some(&e.other_admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn acc_get_head_put_merge_and_delete() {
    let e = clients_env().await;
    let one = accs(&format!("/{SPA1}"));
    let r = e
        .get(&accs(&format!("/{}", SPA1.to_uppercase())), &e.member)
        .await;
    assert_eq!((r.status, r.json()), (200, spa_json(SPA1, "spa 1", &["a"])));
    let h = e.call(Method::HEAD, &one, Some(&e.member), None).await;
    h.assert_empty(200);
    // PUT: absent and null properties stay; [] clears a list.
    let r = e
        .call(Method::PUT, &one, Some(&e.admin), Some(json!({"Name": "renamed", "RedirectUris": null, "Tags": [], "LogoUri": "https://l/logo.png", "AccessTokenLifetime": 600})))
        .await;
    let mut want = spa_json(SPA1, "renamed", &[]);
    want["LogoUri"] = json!("https://l/logo.png");
    want["AccessTokenLifetime"] = json!(600);
    assert_eq!((r.status, r.json()), (200, want.clone()));
    assert_eq!(e.get(&one, &e.member).await.json(), want);
    let r = e
        .call(
            Method::PUT,
            &one,
            Some(&e.admin),
            Some(json!({"Id": SPA1.to_uppercase(), "Enabled": false})),
        )
        .await;
    want["Enabled"] = json!(false);
    assert_eq!((r.status, r.json()), (200, want.clone()));
    e.call(Method::PUT, &one, Some(&e.admin), Some(json!({"Id": SPA2})))
        .await
        .assert_error(
            400,
            "The request is not valid.",
            "Id: does not match the client identifier of the path",
            "Correct the request and try again.",
        );
    e.call(
        Method::PUT,
        &one,
        Some(&e.admin),
        Some(json!({"AccessTokenLifetime": 1})),
    )
    .await
    .assert_error(
        400,
        "The request is not valid.",
        "AccessTokenLifetime: must be between 60 and 3600 seconds",
        "Correct the request and try again.",
    );
    assert_eq!(
        e.call(Method::PUT, &one, Some(&e.member), Some(json!({})))
            .await
            .status,
        403
    );
    assert_eq!(
        e.call(Method::DELETE, &one, Some(&e.member), None)
            .await
            .status,
        403
    );
    e.call(Method::DELETE, &one, Some(&e.admin), None)
        .await
        .assert_empty(204);
    let missing = |r: Resp| {
        r.assert_error(
            404,
            "Client not found.",
            &format!("Client with Id '{SPA1}' was not found."),
            "Check the identifier and try again.",
        )
    };
    missing(e.get(&one, &e.member).await);
    missing(
        e.call(Method::PUT, &one, Some(&e.admin), Some(json!({})))
            .await,
    );
    missing(e.call(Method::DELETE, &one, Some(&e.admin), None).await);
    e.call(Method::HEAD, &one, Some(&e.member), None)
        .await
        .assert_empty(404);
    // A client of another kind is not an authorization-code client.
    let r = e.get(&accs(&format!("/{ADMIN_CLIENT}")), &e.member).await;
    assert_eq!(r.status, 404);
}
