//! Okta's rate-limit headers and 429s: per org for callers with a credential, per address for
//! the others.

use chrono::Utc;
use grant_core::testing::TestDb;
use grant_http::testing::TestServer;
use okta_compat::{Okta, RateLimitConfig, RateLimitStore};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn rate_limit_answers_429_then_recovers_after_the_reset() {
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        enabled: true,
        window_secs: 2,
        users: 3,
        other: 100,
        ..RateLimitConfig::default()
    };
    let o = org_with(cfg);
    let path = "/api/v1/users/00ualice000000000001/grants";
    // Start at the beginning of a window so the three requests share it.
    let now = Utc::now();
    let into = (now.timestamp() % 2) as u64 * 1000 + u64::from(now.timestamp_subsec_millis());
    tokio::time::sleep(std::time::Duration::from_millis(2000 - into + 20)).await;
    for remaining in (0..3).rev() {
        let (s, h, _) = get(&o, path).await;
        assert_eq!(s, 200);
        assert_eq!(h["x-rate-limit-limit"], "3");
        assert_eq!(h["x-rate-limit-remaining"], remaining.to_string().as_str());
    }
    let (s, h, body) = get(&o, path).await;
    assert_eq!(s, 429);
    assert_okta_headers(&h, true);
    assert_eq!(h["x-rate-limit-remaining"], "0");
    let reset: i64 = h["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset > Utc::now().timestamp() - 1 && reset <= Utc::now().timestamp() + 2);
    assert_error(
        &body,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        json!([]),
    );
    let wait = (reset * 1000 - Utc::now().timestamp_millis()).max(0) as u64 + 50;
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let (s, _, _) = get(&o, path).await;
    assert_eq!(s, 200, "recovered after the reset");
}

/// The caller is checked on the connection the handler's work then uses (one hop): a
/// revocation refused for the rate limit must not have run.
#[tokio::test]
async fn a_revocation_refused_for_the_rate_limit_revokes_nothing() {
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        enabled: true,
        window_secs: 3600,
        users: 1,
        other: 100,
        ..RateLimitConfig::default()
    };
    let o = org_with(cfg);
    add_grant(
        &o,
        &o.alice,
        CLIENT,
        "scpCmCCV1DpxVkCaye2X",
        "oagalice0000000000a1",
        "2024-01-01T00:00:00Z",
    );
    let path = format!("/api/v1/users/{ALICE}/grants");
    let (s, _, body) = get(&o, &path).await;
    assert_eq!(s, 200);
    assert_eq!(consent_ids(&body).len(), 1);
    let (s, h, body) = delete(&o, &path).await;
    assert_eq!(s, 429, "{body}");
    assert_eq!(h["x-rate-limit-remaining"], "0");
    let active = grant_core::service::grants::list_consents(
        &mut o.srv.conn(),
        o.srv.tenant(),
        &grant_core::model::GrantFilter::by_user(&o.alice.id),
        &grant_core::model::PageRequest {
            limit: 10,
            after: None,
        },
    )
    .unwrap();
    assert_eq!(active.items.len(), 1, "the refused DELETE revoked nothing");
}

#[tokio::test]
async fn anonymous_requests_do_not_spend_the_orgs_rate_limit() {
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        enabled: true,
        window_secs: 3600,
        users: 3,
        other: 100,
        ..RateLimitConfig::default()
    };
    let o = org_with(cfg);
    let path = "/api/v1/users/00ualice000000000001/grants";
    // Missing and invalid credentials: counted in this address's own window.
    for auth in [None, Some("SSWS 00nope"), None] {
        let (s, h, _) = send(&o, reqwest::Method::GET, path, auth).await;
        assert!(s == 403 || s == 401, "{s}");
        assert_eq!(h["x-rate-limit-limit"], "3");
    }
    for auth in [None, Some("SSWS 00nope")] {
        let (s, h, body) = send(&o, reqwest::Method::GET, path, auth).await;
        assert_eq!(s, 429);
        assert_eq!(h["x-rate-limit-remaining"], "0");
        assert_error(
            &serde_json::from_str(&body).unwrap(),
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
            json!([]),
        );
    }
    // A valid token from the same address still has the org's whole window.
    let (s, h, body) = get(&o, path).await;
    assert_eq!(s, 200);
    assert_eq!(body, json!([]));
    assert_eq!(h["x-rate-limit-limit"], "3");
    assert_eq!(h["x-rate-limit-remaining"], "2");
    let reset: i64 = h["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    let now = Utc::now().timestamp();
    assert!(
        reset > now && reset <= now + 3600,
        "reset {reset}, now {now}"
    );
}

#[tokio::test]
async fn anonymous_windows_behind_a_trusted_proxy_are_per_right_most_untrusted_hop() {
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        enabled: true,
        window_secs: 3600,
        users: 2,
        other: 100,
        ..RateLimitConfig::default()
    };
    cfg.server.trusted_proxies = vec![
        "127.0.0.0/8".parse().unwrap(),
        "10.0.0.0/8".parse().unwrap(),
    ];
    let o = org_with(cfg);
    let path = "/api/v1/users/00ualice000000000001/grants";
    let anon = |xff: String| {
        let req = o
            .srv
            .client
            .get(o.srv.url(path))
            .header("x-forwarded-for", xff);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // A caller behind the proxy forging a new left-most hop each time is still one address.
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(anon(format!("198.51.100.{i}, 203.0.113.1, 10.0.0.7")).await);
    }
    assert_eq!(statuses, [403, 403, 429, 429]);
    // Another caller through the same proxies has a window of its own.
    assert_eq!(anon("203.0.113.2, 10.0.0.7".into()).await, 403);
}

/// `(status, limit, remaining, reset)` of a list request with the org's admin token.
async fn budget_seen(srv: &TestServer<Okta>, o: &Org) -> (u16, String, String, String) {
    let res = srv
        .client
        .get(srv.url("/api/v1/users/00ualice000000000001/grants"))
        .header("authorization", format!("SSWS {}", o.admin))
        .send()
        .await
        .unwrap();
    let h = res.headers().clone();
    let status = res.status().as_u16();
    if status == 429 {
        assert_okta_headers(&h, true);
        assert_error(
            &res.json().await.unwrap(),
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
            json!([]),
        );
    }
    let header = |name: &str| h[name].to_str().unwrap().to_owned();
    (
        status,
        header("x-rate-limit-limit"),
        header("x-rate-limit-remaining"),
        header("x-rate-limit-reset"),
    )
}

#[tokio::test]
async fn shared_rate_limit_is_one_budget_across_replicas_and_restarts() {
    let db = TestDb::new();
    let mut cfg = config();
    cfg.vendor.rate_limit = RateLimitConfig {
        store: RateLimitStore::Database,
        // One window for the whole test (the next boundary is in 2033).
        window_secs: 1_000_000_000,
        users: 5,
        ..RateLimitConfig::default()
    };
    let o = seed(TestServer::<Okta>::start_on(cfg.clone(), &db));
    let b = TestServer::<Okta>::start_on(cfg.clone(), &db);
    let reset = "2000000000".to_owned();
    let ok = |remaining: &str| (200, "5".to_owned(), remaining.to_owned(), reset.clone());
    // Alternating replicas: one count, the same headers from both.
    assert_eq!(budget_seen(&o.srv, &o).await, ok("4"));
    assert_eq!(budget_seen(&b, &o).await, ok("3"));
    assert_eq!(budget_seen(&o.srv, &o).await, ok("2"));
    assert_eq!(budget_seen(&b, &o).await, ok("1"));
    // A restarted replica keeps counting where the fleet is.
    drop(b);
    let b = TestServer::<Okta>::start_on(cfg.clone(), &db);
    assert_eq!(budget_seen(&b, &o).await, ok("0"));
    // The sixth request, on either replica, is refused.
    let refused = (429, "5".to_owned(), "0".to_owned(), reset.clone());
    assert_eq!(budget_seen(&o.srv, &o).await, refused);
    assert_eq!(budget_seen(&b, &o).await, refused);
    // A response that counts nothing (an unknown path) shows the count the replica saw.
    let (s, h, _) = send(&o, reqwest::Method::GET, "/api/v1/users", None).await;
    assert_eq!(s, 404);
    assert_eq!(h["x-rate-limit-remaining"], "0");
    // Invalid credentials never spend the org's shared budget, nor write to it.
    drop(b);
    let counted = || {
        grant_core::service::rate_limits::window_count(
            &mut o.srv.conn(),
            o.srv.tenant(),
            "users",
            1_000_000_000,
        )
        .unwrap()
    };
    let used = counted();
    let (s, _, _) = send(
        &o,
        reqwest::Method::GET,
        "/api/v1/users/00ualice000000000001/grants",
        Some("SSWS 00nope"),
    )
    .await;
    assert!(s == 401 || s == 403, "{s}");
    assert_eq!((used, counted()), (7, 7));
}
