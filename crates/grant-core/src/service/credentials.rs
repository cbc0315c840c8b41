//! Credentials of the gateways' callers. Tokens are random, prefixed, and stored only as a
//! SHA-256 digest (they carry 190+ bits of entropy, so a fast hash is enough); passwords are
//! argon2id PHC strings, verified off the async workers behind a bounded queue, with a
//! short-lived cache of successful verifications.

use crate::model::{ClientId, CredentialId, TenantId};
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
    Credential, CredentialKind, CredentialStatus, Face, IssuedSecret, NewCredential, Principal,
    UserKey, default_faces, now, to_millis, valid_face,
};
use crate::service::{audit, ids};
use crate::store::rows::{CredentialRow, json_list};
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
    tenant: &TenantId,
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
    tenant: &TenantId,
    new: NewCredential,
    digest: Option<Vec<u8>>,
    password_hash: Option<String>,
    actor: &str,
) -> Result<Credential> {
    if let Some(bad) = new.faces.iter().find(|f| !valid_face(f)) {
        return Err(CoreError::invalid(
            "faces",
            format!("unknown face {bad:?} (okta, venafi, ocs, pingfed, pingfed:<PCV name>)"),
        ));
    }
    let faces = if new.faces.is_empty() {
        default_faces(
            new.kind,
            new.user_id.as_deref(),
            new.grant_id.as_deref(),
            &new.scopes,
        )
    } else {
        new.faces.clone()
    };
    let row = CredentialRow {
        id: ids::guid(),
        tenant_id: tenant.to_string(),
        kind: new.kind.as_str().to_owned(),
        name: new.name,
        user_id: new.user_id,
        client_id: new.client_id,
        grant_id: new.grant_id,
        digest,
        password_hash,
        scopes: json_list(&new.scopes),
        roles: json_list(&new.roles),
        status: CredentialStatus::Active.as_str().to_owned(),
        created_at: crate::store::rows::naive(now()),
        expires_at: new
            .expires_at
            .map(|t| crate::store::rows::naive(to_millis(t))),
        last_used_at: None,
        faces: crate::store::rows::faces_column(&faces),
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
                    serde_json::json!({
                        "kind": credential.kind,
                        "name": credential.name,
                        "faces": credential.faces,
                    }),
                )],
            )?;
        }
        Ok(credential.clone())
    })
}

/// The usable credential a token belongs to, made for `face`, or None (unknown, revoked,
/// disabled, expired, or made for another gateway).
pub fn authenticate_token(
    conn: &mut DbConn,
    token: &str,
    face: &Face<'_>,
) -> Result<Option<Credential>> {
    let digest = token_digest(token);
    Ok(credentials::find_by_digest(conn, &digest)?
        .filter(|c| c.is_usable_at(now()) && c.is_made_for(face)))
}

/// Like `authenticate_token`, with the user the credential acts as (its roles included).
pub fn authenticate_principal(
    conn: &mut DbConn,
    token: &str,
    face: &Face<'_>,
) -> Result<Option<Principal>> {
    let Some(credential) = authenticate_token(conn, token, face)? else {
        return Ok(None);
    };
    let user = match credential.user_id.as_deref() {
        Some(id) => crate::store::users::find_user(conn, &credential.tenant_id, UserKey::Id, id)?,
        None => None,
    };
    Ok(Some(Principal { credential, user }))
}

pub fn set_credential_status(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &CredentialId,
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
    client_id: &ClientId,
) -> Result<Vec<(Credential, Option<String>)>> {
    credentials::find_by_client(conn, kind, client_id)
}

/// Changes a credential's label and expiry; audited.
pub fn update_credential(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &CredentialId,
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

/// Verifies passwords off the async workers, fairly:
///
/// - at most `max_hash_threads` argon2 runs at once and `max_queued_verifications` callers
///   waiting for one (beyond that: unavailable, so a flood cannot exhaust memory);
/// - concurrent checks of the same (hash, password) share one run (single flight);
/// - successes are remembered for `verified_cache_ttl_secs`; a remembered success is
///   answered at once, never behind argon2 work, and one seen in the second half of its
///   life is re-verified in the background, so a credential in use never drops out of the
///   cache;
/// - each source address may have at most `max_verifications_per_source` uncached checks
///   waiting or running, and after `failed_logins_per_source` failures in a window its
///   further uncached attempts fail without hashing: one address's wrong-password flood
///   cannot take the queue from everybody else (a locked-out address is refused even
///   what the cache would accept: it must not go on guessing at no cost).
pub struct PasswordVerifier {
    inner: Arc<Inner>,
    /// A hash of a random password with the configured parameters: what an unknown user's
    /// password is checked against, so unknown and known users cost the same.
    decoy: String,
}

struct Inner {
    permits: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    per_source: usize,
    failures_per_source: u32,
    failure_window: Duration,
    hashes_run: AtomicUsize,
    cache_key: [u8; 32],
    ttl: Duration,
    capacity: usize,
    verified: Mutex<HashMap<[u8; 32], Instant>>,
    in_flight: Mutex<HashMap<[u8; 32], Flight>>,
    sources: Mutex<HashMap<String, SourceState>>,
}

type Flight = Arc<tokio::sync::OnceCell<bool>>;

#[derive(Debug, Clone, Copy)]
struct SourceState {
    running: usize,
    window_start: Instant,
    failures: u32,
}

/// At most this many source addresses are tracked; past it, idle ones are forgotten.
const MAX_SOURCES: usize = 100_000;

impl std::fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordVerifier")
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

/// What the cache knows about an entry.
enum Cached {
    Miss,
    Fresh,
    /// Valid, but past half its life: answer yes and refresh in the background.
    Ageing,
}

impl PasswordVerifier {
    pub fn new(cfg: &HashingConfig) -> Self {
        let mut cache_key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut cache_key);
        let threads = cfg.max_hash_threads.max(1);
        let decoy =
            hash_password(cfg, &SecretString::from(ids::random_alnum(32))).unwrap_or_else(|e| {
                log::error!("cannot make the decoy password hash: {e}");
                String::new()
            });
        Self {
            inner: Arc::new(Inner {
                permits: Arc::new(tokio::sync::Semaphore::new(threads)),
                waiting: AtomicUsize::new(0),
                max_waiting: cfg.max_queued_verifications.max(1),
                per_source: cfg.max_verifications_per_source.max(1),
                failures_per_source: cfg.failed_logins_per_source,
                failure_window: Duration::from_secs(cfg.failed_login_window_secs.max(1)),
                hashes_run: AtomicUsize::new(0),
                cache_key,
                ttl: Duration::from_secs(cfg.verified_cache_ttl_secs),
                capacity: cfg.verified_cache_capacity.max(1),
                verified: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashMap::new()),
                sources: Mutex::new(HashMap::new()),
            }),
            decoy,
        }
    }

    /// How many argon2 verifications have run (cache hits and shared runs excluded).
    pub fn hashes_run(&self) -> usize {
        self.inner.hashes_run.load(Ordering::Relaxed)
    }

    /// How many verifications are waiting for an argon2 thread now (for metrics).
    pub fn queued(&self) -> usize {
        self.inner.waiting.load(Ordering::Relaxed)
    }

    /// True when `password` matches the PHC string `phc` (callers without a source address).
    pub async fn verify(&self, phc: String, password: SecretString) -> Result<bool> {
        self.verify_from(phc, password, "").await
    }

    /// Checks `password` against the decoy hash (an unknown user): always false, at the
    /// cost of a real verification.
    pub async fn verify_decoy(&self, password: SecretString, source: &str) -> Result<bool> {
        self.verify_from(self.decoy.clone(), password, source)
            .await
            .map(|_| false)
    }

    /// True when `password` matches the PHC string `phc`; `source` is the caller's address
    /// (for the per-source limits).
    pub async fn verify_from(
        &self,
        phc: String,
        password: SecretString,
        source: &str,
    ) -> Result<bool> {
        let inner = &self.inner;
        // A locked-out address learns nothing, not even from the cache (which would
        // otherwise answer its guesses without any hashing cost).
        if inner.locked_out(source) {
            return Ok(false);
        }
        let entry = inner.cache_entry(&phc, &password);
        match inner.cached(&entry) {
            Cached::Fresh => return Ok(true),
            Cached::Ageing => {
                self.refresh_in_background(entry, phc, password);
                return Ok(true);
            }
            Cached::Miss => {}
        }
        let flight = FlightGuard {
            inner,
            entry,
            flight: inner.join_flight(entry),
        };
        let result = flight
            .flight
            .get_or_try_init(|| inner.run(phc, password, source))
            .await
            .copied();
        drop(flight);
        let ok = result?;
        if ok {
            inner.remember(entry);
        } else {
            inner.failed(source);
        }
        Ok(ok)
    }

    /// Re-verifies an ageing cache entry off the request, at most once at a time per entry
    /// and only when a queue place is free (otherwise a later hit tries again).
    fn refresh_in_background(&self, entry: [u8; 32], phc: String, password: SecretString) {
        let inner = Arc::clone(&self.inner);
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let Ok(mut flights) = inner.in_flight.lock() else {
                return;
            };
            if flights.contains_key(&entry) {
                return;
            }
            flights.insert(entry, Flight::default());
        }
        handle.spawn(async move {
            let inner = &*inner;
            let flight = FlightGuard {
                inner,
                entry,
                flight: inner.join_flight(entry),
            };
            let result = flight
                .flight
                .get_or_try_init(|| inner.run(phc, password, ""))
                .await
                .copied();
            drop(flight);
            match result {
                Ok(true) => inner.remember(entry),
                Ok(false) => inner.forget(&entry),
                Err(_) => {}
            }
        });
    }
}

impl Inner {
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

    fn cached(&self, entry: &[u8; 32]) -> Cached {
        if self.ttl.is_zero() {
            return Cached::Miss;
        }
        let Ok(map) = self.verified.lock() else {
            return Cached::Miss;
        };
        // The key is a keyed MAC of the secret, so a map lookup leaks nothing useful.
        match map.get(entry).map(Instant::elapsed) {
            Some(age) if age < self.ttl / 2 => Cached::Fresh,
            Some(age) if age < self.ttl => Cached::Ageing,
            _ => Cached::Miss,
        }
    }

    fn remember(&self, entry: [u8; 32]) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.verified.lock() {
            if map.len() >= self.capacity && !map.contains_key(&entry) {
                let ttl = self.ttl;
                map.retain(|_, at| at.elapsed() < ttl);
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
            map.insert(entry, Instant::now());
        }
    }

    fn forget(&self, entry: &[u8; 32]) {
        if let Ok(mut map) = self.verified.lock() {
            map.remove(entry);
        }
    }

    /// The shared run for `entry`: joined when one is under way, else started.
    fn join_flight(&self, entry: [u8; 32]) -> Flight {
        match self.in_flight.lock() {
            Ok(mut flights) => Arc::clone(flights.entry(entry).or_default()),
            Err(_) => Flight::default(),
        }
    }

    fn leave_flight(&self, entry: &[u8; 32], flight: &Flight) {
        if let Ok(mut flights) = self.in_flight.lock()
            && flights.get(entry).is_some_and(|f| Arc::ptr_eq(f, flight))
            && (flight.initialized() || Arc::strong_count(flight) <= 2)
        {
            flights.remove(entry);
        }
    }

    /// True when `source` has failed too often in its current window.
    fn locked_out(&self, source: &str) -> bool {
        if self.failures_per_source == 0 || source.is_empty() {
            return false;
        }
        let Ok(sources) = self.sources.lock() else {
            return false;
        };
        sources.get(source).is_some_and(|s| {
            s.window_start.elapsed() < self.failure_window && s.failures >= self.failures_per_source
        })
    }

    fn with_source<T>(&self, source: &str, f: impl FnOnce(&mut SourceState) -> T) -> Option<T> {
        if source.is_empty() {
            return None;
        }
        let mut sources = self.sources.lock().ok()?;
        if sources.len() >= MAX_SOURCES && !sources.contains_key(source) {
            let window = self.failure_window;
            sources.retain(|_, s| s.running > 0 || s.window_start.elapsed() < window);
            if sources.len() >= MAX_SOURCES {
                return None;
            }
        }
        let state = sources.entry(source.to_owned()).or_insert(SourceState {
            running: 0,
            window_start: Instant::now(),
            failures: 0,
        });
        Some(f(state))
    }

    fn failed(&self, source: &str) {
        let window = self.failure_window;
        self.with_source(source, |s| {
            if s.window_start.elapsed() >= window {
                s.window_start = Instant::now();
                s.failures = 0;
            }
            s.failures = s.failures.saturating_add(1);
        });
    }

    /// One argon2 run for the flight, admitted by the per-source and global queue limits.
    async fn run(&self, phc: String, password: SecretString, source: &str) -> Result<bool> {
        let per_source = self.per_source;
        let admitted = self.with_source(source, |s| {
            if s.running >= per_source {
                false
            } else {
                s.running += 1;
                true
            }
        });
        if admitted == Some(false) {
            return Err(CoreError::Unavailable(
                "too many password verifications from this address".into(),
            ));
        }
        let _slot = SourceSlot {
            inner: self,
            source: admitted.map(|_| source),
        };
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
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_password_blocking(&phc, &password)
        })
        .await
        .map_err(|e| CoreError::Internal(format!("verifier task: {e}")))
    }
}

/// A caller's share in a flight: leaves it on drop (also when the request is cancelled), and
/// the last one out removes it from the map.
struct FlightGuard<'a> {
    inner: &'a Inner,
    entry: [u8; 32],
    flight: Flight,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        self.inner.leave_flight(&self.entry, &self.flight);
    }
}

/// A source's place among the running verifications, given back on drop (also when the
/// waiting request is cancelled).
struct SourceSlot<'a> {
    inner: &'a Inner,
    source: Option<&'a str>,
}

impl Drop for SourceSlot<'_> {
    fn drop(&mut self) {
        if let Some(source) = self.source {
            self.inner.with_source(source, |s| {
                s.running = s.running.saturating_sub(1);
            });
        }
    }
}

/// A password login at a gateway, the one way every face checks a username and password:
/// looks the password credential up, verifies the password (an unknown user against the
/// decoy hash, so both cost the same), and accepts it only when it is usable and made for
/// `face`. Every refusal is `Unauthenticated` — an unknown user, a wrong password, a locked,
/// disabled or expired credential and one made for another gateway look alike. `source` is
/// the client's address (per-source limits of the verifier).
pub async fn login_password(
    store: &crate::Store,
    verifier: &PasswordVerifier,
    tenant: &TenantId,
    face: &Face<'_>,
    username: &str,
    password: SecretString,
    source: &str,
) -> Result<Credential> {
    let found = {
        let tenant = tenant.to_string();
        let username = username.to_owned();
        store
            .with_conn(move |conn| credentials::find_password(conn, &tenant, &username))
            .await?
    };
    let Some((credential, phc)) = found else {
        verifier.verify_decoy(password, source).await?;
        return Err(CoreError::Unauthenticated);
    };
    let ok = verifier.verify_from(phc, password, source).await?;
    if ok && credential.is_usable_at(now()) && credential.is_made_for(face) {
        Ok(credential)
    } else {
        Err(CoreError::Unauthenticated)
    }
}
