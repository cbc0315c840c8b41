use serde::Deserialize;

/// Storage settings. `url` picks the backend by its scheme.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path`, `sqlite::memory:`-free file path, or `postgres://…`.
    pub url: String,
    pub pool_size: u32,
    /// Seconds to wait for a pooled connection before answering "unavailable".
    pub connection_timeout_secs: u64,
    /// SQLite busy timeout in milliseconds.
    pub sqlite_busy_timeout_ms: u32,
}

/// The URL may carry a password: `Debug` shows only its scheme.
impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field(
                "url",
                &format_args!("{}://***", self.url.split("://").next().unwrap_or("")),
            )
            .field("pool_size", &self.pool_size)
            .field("connection_timeout_secs", &self.connection_timeout_secs)
            .field("sqlite_busy_timeout_ms", &self.sqlite_busy_timeout_ms)
            .finish()
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://grants.db".into(),
            pool_size: 8,
            connection_timeout_secs: 5,
            sqlite_busy_timeout_ms: 5000,
        }
    }
}

/// Password hashing settings (argon2id) and the verified-credential cache.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HashingConfig {
    /// Memory cost in KiB.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// How many argon2 verifications may run at once (each holds `argon2_memory_kib`).
    pub max_hash_threads: usize,
    /// How long a successful password verification is remembered, in seconds (0: off).
    pub verified_cache_ttl_secs: u64,
    /// At most this many remembered verifications.
    pub verified_cache_capacity: usize,
    /// Callers that may wait for an argon2 thread; beyond that a verification is refused as
    /// unavailable (concurrent checks of the same password share one run and one place).
    pub max_queued_verifications: usize,
    /// Uncached verifications one source address may have waiting or running at once.
    pub max_verifications_per_source: usize,
    /// Failed password checks from one source address within `failed_login_window_secs`
    /// after which its further uncached attempts fail without hashing (0: no limit).
    pub failed_logins_per_source: u32,
    pub failed_login_window_secs: u64,
}

impl Default for HashingConfig {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            max_hash_threads: 2,
            verified_cache_ttl_secs: 60,
            verified_cache_capacity: 10_000,
            max_queued_verifications: 8,
            max_verifications_per_source: 2,
            failed_logins_per_source: 20,
            failed_login_window_secs: 60,
        }
    }
}
