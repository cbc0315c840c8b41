//! Numbered secrets of client-credentials clients (OCS's `…/Secrets`). A secret is a
//! `client_secret` credential (argon2id hash) labelled `{clientId}/{number}/{description}`;
//! numbers grow per client and are never reused; at most [`MAX_ACTIVE_SECRETS`] are active
//! at once. Each write is one transaction with its audit row, and the client's row is
//! locked while a secret is numbered, so two concurrent adds never share a number.

use crate::model::{ClientId, TenantId};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::config::HashingConfig;
use crate::model::RecordKind;
use crate::model::{
    Client, Credential, CredentialKind, CredentialStatus, Face, NewClient, NewCredential, to_millis,
};
use crate::service::credentials::{hash_password, insert_credential};
use crate::service::{clients as client_rules, ids};
use crate::store::{DbConn, credentials, dialect};
use crate::{CoreError, Result};

/// Active secrets one client may hold.
pub const MAX_ACTIVE_SECRETS: usize = 10;

/// A secret of a client: its number, description and credential.
#[derive(Debug, Clone)]
pub struct ClientSecret {
    pub number: i64,
    pub description: String,
    pub credential: Credential,
}

impl ClientSecret {
    fn label(client_id: &str, number: i64, description: &str) -> String {
        format!("{client_id}/{number}/{description}")
    }

    fn parse(credential: Credential) -> Option<Self> {
        let mut parts = credential.name.splitn(3, '/');
        let _client = parts.next()?;
        let number = parts.next()?.parse().ok()?;
        let description = parts.next().unwrap_or_default().to_owned();
        Some(Self {
            number,
            description,
            credential,
        })
    }

    pub fn is_active(&self) -> bool {
        self.credential.status == CredentialStatus::Active
    }
}

/// Every secret ever made for the client (revoked ones included), by number.
fn all_secrets(conn: &mut DbConn, tenant: &TenantId, client_id: &str) -> Result<Vec<ClientSecret>> {
    let mut out: Vec<ClientSecret> =
        credentials::find_by_client_any_tenant(conn, CredentialKind::ClientSecret, client_id)?
            .into_iter()
            .filter(|(c, _)| c.tenant_id == tenant)
            .filter_map(|(c, _)| ClientSecret::parse(c))
            .collect();
    out.sort_by_key(|s| s.number);
    Ok(out)
}

/// The client's active secrets, by number.
pub fn list_client_secrets(
    conn: &mut DbConn,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<Vec<ClientSecret>> {
    Ok(all_secrets(conn, tenant, client_id)?
        .into_iter()
        .filter(ClientSecret::is_active)
        .collect())
}

/// One active secret of the client by number, or not found.
pub fn get_client_secret(
    conn: &mut DbConn,
    tenant: &TenantId,
    client_id: &ClientId,
    number: i64,
) -> Result<ClientSecret> {
    list_client_secrets(conn, tenant, client_id)?
        .into_iter()
        .find(|s| s.number == number)
        .ok_or_else(|| CoreError::not_found(RecordKind::Secret, number.to_string()))
}

/// A new random secret value and its argon2id hash (computed before any transaction opens:
/// hashing is slow and must not hold the write lock).
fn new_secret_value(hashing: &HashingConfig) -> Result<(SecretString, String)> {
    let value = SecretString::from(ids::random_alnum(44));
    let hash = hash_password(hashing, &value)?;
    Ok((value, hash))
}

fn insert_secret(
    conn: &mut DbConn,
    tenant: &TenantId,
    client_id: &str,
    description: &str,
    expires_at: Option<DateTime<Utc>>,
    hash: String,
    actor: &str,
) -> Result<ClientSecret> {
    dialect::write_tx(conn, |conn| {
        if !dialect::lock_client(conn, tenant, client_id)? {
            return Err(CoreError::not_found(RecordKind::Client, client_id));
        }
        let all = all_secrets(conn, tenant, client_id)?;
        let number = all.last().map(|s| s.number + 1).unwrap_or(1);
        if all.iter().filter(|s| s.is_active()).count() >= MAX_ACTIVE_SECRETS {
            return Err(CoreError::invalid(
                "Secret",
                format!("a client may have at most {MAX_ACTIVE_SECRETS} secrets"),
            ));
        }
        let new = NewCredential {
            kind: CredentialKind::ClientSecret,
            name: ClientSecret::label(client_id, number, description),
            user_id: None,
            client_id: Some(client_id.to_string()),
            grant_id: None,
            scopes: vec![],
            roles: vec![],
            expires_at,
            token_prefix: String::new(),
            faces: vec![Face::OCS.to_owned()],
        };
        let credential = insert_credential(conn, tenant, new, None, Some(hash), actor)?;
        Ok(ClientSecret {
            number,
            description: description.to_owned(),
            credential,
        })
    })
}

/// Adds a secret to an existing client (at most [`MAX_ACTIVE_SECRETS`] active); returns it
/// with its value, which is shown once and never stored.
pub fn add_client_secret(
    conn: &mut DbConn,
    tenant: &TenantId,
    client_id: &ClientId,
    description: &str,
    expires_at: Option<DateTime<Utc>>,
    hashing: &HashingConfig,
    actor: &str,
) -> Result<(ClientSecret, SecretString)> {
    let (value, hash) = new_secret_value(hashing)?;
    let secret = insert_secret(
        conn,
        tenant,
        client_id,
        description,
        expires_at,
        hash,
        actor,
    )?;
    Ok((secret, value))
}

/// Creates a client together with its first secret: one transaction, so a client is never
/// left without a secret.
pub fn create_client_with_secret(
    conn: &mut DbConn,
    tenant: &TenantId,
    new: NewClient,
    description: &str,
    expires_at: Option<DateTime<Utc>>,
    hashing: &HashingConfig,
    actor: &str,
) -> Result<(Client, ClientSecret, SecretString)> {
    let (value, hash) = new_secret_value(hashing)?;
    dialect::write_tx(conn, |conn| {
        let client = client_rules::create_client(conn, tenant, new, actor)?;
        let secret = insert_secret(
            conn,
            tenant,
            &client.id,
            description,
            expires_at,
            hash,
            actor,
        )?;
        Ok((client, secret, value))
    })
}

/// Changes an active secret's description and expiry; audited.
pub fn update_client_secret(
    conn: &mut DbConn,
    tenant: &TenantId,
    client_id: &ClientId,
    number: i64,
    description: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &str,
) -> Result<ClientSecret> {
    dialect::write_tx(conn, |conn| {
        let mut secret = get_client_secret(conn, tenant, client_id, number)?;
        let label = ClientSecret::label(client_id, number, description);
        crate::service::credentials::update_credential(
            conn,
            tenant,
            secret.credential.id(),
            &label,
            expires_at,
            actor,
        )?;
        secret.description = description.to_owned();
        secret.credential.name = label;
        secret.credential.expires_at = expires_at.map(to_millis);
        Ok(secret)
    })
}

/// Revokes an active secret (OCS's DELETE); audited.
pub fn revoke_client_secret(
    conn: &mut DbConn,
    tenant: &TenantId,
    client_id: &ClientId,
    number: i64,
    actor: &str,
) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        let secret = get_client_secret(conn, tenant, client_id, number)?;
        crate::service::credentials::set_credential_status(
            conn,
            tenant,
            secret.credential.id(),
            CredentialStatus::Revoked,
            actor,
        )
    })
}

/// The usable (active, unexpired) secrets of a client, in whichever tenant holds it (at a
/// token endpoint the client id names the tenant), with their argon2id hashes: verify the
/// presented secret against them off the async workers, then call
/// [`issue_client_credentials_token`].
pub fn usable_secrets(
    conn: &mut DbConn,
    client_id: &ClientId,
) -> Result<Vec<(Credential, String)>> {
    let at = crate::model::now();
    Ok(
        credentials::find_by_client(conn, CredentialKind::ClientSecret, client_id)?
            .into_iter()
            .filter(|(c, _)| c.is_usable_at(at) && c.is_made_for(&Face::Ocs))
            .filter_map(|(c, hash)| hash.map(|h| (c, h)))
            .collect(),
    )
}

/// An access token issued at the token endpoint: its value (shown once) and lifetime.
#[derive(Debug)]
pub struct ClientToken {
    pub access_token: SecretString,
    pub expires_in: i32,
    pub scope: String,
}

/// The client-credentials grant (RFC 6749 §4.4) after the client proved `secret_id`: one
/// transaction that re-checks the secret is still usable and the client enabled (else
/// `Unauthenticated`: invalid_client), the grant type (`Invalid{grant_type}`:
/// unsupported_grant_type) and the client's kind (`Forbidden`: unauthorized_client), then
/// stores the token (its digest) with the client's roles.
pub fn issue_client_credentials_token(
    conn: &mut DbConn,
    client_id: &ClientId,
    secret_id: &str,
    grant_type: Option<&str>,
    scope: &str,
) -> Result<ClientToken> {
    let at = crate::model::now();
    dialect::write_tx(conn, |conn| {
        let secret = credentials::find_by_client(conn, CredentialKind::ClientSecret, client_id)?
            .into_iter()
            .map(|(c, _)| c)
            .find(|c| c.id == secret_id && c.is_usable_at(at) && c.is_made_for(&Face::Ocs))
            .ok_or(CoreError::Unauthenticated)?;
        let tenant = secret.tenant_id.clone();
        let client = crate::store::clients::find_client(conn, &tenant, client_id)?
            .filter(|c| c.enabled)
            .ok_or(CoreError::Unauthenticated)?;
        if grant_type != Some("client_credentials") {
            return Err(CoreError::invalid(
                "grant_type",
                "only client_credentials is supported",
            ));
        }
        if client.kind != crate::model::ClientKind::ClientCredentials {
            return Err(CoreError::Forbidden(
                "the client may not use the client_credentials grant".into(),
            ));
        }
        let value = SecretString::from(ids::random_alnum(40));
        let new = NewCredential {
            kind: CredentialKind::BearerToken,
            name: format!("access token {}", ids::guid()),
            user_id: None,
            client_id: Some(client.id.clone()),
            grant_id: None,
            scopes: vec![scope.to_owned()],
            roles: client.roles.clone(),
            expires_at: Some(
                at + chrono::Duration::seconds(i64::from(client.access_token_lifetime)),
            ),
            token_prefix: String::new(),
            faces: vec![Face::OCS.to_owned()],
        };
        let digest =
            crate::service::credentials::token_digest(secrecy::ExposeSecret::expose_secret(&value));
        insert_credential(
            conn,
            TenantId::new(&tenant),
            new,
            Some(digest.to_vec()),
            None,
            "token endpoint",
        )?;
        Ok(ClientToken {
            access_token: value,
            expires_in: client.access_token_lifetime,
            scope: scope.to_owned(),
        })
    })
}
