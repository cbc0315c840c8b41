//! WebSDK grant calls (`POST /vedsdk/OAuth/…`): all POST with a JSON body. Each: check the
//! token's `admin` scope and the caller's roles, one database round trip through
//! grant-core, project to TPP's JSON. Logical failures are 200 with a non-zero `Result`.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use grant_core::DbConn;
use grant_core::model::TenantId;
use grant_core::model::{AliasVendor, GrantFilter, UserKey};
use grant_core::service::{clients, directory, grants};
use grant_http::ApiResult;

use crate::State;
use crate::auth::PendingCaller;
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

fn resolve(
    conn: &mut DbConn,
    tenant: &TenantId,
    grantee: Option<String>,
    app: Option<String>,
) -> grant_core::Result<Resolved> {
    if let Some(app) = &app
        && clients::find_client(conn, tenant, ClientId::new(app))?.is_none()
    {
        return Ok(Resolved::ApplicationNotFound);
    }
    let user_id = match &grantee {
        Some(u) => {
            match directory::find_user(conn, tenant, UserKey::Alias(AliasVendor::Venafi), u)? {
                Some(user) => Some(user.id),
                None => return Ok(Resolved::UnknownGrantee),
            }
        }
        None => None,
    };
    Ok(Resolved::Filter(GrantFilter {
        user_id,
        client_id: app,
        ..GrantFilter::default()
    }))
}

/// The active grants matching `filter`, projected (each with its grantee's universal).
fn list(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &GrantFilter,
    start: usize,
    count: Option<usize>,
) -> grant_core::Result<Vec<GrantWire>> {
    let page = grants::list_grants_offset(
        conn,
        tenant,
        filter,
        i64::try_from(start).unwrap_or(i64::MAX),
        count.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
    )?;
    let mut ids: Vec<&str> = page.iter().map(|g| g.user_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let users: HashMap<String, String> = directory::find_users_by_ids(conn, tenant, &ids)?
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
}

/// The grants response of a resolved query: none (and the application's absence) when it
/// resolved to nothing, the page otherwise.
fn listed(
    conn: &mut DbConn,
    tenant: &TenantId,
    resolved: Resolved,
    start: usize,
    count: Option<usize>,
) -> grant_core::Result<(Vec<GrantWire>, i32)> {
    Ok(match resolved {
        Resolved::ApplicationNotFound => (Vec::new(), RESULT_APPLICATION_NOT_FOUND),
        Resolved::UnknownGrantee => (Vec::new(), RESULT_SUCCESS),
        Resolved::Filter(f) => (list(conn, tenant, &f, start, count)?, RESULT_SUCCESS),
    })
}

fn grants_response(grants: Vec<GrantWire>, result: i32) -> HttpResponse {
    ok(&GrantsResponse {
        Grants: grants,
        Result: result,
        Success: result == RESULT_SUCCESS,
    })
}

/// Which grant listing a request is: GetGrants (one grantee, all of their grants) or
/// EnumerateGrants (any grantee and/or application, `Start`/`Count` paging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    OneGrantee,
    Enumeration,
}

async fn list_grants(
    state: State,
    caller: PendingCaller,
    body: web::Bytes,
    listing: Listing,
) -> ApiResult<HttpResponse> {
    let parsed = parse_body::<GrantsRequest>(&body);
    let tenant = state.tenant().to_buf();
    let (grants, result) = caller
        .run(move |conn, caller| {
            caller.require_admin_scope(None)?;
            let req = parsed?;
            let grantee = non_empty(req.GranteePrefixedUniversal);
            if listing == Listing::OneGrantee && grantee.is_none() {
                return Err(invalid_request("GranteePrefixedUniversal is required"));
            }
            caller.may_access(grantee.as_deref(), false)?;
            let (start, count) = match listing {
                Listing::OneGrantee => (0, None),
                Listing::Enumeration => (paging(&req.Start)?.unwrap_or(0), paging(&req.Count)?),
            };
            let resolved = resolve(conn, &tenant, grantee, non_empty(req.ApplicationId))?;
            Ok(listed(conn, &tenant, resolved, start, count)?)
        })
        .await?;
    Ok(grants_response(grants, result))
}

/// `POST /vedsdk/OAuth/GetGrants`: one grantee's grants, optionally for one application.
/// Readers: Admin, Grant Admin, Auditor, Application Owner, or the grantee itself.
pub async fn get_grants(
    state: State,
    caller: PendingCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    list_grants(state, caller, body, Listing::OneGrantee).await
}

/// `POST /vedsdk/OAuth/EnumerateGrants`: grants of an application and/or a grantee (all
/// grants when neither is given), `Start`/`Count` paging. Same readers as GetGrants (the
/// grantee itself only for its own grants).
pub async fn enumerate_grants(
    state: State,
    caller: PendingCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    list_grants(state, caller, body, Listing::Enumeration).await
}

/// `POST /vedsdk/OAuth/GrantCount`: number of active grants of an application (of all
/// applications when `ApplicationId` is absent). Readers only.
pub async fn grant_count(
    state: State,
    caller: PendingCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let parsed = parse_body::<GrantsRequest>(&body);
    let tenant = state.tenant().to_buf();
    let count = caller
        .run(move |conn, caller| {
            caller.require_admin_scope(None)?;
            let req = parsed?;
            caller.may_access(None, false)?;
            let app = non_empty(req.ApplicationId);
            if let Some(app) = &app
                && clients::find_client(conn, &tenant, ClientId::new(app))?.is_none()
            {
                return Ok(None);
            }
            let filter = GrantFilter {
                client_id: app,
                ..GrantFilter::default()
            };
            Ok(grants::count_grants(conn, &tenant, &filter).map(Some)?)
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
    caller: PendingCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let strict = state.config.vendor.strict_revoke_scope;
    let parsed = parse_body::<GrantsRequest>(&body);
    let tenant = state.tenant().to_buf();
    let result = caller
        .run(move |conn, caller| {
            caller.require_admin_scope(strict.then_some("delete"))?;
            let req = parsed?;
            let grantee = non_empty(req.GranteePrefixedUniversal);
            let app = non_empty(req.ApplicationId);
            if grantee.is_none() && app.is_none() {
                return Err(invalid_request(
                    "GranteePrefixedUniversal or ApplicationId is required",
                ));
            }
            caller.may_access(grantee.as_deref(), true)?;
            let filter = match resolve(conn, &tenant, grantee, app)? {
                Resolved::ApplicationNotFound => return Ok(RESULT_APPLICATION_NOT_FOUND),
                Resolved::UnknownGrantee => return Ok(RESULT_SUCCESS),
                Resolved::Filter(f) => f,
            };
            grants::revoke_grants(conn, &tenant, &filter, caller.universal())?;
            Ok(RESULT_SUCCESS)
        })
        .await?;
    Ok(ok(&ResultResponse::new(result)))
}
