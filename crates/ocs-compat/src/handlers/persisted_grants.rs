//! `/api/v1/Tenants/{tenantId}/Users/{userId}/PersistedGrants`: the client ids that hold
//! persisted grants (of the configured types) for a user; HEAD counts them; DELETE
//! revokes them. Unknown user: 404. Roles: Tenant Member, Tenant Administrator, or Self.

use actix_web::{HttpRequest, HttpResponse};
use grant_core::model::{GrantFilter, GrantType, UserKey};
use grant_core::service::{directory, grants};
use grant_core::{CoreError, DbConn};
use grant_http::ApiResult;

use super::{head_response, list_response, path_param};
use crate::State;
use crate::auth::PendingCaller;
use crate::json::require_guid;
use grant_core::model::TenantId;

fn filter(grant_types: Vec<GrantType>, user: &str) -> GrantFilter {
    GrantFilter {
        grant_types,
        ..GrantFilter::by_user(user)
    }
}

fn existing_user(conn: &mut DbConn, tenant: &TenantId, user: &str) -> Result<(), CoreError> {
    directory::get_user(conn, tenant, UserKey::Id, user).map(|_| ())
}

fn client_ids(
    req: &HttpRequest,
    caller: PendingCaller,
    state: &State,
) -> impl Future<Output = ApiResult<Vec<String>>> + 'static {
    let user = require_guid("userId", &path_param(req, "userId"));
    let types = state.vendor.persisted_grant_types.clone();
    caller.run(move |conn, caller| {
        let user = user?;
        caller.may_access_user_grants(&user, false)?;
        existing_user(conn, &caller.tenant, &user)?;
        Ok(grants::client_ids_with_grants(
            conn,
            &caller.tenant,
            &filter(types, &user),
        )?)
    })
}

pub async fn list(
    req: HttpRequest,
    caller: PendingCaller,
    state: State,
) -> ApiResult<HttpResponse> {
    let ids = client_ids(&req, caller, &state).await?;
    list_response(ids.len() as i64, &ids)
}

pub async fn count(
    req: HttpRequest,
    caller: PendingCaller,
    state: State,
) -> ApiResult<HttpResponse> {
    let ids = client_ids(&req, caller, &state).await?;
    Ok(head_response(Some(ids.len() as i64)))
}

pub async fn remove(
    req: HttpRequest,
    caller: PendingCaller,
    state: State,
) -> ApiResult<HttpResponse> {
    let user = require_guid("userId", &path_param(&req, "userId"));
    let types = state.vendor.persisted_grant_types.clone();
    caller
        .run(move |conn, caller| {
            let user = user?;
            caller.may_access_user_grants(&user, true)?;
            existing_user(conn, &caller.tenant, &user)?;
            let f = filter(types, &user);
            Ok(grants::revoke_grants(
                conn,
                &caller.tenant,
                &f,
                &caller.actor,
            )?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
