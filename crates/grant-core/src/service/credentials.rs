//! Credentials of the gateways' callers. Tokens are random, prefixed, and stored only as a
//! SHA-256 digest (they carry 190+ bits of entropy, so a fast hash is enough); passwords are
//! argon2id PHC strings, verified off the async workers behind a bounded queue, with a
//! short-lived cache of successful verifications.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::config::HashingConfig;
use crate::model::AuditAction;
use crate::model::RecordKind;
use crate::model::{
    Credential, CredentialKind, CredentialStatus, IssuedSecret, NewCredential, now, to_millis,
};
use crate::service::{audit, ids};
use crate::store::rows::CredentialRow;
use crate::store::{DbConn, audit as audit_store, credentials, dialect};
use crate::{CoreError, Result};

/// SHA-256 of a token: how tokens are stored and looked up.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn argon2(cfg: &HashingConfig) -> Result<Argon2<'static>> {
    let params = Params::new(
        cfg.argon2_memory_kib,
        cfg.argon2_iterations,
        cfg.argon2_parallelism,
        None,
    )
    .map_err(|e| CoreError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into an argon2id PHC string (parameters travel with the hash).
pub fn hash_password(cfg: &HashingConfig, password: &SecretString) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2(cfg)?
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
}

/// Checks a password against a PHC string (constant-time inside argon2).
pub fn verify_password_blocking(phc: &str, password: &SecretString) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Creates a credential. Tokens get `token_prefix` + 40 random alphanumerics; a password
/// credential takes the given password (or a generated one). The secret is returned once.
pub fn create_credential(
    conn: &mut DbConn,
    tenant: &str,
    new: NewCredential,
    password: Option<SecretString>,
    hashing: &HashingConfig,
    actor: &str,
) -> Result<IssuedSecret> {
    if new.name.trim().is_empty() {
        return Err(CoreError::invalid("name", "must not be empty"));
    }
    let (secret, digest, password_hash) = match new.kind {
        CredentialKind::Password | CredentialKind::ClientSecret => {
            let secret = password.unwrap_or_else(|| SecretString::from(ids::random_alnum(24)));
            if secret.expose_secret().is_empty() {
                return Err(CoreError::invalid("password", "must not be empty"));
            }
            let hash = hash_password(hashing, &secret)?;
            (secret, None, Some(hash))
        }
        _ => {
            let token = match password {
                Some(given) => given.expose_secret().to_owned(),
                None => format!("{}{}", new.token_prefix, ids::random_alnum(40)),
            };
            let digest = token_digest(&token).to_vec();
            (SecretString::from(token), Some(digest), None)
        }
    };
    insert_credential(conn, tenant, new, digest, password_hash, actor)
        .map(|credential| IssuedSecret { credential, secret })
}

/// Stores a credential whose token digest or password hash is already computed.
pub fn insert_credential(
    conn: &mut DbConn,
    tenant: &str,
    new: NewCredential,
    digest: Option<Vec<u8>>,
    password_hash: Option<String>,
    actor: &str,
) -> Result<Credential> {
    let row = CredentialRow {
        id: ids::guid(),
        tenant_id: tenant.to_owned(),
        kind: new.kind.as_str().to_owned(),
        name: new.name,
        user_id: new.user_id,
        client_id: new.client_id,
        grant_id: new.grant_id,
        digest,
        password_hash,
        scopes: new.scopes.join(" "),
        roles: new.roles.join(","),
        status: CredentialStatus::Active.as_str().to_owned(),
        created_at: crate::store::rows::naive(now()),
        expires_at: new
            .expires_at
            .map(|t| crate::store::rows::naive(to_millis(t))),
        last_used_at: None,
    };
    let credential = Credential::try_from(row.clone())?;
    dialect::write_tx(conn, |conn| {
        credentials::insert_credentials(conn, std::slice::from_ref(&row))?;
        if matches!(
            credential.kind,
            CredentialKind::ApiToken | CredentialKind::Password | CredentialKind::ClientSecret
        ) {
            audit_store::insert_audit(
                conn,
                &[audit::record(
                    tenant,
                    actor,
                    AuditAction::CredentialCreated,
                    "credential",
                    &credential.id,
                    serde_json::json!({"kind": credential.kind, "name": credential.name}),
                )],
            )?;
        }
        Ok(credential.clone())
    })
}

/// The usable credential a token belongs to, or None (unknown, revoked, disabled, expired).
pub fn authenticate_token(conn: &mut DbConn, token: &str) -> Result<Option<Credential>> {
    let digest = token_digest(token);
    Ok(credentials::find_by_digest(conn, &digest)?.filter(|c| c.is_usable_at(now())))
}

pub fn set_credential_status(
    conn: &mut DbConn,
    tenant: &str,
    id: &str,
    status: CredentialStatus,
    actor: &str,
) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        if credentials::set_status(conn, tenant, id, status)? == 0 {
            return Err(CoreError::not_found(RecordKind::Credential, id));
        }
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::CredentialStatus,
                "credential",
                id,
                serde_json::json!({"status": status}),
            )],
        )?;
        Ok(())
    })
}

/// Credentials of `kind` bound to a client in any tenant, with their password hashes
/// (client secrets at a token endpoint: the client id names the tenant).
pub fn find_client_credentials(
    conn: &mut DbConn,
    kind: CredentialKind,
    client_id: &str,
) -> Result<Vec<(Credential, Option<String>)>> {
    credentials::find_by_client(conn, kind, client_id)
}

/// Changes a credential's label and expiry; audited.
pub fn update_credential(
    conn: &mut DbConn,
    tenant: &str,
    id: &str,
    name: &str,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    actor: &str,
) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        if credentials::set_name(conn, tenant, id, name)? == 0 {
            return Err(CoreError::not_found(RecordKind::Credential, id));
        }
        credentials::set_expiry(conn, tenant, id, expires_at.map(to_millis))?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::CredentialUpdated,
                "credential",
                id,
                serde_json::json!({"name": name, "expires_at": expires_at}),
            )],
        )?;
        Ok(())
    })
}

/// Verifies passwords off the async workers: at most `max_hash_threads` argon2 runs at once,
/// at most `4 × max_hash_threads` callers waiting (beyond that: unavailable, so a flood of
/// bad passwords cannot exhaust memory), and successful checks remembered for a short time.
pub struct PasswordVerifier {
    permits: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    hashes_run: AtomicUsize,
    cache_key: [u8; 32],
    ttl: Duration,
    capacity: usize,
    verified: Mutex<HashMap<[u8; 32], Instant>>,
}

impl std::fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordVerifier")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl PasswordVerifier {
    pub fn new(cfg: &HashingConfig) -> Self {
        let mut cache_key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut cache_key);
        let threads = cfg.max_hash_threads.max(1);
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(threads)),
            waiting: AtomicUsize::new(0),
            max_waiting: threads * 4,
            hashes_run: AtomicUsize::new(0),
            cache_key,
            ttl: Duration::from_secs(cfg.verified_cache_ttl_secs),
            capacity: cfg.verified_cache_capacity.max(1),
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Keyed digest of (stored hash, password): a changed password or hash never hits.
    fn cache_entry(&self, phc: &str, password: &SecretString) -> [u8; 32] {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.cache_key) {
            Ok(m) => m,
            Err(_) => return [0; 32],
        };
        mac.update(phc.as_bytes());
        mac.update(&[0]);
        mac.update(password.expose_secret().as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn cached(&self, entry: &[u8; 32]) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let Ok(map) = self.verified.lock() else {
            return false;
        };
        // The key is a keyed MAC of the secret, so a map lookup leaks nothing useful.
        map.get(entry).is_some_and(|at| at.elapsed() < self.ttl)
    }

    fn remember(&self, entry: [u8; 32]) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.verified.lock() {
            if map.len() >= self.capacity {
                let ttl = self.ttl;
                map.retain(|_, at| at.elapsed() < ttl);
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
            map.insert(entry, Instant::now());
        }
    }

    /// How many argon2 verifications have run (cache hits excluded).
    pub fn hashes_run(&self) -> usize {
        self.hashes_run.load(Ordering::Relaxed)
    }

    /// True when `password` matches the PHC string `phc`.
    pub async fn verify(&self, phc: String, password: SecretString) -> Result<bool> {
        let entry = self.cache_entry(&phc, &password);
        if self.cached(&entry) {
            return Ok(true);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(CoreError::Unavailable(
                "too many password verifications in progress".into(),
            ));
        }
        let permit = self.permits.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = permit.map_err(|_| CoreError::Internal("verifier closed".into()))?;
        self.hashes_run.fetch_add(1, Ordering::Relaxed);
        let ok = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_password_blocking(&phc, &password)
        })
        .await
        .map_err(|e| CoreError::Internal(format!("verifier task: {e}")))?;
        if ok {
            self.remember(entry);
        }
        Ok(ok)
    }
}
