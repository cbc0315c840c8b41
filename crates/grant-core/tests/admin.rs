//! Operator lifecycle services (grantctl's get/disable/enable/delete): each is one write
//! transaction with its audit row, and composes inside a caller's transaction. SQLite by
//! default, PostgreSQL with GRANT_TEST_DATABASE_URL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use grant_core::CoreError;
use grant_core::model::*;
use grant_core::model::{CredentialId, GrantId, TenantId};
use grant_core::service::admin;
use grant_core::store::dialect;
use grant_core::testing::fixture::{Fixture, credential};

/// The tenant the tests work in.
const TENANT: &TenantId = TenantId::new("t");

#[test]
fn deletes_inside_a_failed_outer_transaction_leave_everything_in_place() {
    let fx = Fixture::new();
    fx.tenant("t");
    let alice = fx.user("t", "alice");
    fx.client("t", "c1");
    let grant = fx.grant("t", &alice, "c1", "a");
    let mut conn = fx.conn();
    let audit_before = admin::list_audit(&mut conn, Some(TENANT)).unwrap().len();
    let result: Result<(), CoreError> = dialect::write_tx(&mut conn, |conn| {
        admin::delete_grant(conn, TENANT, GrantId::new(&grant.id), "test")?;
        admin::delete_user(conn, TENANT, alice.id(), "test")?;
        admin::delete_tenant(conn, TENANT, true, "test")?;
        Err(CoreError::Conflict("changed my mind".into()))
    });
    assert!(matches!(result, Err(CoreError::Conflict(_))));
    assert_eq!(
        admin::get_grant_record(&mut conn, TENANT, GrantId::new(&grant.id))
            .unwrap()
            .id,
        grant.id
    );
    assert_eq!(admin::tenant_contents(&mut conn, TENANT).unwrap().users, 1);
    assert_eq!(
        admin::list_audit(&mut conn, Some(TENANT)).unwrap().len(),
        audit_before,
        "no audit row for work rolled back"
    );
}

#[test]
fn tenant_delete_refuses_a_tenant_with_records_unless_forced_and_is_audited() {
    let fx = Fixture::new();
    fx.tenant("t");
    let alice = fx.user("t", "alice");
    fx.client("t", "c1");
    fx.grant("t", &alice, "c1", "a");
    let mut conn = fx.conn();
    let refused = admin::delete_tenant(&mut conn, TENANT, false, "test");
    assert!(
        matches!(refused, Err(CoreError::Conflict(_))),
        "{refused:?}"
    );
    admin::delete_tenant(&mut conn, TENANT, true, "test").unwrap();
    assert!(matches!(
        admin::delete_tenant(&mut conn, TENANT, true, "test"),
        Err(CoreError::NotFound {
            kind: RecordKind::Tenant,
            ..
        })
    ));
    let audit = admin::list_audit(&mut conn, Some(TENANT)).unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "tenant.deleted");
    assert_eq!(last.detail["grants"], 1);
}

#[test]
fn user_disable_and_enable_switch_only_its_credentials() {
    let fx = Fixture::new();
    fx.tenant("t");
    let alice = fx.user("t", "alice");
    let mut conn = fx.conn();
    let issue = |conn: &mut grant_core::DbConn, name: &str, status: CredentialStatus| {
        let c = credential(CredentialKind::ApiToken)
            .name(name)
            .user(&alice.id)
            .issue_with(conn, "t", None, &grant_core::testing::fast_hashing())
            .credential;
        admin::set_credential_status(conn, TENANT, CredentialId::new(&c.id), status, "test")
            .unwrap()
    };
    let active = issue(&mut conn, "one", CredentialStatus::Active);
    let revoked = issue(&mut conn, "two", CredentialStatus::Revoked);
    let changed = admin::set_user_enabled(&mut conn, TENANT, &alice, false, "test").unwrap();
    assert_eq!(changed, vec![active.id.clone()]);
    let status = |conn: &mut grant_core::DbConn, id: &str| {
        admin::get_credential(conn, TENANT, CredentialId::new(id))
            .unwrap()
            .status
    };
    assert_eq!(status(&mut conn, &active.id), CredentialStatus::Disabled);
    admin::set_user_enabled(&mut conn, TENANT, &alice, true, "test").unwrap();
    assert_eq!(status(&mut conn, &active.id), CredentialStatus::Active);
    assert_eq!(status(&mut conn, &revoked.id), CredentialStatus::Revoked);
    // A revoked credential cannot come back.
    assert!(matches!(
        admin::set_credential_status(
            &mut conn,
            TENANT,
            CredentialId::new(&revoked.id),
            CredentialStatus::Active,
            "t"
        ),
        Err(CoreError::Conflict(_))
    ));
}
