//! The Users and Roles reads the sample libraries' wrappers make (`Users.getUsers`,
//! `getUserById`, `Roles.getRoles`, `getRoleById`). Tenant roles are the well-known ones,
//! with `Id` equal to the RoleTypeId. Roles: Tenant Member (or Self for one's own user).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use grant_core::model::UserKey;
use grant_core::service::directory;
use grant_http::{ApiError, ApiResult};

use super::{head_response, json_response, list_params, list_response, path_param};
use crate::State;
use crate::auth::Caller;
use crate::json::{RoleResponse, TENANT_ROLES, UserResponse, normalize_id, require_guid};

async fn users(
    req: &HttpRequest,
    caller: &Caller,
    state: &State,
) -> ApiResult<(Vec<UserResponse>, i64)> {
    caller.require_member()?;
    let p = list_params(req)?;
    let tenant = caller.tenant.clone();
    let (users, total) = state
        .db(move |conn| directory::list_users_page(conn, &tenant, &p.ids, p.skip, p.count))
        .await?;
    let page = users.iter().map(UserResponse::from).collect();
    Ok((page, total))
}

pub async fn list_users(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (page, total) = users(&req, &caller, &state).await?;
    list_response(total, &page)
}

pub async fn count_users(
    req: HttpRequest,
    caller: Caller,
    state: State,
) -> ApiResult<HttpResponse> {
    let (_, total) = users(&req, &caller, &state).await?;
    Ok(head_response(Some(total)))
}

async fn user(req: &HttpRequest, caller: &Caller, state: &State) -> ApiResult<UserResponse> {
    let id = require_guid("userId", &path_param(req, "userId"))?;
    caller.require_member_or_self(&id)?;
    let tenant = caller.tenant.clone();
    let u = state
        .db(move |conn| directory::get_user(conn, &tenant, UserKey::Id, &id))
        .await?;
    Ok(UserResponse::from(&u))
}

pub async fn get_user(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    json_response(StatusCode::OK, &user(&req, &caller, &state).await?)
}

pub async fn head_user(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    user(&req, &caller, &state).await?;
    Ok(head_response(None))
}

fn roles(caller: &Caller) -> Vec<RoleResponse> {
    TENANT_ROLES
        .iter()
        .map(|(id, name, _, description)| RoleResponse {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
            description: (*description).to_owned(),
            role_scope: 1,
            tenant_id: normalize_id(&caller.tenant),
            community_id: None,
            role_type_id: (*id).to_owned(),
        })
        .collect()
}

pub async fn list_roles(req: HttpRequest, caller: Caller) -> ApiResult<HttpResponse> {
    caller.require_member()?;
    let p = list_params(&req)?;
    let all = roles(&caller);
    let total = all.len() as i64;
    let page: Vec<_> = all
        .into_iter()
        .skip(p.skip as usize)
        .take(p.count as usize)
        .collect();
    list_response(total, &page)
}

pub async fn count_roles(req: HttpRequest, caller: Caller) -> ApiResult<HttpResponse> {
    caller.require_member()?;
    list_params(&req)?;
    Ok(head_response(Some(TENANT_ROLES.len() as i64)))
}

fn role(req: &HttpRequest, caller: &Caller) -> ApiResult<RoleResponse> {
    caller.require_member()?;
    let raw = path_param(req, "roleId");
    let id = normalize_id(&raw);
    roles(caller)
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found("role", raw))
}

pub async fn get_role(req: HttpRequest, caller: Caller) -> ApiResult<HttpResponse> {
    json_response(StatusCode::OK, &role(&req, &caller)?)
}

pub async fn head_role(req: HttpRequest, caller: Caller) -> ApiResult<HttpResponse> {
    role(&req, &caller)?;
    Ok(head_response(None))
}
