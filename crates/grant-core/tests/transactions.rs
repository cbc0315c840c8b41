//! Composable transactions and the concurrency rules that depend on them. Runs on SQLite
//! by default and on PostgreSQL when GRANT_TEST_DATABASE_URL is set; the concurrency tests
//! race real connections against each other (PostgreSQL's READ COMMITTED is where they
//! used to fail).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use grant_core::model::*;
use grant_core::model::{ClientId, GrantId, TenantId, UserId};
use grant_core::service::tokens::{self, TokenPair};
use grant_core::service::{clients, directory, grants};
use grant_core::store::{audit as audit_store, dialect};
use grant_core::testing::fixture::Fixture;
use grant_core::{CoreError, DbConn};

/// The tenant the tests work in.
const TENANT: &TenantId = TenantId::new("t");

fn count_tenants(conn: &mut DbConn) -> usize {
    grant_core::store::tenants::list_tenants(conn)
        .unwrap()
        .len()
}

#[test]
fn write_tx_nests_as_a_savepoint_on_every_backend() {
    let fx = Fixture::new();
    let mut conn = fx.conn();
    let result = dialect::write_tx(&mut conn, |conn| {
        assert_eq!(dialect::transaction_depth(conn), 1);
        directory::create_tenant(conn, Some("outer".into()), "outer")?;
        // A service that opens its own write transaction, called inside this one.
        let inner = dialect::write_tx(conn, |conn| {
            assert_eq!(dialect::transaction_depth(conn), 2);
            directory::create_tenant(conn, Some("inner-ok".into()), "inner-ok")
        });
        assert!(inner.is_ok(), "{inner:?}");
        // An inner failure rolls back the inner work only.
        let failed: Result<(), CoreError> = dialect::write_tx(conn, |conn| {
            directory::create_tenant(conn, Some("inner-failed".into()), "inner-failed")?;
            Err(CoreError::Conflict("no".into()))
        });
        assert!(matches!(failed, Err(CoreError::Conflict(_))));
        Ok(())
    });
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(dialect::transaction_depth(&mut conn), 0);
    let ids: HashSet<String> = grant_core::store::tenants::list_tenants(&mut conn)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert!(ids.contains("outer") && ids.contains("inner-ok"));
    assert!(!ids.contains("inner-failed"));
}

#[test]
fn write_tx_outer_failure_rolls_back_committed_inner_work() {
    let fx = Fixture::new();
    let mut conn = fx.conn();
    let before = count_tenants(&mut conn);
    let result: Result<(), CoreError> = dialect::write_tx(&mut conn, |conn| {
        dialect::write_tx(conn, |conn| {
            directory::create_tenant(conn, Some("t1".into()), "t1").map(|_| ())
        })?;
        Err(CoreError::invalid("x", "outer fails"))
    });
    assert!(result.is_err());
    assert_eq!(count_tenants(&mut conn), before);
}

/// Runs `f(i)` on `n` threads released at once, each on its own pooled connection.
fn race<T: Send + 'static>(
    fx: &Fixture,
    n: usize,
    f: impl Fn(usize, &mut DbConn) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let store = fx.store.clone();
            let f = f.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut conn = store.conn().unwrap();
                barrier.wait();
                f(i, &mut conn)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn bulk_revocation_audits_exactly_the_grants_it_revoked() {
    let fx = Fixture::new();
    fx.tenant("t");
    fx.client("t", "app");
    for round in 0..15 {
        let user = fx.user("t", &format!("user{round}"));
        let granted: Vec<Grant> = (0..6)
            .map(|i| fx.grant("t", &user, "app", &format!("s{i}")))
            .collect();
        let single = granted[0].id.clone();
        let user_id = user.id.clone();
        let outcomes = race(&fx, 2, move |i, conn| {
            if i == 0 {
                grants::revoke_grant(
                    conn,
                    TENANT,
                    GrantId::new(&single),
                    &GrantFilter::default(),
                    "one",
                )
                .map(|_| 1)
            } else {
                grants::revoke_grants(conn, TENANT, &GrantFilter::by_user(user_id.clone()), "all")
            }
        });
        let single_won = outcomes[0].is_ok();
        let bulk = outcomes[1].as_ref().copied().unwrap();
        assert_eq!(bulk, if single_won { 5 } else { 6 }, "round {round}");
        let audit = audit_store::list_audit(&mut fx.conn(), Some("t")).unwrap();
        let bulk_event = audit
            .iter()
            .rfind(|e| e.action == "grants.revoked" && e.actor == "all")
            .unwrap();
        let ids: Vec<String> =
            serde_json::from_value(bulk_event.detail["grant_ids"].clone()).unwrap();
        assert_eq!(ids.len() as i64, bulk_event.affected, "round {round}");
        assert_eq!(ids.len(), bulk, "round {round}");
        assert_eq!(
            ids.contains(&granted[0].id),
            !single_won,
            "round {round}: the audit row names a grant the other request revoked"
        );
    }
}

#[test]
fn concurrent_first_clients_of_a_kind_are_all_counted() {
    let fx = Fixture::new();
    for round in 0..5 {
        let tenant = format!("t{round}");
        fx.tenant(&tenant);
        let t = tenant.clone();
        let outcomes = race(&fx, 4, move |i, conn| {
            let new = NewClient {
                id: Some(format!("c{i}")),
                kind: Some(ClientKind::ClientCredentials),
                ..NewClient::default()
            };
            clients::create_client(conn, TenantId::new(&t), new, "test")
        });
        for o in &outcomes {
            assert!(o.is_ok(), "round {round}: {o:?}");
        }
        assert_eq!(
            clients::count_clients(&mut fx.conn(), TenantId::new(&tenant)).unwrap(),
            4
        );
    }
}

fn integration(fx: &Fixture, tenant: &str, id: &str) {
    let new = NewClient {
        id: Some(id.into()),
        kind: Some(ClientKind::ApiIntegration),
        access_token_lifetime: Some(3600),
        refresh_token_lifetime: Some(7200),
        ..NewClient::default()
    };
    clients::create_client(&mut fx.conn(), TenantId::new(tenant), new, "test").unwrap();
}

fn pair(tag: &str) -> TokenPair {
    TokenPair {
        access_token: format!("access-{tag}-{}", uuid::Uuid::new_v4()),
        refresh_token: format!("refresh-{tag}-{}", uuid::Uuid::new_v4()),
    }
}

#[test]
fn simultaneous_logins_each_get_their_own_grant() {
    let fx = Fixture::new();
    fx.tenant("t");
    integration(&fx, "t", "integration");
    for round in 0..5 {
        let user = fx.user("t", &format!("login{round}"));
        let user_id = user.id.clone();
        let outcomes = race(&fx, 4, move |i, conn| {
            let p = pair(&i.to_string());
            tokens::authorize(
                conn,
                TENANT,
                UserId::new(&user_id),
                ClientId::new("integration"),
                ScopeSet::from_names([format!("scope{i}")]),
                &p,
                "test",
            )
            .map(|issued| (issued, p))
        });
        let mut ids: HashSet<String> = HashSet::new();
        for o in outcomes {
            let (issued, p) = o.unwrap();
            // Each token is bound to its own grant, which holds the scope it was asked for.
            let (_, grant) = tokens::authenticate_access(&mut fx.conn(), TENANT, &p.access_token)
                .unwrap()
                .unwrap();
            let grant = grant.unwrap();
            assert_eq!(grant.id, issued.grant.id, "round {round}");
            assert_eq!(grant.scopes, issued.grant.scopes, "round {round}");
            ids.insert(grant.id);
        }
        assert_eq!(ids.len(), 4, "round {round}: {ids:?}");
        let active = grants::count_grants(
            &mut fx.conn(),
            TENANT,
            &GrantFilter::by_user_and_client(&user.id, "integration"),
        )
        .unwrap();
        assert_eq!(active, 4, "round {round}");
    }
}

#[test]
fn a_refresh_token_used_twice_at_once_refreshes_once() {
    let fx = Fixture::new();
    fx.tenant("t");
    integration(&fx, "t", "integration");
    let user = fx.user("t", "refresher");
    for round in 0..5 {
        let first = pair("first");
        tokens::authorize(
            &mut fx.conn(),
            TENANT,
            user.id(),
            ClientId::new("integration"),
            ScopeSet::from_names(["certificate"]),
            &first,
            "test",
        )
        .unwrap();
        let refresh = first.refresh_token.clone();
        let outcomes = race(&fx, 3, move |i, conn| {
            tokens::refresh(
                conn,
                TENANT,
                &refresh,
                ClientId::new("integration"),
                &pair(&i.to_string()),
                "test",
            )
        });
        let ok = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(ok, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .filter(|o| o.is_err())
                .all(|o| matches!(o, Err(CoreError::Unauthenticated))),
            "round {round}: {outcomes:?}"
        );
    }
}
