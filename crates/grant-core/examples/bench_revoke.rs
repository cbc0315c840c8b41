//! Revoke-all of one user's grants, two ways in one run, on two copies of the same SQLite
//! database: the former shape (select the ids, then `UPDATE … WHERE tenant_id = ? AND id IN
//! (500 ids)` per batch) and grant-core's `revoke_grants` (one `UPDATE … RETURNING` on the
//! user's index), tokens and audit row included in both.
//!   cargo run --release -p grant-core --example bench_revoke -- DB_FILE USER_LOGIN
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use grant_core::model::TenantId;
use grant_core::model::{GrantFilter, UserKey, now};
use grant_core::service::{audit, directory, grants as grant_rules};
use grant_core::store::{audit as audit_store, dialect, grants};
use grant_core::{DatabaseConfig, Store};

fn store(path: &str) -> Store {
    Store::connect(&DatabaseConfig {
        url: format!("sqlite://{path}"),
        ..DatabaseConfig::default()
    })
    .expect("open database")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let db = args.next().expect("usage: bench_revoke DB_FILE USER_LOGIN");
    let login = args.next().expect("usage: bench_revoke DB_FILE USER_LOGIN");
    let (a, b) = (format!("{db}.a"), format!("{db}.b"));
    std::fs::copy(&db, &a).expect("copy");
    std::fs::copy(&db, &b).expect("copy");

    let sa = store(&a);
    let mut conn = sa.conn().unwrap();
    let user =
        directory::get_user(&mut conn, TenantId::new("default"), UserKey::Login, &login).unwrap();
    let filter = GrantFilter::by_user(user.id.clone());
    let started = Instant::now();
    let n = dialect::write_tx(&mut conn, |conn| {
        let at = now();
        let ids: Vec<String> = grants::list_all_grants(conn, "default", &filter, at)?
            .into_iter()
            .map(|g| g.id)
            .collect();
        let revoked = grants::set_revoked(conn, "default", &ids, "bench", at)?;
        audit_store::insert_audit(
            conn,
            &[audit::grants_revoked(
                TenantId::new("default"),
                "bench",
                &filter,
                revoked.len(),
                &revoked,
            )],
        )?;
        Ok(revoked.len())
    })
    .unwrap();
    let former = started.elapsed();
    println!(
        "select ids + UPDATE … id IN (500) per batch: {n} grants revoked in {:.1} ms",
        former.as_secs_f64() * 1e3
    );

    let sb = store(&b);
    let mut conn = sb.conn().unwrap();
    let started = Instant::now();
    let n =
        grant_rules::revoke_grants(&mut conn, TenantId::new("default"), &filter, "bench").unwrap();
    let current = started.elapsed();
    println!(
        "grant-core revoke_grants (one UPDATE … RETURNING): {n} grants revoked in {:.1} ms ({:.1}x faster)",
        current.as_secs_f64() * 1e3,
        former.as_secs_f64() / current.as_secs_f64()
    );
    for f in [a, b] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{f}{suffix}"));
        }
    }
}
