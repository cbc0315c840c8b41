//! The only per-backend code: how a write transaction starts, upserts, row locks, and
//! multi-row inserts.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{client_counts, clients, rate_limit_windows};
use crate::{CoreError, Result};

type Tm = <DbConn as diesel::Connection>::TransactionManager;

/// How many transactions are open on the connection (0: none).
pub fn transaction_depth(conn: &mut DbConn) -> u32 {
    match conn {
        DbConn::Sqlite(c) => depth(c),
        DbConn::Postgres(c) => depth(c),
    }
}

fn depth<C>(c: &mut C) -> u32
where
    C: diesel::Connection<TransactionManager = AnsiTransactionManager>,
{
    AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()
        .ok()
        .flatten()
        .map(|d| d.get())
        .unwrap_or(0)
}

/// Runs `f` in one write transaction: `BEGIN IMMEDIATE` on SQLite (the write lock is taken
/// up front, so concurrent writers wait on the busy timeout instead of failing on lock
/// upgrade), a plain transaction on PostgreSQL. Rolled back on any error.
///
/// Composable: called inside another transaction (a service called by a service), it opens
/// a `SAVEPOINT` on both backends, so the caller's transaction stays the one that commits
/// and an inner error rolls back only the inner work.
pub fn write_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    let outermost = transaction_depth(conn) == 0;
    match conn {
        DbConn::Sqlite(c) if outermost => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        _ => Tm::begin_transaction(conn)?,
    }
    let outcome = f(conn);
    finish(conn, outcome)
}

/// Runs `f` in a read transaction, so a multi-query read sees one snapshot (a savepoint
/// when a transaction is already open).
pub fn read_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    Tm::begin_transaction(conn)?;
    let outcome = f(conn);
    finish(conn, outcome)
}

/// Runs `f` in a read transaction that sees one snapshot of the whole database for all its
/// queries: SQLite's read transaction already does; PostgreSQL needs REPEATABLE READ (its
/// default, READ COMMITTED, takes a new snapshot per statement). For reads made of many
/// statements that must agree with each other (an export).
pub fn snapshot_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    let outermost = transaction_depth(conn) == 0;
    Tm::begin_transaction(conn)?;
    if outermost && let DbConn::Postgres(c) = conn {
        let set = diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(c);
        if let Err(e) = set {
            return finish(conn, Err(e.into()));
        }
    }
    let outcome = f(conn);
    finish(conn, outcome)
}

/// Runs `f` with SQLite's page cache raised to `mib` MiB for this connection (back to the
/// default after): a bulk load then rewrites the same index pages in memory instead of
/// spilling them to the WAL and reading them back, millions of times. PostgreSQL: as is.
pub fn with_large_cache<T>(
    conn: &mut DbConn,
    mib: u32,
    f: impl FnOnce(&mut DbConn) -> T,
) -> Result<T> {
    if let DbConn::Sqlite(c) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            c,
            &format!("PRAGMA cache_size = -{};", mib * 1024),
        )?;
    }
    let out = f(conn);
    if let DbConn::Sqlite(c) = conn {
        // SQLite's default: 2,000 KiB.
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA cache_size = -2000;")?;
    }
    Ok(out)
}

/// Refreshes the query planner's statistics, after a bulk load (an import). Without them
/// PostgreSQL plans one user's page as if every table were tiny: it reads and sorts all of
/// the user's grants (13.5 ms at 1,000 grants a user) where, analysed, it reads the first
/// page in index order (0.5 ms). SQLite samples at most 1,000 rows per index
/// (`analysis_limit`), which keeps it to milliseconds at any size. Runs outside any
/// transaction.
pub fn refresh_statistics(conn: &mut DbConn) -> Result<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::connection::SimpleConnection::batch_execute(
            c,
            "PRAGMA analysis_limit = 1000; ANALYZE;",
        )?,
        DbConn::Postgres(c) => diesel::connection::SimpleConnection::batch_execute(c, "ANALYZE")?,
    }
    Ok(())
}

fn finish<T>(conn: &mut DbConn, outcome: Result<T>) -> Result<T> {
    match outcome {
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

/// Adds `delta` to the tenant's count of clients of `kind`, creating the row at first use:
/// one `INSERT … ON CONFLICT DO UPDATE`, so two concurrent first inserts both count.
pub fn add_client_count(conn: &mut DbConn, tenant: &str, kind: &str, delta: i64) -> Result<()> {
    let row = (
        client_counts::tenant_id.eq(tenant),
        client_counts::kind.eq(kind),
        client_counts::n.eq(delta),
    );
    let target = (client_counts::tenant_id, client_counts::kind);
    let bump = client_counts::n.eq(client_counts::n + delta);
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(client_counts::table)
            .values(row)
            .on_conflict(target)
            .do_update()
            .set(bump)
            .execute(c)?,
        DbConn::Postgres(c) => diesel::insert_into(client_counts::table)
            .values(row)
            .on_conflict(target)
            .do_update()
            .set(bump)
            .execute(c)?,
    };
    Ok(())
}

/// Counts one request in a rate-limit window, creating the row at first use, and returns
/// the window's count including this request: one `INSERT … ON CONFLICT DO UPDATE …
/// RETURNING`, so concurrent requests (from any process) each see a distinct count.
pub fn add_rate_limit_hit(
    conn: &mut DbConn,
    tenant: &str,
    bucket: &str,
    window_start: i64,
) -> Result<i64> {
    use rate_limit_windows as w;
    let row = (
        w::tenant_id.eq(tenant),
        w::bucket.eq(bucket),
        w::window_start.eq(window_start),
        w::used.eq(1_i64),
    );
    let target = (w::tenant_id, w::bucket, w::window_start);
    let bump = w::used.eq(w::used + 1_i64);
    let used = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(w::table)
            .values(row)
            .on_conflict(target)
            .do_update()
            .set(bump)
            .returning(w::used)
            .get_result(c)?,
        DbConn::Postgres(c) => diesel::insert_into(w::table)
            .values(row)
            .on_conflict(target)
            .do_update()
            .set(bump)
            .returning(w::used)
            .get_result(c)?,
    };
    Ok(used)
}

/// Locks a client's row until the transaction ends, so writes that number or count things
/// per client (its secrets) run one at a time. SQLite's `BEGIN IMMEDIATE` already holds the
/// database's write lock; PostgreSQL takes `SELECT … FOR UPDATE`. Returns whether it exists.
pub fn lock_client(conn: &mut DbConn, tenant: &str, id: &str) -> Result<bool> {
    let q = clients::table.find((tenant, id)).select(clients::id);
    let found: Option<String> = match conn {
        DbConn::Sqlite(c) => q.first(c).optional()?,
        DbConn::Postgres(c) => q.for_update().first(c).optional()?,
    };
    Ok(found.is_some())
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

/// Runs a query and hands each row to `f` as it arrives, never holding the whole result:
/// SQLite steps its statement; PostgreSQL reads in single-row mode (libpq would otherwise
/// buffer every row before the first is seen). The query is written once and built for each
/// backend's own connection. Evaluates to `Result<()>`.
macro_rules! for_each_row {
    ($conn:expr, $row:ty, $query:expr, $f:expr) => {{
        let mut f = $f;
        let mut each = |row: diesel::QueryResult<$row>| -> $crate::Result<()> { f(row?) };
        match $conn {
            $crate::store::DbConn::Sqlite(c) => diesel::RunQueryDsl::load_iter::<
                $row,
                diesel::connection::DefaultLoadingMode,
            >($query, c)?
            .try_for_each(&mut each),
            $crate::store::DbConn::Postgres(c) => diesel::RunQueryDsl::load_iter::<
                $row,
                diesel::pg::PgRowByRowLoadingMode,
            >($query, c)?
            .try_for_each(&mut each),
        }
    }};
}
pub(crate) use for_each_row;
