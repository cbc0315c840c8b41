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
    use chrono::{DateTime, Utc};
    use secrecy::{ExposeSecret, SecretString};

    use crate::model::TenantId;
    use crate::model::{
        Client, Credential, CredentialKind, Grant, IssuedSecret, NewClient, NewCredential,
        NewGrant, NewUser, ScopeSet, User,
    };
    use crate::service::{clients, credentials, directory, grants};
    use crate::{DbConn, HashingConfig, Store};

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
            directory::create_user(&mut self.conn(), TenantId::new(tenant), new, "test")
                .expect("user")
        }

        pub fn client(&self, tenant: &str, id: &str) -> Client {
            let new = NewClient {
                id: Some(id.into()),
                name: Some(id.into()),
                ..NewClient::default()
            };
            clients::create_client(&mut self.conn(), TenantId::new(tenant), new, "test")
                .expect("client")
        }

        pub fn grant(&self, tenant: &str, user: &User, client: &str, scope: &str) -> Grant {
            let mut new = NewGrant::new(&user.id, client);
            // An empty scope: a grant without any.
            new.scopes = ScopeSet::from_names([scope].into_iter().filter(|s| !s.is_empty()));
            new.issuer = "https://issuer.test".into();
            grants::issue_grant(&mut self.conn(), TenantId::new(tenant), new, "test")
                .expect("grant")
        }
    }

    /// A `NewCredential` the way tests make them: a unique name, no scopes, roles, owner or
    /// expiry, the gateways' defaults for `faces`; set what the test is about.
    ///
    /// ```ignore
    /// let token = credential(CredentialKind::ApiToken).roles(&["SUPER_ADMIN"]).user(&alice.id)
    ///     .prefix("00").issue(&mut conn, tenant);
    /// ```
    pub fn credential(kind: CredentialKind) -> CredentialBuilder {
        CredentialBuilder {
            new: NewCredential {
                kind,
                name: format!("t{}", crate::service::ids::random_alnum(12)),
                user_id: None,
                client_id: None,
                grant_id: None,
                scopes: vec![],
                roles: vec![],
                expires_at: None,
                token_prefix: String::new(),
                faces: vec![],
            },
        }
    }

    /// See [`credential`].
    #[derive(Debug, Clone)]
    pub struct CredentialBuilder {
        pub new: NewCredential,
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    impl CredentialBuilder {
        pub fn name(mut self, name: &str) -> Self {
            self.new.name = name.into();
            self
        }
        pub fn user(mut self, user_id: &str) -> Self {
            self.new.user_id = Some(user_id.into());
            self
        }
        pub fn client(mut self, client_id: &str) -> Self {
            self.new.client_id = Some(client_id.into());
            self
        }
        pub fn grant(mut self, grant_id: &str) -> Self {
            self.new.grant_id = Some(grant_id.into());
            self
        }
        pub fn scopes(mut self, scopes: &[&str]) -> Self {
            self.new.scopes = strings(scopes);
            self
        }
        pub fn roles(mut self, roles: &[&str]) -> Self {
            self.new.roles = strings(roles);
            self
        }
        pub fn faces(mut self, faces: &[&str]) -> Self {
            self.new.faces = strings(faces);
            self
        }
        pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
            self.new.expires_at = Some(at);
            self
        }
        /// Token prefix (tokens only: the random part follows it).
        pub fn prefix(mut self, prefix: &str) -> Self {
            self.new.token_prefix = prefix.into();
            self
        }
        pub fn build(self) -> NewCredential {
            self.new
        }

        /// Stores it with `secret` (a password, or a token's exact value) or a generated
        /// one, hashing passwords with `hashing`.
        pub fn issue_with(
            self,
            conn: &mut DbConn,
            tenant: &str,
            secret: Option<&str>,
            hashing: &HashingConfig,
        ) -> IssuedSecret {
            credentials::create_credential(
                conn,
                TenantId::new(tenant),
                self.new,
                secret.map(SecretString::from),
                hashing,
                "test",
            )
            .expect("credential")
        }

        /// Stores it with a generated secret (passwords hashed with `fast_hashing`) and
        /// returns the secret.
        pub fn issue(self, conn: &mut DbConn, tenant: &str) -> String {
            self.issue_with(conn, tenant, None, &super::fast_hashing())
                .secret
                .expose_secret()
                .to_owned()
        }

        /// Stores a password or client secret credential with this secret, hashed with
        /// `fast_hashing` (the hashing test servers use).
        pub fn issue_secret(self, conn: &mut DbConn, tenant: &str, secret: &str) -> Credential {
            self.issue_with(conn, tenant, Some(secret), &super::fast_hashing())
                .credential
        }
    }
}

/// Moving the authorization engine's clocks back, for tests of what happens later than a
/// test can wait (an expired code, a replay after the refresh leeway).
#[allow(clippy::expect_used)]
pub mod clock {
    use chrono::Duration;
    use diesel::prelude::*;

    use crate::DbConn;
    use crate::model::now;
    use crate::store::schema::{authorization_codes, refresh_tokens};

    /// Every authorization code expired a second ago.
    pub fn expire_codes(conn: &mut DbConn) {
        let past = (now() - Duration::seconds(1)).naive_utc();
        diesel::update(authorization_codes::table)
            .set(authorization_codes::expires_at.eq(past))
            .execute(conn)
            .expect("expire codes");
    }

    /// Every rotated refresh token rotated `secs` seconds ago.
    pub fn age_rotations(conn: &mut DbConn, secs: i64) {
        let past = (now() - Duration::seconds(secs)).naive_utc();
        diesel::update(refresh_tokens::table.filter(refresh_tokens::rotated_at.is_not_null()))
            .set(refresh_tokens::rotated_at.eq(Some(past)))
            .execute(conn)
            .expect("age rotations");
    }
}
