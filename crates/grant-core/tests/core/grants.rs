//! Grants: pagination, concurrent revocation, tenant isolation, revoke-all counts, scope
//! filter and expiry.

use std::collections::HashSet;

use chrono::Duration;
use grant_core::model::GrantId;
use grant_core::model::*;
use grant_core::service::{export, grants};
use grant_core::testing::fixture::Fixture;
use grant_core::{CoreError, Store};

use crate::TENANT;

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
