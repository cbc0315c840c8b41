//! Wire-level tests of venafi-compat on a running server (HTTPS; SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set): status, headers and exact JSON, whole bodies as insta
//! snapshots under `snapshots/`. One test binary (one link); one module per feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod authorize;
mod errors;
mod grants;
mod integrations;
mod security;
mod tls_reload;
mod tokens;
