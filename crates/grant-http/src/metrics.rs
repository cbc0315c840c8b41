//! Prometheus metrics at `GET /metrics` (text format 0.0.4): requests by route template,
//! method and status, latency histograms, database pool connections, the argon2 queue, and
//! grants revoked (`grant_revocations_total`, counted by grant-core where the revocation
//! commits; see `grant_core::metrics`). One
//! recorder per process (`metrics` facade + `metrics-exporter-prometheus`), installed on first use.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::{AppState, Vendor};

const REQUESTS: &str = "grant_http_requests_total";
const DURATION: &str = "grant_http_request_duration_seconds";
const POOL: &str = "grant_db_pool_connections";
const POOL_MAX: &str = "grant_db_pool_max_connections";
const ARGON2_QUEUE: &str = "grant_argon2_queue_depth";
const ARGON2_RUNS: &str = "grant_argon2_verifications_total";

/// Latency buckets, seconds: 1 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder handle; `None` when another recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            metrics::describe_counter!(
                REQUESTS,
                "HTTP requests answered, by route template, method and status"
            );
            metrics::describe_histogram!(
                DURATION,
                metrics::Unit::Seconds,
                "Time from the request head to the response, by route template and method"
            );
            metrics::describe_gauge!(POOL, "Database pool connections, by state (in_use, idle)");
            metrics::describe_gauge!(POOL_MAX, "Database pool size limit");
            metrics::describe_gauge!(
                ARGON2_QUEUE,
                "Password verifications waiting for an argon2 thread"
            );
            metrics::describe_counter!(
                grant_core::metrics::REVOCATIONS,
                "Grants revoked, by gateway and by what the revocation named (grant, user, client, user_client, filter, token)"
            );
            metrics::describe_counter!(
                ARGON2_RUNS,
                "argon2 verifications run (cache hits and shared runs excluded)"
            );
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder (at start-up, so the first scrape already has the descriptions).
pub fn init() {
    handle();
}

/// A route pattern as a label: `{_l0:(?i:identity)}` segments (see `routing::any_case`)
/// shown as their literal; requests that matched no route are `unmatched` (never the raw
/// path: a label per URL would grow without bound).
pub fn route_label(req: &HttpRequest) -> String {
    let Some(pattern) = req.match_pattern() else {
        return "unmatched".to_owned();
    };
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern.as_str();
    while let Some(start) = rest.find("{_l") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match (tail.find("(?i:"), tail.find(")}")) {
            (Some(open), Some(close)) if open < close => {
                out.push_str(&tail[open + 4..close].replace('\\', ""));
                rest = &tail[close + 2..];
            }
            _ => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Records one answered request.
pub(crate) fn record(gateway: &'static str, req: &HttpRequest, status: u16, seconds: f64) {
    if handle().is_none() {
        return;
    }
    let route = route_label(req);
    let method = req.method().as_str().to_owned();
    metrics::counter!(REQUESTS, "gateway" => gateway, "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(DURATION, "gateway" => gateway, "route" => route, "method" => method)
        .record(seconds);
}

/// `GET /metrics`.
pub(crate) async fn scrape<V: Vendor>(state: web::Data<AppState<V>>) -> HttpResponse {
    let Some(handle) = handle() else {
        return HttpResponse::NotFound().finish();
    };
    let pool = state.store.pool_state();
    metrics::gauge!(POOL, "gateway" => V::NAME, "state" => "in_use").set(f64::from(
        pool.connections.saturating_sub(pool.idle_connections),
    ));
    metrics::gauge!(POOL, "gateway" => V::NAME, "state" => "idle")
        .set(f64::from(pool.idle_connections));
    metrics::gauge!(POOL_MAX, "gateway" => V::NAME).set(f64::from(pool.max_size));
    metrics::gauge!(ARGON2_QUEUE, "gateway" => V::NAME).set(state.passwords.queued() as f64);
    metrics::counter!(ARGON2_RUNS, "gateway" => V::NAME)
        .absolute(state.passwords.hashes_run() as u64);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}
