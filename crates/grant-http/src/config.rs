//! Gateway configuration: `config/default.toml`, then the vendor's file, then environment
//! overrides. Unknown keys are an error at start-up.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipnet::IpNet;

use grant_core::{DatabaseConfig, HashingConfig};
use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// `host:port` to listen on.
    pub bind: String,
    /// HTTP worker threads (0: one per core).
    pub workers: usize,
    /// Absolute base URL clients reach this gateway at (behind a proxy); when empty, links
    /// are built from the request's own scheme and Host if that host is allowed (see
    /// `allowed_hosts`), else from the listening address.
    pub public_base_url: String,
    /// Host names (`name`: any port; `name:port`: that port only) a request's Host may carry
    /// for links to be built from it, besides the listening address itself.
    pub allowed_hosts: Vec<String>,
    /// Tenant this gateway serves (vendors whose URLs carry no tenant).
    pub tenant: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds to let in-flight requests finish on SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// Seconds a request body may take to arrive, counted from the end of its headers; a
    /// slower body is answered 408 (in the vendor's shape) and the connection closed.
    pub body_read_timeout_secs: u64,
    /// Seconds an idle kept-alive connection stays open. Longer than the idle timeout of
    /// the clients and proxies in front (nginx's upstream keep-alive is 60 s), so they,
    /// not the server, close idle connections — a server closing first races a client
    /// sending its next request on that connection.
    pub keep_alive_secs: u64,
    /// Proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For` / `Forwarded` /
    /// `X-Forwarded-Proto` / `X-Forwarded-Host` are believed. The client address is the
    /// right-most forwarded hop that is not one of them.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// PEM certificate chain to serve HTTPS with (with `tls_key`); empty: plain HTTP.
    pub tls_cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: String,
}

/// One `trusted_proxies` entry: an IP address (`10.0.0.5`, `::1`) or a CIDR range
/// (`10.0.0.0/8`, `fd00::/8`). An entry that is neither fails the configuration, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(IpNet);

impl TrustedProxy {
    /// Whether `ip` is this address or inside this range (IPv4-mapped IPv6 addresses
    /// count as their IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        t.parse::<IpNet>()
            .map(|n| n.trunc())
            .or_else(|_| t.parse::<IpAddr>().map(|ip| IpNet::from(ip.to_canonical())))
            .map(TrustedProxy)
            .map_err(|_| {
                format!("trusted_proxies: `{s}` is neither an IP address nor a CIDR range")
            })
    }
}

impl std::fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for TrustedProxy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl ServerConfig {
    /// True when the gateway serves HTTPS.
    pub fn tls_enabled(&self) -> bool {
        !self.tls_cert.is_empty() || !self.tls_key.is_empty()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            workers: 0,
            public_base_url: String::new(),
            allowed_hosts: Vec::new(),
            tenant: "default".into(),
            max_body_bytes: 64 * 1024,
            shutdown_timeout_secs: 10,
            body_read_timeout_secs: 10,
            keep_alive_secs: 75,
            trusted_proxies: Vec::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
        }
    }
}

/// Everything a gateway reads at start-up; `vendor` is the vendor's own section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig<V> {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub hashing: HashingConfig,
    pub vendor: V,
}

impl<V: Default> Default for GatewayConfig<V> {
    fn default() -> Self {
        Self {
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            hashing: HashingConfig::default(),
            vendor: V::default(),
        }
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn read_table(path: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.parse::<toml::Table>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn set(table: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    let entry = table
        .entry(section.to_owned())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = entry {
        t.insert(key.to_owned(), value);
    }
}

/// Environment overrides, applied last. `GRANT_*` apply to every gateway; `<VENDOR>_COMPAT_*`
/// to one (e.g. `OKTA_COMPAT_BIND`), and win over `GRANT_*`.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Number,
    /// Comma-separated list.
    List,
}

const ENV_KEYS: &[(&str, &str, &str, Kind)] = &[
    // (suffix, section, key, kind)
    ("DATABASE_URL", "database", "url", Kind::Text),
    ("BIND", "server", "bind", Kind::Text),
    ("WORKERS", "server", "workers", Kind::Number),
    ("PUBLIC_BASE_URL", "server", "public_base_url", Kind::Text),
    ("ALLOWED_HOSTS", "server", "allowed_hosts", Kind::List),
    ("TRUSTED_PROXIES", "server", "trusted_proxies", Kind::List),
    ("TENANT", "server", "tenant", Kind::Text),
    ("TLS_CERT", "server", "tls_cert", Kind::Text),
    ("TLS_KEY", "server", "tls_key", Kind::Text),
];

fn env_overrides(
    table: &mut toml::Table,
    vendor: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let vendor_prefix = format!("{}_COMPAT_", vendor.to_ascii_uppercase());
    for (suffix, section, key, kind) in ENV_KEYS {
        for prefix in ["GRANT_", vendor_prefix.as_str()] {
            let name = format!("{prefix}{suffix}");
            if let Some(raw) = env(&name).filter(|v| !v.is_empty()) {
                let value = match kind {
                    Kind::Number => toml::Value::Integer(
                        raw.parse()
                            .map_err(|_| format!("{name}: not a number: {raw}"))?,
                    ),
                    Kind::Text => toml::Value::String(raw),
                    Kind::List => toml::Value::Array(
                        raw.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(|s| toml::Value::String(s.to_owned()))
                            .collect(),
                    ),
                };
                set(table, section, key, value);
            }
        }
    }
    Ok(())
}

/// Where the configuration files live: `GRANT_CONFIG_DIR`, or `config/` under the current
/// directory.
pub fn config_dir() -> PathBuf {
    std::env::var_os("GRANT_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("config"))
}

/// Loads `default.toml` and `<vendor>.toml` from `dir` (each optional), or the single file
/// `explicit` when given, then applies environment overrides.
pub fn load<V: DeserializeOwned + Default>(
    vendor: &str,
    dir: &Path,
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<GatewayConfig<V>, String> {
    let mut table = toml::Table::new();
    match explicit {
        Some(file) => merge(&mut table, read_table(file)?),
        None => {
            for name in ["default.toml".to_owned(), format!("{vendor}.toml")] {
                let path = dir.join(name);
                if path.exists() {
                    merge(&mut table, read_table(&path)?);
                }
            }
        }
    }
    env_overrides(&mut table, vendor, env)?;
    toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| format!("configuration: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Extra {
        realm: String,
    }

    #[test]
    fn files_merge_then_env_wins_and_unknown_keys_fail() {
        let dir = tempfile_dir();
        std::fs::write(
            dir.join("default.toml"),
            "[server]\nbind = \"0.0.0.0:1\"\nworkers = 3\n",
        )
        .ok();
        std::fs::write(
            dir.join("x.toml"),
            "[server]\nbind = \"127.0.0.1:2\"\n[vendor]\nrealm = \"R\"\n",
        )
        .ok();
        let env = |k: &str| match k {
            "GRANT_DATABASE_URL" => Some("sqlite://a.db".to_owned()),
            "X_COMPAT_WORKERS" => Some("5".to_owned()),
            "GRANT_ALLOWED_HOSTS" => Some("a.example, b.example:8443,".to_owned()),
            _ => None,
        };
        let cfg: GatewayConfig<Extra> = load("x", &dir, None, &env).unwrap_or_default();
        assert_eq!(cfg.server.bind, "127.0.0.1:2");
        assert_eq!(cfg.server.workers, 5);
        assert_eq!(cfg.database.url, "sqlite://a.db");
        assert_eq!(cfg.vendor.realm, "R");
        assert_eq!(cfg.server.allowed_hosts, ["a.example", "b.example:8443"]);
        std::fs::write(dir.join("x.toml"), "[server]\nbnd = \"typo\"\n").ok();
        let err = load::<Extra>("x", &dir, None, &|_| None)
            .err()
            .unwrap_or_default();
        assert!(err.contains("unknown field `bnd`"), "{err}");
    }

    #[test]
    fn trusted_proxies_take_addresses_and_ranges_from_the_environment() {
        let dir = tempfile_dir();
        let env = |k: &str| match k {
            "GRANT_TRUSTED_PROXIES" => Some("10.0.0.0/8, 127.0.0.1,fd00::/8,::1".to_owned()),
            _ => None,
        };
        let cfg: GatewayConfig<Extra> = load("x", &dir, None, &env).unwrap();
        let list: Vec<String> = cfg
            .server
            .trusted_proxies
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(list, ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8", "::1/128"]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let p = &cfg.server.trusted_proxies;
        assert!(p[0].contains(ip("10.200.3.4")));
        assert!(!p[0].contains(ip("11.0.0.1")));
        assert!(p[1].contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peer");
        assert!(p[2].contains(ip("fd12::1")));
        // A host address written with its host bits set is its network.
        assert_eq!(
            "192.168.1.7/24"
                .parse::<TrustedProxy>()
                .unwrap()
                .to_string(),
            "192.168.1.0/24"
        );
    }

    #[test]
    fn an_unparsable_trusted_proxy_is_a_start_up_error_naming_it() {
        let dir = tempfile_dir();
        for (file, env) in [
            (
                "[server]\ntrusted_proxies = [\"10.0.0.1\", \"10.0.0.0/33\"]\n",
                None,
            ),
            ("", Some("127.0.0.1,proxy.internal")),
        ] {
            std::fs::write(dir.join("x.toml"), file).unwrap();
            let env = |k: &str| match k {
                "X_COMPAT_TRUSTED_PROXIES" => env.map(str::to_owned),
                _ => None,
            };
            let err = load::<Extra>("x", &dir, None, &env)
                .err()
                .unwrap_or_default();
            let bad = if file.is_empty() {
                "proxy.internal"
            } else {
                "10.0.0.0/33"
            };
            assert!(
                err.contains(&format!(
                    "`{bad}` is neither an IP address nor a CIDR range"
                )),
                "{err}"
            );
        }
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("grant-http-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).ok();
        dir
    }
}
