//! `/api/v1/Tenants/{tenantId}/ClientCredentialClients/{clientId}/Secrets[/{secretId}]`.
//! A secret is a grant-core `client_secret` credential (argon2 hash); its OCS integer `Id`
//! and `Description` live in the credential's label `{clientId}/{Id}/{Description}`.
//! Deleting revokes it. At most 10 per client. Roles: Tenant Administrator (or Self).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use grant_core::model::{
    ClientKind, Credential, CredentialKind, CredentialStatus, Face, NewCredential,
};
use grant_core::service::{credentials, ids};
use grant_core::{CoreError, DbConn};
use grant_http::{ApiError, ApiResult};
use secrecy::{ExposeSecret, SecretString};

use super::acc::load;
use super::{head_response, json_response, list_response, path_param};
use crate::State;
use crate::auth::Caller;
use crate::json::{SecretBody, SecretCreated, SecretResponse, normalize_id, parse_body, timestamp};

pub const MAX_SECRETS: usize = 10;

/// A secret of a client: its integer id, description and credential.
#[derive(Debug, Clone)]
pub struct Secret {
    pub id: i64,
    pub description: String,
    pub credential: Credential,
}

impl Secret {
    pub fn label(client_id: &str, id: i64, description: &str) -> String {
        format!("{client_id}/{id}/{description}")
    }

    fn parse(credential: Credential) -> Option<Self> {
        let mut parts = credential.name.splitn(3, '/');
        let _client = parts.next()?;
        let id = parts.next()?.parse().ok()?;
        let description = parts.next().unwrap_or_default().to_owned();
        Some(Self {
            id,
            description,
            credential,
        })
    }

    pub fn response(&self) -> SecretResponse {
        SecretResponse {
            id: self.id,
            description: (!self.description.is_empty()).then(|| self.description.clone()),
            expiration: self.credential.expires_at.map(timestamp),
            expires: self.credential.expires_at.is_some(),
        }
    }
}

/// Every secret ever made for a client of the tenant (revoked ones included), by id.
pub fn all_secrets(
    conn: &mut DbConn,
    tenant: &str,
    client_id: &str,
) -> Result<Vec<Secret>, CoreError> {
    let mut out: Vec<Secret> =
        credentials::find_client_credentials(conn, CredentialKind::ClientSecret, client_id)?
            .into_iter()
            .filter(|(c, _)| c.tenant_id == tenant)
            .filter_map(|(c, _)| Secret::parse(c))
            .collect();
    out.sort_by_key(|s| s.id);
    Ok(out)
}

fn active(all: Vec<Secret>) -> Vec<Secret> {
    all.into_iter()
        .filter(|s| s.credential.status == CredentialStatus::Active)
        .collect()
}

/// `Expires` defaults to true; true needs an `Expiration`, false forbids one.
pub fn expiry(
    expires: Option<bool>,
    expiration: Option<DateTime<Utc>>,
) -> ApiResult<Option<DateTime<Utc>>> {
    match (expires.unwrap_or(true), expiration) {
        (true, Some(at)) => Ok(Some(at)),
        (true, None) => Err(ApiError::invalid(
            "Expiration",
            "is required when Expires is true or not set",
        )),
        (false, None) => Ok(None),
        (false, Some(_)) => Err(ApiError::invalid(
            "Expiration",
            "must not be set when Expires is false",
        )),
    }
}

/// Creates a secret for a client (at most 10 active); returns it with its value.
pub fn add_secret(
    conn: &mut DbConn,
    tenant: &str,
    client_id: &str,
    description: &str,
    expires_at: Option<DateTime<Utc>>,
    hashing: &grant_core::HashingConfig,
    actor: &str,
) -> Result<(Secret, SecretString), CoreError> {
    let all = all_secrets(conn, tenant, client_id)?;
    let next = all.last().map(|s| s.id + 1).unwrap_or(1);
    if active(all).len() >= MAX_SECRETS {
        return Err(CoreError::invalid(
            "Secret",
            format!("a client may have at most {MAX_SECRETS} secrets"),
        ));
    }
    let value = SecretString::from(ids::random_alnum(44));
    let new = NewCredential {
        kind: CredentialKind::ClientSecret,
        name: Secret::label(client_id, next, description),
        user_id: None,
        client_id: Some(client_id.to_owned()),
        grant_id: None,
        scopes: vec![],
        roles: vec![],
        expires_at,
        token_prefix: String::new(),
        faces: vec![Face::OCS.to_owned()],
    };
    let issued =
        credentials::create_credential(conn, tenant, new, Some(value.clone()), hashing, actor)?;
    Ok((
        Secret {
            id: next,
            description: description.to_owned(),
            credential: issued.credential,
        },
        value,
    ))
}

async fn client_and_secrets(
    req: &HttpRequest,
    caller: &Caller,
    state: &State,
) -> ApiResult<(String, Vec<Secret>)> {
    let id = normalize_id(&path_param(req, "clientId"));
    let is_self = caller.client_id.as_deref() == Some(id.as_str());
    if !is_self {
        caller.require_admin()?;
    }
    load(state, caller, id.clone(), ClientKind::ClientCredentials).await?;
    let tenant = caller.tenant.clone();
    let client = id.clone();
    let secrets = state
        .db(move |conn| all_secrets(conn, &tenant, &client))
        .await?;
    Ok((id, active(secrets)))
}

fn secret_id(req: &HttpRequest) -> ApiResult<i64> {
    let raw = path_param(req, "secretId");
    raw.parse::<i64>().map_err(|_| {
        ApiError::invalid(
            "secretId",
            format!("'{raw}' is not a valid secret identifier"),
        )
    })
}

fn find(secrets: Vec<Secret>, id: i64) -> ApiResult<Secret> {
    secrets
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError::not_found("secret", id.to_string()))
}

pub async fn list(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    let body: Vec<SecretResponse> = secrets.iter().map(Secret::response).collect();
    list_response(body.len() as i64, &body)
}

pub async fn count(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    Ok(head_response(Some(secrets.len() as i64)))
}

pub async fn get(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = secret_id(&req)?;
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    json_response(StatusCode::OK, &find(secrets, id)?.response())
}

pub async fn head(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = secret_id(&req)?;
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    find(secrets, id)?;
    Ok(head_response(None))
}

pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: State,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let b: SecretBody = parse_body(&body)?;
    let expires_at = expiry(b.expires, b.expiration)?;
    let (client, _) = client_and_secrets(&req, &caller, &state).await?;
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    let hashing = state.config.hashing.clone();
    let description = b.description.unwrap_or_default();
    let (secret, value) = state
        .db(move |conn| {
            add_secret(
                conn,
                &tenant,
                &client,
                &description,
                expires_at,
                &hashing,
                &actor,
            )
        })
        .await?;
    let r = secret.response();
    json_response(
        StatusCode::CREATED,
        &SecretCreated {
            secret: value.expose_secret().to_owned(),
            id: r.id,
            description: r.description,
            expiration: r.expiration,
            expires: r.expires,
        },
    )
}

pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: State,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = secret_id(&req)?;
    let b: SecretBody = parse_body(&body)?;
    let (client, secrets) = client_and_secrets(&req, &caller, &state).await?;
    let current = find(secrets, id)?;
    let description = b.description.unwrap_or_else(|| current.description.clone());
    let expires_at = match (b.expires, b.expiration) {
        (None, None) => current.credential.expires_at,
        (expires, expiration) => expiry(expires, expiration)?,
    };
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    let cred_id = current.credential.id.clone();
    let label = Secret::label(&client, id, &description);
    state
        .db(move |conn| {
            credentials::update_credential(conn, &tenant, &cred_id, &label, expires_at, &actor)
        })
        .await?;
    let mut updated = current;
    updated.description = description;
    updated.credential.expires_at = expires_at.map(grant_core::model::to_millis);
    json_response(StatusCode::OK, &updated.response())
}

pub async fn delete(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = secret_id(&req)?;
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    let current = find(secrets, id)?;
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    state
        .db(move |conn| {
            credentials::set_credential_status(
                conn,
                &tenant,
                &current.credential.id,
                CredentialStatus::Revoked,
                &actor,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
