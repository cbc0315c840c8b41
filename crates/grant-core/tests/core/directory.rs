//! The directory: tenant roles and user aliases.

use grant_core::CoreError;
use grant_core::model::*;
use grant_core::service::directory;
use grant_core::testing::fixture::Fixture;

use crate::TENANT;

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
