//! Business rules as plain synchronous functions over a connection. Every mutation runs in
//! one write transaction together with its audit row.

pub mod admin;
pub mod audit;
pub mod authorization;
pub mod authz;
pub mod client_secrets;
pub mod clients;
pub mod credentials;
pub mod directory;
pub mod export;
pub mod grants;
pub mod ids;
pub mod import;
pub mod rate_limits;
pub mod signing;
pub mod tokens;
