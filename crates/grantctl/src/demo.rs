//! `grantctl seed-demo`: a small, realistic data set and one ready credential per gateway.

use clap::Args;
use grant_core::DbConn;
use grant_core::HashingConfig;
use grant_core::model::*;
use grant_core::service::{clients, credentials, directory, grants};
use secrecy::ExposeSecret;
use serde_json::json;

#[derive(Args)]
pub struct SeedDemo {
    #[arg(long, default_value = "default")]
    tenant: String,
    /// Org URL the Okta grants name as issuer (the okta-compat base URL)
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    okta_issuer: String,
    /// Print the summary as JSON (for scripts)
    #[arg(long)]
    json: bool,
}

pub const ALICE_OKTA_ID: &str = "00uA1iceDemoUser0001";
pub const BOB_OKTA_ID: &str = "00uB0bDemoUser000002";
pub const WEB_APP: &str = "0oaDemoWebApp0000001";
pub const CLI_APP: &str = "0oaDemoCliTool000002";

fn grant(user: &User, client: &str, scope: &str, issuer: &str, id: String) -> NewGrant {
    let mut g = NewGrant::new(&user.id, client);
    g.id = Some(id);
    g.grant_type = GrantType::Consent;
    g.issuer = issuer.to_owned();
    g.scopes = ScopeSet::from_names([scope]);
    g.created_by = Some(Actor {
        id: user.okta_id.clone(),
        kind: "User".into(),
    });
    g
}

pub fn seed(conn: &mut DbConn, args: SeedDemo) -> Result<(), String> {
    let e = |e: grant_core::CoreError| e.to_string();
    let t = args.tenant.as_str();
    let actor = "grantctl seed-demo";
    directory::create_tenant(conn, Some(t.to_owned()), "Demo org").map_err(e)?;
    let user = |conn: &mut DbConn, login: &str, okta_id: &str, name: &str| {
        directory::create_user(
            conn,
            t,
            NewUser {
                login: login.into(),
                okta_id: Some(okta_id.into()),
                display_name: Some(name.into()),
                ..NewUser::default()
            },
            actor,
        )
    };
    let alice = user(conn, "alice", ALICE_OKTA_ID, "Alice Example").map_err(e)?;
    let bob = user(conn, "bob", BOB_OKTA_ID, "Bob Example").map_err(e)?;
    for (id, name) in [(WEB_APP, "Demo Web App"), (CLI_APP, "Demo CLI")] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(name.into()),
            redirect_uris: vec!["https://app.example.test/callback".into()],
            ..NewClient::default()
        };
        clients::create_client(conn, t, new, actor).map_err(e)?;
    }
    directory::define_scopes(
        conn,
        &[
            ScopeDefinition {
                tenant_id: t.into(),
                id: "okta.users.read".into(),
                name: "okta.users.read".into(),
                display_name: "Read users".into(),
                description: "Allows the app to read users".into(),
                restrictions: vec![],
            },
            ScopeDefinition {
                tenant_id: t.into(),
                id: "okta.users.manage".into(),
                name: "okta.users.manage".into(),
                display_name: "Manage users".into(),
                description: "Allows the app to manage users".into(),
                restrictions: vec![],
            },
        ],
    )
    .map_err(e)?;
    let issuer = args.okta_issuer.trim_end_matches('/');
    let mut okta_grants = Vec::new();
    for (u, client, scope) in [
        (&alice, WEB_APP, "okta.users.read"),
        (&alice, WEB_APP, "okta.users.manage"),
        (&alice, CLI_APP, "okta.users.read"),
        (&bob, WEB_APP, "okta.users.read"),
    ] {
        let g = grants::issue_grant(
            conn,
            t,
            grant(u, client, scope, issuer, crate::new_grant_id("okta")?),
            actor,
        )
        .map_err(e)?;
        okta_grants.push(g.id);
    }
    let okta = credentials::create_credential(
        conn,
        t,
        NewCredential {
            kind: CredentialKind::ApiToken,
            name: "demo-okta-admin".into(),
            user_id: Some(alice.id.clone()),
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles: vec!["SUPER_ADMIN".into()],
            expires_at: None,
            token_prefix: "00".into(),
        },
        None,
        &HashingConfig::default(),
        actor,
    )
    .map_err(e)?;
    let summary = json!({
        "tenant": t,
        "users": {"alice": {"okta_id": alice.okta_id, "login": alice.login}, "bob": {"okta_id": bob.okta_id, "login": bob.login}},
        "clients": [WEB_APP, CLI_APP],
        "okta": {"api_token": okta.secret.expose_secret(), "user_id": alice.okta_id, "grant_ids": okta_grants},
    });
    if args.json {
        println!("{summary}");
    } else {
        println!(
            "demo tenant '{t}' created: users alice ({}) and bob ({}), clients {WEB_APP} and {CLI_APP}",
            alice.okta_id, bob.okta_id
        );
        println!(
            "okta-compat API token (shown once): {}",
            okta.secret.expose_secret()
        );
    }
    Ok(())
}
