//! The eight operations. Path segments arrive percent-decoded exactly once (actix's `Path`
//! extractor). Query parameters are not part of the service and are ignored.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::model::{Grant, GrantFilter, User, UserKey};
use grant_core::service::{clients, directory, grants};
use grant_core::{CoreError, DbConn};
use grant_http::ApiResult;

use crate::State;
use crate::auth::Caller;
use crate::json::{GrantList, GrantResponse};
use grant_core::model::TenantId;
use grant_core::model::{ClientId, GrantId};

/// Whose grants a path names.
#[derive(Debug, Clone)]
enum Owner {
    /// A USER_KEY (the user's login). Unknown keys simply have no grants.
    User(String),
    /// A client id. Unknown clients are 404.
    Client(String),
}

/// The filter for an owner, or None when the user key is unknown (no grants).
fn filter_for(
    conn: &mut DbConn,
    tenant: &TenantId,
    owner: &Owner,
) -> Result<Option<(GrantFilter, Option<User>)>, CoreError> {
    match owner {
        Owner::User(key) => Ok(directory::find_user(conn, tenant, UserKey::Login, key)?
            .map(|u| (GrantFilter::by_user(&u.id), Some(u)))),
        Owner::Client(id) => {
            clients::get_client(conn, tenant, ClientId::new(id))?;
            Ok(Some((GrantFilter::by_client(id), None)))
        }
    }
}

/// The USER_KEY of each grant's user, by user id.
fn user_keys(
    conn: &mut DbConn,
    tenant: &TenantId,
    items: &[Grant],
    known: Option<User>,
) -> Result<HashMap<String, String>, CoreError> {
    let mut keys = HashMap::new();
    if let Some(u) = known {
        keys.insert(u.id, u.login);
        return Ok(keys);
    }
    let mut ids: Vec<&str> = items.iter().map(|g| g.user_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        for u in grant_core::service::directory::find_users_by_ids(conn, tenant, chunk)? {
            keys.insert(u.id, u.login);
        }
    }
    Ok(keys)
}

fn project(items: &[Grant], keys: &HashMap<String, String>) -> Vec<GrantResponse> {
    items
        .iter()
        .map(|g| {
            let key = keys.get(&g.user_id).map(String::as_str).unwrap_or_default();
            GrantResponse::project(g, key)
        })
        .collect()
}

async fn list(state: State, owner: Owner) -> ApiResult<HttpResponse> {
    let tenant = state.tenant().to_buf();
    let items = state
        .db(move |conn| {
            let Some((filter, user)) = filter_for(conn, &tenant, &owner)? else {
                return Ok(Vec::new());
            };
            let items = grants::list_all_grants(conn, &tenant, &filter)?;
            let keys = user_keys(conn, &tenant, &items, user)?;
            Ok(project(&items, &keys))
        })
        .await?;
    Ok(HttpResponse::Ok().json(GrantList { items }))
}

async fn get_one(state: State, owner: Owner, grant_id: String) -> ApiResult<HttpResponse> {
    let tenant = state.tenant().to_buf();
    let mut items = state
        .db(move |conn| {
            let Some((filter, user)) = filter_for(conn, &tenant, &owner)? else {
                return Err(CoreError::not_found(
                    grant_core::model::RecordKind::Grant,
                    grant_id,
                ));
            };
            let grant = grants::get_grant(conn, &tenant, GrantId::new(&grant_id), &filter)?;
            let items = vec![grant];
            let keys = user_keys(conn, &tenant, &items, user)?;
            Ok(project(&items, &keys))
        })
        .await?;
    let grant = items.pop().ok_or(grant_http::ApiError::Internal)?;
    Ok(HttpResponse::Ok().json(grant))
}

async fn revoke_one(
    state: State,
    caller: Caller,
    owner: Owner,
    grant_id: String,
) -> ApiResult<HttpResponse> {
    let tenant = state.tenant().to_buf();
    let actor = caller.actor(&state.config.vendor.pcv_name);
    state
        .db(move |conn| {
            let Some((filter, _)) = filter_for(conn, &tenant, &owner)? else {
                return Err(CoreError::not_found(
                    grant_core::model::RecordKind::Grant,
                    grant_id,
                ));
            };
            grants::revoke_grant(conn, &tenant, GrantId::new(&grant_id), &filter, &actor)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn revoke_all(
    state: State,
    req: &HttpRequest,
    caller: Caller,
    owner: Owner,
) -> ApiResult<HttpResponse> {
    if req.query_string().contains("grantId=") {
        // Documented semantics: the query is not part of the service; every grant goes.
        log::warn!(
            "DELETE {} with a grantId query parameter revokes ALL grants of the {}",
            req.path(),
            if matches!(owner, Owner::User(_)) {
                "user"
            } else {
                "client"
            }
        );
    }
    let tenant = state.tenant().to_buf();
    let actor = caller.actor(&state.config.vendor.pcv_name);
    state
        .db(move |conn| match filter_for(conn, &tenant, &owner)? {
            Some((filter, _)) => grants::revoke_grants(conn, &tenant, &filter, &actor),
            None => Ok(0),
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// GET /pf-ws/rest/oauth/clients/{clientId}/grants
pub async fn list_client_grants(
    state: State,
    _caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    list(state, Owner::Client(path.into_inner())).await
}

/// GET /pf-ws/rest/oauth/users/{userKey}/grants
pub async fn list_user_grants(
    state: State,
    _caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    list(state, Owner::User(path.into_inner())).await
}

/// GET /pf-ws/rest/oauth/clients/{clientId}/grants/{grantId}
pub async fn get_client_grant(
    state: State,
    _caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (client, grant) = path.into_inner();
    get_one(state, Owner::Client(client), grant).await
}

/// GET /pf-ws/rest/oauth/users/{userKey}/grants/{grantId}
pub async fn get_user_grant(
    state: State,
    _caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (user, grant) = path.into_inner();
    get_one(state, Owner::User(user), grant).await
}

/// DELETE /pf-ws/rest/oauth/clients/{clientId}/grants/{grantId}
pub async fn revoke_client_grant(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (client, grant) = path.into_inner();
    revoke_one(state, caller, Owner::Client(client), grant).await
}

/// DELETE /pf-ws/rest/oauth/users/{userKey}/grants/{grantId}
pub async fn revoke_user_grant(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (user, grant) = path.into_inner();
    revoke_one(state, caller, Owner::User(user), grant).await
}

/// DELETE /pf-ws/rest/oauth/clients/{clientId}/grants
pub async fn revoke_client_grants(
    state: State,
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    revoke_all(state, &req, caller, Owner::Client(path.into_inner())).await
}

/// DELETE /pf-ws/rest/oauth/users/{userKey}/grants
pub async fn revoke_user_grants(
    state: State,
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    revoke_all(state, &req, caller, Owner::User(path.into_inner())).await
}
