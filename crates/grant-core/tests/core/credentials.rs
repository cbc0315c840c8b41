//! Credentials: token digests, the password verifier, and disabled tenants.

use grant_core::CoreError;
use grant_core::model::*;
use grant_core::model::{ClientId, CredentialId};
use grant_core::service::{credentials, directory, export};
use grant_core::testing::fast_hashing;
use grant_core::testing::fixture::{Fixture, credential};
use secrecy::SecretString;

use crate::TENANT;

#[test]
fn tokens_are_stored_as_digests_and_stop_working_when_disabled() {
    let f = Fixture::new();
    f.tenant("t");
    let mut conn = f.store.conn().unwrap();
    let issued = credential(CredentialKind::ApiToken)
        .name("ci")
        .scopes(&["okta.users.read"])
        .roles(&["admin"])
        .prefix("00")
        .issue_with(&mut conn, "t", None, &fast_hashing());
    let token = secrecy::ExposeSecret::expose_secret(&issued.secret).to_owned();
    assert!(token.starts_with("00") && token.len() == 42);
    assert!(
        !format!("{issued:?}").contains(&token),
        "Debug never prints the secret"
    );
    let found = credentials::authenticate_token(&mut conn, &token, &Face::Okta)
        .unwrap()
        .unwrap();
    assert_eq!(found.id, issued.credential.id);
    assert!(
        credentials::authenticate_token(&mut conn, "00nope", &Face::Okta)
            .unwrap()
            .is_none()
    );
    let snap = export::export(&mut conn).unwrap();
    let json = serde_json::to_string(&snap).unwrap();
    assert!(!json.contains(&token), "export holds no token");
    credentials::set_credential_status(
        &mut conn,
        TENANT,
        CredentialId::new(&found.id),
        CredentialStatus::Disabled,
        "x",
    )
    .unwrap();
    assert!(
        credentials::authenticate_token(&mut conn, &token, &Face::Okta)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn password_verifier_checks_argon2_and_caches_successes() {
    let cfg = fast_hashing();
    let phc = credentials::hash_password(&cfg, &SecretString::from("s3cret")).unwrap();
    assert!(phc.starts_with("$argon2id$"));
    let verifier = credentials::PasswordVerifier::new(&cfg);
    assert!(
        verifier
            .verify(phc.clone(), SecretString::from("s3cret"))
            .await
            .unwrap()
    );
    assert!(
        !verifier
            .verify(phc.clone(), SecretString::from("wrong"))
            .await
            .unwrap()
    );
    // A cached success is answered without argon2: a bogus hash string proves it is not re-run.
    assert!(
        verifier
            .verify(phc.clone(), SecretString::from("s3cret"))
            .await
            .unwrap()
    );
    assert!(
        !verifier
            .verify("not-a-hash".into(), SecretString::from("s3cret"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_disabled_tenant_authenticates_nothing_until_enabled() {
    use grant_core::service::admin;
    use grant_core::service::credentials::PasswordVerifier;
    use secrecy::ExposeSecret;
    let f = Fixture::new();
    f.tenant("t");
    f.tenant("other");
    f.client("t", "cli");
    let hashing = fast_hashing();
    let mut conn = f.store.conn().unwrap();
    let mut mk = |tenant: &str, kind: CredentialKind, name: &str, client: Option<&str>| {
        let new = NewCredential {
            kind,
            name: name.into(),
            user_id: None,
            client_id: client.map(str::to_owned),
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at: None,
            token_prefix: "00".into(),
            faces: vec![],
        };
        let secret = (kind != CredentialKind::ApiToken).then(|| SecretString::from("pw"));
        credentials::create_credential(&mut conn, TenantId::new(tenant), new, secret, &hashing, "x")
            .unwrap()
    };
    let token = mk("t", CredentialKind::ApiToken, "tok", None);
    let token = token.secret.expose_secret().to_owned();
    let other = mk("other", CredentialKind::ApiToken, "tok", None);
    let other = other.secret.expose_secret().to_owned();
    mk("t", CredentialKind::Password, "pcv", None);
    mk("t", CredentialKind::ClientSecret, "cli/1/s", Some("cli"));
    let verifier = PasswordVerifier::new(&hashing);
    let store = f.store.clone();
    let login = || {
        credentials::login_password(
            &store,
            &verifier,
            TENANT,
            &Face::PingFederate { pcv: "P1" },
            "pcv",
            SecretString::from("pw"),
            "10.0.0.1",
        )
    };
    let usable = |conn: &mut grant_core::DbConn| {
        (
            credentials::authenticate_token(conn, &token, &Face::Okta)
                .unwrap()
                .is_some(),
            credentials::find_client_credentials(
                conn,
                CredentialKind::ClientSecret,
                ClientId::new("cli"),
            )
            .unwrap()
            .len(),
        )
    };
    assert_eq!(usable(&mut conn), (true, 1));
    login().await.unwrap();

    let t = admin::set_tenant_status(&mut conn, TENANT, TenantStatus::Disabled, "ops").unwrap();
    assert_eq!(t.status, TenantStatus::Disabled);
    assert_eq!(
        directory::get_tenant(&mut conn, TENANT).unwrap().status,
        TenantStatus::Disabled
    );
    assert_eq!(usable(&mut conn), (false, 0));
    assert!(matches!(login().await, Err(CoreError::Unauthenticated)));
    // Another tenant is untouched; the operator still finds a leaked token of the tenant;
    // the credentials keep their own status.
    assert!(
        credentials::authenticate_token(&mut conn, &other, &Face::Okta)
            .unwrap()
            .is_some()
    );
    let found = admin::find_credential_by_token(&mut conn, &token).unwrap();
    assert_eq!(found.status, CredentialStatus::Active);

    admin::set_tenant_status(&mut conn, TENANT, TenantStatus::Active, "ops").unwrap();
    assert_eq!(usable(&mut conn), (true, 1));
    login().await.unwrap();

    let err = admin::set_tenant_status(
        &mut conn,
        TenantId::new("nope"),
        TenantStatus::Disabled,
        "ops",
    );
    assert!(matches!(err, Err(CoreError::NotFound { .. })), "{err:?}");
    let audit: Vec<_> = admin::list_audit(&mut conn, Some(TENANT))
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::TenantStatus.as_str())
        .map(|e| (e.actor, e.detail["status"].clone()))
        .collect();
    assert_eq!(
        audit,
        vec![
            ("ops".to_owned(), serde_json::json!("disabled")),
            ("ops".to_owned(), serde_json::json!("active")),
        ]
    );
}
