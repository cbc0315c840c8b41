//! `/api/v1/Tenants/{tenantId}/AuthorizationCodeClients[/{clientId}]`. Reads: Self or
//! Tenant Member; writes: Tenant Administrator. PUT merges (absent or null properties keep
//! their value). Clients of another kind are not found here.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::CoreError;
use grant_core::model::{Client, ClientFilter, ClientKind, ClientPatch, NewClient};
use grant_core::service::clients;
use grant_http::{ApiError, ApiResult};

use super::{head_response, json_response, list_params, list_response, path_param};
use crate::State;
use crate::auth::Caller;
use crate::json::{
    AuthorizationCodeClientBody, AuthorizationCodeClientResponse, normalize_id, parse_body,
    require_guid,
};
use grant_core::model::ClientId;

const KIND: ClientKind = ClientKind::AuthorizationCode;

/// The client limit is a 400 in OCS ("client limit exceeded").
pub fn limit_is_invalid(e: CoreError) -> CoreError {
    match e {
        CoreError::Forbidden(reason) => CoreError::invalid("Client", reason),
        other => other,
    }
}

/// A client of `kind` in the caller's tenant, or not found.
pub async fn load(
    state: &State,
    caller: &Caller,
    id: String,
    kind: ClientKind,
) -> ApiResult<Client> {
    let tenant = caller.tenant.clone();
    let found = state
        .db(move |conn| clients::find_client(conn, &tenant, ClientId::new(&id)).map(|c| (c, id)))
        .await?;
    match found {
        (Some(c), _) if c.kind == kind => Ok(c),
        (_, id) => Err(ApiError::not_found("client", id)),
    }
}

/// Lists (or counts) the clients of `kind` matching the query.
pub async fn page(
    req: &HttpRequest,
    caller: &Caller,
    state: &State,
    kind: ClientKind,
) -> ApiResult<(Vec<Client>, i64)> {
    caller.require_member()?;
    let p = list_params(req)?;
    let tenant = caller.tenant.clone();
    let filter = ClientFilter {
        kind: Some(kind),
        ids: p.ids,
        tags: p.tags,
    };
    state
        .db(move |conn| clients::list_clients_page(conn, &tenant, &filter, p.skip, p.count))
        .await
}

pub async fn list(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (items, total) = page(&req, &caller, &state, KIND).await?;
    let body: Vec<AuthorizationCodeClientResponse> = items.iter().map(Into::into).collect();
    list_response(total, &body)
}

pub async fn count(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (_, total) = page(&req, &caller, &state, KIND).await?;
    Ok(head_response(Some(total)))
}

pub async fn create(caller: Caller, state: State, body: web::Bytes) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let b: AuthorizationCodeClientBody = parse_body(&body)?;
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
        redirect_uris: b.redirect_uris.unwrap_or_default(),
        post_logout_redirect_uris: b.post_logout_redirect_uris.unwrap_or_default(),
        client_uri: b.client_uri,
        logo_uri: b.logo_uri,
        tags: b.tags.unwrap_or_default(),
        allowed_cors_origins: b.allowed_cors_origins.unwrap_or_default(),
        allow_offline_access: b.allow_offline_access,
        ..NewClient::default()
    };
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    let created = state
        .db(move |conn| {
            clients::create_client(conn, &tenant, new, &actor).map_err(limit_is_invalid)
        })
        .await?;
    json_response(
        StatusCode::CREATED,
        &AuthorizationCodeClientResponse::from(&created),
    )
}

pub async fn get(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = normalize_id(&path_param(&req, "clientId"));
    caller.require_member_or_self(&id)?;
    let c = load(&state, &caller, id, KIND).await?;
    json_response(StatusCode::OK, &AuthorizationCodeClientResponse::from(&c))
}

pub async fn head(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let id = normalize_id(&path_param(&req, "clientId"));
    caller.require_member_or_self(&id)?;
    load(&state, &caller, id, KIND).await?;
    Ok(head_response(None))
}

/// The body's `Id`, when given, must name the client of the path.
pub fn check_body_id(body_id: Option<&str>, path_id: &str) -> ApiResult<()> {
    match body_id {
        Some(raw) if normalize_id(raw) != path_id => Err(ApiError::invalid(
            "Id",
            "does not match the client identifier of the path",
        )),
        _ => Ok(()),
    }
}

pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: State,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let id = normalize_id(&path_param(&req, "clientId"));
    let b: AuthorizationCodeClientBody = parse_body(&body)?;
    check_body_id(b.id.as_deref(), &id)?;
    load(&state, &caller, id.clone(), KIND).await?;
    let patch = ClientPatch {
        name: b.name,
        enabled: b.enabled,
        access_token_lifetime: b.access_token_lifetime,
        redirect_uris: b.redirect_uris,
        post_logout_redirect_uris: b.post_logout_redirect_uris,
        client_uri: b.client_uri,
        logo_uri: b.logo_uri,
        tags: b.tags,
        allowed_cors_origins: b.allowed_cors_origins,
        allow_offline_access: b.allow_offline_access,
        roles: None,
    };
    let tenant = caller.tenant.clone();
    let actor = caller.actor.clone();
    let updated = state
        .db(move |conn| clients::update_client(conn, &tenant, ClientId::new(&id), patch, &actor))
        .await?;
    json_response(
        StatusCode::OK,
        &AuthorizationCodeClientResponse::from(&updated),
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
