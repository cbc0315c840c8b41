//! Scope consents: opaque scope names, one consent per scope.

use std::collections::HashSet;

use grant_core::CoreError;
use grant_core::model::GrantId;
use grant_core::model::*;
use grant_core::service::grants;
use grant_core::testing::fixture::Fixture;

use crate::TENANT;

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
