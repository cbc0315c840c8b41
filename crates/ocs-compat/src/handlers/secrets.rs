//! `/api/v1/Tenants/{tenantId}/ClientCredentialClients/{clientId}/Secrets[/{secretId}]`.
//! Secrets are grant-core's numbered client secrets (`service::client_secrets`: numbering,
//! the 10-secret limit, one transaction per change). Deleting revokes. Roles: Tenant
//! Administrator (or Self).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use grant_core::model::ClientKind;
use grant_core::service::client_secrets::{self, ClientSecret};
use grant_http::{ApiError, ApiResult};
use secrecy::ExposeSecret;

use super::acc::load;
use super::{head_response, json_response, list_response, path_param};
use crate::State;
use crate::auth::Caller;
use crate::json::{SecretBody, SecretCreated, SecretResponse, normalize_id, parse_body, timestamp};
use grant_core::model::ClientId;

/// The OCS view of a secret.
pub fn secret_response(s: &ClientSecret) -> SecretResponse {
    SecretResponse {
        id: s.number,
        description: (!s.description.is_empty()).then(|| s.description.clone()),
        expiration: s.credential.expires_at.map(timestamp),
        expires: s.credential.expires_at.is_some(),
    }
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

/// The client named in the path, checked: Self, or Tenant Administrator; of the
/// client-credentials kind, in the caller's tenant.
async fn authorized_client(req: &HttpRequest, caller: &Caller, state: &State) -> ApiResult<String> {
    let id = normalize_id(&path_param(req, "clientId"));
    let is_self = caller.client_id.as_deref() == Some(id.as_str());
    if !is_self {
        caller.require_admin()?;
    }
    load(state, caller, id.clone(), ClientKind::ClientCredentials).await?;
    Ok(id)
}

async fn client_and_secrets(
    req: &HttpRequest,
    caller: &Caller,
    state: &State,
) -> ApiResult<(String, Vec<ClientSecret>)> {
    let id = authorized_client(req, caller, state).await?;
    let tenant = caller.tenant.clone();
    let client = id.clone();
    let secrets = state
        .db(move |conn| client_secrets::list_client_secrets(conn, &tenant, ClientId::new(&client)))
        .await?;
    Ok((id, secrets))
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

fn find(secrets: Vec<ClientSecret>, id: i64) -> ApiResult<ClientSecret> {
    secrets
        .into_iter()
        .find(|s| s.number == id)
        .ok_or_else(|| ApiError::not_found("secret", id.to_string()))
}

pub async fn list(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    let body: Vec<SecretResponse> = secrets.iter().map(secret_response).collect();
    list_response(body.len() as i64, &body)
}

pub async fn count(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    Ok(head_response(Some(secrets.len() as i64)))
}

pub async fn get(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = secret_id(&req)?;
    let (_, secrets) = client_and_secrets(&req, &caller, &state).await?;
    json_response(StatusCode::OK, &secret_response(&find(secrets, id)?))
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
    let client = authorized_client(&req, &caller, &state).await?;
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    let hashing = state.config.hashing.clone();
    let description = b.description.unwrap_or_default();
    let (secret, value) = state
        .db(move |conn| {
            client_secrets::add_client_secret(
                conn,
                &tenant,
                ClientId::new(&client),
                &description,
                expires_at,
                &hashing,
                &actor,
            )
        })
        .await?;
    let r = secret_response(&secret);
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
    let updated = state
        .db(move |conn| {
            client_secrets::update_client_secret(
                conn,
                &tenant,
                ClientId::new(&client),
                id,
                &description,
                expires_at,
                &actor,
            )
        })
        .await?;
    json_response(StatusCode::OK, &secret_response(&updated))
}

pub async fn delete(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = secret_id(&req)?;
    let client = authorized_client(&req, &caller, &state).await?;
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    state
        .db(move |conn| {
            client_secrets::revoke_client_secret(conn, &tenant, ClientId::new(&client), id, &actor)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
