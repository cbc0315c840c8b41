//! grantctl: administer the grant store behind every gateway.

use std::io::{Read, Write};
use std::process::ExitCode;

use chrono::Duration;
use clap::{Args, Parser, Subcommand};
use grant_core::model::*;
use grant_core::service::{admin, clients, credentials, directory, export, grants, ids};
use grant_core::{DatabaseConfig, HashingConfig, Store};
use secrecy::{ExposeSecret, SecretString};

mod demo;
mod output;
mod progress;

use grant_core::model::TenantId;
use grant_core::model::{ClientId, CredentialId, GrantId, TenantIdBuf};
use output::{Failure, Format, Out, Result};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (also when the reader of the output stops early, as `grantctl grant list | head`)
  1  runtime error (database unreachable or full, file unreadable)
  2  usage error (unknown command or option, invalid value)
  3  not found (the tenant, user, client, scope, grant or credential named does not exist)
  4  conflict (already exists, or a state that forbids the change)";

#[derive(Parser)]
#[command(
    name = "grantctl",
    version,
    about = "Administer the grant store shared by the gateways",
    after_help = EXIT_CODES
)]
struct Cli {
    /// Database: sqlite://PATH, a file path, or postgres://USER@HOST/DB. Default: the
    /// configuration's `[database] url` (GRANT_DATABASE_URL, else --config FILE, else
    /// config/default.toml: sqlite://grants.db)
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// A gateway's config file, layered over config/default.toml as the gateways read it
    /// (directory: GRANT_CONFIG_DIR, default ./config; built-in defaults when there is
    /// none); GRANT_* variables override it as they do for the gateways. grantctl uses its
    /// [database] and [hashing] sections
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Output format: auto is a table on a terminal and JSON otherwise; jsonl prints one
    /// object per line
    #[arg(long, short = 'o', value_enum, default_value = "auto", global = true)]
    output: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations
    Migrate,
    /// Tenants: add, list, get, disable, enable, delete
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Users (subjects of grants): add, list, get, disable, enable, delete
    #[command(subcommand)]
    User(UserCmd),
    /// OAuth clients: add, list, get, disable, enable, delete
    #[command(subcommand)]
    Client(ClientCmd),
    /// Scope definitions: add, list, get, delete
    #[command(subcommand)]
    Scope(ScopeCmd),
    /// Authorization servers (Okta custom servers) and their signing keys: add, list,
    /// keys, rotate-keys
    #[command(subcommand, name = "auth-server")]
    AuthServer(AuthServerCmd),
    /// Grants: add, list, get, revoke (by id, user, client or scope), delete
    #[command(subcommand)]
    Grant(GrantCmd),
    /// Credentials (tokens, passwords, client secrets): add, list, get, revoke, disable,
    /// enable, delete
    #[command(subcommand)]
    Credential(CredentialCmd),
    /// The audit log: every change, who made it and when
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Write everything as one JSON document (stdout, or --out), record by record; a
    /// progress bar on stderr when it is a terminal
    Export {
        /// File to write instead of stdout
        #[arg(long)]
        out: Option<String>,
    },
    /// Load a document written by `export` (a file, or - for stdin), all or nothing, in
    /// batches as it is read; a progress bar on stderr when it is a terminal
    Import {
        /// The file written by `grantctl export`, or - for stdin
        file: String,
    },
    /// Create demo data and one ready credential per gateway, and print them
    SeedDemo(demo::SeedDemo),
    /// Write a throw-away self-signed TLS certificate and key (cert.pem, key.pem) for
    /// localhost / 127.0.0.1 / ::1, for demos and tests of the HTTPS gateways
    TlsCert {
        /// Directory to write cert.pem and key.pem into
        #[arg(long, default_value = ".")]
        out_dir: String,
    },
}

/// A self-signed pair for `localhost`, `127.0.0.1` and `::1` (demo and test use only).
fn write_tls_cert(out_dir: &str) -> Result<()> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let io = |what: &std::path::Path, e: std::io::Error| {
        Failure::runtime(format!("{}: {e}", what.display()))
    };
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| Failure::runtime(e.to_string()))?;
    let dir = std::path::Path::new(out_dir);
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).map_err(|e| io(&cert, e))?;
    std::fs::write(&key, certified.key_pair.serialize_pem()).map_err(|e| io(&key, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io(&key, e))?;
    }
    println!("{}\n{}", cert.display(), key.display());
    Ok(())
}

/// The tenant a command works in.
#[derive(Args, Clone)]
struct TenantArg {
    /// Tenant id
    #[arg(long, default_value = "default")]
    tenant: String,
}

/// A user, by any identifier a gateway shows.
#[derive(Args, Clone)]
struct UserRef {
    #[command(flatten)]
    tenant: TenantArg,
    /// The user: login, Okta id, Venafi universal or GUID
    user: String,
}

/// One record by id.
#[derive(Args, Clone)]
struct IdRef {
    #[command(flatten)]
    tenant: TenantArg,
    /// Its id
    id: String,
}

#[derive(Subcommand)]
enum TenantCmd {
    /// Create a tenant
    Add {
        /// Tenant id (default: a new GUID)
        #[arg(long)]
        id: Option<String>,
        /// Display name
        #[arg(long)]
        name: String,
    },
    /// List every tenant
    List,
    /// Show one tenant and how many records it holds
    Get {
        /// Tenant id
        id: String,
    },
    /// Disable a tenant: no credential of it authenticates at any gateway until it is
    /// enabled again (its records and their own statuses are kept)
    Disable {
        /// Tenant id
        id: String,
    },
    /// Re-enable a disabled tenant: its credentials work again as they did before
    Enable {
        /// Tenant id
        id: String,
    },
    /// Delete a tenant; refused (exit 4) while it holds records, unless --force
    Delete {
        /// Tenant id
        id: String,
        /// Also delete every user, client, grant and credential of the tenant
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; identifiers not given are generated
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// Login name (PingFederate USER_KEY)
        #[arg(long)]
        login: String,
        /// Internal id and OCS user id (default: a new GUID)
        #[arg(long)]
        id: Option<String>,
        /// Okta user id (default: a new 00u… id)
        #[arg(long)]
        okta_id: Option<String>,
        /// Venafi prefixed universal (default: local:{id})
        #[arg(long)]
        universal: Option<String>,
        /// Display name (default: the login)
        #[arg(long)]
        display_name: Option<String>,
        /// Role held by the user (repeatable): SUPER_ADMIN, Admin, …
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// List users
    List {
        /// Only this tenant's (default: every tenant)
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Show one user
    Get(UserRef),
    /// Disable a user: every active credential acting as the user stops working
    Disable(UserRef),
    /// Re-enable a user: the credentials `user disable` disabled work again
    Enable(UserRef),
    /// Delete a user with its grants and credentials
    Delete(UserRef),
}

// Parsed once per run: the size of the `Add` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum ClientCmd {
    /// Create a client
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// Client id (default: generated)
        #[arg(long)]
        id: Option<String>,
        /// Display name
        #[arg(long)]
        name: Option<String>,
        /// authorization_code, client_credentials, hybrid, api_integration, other
        #[arg(long)]
        kind: Option<String>,
        /// Allowed redirect URI (repeatable)
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Access token lifetime in seconds
        #[arg(long)]
        access_token_lifetime: Option<i32>,
        /// Refresh token lifetime in seconds
        #[arg(long)]
        refresh_token_lifetime: Option<i32>,
        /// Scope the client may request (repeatable; none = any)
        #[arg(long = "allowed-scope")]
        allowed_scopes: Vec<String>,
        /// Role held by the client itself (OCS RoleIds: a RoleTypeId or a role name), repeatable
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Tag (repeatable)
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// API integration: a prefixed universal allowed to authorize (repeatable; none = anyone)
        #[arg(long = "allowed-identity")]
        allowed_identities: Vec<String>,
        /// API integration: its vendor (Venafi `Vendor`)
        #[arg(long)]
        vendor: Option<String>,
        /// API integration: its description (Venafi `Description`)
        #[arg(long)]
        description: Option<String>,
        /// API integration: whether refresh tokens may renew access (Venafi `Renewable`, default true)
        #[arg(long)]
        renewable: Option<bool>,
        /// How it authenticates at the token endpoint: client_secret_basic (default),
        /// client_secret_post, or none (a public client: PKCE instead of a secret)
        #[arg(long)]
        auth_method: Option<String>,
        /// Whether users consent to its scopes: required (a consent page; each consent is a
        /// grant) or trusted (default: no consent page)
        #[arg(long)]
        consent: Option<String>,
        /// Browser origin allowed to call the token and authentication endpoints (CORS),
        /// repeatable
        #[arg(long = "cors-origin")]
        cors_origins: Vec<String>,
        /// Where the sign-out may send the browser back (repeatable)
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// Grant type it may use (repeatable): authorization_code, refresh_token, … (none: any)
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// OCS AllowOfflineAccess: an Authorization Code client may ask for `offline_access`
        /// (refresh tokens)
        #[arg(long)]
        allow_offline_access: bool,
    },
    /// List a tenant's clients
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Show one client
    Get(IdRef),
    /// Disable a client: it can no longer authenticate and its access and refresh tokens
    /// are revoked
    Disable(IdRef),
    /// Re-enable a disabled client
    Enable(IdRef),
    /// Delete a client with its grants; its secrets and tokens are revoked
    Delete(IdRef),
}

#[derive(Subcommand)]
enum AuthServerCmd {
    /// Create a custom authorization server (Okta `/oauth2/{id}`; `default` always exists)
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// Its id, in its URLs and issuer
        #[arg(long)]
        id: String,
        /// Display name
        #[arg(long)]
        name: String,
        /// The audience (`aud`) of the access tokens it issues
        #[arg(long)]
        audience: String,
    },
    /// List the tenant's custom authorization servers
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Show a server's published signing keys (JWKS: active, then expired)
    Keys {
        #[command(flatten)]
        tenant: TenantArg,
        /// Server id: org, default, or a custom server's id
        #[arg(long)]
        id: String,
    },
    /// Replace the server's signing key now; the old key stays published so tokens it
    /// signed still verify (gateways pick the new key up within a minute)
    RotateKeys {
        #[command(flatten)]
        tenant: TenantArg,
        /// Server id: org, default, or a custom server's id
        #[arg(long)]
        id: String,
    },
}

const SERVER_COLUMNS: &[&str] = &["id", "name", "audience", "created_at"];
const KEY_COLUMNS: &[&str] = &["kid", "status", "created_at"];

fn auth_server_cmd(
    conn: &mut grant_core::DbConn,
    out: &Out,
    cmd: AuthServerCmd,
    actor: &str,
) -> Result<()> {
    use grant_core::service::{authorization, signing};
    match cmd {
        AuthServerCmd::Add {
            tenant: t,
            id,
            name,
            audience,
        } => {
            let t = tenant(conn, &t)?;
            out.record(&authorization::add_server(
                conn, &t, &id, &name, &audience, actor,
            )?)
        }
        AuthServerCmd::List { tenant: t } => {
            let t = tenant(conn, &t)?;
            out.list(&authorization::list_servers(conn, &t)?, SERVER_COLUMNS)
        }
        AuthServerCmd::Keys { tenant: t, id } => {
            let t = tenant(conn, &t)?;
            authorization::server(conn, &t, &id)?;
            let keys = signing::Signer::new().public_keys(conn, &t, &id)?;
            out.list(&keys, KEY_COLUMNS)
        }
        AuthServerCmd::RotateKeys { tenant: t, id } => {
            let t = tenant(conn, &t)?;
            authorization::server(conn, &t, &id)?;
            out.record(&signing::rotate_keys(conn, &t, &id, actor)?)
        }
    }
}

#[derive(Subcommand)]
enum ScopeCmd {
    /// Define a scope (shown by Okta's expand=scope)
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// Scope id
        #[arg(long)]
        id: String,
        /// Scope name (default: the id)
        #[arg(long)]
        name: Option<String>,
        /// Display name
        #[arg(long, default_value = "")]
        display_name: String,
        /// Description
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List scope definitions
    List {
        /// Only this tenant's (default: every tenant)
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Show one scope definition
    Get(IdRef),
    /// Delete a scope definition (grants holding the scope keep it: revoke them with
    /// grantctl grant revoke --scope)
    Delete(IdRef),
}

#[derive(Args)]
struct GrantAdd {
    #[command(flatten)]
    tenant: TenantArg,
    /// The user: login, Okta id, Venafi universal or GUID
    #[arg(long)]
    user: String,
    /// Client id
    #[arg(long)]
    client: String,
    /// Scope tokens (`name` or `name:restriction,…`), repeatable
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// How many grants to create
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Issuer URL recorded with the grant
    #[arg(long, default_value = "")]
    issuer: String,
    /// Grant id format: okta (oag…), pingfed (32 chars) or guid
    #[arg(long, default_value = "okta")]
    id_format: String,
    /// authorization_code, implicit, refresh_token, consent, …
    #[arg(long, default_value = "authorization_code")]
    grant_type: String,
    /// end_user or admin
    #[arg(long, default_value = "end_user")]
    source: String,
    /// name=v1,v2 (repeatable)
    #[arg(long = "attribute")]
    attributes: Vec<String>,
    /// Seconds until the grant expires
    #[arg(long)]
    expires_in: Option<i64>,
}

/// Which active grants a list or a revocation covers.
#[derive(Args)]
struct GrantSelect {
    #[command(flatten)]
    tenant: TenantArg,
    /// Only this user's (login, Okta id, universal or GUID)
    #[arg(long)]
    user: Option<String>,
    /// Only this client's
    #[arg(long)]
    client: Option<String>,
    /// Only grants holding this scope
    #[arg(long)]
    scope: Option<String>,
}

#[derive(Subcommand)]
enum GrantCmd {
    /// Create grants
    Add(GrantAdd),
    /// List active grants
    List(GrantSelect),
    /// Show one grant, whatever its status (revoked and expired ones too)
    Get(IdRef),
    /// Revoke one grant by id, or every active grant of a user, a client or a scope
    /// (with its tokens, in every gateway); the records are kept
    Revoke {
        /// Grant id (or select with --user, --client, --scope)
        id: Option<String>,
        #[command(flatten)]
        select: GrantSelect,
    },
    /// Delete a grant record with its tokens
    Delete(IdRef),
}

#[derive(Subcommand)]
enum AuditCmd {
    /// List audit rows, oldest first
    List {
        /// Only this tenant's (default: every tenant)
        #[arg(long)]
        tenant: Option<String>,
    },
}

/// One credential: by id, or by its secret (a leaked token).
#[derive(Args)]
struct CredentialRef {
    #[command(flatten)]
    tenant: TenantArg,
    /// Credential id (or --token-stdin)
    #[arg(required_unless_present = "token_stdin")]
    id: Option<String>,
    /// Read the token itself from stdin instead of an id (a leaked token: its secret is
    /// all you have)
    #[arg(long, conflicts_with = "id")]
    token_stdin: bool,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
enum CredentialCmd {
    /// Create a credential; its secret is printed once
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// api_token, bearer_token, password, client_secret
        #[arg(long)]
        kind: String,
        /// Username (password) or label (token)
        #[arg(long)]
        name: String,
        /// The user the credential acts as (login, Okta id, universal or GUID)
        #[arg(long)]
        user: Option<String>,
        /// The client the credential belongs to (client secrets)
        #[arg(long)]
        client: Option<String>,
        /// Scope the credential carries (repeatable)
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Role the credential acts with (repeatable): SUPER_ADMIN, …
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Use this secret instead of a generated one (read from the environment variable
        /// named here, so it stays out of shell history)
        #[arg(long)]
        secret_env: Option<String>,
        /// Prefix of generated tokens
        #[arg(long, default_value = "")]
        prefix: String,
        /// Seconds until the credential expires
        #[arg(long)]
        expires_in: Option<i64>,
        /// The gateway the credential is made for (repeatable): okta, venafi, ocs,
        /// pingfed:<PCV name> (a user of that PCV) or pingfed (of whichever PCV is
        /// configured). Default: what the kind is used for (api_token → okta; password with
        /// --user → venafi, without → pingfed; client_secret → ocs; bearer_token → ocs with
        /// the ocsapi scope, else okta). A gateway refuses credentials not made for it.
        #[arg(long = "face")]
        faces: Vec<String>,
    },
    /// List credentials (never their secrets)
    List {
        /// Only this tenant's (default: every tenant)
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Show one credential
    Get(CredentialRef),
    /// Revoke a credential for good (a leaked token: `grantctl credential revoke
    /// --token-stdin`)
    Revoke(CredentialRef),
    /// Disable a credential until it is enabled again
    Disable(CredentialRef),
    /// Re-enable a disabled credential (a revoked one stays revoked)
    Enable(CredentialRef),
    /// Delete a credential record
    Delete(CredentialRef),
}

const AUDIT_COLUMNS: &[&str] = &[
    "at",
    "tenant_id",
    "actor",
    "action",
    "target_kind",
    "target_id",
    "affected",
];
const TENANT_COLUMNS: &[&str] = &["id", "name", "status", "created_at"];
const USER_COLUMNS: &[&str] = &[
    "tenant_id",
    "id",
    "login",
    "aliases.okta",
    "aliases.venafi",
    "roles",
    "created_at",
];
const CLIENT_COLUMNS: &[&str] = &["id", "kind", "name", "enabled", "created_at"];
const SCOPE_COLUMNS: &[&str] = &["tenant_id", "id", "name", "display_name"];
const GRANT_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "client_id",
    "status",
    "scopes",
    "created_at",
    "expires_at",
];
const CREDENTIAL_COLUMNS: &[&str] = &[
    "tenant_id",
    "id",
    "kind",
    "name",
    "status",
    "user_id",
    "client_id",
    "faces",
    "expires_at",
];

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are successes; everything else is a usage error (2).
            let code = if e.use_stderr() {
                output::EXIT_USAGE
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.exit(),
    }
}

pub(crate) fn find_user(
    conn: &mut grant_core::DbConn,
    tenant: &TenantId,
    value: &str,
) -> grant_core::Result<User> {
    for key in [
        UserKey::Login,
        UserKey::Alias(AliasVendor::Okta),
        UserKey::Alias(AliasVendor::Venafi),
        UserKey::Id,
    ] {
        if let Some(u) = directory::find_user(conn, tenant, key, value)? {
            return Ok(u);
        }
    }
    Err(grant_core::CoreError::not_found(
        grant_core::model::RecordKind::User,
        value,
    ))
}

pub(crate) fn new_grant_id(format: &str) -> Result<String, String> {
    match format {
        "okta" => Ok(ids::okta_id("oag")),
        "pingfed" => Ok(ids::pingfed_grant_id()),
        "guid" => Ok(ids::guid()),
        other => Err(format!("unknown id format '{other}' (okta, pingfed, guid)")),
    }
}

/// The tenant named by a command, or "does not exist" naming it and the fix.
fn tenant(conn: &mut grant_core::DbConn, t: &TenantArg) -> Result<TenantIdBuf> {
    let tenant = TenantIdBuf::new(t.tenant.clone());
    directory::get_tenant(conn, &tenant)?;
    Ok(tenant)
}

fn user_ref(conn: &mut grant_core::DbConn, r: &UserRef) -> Result<(TenantIdBuf, User)> {
    let t = tenant(conn, &r.tenant)?;
    let user = find_user(conn, &t, &r.user)?;
    Ok((t, user))
}

/// The credential named by id in its tenant, or by its secret (read from stdin).
fn credential_ref(conn: &mut grant_core::DbConn, r: &CredentialRef) -> Result<Credential> {
    if r.token_stdin {
        let mut token = String::new();
        std::io::stdin()
            .read_to_string(&mut token)
            .map_err(|e| Failure::runtime(format!("reading the token from stdin: {e}")))?;
        return admin::find_credential_by_token(conn, token.trim()).map_err(|e| match e {
            grant_core::CoreError::NotFound { .. } => Failure::new(
                output::EXIT_NOT_FOUND,
                "no credential has the token given (deleted, or never issued by this database) \
                 — see grantctl credential list",
            ),
            other => other.into(),
        });
    }
    let t = tenant(conn, &r.tenant)?;
    let id =
        r.id.as_deref()
            .ok_or_else(|| Failure::usage("give a credential id or --token-stdin"))?;
    Ok(admin::get_credential(conn, &t, CredentialId::new(id))?)
}

fn grant_filter(
    conn: &mut grant_core::DbConn,
    s: &GrantSelect,
) -> Result<(TenantIdBuf, GrantFilter)> {
    let t = tenant(conn, &s.tenant)?;
    let mut filter = GrantFilter::default();
    if let Some(u) = &s.user {
        filter.user_id = Some(find_user(conn, &t, u)?.id);
    }
    if let Some(c) = &s.client {
        filter.client_id = Some(clients::get_client(conn, &t, ClientId::new(c))?.id);
    }
    filter.scope.clone_from(&s.scope);
    Ok((t, filter))
}

fn usage(e: grant_core::CoreError) -> Failure {
    Failure::usage(e.to_string())
}

/// The [database] and [hashing] settings, read as the gateways read theirs: config/
/// default.toml (or the built-in copy), `--config FILE`, then GRANT_* variables;
/// `--database-url` wins over all of them.
fn settings(cli: &Cli) -> Result<(DatabaseConfig, HashingConfig)> {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let loaded = grant_http::config::load_layers::<toml::Table>(
        "grantctl",
        "",
        &grant_http::config::config_dir(),
        cli.config.as_deref(),
        &|name| std::env::var(name).ok(),
        &vars,
    )
    .map_err(Failure::usage)?;
    let mut database = loaded.config.database;
    if let Some(url) = &cli.database_url {
        database.url.clone_from(url);
    }
    Ok((database, loaded.config.hashing))
}

fn run(cli: Cli) -> Result<()> {
    if let Command::TlsCert { out_dir } = &cli.command {
        return write_tls_cert(out_dir);
    }
    let out = Out::new(cli.output);
    let (database, hashing) = settings(&cli)?;
    let store = Store::connect(&DatabaseConfig {
        pool_size: 2,
        ..database
    })
    .map_err(|e| match e {
        grant_core::CoreError::Invalid { reason, .. } => Failure::usage(reason),
        other => Failure::from(other),
    })?;
    let mut conn = store.conn()?;
    let conn = &mut *conn;
    let actor = "grantctl";
    match cli.command {
        Command::Migrate => out.line(&format!("migrations applied ({:?})", store.backend()))?,
        Command::Tenant(cmd) => tenant_cmd(conn, &out, cmd, actor)?,
        Command::User(cmd) => user_cmd(conn, &out, cmd, actor)?,
        Command::Client(cmd) => client_cmd(conn, &out, cmd, actor)?,
        Command::Scope(cmd) => scope_cmd(conn, &out, cmd, actor)?,
        Command::AuthServer(cmd) => auth_server_cmd(conn, &out, cmd, actor)?,
        Command::Grant(cmd) => grant_cmd(conn, &out, cmd, actor)?,
        Command::Credential(cmd) => credential_cmd(conn, &out, cmd, &hashing, actor)?,
        Command::Audit(AuditCmd::List { tenant: t }) => out.list(
            &admin::list_audit(conn, t.as_deref().map(TenantId::new))?,
            AUDIT_COLUMNS,
        )?,
        Command::Export { out: path } => export_to(conn, path.as_deref())?,
        Command::Import { file, .. } => out.record(&import_file(conn, &file)?)?,
        Command::SeedDemo(args) => demo::seed(conn, args, &out)?,
        Command::TlsCert { .. } => {}
    }
    Ok(())
}

/// Streams the export to `path` (or stdout), with a progress bar on a terminal.
fn export_to(conn: &mut grant_core::DbConn, path: Option<&str>) -> Result<()> {
    let total = if progress::wanted() {
        Some(export::record_count(conn)?)
    } else {
        None
    };
    let bar = progress::records(total, "export");
    let (mut sink, name): (Box<dyn Write>, &str) = match path {
        Some(path) => (
            Box::new(
                std::fs::File::create(path)
                    .map_err(|e| Failure::runtime(format!("{path}: {e}")))?,
            ),
            path,
        ),
        None => (Box::new(std::io::stdout().lock()), "stdout"),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut sink);
    let written = export::write_export(conn, &mut w, &mut || bar.inc(1)).and_then(|()| {
        w.write_all(b"\n")
            .and_then(|()| w.flush())
            .map_err(export::TransferError::Io)
    });
    bar.finish_and_clear();
    written.map_err(|e| transfer_failure(e, name))
}

/// Loads an export file (or stdin for `-`) in one transaction, streaming it, with a progress
/// bar of the bytes read on a terminal.
fn import_file(conn: &mut grant_core::DbConn, file: &str) -> Result<export::ImportCounts> {
    let (input, size): (Box<dyn Read>, Option<u64>) = if file == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let f = std::fs::File::open(file).map_err(|e| Failure::runtime(format!("{file}: {e}")))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let bar = progress::bytes(size, "import");
    let input = std::io::BufReader::with_capacity(1 << 16, bar.wrap_read(input));
    let loaded = export::import_from(conn, input);
    bar.finish_and_clear();
    loaded.map_err(|e| transfer_failure(e, if file == "-" { "stdin" } else { file }))
}

fn transfer_failure(e: export::TransferError, name: &str) -> Failure {
    match e {
        export::TransferError::Store(e) => e.into(),
        export::TransferError::Io(e) => Failure::io(name, &e),
        export::TransferError::Document(m) => {
            Failure::usage(format!("{name} is not an export: {m}"))
        }
    }
}

fn tenant_cmd(conn: &mut grant_core::DbConn, out: &Out, cmd: TenantCmd, actor: &str) -> Result<()> {
    match cmd {
        TenantCmd::Add { id, name } => out.record(&directory::create_tenant(conn, id, &name)?),
        TenantCmd::List => out.list(&admin::list_tenants(conn)?, TENANT_COLUMNS),
        TenantCmd::Get { id } => {
            let t = directory::get_tenant(conn, TenantId::new(&id))?;
            let held = admin::tenant_contents(conn, TenantId::new(&id))?;
            let mut v = serde_json::to_value(&t).map_err(|e| Failure::runtime(e.to_string()))?;
            v["contents"] =
                serde_json::to_value(held).map_err(|e| Failure::runtime(e.to_string()))?;
            out.record(&v)
        }
        TenantCmd::Disable { id } => out.record(&admin::set_tenant_status(
            conn,
            TenantId::new(&id),
            TenantStatus::Disabled,
            actor,
        )?),
        TenantCmd::Enable { id } => out.record(&admin::set_tenant_status(
            conn,
            TenantId::new(&id),
            TenantStatus::Active,
            actor,
        )?),
        TenantCmd::Delete { id, force } => {
            admin::delete_tenant(conn, TenantId::new(&id), force, actor).map_err(|e| match e {
                grant_core::CoreError::Conflict(m) => Failure::new(
                    output::EXIT_CONFLICT,
                    format!("{m} — delete them first, or pass --force to delete them with it"),
                ),
                other => other.into(),
            })?;
            out.line(&format!("tenant '{id}' deleted"))
        }
    }
}

fn user_cmd(conn: &mut grant_core::DbConn, out: &Out, cmd: UserCmd, actor: &str) -> Result<()> {
    match cmd {
        UserCmd::Add {
            tenant: t,
            login,
            id,
            okta_id,
            universal,
            display_name,
            roles,
        } => {
            let t = tenant(conn, &t)?;
            let aliases = [
                (AliasVendor::Okta, okta_id),
                (AliasVendor::Venafi, universal),
            ]
            .into_iter()
            .filter_map(|(vendor, alias)| alias.map(|a| (vendor, a)))
            .collect();
            let new = NewUser {
                id,
                login,
                aliases,
                display_name,
                roles,
                ..NewUser::default()
            };
            out.record(&directory::create_user(conn, &t, new, actor)?)
        }
        UserCmd::List { tenant: t } => {
            if let Some(t) = &t {
                directory::get_tenant(conn, TenantId::new(t))?;
            }
            out.list(
                &directory::list_users(conn, t.as_deref().map(TenantId::new))?,
                USER_COLUMNS,
            )
        }
        UserCmd::Get(r) => out.record(&user_ref(conn, &r)?.1),
        UserCmd::Disable(r) => {
            let (t, user) = user_ref(conn, &r)?;
            let n = admin::set_user_enabled(conn, &t, &user, false, actor)?.len();
            out.line(&format!(
                "user '{}' disabled: {n} credentials disabled",
                r.user
            ))
        }
        UserCmd::Enable(r) => {
            let (t, user) = user_ref(conn, &r)?;
            let n = admin::set_user_enabled(conn, &t, &user, true, actor)?.len();
            out.line(&format!(
                "user '{}' enabled: {n} credentials enabled",
                r.user
            ))
        }
        UserCmd::Delete(r) => {
            let (t, user) = user_ref(conn, &r)?;
            admin::delete_user(conn, &t, user.id(), actor)?;
            out.line(&format!("user '{}' deleted", r.user))
        }
    }
}

fn client_cmd(conn: &mut grant_core::DbConn, out: &Out, cmd: ClientCmd, actor: &str) -> Result<()> {
    match cmd {
        ClientCmd::Add {
            tenant: t,
            id,
            name,
            kind,
            redirect_uris,
            access_token_lifetime,
            refresh_token_lifetime,
            allowed_scopes,
            roles,
            tags,
            allowed_identities,
            vendor,
            description,
            renewable,
            auth_method,
            consent,
            cors_origins,
            post_logout_redirect_uris,
            grant_types,
            allow_offline_access,
        } => {
            let t = tenant(conn, &t)?;
            let kind = kind
                .map(|k| k.parse::<ClientKind>())
                .transpose()
                .map_err(usage)?;
            let token_endpoint_auth_method = auth_method
                .map(|m| m.parse::<TokenAuthMethod>())
                .transpose()
                .map_err(usage)?;
            let consent_required = match consent.as_deref() {
                None | Some("trusted") => None,
                Some("required") => Some(true),
                Some(other) => {
                    return Err(Failure::usage(format!(
                        "--consent must be required or trusted, not '{other}'"
                    )));
                }
            };
            let grant_types = grant_types
                .iter()
                .map(|g| g.parse::<GrantType>())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(usage)?;
            let new = NewClient {
                id,
                name,
                kind,
                redirect_uris,
                access_token_lifetime,
                refresh_token_lifetime,
                allowed_scopes,
                roles,
                tags,
                allowed_identities,
                vendor,
                description,
                renewable,
                token_endpoint_auth_method,
                consent_required,
                allowed_cors_origins: cors_origins,
                post_logout_redirect_uris,
                grant_types,
                allow_offline_access: allow_offline_access.then_some(true),
                ..NewClient::default()
            };
            out.record(&clients::create_client(conn, &t, new, actor)?)
        }
        ClientCmd::List { tenant: t } => {
            let t = tenant(conn, &t)?;
            out.list(&clients::list_clients(conn, &t)?, CLIENT_COLUMNS)
        }
        ClientCmd::Get(r) => {
            let t = tenant(conn, &r.tenant)?;
            out.record(&clients::get_client(conn, &t, ClientId::new(&r.id))?)
        }
        ClientCmd::Disable(r) => set_client_enabled(conn, out, &r, false, actor),
        ClientCmd::Enable(r) => set_client_enabled(conn, out, &r, true, actor),
        ClientCmd::Delete(r) => {
            let t = tenant(conn, &r.tenant)?;
            clients::delete_client(conn, &t, ClientId::new(&r.id), actor)?;
            out.line(&format!("client '{}' deleted", r.id))
        }
    }
}

fn set_client_enabled(
    conn: &mut grant_core::DbConn,
    out: &Out,
    r: &IdRef,
    enabled: bool,
    actor: &str,
) -> Result<()> {
    let t = tenant(conn, &r.tenant)?;
    let patch = ClientPatch {
        enabled: Some(enabled),
        ..ClientPatch::default()
    };
    out.record(&clients::update_client(
        conn,
        &t,
        ClientId::new(&r.id),
        patch,
        actor,
    )?)
}

fn scope_cmd(conn: &mut grant_core::DbConn, out: &Out, cmd: ScopeCmd, actor: &str) -> Result<()> {
    match cmd {
        ScopeCmd::Add {
            tenant: t,
            id,
            name,
            display_name,
            description,
        } => {
            let t = tenant(conn, &t)?;
            if admin::get_scope(conn, &t, &id).is_ok() {
                return Err(Failure::new(
                    output::EXIT_CONFLICT,
                    format!("scope '{id}' already exists — see grantctl scope get {id}"),
                ));
            }
            let def = ScopeDefinition {
                tenant_id: t.into_string(),
                name: name.unwrap_or_else(|| id.clone()),
                id,
                display_name,
                description,
                restrictions: Vec::new(),
            };
            directory::define_scopes(conn, std::slice::from_ref(&def))?;
            out.record(&def)
        }
        ScopeCmd::List { tenant: t } => {
            if let Some(t) = &t {
                directory::get_tenant(conn, TenantId::new(t))?;
            }
            out.list(
                &admin::list_scopes(conn, t.as_deref().map(TenantId::new))?,
                SCOPE_COLUMNS,
            )
        }
        ScopeCmd::Get(r) => {
            let t = tenant(conn, &r.tenant)?;
            out.record(&admin::get_scope(conn, &t, &r.id)?)
        }
        ScopeCmd::Delete(r) => {
            let t = tenant(conn, &r.tenant)?;
            admin::delete_scope(conn, &t, &r.id, actor)?;
            out.line(&format!("scope '{}' deleted", r.id))
        }
    }
}

fn grant_cmd(conn: &mut grant_core::DbConn, out: &Out, cmd: GrantCmd, actor: &str) -> Result<()> {
    match cmd {
        GrantCmd::Add(a) => add_grants(conn, out, a, actor),
        GrantCmd::List(s) => {
            let (t, filter) = grant_filter(conn, &s)?;
            out.list(&grants::list_all_grants(conn, &t, &filter)?, GRANT_COLUMNS)
        }
        GrantCmd::Get(r) => {
            let t = tenant(conn, &r.tenant)?;
            out.record(&admin::get_grant_record(conn, &t, GrantId::new(&r.id))?)
        }
        GrantCmd::Revoke { id, select } => {
            let selected =
                select.user.is_some() || select.client.is_some() || select.scope.is_some();
            let (t, filter) = grant_filter(conn, &select)?;
            match id {
                Some(id) => out.record(&grants::revoke_grant(
                    conn,
                    &t,
                    GrantId::new(&id),
                    &filter,
                    actor,
                )?),
                None if selected => {
                    let n = grants::revoke_grants(conn, &t, &filter, actor)?;
                    out.line(&format!("{n} grants revoked"))
                }
                None => Err(Failure::usage(
                    "give a grant id, or select grants with --user, --client or --scope",
                )),
            }
        }
        GrantCmd::Delete(r) => {
            let t = tenant(conn, &r.tenant)?;
            admin::delete_grant(conn, &t, GrantId::new(&r.id), actor)?;
            out.line(&format!("grant '{}' deleted", r.id))
        }
    }
}

fn add_grants(conn: &mut grant_core::DbConn, out: &Out, a: GrantAdd, actor: &str) -> Result<()> {
    let t = tenant(conn, &a.tenant)?;
    let user = find_user(conn, &t, &a.user)?;
    clients::get_client(conn, &t, ClientId::new(&a.client))?;
    let mut attributes = Vec::new();
    for raw in &a.attributes {
        let (name, values) = raw
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("attribute '{raw}': expected name=v1,v2")))?;
        attributes.push(GrantAttribute {
            name: name.into(),
            values: values.split(',').map(str::to_owned).collect(),
        });
    }
    let mut items = Vec::with_capacity(a.count);
    for _ in 0..a.count {
        let mut g = NewGrant::new(&user.id, &a.client);
        g.id = Some(new_grant_id(&a.id_format).map_err(Failure::usage)?);
        g.grant_type = a.grant_type.parse().map_err(usage)?;
        g.source = a.source.parse().map_err(usage)?;
        g.issuer = a.issuer.clone();
        g.scopes = ScopeSet::from_names(a.scopes.iter().cloned());
        g.attributes = attributes.clone();
        g.expires_at = a.expires_in.map(|s| now() + Duration::seconds(s));
        items.push(g);
    }
    if a.count == 1 {
        let g = items
            .pop()
            .ok_or_else(|| Failure::usage("nothing to add"))?;
        out.record(&grants::issue_grant(conn, &t, g, actor)?)
    } else {
        let n = grants::insert_many(conn, &t, items, actor)?;
        out.line(&format!("added {n} grants"))
    }
}

fn credential_cmd(
    conn: &mut grant_core::DbConn,
    out: &Out,
    cmd: CredentialCmd,
    hashing: &HashingConfig,
    actor: &str,
) -> Result<()> {
    match cmd {
        CredentialCmd::Add {
            tenant: t,
            kind,
            name,
            user,
            client,
            scopes,
            roles,
            secret_env,
            prefix,
            expires_in,
            faces,
        } => {
            let t = tenant(conn, &t)?;
            let user_id = match user {
                Some(u) => Some(find_user(conn, &t, &u)?.id),
                None => None,
            };
            if let Some(c) = &client {
                clients::get_client(conn, &t, ClientId::new(c))?;
            }
            let secret = match &secret_env {
                Some(var) => Some(SecretString::from(
                    std::env::var(var).map_err(|_| Failure::usage(format!("{var} is not set")))?,
                )),
                None => None,
            };
            let new = NewCredential {
                kind: kind.parse().map_err(usage)?,
                name,
                user_id,
                client_id: client,
                grant_id: None,
                scopes,
                roles,
                expires_at: expires_in.map(|s| now() + Duration::seconds(s)),
                token_prefix: prefix,
                faces,
            };
            let issued = credentials::create_credential(conn, &t, new, secret, hashing, actor)?;
            out.record(&issued.credential)?;
            match &secret_env {
                // The caller chose the secret: it is not echoed (terminals, CI logs).
                Some(var) => out.line(&format!("secret: the value of {var} (not shown)")),
                None => out.line(&format!(
                    "secret (shown once): {}",
                    issued.secret.expose_secret()
                )),
            }
        }
        CredentialCmd::List { tenant: t } => {
            if let Some(t) = &t {
                directory::get_tenant(conn, TenantId::new(t))?;
            }
            out.list(
                &admin::list_credentials(conn, t.as_deref().map(TenantId::new))?,
                CREDENTIAL_COLUMNS,
            )
        }
        CredentialCmd::Get(r) => out.record(&credential_ref(conn, &r)?),
        CredentialCmd::Revoke(r) => set_status(conn, out, &r, CredentialStatus::Revoked, actor),
        CredentialCmd::Disable(r) => set_status(conn, out, &r, CredentialStatus::Disabled, actor),
        CredentialCmd::Enable(r) => set_status(conn, out, &r, CredentialStatus::Active, actor),
        CredentialCmd::Delete(r) => {
            let c = credential_ref(conn, &r)?;
            admin::delete_credential(conn, TenantId::new(&c.tenant_id), c.id(), actor)?;
            out.line(&format!("credential '{}' deleted", c.id))
        }
    }
}

fn set_status(
    conn: &mut grant_core::DbConn,
    out: &Out,
    r: &CredentialRef,
    status: CredentialStatus,
    actor: &str,
) -> Result<()> {
    let c = credential_ref(conn, r)?;
    out.record(&admin::set_credential_status(
        conn,
        TenantId::new(&c.tenant_id),
        c.id(),
        status,
        actor,
    )?)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id != "help" && id != "version" && arg.get_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            let name = format!("{path} {}", sub.get_name());
            if sub.get_name() != "help" && sub.get_about().is_none() {
                missing.push(name.clone());
            }
            walk(sub, &name, missing);
        }
    }

    #[test]
    fn every_subcommand_and_option_is_described_in_help() {
        let cmd = super::Cli::command();
        cmd.clone().debug_assert();
        let mut missing = Vec::new();
        walk(&cmd, "grantctl", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
        let help = cmd.clone().render_long_help().to_string();
        assert!(help.contains("3  not found"), "{help}");
    }
}
