//! Okta-style rate limiting: one fixed window per endpoint family for the org, and the
//! `X-Rate-Limit-*` headers on every response. Requests without a valid credential count
//! against a window of their own per source address and family (same limits), never
//! against the org's: anonymous traffic cannot use up the budget of authenticated callers.
//!
//! Where the org's windows are counted is `store`: `memory` (this process; the default for
//! one gateway) or `database` (grant-core's `rate_limit_windows`, shared by every replica on
//! the database and kept across restarts, counted in the same blocking-pool hop as the
//! credential lookup). Anonymous windows are always counted in process: an unauthenticated
//! flood never turns into database writes.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use grant_http::AppState;
use serde::Deserialize;

use crate::Okta;

/// Endpoint families with their own bucket (Okta: `/api/v1/users*` is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Users,
    Other,
}

/// Where the org's windows are counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitStore {
    /// In this process: each replica has its own budget, reset on restart.
    #[default]
    Memory,
    /// In the database: one budget for every replica on it, kept across restarts.
    Database,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// When false, requests are never refused (the headers are still sent).
    pub enabled: bool,
    /// `memory` (default) or `database` (shared by the replicas).
    pub store: RateLimitStore,
    pub window_secs: u64,
    /// Requests per window to `/api/v1/users/…`.
    pub users: u64,
    /// Requests per window to any other path.
    pub other: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            store: RateLimitStore::Memory,
            window_secs: 60,
            users: 600,
            other: 1200,
        }
    }
}

/// What the headers report for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u64,
    pub remaining: u64,
    pub reset_epoch_secs: i64,
}

/// A request to count in the shared (database) window of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedWindow {
    pub family: Family,
    /// The bucket's name in `rate_limit_windows`.
    pub bucket: &'static str,
    pub start: i64,
    pub len_secs: u64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    start: i64,
    used: u64,
}

/// At most this many anonymous windows are kept; past it, those of past windows go.
const MAX_ANONYMOUS_WINDOWS: usize = 100_000;

pub struct RateLimiter {
    cfg: RateLimitConfig,
    windows: Mutex<[Window; 2]>,
    anonymous: Mutex<HashMap<(String, usize), Window>>,
}

impl RateLimiter {
    pub fn new(cfg: RateLimitConfig) -> Self {
        Self {
            cfg,
            windows: Mutex::new([Window::default(); 2]),
            anonymous: Mutex::new(HashMap::new()),
        }
    }

    fn window_start(&self, now: i64) -> i64 {
        grant_core::service::rate_limits::window_start(now, self.cfg.window_secs)
    }

    /// The shared window to count an authenticated request in, when the org's windows live
    /// in the database (`None`: count in process with [`RateLimiter::acquire`]).
    pub fn shared_window(&self, family: Family, now: i64) -> Option<SharedWindow> {
        (self.cfg.store == RateLimitStore::Database).then(|| SharedWindow {
            family,
            bucket: match family {
                Family::Users => "users",
                Family::Other => "other",
            },
            start: self.window_start(now),
            len_secs: self.cfg.window_secs.max(1),
        })
    }

    /// The outcome of a request counted in the shared window: `used` is the window's count
    /// including it; `Err` past the limit. This process remembers the highest count it saw,
    /// for the headers of requests that are not counted ([`RateLimiter::peek`]).
    pub fn settle(&self, window: SharedWindow, used: i64) -> Result<RateStatus, RateStatus> {
        let used = u64::try_from(used).unwrap_or(0);
        let seen = Window {
            start: window.start,
            used,
        };
        if let Ok(mut windows) = self.windows.lock() {
            let w = &mut windows[Self::slot(window.family)];
            if w.start < seen.start || (w.start == seen.start && w.used < used) {
                *w = seen;
            }
        }
        let limit = self.limit(window.family);
        let status = self.status(window.family, &seen);
        if self.cfg.enabled && used > limit {
            Err(status)
        } else {
            Ok(status)
        }
    }

    /// Counts one unauthenticated request from `source` in its own window; `Err` when that
    /// window is used up. The org's windows are not touched.
    pub fn acquire_anonymous(
        &self,
        source: &str,
        family: Family,
        now: i64,
    ) -> Result<RateStatus, RateStatus> {
        let Ok(mut map) = self.anonymous.lock() else {
            return Ok(RateStatus {
                limit: 0,
                remaining: 0,
                reset_epoch_secs: now,
            });
        };
        let start = self.window_start(now);
        let key = (source.to_owned(), Self::slot(family));
        if map.len() >= MAX_ANONYMOUS_WINDOWS && !map.contains_key(&key) {
            map.retain(|_, w| w.start == start);
            if map.len() >= MAX_ANONYMOUS_WINDOWS {
                map.clear();
            }
        }
        let w = map.entry(key).or_default();
        if w.start != start {
            *w = Window { start, used: 0 };
        }
        if self.cfg.enabled && w.used >= self.limit(family) {
            return Err(self.status(family, w));
        }
        w.used = w.used.saturating_add(1);
        let w = *w;
        Ok(self.status(family, &w))
    }

    fn limit(&self, family: Family) -> u64 {
        match family {
            Family::Users => self.cfg.users,
            Family::Other => self.cfg.other,
        }
    }

    fn slot(family: Family) -> usize {
        match family {
            Family::Users => 0,
            Family::Other => 1,
        }
    }

    fn status(&self, family: Family, w: &Window) -> RateStatus {
        let limit = self.limit(family);
        RateStatus {
            limit,
            remaining: limit.saturating_sub(w.used),
            reset_epoch_secs: w.start + self.cfg.window_secs.max(1) as i64,
        }
    }

    fn current<'a>(
        &self,
        windows: &'a mut [Window; 2],
        family: Family,
        now: i64,
    ) -> &'a mut Window {
        let start = self.window_start(now);
        let w = &mut windows[Self::slot(family)];
        if w.start != start {
            *w = Window { start, used: 0 };
        }
        w
    }

    /// Counts one request; `Err` when the window is used up.
    pub fn acquire(&self, family: Family, now: i64) -> Result<RateStatus, RateStatus> {
        let Ok(mut windows) = self.windows.lock() else {
            return Ok(RateStatus {
                limit: 0,
                remaining: 0,
                reset_epoch_secs: now,
            });
        };
        let limit = self.limit(family);
        let w = self.current(&mut windows, family, now);
        if self.cfg.enabled && w.used >= limit {
            return Err(self.status(family, w));
        }
        w.used = w.used.saturating_add(1);
        let w = *w;
        Ok(self.status(family, &w))
    }

    /// The state of a family's window without counting a request (with the shared store:
    /// the highest count this process saw in the current window).
    pub fn peek(&self, family: Family, now: i64) -> RateStatus {
        match self.windows.lock() {
            Ok(mut windows) => {
                let w = *self.current(&mut windows, family, now);
                self.status(family, &w)
            }
            Err(_) => RateStatus {
                limit: 0,
                remaining: 0,
                reset_epoch_secs: now,
            },
        }
    }
}

/// Sets `X-Rate-Limit-Limit/-Remaining/-Reset` from the request's own bucket (or the
/// bucket of its family when it never reached one, e.g. an unknown path).
pub fn add_headers(req: &HttpRequest, state: &AppState<Okta>, res: &mut HttpResponse) {
    let status = req
        .extensions()
        .get::<RateStatus>()
        .copied()
        .unwrap_or_else(|| {
            let family = if req.path().starts_with("/api/v1/users") {
                Family::Users
            } else {
                Family::Other
            };
            state
                .vendor
                .rate_limiter
                .peek(family, chrono::Utc::now().timestamp())
        });
    let headers = res.headers_mut();
    for (name, value) in [
        ("x-rate-limit-limit", status.limit.to_string()),
        ("x-rate-limit-remaining", status.remaining.to_string()),
        ("x-rate-limit-reset", status.reset_epoch_secs.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn window_refuses_past_the_limit_and_resets() {
        let rl = RateLimiter::new(RateLimitConfig {
            enabled: true,
            window_secs: 10,
            users: 2,
            other: 5,
            ..RateLimitConfig::default()
        });
        assert_eq!(
            rl.acquire(Family::Users, 100),
            Ok(RateStatus {
                limit: 2,
                remaining: 1,
                reset_epoch_secs: 110
            })
        );
        assert_eq!(rl.acquire(Family::Users, 101).map(|s| s.remaining), Ok(0));
        assert_eq!(
            rl.acquire(Family::Users, 109),
            Err(RateStatus {
                limit: 2,
                remaining: 0,
                reset_epoch_secs: 110
            })
        );
        assert_eq!(
            rl.acquire(Family::Other, 109).map(|s| s.remaining),
            Ok(4),
            "families are separate"
        );
        assert_eq!(
            rl.acquire(Family::Users, 110).map(|s| s.remaining),
            Ok(1),
            "a new window"
        );
    }

    #[test]
    fn anonymous_requests_spend_their_own_window_per_source() {
        let rl = RateLimiter::new(RateLimitConfig {
            enabled: true,
            window_secs: 10,
            users: 2,
            other: 5,
            ..RateLimitConfig::default()
        });
        for _ in 0..2 {
            assert!(rl.acquire_anonymous("10.0.0.1", Family::Users, 100).is_ok());
        }
        assert_eq!(
            rl.acquire_anonymous("10.0.0.1", Family::Users, 101),
            Err(RateStatus {
                limit: 2,
                remaining: 0,
                reset_epoch_secs: 110
            })
        );
        assert_eq!(
            rl.acquire_anonymous("10.0.0.2", Family::Users, 101)
                .map(|s| s.remaining),
            Ok(1),
            "another address has its own window"
        );
        assert_eq!(
            rl.acquire(Family::Users, 101).map(|s| s.remaining),
            Ok(1),
            "the org's window is untouched"
        );
        assert!(rl.acquire_anonymous("10.0.0.1", Family::Users, 110).is_ok());
    }

    #[test]
    fn shared_counts_settle_against_the_limit_and_feed_peek() {
        let memory = RateLimiter::new(RateLimitConfig::default());
        assert_eq!(memory.shared_window(Family::Users, 100), None);
        let rl = RateLimiter::new(RateLimitConfig {
            store: RateLimitStore::Database,
            window_secs: 10,
            users: 2,
            ..RateLimitConfig::default()
        });
        let w = rl.shared_window(Family::Users, 105).unwrap();
        assert_eq!((w.bucket, w.start, w.len_secs), ("users", 100, 10));
        let status = |remaining| RateStatus {
            limit: 2,
            remaining,
            reset_epoch_secs: 110,
        };
        assert_eq!(rl.settle(w, 2), Ok(status(0)));
        assert_eq!(
            rl.settle(w, 1),
            Ok(status(1)),
            "a count another request saw first"
        );
        assert_eq!(
            rl.peek(Family::Users, 106),
            status(0),
            "the highest count seen"
        );
        assert_eq!(rl.settle(w, 3), Err(status(0)));
        assert_eq!(rl.peek(Family::Users, 111).remaining, 2, "a new window");
    }
}
