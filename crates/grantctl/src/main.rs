//! grantctl: administer the grant store behind every gateway.

use std::io::Read;
use std::process::ExitCode;

use chrono::Duration;
use clap::{Args, Parser, Subcommand};
use grant_core::model::*;
use grant_core::service::{clients, credentials, directory, export, grants, ids};
use grant_core::{DatabaseConfig, HashingConfig, Store};
use secrecy::{ExposeSecret, SecretString};

mod demo;

#[derive(Parser)]
#[command(
    name = "grantctl",
    version,
    about = "Administer the grant store shared by the gateways"
)]
struct Cli {
    /// sqlite://PATH, a file path, or postgres://USER@HOST/DB
    #[arg(
        long,
        env = "GRANT_DATABASE_URL",
        default_value = "sqlite://grants.db",
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations
    Migrate,
    #[command(subcommand)]
    Tenant(TenantCmd),
    #[command(subcommand)]
    User(UserCmd),
    #[command(subcommand)]
    Client(ClientCmd),
    #[command(subcommand)]
    Scope(ScopeCmd),
    #[command(subcommand)]
    Grant(GrantCmd),
    #[command(subcommand)]
    Credential(CredentialCmd),
    /// Write everything as one JSON document (stdout, or --out)
    Export {
        #[arg(long)]
        out: Option<String>,
    },
    /// Load a document written by `export` (a file, or - for stdin), all or nothing
    Import {
        file: String,
        /// A gateway's config file: its `database.url` is the database to load into
        /// (GRANT_DATABASE_URL still overrides it, as for the gateways)
        #[arg(long)]
        config: Option<String>,
    },
    /// Create demo data and one ready credential per gateway, and print them
    SeedDemo(demo::SeedDemo),
    /// Write a throw-away self-signed TLS certificate and key (cert.pem, key.pem) for
    /// localhost / 127.0.0.1 / ::1, for demos and tests of the HTTPS gateways
    TlsCert {
        #[arg(long, default_value = ".")]
        out_dir: String,
    },
}

/// A self-signed pair for `localhost`, `127.0.0.1` and `::1` (demo and test use only).
fn write_tls_cert(out_dir: &str) -> Result<(), String> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
    let dir = std::path::Path::new(out_dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{out_dir}: {e}"))?;
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).map_err(|e| format!("{}: {e}", cert.display()))?;
    std::fs::write(&key, certified.key_pair.serialize_pem())
        .map_err(|e| format!("{}: {e}", key.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", key.display()))?;
    }
    println!("{}\n{}", cert.display(), key.display());
    Ok(())
}

#[derive(Subcommand)]
enum TenantCmd {
    Add {
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        name: String,
    },
    List,
}

#[derive(Subcommand)]
enum UserCmd {
    Add {
        #[arg(long, default_value = "default")]
        tenant: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        okta_id: Option<String>,
        #[arg(long)]
        universal: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
}

// Parsed once per run: the size of the `Add` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum ClientCmd {
    Add {
        #[arg(long, default_value = "default")]
        tenant: String,
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// authorization_code, client_credentials, hybrid, other
        #[arg(long)]
        kind: Option<String>,
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        #[arg(long)]
        access_token_lifetime: Option<i32>,
        #[arg(long)]
        refresh_token_lifetime: Option<i32>,
        #[arg(long = "allowed-scope")]
        allowed_scopes: Vec<String>,
        /// Role held by the client itself (OCS RoleIds: a RoleTypeId or a role name), repeatable
        #[arg(long = "role")]
        roles: Vec<String>,
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
    },
    List {
        #[arg(long, default_value = "default")]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum ScopeCmd {
    Add {
        #[arg(long, default_value = "default")]
        tenant: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
}

#[derive(Args)]
struct GrantAdd {
    #[arg(long, default_value = "default")]
    tenant: String,
    /// The user: login, Okta id, Venafi universal or GUID
    #[arg(long)]
    user: String,
    #[arg(long)]
    client: String,
    /// Scope tokens (`name` or `name:restriction,…`), repeatable
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// How many grants to create
    #[arg(long, default_value_t = 1)]
    count: usize,
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

#[derive(Subcommand)]
enum GrantCmd {
    Add(GrantAdd),
    List {
        #[arg(long, default_value = "default")]
        tenant: String,
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
enum CredentialCmd {
    /// Create a credential; its secret is printed once
    Add {
        #[arg(long, default_value = "default")]
        tenant: String,
        /// api_token, bearer_token, password, client_secret
        #[arg(long)]
        kind: String,
        /// Username (password) or label (token)
        #[arg(long)]
        name: String,
        /// The user the credential acts as (login, Okta id, universal or GUID)
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        client: Option<String>,
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Use this secret instead of a generated one (read from the environment variable
        /// named here, so it stays out of shell history)
        #[arg(long)]
        secret_env: Option<String>,
        /// Prefix of generated tokens
        #[arg(long, default_value = "")]
        prefix: String,
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
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("grantctl: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn find_user(
    conn: &mut grant_core::DbConn,
    tenant: &str,
    value: &str,
) -> grant_core::Result<User> {
    for key in [
        UserKey::Login,
        UserKey::OktaId,
        UserKey::Universal,
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

fn print_json(v: &impl serde::Serialize) -> Result<(), String> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).map_err(|e| e.to_string())?
    );
    Ok(())
}

pub(crate) fn new_grant_id(format: &str) -> Result<String, String> {
    match format {
        "okta" => Ok(ids::okta_id("oag")),
        "pingfed" => Ok(ids::pingfed_grant_id()),
        "guid" => Ok(ids::guid()),
        other => Err(format!("unknown id format '{other}' (okta, pingfed, guid)")),
    }
}

/// The database URL a gateway config file names (`[database] url`), unless
/// GRANT_DATABASE_URL is set, which overrides it as it does for the gateways.
fn config_database_url(file: &str) -> Result<String, String> {
    if let Ok(url) = std::env::var("GRANT_DATABASE_URL") {
        return Ok(url);
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let value: toml::Value = text.parse().map_err(|e| format!("{file}: {e}"))?;
    value
        .get("database")
        .and_then(|d| d.get("url"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{file}: no database.url"))
}

fn run(cli: Cli) -> Result<(), String> {
    if let Command::TlsCert { out_dir } = &cli.command {
        return write_tls_cert(out_dir);
    }
    let url = match &cli.command {
        Command::Import {
            config: Some(file), ..
        } => config_database_url(file)?,
        _ => cli.database_url.clone(),
    };
    let store = Store::connect(&DatabaseConfig {
        url,
        pool_size: 2,
        ..DatabaseConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let mut conn = store.conn().map_err(|e| e.to_string())?;
    let conn = &mut *conn;
    let actor = "grantctl";
    let e = |e: grant_core::CoreError| e.to_string();
    match cli.command {
        Command::Migrate => println!("migrations applied ({:?})", store.backend()),
        Command::Tenant(TenantCmd::Add { id, name }) => {
            print_json(&directory::create_tenant(conn, id, &name).map_err(e)?)?;
        }
        Command::Tenant(TenantCmd::List) => {
            print_json(&grant_core::store::tenants::list_tenants(conn).map_err(e)?)?
        }
        Command::User(UserCmd::Add {
            tenant,
            login,
            id,
            okta_id,
            universal,
            display_name,
            roles,
        }) => {
            let new = NewUser {
                id,
                okta_id,
                login,
                universal,
                display_name,
                roles,
                ..NewUser::default()
            };
            print_json(&directory::create_user(conn, &tenant, new, actor).map_err(e)?)?;
        }
        Command::User(UserCmd::List { tenant }) => print_json(
            &grant_core::service::directory::list_users(conn, tenant.as_deref()).map_err(e)?,
        )?,
        Command::Client(ClientCmd::Add {
            tenant,
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
        }) => {
            let kind = kind
                .map(|k| k.parse::<ClientKind>())
                .transpose()
                .map_err(e)?;
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
                ..NewClient::default()
            };
            print_json(&clients::create_client(conn, &tenant, new, actor).map_err(e)?)?;
        }
        Command::Client(ClientCmd::List { tenant }) => {
            print_json(&clients::list_clients(conn, &tenant).map_err(e)?)?
        }
        Command::Scope(ScopeCmd::Add {
            tenant,
            id,
            name,
            display_name,
            description,
        }) => {
            let def = ScopeDefinition {
                tenant_id: tenant,
                name: name.unwrap_or_else(|| id.clone()),
                id,
                display_name,
                description,
                restrictions: Vec::new(),
            };
            directory::define_scopes(conn, std::slice::from_ref(&def)).map_err(e)?;
            print_json(&def)?;
        }
        Command::Grant(GrantCmd::Add(a)) => {
            let user = find_user(conn, &a.tenant, &a.user).map_err(e)?;
            let mut attributes = Vec::new();
            for raw in &a.attributes {
                let (name, values) = raw
                    .split_once('=')
                    .ok_or(format!("attribute '{raw}': expected name=v1,v2"))?;
                attributes.push(GrantAttribute {
                    name: name.into(),
                    values: values.split(',').map(str::to_owned).collect(),
                });
            }
            let mut items = Vec::with_capacity(a.count);
            for _ in 0..a.count {
                let mut g = NewGrant::new(&user.id, &a.client);
                g.id = Some(new_grant_id(&a.id_format)?);
                g.grant_type = a.grant_type.parse().map_err(e)?;
                g.source = a.source.parse().map_err(e)?;
                g.issuer = a.issuer.clone();
                g.scopes = ScopeSet::from_names(a.scopes.iter().cloned());
                g.attributes = attributes.clone();
                g.expires_at = a.expires_in.map(|s| now() + Duration::seconds(s));
                items.push(g);
            }
            if a.count == 1 {
                let g = items.pop().ok_or("nothing to add")?;
                print_json(&grants::issue_grant(conn, &a.tenant, g, actor).map_err(e)?)?;
            } else {
                if clients::find_client(conn, &a.tenant, &a.client)
                    .map_err(e)?
                    .is_none()
                {
                    return Err(format!("client {} not found", a.client));
                }
                let n = grants::insert_many(conn, &a.tenant, items, actor).map_err(e)?;
                println!("added {n} grants");
            }
        }
        Command::Grant(GrantCmd::List { tenant, user }) => {
            let filter = match user {
                Some(u) => GrantFilter::by_user(find_user(conn, &tenant, &u).map_err(e)?.id),
                None => GrantFilter::default(),
            };
            print_json(&grants::list_all_grants(conn, &tenant, &filter).map_err(e)?)?;
        }
        Command::Credential(CredentialCmd::Add {
            tenant,
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
        }) => {
            let user_id = match user {
                Some(u) => Some(find_user(conn, &tenant, &u).map_err(e)?.id),
                None => None,
            };
            let secret = match &secret_env {
                Some(var) => Some(SecretString::from(
                    std::env::var(var).map_err(|_| format!("{var} is not set"))?,
                )),
                None => None,
            };
            let new = NewCredential {
                kind: kind.parse().map_err(e)?,
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
            let issued = credentials::create_credential(
                conn,
                &tenant,
                new,
                secret,
                &HashingConfig::default(),
                actor,
            )
            .map_err(e)?;
            print_json(&issued.credential)?;
            match &secret_env {
                // The caller chose the secret: it is not echoed (terminals, CI logs).
                Some(var) => println!("secret: the value of {var} (not shown)"),
                None => println!("secret (shown once): {}", issued.secret.expose_secret()),
            }
        }
        Command::Credential(CredentialCmd::List { tenant }) => print_json(
            &grant_core::store::credentials::list_credentials(conn, tenant.as_deref())
                .map_err(e)?,
        )?,
        Command::Export { out } => {
            let snap = export::export(conn).map_err(e)?;
            let text = serde_json::to_string_pretty(&snap).map_err(|e| e.to_string())?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text + "\n").map_err(|e| format!("{path}: {e}"))?
                }
                None => println!("{text}"),
            }
        }
        Command::Import { file, .. } => {
            let mut text = String::new();
            if file == "-" {
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| e.to_string())?;
            } else {
                text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
            }
            let snap: export::Snapshot =
                serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
            print_json(&export::import(conn, &snap).map_err(e)?)?;
        }
        Command::SeedDemo(args) => demo::seed(conn, args)?,
        Command::TlsCert { .. } => {}
    }
    Ok(())
}
