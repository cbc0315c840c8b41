//! HTTPS: a rustls server configuration from the PEM certificate chain and key named in
//! `[server] tls_cert` / `tls_key` (ring provider, TLS 1.2 and 1.3).

use std::sync::Arc;

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::ServerConfig;

fn io_err(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

/// Builds the rustls configuration; any problem (missing file, no certificate, no key,
/// key not matching) is an error at start-up, never a plain-HTTP fallback.
pub fn rustls_config(cfg: &ServerConfig) -> std::io::Result<rustls::ServerConfig> {
    if cfg.tls_cert.is_empty() || cfg.tls_key.is_empty() {
        return Err(io_err(
            "TLS needs both server.tls_cert and server.tls_key".into(),
        ));
    }
    let pem_err = |path: &str, e: pem::Error| match e {
        pem::Error::Io(e) => io_err(format!("{path}: {e}")),
        e => io_err(format!("{path}: not valid PEM: {e}")),
    };
    let certs = CertificateDer::pem_file_iter(&cfg.tls_cert)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_err(&cfg.tls_cert, e))?;
    if certs.is_empty() {
        return Err(io_err(format!("{}: no certificate found", cfg.tls_cert)));
    }
    // The first PKCS#8, PKCS#1 (RSA) or SEC1 (EC) private key of the file.
    let key = PrivateKeyDer::from_pem_file(&cfg.tls_key).map_err(|e| match e {
        pem::Error::NoItemsFound => io_err(format!("{}: no private key found", cfg.tls_key)),
        e => pem_err(&cfg.tls_key, e),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // ALPN is set by actix (http/1.1, plus h2 when its http2 feature is on).
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| io_err(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| io_err(format!("TLS certificate/key: {e}")))
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
