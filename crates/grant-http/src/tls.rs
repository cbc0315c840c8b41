//! HTTPS: a rustls server configuration from the PEM certificate chain and key named in
//! `[server] tls_cert` / `tls_key` (ring provider, TLS 1.2 and 1.3). The pair is held in a
//! [`CertStore`] that the handshake asks for every new connection: [`CertStore::reload`]
//! (run on SIGHUP, see `serve`) rereads the files and new connections get the new
//! certificate while open ones keep theirs; a file that does not load leaves the current
//! pair in place.

use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::ServerConfig;

fn io_err(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads the pair; any problem (missing file, no certificate, no key, key not matching)
/// is an error naming the file.
fn load_pair(cert_path: &str, key_path: &str) -> std::io::Result<CertifiedKey> {
    if cert_path.is_empty() || key_path.is_empty() {
        return Err(io_err(
            "TLS needs both server.tls_cert and server.tls_key".into(),
        ));
    }
    let pem_err = |path: &str, e: pem::Error| match e {
        pem::Error::Io(e) => io_err(format!("{path}: {e}")),
        e => io_err(format!("{path}: not valid PEM: {e}")),
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_err(cert_path, e))?;
    if certs.is_empty() {
        return Err(io_err(format!("{cert_path}: no certificate found")));
    }
    // The first PKCS#8, PKCS#1 (RSA) or SEC1 (EC) private key of the file.
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| match e {
        pem::Error::NoItemsFound => io_err(format!("{key_path}: no private key found")),
        e => pem_err(key_path, e),
    })?;
    CertifiedKey::from_der(certs, key, &provider()).map_err(|e| {
        io_err(format!(
            "TLS certificate/key ({cert_path}, {key_path}): {e}"
        ))
    })
}

/// The certificate and key served to new connections, replaceable while the server runs.
#[derive(Debug)]
pub struct CertStore {
    cert_path: String,
    key_path: String,
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertStore {
    /// Loads the pair named in the configuration (an error at start-up, never a plain-HTTP
    /// fallback).
    pub fn load(cfg: &ServerConfig) -> std::io::Result<Arc<Self>> {
        let pair = load_pair(&cfg.tls_cert, &cfg.tls_key)?;
        Ok(Arc::new(Self {
            cert_path: cfg.tls_cert.clone(),
            key_path: cfg.tls_key.clone(),
            current: RwLock::new(Arc::new(pair)),
        }))
    }

    /// Rereads the files: new connections get the new pair, open ones keep theirs. On any
    /// error the current pair stays and the error (naming the file) is logged and returned.
    pub fn reload(&self) -> std::io::Result<()> {
        let pair = load_pair(&self.cert_path, &self.key_path).inspect_err(|e| {
            log::error!("TLS reload failed, still serving the previous certificate: {e}");
        })?;
        match self.current.write() {
            Ok(mut current) => *current = Arc::new(pair),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(pair),
        }
        log::info!("TLS certificate reloaded from {}", self.cert_path);
        Ok(())
    }

    /// The pair new connections get.
    pub fn current(&self) -> Arc<CertifiedKey> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The rustls configuration serving whatever `certs` holds at each handshake.
pub fn server_config(certs: Arc<CertStore>) -> std::io::Result<rustls::ServerConfig> {
    // ALPN is set by actix (http/1.1, plus h2 when its http2 feature is on).
    Ok(rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| io_err(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(certs))
}

/// Builds the rustls configuration from the files named in `cfg` (a fixed pair).
pub fn rustls_config(cfg: &ServerConfig) -> std::io::Result<rustls::ServerConfig> {
    server_config(CertStore::load(cfg)?)
}

/// Handles SIGHUP for as long as the actix system runs (Unix only): reloads `certs` when
/// TLS is on, and otherwise only logs it (the signal never ends the process).
pub fn reload_on_sighup(certs: Option<Arc<CertStore>>) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        actix_web::rt::spawn(async move {
            while hangups.recv().await.is_some() {
                match &certs {
                    Some(certs) => {
                        log::info!("SIGHUP: reloading the TLS certificate");
                        let _ = certs.reload();
                    }
                    None => log::info!("SIGHUP: nothing to reload (TLS is off)"),
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = certs;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn err_of(cert: &str, key: &str) -> String {
        let dir = std::env::temp_dir().join(format!("grant-http-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&c, cert).unwrap();
        std::fs::write(&k, key).unwrap();
        let cfg = ServerConfig {
            tls_cert: c.to_string_lossy().into(),
            tls_key: k.to_string_lossy().into(),
            ..ServerConfig::default()
        };
        let out = rustls_config(&cfg).err().map(|e| e.to_string());
        std::fs::remove_dir_all(&dir).ok();
        out.unwrap_or_default()
    }

    #[cfg(feature = "testing")]
    #[test]
    fn pem_files_give_a_config_or_an_error_naming_the_file() {
        let (cert, key) = crate::testing::self_signed_pem().unwrap();
        assert_eq!(err_of(&cert, &key), "", "a valid pair");
        // A chain file may carry comments and other sections around the certificate.
        assert_eq!(
            err_of(&format!("# chain\n{cert}\n{key}"), &format!("{cert}{key}")),
            ""
        );
        let e = err_of(&key, &key);
        assert!(e.ends_with("cert.pem: no certificate found"), "{e}");
        let e = err_of(&cert, &cert);
        assert!(e.ends_with("key.pem: no private key found"), "{e}");
        let cut = &cert[..cert.len() / 2];
        let e = err_of(cut, &key);
        assert!(e.contains("cert.pem: not valid PEM"), "{e}");
        let other = crate::testing::self_signed_pem().unwrap().1;
        let e = err_of(&cert, &other);
        assert!(
            e.starts_with("TLS certificate/key"),
            "a key of another certificate: {e}"
        );
    }

    #[test]
    fn missing_files_and_half_config_are_errors() {
        let mut cfg = ServerConfig {
            tls_cert: "/nonexistent/cert.pem".into(),
            ..ServerConfig::default()
        };
        let err = rustls_config(&cfg).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("tls_key"));
        cfg.tls_key = "/nonexistent/key.pem".into();
        let err = rustls_config(&cfg).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("/nonexistent/cert.pem"));
    }
}
