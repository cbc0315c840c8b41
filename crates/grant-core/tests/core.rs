//! The grant-core suite. Runs on SQLite by default and on PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set (scripts/test-all.sh runs it both ways).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use chrono::Duration;
use grant_core::model::*;
use grant_core::model::{ClientId, CredentialId, GrantId};
use grant_core::service::{clients, credentials, directory, export, grants};
use grant_core::store::{DatabaseUrl, migrate};
use grant_core::testing::fixture::{Fixture, credential};
use grant_core::testing::{TestDb, fast_hashing};
use grant_core::{CoreError, DatabaseConfig, Store};
use secrecy::SecretString;

/// The tenant the tests work in.
const TENANT: &TenantId = TenantId::new("t");

fn page_all(store: &Store, tenant: &str, filter: &GrantFilter, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(limit);
    loop {
        let page = grants::list_grants(
            &mut store.conn().unwrap(),
            TenantId::new(tenant),
            filter,
            &req,
        )
        .unwrap();
        out.extend(page.items.iter().map(|g| g.id.clone()));
        match page.next {
            Some(c) => req.after = Some(c),
            None => return out,
        }
    }
}

#[test]
fn database_url_unknown_scheme_is_a_clear_error() {
    for bad in [
        "postgress://localhost/db",
        "mysql://root@localhost/x",
        "http://x",
        "sqlite://",
    ] {
        let err = DatabaseUrl::parse(bad).unwrap_err().to_string();
        assert!(err.contains("database.url"), "{bad}: {err}");
    }
    let err = Store::connect(&DatabaseConfig {
        url: "postgress://localhost/db".into(),
        ..DatabaseConfig::default()
    })
    .err()
    .expect("a mistyped scheme must not start");
    assert!(
        err.to_string()
            .contains("unsupported database URL scheme 'postgress'"),
        "{err}"
    );
    assert_eq!(
        DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap().target(),
        "/tmp/x.db"
    );
    assert_eq!(
        DatabaseUrl::parse("data/grants.db").unwrap().target(),
        "data/grants.db"
    );
    assert!(DatabaseUrl::parse("postgres://u@h/db").is_ok());
}

#[test]
fn migrations_apply_from_empty_revert_and_reapply() {
    let db = TestDb::new();
    let store = db.store();
    let mut conn = store.conn().unwrap();
    assert_eq!(
        migrate::run_pending(&mut conn).unwrap(),
        0,
        "second run applies nothing"
    );
    assert!(migrate::revert_all(&mut conn).unwrap() >= 1);
    assert!(migrate::run_pending(&mut conn).unwrap() >= 1);
    directory::create_tenant(&mut conn, Some("t".into()), "t").unwrap();
}

#[test]
fn scope_consent_migration_keeps_single_scope_ids_and_names() {
    use diesel::connection::SimpleConnection;
    let f = Fixture::new();
    f.tenant("t");
    let u = f.user("t", "alice");
    f.client("t", "c1");
    let mut conn = f.store.conn().unwrap();
    // Back to the schema before consent ids, integration settings, tenant roles and client
    // tags, with grants written the way that schema stored them.
    let reverted = migrate::revert_from(&mut conn, "2026-12-07-020100").unwrap();
    let grant = |id: &str, scopes: &str| {
        format!(
            "INSERT INTO grants (id, tenant_id, user_id, client_id, grant_type, status, source, \
             issuer, scopes, attributes, created_at, updated_at) VALUES ('{id}', 't', '{}', \
             'c1', 'consent', 'active', 'end_user', '', '{scopes}', '', \
             '2020-01-01 00:00:00', '2020-01-01 00:00:00');",
            u.id
        )
    };
    let sql = [
        grant("oagSingle00000000001", "okta.users.read"),
        grant("multi", "openid profile"),
        grant("percent", "100% certificate:manage,revoke"),
        "INSERT INTO grant_scopes (grant_id, scope) VALUES ('oagSingle00000000001', 'okta.users.read'), \
         ('multi', 'openid'), ('multi', 'profile'), ('percent', '100%'), ('percent', 'certificate');"
            .to_owned(),
    ]
    .concat();
    conn.batch_execute(&sql).unwrap();
    assert_eq!(migrate::run_pending(&mut conn).unwrap(), reverted);
    let filter = GrantFilter::by_user(&u.id);
    let single = grants::get_consent(&mut conn, TENANT, "oagSingle00000000001", &filter).unwrap();
    assert_eq!(single.scope, "okta.users.read");
    let all = grants::list_consents(&mut conn, TENANT, &filter, &PageRequest::first(100)).unwrap();
    let multi: Vec<&ScopeConsent> = all.items.iter().filter(|c| c.grant.id == "multi").collect();
    assert_eq!(multi.len(), 2);
    for c in &multi {
        assert!(c.id.starts_with("oag") && c.id.len() == 20, "{}", c.id);
    }
    assert_ne!(multi[0].id, multi[1].id);
    let percent = grants::get_grant(&mut conn, TENANT, GrantId::new("percent"), &filter).unwrap();
    assert_eq!(
        percent.scopes,
        ScopeSet(vec![
            Scope::new("100%"),
            Scope::parse_venafi("certificate:manage,revoke")
        ])
    );
    // The client columns came back with their defaults for existing rows.
    let c1 = clients::get_client(&mut conn, TENANT, ClientId::new("c1")).unwrap();
    assert!(c1.renewable && c1.allowed_identities.is_empty() && c1.vendor.is_empty());
}

#[test]
fn pagination_returns_every_grant_once_while_grants_are_inserted() {
    let f = Fixture::new();
    f.tenant("t1");
    let u = f.user("t1", "alice");
    f.client("t1", "c1");
    let mut expected: HashSet<String> = (0..25)
        .map(|_| f.grant("t1", &u, "c1", "read").id)
        .collect();
    let filter = GrantFilter::by_user(&u.id);
    let mut seen = Vec::new();
    let mut req = PageRequest::first(4);
    loop {
        let page = grants::list_grants(
            &mut f.store.conn().unwrap(),
            TenantId::new("t1"),
            &filter,
            &req,
        )
        .unwrap();
        assert!(page.items.len() <= 4);
        seen.extend(page.items.iter().map(|g| g.id.clone()));
        // Another client adds a grant between every page request.
        expected.insert(f.grant("t1", &u, "c1", "read").id);
        match page.next {
            Some(c) => req.after = Some(c),
            None => break,
        }
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no grant appears twice");
    // Everything that existed at the start was seen; later inserts appear at the end.
    let initial: Vec<String> = page_all(&f.store, "t1", &filter, 100);
    assert_eq!(initial.len(), expected.len());
    for id in &seen {
        assert!(expected.contains(id));
    }
    assert!(seen.len() >= 25);
}

#[test]
fn concurrent_revocations_of_one_grant_one_wins() {
    let f = Fixture::new();
    f.tenant("t1");
    let u = f.user("t1", "alice");
    f.client("t1", "c1");
    let g = f.grant("t1", &u, "c1", "read");
    let results: Vec<Result<Grant, CoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let store = f.store.clone();
                let id = g.id.clone();
                s.spawn(move || {
                    let mut conn = store.conn().unwrap();
                    grants::revoke_grant(
                        &mut conn,
                        TenantId::new("t1"),
                        GrantId::new(&id),
                        &GrantFilter::default(),
                        &format!("actor{i}"),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let not_found = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Err(CoreError::NotFound {
                    kind: RecordKind::Grant,
                    ..
                })
            )
        })
        .count();
    assert_eq!((ok, not_found), (1, 1), "{results:?}");
    let mut conn = f.store.conn().unwrap();
    let snap = export::export(&mut conn).unwrap();
    assert_eq!(
        snap.audit
            .iter()
            .filter(|e| e.action == "grant.revoked")
            .count(),
        1
    );
    let stored = snap.grants.iter().find(|x| x.id == g.id).unwrap();
    assert_eq!(stored.status, GrantStatus::Revoked);
    assert!(stored.revoked_at.is_some() && stored.revoked_by.is_some());
}

#[test]
fn one_tenant_never_sees_another_tenants_grants() {
    let f = Fixture::new();
    f.tenant("a");
    f.tenant("b");
    let ua = f.user("a", "alice");
    let ub = f.user("b", "alice");
    f.client("a", "shared-id");
    f.client("b", "shared-id");
    let ga = f.grant("a", &ua, "shared-id", "read");
    let mut conn = f.store.conn().unwrap();
    assert!(
        grants::get_grant(
            &mut conn,
            TenantId::new("b"),
            GrantId::new(&ga.id),
            &GrantFilter::default()
        )
        .is_err()
    );
    assert!(
        grants::revoke_grant(
            &mut conn,
            TenantId::new("b"),
            GrantId::new(&ga.id),
            &GrantFilter::default(),
            "x"
        )
        .is_err()
    );
    assert_eq!(
        grants::revoke_grants(
            &mut conn,
            TenantId::new("b"),
            &GrantFilter::by_user(&ua.id),
            "x"
        )
        .unwrap(),
        0
    );
    assert_eq!(
        grants::revoke_grants(
            &mut conn,
            TenantId::new("b"),
            &GrantFilter::by_client("shared-id"),
            "x"
        )
        .unwrap(),
        0
    );
    assert!(page_all(&f.store, "b", &GrantFilter::by_client("shared-id"), 10).is_empty());
    assert!(page_all(&f.store, "b", &GrantFilter::by_user(&ub.id), 10).is_empty());
    assert_eq!(
        page_all(&f.store, "a", &GrantFilter::by_client("shared-id"), 10),
        vec![ga.id.clone()]
    );
    // Issuing a grant across tenants is refused.
    let mut new = NewGrant::new(&ua.id, "shared-id");
    new.issuer = "x".into();
    assert!(matches!(
        grants::issue_grant(&mut conn, TenantId::new("b"), new, "x"),
        Err(CoreError::NotFound {
            kind: RecordKind::User,
            ..
        })
    ));
}

#[test]
fn revoke_all_counts_are_exact_and_revoked_grants_disappear() {
    let f = Fixture::new();
    f.tenant("t");
    let alice = f.user("t", "alice");
    let bob = f.user("t", "bob");
    f.client("t", "c1");
    f.client("t", "c2");
    for _ in 0..3 {
        f.grant("t", &alice, "c1", "read");
    }
    f.grant("t", &alice, "c2", "read");
    f.grant("t", &bob, "c1", "write");
    let mut conn = f.store.conn().unwrap();
    let user_client = GrantFilter::by_user_and_client(&alice.id, "c1");
    assert_eq!(
        grants::count_grants(&mut conn, TENANT, &user_client).unwrap(),
        3
    );
    assert_eq!(
        grants::revoke_grants(&mut conn, TENANT, &user_client, "admin").unwrap(),
        3
    );
    assert_eq!(
        grants::revoke_grants(&mut conn, TENANT, &user_client, "admin").unwrap(),
        0
    );
    assert_eq!(
        grants::revoke_grants(&mut conn, TENANT, &GrantFilter::by_user(&alice.id), "admin")
            .unwrap(),
        1
    );
    assert_eq!(
        grants::revoke_grants(&mut conn, TENANT, &GrantFilter::by_client("c1"), "admin").unwrap(),
        1
    );
    assert_eq!(
        grants::count_grants(&mut conn, TENANT, &GrantFilter::default()).unwrap(),
        0
    );
    let snap = export::export(&mut conn).unwrap();
    assert_eq!(snap.grants.len(), 5, "the record of revoked grants is kept");
    let revocations: Vec<i64> = snap
        .audit
        .iter()
        .filter(|e| e.action == "grants.revoked")
        .map(|e| e.affected)
        .collect();
    assert_eq!(revocations, vec![3, 0, 1, 1]);
}

#[test]
fn scope_filter_and_expiry() {
    let f = Fixture::new();
    f.tenant("t");
    let u = f.user("t", "alice");
    f.client("t", "c1");
    let read = f.grant("t", &u, "c1", "read");
    f.grant("t", &u, "c1", "write");
    let mut expired = NewGrant::new(&u.id, "c1");
    expired.issuer = "x".into();
    expired.scopes = ScopeSet::from_names(["read"]);
    expired.expires_at = Some(now() - Duration::seconds(5));
    let mut conn = f.store.conn().unwrap();
    let expired = grants::issue_grant(&mut conn, TENANT, expired, "x").unwrap();
    let filter = GrantFilter::by_user(&u.id).with_scope(Some("read".into()));
    assert_eq!(page_all(&f.store, "t", &filter, 10), vec![read.id.clone()]);
    assert!(
        grants::get_grant(
            &mut conn,
            TENANT,
            GrantId::new(&expired.id),
            &GrantFilter::default()
        )
        .is_err()
    );
    assert_eq!(
        grants::count_grants(&mut conn, TENANT, &GrantFilter::by_user(&u.id)).unwrap(),
        2
    );
    // A grant is only found under its own user.
    let bob = f.user("t", "bob");
    assert!(
        grants::get_grant(
            &mut conn,
            TENANT,
            GrantId::new(&read.id),
            &GrantFilter::by_user(&bob.id)
        )
        .is_err()
    );
    assert!(
        grants::get_grant(
            &mut conn,
            TENANT,
            GrantId::new(&read.id),
            &GrantFilter::by_user(&u.id)
        )
        .is_ok()
    );
}

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
fn tokens_are_stored_as_digests_and_stop_working_when_disabled() {
    let f = Fixture::new();
    f.tenant("t");
    let mut conn = f.store.conn().unwrap();
    let issued = credential(CredentialKind::ApiToken)
        .name("ci")
        .scopes(&["okta.users.read"])
        .roles(&["admin"])
        .prefix("00")
        .issue_with(&mut conn, "t", None, &fast_hashing());
    let token = secrecy::ExposeSecret::expose_secret(&issued.secret).to_owned();
    assert!(token.starts_with("00") && token.len() == 42);
    assert!(
        !format!("{issued:?}").contains(&token),
        "Debug never prints the secret"
    );
    let found = credentials::authenticate_token(&mut conn, &token, &Face::Okta)
        .unwrap()
        .unwrap();
    assert_eq!(found.id, issued.credential.id);
    assert!(
        credentials::authenticate_token(&mut conn, "00nope", &Face::Okta)
            .unwrap()
            .is_none()
    );
    let snap = export::export(&mut conn).unwrap();
    let json = serde_json::to_string(&snap).unwrap();
    assert!(!json.contains(&token), "export holds no token");
    credentials::set_credential_status(
        &mut conn,
        TENANT,
        CredentialId::new(&found.id),
        CredentialStatus::Disabled,
        "x",
    )
    .unwrap();
    assert!(
        credentials::authenticate_token(&mut conn, &token, &Face::Okta)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn password_verifier_checks_argon2_and_caches_successes() {
    let cfg = fast_hashing();
    let phc = credentials::hash_password(&cfg, &SecretString::from("s3cret")).unwrap();
    assert!(phc.starts_with("$argon2id$"));
    let verifier = credentials::PasswordVerifier::new(&cfg);
    assert!(
        verifier
            .verify(phc.clone(), SecretString::from("s3cret"))
            .await
            .unwrap()
    );
    assert!(
        !verifier
            .verify(phc.clone(), SecretString::from("wrong"))
            .await
            .unwrap()
    );
    // A cached success is answered without argon2: a bogus hash string proves it is not re-run.
    assert!(
        verifier
            .verify(phc.clone(), SecretString::from("s3cret"))
            .await
            .unwrap()
    );
    assert!(
        !verifier
            .verify("not-a-hash".into(), SecretString::from("s3cret"))
            .await
            .unwrap()
    );
}

#[test]
fn export_import_export_is_identical() {
    let f = Fixture::new();
    f.tenant("t");
    let u = f.user("t", "alice");
    f.client("t", "c1");
    let mut g = NewGrant::new(&u.id, "c1");
    g.issuer = "https://issuer".into();
    g.scopes = ScopeSet(vec![
        Scope::parse_venafi("certificate:manage,revoke"),
        Scope::new("openid"),
    ]);
    g.attributes = vec![GrantAttribute {
        name: "groups".into(),
        values: vec!["a".into(), "b".into()],
    }];
    g.expires_at = Some(now() + Duration::days(1));
    g.created_by = Some(Actor {
        id: u.alias(AliasVendor::Okta).to_owned(),
        kind: "User".into(),
    });
    let mut conn = f.store.conn().unwrap();
    let issued = grants::issue_grant(&mut conn, TENANT, g, "x").unwrap();
    grants::revoke_grant(
        &mut conn,
        TENANT,
        GrantId::new(&issued.id),
        &GrantFilter::default(),
        "x",
    )
    .unwrap();
    f.grant("t", &u, "c1", "read");
    let first = serde_json::to_string_pretty(&export::export(&mut conn).unwrap()).unwrap();

    let other = TestDb::new();
    let store2 = other.store();
    let mut conn2 = store2.conn().unwrap();
    let snap: export::Snapshot = serde_json::from_str(&first).unwrap();
    export::import(&mut conn2, &snap).unwrap();
    let second = serde_json::to_string_pretty(&export::export(&mut conn2).unwrap()).unwrap();
    assert_eq!(first, second);
    // Importing again conflicts and leaves nothing half-written.
    assert!(export::import(&mut conn2, &snap).is_err());
    assert_eq!(
        serde_json::to_string_pretty(&export::export(&mut conn2).unwrap()).unwrap(),
        second
    );
}

const OPAQUE: [&str; 6] = [
    "api:read",
    "urn:example:scope",
    "https://api.example.com/orders.read",
    "données:lire",
    "100%:a,b",
    "car:drive",
];

#[test]
fn scope_names_are_opaque_and_each_scope_is_its_own_consent() {
    let f = Fixture::new();
    f.tenant("t");
    let u = f.user("t", "alice");
    f.client("t", "c1");
    let mut conn = f.store.conn().unwrap();
    let mut g = NewGrant::new(&u.id, "c1");
    g.scopes = ScopeSet::from_names(OPAQUE);
    let issued = grants::issue_grant(&mut conn, TENANT, g, "x").unwrap();
    let read = grants::get_grant(
        &mut conn,
        TENANT,
        GrantId::new(&issued.id),
        &GrantFilter::default(),
    )
    .unwrap();
    assert_eq!(read.scopes, ScopeSet::from_names(OPAQUE));
    assert!(read.scopes.0.iter().all(|s| s.restrictions.is_empty()));
    // A grant without scope has no consent.
    f.grant("t", &u, "c1", "");
    let all = grants::list_consents(
        &mut conn,
        TENANT,
        &GrantFilter::by_user(&u.id),
        &PageRequest::first(100),
    )
    .unwrap();
    let mut names: Vec<&str> = all.items.iter().map(|c| c.scope.as_str()).collect();
    names.sort_unstable();
    let mut want = OPAQUE.to_vec();
    want.sort_unstable();
    assert_eq!(names, want);
    let ids: HashSet<&str> = all.items.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), OPAQUE.len());
    // The filter matches the stored string.
    let one = grants::list_consents(
        &mut conn,
        TENANT,
        &GrantFilter::by_user(&u.id).with_scope(Some("api:read".into())),
        &PageRequest::first(100),
    )
    .unwrap();
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.items[0].scope, "api:read");
    // Revoking one consent leaves the others, and the grant, in place.
    let gone = one.items[0].id.clone();
    grants::revoke_consent(&mut conn, TENANT, &gone, &GrantFilter::by_user(&u.id), "x").unwrap();
    assert!(matches!(
        grants::get_consent(&mut conn, TENANT, &gone, &GrantFilter::default()),
        Err(CoreError::NotFound { .. })
    ));
    let after = grants::get_grant(
        &mut conn,
        TENANT,
        GrantId::new(&issued.id),
        &GrantFilter::default(),
    )
    .unwrap();
    assert_eq!(
        after.scopes,
        ScopeSet::from_names(OPAQUE.iter().filter(|s| **s != "api:read").copied())
    );
    let rest = grants::list_consents(
        &mut conn,
        TENANT,
        &GrantFilter::by_user(&u.id),
        &PageRequest::first(100),
    )
    .unwrap();
    assert_eq!(rest.items.len(), OPAQUE.len() - 1);
    for c in &rest.items {
        assert!(all.items.iter().any(|a| a.id == c.id && a.scope == c.scope));
    }
    // Revoking the last consent of a single-scope grant revokes the grant.
    let single = f.grant("t", &u, "c1", "solo:scope");
    let c = grants::get_consent(&mut conn, TENANT, &single.id, &GrantFilter::default()).unwrap();
    assert_eq!(c.scope, "solo:scope");
    grants::revoke_consent(&mut conn, TENANT, &single.id, &GrantFilter::default(), "x").unwrap();
    assert!(
        grants::get_grant(
            &mut conn,
            TENANT,
            GrantId::new(&single.id),
            &GrantFilter::default()
        )
        .is_err()
    );
}

#[test]
fn unique_violations_carry_no_database_text() {
    let f = Fixture::new();
    f.tenant("t");
    let mut conn = f.store.conn().unwrap();
    let snap = export::export(&mut conn).unwrap();
    let err = export::import(&mut conn, &snap).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CoreError::Conflict(_)), "{text}");
    assert!(
        !text.contains("tenants") && !text.contains("UNIQUE") && !text.contains("duplicate"),
        "{text}"
    );
}

#[test]
fn database_config_debug_hides_the_url() {
    let cfg = DatabaseConfig {
        url: "postgres://app:hunter2@db/grants".into(),
        ..DatabaseConfig::default()
    };
    let shown = format!("{cfg:?}");
    assert!(
        !shown.contains("hunter2") && shown.contains("postgres://***"),
        "{shown}"
    );
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

#[test]
fn tenant_roles_resolve_to_their_type_and_unknown_ids_stay_types() {
    let f = Fixture::new();
    f.tenant("t");
    f.tenant("u");
    let mut conn = f.store.conn().unwrap();
    let role = TenantRole {
        tenant_id: "t".into(),
        id: "r-1".into(),
        name: "Auditors".into(),
        description: String::new(),
        role_type: "viewer-type".into(),
        scope: 1,
        community_id: None,
        created_at: now(),
    };
    directory::create_role(&mut conn, role.clone(), "x").unwrap();
    let ids = vec!["r-1".to_owned(), "admin-type".to_owned()];
    assert_eq!(
        directory::role_types(&mut conn, TENANT, &ids).unwrap(),
        ["viewer-type", "admin-type"]
    );
    // Roles are per tenant: another tenant's id is not resolved.
    assert_eq!(
        directory::role_types(&mut conn, TenantId::new("u"), &ids).unwrap(),
        ["r-1", "admin-type"]
    );
    let err = directory::create_role(&mut conn, role.clone(), "x").unwrap_err();
    assert_eq!(err.to_string(), "conflict: role r-1 already exists");
    let err = directory::create_role(
        &mut conn,
        TenantRole {
            role_type: " ".into(),
            id: "r-2".into(),
            ..role
        },
        "x",
    )
    .unwrap_err();
    assert!(matches!(err, CoreError::Invalid { ref field, .. } if field == "role_type"));
}

#[test]
fn exports_carry_roles_and_profiles_and_format_2_still_imports() {
    let f = Fixture::new();
    f.tenant("t");
    let mut conn = f.store.conn().unwrap();
    directory::create_role(
        &mut conn,
        TenantRole {
            tenant_id: "t".into(),
            id: "r-1".into(),
            name: "Auditors".into(),
            description: "d".into(),
            role_type: "viewer-type".into(),
            scope: 1,
            community_id: Some("c".into()),
            created_at: now(),
        },
        "x",
    )
    .unwrap();
    let profile = UserProfile {
        given_name: Some("Dana".into()),
        identity_provider_id: Some("idp".into()),
        ..UserProfile::default()
    };
    directory::create_user(
        &mut conn,
        TENANT,
        NewUser {
            login: "dana".into(),
            roles: vec!["r-1".into()],
            profile: Some(profile.clone()),
            ..NewUser::default()
        },
        "x",
    )
    .unwrap();
    let snap = export::export(&mut conn).unwrap();
    assert_eq!(snap.format, 4);
    assert_eq!(snap.roles.len(), 1);
    assert_eq!(snap.users[0].profile.as_ref(), Some(&profile));
    let first = serde_json::to_string_pretty(&snap).unwrap();
    let other = TestDb::new();
    let store2 = other.store();
    let mut conn2 = store2.conn().unwrap();
    export::import(&mut conn2, &serde_json::from_str(&first).unwrap()).unwrap();
    let second = serde_json::to_string_pretty(&export::export(&mut conn2).unwrap()).unwrap();
    assert_eq!(first, second);
    // A format 2 document (no roles, no profiles) still imports.
    let mut old: serde_json::Value = serde_json::from_str(&first).unwrap();
    old["format"] = 2.into();
    old.as_object_mut().unwrap().remove("roles");
    old["users"][0].as_object_mut().unwrap().remove("profile");
    let third = TestDb::new();
    let store3 = third.store();
    let mut conn3 = store3.conn().unwrap();
    export::import(&mut conn3, &serde_json::from_value(old).unwrap()).unwrap();
    let back = export::export(&mut conn3).unwrap();
    assert!(back.roles.is_empty() && back.users[0].profile.is_none());
}

#[test]
fn client_tag_migration_indexes_the_tags_clients_already_have() {
    let f = Fixture::new();
    f.tenant("t");
    let mut conn = f.store.conn().unwrap();
    for (id, tags) in [("c1", vec!["a", "b"]), ("c2", vec!["b"]), ("c3", vec![])] {
        let new = NewClient {
            id: Some(id.into()),
            tags: tags.into_iter().map(String::from).collect(),
            ..NewClient::default()
        };
        clients::create_client(&mut conn, TENANT, new, "test").unwrap();
    }
    // Back to the schema before `client_tags`, then forward again: the rows come from the
    // clients' stored tag lists.
    let reverted = migrate::revert_from(&mut conn, "2026-12-07-040000").unwrap();
    assert_eq!(migrate::run_pending(&mut conn).unwrap(), reverted);
    let page = |tags: &[&str]| {
        let filter = ClientFilter {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..ClientFilter::default()
        };
        let (items, total) =
            clients::list_clients_page(&mut f.conn(), TENANT, &filter, 0, 10).unwrap();
        (items.into_iter().map(|c| c.id).collect::<Vec<_>>(), total)
    };
    assert_eq!(page(&["b"]), (vec!["c1".to_owned(), "c2".to_owned()], 2));
    assert_eq!(page(&["a", "zz"]), (vec!["c1".to_owned()], 1));
    // A tag change is reflected at once; a deleted client leaves no tag behind.
    let patch = ClientPatch {
        tags: Some(vec!["zz".into()]),
        ..ClientPatch::default()
    };
    clients::update_client(&mut f.conn(), TENANT, ClientId::new("c2"), patch, "test").unwrap();
    assert_eq!(page(&["b"]), (vec!["c1".to_owned()], 1));
    clients::delete_client(&mut f.conn(), TENANT, ClientId::new("c1"), "test").unwrap();
    assert_eq!(page(&["a", "b"]), (vec![], 0));
    assert_eq!(page(&["zz"]), (vec!["c2".to_owned()], 1));
}

#[test]
fn database_url_describe_never_shows_credentials() {
    let pg = DatabaseUrl::parse("postgres://app:s3cret@db.internal:5432/grants?sslmode=require")
        .unwrap();
    assert_eq!(pg.describe(), "PostgreSQL db.internal:5432/grants");
    let lite = DatabaseUrl::parse("sqlite://data/grants.db").unwrap();
    assert_eq!(lite.describe(), "SQLite data/grants.db");
}

#[tokio::test]
async fn a_disabled_tenant_authenticates_nothing_until_enabled() {
    use grant_core::service::admin;
    use grant_core::service::credentials::PasswordVerifier;
    use secrecy::ExposeSecret;
    let f = Fixture::new();
    f.tenant("t");
    f.tenant("other");
    f.client("t", "cli");
    let hashing = fast_hashing();
    let mut conn = f.store.conn().unwrap();
    let mut mk = |tenant: &str, kind: CredentialKind, name: &str, client: Option<&str>| {
        let new = NewCredential {
            kind,
            name: name.into(),
            user_id: None,
            client_id: client.map(str::to_owned),
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: "00".into(),
            faces: vec![],
        };
        let secret = (kind != CredentialKind::ApiToken).then(|| SecretString::from("pw"));
        credentials::create_credential(&mut conn, TenantId::new(tenant), new, secret, &hashing, "x")
            .unwrap()
    };
    let token = mk("t", CredentialKind::ApiToken, "tok", None);
    let token = token.secret.expose_secret().to_owned();
    let other = mk("other", CredentialKind::ApiToken, "tok", None);
    let other = other.secret.expose_secret().to_owned();
    mk("t", CredentialKind::Password, "pcv", None);
    mk("t", CredentialKind::ClientSecret, "cli/1/s", Some("cli"));
    let verifier = PasswordVerifier::new(&hashing);
    let store = f.store.clone();
    let login = || {
        credentials::login_password(
            &store,
            &verifier,
            TENANT,
            &Face::PingFederate { pcv: "P1" },
            "pcv",
            SecretString::from("pw"),
            "10.0.0.1",
        )
    };
    let usable = |conn: &mut grant_core::DbConn| {
        (
            credentials::authenticate_token(conn, &token, &Face::Okta)
                .unwrap()
                .is_some(),
            credentials::find_client_credentials(
                conn,
                CredentialKind::ClientSecret,
                ClientId::new("cli"),
            )
            .unwrap()
            .len(),
        )
    };
    assert_eq!(usable(&mut conn), (true, 1));
    login().await.unwrap();

    let t = admin::set_tenant_status(&mut conn, TENANT, TenantStatus::Disabled, "ops").unwrap();
    assert_eq!(t.status, TenantStatus::Disabled);
    assert_eq!(
        directory::get_tenant(&mut conn, TENANT).unwrap().status,
        TenantStatus::Disabled
    );
    assert_eq!(usable(&mut conn), (false, 0));
    assert!(matches!(login().await, Err(CoreError::Unauthenticated)));
    // Another tenant is untouched; the operator still finds a leaked token of the tenant;
    // the credentials keep their own status.
    assert!(
        credentials::authenticate_token(&mut conn, &other, &Face::Okta)
            .unwrap()
            .is_some()
    );
    let found = admin::find_credential_by_token(&mut conn, &token).unwrap();
    assert_eq!(found.status, CredentialStatus::Active);

    admin::set_tenant_status(&mut conn, TENANT, TenantStatus::Active, "ops").unwrap();
    assert_eq!(usable(&mut conn), (true, 1));
    login().await.unwrap();

    let err = admin::set_tenant_status(
        &mut conn,
        TenantId::new("nope"),
        TenantStatus::Disabled,
        "ops",
    );
    assert!(matches!(err, Err(CoreError::NotFound { .. })), "{err:?}");
    let audit: Vec<_> = admin::list_audit(&mut conn, Some(TENANT))
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::TenantStatus.as_str())
        .map(|e| (e.actor, e.detail["status"].clone()))
        .collect();
    assert_eq!(
        audit,
        vec![
            ("ops".to_owned(), serde_json::json!("disabled")),
            ("ops".to_owned(), serde_json::json!("active")),
        ]
    );
}

#[test]
fn alias_and_list_migrations_keep_identifiers_roles_and_scopes() {
    use diesel::connection::SimpleConnection;
    let f = Fixture::new();
    f.tenant("t");
    f.client("t", "c1");
    let mut conn = f.store.conn().unwrap();
    // Back to the schema with `okta_id`/`universal` columns and joined lists, with a user,
    // credentials and a grant written the way that schema stored them.
    let reverted = migrate::revert_from(&mut conn, "2026-12-07-050100").unwrap();
    conn.batch_execute(
        "INSERT INTO users (id, tenant_id, login, display_name, roles, created_at, profile, \
         okta_id, universal, universal_folded) VALUES ('u1', 't', 'alice', 'Alice', \
         'Admin,Grant Admin', '2020-01-01 00:00:00', NULL, '00uAlice000000000001', \
         'local:{ABC}', 'local:{abc}'); \
         INSERT INTO credentials (id, tenant_id, kind, name, user_id, client_id, grant_id, \
         digest, password_hash, scopes, roles, status, created_at, expires_at, last_used_at, \
         faces) VALUES ('k1', 't', 'bearer_token', 'n', 'u1', NULL, NULL, NULL, NULL, \
         'ocsapi cert:manage,revoke', 'SUPER_ADMIN,READ_ONLY_ADMIN', 'active', \
         '2020-01-01 00:00:00', NULL, NULL, '[\"ocs\"]'), \
         ('k2', 't', 'api_token', 'empty', 'u1', NULL, NULL, NULL, NULL, '', '', 'active', \
         '2020-01-01 00:00:00', NULL, NULL, '[\"okta\"]'); \
         INSERT INTO grants (id, tenant_id, user_id, client_id, grant_type, status, source, \
         issuer, scopes, attributes, created_at, updated_at) VALUES ('g1', 't', 'u1', 'c1', \
         'consent', 'active', 'end_user', '', 'a%20b x%3Ay:r%2C1,100%25 \"q\\', '', \
         '2020-01-01 00:00:00', '2020-01-01 00:00:00');",
    )
    .unwrap();
    assert_eq!(migrate::run_pending(&mut conn).unwrap(), reverted);
    let by_okta = directory::get_user(
        &mut conn,
        TENANT,
        UserKey::Alias(AliasVendor::Okta),
        "00uAlice000000000001",
    )
    .unwrap();
    assert_eq!(by_okta.id, "u1");
    assert_eq!(by_okta.roles, ["Admin", "Grant Admin"]);
    assert_eq!(by_okta.alias(AliasVendor::Venafi), "local:{ABC}");
    // Venafi universals still compare case-insensitively; Okta ids exactly.
    let by_universal = directory::get_user(
        &mut conn,
        TENANT,
        UserKey::Alias(AliasVendor::Venafi),
        "LOCAL:{abc}",
    )
    .unwrap();
    assert_eq!(by_universal.id, "u1");
    assert!(
        directory::find_user(
            &mut conn,
            TENANT,
            UserKey::Alias(AliasVendor::Okta),
            "00ualice000000000001"
        )
        .unwrap()
        .is_none()
    );
    let k1 = grant_core::service::admin::get_credential(&mut conn, TENANT, CredentialId::new("k1"))
        .unwrap();
    assert_eq!(k1.scopes, ["ocsapi", "cert:manage,revoke"]);
    assert_eq!(k1.roles, ["SUPER_ADMIN", "READ_ONLY_ADMIN"]);
    let k2 = grant_core::service::admin::get_credential(&mut conn, TENANT, CredentialId::new("k2"))
        .unwrap();
    assert!(k2.scopes.is_empty() && k2.roles.is_empty());
    // Escaped names and restrictions come back as they were given.
    let g1 = grants::get_grant(
        &mut conn,
        TENANT,
        GrantId::new("g1"),
        &GrantFilter::by_user("u1"),
    )
    .unwrap();
    assert_eq!(
        g1.scopes,
        ScopeSet(vec![
            Scope::new("a b"),
            Scope {
                name: "x:y".into(),
                restrictions: vec!["r,1".into(), "100%".into()],
            },
            Scope::new("\"q\\"),
        ])
    );
    // And back down: the columns come back from the alias rows.
    migrate::revert_from(&mut conn, "2026-12-07-050100").unwrap();
    assert_eq!(
        conn_row(&mut conn),
        [
            "00uAlice000000000001",
            "local:{ABC}",
            "local:{abc}",
            "Admin,Grant Admin"
        ]
    );
}

fn streamed(conn: &mut grant_core::DbConn) -> String {
    let mut out = Vec::new();
    let mut n = 0;
    export::write_export(conn, &mut out, &mut || n += 1).unwrap();
    assert!(n > 0);
    String::from_utf8(out).unwrap()
}

/// A store with a bit of everything: a multi-scope grant (consent ids of its own), a revoked
/// one, a role, a credential, audit rows and a disabled tenant.
fn varied() -> Fixture {
    use grant_core::service::admin;
    let f = Fixture::new();
    f.tenant("t");
    f.tenant("off");
    let u = f.user("t", "alice");
    f.client("t", "c1");
    let mut conn = f.store.conn().unwrap();
    let mut g = NewGrant::new(&u.id, "c1");
    g.scopes = ScopeSet(vec![
        Scope::parse_venafi("certificate:manage,revoke"),
        Scope::new("openid"),
    ]);
    g.attributes = vec![GrantAttribute {
        name: "note".into(),
        values: vec!["line\nbreak \"quoted\"".into()],
    }];
    grants::issue_grant(&mut conn, TENANT, g, "x").unwrap();
    let revoked = f.grant("t", &u, "c1", "read");
    grants::revoke_grant(
        &mut conn,
        TENANT,
        GrantId::new(&revoked.id),
        &GrantFilter::default(),
        "x",
    )
    .unwrap();
    for _ in 0..3 {
        f.grant("t", &u, "c1", "okta.users.read");
    }
    let new = NewCredential {
        kind: CredentialKind::ApiToken,
        name: "ci".into(),
        user_id: Some(u.id.clone()),
        client_id: None,
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at: None,
        token_prefix: "00".into(),
        faces: vec![],
    };
    credentials::create_credential(&mut conn, TENANT, new, None, &fast_hashing(), "x").unwrap();
    admin::set_tenant_status(&mut conn, TenantId::new("off"), TenantStatus::Disabled, "x").unwrap();
    drop(conn);
    f
}

#[test]
fn streamed_export_is_the_pretty_snapshot_and_round_trips_exactly() {
    let f = varied();
    let mut conn = f.store.conn().unwrap();
    let text = streamed(&mut conn);
    let snap = export::export(&mut conn).unwrap();
    assert_eq!(text, serde_json::to_string_pretty(&snap).unwrap());
    assert!(snap.consent_ids.iter().any(|c| c.id != c.grant_id));
    assert!(text.contains("\"status\": \"disabled\""));

    let other = TestDb::new();
    let store2 = other.store();
    let mut conn2 = store2.conn().unwrap();
    let counts = export::import_from(&mut conn2, text.as_bytes()).unwrap();
    assert_eq!(
        (counts.tenants, counts.grants, counts.credentials),
        (2, 5, 1)
    );
    assert_eq!(counts.audit, snap.audit.len());
    assert_eq!(streamed(&mut conn2), text);
    // The disabled tenant stays disabled.
    assert_eq!(
        directory::get_tenant(&mut conn2, TenantId::new("off"))
            .unwrap()
            .status,
        TenantStatus::Disabled
    );
    // Importing again conflicts on the first record and leaves the store as it was.
    let err = export::import_from(&mut conn2, text.as_bytes()).unwrap_err();
    assert!(
        matches!(&err, export::TransferError::Store(CoreError::Conflict(m))
            if m.starts_with("tenant ") && m.ends_with(" already exists")),
        "{err}"
    );
    assert_eq!(streamed(&mut conn2), text);
}

/// The document's text with its fields in `keys` order (then any other), as an export
/// writes them (serde_json's map sorts keys).
fn ordered(doc: &serde_json::Value, keys: &[&str]) -> Vec<u8> {
    let map = doc.as_object().unwrap();
    let mut parts: Vec<String> = keys
        .iter()
        .filter_map(|k| map.get(*k).map(|v| format!("\"{k}\":{v}")))
        .collect();
    for (k, v) in map {
        if !keys.contains(&k.as_str()) {
            parts.push(format!("\"{k}\":{v}"));
        }
    }
    format!("{{{}}}", parts.join(",")).into_bytes()
}

const ORDER: &[&str] = export::FIELDS;

/// An export document of `n` grants of alice to c1 in tenant t (format 1 as
/// scripts/bench_data.py writes it: no roles, consent ids, faces nor tenant status).
fn bench_doc(n: usize) -> serde_json::Value {
    let user = "00000000-0000-0000-0000-000000000001";
    let t0 = "2024-01-01T00:00:00.000Z";
    let grants: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": format!("oag{i:017}"), "tenant_id": "t", "user_id": user,
                "client_id": "c1", "grant_type": "consent", "status": "active",
                "source": "end_user", "issuer": "https://bench.example",
                "scopes": [{"name": "okta.users.read"}], "attributes": [],
                "created_at": t0, "updated_at": t0, "expires_at": null,
                "access_issued_at": null, "valid_for": null, "created_by": null,
                "revoked_at": null, "revoked_by": null
            })
        })
        .collect();
    serde_json::json!({
        "format": 1,
        "tenants": [{"id": "t", "name": "T", "created_at": t0}],
        "users": [{"id": user, "tenant_id": "t", "okta_id": "00uA1ice000000000001",
                   "login": "alice", "universal": format!("local:{{{user}}}"),
                   "display_name": "Alice", "roles": [], "created_at": t0}],
        "clients": [{"tenant_id": "t", "id": "c1", "kind": "authorization_code",
                     "name": "C1", "enabled": true, "access_token_lifetime": 3600,
                     "refresh_token_lifetime": 0, "redirect_uris": [],
                     "post_logout_redirect_uris": [], "client_uri": null, "logo_uri": null,
                     "tags": [], "allowed_cors_origins": [], "allow_offline_access": false,
                     "allowed_scopes": [], "created_at": t0, "updated_at": t0}],
        "scopes": [],
        "grants": grants,
        "credentials": [{"id": "k1", "tenant_id": "t", "kind": "api_token", "name": "ci",
                         "user_id": null, "client_id": null, "grant_id": null,
                         "digest": "AAAA", "password_hash": null, "scopes": "", "roles": "",
                         "status": "active", "created_at": t0, "expires_at": null,
                         "last_used_at": null}],
        "audit": []
    })
}

#[test]
fn streamed_import_reads_format_1_documents() {
    let db = TestDb::new();
    let store = db.store();
    let mut conn = store.conn().unwrap();
    let doc = ordered(&bench_doc(1203), ORDER);
    let counts = export::import_from(&mut conn, doc.as_slice()).unwrap();
    assert_eq!((counts.tenants, counts.users, counts.grants), (1, 1, 1203));
    let snap = export::export(&mut conn).unwrap();
    assert_eq!(snap.tenants[0].status, TenantStatus::Active);
    assert_eq!(snap.credentials[0].faces, Some(vec!["okta".to_owned()]));
    assert_eq!(snap.grants.len(), 1203);
    // A single-scope grant's consent has the grant's id.
    assert!(snap.consent_ids.iter().all(|c| c.id == c.grant_id));
}

#[test]
fn a_failing_record_midway_names_it_and_leaves_the_store_unchanged() {
    let db = TestDb::new();
    let store = db.store();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some("before".into()), "B").unwrap();
    let before = streamed(&mut conn);
    let run = |conn: &mut grant_core::DbConn, doc: &serde_json::Value| {
        let bytes = ordered(doc, ORDER);
        let err = export::import_from(conn, bytes.as_slice()).unwrap_err();
        assert_eq!(streamed(conn), before, "{err}");
        err.to_string()
    };
    // Past the first batches (500 grants each): a grant of a user the document never had.
    let mut doc = bench_doc(1500);
    doc["grants"][1100]["user_id"] = "nobody".into();
    let err = run(&mut conn, &doc);
    assert!(
        err.starts_with(
            "invalid grant oag00000000000001100: its user 'nobody' is not in the store"
        ),
        "{err}"
    );
    // The same id twice.
    let mut doc = bench_doc(1500);
    doc["grants"][1300]["id"] = "oag00000000000000007".into();
    assert_eq!(
        run(&mut conn, &doc),
        "conflict: grant oag00000000000000007 already exists"
    );
    // A record of the wrong shape is named by its index, with the position.
    let mut doc = bench_doc(1500);
    doc["grants"][1201]["status"] = "bogus".into();
    let err = run(&mut conn, &doc);
    assert!(
        err.starts_with("grants[1201]: unknown variant `bogus`"),
        "{err}"
    );
    assert!(err.contains(" at line 1 column "), "{err}");
    // Grants before the users they refer to: refused, naming the grant.
    let text = ordered(
        &bench_doc(3),
        &["format", "tenants", "clients", "scopes", "grants", "users"],
    );
    let err = export::import_from(&mut conn, text.as_slice())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("invalid grant oag00000000000000000: its user"),
        "{err}"
    );
    assert_eq!(streamed(&mut conn), before);
    // What the document lacks or has too much of, and a format from the future.
    let mut doc = bench_doc(1);
    doc.as_object_mut().unwrap().remove("audit");
    assert_eq!(run(&mut conn, &doc), "missing field `audit`");
    let mut doc = bench_doc(1);
    doc["extra"] = 1.into();
    assert!(run(&mut conn, &doc).starts_with("unknown field `extra`"));
    let mut doc = bench_doc(1);
    doc["format"] = 99.into();
    assert!(run(&mut conn, &doc).starts_with("invalid format: expected 1 to"));
    let err = export::import_from(&mut conn, &b"{\"format\": 1, \"tenants\": ["[..]).unwrap_err();
    assert!(matches!(err, export::TransferError::Document(_)), "{err}");
    assert_eq!(streamed(&mut conn), before);
}

/// The reverted schema's user columns of u1, as text.
fn conn_row(conn: &mut grant_core::DbConn) -> Vec<String> {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = Text)]
        okta_id: String,
        #[diesel(sql_type = Text)]
        universal: String,
        #[diesel(sql_type = Text)]
        universal_folded: String,
        #[diesel(sql_type = Text)]
        roles: String,
    }
    let r: R = diesel::sql_query(
        "SELECT okta_id, universal, universal_folded, roles FROM users WHERE id = 'u1'",
    )
    .get_result(conn)
    .unwrap();
    vec![r.okta_id, r.universal, r.universal_folded, r.roles]
}

#[test]
fn format_3_users_with_okta_id_and_universal_still_import() {
    let db = TestDb::new();
    let store = db.store();
    let mut conn = store.conn().unwrap();
    let doc = serde_json::json!({
        "format": 3,
        "tenants": [{"id": "t", "name": "T", "created_at": "2020-01-01T00:00:00Z"}],
        "users": [{"id": "u1", "tenant_id": "t", "okta_id": "00uAlice000000000001",
                   "login": "alice", "universal": "local:{1}", "display_name": "Alice",
                   "roles": ["Admin"], "created_at": "2020-01-01T00:00:00Z"}],
        "clients": [], "scopes": [], "grants": [],
        "credentials": [{"id": "k1", "tenant_id": "t", "kind": "api_token", "name": "n",
                         "user_id": "u1", "client_id": null, "grant_id": null,
                         "digest": null, "password_hash": null, "scopes": "a b",
                         "roles": "SUPER_ADMIN,ORG_ADMIN", "status": "active",
                         "created_at": "2020-01-01T00:00:00Z", "expires_at": null,
                         "last_used_at": null, "faces": ["okta"]}],
        "audit": []
    });
    export::import(&mut conn, &serde_json::from_value(doc).unwrap()).unwrap();
    let snap = export::export(&mut conn).unwrap();
    let user = serde_json::to_value(&snap.users[0]).unwrap();
    assert_eq!(
        user["aliases"],
        serde_json::json!({"okta": "00uAlice000000000001", "venafi": "local:{1}"})
    );
    assert!(user.get("okta_id").is_none() && user.get("universal").is_none());
    let cred = serde_json::to_value(&snap.credentials[0]).unwrap();
    assert_eq!(cred["scopes"], serde_json::json!(["a", "b"]));
    assert_eq!(
        cred["roles"],
        serde_json::json!(["SUPER_ADMIN", "ORG_ADMIN"])
    );
}

#[test]
fn one_alias_per_vendor_and_tenant() {
    let f = Fixture::new();
    f.tenant("t");
    f.tenant("t2");
    let mut conn = f.store.conn().unwrap();
    let new = |login: &str, okta: &str| NewUser {
        login: login.into(),
        aliases: [(AliasVendor::Okta, okta.to_owned())].into(),
        ..NewUser::default()
    };
    directory::create_user(&mut conn, TENANT, new("a", "00uSame00000000000001"), "x").unwrap();
    let err = directory::create_user(&mut conn, TENANT, new("b", "00uSame00000000000001"), "x")
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Conflict(m) if m == "okta id 00uSame00000000000001 already belongs to a user"),
        "{err:?}"
    );
    // Another tenant may use the same alias.
    directory::create_user(
        &mut conn,
        TenantId::new("t2"),
        new("b", "00uSame00000000000001"),
        "x",
    )
    .unwrap();
    // A Venafi universal is taken whatever its case.
    let venafi = |login: &str, u: &str| NewUser {
        login: login.into(),
        aliases: [(AliasVendor::Venafi, u.to_owned())].into(),
        ..NewUser::default()
    };
    directory::create_user(&mut conn, TENANT, venafi("c", "local:{X}"), "x").unwrap();
    assert!(matches!(
        directory::create_user(&mut conn, TENANT, venafi("d", "LOCAL:{x}"), "x"),
        Err(CoreError::Conflict(_))
    ));
}
