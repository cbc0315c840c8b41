use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;

use crate::ServerConfig;

/// The id of the current request (also in the access log line and the vendor's header).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A header's value as text, if present and visible ASCII.
pub fn header_str(req: &HttpRequest, name: impl TryInto<HeaderName>) -> Option<&str> {
    let name: HeaderName = name.try_into().ok()?;
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn peer_is_trusted(req: &HttpRequest, cfg: &ServerConfig) -> bool {
    match req.peer_addr() {
        Some(peer) => cfg
            .trusted_proxies
            .iter()
            .any(|p| p.parse::<IpAddr>().ok() == Some(peer.ip())),
        None => false,
    }
}

/// The caller's IP: the first `X-Forwarded-For` hop when the peer is a trusted proxy,
/// the peer address otherwise.
pub fn client_ip(req: &HttpRequest, cfg: &ServerConfig) -> String {
    if peer_is_trusted(req, cfg)
        && let Some(first) = header_str(req, "x-forwarded-for").and_then(|v| v.split(',').next())
        && !first.trim().is_empty()
    {
        return first.trim().to_owned();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// The absolute base URL (`scheme://host[:port]`) the caller used: the configured public
/// base URL, else the request's own scheme and Host (`X-Forwarded-Proto`/`-Host` only from
/// trusted proxies).
pub fn base_url(req: &HttpRequest, cfg: &ServerConfig) -> String {
    if !cfg.public_base_url.is_empty() {
        return cfg.public_base_url.trim_end_matches('/').to_owned();
    }
    let trusted = peer_is_trusted(req, cfg);
    let forwarded = |name: &str| if trusted { header_str(req, name) } else { None };
    let scheme = forwarded("x-forwarded-proto").unwrap_or(if req.app_config().secure() {
        "https"
    } else {
        "http"
    });
    let host = forwarded("x-forwarded-host")
        .or_else(|| header_str(req, "host"))
        .map(str::to_owned)
        .unwrap_or_else(|| req.app_config().host().to_owned());
    format!("{scheme}://{host}")
}
