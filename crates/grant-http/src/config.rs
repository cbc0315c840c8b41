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

/// `GRANT_<SECTION>__<KEY>` (and `<VENDOR>_COMPAT_<SECTION>__<KEY>`): any key of the
/// configuration, nested with `__` (`GRANT_SERVER__TRUSTED_PROXIES`,
/// `OKTA_COMPAT_VENDOR__RATE_LIMIT__ENABLED`). The value is read as a TOML value when it is
/// one (`8`, `true`, `["10.0.0.0/8"]`), as text otherwise.
fn nested_env_overrides(prefix: &str, vars: &[(String, String)]) -> Vec<(String, toml::Table)> {
    let mut out = Vec::new();
    for (name, raw) in vars {
        let Some(path) = name.strip_prefix(prefix) else {
            continue;
        };
        if !path.contains("__") || raw.is_empty() {
            continue;
        }
        let keys: Vec<String> = path.split("__").map(|k| k.to_ascii_lowercase()).collect();
        let value = format!("v = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.clone()));
        // Innermost first: `a__b__c = v` is `{a = {b = {c = v}}}`.
        let mut nested = value;
        for key in keys.iter().rev() {
            let mut t = toml::Table::new();
            t.insert(key.clone(), nested);
            nested = toml::Value::Table(t);
        }
        let toml::Value::Table(table) = nested else {
            continue;
        };
        out.push((name.clone(), table));
    }
    out
}

/// Where the configuration files live: `GRANT_CONFIG_DIR`, or `config/` under the current
/// directory.
pub fn config_dir() -> PathBuf {
    std::env::var_os("GRANT_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("config"))
}

/// The shared defaults built into every binary (`config/default.toml`), used when the
/// configuration directory has none (a gateway started outside the repository).
pub const BUILT_IN_DEFAULTS: &str = include_str!("../../../config/default.toml");

/// A loaded configuration and where each layer came from, in the order applied.
#[derive(Debug, Clone)]
pub struct Loaded<V> {
    pub config: GatewayConfig<V>,
    pub sources: Vec<String>,
}

/// Layers, each over the one before: `default.toml`, then `<vendor>.toml` (from `dir`, or the
/// built-in copies when `dir` has no `default.toml`), then `explicit` (`--config FILE`),
/// then the environment (the short variables such as `GRANT_DATABASE_URL`, then nested
/// `GRANT_SECTION__KEY` ones; `<VENDOR>_COMPAT_*` win over `GRANT_*`). An error names the
/// file or variable whose value is wrong; unknown keys are errors.
pub fn load_layers<V: DeserializeOwned + Default>(
    vendor: &str,
    built_in_vendor: &str,
    dir: &Path,
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    env_vars: &[(String, String)],
) -> Result<Loaded<V>, String> {
    let mut layers: Vec<(String, toml::Table)> = Vec::new();
    let default_file = dir.join("default.toml");
    if default_file.exists() {
        layers.push((
            default_file.display().to_string(),
            read_table(&default_file)?,
        ));
        let vendor_file = dir.join(format!("{vendor}.toml"));
        if vendor_file.exists() {
            layers.push((vendor_file.display().to_string(), read_table(&vendor_file)?));
        }
    } else {
        let parse = |name: &str, text: &str| {
            text.parse::<toml::Table>()
                .map_err(|e| format!("{name}: {e}"))
        };
        layers.push((
            "built-in default.toml".into(),
            parse("built-in default.toml", BUILT_IN_DEFAULTS)?,
        ));
        let name = format!("built-in {vendor}.toml");
        layers.push((name.clone(), parse(&name, built_in_vendor)?));
    }
    if let Some(file) = explicit {
        layers.push((file.display().to_string(), read_table(file)?));
    }
    let mut short = toml::Table::new();
    env_overrides(&mut short, vendor, env)?;
    if !short.is_empty() {
        layers.push((
            "environment (GRANT_*, *_COMPAT_* short names)".into(),
            short,
        ));
    }
    let vendor_prefix = format!("{}_COMPAT_", vendor.to_ascii_uppercase());
    layers.extend(nested_env_overrides("GRANT_", env_vars));
    layers.extend(nested_env_overrides(&vendor_prefix, env_vars));
    let mut table = toml::Table::new();
    let mut sources = Vec::new();
    for (source, layer) in layers {
        merge(&mut table, layer);
        // Each layer is checked as it lands, so an error names the layer that caused it.
        toml::Value::Table(table.clone())
            .try_into::<GatewayConfig<V>>()
            .map_err(|e| format!("{source}: {e}"))?;
        sources.push(source);
    }
    let config = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| format!("configuration: {e}"))?;
    Ok(Loaded { config, sources })
}

/// Loads `default.toml` and `<vendor>.toml` from `dir` (each optional), then `explicit`
/// over them, then environment overrides (see [`load_layers`]).
pub fn load<V: DeserializeOwned + Default>(
    vendor: &str,
    dir: &Path,
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<GatewayConfig<V>, String> {
    load_layers(vendor, "", dir, explicit, env, &[]).map(|l| l.config)
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
            // The vendor file is read beside a default.toml (else the built-in copies are).
            std::fs::write(dir.join("default.toml"), "").unwrap();
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

    #[test]
    fn explicit_file_layers_over_the_defaults_and_nested_env_sets_any_key() {
        let dir = tempfile_dir();
        std::fs::write(
            dir.join("default.toml"),
            "[server]\nbind = \"0.0.0.0:1\"\nworkers = 3\n[database]\nurl = \"sqlite://d.db\"\n",
        )
        .ok();
        let extra = dir.join("extra.toml");
        std::fs::write(&extra, "[server]\nworkers = 7\n").ok();
        let vars = vec![
            ("GRANT_SERVER__KEEP_ALIVE_SECS".to_owned(), "30".to_owned()),
            (
                "GRANT_SERVER__TRUSTED_PROXIES".to_owned(),
                "[\"10.0.0.1\"]".to_owned(),
            ),
            ("X_COMPAT_VENDOR__REALM".to_owned(), "Inner".to_owned()),
            ("UNRELATED__THING".to_owned(), "1".to_owned()),
        ];
        let loaded = load_layers::<Extra>("x", "", &dir, Some(&extra), &|_| None, &vars)
            .unwrap_or_else(|e| panic!("{e}"));
        let cfg = &loaded.config;
        // --config changed workers only; bind and the database still come from default.toml.
        assert_eq!(cfg.server.workers, 7);
        assert_eq!(cfg.server.bind, "0.0.0.0:1");
        assert_eq!(cfg.database.url, "sqlite://d.db");
        assert_eq!(cfg.server.keep_alive_secs, 30);
        let proxies: Vec<String> = cfg
            .server
            .trusted_proxies
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(proxies, ["10.0.0.1/32"]);
        assert_eq!(cfg.vendor.realm, "Inner");
        assert_eq!(loaded.sources.len(), 5, "{:?}", loaded.sources);
    }

    #[test]
    fn errors_name_the_file_or_variable_and_built_in_defaults_fill_in() {
        let dir = tempfile_dir();
        let vars = vec![("GRANT_SERVER__WORKERS".to_owned(), "many".to_owned())];
        let err = load_layers::<Extra>(
            "x",
            "[vendor]\nrealm = \"R\"\n",
            &dir,
            None,
            &|_| None,
            &vars,
        )
        .err()
        .unwrap_or_default();
        assert!(err.starts_with("GRANT_SERVER__WORKERS:"), "{err}");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[server]\nworkers = \"x\"\n").ok();
        let err = load_layers::<Extra>("x", "", &dir, Some(&bad), &|_| None, &[])
            .err()
            .unwrap_or_default();
        assert!(err.starts_with(&bad.display().to_string()), "{err}");
        // No default.toml in the directory: the built-in copies are used, and said so.
        let loaded =
            load_layers::<Extra>("x", "[vendor]\nrealm = \"R\"\n", &dir, None, &|_| None, &[])
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.sources, ["built-in default.toml", "built-in x.toml"]);
        assert_eq!(loaded.config.vendor.realm, "R");
        assert_eq!(loaded.config.database.url, "sqlite://grants.db");
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("grant-http-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).ok();
        dir
    }
}
