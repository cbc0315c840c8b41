use diesel::connection::SimpleConnection;
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

use crate::{CoreError, Result};

/// Runs `$body` with `$c` bound to the backend's own connection (`SqliteConnection` or
/// `PgConnection`), for a statement of a fixed type on a hot path: through the
/// multi-backend wrapper, every call walks the statement to decide it may be cached and
/// converts its binds. The statement is written once and type-checked for each backend.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::DbConn::Sqlite($c) => $body,
            $crate::store::DbConn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// One connection type over both backends; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// The database backend, chosen from the URL scheme and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed database URL: the backend and what to hand to its driver.
#[derive(Clone)]
pub struct DatabaseUrl {
    pub backend: Backend,
    target: String,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A PostgreSQL URL may carry a password: show only the backend.
        write!(f, "DatabaseUrl({:?})", self.backend)
    }
}

impl DatabaseUrl {
    /// `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite://path`, `sqlite:path` or a
    /// plain file path → SQLite; any other scheme is refused (never silently a SQLite file).
    pub fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        let invalid = |reason: String| CoreError::invalid("database.url", reason);
        if url.is_empty() {
            return Err(invalid("empty database URL".into()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.contains(":memory:") {
                return Err(invalid(
                    "SQLite needs a file path (an in-memory database is not shared by a pool)"
                        .into(),
                ));
            }
            return Ok(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        let scheme_like = url
            .split_once(':')
            .map(|(s, _)| {
                !s.is_empty()
                    && s.len() > 1
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            })
            .unwrap_or(false);
        if url.contains("://") || scheme_like {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(invalid(format!(
                "unsupported database URL scheme '{scheme}': use sqlite://<path> or \
                 postgres://user@host/db"
            )));
        }
        Ok(Self {
            backend: Backend::Sqlite,
            target: url.to_owned(),
        })
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// The database for a log line: a SQLite path, or PostgreSQL's host and database —
    /// never a user or password.
    pub fn describe(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("SQLite {}", self.target),
            Backend::Postgres => {
                let rest = self.target.split_once("://").map_or("", |(_, r)| r);
                let location = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
                format!(
                    "PostgreSQL {}",
                    location.split('?').next().unwrap_or_default()
                )
            }
        }
    }
}

/// r2d2 manager that opens exactly the backend the URL named and applies per-connection
/// settings (SQLite: foreign keys, busy timeout).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    sqlite_busy_timeout_ms: u32,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, sqlite_busy_timeout_ms: u32) -> Self {
        Self {
            url,
            sqlite_busy_timeout_ms,
        }
    }

    pub fn establish(&self) -> Result<DbConn, ConnectionError> {
        match self.url.backend {
            Backend::Postgres => Ok(DbConn::Postgres(PgConnection::establish(&self.url.target)?)),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url.target)?;
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; \
                     PRAGMA synchronous = NORMAL;",
                    self.sqlite_busy_timeout_ms
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConn, ConnectionError> {
        self.establish()
    }

    /// Checked at every pool check-out. A PostgreSQL connection can die with its server (a
    /// restart, a failover), so it answers `SELECT 1` first; a SQLite connection is a file
    /// handle in this process that nothing outside can break, so the round trip is skipped
    /// (it was one statement more on every request).
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectionError> {
        match conn {
            DbConn::Sqlite(_) => Ok(()),
            DbConn::Postgres(c) => c
                .batch_execute("SELECT 1")
                .map_err(ConnectionError::CouldntSetupConfiguration),
        }
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}
