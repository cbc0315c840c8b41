//! Okta shows one `OAuth2ScopeConsentGrant` per scope of a stored grant: every read and
//! revocation here works on grant-core's scope consents (their own ids), never on the
//! grant's own id; a grant without scope is not shown.
//!
//! The seven user-grant operations (path segments arrive percent-decoded exactly once by
//! actix's `Path` extractor). Each: authorize, one database round trip through
//! grant-core, project to Okta's JSON.

use actix_web::http::header::{HeaderValue, LINK};
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::model::{
    AliasVendor, GrantFilter, Page, PageRequest, ScopeConsent, ScopeDefinition, User, UserKey,
};
use grant_core::service::{clients, directory, grants};
use grant_core::{CoreError, DbConn};
use grant_http::pagination::{decode_cursor, encode_cursor, link};
use grant_http::{ApiError, ApiResult, base_url};

use crate::State;
use crate::auth::{OktaCaller, PendingCaller};
use crate::json::{GrantContext, GrantResponse, UserClientResponse};
use grant_core::model::ClientId;
use grant_core::model::TenantId;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Default)]
pub struct ListQuery {
    scope_id: Option<String>,
    expand: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

impl ListQuery {
    /// Reads the query string the way Okta answers it: `scopeId`, `expand`, `after` and
    /// `limit` at most once each (a repeated one is `400 E0000001` naming it), anything
    /// else ignored, undecodable input `400 E0000001` for `query`.
    pub fn parse(req: &HttpRequest) -> ApiResult<Self> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|_| ApiError::invalid("query", "is not a valid query string"))?
            .into_inner();
        let mut q = ListQuery::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "scopeId" => &mut q.scope_id,
                "expand" => &mut q.expand,
                "after" => &mut q.after,
                "limit" => &mut q.limit,
                _ => continue,
            };
            if slot.is_some() {
                return Err(ApiError::invalid(key, "may be given only once"));
            }
            *slot = Some(value);
        }
        Ok(q)
    }
}

/// `limit`: default 20 when absent; 1..=200; above 200 is capped at 200 (as Okta caps list
/// sizes); below 1, empty or not an integer is E0000001.
fn page_request(q: &ListQuery) -> ApiResult<PageRequest> {
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n >= 1 => n.min(i64::from(MAX_LIMIT)) as u32,
            _ => {
                return Err(ApiError::invalid(
                    "limit",
                    "must be an integer between 1 and 200",
                ));
            }
        },
    };
    let after = match q.after.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(decode_cursor("after", raw)?),
    };
    Ok(PageRequest { limit, after })
}

/// `expand`: only `scope` is meaningful; other values are ignored, as Okta ignores them.
fn expands_scope(expand: Option<&str>) -> bool {
    expand.is_some_and(|e| e.split(',').any(|v| v.trim() == "scope"))
}

/// Resolves `{userId}` (`me` is the caller's own user; otherwise an Okta user id) and
/// checks the caller may read (`write == false`) or revoke that user's grants.
fn resolve_user(
    conn: &mut DbConn,
    tenant: &TenantId,
    user_ref: &str,
    caller: &OktaCaller,
    write: bool,
) -> Result<User, CoreError> {
    // The caller's own user was read in this hop with its credential: `me`, or its own
    // Okta id, needs no second lookup.
    let own = caller.principal.user.as_ref();
    let user = if user_ref == "me" {
        match (own, caller.credential().user_id.as_deref()) {
            (Some(user), _) => user.clone(),
            (None, Some(id)) => directory::get_user(conn, tenant, UserKey::Id, id)?,
            (None, None) => {
                return Err(CoreError::not_found(
                    grant_core::model::RecordKind::User,
                    "me",
                ));
            }
        }
    } else if let Some(user) = own.filter(|u| {
        u.aliases
            .get(&AliasVendor::Okta)
            .is_some_and(|alias| AliasVendor::Okta.same(alias, user_ref))
    }) {
        user.clone()
    } else {
        directory::get_user(conn, tenant, UserKey::Alias(AliasVendor::Okta), user_ref)?
    };
    caller.may_access(&user, write)?;
    Ok(user)
}

/// What a response needs beyond the grants (which carry their client's name): the user and,
/// with `expand=scope`, the scope definitions.
struct Loaded<T> {
    user: User,
    items: T,
    scopes: Option<Vec<ScopeDefinition>>,
}

fn scope_definitions(
    conn: &mut DbConn,
    tenant: &TenantId,
    consents: &[ScopeConsent],
    expand: bool,
) -> Result<Option<Vec<ScopeDefinition>>, CoreError> {
    if !expand {
        return Ok(None);
    }
    let mut keys: Vec<&str> = consents.iter().map(|c| c.scope.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    Ok(Some(directory::find_scopes(conn, tenant, &keys)?))
}

fn project_all<'a>(
    state: &'a State,
    base: &'a str,
    loaded: &'a Loaded<Page<ScopeConsent>>,
) -> Vec<GrantResponse<'a>> {
    let ctx = GrantContext {
        base,
        user: &loaded.user,
        scopes: loaded.scopes.as_deref(),
        authorization_server_name: &state.config.vendor.authorization_server_name,
    };
    loaded
        .items
        .items
        .iter()
        .map(|g| GrantResponse::project(g, &ctx))
        .collect()
}

/// A list response: JSON array and `Link` headers, `self` first and `next` only when more
/// follow; `next` keeps every original query parameter and replaces `after`.
fn list_response(
    req: &HttpRequest,
    base: &str,
    next: Option<String>,
    body: &impl serde::Serialize,
) -> HttpResponse {
    let path = req.uri().path();
    let query = req.query_string();
    let self_url = if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    };
    let mut res = HttpResponse::Ok();
    if let Ok(v) = HeaderValue::from_str(&link(&self_url, "self")) {
        res.append_header((LINK, v));
    }
    if let Some(cursor) = next {
        let mut kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && p.split('=').next() != Some("after"))
            .collect();
        let after = format!("after={cursor}");
        kept.push(&after);
        let next_url = format!("{base}{path}?{}", kept.join("&"));
        if let Ok(v) = HeaderValue::from_str(&link(&next_url, "next")) {
            res.append_header((LINK, v));
        }
    }
    res.json(body)
}

async fn list(
    state: State,
    req: HttpRequest,
    caller: PendingCaller,
    user_ref: String,
    client_ref: Option<String>,
) -> ApiResult<HttpResponse> {
    let query = ListQuery::parse(&req).and_then(|q| Ok((page_request(&q)?, q)));
    let tenant = state.tenant().to_buf();
    let loaded = caller
        .run(move |conn, caller| {
            caller.require(false)?;
            let (page, query) = query?;
            let expand = expands_scope(query.expand.as_deref());
            let user = resolve_user(conn, &tenant, &user_ref, caller, false)?;
            let filter = match &client_ref {
                Some(client) => {
                    clients::get_client(conn, &tenant, ClientId::new(client))?;
                    GrantFilter::by_user_and_client(&user.id, client)
                }
                None => GrantFilter::by_user(&user.id)
                    .with_scope(query.scope_id.filter(|s| !s.is_empty())),
            };
            let items = grants::list_consents(conn, &tenant, &filter, &page)?;
            let scopes = scope_definitions(conn, &tenant, &items.items, expand)?;
            Ok(Loaded {
                user,
                items,
                scopes,
            })
        })
        .await?;
    let base = base_url(&req, &state.config.server);
    let body = project_all(&state, &base, &loaded);
    Ok(list_response(
        &req,
        &base,
        loaded.items.next.as_ref().map(encode_cursor),
        &body,
    ))
}

/// GET /api/v1/users/{userId}/grants
pub async fn list_user_grants(
    state: State,
    req: HttpRequest,
    caller: PendingCaller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    list(state, req, caller, path.into_inner(), None).await
}

/// GET /api/v1/users/{userId}/clients/{clientId}/grants
pub async fn list_grants_for_user_and_client(
    state: State,
    req: HttpRequest,
    caller: PendingCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (user, client) = path.into_inner();
    list(state, req, caller, user, Some(client)).await
}

/// GET /api/v1/users/{userId}/grants/{grantId}
pub async fn get_user_grant(
    state: State,
    req: HttpRequest,
    caller: PendingCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let query = ListQuery::parse(&req);
    let (user_ref, grant_id) = path.into_inner();
    let tenant = state.tenant().to_buf();
    let loaded = caller
        .run(move |conn, caller| {
            caller.require(false)?;
            let expand = expands_scope(query?.expand.as_deref());
            let user = resolve_user(conn, &tenant, &user_ref, caller, false)?;
            let grant =
                grants::get_consent(conn, &tenant, &grant_id, &GrantFilter::by_user(&user.id))?;
            let items = Page {
                items: vec![grant],
                next: None,
            };
            let scopes = scope_definitions(conn, &tenant, &items.items, expand)?;
            Ok(Loaded {
                user,
                items,
                scopes,
            })
        })
        .await?;
    let base = base_url(&req, &state.config.server);
    let mut body = project_all(&state, &base, &loaded);
    let grant = body.pop().ok_or(ApiError::Internal)?;
    Ok(HttpResponse::Ok().json(grant))
}

/// DELETE /api/v1/users/{userId}/grants/{grantId}
pub async fn revoke_user_grant(
    state: State,
    caller: PendingCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (user_ref, grant_id) = path.into_inner();
    let tenant = state.tenant().to_buf();
    caller
        .run(move |conn, caller| {
            caller.require(true)?;
            let user = resolve_user(conn, &tenant, &user_ref, caller, true)?;
            let actor = actor(caller);
            Ok(grants::revoke_consent(
                conn,
                &tenant,
                &grant_id,
                &GrantFilter::by_user(&user.id),
                &actor,
            )?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// DELETE /api/v1/users/{userId}/grants
pub async fn revoke_user_grants(
    state: State,
    caller: PendingCaller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user_ref = path.into_inner();
    let tenant = state.tenant().to_buf();
    caller
        .run(move |conn, caller| {
            caller.require(true)?;
            let user = resolve_user(conn, &tenant, &user_ref, caller, true)?;
            Ok(grants::revoke_grants(
                conn,
                &tenant,
                &GrantFilter::by_user(&user.id).scoped_only(),
                &actor(caller),
            )?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// DELETE /api/v1/users/{userId}/clients/{clientId}/grants
pub async fn revoke_grants_for_user_and_client(
    state: State,
    caller: PendingCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (user_ref, client_id) = path.into_inner();
    let tenant = state.tenant().to_buf();
    caller
        .run(move |conn, caller| {
            caller.require(true)?;
            let user = resolve_user(conn, &tenant, &user_ref, caller, true)?;
            clients::get_client(conn, &tenant, ClientId::new(&client_id))?;
            let filter = GrantFilter::by_user_and_client(&user.id, &client_id).scoped_only();
            Ok(grants::revoke_grants(
                conn,
                &tenant,
                &filter,
                &actor(caller),
            )?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// GET /api/v1/users/{userId}/clients — the clients the user holds active grants for.
pub async fn list_user_clients(
    state: State,
    req: HttpRequest,
    caller: PendingCaller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user_ref = path.into_inner();
    let tenant = state.tenant().to_buf();
    let (user, found) = caller
        .run(move |conn, caller| {
            caller.require(false)?;
            let user = resolve_user(conn, &tenant, &user_ref, caller, false)?;
            let ids = grants::client_ids_with_grants(
                conn,
                &tenant,
                &GrantFilter::by_user(&user.id).scoped_only(),
            )?;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            Ok((user, clients::find_clients(conn, &tenant, &refs)?))
        })
        .await?;
    let base = base_url(&req, &state.config.server);
    let body: Vec<UserClientResponse> = found
        .iter()
        .map(|c| UserClientResponse::project(c, &base, user.alias(AliasVendor::Okta)))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Who the audit log names for a revocation: the credential (never its secret).
fn actor(caller: &OktaCaller) -> String {
    let c = caller.credential();
    format!("okta:{}:{}", c.kind, c.name)
}
