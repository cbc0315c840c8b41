//! Rate-limit budgets shared by every process on one database: fixed windows counted in
//! the `rate_limit_windows` table, one atomic upsert per request. The gateway picks the
//! bucket (an endpoint family) and the window; grant-core only counts and cleans up.

use crate::Result;
use crate::model::TenantId;
use crate::store::{DbConn, dialect, rate_limits};

/// The start (unix seconds) of the fixed window of `len_secs` holding `now`: the same for
/// every process whose clock agrees.
pub fn window_start(now: i64, len_secs: u64) -> i64 {
    let len = i64::try_from(len_secs.max(1)).unwrap_or(i64::MAX);
    now - now.rem_euclid(len)
}

/// Counts one request of `tenant` in `bucket`'s window starting at `start` and returns the
/// window's count including it. The request that opens a window (count 1) also deletes the
/// tenant's windows older than the one before it, so the table holds at most two windows
/// per bucket.
pub fn count_request(
    conn: &mut DbConn,
    tenant: &TenantId,
    bucket: &str,
    start: i64,
    len_secs: u64,
) -> Result<i64> {
    let used = dialect::add_rate_limit_hit(conn, tenant, bucket, start)?;
    if used == 1 {
        let len = i64::try_from(len_secs.max(1)).unwrap_or(i64::MAX);
        rate_limits::delete_before(conn, tenant, start.saturating_sub(len))?;
    }
    Ok(used)
}

/// A window's count without counting a request.
pub fn window_count(conn: &mut DbConn, tenant: &TenantId, bucket: &str, start: i64) -> Result<i64> {
    rate_limits::find_used(conn, tenant, bucket, start)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::fixture::Fixture;

    #[test]
    fn windows_are_fixed_and_aligned() {
        assert_eq!(window_start(125, 60), 120);
        assert_eq!(window_start(120, 60), 120);
        assert_eq!(window_start(7, 0), 7, "a zero length counts as one second");
    }

    #[test]
    fn counts_are_per_tenant_bucket_and_window_and_old_windows_go() {
        let fx = Fixture::new();
        fx.tenant("t1");
        fx.tenant("t2");
        let mut conn = fx.conn();
        let c = &mut conn;
        assert_eq!(
            count_request(c, TenantId::new("t1"), "users", 60, 60).unwrap(),
            1
        );
        assert_eq!(
            count_request(c, TenantId::new("t1"), "users", 60, 60).unwrap(),
            2
        );
        assert_eq!(
            count_request(c, TenantId::new("t1"), "other", 60, 60).unwrap(),
            1
        );
        assert_eq!(
            count_request(c, TenantId::new("t2"), "users", 60, 60).unwrap(),
            1
        );
        assert_eq!(
            count_request(c, TenantId::new("t1"), "users", 120, 60).unwrap(),
            1
        );
        assert_eq!(
            window_count(c, TenantId::new("t1"), "users", 60).unwrap(),
            2,
            "the previous window stays"
        );
        assert_eq!(
            count_request(c, TenantId::new("t1"), "users", 180, 60).unwrap(),
            1
        );
        assert_eq!(
            window_count(c, TenantId::new("t1"), "users", 60).unwrap(),
            0,
            "older windows are deleted"
        );
        assert_eq!(
            window_count(c, TenantId::new("t1"), "other", 60).unwrap(),
            0
        );
        assert_eq!(
            window_count(c, TenantId::new("t1"), "users", 120).unwrap(),
            1
        );
        assert_eq!(
            window_count(c, TenantId::new("t2"), "users", 60).unwrap(),
            1,
            "other tenants keep theirs"
        );
    }

    #[test]
    fn concurrent_counts_are_all_distinct() {
        let fx = Fixture::new();
        fx.tenant("t1");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let store = fx.store.clone();
                std::thread::spawn(move || {
                    let mut conn = store.conn().unwrap();
                    (0..25)
                        .map(|_| {
                            count_request(&mut conn, TenantId::new("t1"), "users", 60, 60).unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<i64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (1..=100).collect::<Vec<_>>());
    }
}
