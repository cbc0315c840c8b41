//! Wire-level tests of pingfed-compat on a running server (SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set): status, headers and exact JSON, whole bodies as insta
//! snapshots under `snapshots/`. One test binary (one link); one module per feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod auth;
mod grants;
mod import;
mod oauth;
mod password_verification;
mod runtime_log;
mod security;
