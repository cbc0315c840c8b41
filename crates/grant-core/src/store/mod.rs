//! Storage: one Diesel connection type over SQLite or PostgreSQL, an r2d2 pool, embedded
//! migrations, and one function per query.

mod conn;
pub mod dialect;
pub mod migrate;
pub mod rows;
pub mod schema;
mod stored_time;

pub mod admin;
pub mod audit;
pub mod authorization;
pub mod clients;
pub mod credentials;
pub mod grants;
pub mod rate_limits;
pub mod roles;
pub mod scopes;
pub mod tenants;
pub mod users;

use std::time::Duration;

pub(crate) use conn::on_backend;
pub use conn::{Backend, ConnectionManager, DatabaseUrl, DbConn, MultiBackend, MultiRawValue};
pub use stored_time::{StoredTime, StoredTimeOpt};

use crate::Result;
use crate::config::DatabaseConfig;

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// The pool and the backend it talks to. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    backend: Backend,
}

impl Store {
    /// Parses the URL (unknown schemes are an error), applies pending migrations on one
    /// connection, then opens the pool.
    pub fn connect(cfg: &DatabaseConfig) -> Result<Self> {
        let url = DatabaseUrl::parse(&cfg.url)?;
        let manager = ConnectionManager::new(url.clone(), cfg.sqlite_busy_timeout_ms);
        migrate::migrate(&manager)?;
        let pool = Self::builder(cfg).build(manager)?;
        Ok(Self {
            pool,
            backend: url.backend,
        })
    }

    /// Opens the pool without connecting or migrating: connections are made on demand.
    /// Used to start against a database that may be down.
    pub fn connect_lazy(cfg: &DatabaseConfig) -> Result<Self> {
        let url = DatabaseUrl::parse(&cfg.url)?;
        let manager = ConnectionManager::new(url.clone(), cfg.sqlite_busy_timeout_ms);
        let pool = Self::builder(cfg)
            .min_idle(Some(0))
            .build_unchecked(manager);
        Ok(Self {
            pool,
            backend: url.backend,
        })
    }

    fn builder(cfg: &DatabaseConfig) -> r2d2::Builder<ConnectionManager> {
        Pool::builder()
            .max_size(cfg.pool_size.max(1))
            .connection_timeout(Duration::from_secs(cfg.connection_timeout_secs.max(1)))
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
    }

    pub fn conn(&self) -> Result<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// A connection for work asked for at `asked`: the time it has since waited (for a
    /// blocking-pool thread, say) counts against the pool's connection timeout, so a request
    /// waits that long in all before it is refused, however long the queue before the pool.
    pub fn conn_for(&self, asked: std::time::Instant) -> Result<PooledConn> {
        let left = self
            .pool
            .connection_timeout()
            .saturating_sub(asked.elapsed());
        Ok(self.pool.get_timeout(left)?)
    }

    /// Runs `work` on the blocking pool with a pooled connection — never on an async worker.
    /// The wait for a blocking thread counts against the connection timeout (`conn_for`).
    pub async fn with_conn<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.clone();
        let asked = std::time::Instant::now();
        tokio::task::spawn_blocking(move || {
            let mut conn = store.conn_for(asked)?;
            work(&mut conn)
        })
        .await
        .map_err(|e| crate::CoreError::Internal(format!("blocking task: {e}")))?
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool's connections now (open, idle) and its size limit, for metrics.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle_connections: state.idle_connections,
            max_size: self.pool.max_size(),
        }
    }
}

/// See [`Store::pool_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub connections: u32,
    pub idle_connections: u32,
    pub max_size: u32,
}

/// Proves the database can take a write, without keeping one. SQLite: a table is created
/// and filled inside a transaction that is rolled back; the new table needs a free page, so
/// a full database or disk (or an I/O error) fails here as a real write would, and nothing
/// reaches the file. PostgreSQL: the same in a temporary table (rolled back too), so a
/// server that refuses writes is reported as well.
pub fn probe_write(conn: &mut DbConn) -> Result<()> {
    use diesel::{Connection, RunQueryDsl};
    let result = conn.transaction::<(), diesel::result::Error, _>(|c| {
        let (create, insert) = match c.backend() {
            Backend::Sqlite => (
                "CREATE TABLE grant_readyz_probe (x BLOB)",
                "INSERT INTO grant_readyz_probe VALUES (zeroblob(64))",
            ),
            Backend::Postgres => (
                "CREATE TEMPORARY TABLE grant_readyz_probe (x BYTEA) ON COMMIT DROP",
                "INSERT INTO grant_readyz_probe VALUES ('\\x00')",
            ),
        };
        diesel::sql_query(create).execute(c)?;
        diesel::sql_query(insert).execute(c)?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    match result {
        Ok(()) | Err(diesel::result::Error::RollbackTransaction) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A trivial query: proves the database answers.
pub fn ping(conn: &mut DbConn) -> Result<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}
