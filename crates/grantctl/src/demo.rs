//! `grantctl seed-demo`: a small, realistic data set and one ready credential per gateway.

use clap::Args;
use grant_core::DbConn;

use crate::output::{Failure, Out};
use grant_core::HashingConfig;
use grant_core::model::*;
use grant_core::model::{ClientId, TenantId};
use grant_core::service::{clients, credentials, directory, grants};
use secrecy::ExposeSecret;
use serde_json::json;

#[derive(Args)]
pub struct SeedDemo {
    /// Tenant to create and fill
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
/// An app that signs users in through okta-compat's `default` authorization server.
pub const SIGN_IN_APP: &str = "0oaDemoSignInApp0001";
pub const SIGN_IN_REDIRECT: &str = "http://127.0.0.1:8080/callback";

/// A demo user's identifiers, as scripts read them.
fn user_summary(u: &User) -> serde_json::Value {
    json!({"okta_id": u.alias(AliasVendor::Okta), "login": u.login, "id": u.id,
           "universal": u.alias(AliasVendor::Venafi)})
}

fn grant(user: &User, client: &str, scope: &str, issuer: &str, id: String) -> NewGrant {
    let mut g = NewGrant::new(&user.id, client);
    g.id = Some(id);
    g.grant_type = GrantType::Consent;
    g.issuer = issuer.to_owned();
    g.scopes = ScopeSet::from_names([scope]);
    g.created_by = Some(Actor {
        id: user.alias(AliasVendor::Okta).to_owned(),
        kind: "User".into(),
    });
    g
}

pub fn seed(conn: &mut DbConn, args: SeedDemo, out: &Out) -> crate::output::Result<()> {
    let e = Failure::from;
    let t = TenantId::new(&args.tenant);
    let actor = "grantctl seed-demo";
    directory::create_tenant(conn, Some(t.to_string()), "Demo org").map_err(e)?;
    let user = |conn: &mut DbConn, login: &str, okta_id: &str, name: &str| {
        directory::create_user(
            conn,
            t,
            NewUser {
                login: login.into(),
                aliases: [(AliasVendor::Okta, okta_id.to_owned())].into(),
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
    let demo = Demo {
        tenant: t.to_string(),
        alice,
        bob,
        okta_issuer: args.okta_issuer.trim_end_matches('/').to_owned(),
    };
    let mut summary = serde_json::Map::new();
    summary.insert("tenant".into(), json!(t));
    summary.insert(
        "users".into(),
        json!({"alice": user_summary(&demo.alice), "bob": user_summary(&demo.bob)}),
    );
    // One section per gateway: its grants and its ready credential.
    summary.insert("okta".into(), seed_okta(conn, &demo).map_err(e)?);
    summary.insert("pingfed".into(), seed_pingfed(conn, &demo).map_err(e)?);
    summary.insert("ocs".into(), seed_ocs(conn).map_err(e)?);
    summary.insert("venafi".into(), seed_venafi(conn, &demo).map_err(e)?);
    let summary = serde_json::Value::Object(summary);
    if args.json {
        out.line(&summary.to_string())
    } else {
        let text =
            serde_json::to_string_pretty(&summary).map_err(|e| Failure::runtime(e.to_string()))?;
        out.line(&text)?;
        out.line("(secrets above are shown once)")
    }
}

/// What every gateway's demo section builds on.
pub struct Demo {
    pub tenant: String,
    pub alice: User,
    pub bob: User,
    pub okta_issuer: String,
}

const ACTOR: &str = "grantctl seed-demo";

/// okta-compat: consent grants of alice and bob, and an API token (SSWS) acting as alice.
fn seed_okta(conn: &mut DbConn, d: &Demo) -> grant_core::Result<serde_json::Value> {
    let t = TenantId::new(&d.tenant);
    let mut ids = Vec::new();
    for (u, client, scope) in [
        (&d.alice, WEB_APP, "okta.users.read"),
        (&d.alice, WEB_APP, "okta.users.manage"),
        (&d.alice, CLI_APP, "okta.users.read"),
        (&d.bob, WEB_APP, "okta.users.read"),
    ] {
        let g = grant(
            u,
            client,
            scope,
            &d.okta_issuer,
            grant_core::service::ids::okta_id("oag"),
        );
        ids.push(grants::issue_grant(conn, t, g, ACTOR)?.id);
    }
    let token = credentials::create_credential(
        conn,
        t,
        NewCredential {
            kind: CredentialKind::ApiToken,
            name: "demo-okta-admin".into(),
            user_id: Some(d.alice.id.clone()),
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles: vec!["SUPER_ADMIN".into()],
            expires_at: None,
            token_prefix: "00".into(),
            faces: vec![Face::OKTA.to_owned()],
        },
        None,
        &HashingConfig::default(),
        ACTOR,
    )?;
    // Sign-in: alice's password, and a confidential web app that asks for consent.
    let hashing = HashingConfig::default();
    let password = credentials::create_credential(
        conn,
        t,
        NewCredential {
            kind: CredentialKind::Password,
            name: d.alice.login.clone(),
            user_id: Some(d.alice.id.clone()),
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: String::new(),
            faces: vec![Face::OKTA.to_owned()],
        },
        None,
        &hashing,
        ACTOR,
    )?;
    let app = NewClient {
        id: Some(SIGN_IN_APP.into()),
        name: Some("Demo Sign-in App".into()),
        kind: Some(ClientKind::AuthorizationCode),
        redirect_uris: vec![SIGN_IN_REDIRECT.into()],
        token_endpoint_auth_method: Some(TokenAuthMethod::ClientSecretBasic),
        consent_required: Some(true),
        ..NewClient::default()
    };
    clients::create_client(conn, t, app, ACTOR)?;
    let app_secret = credentials::create_credential(
        conn,
        t,
        NewCredential {
            kind: CredentialKind::ClientSecret,
            name: "demo-sign-in-app".into(),
            user_id: None,
            client_id: Some(SIGN_IN_APP.into()),
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: String::new(),
            faces: vec![Face::OKTA.to_owned()],
        },
        None,
        &hashing,
        ACTOR,
    )?;
    Ok(json!({
        "api_token": token.secret.expose_secret(),
        "user_id": d.alice.alias(AliasVendor::Okta),
        "grant_ids": ids,
        "login": d.alice.login,
        "password": password.secret.expose_secret(),
        "app_id": SIGN_IN_APP,
        "app_secret": app_secret.secret.expose_secret(),
        "app_redirect_uri": SIGN_IN_REDIRECT,
    }))
}

/// pingfed-compat: persistent grants of alice and bob (USER_KEY = login) for the seed's two
/// clients, and a PCV user (HTTP Basic) for the grant management service.
fn seed_pingfed(conn: &mut DbConn, d: &Demo) -> grant_core::Result<serde_json::Value> {
    let t = TenantId::new(&d.tenant);
    for (id, name) in [
        ("ac_client", "Authorization Code Client"),
        ("im_client", "Implicit Client"),
    ] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(name.into()),
            ..NewClient::default()
        };
        clients::create_client(conn, t, new, ACTOR)?;
    }
    let mut ids = Vec::new();
    for (u, client, kind, scopes, attrs) in [
        (
            &d.alice,
            "ac_client",
            GrantType::AuthorizationCode,
            vec!["openid", "profile"],
            true,
        ),
        (&d.alice, "im_client", GrantType::Implicit, vec![], false),
        (
            &d.bob,
            "ac_client",
            GrantType::AuthorizationCode,
            vec!["openid"],
            false,
        ),
    ] {
        let mut g = NewGrant::new(&u.id, client);
        g.id = Some(grant_core::service::ids::pingfed_grant_id());
        g.grant_type = kind;
        g.scopes = ScopeSet::from_names(scopes);
        if attrs {
            g.attributes = vec![GrantAttribute {
                name: "pgeaAttrSingle".into(),
                values: vec![format!("{}@example.local", u.login)],
            }];
        }
        ids.push(grants::issue_grant(conn, t, g, ACTOR)?.id);
    }
    let pcv_user = credentials::create_credential(
        conn,
        t,
        NewCredential {
            kind: CredentialKind::Password,
            name: "ws-admin".into(),
            user_id: None,
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: String::new(),
            faces: vec![Face::PINGFED.to_owned()],
        },
        None,
        &HashingConfig::default(),
        ACTOR,
    )?;
    Ok(json!({
        "username": "ws-admin",
        "password": pcv_user.secret.expose_secret(),
        "user_key": d.alice.login,
        "client_id": "ac_client",
        "grant_ids": ids,
    }))
}

pub const OCS_TENANT: &str = "c0c5de40-0000-4000-8000-000000000001";
pub const OCS_ADMIN_CLIENT: &str = "c0c5de40-0000-4000-8000-0000000000ad";
pub const OCS_SPA: &str = "c0c5de40-0000-4000-8000-00000000005a";
pub const OCS_SPA_TWO: &str = "c0c5de40-0000-4000-8000-00000000005b";

/// ocs-compat: its own GUID tenant (OCS tenants are GUIDs) with two users, two
/// authorization-code clients, authorization-code grants, and a client-credentials client
/// (Tenant Administrator + Tenant Member) whose secret gets tokens at /identity/connect/token.
fn seed_ocs(conn: &mut DbConn) -> grant_core::Result<serde_json::Value> {
    let t = TenantId::new(OCS_TENANT);
    directory::create_tenant(conn, Some(t.into()), "OCS demo tenant")?;
    let mut users = Vec::new();
    for (login, name) in [
        ("alice@ocs.example.test", "Alice Example"),
        ("bob@ocs.example.test", "Bob Example"),
    ] {
        let new = NewUser {
            login: login.into(),
            display_name: Some(name.into()),
            roles: vec!["Tenant Member".into()],
            ..NewUser::default()
        };
        users.push(directory::create_user(conn, t, new, ACTOR)?);
    }
    for (id, name) in [
        (OCS_SPA, "Plant dashboard SPA"),
        (OCS_SPA_TWO, "Mobile app"),
    ] {
        let new = NewClient {
            id: Some(id.into()),
            kind: Some(ClientKind::AuthorizationCode),
            name: Some(name.into()),
            redirect_uris: vec!["https://app.example.test/callback".into()],
            post_logout_redirect_uris: vec!["https://app.example.test/".into()],
            allowed_cors_origins: vec!["https://app.example.test".into()],
            ..NewClient::default()
        };
        clients::create_client(conn, t, new, ACTOR)?;
    }
    for (user, client) in [(0, OCS_SPA), (0, OCS_SPA), (0, OCS_SPA_TWO), (1, OCS_SPA)] {
        let mut g = NewGrant::new(&users[user].id, client);
        g.grant_type = GrantType::AuthorizationCode;
        g.scopes = ScopeSet::from_names(["openid", "ocsapi"]);
        grants::issue_grant(conn, t, g, ACTOR)?;
    }
    let admin = NewClient {
        id: Some(OCS_ADMIN_CLIENT.into()),
        kind: Some(ClientKind::ClientCredentials),
        name: Some("Demo administration client".into()),
        roles: vec![
            "2dc742ab-39ea-4fc0-a39e-2bcb71c26a5f".into(),
            "7ad2b9ef-5386-4ead-ac9f-ad99c5c5b977".into(),
        ],
        ..NewClient::default()
    };
    clients::create_client(conn, t, admin, ACTOR)?;
    let secret = credentials::create_credential(
        conn,
        t,
        NewCredential {
            kind: CredentialKind::ClientSecret,
            // ocs-compat reads a secret's Id and Description from this label.
            name: format!("{OCS_ADMIN_CLIENT}/1/demo"),
            user_id: None,
            client_id: Some(OCS_ADMIN_CLIENT.into()),
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: String::new(),
            faces: vec![Face::OCS.to_owned()],
        },
        Some(secrecy::SecretString::from(
            grant_core::service::ids::random_alnum(44),
        )),
        &HashingConfig::default(),
        ACTOR,
    )?;
    Ok(json!({
        "tenant": t,
        "client_id": OCS_ADMIN_CLIENT,
        "client_secret": secret.secret.expose_secret(),
        "user_id": users[0].id,
        "authorization_code_clients": [OCS_SPA, OCS_SPA_TWO],
    }))
}

pub const VENAFI_ADMIN: &str = "tppadmin";
pub const VENAFI_APP: &str = "DemoApp";

/// venafi-compat: an Admin identity with a password, two API integrations (`vcert-sdk`, the
/// default of Venafi's vcert, and `DemoApp`), and grants of alice and bob created through
/// the VEDauth flow (their tokens are thrown away).
fn seed_venafi(conn: &mut DbConn, d: &Demo) -> grant_core::Result<serde_json::Value> {
    use grant_core::service::{ids, tokens};
    let t = TenantId::new(&d.tenant);
    let admin = directory::create_user(
        conn,
        t,
        NewUser {
            login: VENAFI_ADMIN.into(),
            display_name: Some("TPP Admin".into()),
            roles: vec!["Admin".into()],
            ..NewUser::default()
        },
        ACTOR,
    )?;
    let password = credentials::create_credential(
        conn,
        t,
        NewCredential {
            kind: CredentialKind::Password,
            name: VENAFI_ADMIN.into(),
            user_id: Some(admin.id.clone()),
            client_id: None,
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: String::new(),
            faces: vec![Face::VENAFI.to_owned()],
        },
        None,
        &HashingConfig::default(),
        ACTOR,
    )?;
    for (id, allowed) in [
        ("vcert-sdk", vec![]),
        (
            VENAFI_APP,
            vec![
                "admin:delete".to_owned(),
                "certificate:manage,revoke".to_owned(),
                "configuration:manage".to_owned(),
            ],
        ),
    ] {
        let new = NewClient {
            id: Some(id.into()),
            name: Some(id.into()),
            kind: Some(ClientKind::ApiIntegration),
            access_token_lifetime: Some(7_776_000),
            refresh_token_lifetime: Some(31_536_000),
            allowed_scopes: allowed,
            ..NewClient::default()
        };
        clients::create_client(conn, t, new, ACTOR)?;
    }
    for (user, client, scope) in [
        (&d.alice, VENAFI_APP, "certificate:manage,revoke"),
        (&d.alice, "vcert-sdk", "certificate:manage"),
        (&d.bob, VENAFI_APP, "configuration:manage"),
    ] {
        let pair = tokens::TokenPair {
            access_token: ids::random_alnum(40),
            refresh_token: ids::random_alnum(40),
        };
        tokens::authorize(
            conn,
            t,
            user.id(),
            ClientId::new(client),
            ScopeSet(vec![Scope::parse_venafi(scope)]),
            &pair,
            ACTOR,
        )?;
    }
    Ok(json!({
        "username": VENAFI_ADMIN,
        "password": password.secret.expose_secret(),
        "client_id": VENAFI_APP,
        "admin_universal": admin.alias(AliasVendor::Venafi),
        "alice_universal": d.alice.alias(AliasVendor::Venafi),
    }))
}
