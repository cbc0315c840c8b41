//! argon2 verification under load: one verification shared by concurrent logins, and a wrong-
//! password flood from one address that does not starve the others.

use grant_core::service::directory;
use grant_http::GatewayConfig;
use grant_http::testing::TestServer;
use pingfed_compat::{PingFed, PingFedConfig};

use crate::common::*;

/// A gateway with real argon2 cost and tight verification limits, on its own test database.
fn pf_hashing(hashing: grant_core::HashingConfig) -> TestServer<PingFed> {
    let db = grant_core::testing::TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GatewayConfig::<PingFedConfig>::default();
    cfg.vendor.runtime_api_log = dir.path().join("runtime-api.log").to_string_lossy().into();
    cfg.database = db.config.clone();
    cfg.hashing = hashing.clone();
    cfg.server.workers = 1;
    cfg.server.shutdown_timeout_secs = 0;
    cfg.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let store = db.store();
    let srv = TestServer::<PingFed>::start_with_store(cfg, store, Some(db));
    let t = srv.tenant().to_buf();
    directory::create_tenant(&mut srv.conn(), Some(t.into_string()), "pf").unwrap();
    password_for(&srv, "ws-admin", "right", None, &[], &hashing);
    srv
}

fn costly_hashing() -> grant_core::HashingConfig {
    grant_core::HashingConfig {
        argon2_memory_kib: 8 * 1024,
        argon2_iterations: 3,
        argon2_parallelism: 1,
        max_hash_threads: 1,
        max_queued_verifications: 1,
        max_verifications_per_source: 2,
        verified_cache_ttl_secs: 2,
        ..grant_core::HashingConfig::default()
    }
}

async fn basic_get(srv: &TestServer<PingFed>, user: &str, pass: &str, from: &str) -> u16 {
    srv.client
        .get(srv.url("/pf-ws/rest/oauth/users/nobody/grants"))
        .header("authorization", basic(user, pass))
        .header("x-xsrf-header", "x")
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn concurrent_basic_logins_share_one_verification_and_are_never_refused() {
    // 16 clients with the right password, a queue of one, a cache that expires every 2 s:
    // for 5 s, every request is answered 200 (no 503 at the start or at any expiry).
    let srv = std::sync::Arc::new(pf_hashing(costly_hashing()));
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let srv = srv.clone();
        tasks.push(tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let from = format!("198.51.100.{}", i % 4);
            while started.elapsed() < std::time::Duration::from_secs(5) {
                *statuses
                    .entry(basic_get(&srv, "ws-admin", "right", &from).await)
                    .or_default() += 1;
            }
            statuses
        }));
    }
    let mut total = std::collections::BTreeMap::<u16, usize>::new();
    for t in tasks {
        for (s, n) in t.await.unwrap() {
            *total.entry(s).or_default() += n;
        }
    }
    let hashes = srv.state.passwords.hashes_run();
    eprintln!("16 clients, 5 s: {total:?}, argon2 runs: {hashes}");
    assert_eq!(
        total.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "{total:?}"
    );
    // One run at the start, then about one background refresh per half-life.
    assert!(hashes <= 8, "argon2 ran {hashes} times");
}

#[tokio::test]
async fn wrong_password_flood_from_one_address_does_not_starve_other_logins() {
    let hashing = grant_core::HashingConfig {
        max_queued_verifications: 4,
        failed_logins_per_source: 10,
        failed_login_window_secs: 60,
        ..costly_hashing()
    };
    let srv = std::sync::Arc::new(pf_hashing(hashing));
    let started = std::time::Instant::now();
    let run_for = std::time::Duration::from_secs(4);
    let mut flood = Vec::new();
    for i in 0..16 {
        let srv = srv.clone();
        flood.push(tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let mut n = 0;
            while started.elapsed() < run_for {
                n += 1;
                let wrong = format!("wrong-{i}-{n}");
                *statuses
                    .entry(basic_get(&srv, "ws-admin", &wrong, "203.0.113.66").await)
                    .or_default() += 1;
            }
            statuses
        }));
    }
    let mut valid = Vec::new();
    for i in 0..4 {
        let srv = srv.clone();
        valid.push(tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let from = format!("198.51.100.{i}");
            while started.elapsed() < run_for {
                *statuses
                    .entry(basic_get(&srv, "ws-admin", "right", &from).await)
                    .or_default() += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            statuses
        }));
    }
    let sum = |tasks: Vec<tokio::task::JoinHandle<std::collections::BTreeMap<u16, usize>>>| async {
        let mut total = std::collections::BTreeMap::<u16, usize>::new();
        for t in tasks {
            for (s, n) in t.await.unwrap() {
                *total.entry(s).or_default() += n;
            }
        }
        total
    };
    let flood = sum(flood).await;
    let valid = sum(valid).await;
    let hashes = srv.state.passwords.hashes_run();
    eprintln!("flood {flood:?}, valid {valid:?}, argon2 runs: {hashes}");
    assert_eq!(
        valid.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "{valid:?}"
    );
    assert!(!flood.contains_key(&200));
    // The flooding address stops costing argon2 runs once it is locked out.
    assert!(hashes <= 10 + 16 + 8, "argon2 ran {hashes} times");
}
