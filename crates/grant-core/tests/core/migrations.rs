//! Migrations: applied from empty, reverted and reapplied, and the data migrations keep
//! what older schemas stored.

use grant_core::model::*;
use grant_core::model::{ClientId, CredentialId, GrantId};
use grant_core::service::{clients, directory, grants};
use grant_core::store::migrate;
use grant_core::testing::TestDb;
use grant_core::testing::fixture::Fixture;

use crate::TENANT;

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
