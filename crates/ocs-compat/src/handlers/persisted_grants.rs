//! `/api/v1/Tenants/{tenantId}/Users/{userId}/PersistedGrants`: the client ids that hold
//! persisted grants (of the configured types) for a user; HEAD counts them; DELETE
//! revokes them. Unknown user: 404. Roles: Tenant Member, Tenant Administrator, or Self.

use actix_web::{HttpRequest, HttpResponse};
use grant_core::model::{GrantFilter, UserKey};
use grant_core::service::{directory, grants};
use grant_core::{CoreError, DbConn};
use grant_http::ApiResult;

use super::{head_response, list_response, path_param};
use crate::State;
use crate::auth::Caller;
use crate::json::require_guid;
use grant_core::model::TenantId;

fn filter(state: &State, user: &str) -> GrantFilter {
    GrantFilter {
        grant_types: state.vendor.persisted_grant_types.clone(),
        ..GrantFilter::by_user(user)
    }
}

fn existing_user(conn: &mut DbConn, tenant: &TenantId, user: &str) -> Result<(), CoreError> {
    directory::get_user(conn, tenant, UserKey::Id, user).map(|_| ())
}

async fn client_ids(req: &HttpRequest, caller: &Caller, state: &State) -> ApiResult<Vec<String>> {
    let user = require_guid("userId", &path_param(req, "userId"))?;
    caller.may_access_user_grants(&user, false)?;
    let tenant = caller.tenant.clone();
    let f = filter(state, &user);
    state
        .db(move |conn| {
            existing_user(conn, &tenant, &user)?;
            grants::client_ids_with_grants(conn, &tenant, &f)
        })
        .await
}

pub async fn list(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let ids = client_ids(&req, &caller, &state).await?;
    list_response(ids.len() as i64, &ids)
}

pub async fn count(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let ids = client_ids(&req, &caller, &state).await?;
    Ok(head_response(Some(ids.len() as i64)))
}

pub async fn remove(req: HttpRequest, caller: Caller, state: State) -> ApiResult<HttpResponse> {
    let user = require_guid("userId", &path_param(&req, "userId"))?;
    caller.may_access_user_grants(&user, true)?;
    let tenant = caller.tenant.clone();
    let f = filter(&state, &user);
    let actor = caller.actor.clone();
    state
        .db(move |conn| {
            existing_user(conn, &tenant, &user)?;
            grants::revoke_grants(conn, &tenant, &f, &actor)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
