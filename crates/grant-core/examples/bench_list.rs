//! The database work of one okta-compat list request, repeated on one connection: the
//! token lookup (with its user), the user by Okta id, and one page of 20 consents with their
//! clients' names. Run under `valgrind --tool=callgrind` its instruction count per request
//! is the same whatever else the machine is doing, so two builds (e.g. with and without an
//! SQLite compile option) compare exactly. `BENCH_PART=auth|user|page` repeats only
//! that statement, for its own count.
//!   cargo run --release -p grant-core --example bench_list -- DB_FILE TOKEN OKTA_USER_ID [N]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use grant_core::model::TenantId;
use grant_core::model::{AliasVendor, Face, GrantFilter, PageRequest, UserKey};
use grant_core::service::{credentials, directory, grants};
use grant_core::{DatabaseConfig, Store};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_list DB_FILE TOKEN OKTA_USER_ID [N]";
    let db = args.next().expect(usage);
    let token = args.next().expect(usage);
    let okta_id = args.next().expect(usage);
    let n: u32 = args.next().map_or(2000, |s| s.parse().expect(usage));
    let store = Store::connect(&DatabaseConfig {
        url: format!("sqlite://{db}"),
        ..DatabaseConfig::default()
    })
    .expect("open database");
    let mut conn = store.conn().unwrap();
    // BENCH_PART: only one statement of the request, repeated (its own instruction count).
    let part = std::env::var("BENCH_PART").unwrap_or_else(|_| "all".into());
    let all = part == "all";
    let principal = credentials::authenticate_principal(&mut conn, &token, &Face::Okta)
        .unwrap()
        .expect("a usable okta credential");
    let tenant = principal.credential.tenant_id.clone();
    let tenant = TenantId::new(&tenant);
    let user = directory::get_user(
        &mut conn,
        tenant,
        UserKey::Alias(AliasVendor::Okta),
        &okta_id,
    )
    .unwrap();
    let mut rows = 0usize;
    let started = Instant::now();
    for _ in 0..n {
        if all || part == "auth" {
            rows += credentials::authenticate_principal(&mut conn, &token, &Face::Okta)
                .unwrap()
                .map_or(0, |_| 1);
        }
        if all || part == "user" {
            let u = directory::get_user(
                &mut conn,
                tenant,
                UserKey::Alias(AliasVendor::Okta),
                &okta_id,
            )
            .unwrap();
            rows += usize::from(u.id == user.id);
        }
        if all || part == "page" {
            rows += grants::list_consents(
                &mut conn,
                tenant,
                &GrantFilter::by_user(user.id.clone()),
                &PageRequest::first(20),
            )
            .unwrap()
            .items
            .len();
        }
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("{part}: {n} requests, {rows} rows: {per:.1} µs per request");
}
