//! Credentials' faces (migration, export formats, password login) and the password
//! verifier's fairness: single flight, refresh-ahead, per-source limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use diesel::RunQueryDsl;
use grant_core::model::TenantId;
use grant_core::model::*;
use grant_core::service::credentials::{self, PasswordVerifier};
use grant_core::service::{directory, export};
use grant_core::store::credentials as credential_store;
use grant_core::store::migrate;
use grant_core::testing::fixture::credential;
use grant_core::testing::{TestDb, fast_hashing};
use grant_core::{CoreError, HashingConfig};
use secrecy::SecretString;

/// The tenant the tests work in.
const TENANT: &TenantId = TenantId::new("t");

fn sql(conn: &mut grant_core::DbConn, q: &str) {
    diesel::sql_query(q).execute(conn).unwrap();
}

#[test]
fn migration_gives_existing_credentials_the_faces_their_kind_was_used_for() {
    let db = TestDb::new();
    let store = db.store();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some("t".into()), "t").unwrap();
    let user = directory::create_user(
        &mut conn,
        TENANT,
        NewUser {
            login: "alice".into(),
            ..NewUser::default()
        },
        "test",
    )
    .unwrap();
    // Back to the schema before the migration, as an existing database is.
    let reverted = migrate::revert_from(&mut conn, "2026-12-07-000100").unwrap();
    let rows = [
        ("c1", "api_token", "NULL", "", "NULL"),
        ("c2", "bearer_token", "NULL", "okta.users.read", "NULL"),
        ("c3", "bearer_token", "NULL", "ocsapi", "NULL"),
        ("c4", "refresh_token", "NULL", "", "NULL"),
        ("c5", "client_secret", "NULL", "", "NULL"),
        ("c6", "password", "NULL", "", "NULL"),
        ("c7", "password", "'USER'", "", "NULL"),
    ];
    for (id, kind, user_id, scopes, grant) in rows {
        let user_id = user_id.replace("USER", &user.id);
        sql(
            &mut conn,
            &format!(
                "INSERT INTO credentials (id, tenant_id, kind, name, user_id, client_id, grant_id, \
                 digest, password_hash, scopes, roles, status, created_at) VALUES ('{id}', 't', \
                 '{kind}', '{id}', {user_id}, NULL, {grant}, NULL, NULL, '{scopes}', '', 'active', \
                 '2026-01-01 00:00:00')"
            ),
        );
    }
    assert_eq!(migrate::run_pending(&mut conn).unwrap(), reverted);
    let faces: Vec<(String, Vec<String>)> = credential_store::list_credentials(&mut conn, None)
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.faces))
        .collect();
    let want = |id: &str, f: &str| (id.to_owned(), vec![f.to_owned()]);
    assert_eq!(
        faces,
        vec![
            want("c1", "okta"),
            want("c2", "okta"),
            want("c3", "ocs"),
            want("c4", "venafi"),
            want("c5", "ocs"),
            want("c6", "pingfed"),
            want("c7", "venafi"),
        ]
    );
}

#[test]
fn exports_carry_faces_and_format_1_imports_derive_them() {
    let db = TestDb::new();
    let store = db.store();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some("t".into()), "t").unwrap();
    let mk = |conn: &mut grant_core::DbConn, kind, name: &str, faces: &[&str]| {
        credential(kind)
            .name(name)
            .faces(faces)
            .issue_with(conn, "t", None, &fast_hashing())
    };
    mk(
        &mut conn,
        CredentialKind::Password,
        "ws",
        &["pingfed:Grant Management PCV"],
    );
    mk(&mut conn, CredentialKind::ApiToken, "ci", &[]);
    let snap = export::export(&mut conn).unwrap();
    assert_eq!(snap.format, export::FORMAT_VERSION);
    let mut doc = serde_json::to_value(&snap).unwrap();
    let ws = doc["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ws")
        .unwrap();
    assert_eq!(
        ws["faces"],
        serde_json::json!(["pingfed:Grant Management PCV"])
    );
    // The same document as format 1 wrote it: no faces.
    doc["format"] = 1.into();
    for c in doc["credentials"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("faces");
    }
    let old: export::Snapshot = serde_json::from_value(doc).unwrap();
    let db2 = TestDb::new();
    let store2 = db2.store();
    let mut conn2 = store2.conn().unwrap();
    export::import(&mut conn2, &old).unwrap();
    let mut faces: Vec<(String, Vec<String>)> =
        credential_store::list_credentials(&mut conn2, None)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.faces))
            .collect();
    faces.sort();
    assert_eq!(
        faces,
        vec![
            ("ci".to_owned(), vec!["okta".to_owned()]),
            ("ws".to_owned(), vec!["pingfed".to_owned()]),
        ]
    );
    // Format 2 round-trips exactly.
    let db3 = TestDb::new();
    let store3 = db3.store();
    export::import(&mut store3.conn().unwrap(), &snap).unwrap();
    let again = export::export(&mut store3.conn().unwrap()).unwrap();
    assert_eq!(again.credentials, snap.credentials);
    // Unknown faces are refused when a credential is made.
    let bad = credential(CredentialKind::ApiToken)
        .name("bad")
        .faces(&["oktaa"])
        .build();
    let err = credentials::create_credential(&mut conn, TENANT, bad, None, &fast_hashing(), "x")
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Invalid { ref field, .. } if field == "faces"),
        "{err:?}"
    );
}

#[tokio::test]
async fn login_password_checks_password_usability_and_face() {
    let db = TestDb::new();
    let store = db.store();
    let hashing = fast_hashing();
    {
        let mut conn = store.conn().unwrap();
        directory::create_tenant(&mut conn, Some("t".into()), "t").unwrap();
        for (name, faces) in [("pcv", vec!["pingfed:P1"]), ("tpp", vec!["venafi"])] {
            credential(CredentialKind::Password)
                .name(name)
                .faces(&faces)
                .issue_with(&mut conn, "t", Some("pw"), &hashing);
        }
    }
    let verifier = PasswordVerifier::new(&hashing);
    let login = |user: &'static str, pw: &'static str, face: Face<'static>| {
        let store = store.clone();
        let verifier = &verifier;
        async move {
            credentials::login_password(
                &store,
                verifier,
                TENANT,
                &face,
                user,
                SecretString::from(pw),
                "10.0.0.1",
            )
            .await
        }
    };
    let ok = login("pcv", "pw", Face::PingFederate { pcv: "P1" })
        .await
        .unwrap();
    assert_eq!(ok.name, "pcv");
    let refused = [
        login("pcv", "pw", Face::PingFederate { pcv: "P2" }).await,
        login("pcv", "pw", Face::Venafi).await,
        login("tpp", "pw", Face::PingFederate { pcv: "P1" }).await,
        login("pcv", "wrong", Face::PingFederate { pcv: "P1" }).await,
    ];
    for r in refused {
        assert!(matches!(r, Err(CoreError::Unauthenticated)), "{r:?}");
    }
    // An unknown user costs one verification (the decoy hash) and is refused alike.
    let before = verifier.hashes_run();
    let r = login("nobody", "pw", Face::Venafi).await;
    assert!(matches!(r, Err(CoreError::Unauthenticated)), "{r:?}");
    assert_eq!(verifier.hashes_run(), before + 1);
}

fn tight(ttl: u64) -> HashingConfig {
    HashingConfig {
        argon2_memory_kib: 4 * 1024,
        argon2_iterations: 2,
        max_hash_threads: 1,
        max_queued_verifications: 1,
        max_verifications_per_source: 1,
        failed_logins_per_source: 3,
        verified_cache_ttl_secs: ttl,
        ..HashingConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checks_of_one_password_share_one_argon2_run() {
    let cfg = tight(60);
    let phc = credentials::hash_password(&cfg, &SecretString::from("s3cret")).unwrap();
    let verifier = Arc::new(PasswordVerifier::new(&cfg));
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (verifier, phc) = (verifier.clone(), phc.clone());
        tasks.push(tokio::spawn(async move {
            verifier
                .verify_from(phc, SecretString::from("s3cret"), &format!("10.0.0.{i}"))
                .await
        }));
    }
    for t in tasks {
        assert!(
            t.await.unwrap().unwrap(),
            "queue of one, yet every check passes"
        );
    }
    assert_eq!(verifier.hashes_run(), 1);
}

#[tokio::test]
async fn ageing_cache_entries_are_refreshed_in_the_background() {
    // A hash costly enough (tens of ms) that a hit is clearly not one.
    let cfg = HashingConfig {
        argon2_memory_kib: 16 * 1024,
        argon2_iterations: 4,
        ..tight(2)
    };
    let phc = credentials::hash_password(&cfg, &SecretString::from("s3cret")).unwrap();
    let verifier = PasswordVerifier::new(&cfg);
    let check = || verifier.verify_from(phc.clone(), SecretString::from("s3cret"), "10.0.0.1");
    let started = std::time::Instant::now();
    assert!(check().await.unwrap());
    let hashed = started.elapsed();
    assert_eq!(verifier.hashes_run(), 1);
    // Past half its life: answered from the cache at once, re-verified in the background.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let started = std::time::Instant::now();
    assert!(check().await.unwrap());
    let hit = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300) + hashed).await;
    assert_eq!(verifier.hashes_run(), 2, "one background refresh");
    // 2.5 s after the first check (beyond the TTL), still answered from the cache: the
    // refresh renewed it (a miss would verify inline and take as long as a hash).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let started = std::time::Instant::now();
    assert!(check().await.unwrap());
    let late = started.elapsed();
    assert!(
        late < hashed / 2,
        "a late hit took {late:?}, a verification {hashed:?}"
    );
    assert!(
        hit < hashed / 2,
        "a hit took {hit:?}, a verification {hashed:?}"
    );
}

#[tokio::test]
async fn failed_logins_lock_out_their_source_only() {
    let cfg = tight(60);
    let phc = credentials::hash_password(&cfg, &SecretString::from("s3cret")).unwrap();
    let verifier = PasswordVerifier::new(&cfg);
    for i in 0..3 {
        let wrong = SecretString::from(format!("wrong{i}"));
        assert!(
            !verifier
                .verify_from(phc.clone(), wrong, "203.0.113.66")
                .await
                .unwrap()
        );
    }
    assert_eq!(verifier.hashes_run(), 3);
    // The address is locked out: even the right password fails there, without hashing.
    assert!(
        !verifier
            .verify_from(phc.clone(), SecretString::from("s3cret"), "203.0.113.66")
            .await
            .unwrap()
    );
    assert_eq!(verifier.hashes_run(), 3);
    // Another address is not affected.
    assert!(
        verifier
            .verify_from(phc.clone(), SecretString::from("s3cret"), "198.51.100.7")
            .await
            .unwrap()
    );
    // Not even a cached success is told to the locked address (no free guessing).
    assert!(
        !verifier
            .verify_from(phc, SecretString::from("s3cret"), "203.0.113.66")
            .await
            .unwrap()
    );
}
