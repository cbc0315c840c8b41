//! The Users and Roles reads the sample libraries' wrappers make (`Users.getUsers`,
//! `getUserById`, `Roles.getRoles`, `getRoleById`). Tenant roles are those the tenant
//! defines (grant-core tenant roles, e.g. imported), else the five built-in ones with `Id`
//! equal to the RoleTypeId. Roles: Tenant Member (or Self for one's own user).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::model::UserKey;
use grant_core::service::directory;
use grant_http::{ApiError, ApiResult};

use super::{head_response, json_response, list_params, list_response, path_param};
use crate::State;
use crate::auth::Caller;
use crate::json::{RoleResponse, UserResponse, normalize_id, require_guid};

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

/// The tenant's roles: those it defines (imported from a real tenant), or the five built-in
/// tenant roles (`Id` = RoleTypeId) when it defines none. `roleTypeId` narrows the list.
async fn roles(req: &HttpRequest, caller: &Caller, state: &State) -> ApiResult<Vec<RoleResponse>> {
    caller.require_member()?;
    let tenant = caller.tenant.clone();
    let defined = state
        .db(move |conn| directory::list_roles(conn, &tenant))
        .await?;
    let all = if defined.is_empty() {
        RoleResponse::built_in(&caller.tenant)
    } else {
        defined.iter().map(RoleResponse::from).collect()
    };
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ApiError::invalid("query", e.to_string()))?
        .into_inner();
    let types: Vec<String> = pairs
        .into_iter()
        .filter(|(k, v)| k.eq_ignore_ascii_case("roleTypeId") && !v.trim().is_empty())
        .map(|(_, v)| normalize_id(v.trim()))
        .collect();
    Ok(all
        .into_iter()
        .filter(|r| types.is_empty() || types.contains(&r.role_type_id))
        .collect())
}

async fn role_page(
    req: &HttpRequest,
    caller: &Caller,
    state: &State,
) -> ApiResult<(Vec<RoleResponse>, i64)> {
    let p = list_params(req)?;
    let all = roles(req, caller, state).await?;
    let total = all.len() as i64;
    let page = all
        .into_iter()
        .skip(p.skip as usize)
        .take(p.count as usize)
        .collect();
    Ok((page, total))
}

pub async fn list_roles(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let (page, total) = role_page(&req, &caller, &state).await?;
    list_response(total, &page)
}

pub async fn count_roles(
    req: HttpRequest,
    caller: Caller,
    state: State,
) -> ApiResult<HttpResponse> {
    let (_, total) = role_page(&req, &caller, &state).await?;
    Ok(head_response(Some(total)))
}

async fn role(req: &HttpRequest, caller: &Caller, state: &State) -> ApiResult<RoleResponse> {
    let raw = path_param(req, "roleId");
    let id = normalize_id(&raw);
    roles(req, caller, state)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found("role", raw))
}

pub async fn get_role(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    json_response(StatusCode::OK, &role(&req, &caller, &state).await?)
}

pub async fn head_role(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    role(&req, &caller, &state).await?;
    Ok(head_response(None))
}
