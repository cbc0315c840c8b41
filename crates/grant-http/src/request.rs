use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;

use crate::ServerConfig;

/// The id of the current request (also in the access log line and the vendor's header).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A header's value as text, if present and visible ASCII. A header that is present but
/// not visible ASCII reads as absent here: use `header_text` where that difference matters
/// (credentials).
pub fn header_str(req: &HttpRequest, name: impl TryInto<HeaderName>) -> Option<&str> {
    let name: HeaderName = name.try_into().ok()?;
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A header that is present but cannot be read as text (bytes outside visible ASCII).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotText;

/// A header's value: `Ok(None)` when absent, `Ok(Some(text))` when visible ASCII,
/// `Err(NotText)` when present but undecodable — e.g. an `Authorization` header with
/// non-ASCII bytes is a bad credential, not a missing one.
pub fn header_text<'a>(req: &'a HttpRequest, name: &str) -> Result<Option<&'a str>, NotText> {
    match req.headers().get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| NotText),
    }
}

fn is_trusted(ip: IpAddr, cfg: &ServerConfig) -> bool {
    cfg.trusted_proxies.iter().any(|p| p.contains(ip))
}

fn peer_is_trusted(req: &HttpRequest, cfg: &ServerConfig) -> bool {
    req.peer_addr()
        .is_some_and(|peer| is_trusted(peer.ip(), cfg))
}

/// The hops a request went through, left (the original client) to right (the proxy's own
/// peer): every `X-Forwarded-For` header's entries in order, or, when there is none, the
/// `for=` parameters of `Forwarded` (RFC 7239). `None` marks an entry that is not an IP
/// address (`unknown`, an obfuscated `_name`, garbage).
fn forwarded_hops(req: &HttpRequest) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        req.headers()
            .get_all(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    let xff = values("x-forwarded-for");
    if !xff.is_empty() {
        return xff
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(parse_hop)
            .collect();
    }
    values("forwarded")
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711` → the address.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest
            .split_once(']')?
            .0
            .parse::<IpAddr>()
            .ok()
            .map(|ip| ip.to_canonical());
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|a| a.ip().to_canonical())
}

/// The caller's address. From an untrusted peer: the peer. From a trusted proxy: the
/// right-most forwarded hop (`X-Forwarded-For`, else `Forwarded`) that is not itself a
/// trusted proxy — hops to its left were written by the caller and may be forged. When
/// every hop is trusted, the left-most; when the walk meets an entry that is not an
/// address, the last trusted address before it (the caller is unknown, its proxy is not).
pub fn client_addr(req: &HttpRequest, cfg: &ServerConfig) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    if !is_trusted(peer, cfg) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_hops(req).into_iter().rev() {
        match hop {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip, cfg) {
                    break;
                }
            }
            None => break,
        }
    }
    Some(client)
}

/// [`client_addr`] as text (empty when the peer is unknown): what the access log, the
/// vendors' logs and the per-address limits use.
pub fn client_ip(req: &HttpRequest, cfg: &ServerConfig) -> String {
    client_addr(req, cfg)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// The absolute base URL (`scheme://host[:port]`) links are built from: the configured
/// public base URL; else the request's scheme and Host (`X-Forwarded-Proto`/`-Host` only
/// from trusted proxies) when that host is the address the gateway listens on or one of
/// `server.allowed_hosts`; else the address the gateway listens on. A Host header is the
/// caller's to choose: echoing any value would let a request plant foreign links.
pub fn base_url(req: &HttpRequest, cfg: &ServerConfig) -> String {
    if !cfg.public_base_url.is_empty() {
        return cfg.public_base_url.trim_end_matches('/').to_owned();
    }
    let trusted = peer_is_trusted(req, cfg);
    let forwarded = |name: &str| if trusted { header_str(req, name) } else { None };
    let scheme = match forwarded("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ if req.app_config().secure() => "https",
        _ => "http",
    };
    let local = req.app_config().local_addr();
    let host = forwarded("x-forwarded-host")
        .or_else(|| header_str(req, "host"))
        .map(str::trim)
        .filter(|h| host_allowed(h, local, cfg))
        .map(str::to_owned)
        .unwrap_or_else(|| local.to_string());
    format!("{scheme}://{host}")
}

/// The base URL as the caller addressed it (its scheme and Host, `X-Forwarded-*` only from
/// trusted proxies), unchecked: for logs that record what was requested, never for links.
pub fn requested_base_url(req: &HttpRequest, cfg: &ServerConfig) -> String {
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
        .unwrap_or_else(|| req.app_config().local_addr().to_string());
    format!("{scheme}://{host}")
}

/// Whether a Host value may appear in links: the listening address (as bound or as
/// configured), `localhost` on a loopback listener's port, or an `allowed_hosts` entry
/// (an entry without a port allows that host name on any port).
fn host_allowed(host: &str, local: SocketAddr, cfg: &ServerConfig) -> bool {
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let host = host.to_ascii_lowercase();
    let (name, port) = split_host_port(&host);
    if host == local.to_string() || host == cfg.bind.to_ascii_lowercase() {
        return true;
    }
    if local.ip().is_loopback() && name == "localhost" && port == Some(local.port()) {
        return true;
    }
    cfg.allowed_hosts.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        match split_host_port(&entry) {
            (e, None) => !e.is_empty() && e == name,
            (_, Some(_)) => entry == host,
        }
    })
}

/// `example.com:8443` → (`example.com`, Some(8443)); `[::1]:80` → (`[::1]`, Some(80)).
fn split_host_port(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && (!name.contains(':') || name.ends_with(']')) => {
            match port.parse() {
                Ok(p) => (name, Some(p)),
                Err(_) => (host, None),
            }
        }
        _ => (host, None),
    }
}
