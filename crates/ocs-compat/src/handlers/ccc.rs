//! `/api/v1/Tenants/{tenantId}/ClientCredentialClients[/{clientId}]`: clients that get
//! tokens at `/identity/connect/token` with a secret. POST answers the client with its first
//! secret. `RoleIds` (tenant role ids) always include a role of type Tenant Member (the
//! tenant's, added first when missing). Reads: Self or Tenant Member; writes: Tenant
//! Administrator.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::model::{ClientKind, ClientPatch, NewClient};
use grant_core::service::{client_secrets, clients, directory};
use grant_http::ApiResult;
use secrecy::ExposeSecret;

use super::acc::{check_body_id, limit_is_invalid, load, page};
use super::{head_response, json_response, list_response, path_param};
use crate::State;
use crate::auth::Caller;
use crate::json::{
    ClientCredentialClientBody, ClientCredentialClientCreated, ClientCredentialClientResponse,
    TENANT_MEMBER, normalize_id, parse_body, require_guid, role_id, timestamp,
};
use grant_core::model::ClientId;

const KIND: ClientKind = ClientKind::ClientCredentials;

/// The given role ids, normalized and de-duplicated (Tenant Member is added by
/// `directory::ensure_role_type`, which knows the tenant's roles).
fn roles(given: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in given.iter().map(|r| role_id(r)) {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

pub async fn list(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (items, total) = page(&req, &caller, &state, KIND).await?;
    let body: Vec<ClientCredentialClientResponse> = items.iter().map(Into::into).collect();
    list_response(total, &body)
}

pub async fn count(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (_, total) = page(&req, &caller, &state, KIND).await?;
    Ok(head_response(Some(total)))
}

pub async fn create(caller: Caller, state: State, body: web::Bytes) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let b: ClientCredentialClientBody = parse_body(&body)?;
    let id =
        b.id.as_deref()
            .map(|raw| require_guid("Id", raw))
            .transpose()?;
    let new = NewClient {
        id,
        kind: Some(KIND),
        name: b.name,
        enabled: b.enabled,
        access_token_lifetime: b.access_token_lifetime,
        tags: b.tags.unwrap_or_default(),
        roles: roles(b.role_ids.unwrap_or_default()),
        ..NewClient::default()
    };
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    let hashing = state.config.hashing.clone();
    let description = b.secret_description.unwrap_or_default();
    let expires_at = b.secret_expiration_date;
    let (client, secret, value) = state
        .db(move |conn| {
            let mut new = new;
            new.roles = directory::ensure_role_type(conn, &tenant, new.roles, TENANT_MEMBER)?;
            client_secrets::create_client_with_secret(
                conn,
                &tenant,
                new,
                &description,
                expires_at,
                &hashing,
                &actor,
            )
            .map_err(limit_is_invalid)
        })
        .await?;
    json_response(
        StatusCode::CREATED,
        &ClientCredentialClientCreated {
            secret: value.expose_secret().to_owned(),
            id: secret.number,
            description: (!secret.description.is_empty()).then(|| secret.description.clone()),
            expiration_date: secret.credential.expires_at.map(timestamp),
            client: (&client).into(),
        },
    )
}

pub async fn get(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = normalize_id(&path_param(&req, "clientId"));
    caller.require_member_or_self(&id)?;
    let c = load(&state, &caller, id, KIND).await?;
    json_response(StatusCode::OK, &ClientCredentialClientResponse::from(&c))
}

pub async fn head(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = normalize_id(&path_param(&req, "clientId"));
    caller.require_member_or_self(&id)?;
    load(&state, &caller, id, KIND).await?;
    Ok(head_response(None))
}

pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: State,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let id = normalize_id(&path_param(&req, "clientId"));
    let b: ClientCredentialClientBody = parse_body(&body)?;
    check_body_id(b.id.as_deref(), &id)?;
    load(&state, &caller, id.clone(), KIND).await?;
    let patch = ClientPatch {
        name: b.name,
        enabled: b.enabled,
        access_token_lifetime: b.access_token_lifetime,
        tags: b.tags,
        roles: b.role_ids.map(roles),
        ..ClientPatch::default()
    };
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    let updated = state
        .db(move |conn| {
            let mut patch = patch;
            if let Some(r) = patch.roles.take() {
                patch.roles = Some(directory::ensure_role_type(
                    conn,
                    &tenant,
                    r,
                    TENANT_MEMBER,
                )?);
            }
            clients::update_client(conn, &tenant, ClientId::new(&id), patch, &actor)
        })
        .await?;
    json_response(
        StatusCode::OK,
        &ClientCredentialClientResponse::from(&updated),
    )
}

pub async fn delete(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let id = normalize_id(&path_param(&req, "clientId"));
    load(&state, &caller, id.clone(), KIND).await?;
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    state
        .db(move |conn| clients::delete_client(conn, &tenant, ClientId::new(&id), &actor))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
