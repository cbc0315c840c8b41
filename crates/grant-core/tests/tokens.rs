//! Token issuance through grants (service::tokens), on SQLite or PostgreSQL
//! (GRANT_TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use grant_core::model::*;
use grant_core::model::{ClientId, TenantId};
use grant_core::service::tokens::{self, TokenPair};
use grant_core::service::{clients, directory, grants};
use grant_core::testing::TestDb;
use grant_core::{CoreError, Store};

/// The tenant the tests work in.
const TENANT: &TenantId = TenantId::new("t");

fn setup() -> (TestDb, Store, User, User) {
    let db = TestDb::new();
    let store = db.store();
    let mut c = store.conn().unwrap();
    directory::create_tenant(&mut c, Some("t".into()), "t").unwrap();
    let alice = directory::create_user(
        &mut c,
        TENANT,
        NewUser {
            login: "alice".into(),
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    let bob = directory::create_user(
        &mut c,
        TENANT,
        NewUser {
            login: "bob".into(),
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    for (id, allowed) in [
        (
            "app",
            vec!["certificate:manage,revoke".to_owned(), "admin".to_owned()],
        ),
        ("other", vec![]),
    ] {
        clients::create_client(
            &mut c,
            TENANT,
            NewClient {
                id: Some(id.into()),
                kind: Some(ClientKind::ApiIntegration),
                access_token_lifetime: Some(7_776_000),
                refresh_token_lifetime: Some(31_536_000),
                allowed_scopes: allowed,
                ..NewClient::default()
            },
            "test",
        )
        .unwrap();
    }
    drop(c);
    (db, store, alice, bob)
}

fn pair(n: u32) -> TokenPair {
    TokenPair {
        access_token: format!("access-{n}"),
        refresh_token: format!("refresh-{n}"),
    }
}

fn scopes(s: &str) -> ScopeSet {
    ScopeSet(s.split(' ').map(Scope::parse_venafi).collect())
}

#[test]
fn api_integrations_allow_long_lifetimes_other_clients_do_not() {
    let (_db, store, _, _) = setup();
    let mut c = store.conn().unwrap();
    let err = clients::create_client(
        &mut c,
        TENANT,
        NewClient {
            id: Some("web".into()),
            access_token_lifetime: Some(7_776_000),
            ..NewClient::default()
        },
        "test",
    )
    .unwrap_err();
    assert!(matches!(err, CoreError::Invalid { .. }));
}

#[test]
fn authorize_refresh_and_revoke_through_one_grant() {
    let (_db, store, alice, _) = setup();
    let mut c = store.conn().unwrap();
    let first = tokens::authorize(
        &mut c,
        TENANT,
        alice.id(),
        ClientId::new("app"),
        scopes("certificate:manage"),
        &pair(1),
        "alice",
    )
    .unwrap();
    let g = &first.grant;
    assert_eq!(g.valid_for, Some(7_776_000));
    assert_eq!(g.grant_type, GrantType::Password);
    assert_eq!(
        (g.expires_at.unwrap() - g.created_at).num_seconds(),
        31_536_000
    );
    assert_eq!(
        (first.access_expires_at - g.created_at).num_seconds(),
        7_776_000
    );
    let (cred, grant) = tokens::authenticate_access(&mut c, TENANT, "access-1")
        .unwrap()
        .unwrap();
    assert_eq!(grant.unwrap().id, g.id);
    assert_eq!(cred.kind, CredentialKind::BearerToken);
    // A refresh token is not an access token, and vice versa.
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "refresh-1")
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        tokens::refresh(
            &mut c,
            TENANT,
            "access-1",
            ClientId::new("app"),
            &pair(9),
            "x"
        ),
        Err(CoreError::Unauthenticated)
    ));
    // A second login is its own grant (its own scope); the first grant and its token keep
    // the scope they were issued with.
    let second = tokens::authorize(
        &mut c,
        TENANT,
        alice.id(),
        ClientId::new("app"),
        scopes("certificate:manage,revoke"),
        &pair(2),
        "alice",
    )
    .unwrap();
    assert_ne!(second.grant.id, g.id);
    let (_, still) = tokens::authenticate_access(&mut c, TENANT, "access-1")
        .unwrap()
        .unwrap();
    assert_eq!(still.unwrap().scopes, scopes("certificate:manage"));
    // Refresh with the wrong client, then the right one: only the refreshed pair changes.
    assert!(matches!(
        tokens::refresh(
            &mut c,
            TENANT,
            "refresh-1",
            ClientId::new("other"),
            &pair(3),
            "x"
        ),
        Err(CoreError::Invalid { .. })
    ));
    let third = tokens::refresh(
        &mut c,
        TENANT,
        "refresh-1",
        ClientId::new("app"),
        &pair(3),
        "x",
    )
    .unwrap();
    assert_eq!(third.grant.id, g.id);
    assert_eq!(third.grant.expires_at, g.expires_at);
    assert_eq!(third.grant.scopes, scopes("certificate:manage"));
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "access-1")
            .unwrap()
            .is_none()
    );
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "access-2")
            .unwrap()
            .is_some()
    );
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "access-3")
            .unwrap()
            .is_some()
    );
    assert!(
        tokens::refresh(
            &mut c,
            TENANT,
            "refresh-1",
            ClientId::new("app"),
            &pair(4),
            "x"
        )
        .is_err()
    );
    // Revoking the grant through one token kills every token of it.
    let (cred, _) = tokens::authenticate_access(&mut c, TENANT, "access-3")
        .unwrap()
        .unwrap();
    let revoked = tokens::revoke_own_grant(&mut c, TENANT, &cred, "alice")
        .unwrap()
        .unwrap();
    assert_eq!(revoked.status, GrantStatus::Revoked);
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "access-3")
            .unwrap()
            .is_none()
    );
    // The second login's grant is another grant: untouched.
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "access-2")
            .unwrap()
            .is_some()
    );
    assert!(
        tokens::refresh(
            &mut c,
            TENANT,
            "refresh-3",
            ClientId::new("app"),
            &pair(5),
            "x"
        )
        .is_err()
    );
    let actions: Vec<String> = grant_core::store::audit::list_audit(&mut c, Some("t"))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("token."))
        .collect();
    assert_eq!(
        actions,
        [
            "token.issued",
            "token.issued",
            "token.refreshed",
            "token.revoked"
        ]
    );
}

#[test]
fn revoke_grants_revokes_their_tokens_and_scopes_are_checked() {
    let (_db, store, alice, bob) = setup();
    let mut c = store.conn().unwrap();
    tokens::authorize(
        &mut c,
        TENANT,
        alice.id(),
        ClientId::new("app"),
        scopes("admin"),
        &pair(1),
        "a",
    )
    .unwrap();
    tokens::authorize(
        &mut c,
        TENANT,
        bob.id(),
        ClientId::new("app"),
        scopes("certificate"),
        &pair(2),
        "b",
    )
    .unwrap();
    let n =
        grants::revoke_grants(&mut c, TENANT, &GrantFilter::by_user(&alice.id), "admin").unwrap();
    assert_eq!(n, 1);
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "access-1")
            .unwrap()
            .is_none()
    );
    assert!(
        tokens::authenticate_access(&mut c, TENANT, "access-2")
            .unwrap()
            .is_some()
    );
    // Not allowed by the client: a restriction it lacks, a scope it lacks.
    for bad in ["certificate:delete", "ssh"] {
        let err = tokens::authorize(
            &mut c,
            TENANT,
            alice.id(),
            ClientId::new("app"),
            scopes(bad),
            &pair(3),
            "a",
        )
        .unwrap_err();
        match err {
            CoreError::Invalid { field, reason } => {
                assert_eq!((field.as_str(), reason.as_str()), ("scope", bad))
            }
            other => panic!("{other:?}"),
        }
    }
    // An empty allow-list allows anything; an unknown client is not found.
    tokens::authorize(
        &mut c,
        TENANT,
        alice.id(),
        ClientId::new("other"),
        scopes("ssh:manage"),
        &pair(4),
        "a",
    )
    .unwrap();
    assert!(matches!(
        tokens::authorize(
            &mut c,
            TENANT,
            alice.id(),
            ClientId::new("ghost"),
            scopes("ssh"),
            &pair(5),
            "a"
        ),
        Err(CoreError::NotFound {
            kind: RecordKind::Client,
            ..
        })
    ));
}
