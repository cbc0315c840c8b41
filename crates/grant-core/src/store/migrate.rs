use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{ConnectionManager, DbConn};
use crate::{CoreError, Result};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Applies every pending migration of the connection's backend; returns how many ran.
pub fn run_pending(conn: &mut DbConn) -> Result<usize> {
    let applied = match conn {
        DbConn::Sqlite(c) => {
            // WAL is a property of the database file: set once, before the pool opens.
            c.batch_execute("PRAGMA journal_mode = WAL;")?;
            c.run_pending_migrations(SQLITE).map(|v| v.len())
        }
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES).map(|v| v.len()),
    };
    applied.map_err(|e| CoreError::Internal(format!("migration failed: {e}")))
}

/// Reverts every applied migration (used by the migration round-trip check).
pub fn revert_all(conn: &mut DbConn) -> Result<usize> {
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE).map(|v| v.len()),
        DbConn::Postgres(c) => c.revert_all_migrations(POSTGRES).map(|v| v.len()),
    };
    reverted.map_err(|e| CoreError::Internal(format!("migration revert failed: {e}")))
}

/// Reverts every applied migration from `name` (its directory name, or only the leading
/// date and time, e.g. `2026-12-07-040000`) on, newest first; returns how many. Tests use it
/// to run a migration over data written by the schema before it.
pub fn revert_from(conn: &mut DbConn, name: &str) -> Result<usize> {
    let from: String = name
        .split('_')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let applied = match conn {
        DbConn::Sqlite(c) => c.applied_migrations(),
        DbConn::Postgres(c) => c.applied_migrations(),
    }
    .map_err(|e| CoreError::Internal(format!("cannot list migrations: {e}")))?;
    let n = applied
        .iter()
        .filter(|v| {
            v.to_string()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                >= from
        })
        .count();
    for _ in 0..n {
        let reverted = match conn {
            DbConn::Sqlite(c) => c.revert_last_migration(SQLITE).map(|_| ()),
            DbConn::Postgres(c) => c.revert_last_migration(POSTGRES).map(|_| ()),
        };
        reverted.map_err(|e| CoreError::Internal(format!("migration revert failed: {e}")))?;
    }
    Ok(n)
}

/// Opens one connection and migrates, before any pool exists.
pub fn migrate(manager: &ConnectionManager) -> Result<usize> {
    let mut conn = manager.establish()?;
    run_pending(&mut conn)
}
