//! Clients: validation, filtered pages and counts, and what disabling or deleting one
//! revokes.

use chrono::Duration;
use grant_core::CoreError;
use grant_core::model::ClientId;
use grant_core::model::*;
use grant_core::service::{clients, credentials};
use grant_core::testing::fast_hashing;
use grant_core::testing::fixture::{Fixture, credential};

use crate::TENANT;

#[test]
fn client_validation_rules() {
    let f = Fixture::new();
    f.tenant("t");
    let mut conn = f.store.conn().unwrap();
    let c = clients::create_client(&mut conn, TENANT, NewClient::default(), "x").unwrap();
    assert!(uuid::Uuid::parse_str(&c.id).is_ok(), "generated GUID id");
    assert_eq!(c.access_token_lifetime, 3600);
    let dup = NewClient {
        id: Some(c.id.clone()),
        ..NewClient::default()
    };
    assert!(matches!(
        clients::create_client(&mut conn, TENANT, dup, "x"),
        Err(CoreError::Conflict(_))
    ));
    let many = NewClient {
        redirect_uris: (0..11).map(|i| format!("https://x/{i}")).collect(),
        ..NewClient::default()
    };
    assert!(
        matches!(clients::create_client(&mut conn, TENANT, many, "x"), Err(CoreError::Invalid { field, .. }) if field == "RedirectUris")
    );
    for bad in [59, 3601] {
        let n = NewClient {
            access_token_lifetime: Some(bad),
            ..NewClient::default()
        };
        assert!(matches!(
            clients::create_client(&mut conn, TENANT, n, "x"),
            Err(CoreError::Invalid { .. })
        ));
    }
    let patched = clients::update_client(
        &mut conn,
        TENANT,
        ClientId::new(&c.id),
        ClientPatch {
            name: Some("renamed".into()),
            ..ClientPatch::default()
        },
        "x",
    )
    .unwrap();
    assert_eq!(
        (patched.name.as_str(), patched.access_token_lifetime),
        ("renamed", 3600)
    );
    clients::delete_client(&mut conn, TENANT, ClientId::new(&c.id), "x").unwrap();
    assert!(matches!(
        clients::delete_client(&mut conn, TENANT, ClientId::new(&c.id), "x"),
        Err(CoreError::NotFound { .. })
    ));
}

#[test]
fn client_pages_filter_by_kind_ids_and_tags_and_count_before_paging() {
    let f = Fixture::new();
    f.tenant("t");
    f.tenant("u");
    let mut conn = f.store.conn().unwrap();
    for i in 0..5 {
        let new = NewClient {
            id: Some(format!("c{i}")),
            tags: if i % 2 == 0 {
                vec!["even".into()]
            } else {
                vec![]
            },
            created_at: Some(chrono::Utc::now() + Duration::seconds(i)),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, TENANT, new, "x").unwrap();
    }
    let other = NewClient {
        id: Some("cc".into()),
        kind: Some(ClientKind::ClientCredentials),
        roles: vec!["r1".into()],
        ..NewClient::default()
    };
    let cc = clients::create_client(&mut conn, TENANT, other, "x").unwrap();
    assert_eq!(cc.roles, vec!["r1".to_owned()]);
    f.client("u", "c0");
    let ac = |ids: &[&str], tags: &[&str]| ClientFilter {
        kind: Some(ClientKind::AuthorizationCode),
        ids: ids.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
    };
    let names = |v: Vec<Client>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let (page, total) = clients::list_clients_page(&mut conn, TENANT, &ac(&[], &[]), 1, 2).unwrap();
    assert_eq!((names(page), total), (vec!["c1".into(), "c2".into()], 5));
    let (page, total) =
        clients::list_clients_page(&mut conn, TENANT, &ac(&[], &["even"]), 1, 10).unwrap();
    assert_eq!((names(page), total), (vec!["c2".into(), "c4".into()], 3));
    let (page, total) =
        clients::list_clients_page(&mut conn, TENANT, &ac(&["c3", "cc", "zz"], &[]), 0, 10)
            .unwrap();
    assert_eq!((names(page), total), (vec!["c3".into()], 1));
    assert_eq!(clients::count_clients(&mut conn, TENANT).unwrap(), 6);
    // Totals are kept per kind in the same transaction as each insert and delete.
    clients::delete_client(&mut conn, TENANT, ClientId::new("c0"), "x").unwrap();
    clients::delete_client(&mut conn, TENANT, ClientId::new("cc"), "x").unwrap();
    let (page, total) = clients::list_clients_page(&mut conn, TENANT, &ac(&[], &[]), 0, 1).unwrap();
    assert_eq!((names(page), total), (vec!["c1".into()], 4));
    assert_eq!(clients::count_clients(&mut conn, TENANT).unwrap(), 4);
    assert_eq!(
        clients::count_clients(&mut conn, TenantId::new("u")).unwrap(),
        1
    );
    let all = ClientFilter::default();
    assert_eq!(
        clients::list_clients_page(&mut conn, TENANT, &all, 0, 0)
            .unwrap()
            .1,
        4
    );
}

#[test]
fn disabling_or_deleting_a_client_revokes_its_tokens_and_secrets() {
    let f = Fixture::new();
    f.tenant("t");
    let c = f.client("t", "cli");
    let mut conn = f.store.conn().unwrap();
    let mk = |conn: &mut grant_core::DbConn, kind: CredentialKind, name: &str| {
        credential(kind)
            .name(name)
            .client(&c.id)
            .issue_with(conn, "t", None, &fast_hashing())
    };
    let secret = mk(&mut conn, CredentialKind::ClientSecret, "s1");
    let token = mk(&mut conn, CredentialKind::BearerToken, "tok1");
    use secrecy::ExposeSecret;
    let tok = token.secret.expose_secret().to_owned();
    let found = credentials::find_client_credentials(
        &mut conn,
        CredentialKind::ClientSecret,
        ClientId::new("cli"),
    )
    .unwrap();
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .1
            .as_deref()
            .unwrap_or("")
            .starts_with("$argon2id$")
    );
    assert_eq!(found[0].0.id, secret.credential.id);
    let patch = ClientPatch {
        enabled: Some(false),
        ..ClientPatch::default()
    };
    clients::update_client(&mut conn, TENANT, ClientId::new("cli"), patch, "x").unwrap();
    assert!(
        credentials::authenticate_token(&mut conn, &tok, &Face::Okta)
            .unwrap()
            .is_none()
    );
    let found = credentials::find_client_credentials(
        &mut conn,
        CredentialKind::ClientSecret,
        ClientId::new("cli"),
    )
    .unwrap();
    assert_eq!(
        found[0].0.status,
        CredentialStatus::Active,
        "secrets survive a disable"
    );
    clients::delete_client(&mut conn, TENANT, ClientId::new("cli"), "x").unwrap();
    let found = credentials::find_client_credentials(
        &mut conn,
        CredentialKind::ClientSecret,
        ClientId::new("cli"),
    )
    .unwrap();
    assert_eq!(found[0].0.status, CredentialStatus::Revoked);
}
