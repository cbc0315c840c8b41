//! Wire-level tests of ocs-compat on a running server (SQLite, or PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set): status, headers and exact JSON, whole bodies as insta
//! snapshots under `snapshots/`. One test binary (one link); one module per feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod connect;

mod authorization_code_clients;
mod client_credential_clients;
mod import;
mod persisted_grants;
mod security;
mod tenants;
mod token_service;
