use actix_web::web;
use grant_core::{CoreError, DbConn, Store};

use crate::ApiError;

/// Runs synchronous Diesel work on the blocking pool (never on an async worker) with a
/// pooled connection. A pool timeout or a lost database is `Unavailable`; the wait for a
/// blocking thread counts against the pool timeout (`Store::conn_for`).
pub async fn run_db<T, F>(store: &Store, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, CoreError> + Send + 'static,
    T: Send + 'static,
{
    let store = store.clone();
    let asked = std::time::Instant::now();
    web::block(move || {
        let mut conn = store.conn_for(asked)?;
        f(&mut conn)
    })
    .await
    .map_err(|e| {
        log::error!("blocking task failed: {e}");
        ApiError::Internal
    })?
    .map_err(ApiError::from)
}
