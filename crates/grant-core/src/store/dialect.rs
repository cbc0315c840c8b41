//! The only per-backend code: how a write transaction starts.

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::DbConn;
use crate::{CoreError, Result};

type Tm = <DbConn as diesel::Connection>::TransactionManager;

/// Runs `f` in one write transaction: `BEGIN IMMEDIATE` on SQLite (the write lock is taken
/// up front, so concurrent writers wait on the busy timeout instead of failing on lock
/// upgrade), a plain transaction on PostgreSQL. Rolled back on any error.
pub fn write_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(_) => Tm::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn).map_err(CoreError::from)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = Tm::rollback_transaction(conn) {
                log::error!("rollback failed: {rollback}");
            }
            Err(err)
        }
    }
}

/// Runs `f` in a read transaction, so a multi-query read sees one snapshot.
pub fn read_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    Tm::begin_transaction(conn)?;
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = Tm::rollback_transaction(conn) {
                log::error!("rollback failed: {rollback}");
            }
            Err(err)
        }
    }
}

/// Multi-row `INSERT … VALUES (…), (…)`: Diesel's generic connection cannot build it, so
/// it is sent on the concrete connection of each backend.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::store::DbConn::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::store::DbConn::Postgres(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    };
}
pub(crate) use insert_rows;
