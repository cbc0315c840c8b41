//! RS256 signing keys of the authorization servers, and the JWTs they sign.
//!
//! Keys live in the store (one `active` per server; `expired` ones stay published so tokens
//! they signed still verify). A key is made the first time a server signs or publishes its
//! keys; `grantctl auth-server rotate-keys` replaces it. Each process keeps the parsed key
//! pair of every server it signs for (parsing a private key costs more than signing), and
//! re-reads the store after [`KEY_CACHE_TTL`] so a rotation made elsewhere takes over.
//!
//! ring signs and verifies; the `rsa` crate only generates keys (ring cannot).

use crate::model::TenantId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::signature::{self, RsaKeyPair, RsaPublicKeyComponents};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{AuditAction, KeyStatus, PublicKey, now};
use crate::service::audit;
use crate::store::authorization::{self as store, KeyRow};
use crate::store::rows::naive;
use crate::store::{DbConn, audit as audit_store, dialect};
use crate::{CoreError, Result};

/// How long a process trusts what it read of a server's keys.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(60);
const KEY_BITS: usize = 2048;

struct SigningKey {
    kid: String,
    pair: RsaKeyPair,
}

type ServerKey = (String, String);
/// What a process read of a server's keys, and when.
type Cached<T> = Mutex<HashMap<ServerKey, (Instant, T)>>;

/// The per-process key cache; one per gateway, shared by its workers.
#[derive(Default)]
pub struct Signer {
    signing: Cached<Arc<SigningKey>>,
    public: Cached<Arc<Vec<PublicKey>>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").finish_non_exhaustive()
    }
}

fn fresh<T: Clone>(map: &Cached<T>, key: &ServerKey) -> Option<T> {
    let map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.get(key)
        .filter(|(at, _)| at.elapsed() < KEY_CACHE_TTL)
        .map(|(_, v)| v.clone())
}

impl Signer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Signs `claims` as a compact JWS with the server's active key (made if it has none).
    pub fn sign(
        &self,
        conn: &mut DbConn,
        tenant: &TenantId,
        server: &str,
        claims: &Map<String, Value>,
    ) -> Result<String> {
        self.sign_typed(conn, tenant, server, None, claims)
    }

    /// Like [`Signer::sign`], with a `typ` header (`at+jwt`, RFC 9068).
    pub fn sign_typed(
        &self,
        conn: &mut DbConn,
        tenant: &TenantId,
        server: &str,
        typ: Option<&str>,
        claims: &Map<String, Value>,
    ) -> Result<String> {
        let key = self.signing_key(conn, tenant, server)?;
        let header = match typ {
            Some(typ) => serde_json::json!({"alg": "RS256", "kid": key.kid, "typ": typ}),
            None => serde_json::json!({"kid": key.kid, "alg": "RS256"}),
        };
        let mut jwt = String::with_capacity(1024);
        B64.encode_string(serde_json::to_vec(&header)?, &mut jwt);
        jwt.push('.');
        B64.encode_string(serde_json::to_vec(claims)?, &mut jwt);
        let mut sig = vec![0u8; key.pair.public().modulus_len()];
        key.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                jwt.as_bytes(),
                &mut sig,
            )
            .map_err(|_| CoreError::Internal("RS256 signing failed".into()))?;
        jwt.push('.');
        B64.encode_string(&sig, &mut jwt);
        Ok(jwt)
    }

    /// The server's published keys (its active key made first if it has none).
    pub fn public_keys(
        &self,
        conn: &mut DbConn,
        tenant: &TenantId,
        server: &str,
    ) -> Result<Arc<Vec<PublicKey>>> {
        let id = (tenant.to_string(), server.to_owned());
        if let Some(keys) = fresh(&self.public, &id) {
            return Ok(keys);
        }
        let mut keys = store::public_keys(conn, tenant, server)?;
        if !keys.iter().any(|k| k.status == KeyStatus::Active) {
            self.signing_key(conn, tenant, server)?;
            keys = store::public_keys(conn, tenant, server)?;
        }
        let keys = Arc::new(keys);
        self.public
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// The claims of a JWT this server signed, if its signature verifies against one of the
    /// server's keys (`None` otherwise: malformed, unknown `kid`, bad signature). Times are
    /// not checked here.
    pub fn verify(
        &self,
        conn: &mut DbConn,
        tenant: &TenantId,
        server: &str,
        jwt: &str,
    ) -> Result<Option<Map<String, Value>>> {
        let mut parts = jwt.splitn(3, '.');
        let (Some(h), Some(c), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(None);
        };
        let (Ok(header), Ok(sig)) = (B64.decode(h), B64.decode(s)) else {
            return Ok(None);
        };
        let Ok(header) = serde_json::from_slice::<Map<String, Value>>(&header) else {
            return Ok(None);
        };
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Ok(None);
        }
        let Some(kid) = header.get("kid").and_then(Value::as_str) else {
            return Ok(None);
        };
        let mut keys = self.public_keys(conn, tenant, server)?;
        if !keys.iter().any(|k| k.kid == kid) {
            // Rotated by another process since this one looked: read again once.
            self.public
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&(tenant.to_string(), server.to_owned()));
            keys = self.public_keys(conn, tenant, server)?;
        }
        let Some(key) = keys.iter().find(|k| k.kid == kid) else {
            return Ok(None);
        };
        let (Ok(n), Ok(e)) = (B64.decode(&key.n), B64.decode(&key.e)) else {
            return Ok(None);
        };
        let signed = &jwt[..h.len() + 1 + c.len()];
        if (RsaPublicKeyComponents { n, e })
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &sig,
            )
            .is_err()
        {
            return Ok(None);
        }
        let Ok(claims) = B64.decode(c) else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&claims).ok())
    }

    /// The claims of an access token this server signed that has not expired (`exp` in the
    /// future, `jti` an access token's): `None` for anything else.
    pub fn verify_access_token(
        &self,
        conn: &mut DbConn,
        tenant: &TenantId,
        server: &str,
        jwt: &str,
    ) -> Result<Option<Map<String, Value>>> {
        let Some(claims) = self.verify(conn, tenant, server, jwt)? else {
            return Ok(None);
        };
        let now = chrono::Utc::now().timestamp();
        let live = claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_some_and(|e| e > now)
            && claims
                .get("jti")
                .and_then(Value::as_str)
                .is_some_and(|j| j.starts_with("AT."));
        Ok(live.then_some(claims))
    }

    fn signing_key(
        &self,
        conn: &mut DbConn,
        tenant: &TenantId,
        server: &str,
    ) -> Result<Arc<SigningKey>> {
        let id = (tenant.to_string(), server.to_owned());
        if let Some(key) = fresh(&self.signing, &id) {
            return Ok(key);
        }
        let (kid, der) = match store::key_with_status(conn, tenant, server, KeyStatus::Active)? {
            Some(found) => found,
            None => {
                let row = new_key_row(tenant, server, KeyStatus::Active)?;
                // Another replica may have made one a moment before: the store keeps one.
                store::insert_key(conn, &row)?;
                store::key_with_status(conn, tenant, server, KeyStatus::Active)?
                    .ok_or_else(|| CoreError::Internal("signing key vanished".into()))?
            }
        };
        let pair = RsaKeyPair::from_der(&der)
            .map_err(|e| CoreError::Internal(format!("stored signing key {kid}: {e}")))?;
        let key = Arc::new(SigningKey { kid, pair });
        self.signing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (Instant::now(), key.clone()));
        Ok(key)
    }

    /// Forgets what this process read of a server's keys (after a rotation it made).
    pub fn forget(&self, tenant: &TenantId, server: &str) {
        let id = (tenant.to_string(), server.to_owned());
        self.signing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        self.public
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }
}

/// A new RSA key as a row: PKCS#1 DER private key, base64url modulus and exponent, and
/// its RFC 7638 thumbprint as `kid` (43 characters, as Okta's kids are).
fn new_key_row(tenant: &TenantId, server: &str, status: KeyStatus) -> Result<KeyRow> {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)
        .map_err(|e| CoreError::Internal(format!("RSA key generation: {e}")))?;
    let der = key
        .to_pkcs1_der()
        .map_err(|e| CoreError::Internal(format!("RSA key encoding: {e}")))?;
    let n = B64.encode(key.n().to_bytes_be());
    let e = B64.encode(key.e().to_bytes_be());
    let thumbprint = Sha256::digest(format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#).as_bytes());
    Ok(KeyRow {
        tenant_id: tenant.to_string(),
        server_id: server.to_owned(),
        kid: B64.encode(thumbprint),
        status: status.as_str().to_owned(),
        private_key: der.as_bytes().to_vec(),
        modulus: n,
        exponent: e,
        created_at: naive(now()),
    })
}

/// Every tenant's published keys of a server id (one JWKS for a face whose key set is not
/// per tenant).
pub fn public_keys_any_tenant(conn: &mut DbConn, server: &str) -> Result<Vec<PublicKey>> {
    store::public_keys_any_tenant(conn, server)
}

/// Replaces the server's active key with a new one at once (Okta's `keyRotate`); the old
/// one stays published as `expired` so tokens it signed still verify. Audited.
pub fn rotate_keys(
    conn: &mut DbConn,
    tenant: &TenantId,
    server: &str,
    actor: &str,
) -> Result<PublicKey> {
    let row = new_key_row(tenant, server, KeyStatus::Active)?;
    dialect::write_tx(conn, |conn| {
        store::set_key_status(conn, tenant, server, KeyStatus::Next, KeyStatus::Expired)?;
        store::set_key_status(conn, tenant, server, KeyStatus::Active, KeyStatus::Expired)?;
        if !store::insert_key(conn, &row)? {
            return Err(CoreError::Conflict(
                "the key was rotated at the same time".into(),
            ));
        }
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::SigningKeysRotated,
                "authorization_server",
                server,
                serde_json::json!({"kid": row.kid}),
            )],
        )?;
        Ok(())
    })?;
    Ok(PublicKey {
        kid: row.kid,
        status: KeyStatus::Active,
        n: row.modulus,
        e: row.exponent,
        created_at: crate::store::rows::utc(row.created_at),
    })
}

/// `at_hash` / `c_hash` (OIDC Core 3.1.3.6): the left half of the SHA-256 of the value,
/// base64url.
pub fn half_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    B64.encode(&digest[..16])
}
