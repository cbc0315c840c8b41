//! WebSDK grant calls (`POST /vedsdk/OAuth/…`): all POST with a JSON body. Each: check the
//! token's `admin` scope and the caller's roles, one database round trip through
//! grant-core, project to TPP's JSON. Logical failures are 200 with a non-zero `Result`.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use grant_core::model::{AliasVendor, GrantFilter, UserKey};
use grant_core::service::{clients, directory, grants};
use grant_http::ApiResult;

use crate::State;
use crate::auth::Caller;
use crate::error::invalid_request;
use crate::json::{
    CountResponse, GrantWire, GrantsRequest, GrantsResponse, RESULT_APPLICATION_NOT_FOUND,
    RESULT_SUCCESS, ResultResponse, ok, paging, parse_body,
};
use grant_core::model::ClientId;

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// What a grant query resolved to: the grantee (None: unknown identity), whether the
/// application exists.
enum Resolved {
    ApplicationNotFound,
    UnknownGrantee,
    Filter(GrantFilter),
}

async fn resolve(
    state: &State,
    grantee: Option<String>,
    app: Option<String>,
) -> ApiResult<Resolved> {
    let tenant = state.tenant().to_buf();
    state
        .db(move |conn| {
            if let Some(app) = &app
                && clients::find_client(conn, &tenant, ClientId::new(app))?.is_none()
            {
                return Ok(Resolved::ApplicationNotFound);
            }
            let user_id = match &grantee {
                Some(u) => match directory::find_user(
                    conn,
                    &tenant,
                    UserKey::Alias(AliasVendor::Venafi),
                    u,
                )? {
                    Some(user) => Some(user.id),
                    None => return Ok(Resolved::UnknownGrantee),
                },
                None => None,
            };
            Ok(Resolved::Filter(GrantFilter {
                user_id,
                client_id: app,
                ..GrantFilter::default()
            }))
        })
        .await
}

/// The active grants matching `filter`, projected (each with its grantee's universal).
async fn list(
    state: &State,
    filter: GrantFilter,
    start: usize,
    count: Option<usize>,
) -> ApiResult<Vec<GrantWire>> {
    let tenant = state.tenant().to_buf();
    state
        .db(move |conn| {
            let page = grants::list_grants_offset(
                conn,
                &tenant,
                &filter,
                i64::try_from(start).unwrap_or(i64::MAX),
                count.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
            )?;
            let mut ids: Vec<&str> = page.iter().map(|g| g.user_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            let users: HashMap<String, String> = directory::find_users_by_ids(conn, &tenant, &ids)?
                .into_iter()
                .map(|u| {
                    let universal = u.alias(AliasVendor::Venafi).to_owned();
                    (u.id, universal)
                })
                .collect();
            Ok(page
                .iter()
                .map(|g| {
                    let who = users
                        .get(&g.user_id)
                        .map(String::as_str)
                        .unwrap_or_default();
                    GrantWire::new(g, who)
                })
                .collect())
        })
        .await
}

fn grants_response(grants: Vec<GrantWire>, result: i32) -> HttpResponse {
    ok(&GrantsResponse {
        Grants: grants,
        Result: result,
        Success: result == RESULT_SUCCESS,
    })
}

/// `POST /vedsdk/OAuth/GetGrants`: one grantee's grants, optionally for one application.
/// Readers: Admin, Grant Admin, Auditor, Application Owner, or the grantee itself.
pub async fn get_grants(state: State, caller: Caller, body: web::Bytes) -> ApiResult<HttpResponse> {
    caller.require_admin_scope(None)?;
    let req: GrantsRequest = parse_body(&body)?;
    let grantee = non_empty(req.GranteePrefixedUniversal)
        .ok_or_else(|| invalid_request("GranteePrefixedUniversal is required"))?;
    caller.may_access(Some(&grantee), false)?;
    match resolve(&state, Some(grantee), non_empty(req.ApplicationId)).await? {
        Resolved::ApplicationNotFound => {
            Ok(grants_response(Vec::new(), RESULT_APPLICATION_NOT_FOUND))
        }
        Resolved::UnknownGrantee => Ok(grants_response(Vec::new(), RESULT_SUCCESS)),
        Resolved::Filter(f) => Ok(grants_response(
            list(&state, f, 0, None).await?,
            RESULT_SUCCESS,
        )),
    }
}

/// `POST /vedsdk/OAuth/EnumerateGrants`: grants of an application and/or a grantee (all
/// grants when neither is given), `Start`/`Count` paging. Same readers as GetGrants (the
/// grantee itself only for its own grants).
pub async fn enumerate_grants(
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    caller.require_admin_scope(None)?;
    let req: GrantsRequest = parse_body(&body)?;
    let grantee = non_empty(req.GranteePrefixedUniversal);
    caller.may_access(grantee.as_deref(), false)?;
    let start = paging(&req.Start)?.unwrap_or(0);
    let count = paging(&req.Count)?;
    match resolve(&state, grantee, non_empty(req.ApplicationId)).await? {
        Resolved::ApplicationNotFound => {
            Ok(grants_response(Vec::new(), RESULT_APPLICATION_NOT_FOUND))
        }
        Resolved::UnknownGrantee => Ok(grants_response(Vec::new(), RESULT_SUCCESS)),
        Resolved::Filter(f) => {
            let page = list(&state, f, start, count).await?;
            Ok(grants_response(page, RESULT_SUCCESS))
        }
    }
}

/// `POST /vedsdk/OAuth/GrantCount`: number of active grants of an application (of all
/// applications when `ApplicationId` is absent). Readers only.
pub async fn grant_count(
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    caller.require_admin_scope(None)?;
    let req: GrantsRequest = parse_body(&body)?;
    caller.may_access(None, false)?;
    let tenant = state.tenant().to_buf();
    let app = non_empty(req.ApplicationId);
    let count = state
        .db(move |conn| {
            if let Some(app) = &app
                && clients::find_client(conn, &tenant, ClientId::new(app))?.is_none()
            {
                return Ok(None);
            }
            let filter = GrantFilter {
                client_id: app,
                ..GrantFilter::default()
            };
            grants::count_grants(conn, &tenant, &filter).map(Some)
        })
        .await?;
    Ok(ok(&match count {
        Some(n) => CountResponse {
            Count: n,
            Result: RESULT_SUCCESS,
            Success: true,
        },
        None => CountResponse {
            Count: 0,
            Result: RESULT_APPLICATION_NOT_FOUND,
            Success: false,
        },
    }))
}

/// `POST /vedsdk/OAuth/RevokeGrants`: revokes every active grant of a grantee and/or an
/// application, with their tokens, in one audited transaction. Needs the `admin` scope
/// (`admin:delete` when `strict_revoke_scope`), and Admin or Grant Admin — or revoking
/// one's own grants.
pub async fn revoke_grants(
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let strict = state.config.vendor.strict_revoke_scope;
    caller.require_admin_scope(strict.then_some("delete"))?;
    let req: GrantsRequest = parse_body(&body)?;
    let grantee = non_empty(req.GranteePrefixedUniversal);
    let app = non_empty(req.ApplicationId);
    if grantee.is_none() && app.is_none() {
        return Err(invalid_request(
            "GranteePrefixedUniversal or ApplicationId is required",
        ));
    }
    caller.may_access(grantee.as_deref(), true)?;
    let filter = match resolve(&state, grantee, app).await? {
        Resolved::ApplicationNotFound => {
            return Ok(ok(&ResultResponse::new(RESULT_APPLICATION_NOT_FOUND)));
        }
        Resolved::UnknownGrantee => return Ok(ok(&ResultResponse::new(RESULT_SUCCESS))),
        Resolved::Filter(f) => f,
    };
    let tenant = state.tenant().to_buf();
    let actor = caller.universal().to_owned();
    state
        .db(move |conn| grants::revoke_grants(conn, &tenant, &filter, &actor))
        .await?;
    Ok(ok(&ResultResponse::new(RESULT_SUCCESS)))
}
