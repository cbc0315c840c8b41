//! Export and import: round trips, older formats, streaming, and failures that leave the
//! store unchanged.

use chrono::Duration;
use grant_core::CoreError;
use grant_core::model::GrantId;
use grant_core::model::*;
use grant_core::service::{credentials, directory, export, grants};
use grant_core::testing::fixture::Fixture;
use grant_core::testing::{TestDb, fast_hashing};

use crate::TENANT;

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

/// Whether the planner has statistics for this store's grants table: SQLite's `sqlite_stat1`
/// rows, PostgreSQL's row estimate (-1 until the table is first analysed).
fn grants_have_statistics(conn: &mut grant_core::DbConn) -> bool {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match conn {
        grant_core::DbConn::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master m JOIN sqlite_stat1 s ON s.tbl = 'grants' \
             WHERE m.name = 'sqlite_stat1'"
        }
        grant_core::DbConn::Postgres(_) => {
            // This store's own table (its schema comes first in the search path), not a
            // table of the same name in another test's schema.
            "SELECT CAST(reltuples AS BIGINT) AS n FROM pg_class WHERE oid = to_regclass('grants')"
        }
    };
    diesel::sql_query(sql)
        .get_result::<Found>(conn)
        .map(|f| f.n > 0)
        .unwrap_or(false)
}

#[test]
fn an_import_leaves_the_planner_statistics_of_what_it_loaded() {
    let f = varied();
    let mut conn = f.store.conn().unwrap();
    let text = streamed(&mut conn);

    let other = TestDb::new();
    let store2 = other.store();
    let mut conn2 = store2.conn().unwrap();
    assert!(!grants_have_statistics(&mut conn2), "a new store has none");
    export::import_from(&mut conn2, text.as_bytes()).unwrap();
    assert!(grants_have_statistics(&mut conn2));

    let third = TestDb::new();
    let store3 = third.store();
    let mut conn3 = store3.conn().unwrap();
    let snap: export::Snapshot = serde_json::from_str(&text).unwrap();
    export::import(&mut conn3, &snap).unwrap();
    assert!(grants_have_statistics(&mut conn3));
}
