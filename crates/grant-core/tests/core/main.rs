//! The grant-core suite. Runs on SQLite by default and on PostgreSQL when
//! GRANT_TEST_DATABASE_URL is set (scripts/test-all.sh runs it both ways).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod clients;
mod consents;
mod credentials;
mod directory;
mod export_import;
mod grants;
mod migrations;
mod store;

use grant_core::model::TenantId;

/// The tenant the tests work in.
const TENANT: &TenantId = TenantId::new("t");
