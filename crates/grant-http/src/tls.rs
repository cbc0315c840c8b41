//! HTTPS: a rustls server configuration from the PEM certificate chain and key named in
//! `[server] tls_cert` / `tls_key` (ring provider, TLS 1.2 and 1.3).

use std::io::BufReader;
use std::sync::Arc;

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
    let read = |path: &str| {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| io_err(format!("{path}: {e}")))
    };
    let certs = rustls_pemfile::certs(&mut read(&cfg.tls_cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io_err(format!("{}: {e}", cfg.tls_cert)))?;
    if certs.is_empty() {
        return Err(io_err(format!("{}: no certificate found", cfg.tls_cert)));
    }
    let key = rustls_pemfile::private_key(&mut read(&cfg.tls_key)?)
        .map_err(|e| io_err(format!("{}: {e}", cfg.tls_key)))?
        .ok_or_else(|| io_err(format!("{}: no private key found", cfg.tls_key)))?;
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
mod tests {
    use super::*;

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
