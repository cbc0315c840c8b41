//! Counters grant-core records where its writes commit, through the `metrics` facade (a
//! no-op until the process installs a recorder, as the gateways do for `/metrics`).
//!
//! `grant_revocations_total{gateway, how}` counts grants revoked (not requests). `gateway`
//! is the label of the work running on this thread ([`attributed`]; grant-http sets it to
//! the vendor around each database call), `how` what the revocation named: one `grant`
//! (by id, or its last scope consent), every grant of a `user`, of a `client`, of a
//! `user_client` pair, of another `filter` (a scope), or a `token`'s own grant.

use std::cell::Cell;

pub const REVOCATIONS: &str = "grant_revocations_total";

thread_local! {
    static SOURCE: Cell<&'static str> = const { Cell::new("none") };
}

/// Restores the previous label when the attributed work ends (even by a panic).
struct Restore(&'static str);

impl Drop for Restore {
    fn drop(&mut self) {
        SOURCE.with(|s| s.set(self.0));
    }
}

/// Runs `f` with the counters it records labelled `gateway = source`.
pub fn attributed<T>(source: &'static str, f: impl FnOnce() -> T) -> T {
    let _restore = Restore(SOURCE.with(|s| s.replace(source)));
    f()
}

/// Counts `n` grants revoked, after their transaction committed.
pub(crate) fn revoked(how: &'static str, n: usize) {
    if n > 0 {
        let gateway = SOURCE.with(Cell::get);
        metrics::counter!(REVOCATIONS, "gateway" => gateway, "how" => how).increment(n as u64);
    }
}

/// `how` of a revocation by filter.
pub(crate) fn filter_kind(filter: &crate::model::GrantFilter) -> &'static str {
    match (&filter.user_id, &filter.client_id, &filter.scope) {
        (Some(_), Some(_), None) => "user_client",
        (Some(_), None, None) => "user",
        (None, Some(_), None) => "client",
        _ => "filter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GrantFilter;

    #[test]
    fn filters_name_what_was_revoked() {
        assert_eq!(filter_kind(&GrantFilter::by_user("u")), "user");
        assert_eq!(filter_kind(&GrantFilter::by_client("c")), "client");
        assert_eq!(
            filter_kind(&GrantFilter::by_user_and_client("u", "c").scoped_only()),
            "user_client"
        );
        let by_scope = GrantFilter {
            scope: Some("s".into()),
            ..GrantFilter::by_user("u")
        };
        assert_eq!(filter_kind(&by_scope), "filter");
    }

    #[test]
    fn attribution_is_restored_after_the_work() {
        let inner = attributed("okta", || attributed("venafi", || SOURCE.with(Cell::get)));
        assert_eq!(inner, "venafi");
        assert_eq!(SOURCE.with(Cell::get), "none");
    }
}
