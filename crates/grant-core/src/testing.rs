//! Test databases: a SQLite file in a temporary directory by default, or — when
//! `GRANT_TEST_DATABASE_URL` names a PostgreSQL database — a fresh schema in it, selected
//! through the connection's `search_path` and dropped when the test ends.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::config::{DatabaseConfig, HashingConfig};
use crate::{Backend, Store};

pub const TEST_DATABASE_ENV: &str = "GRANT_TEST_DATABASE_URL";

pub struct TestDb {
    pub config: DatabaseConfig,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    /// A new, empty database on the backend the environment selects.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        match std::env::var(TEST_DATABASE_ENV)
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(base) => {
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    PgConnection::establish(&base).expect("connect to the test PostgreSQL");
                admin
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .expect("create test schema");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
                Self {
                    config: DatabaseConfig {
                        url,
                        pool_size: 4,
                        ..DatabaseConfig::default()
                    },
                    _dir: None,
                    pg_schema: Some((base, schema)),
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Self {
                    config: DatabaseConfig {
                        url,
                        pool_size: 4,
                        ..DatabaseConfig::default()
                    },
                    _dir: Some(dir),
                    pg_schema: None,
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        if self.pg_schema.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// Connects (and migrates) a store on this database.
    #[allow(clippy::expect_used)]
    pub fn store(&self) -> Store {
        Store::connect(&self.config).expect("connect test store")
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg_schema
            && let Ok(mut admin) = PgConnection::establish(base)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Cheap argon2 parameters for tests (the real defaults take ~50 ms per hash).
pub fn fast_hashing() -> HashingConfig {
    HashingConfig {
        argon2_memory_kib: 256,
        argon2_iterations: 1,
        ..HashingConfig::default()
    }
}

/// A test database with its store, and builders for the records most tests need.
#[allow(clippy::expect_used)]
pub mod fixture {
    use crate::Store;
    use crate::model::{Client, Grant, NewClient, NewGrant, NewUser, ScopeSet, User};
    use crate::service::{clients, directory, grants};

    use super::TestDb;

    pub struct Fixture {
        _db: TestDb,
        pub store: Store,
    }

    impl Default for Fixture {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Fixture {
        pub fn new() -> Self {
            let db = TestDb::new();
            let store = db.store();
            Self { _db: db, store }
        }

        pub fn conn(&self) -> crate::store::PooledConn {
            self.store.conn().expect("test connection")
        }

        pub fn tenant(&self, id: &str) {
            directory::create_tenant(&mut self.conn(), Some(id.into()), id).expect("tenant");
        }

        pub fn user(&self, tenant: &str, login: &str) -> User {
            let new = NewUser {
                login: login.into(),
                ..NewUser::default()
            };
            directory::create_user(&mut self.conn(), tenant, new, "test").expect("user")
        }

        pub fn client(&self, tenant: &str, id: &str) -> Client {
            let new = NewClient {
                id: Some(id.into()),
                name: Some(id.into()),
                ..NewClient::default()
            };
            clients::create_client(&mut self.conn(), tenant, new, "test").expect("client")
        }

        pub fn grant(&self, tenant: &str, user: &User, client: &str, scope: &str) -> Grant {
            let mut new = NewGrant::new(&user.id, client);
            new.scopes = ScopeSet::from_names([scope]);
            new.issuer = "https://issuer.test".into();
            grants::issue_grant(&mut self.conn(), tenant, new, "test").expect("grant")
        }
    }
}
