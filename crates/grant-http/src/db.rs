use grant_core::{CoreError, DbConn, Store};

use crate::ApiError;

/// Runs synchronous Diesel work on the blocking pool (never on an async worker) with a
/// pooled connection (`Store::with_conn`). A pool timeout or a lost database is
/// `Unavailable`.
pub async fn run_db<T, F>(store: &Store, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, CoreError> + Send + 'static,
    T: Send + 'static,
{
    store.with_conn(f).await.map_err(ApiError::from)
}
