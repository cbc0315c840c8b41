//! grant-core: the canonical OAuth grant model, its storage on SQLite or PostgreSQL, and
//! the business rules every vendor gateway calls. No HTTP here.

pub mod config;
mod error;
pub mod metrics;
pub mod model;
pub mod service;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{DatabaseConfig, HashingConfig};
pub use error::{CoreError, Result};
pub use store::{Backend, DbConn, Store};
