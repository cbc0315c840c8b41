//! Benchmark ceiling for list requests: a minimal actix-web server that answers every GET
//! with one page of a user's active scope consents (Okta), grants (PingFederate, Venafi) or
//! the clients of those grants (OCS) — one
//! indexed SELECT (the same join, filter and order as a gateway's list, a statement prepared
//! once and kept, its timestamps read as the gateways read them), its rows written as JSON —
//! over the same database, store settings, pool and blocking threads as the gateways, and
//! nothing else: no authentication, no user lookup, no client names, no projection. A
//! gateway's list request divided by this one, in the same run, is what the request costs
//! beyond the query it needs.
//!
//! usage: storage_ceiling BIND DATABASE_URL TENANT USER [ROWS] [consents|grants|client_ids]
//! (USER: a login or a user id; ROWS: the page size, 20; `consents`: one user's scope consents
//! with their grants, as Okta lists them; `grants`: one user's grants, as PingFederate and
//! Venafi list them; `client_ids`: the distinct clients of one user's grants, as OCS's
//! PersistedGrants lists them)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use grant_core::model::{TenantId, UserKey};
use grant_core::service::directory;
use grant_core::store::StoredTime;
use grant_core::store::schema::{grant_scopes, grants};
use grant_core::{DatabaseConfig, HashingConfig, Store};
use serde::Serialize;

#[derive(Queryable, Serialize)]
struct ConsentRow {
    id: String,
    scope: String,
    grant_id: String,
    client_id: String,
    issuer: String,
    status: String,
    source: String,
    #[diesel(deserialize_as = StoredTime)]
    created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    updated_at: NaiveDateTime,
}

type PageQuery = fn(&Store, &str, &str, i64) -> Vec<u8>;

/// One page of the user's scope consents (Okta lists these).
fn page(store: &Store, tenant: &str, user: &str, rows: i64) -> Vec<u8> {
    let mut conn = store.conn().expect("connection");
    let now = chrono::Utc::now().naive_utc();
    let found: Vec<ConsentRow> = grant_scopes::table
        .inner_join(grants::table)
        .filter(grants::tenant_id.eq(tenant))
        .filter(grants::status.eq("active"))
        .filter(grants::expires_at.is_null().or(grants::expires_at.gt(now)))
        .filter(grants::user_id.eq(user))
        .order((grants::created_at.asc(), grant_scopes::consent_id.asc()))
        .limit(rows + 1)
        .select((
            grant_scopes::consent_id,
            grant_scopes::scope,
            grants::id,
            grants::client_id,
            grants::issuer,
            grants::status,
            grants::source,
            grants::created_at,
            grants::updated_at,
        ))
        .load(&mut *conn)
        .expect("page");
    serde_json::to_vec(&found[..found.len().min(rows as usize)]).expect("json")
}

#[derive(Queryable, Serialize)]
struct GrantListRow {
    id: String,
    client_id: String,
    grant_type: String,
    scopes: String,
    issuer: String,
    status: String,
    #[diesel(deserialize_as = StoredTime)]
    created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    updated_at: NaiveDateTime,
}

/// The grants themselves (PingFederate, OCS and Venafi list grants, not Okta's consents).
fn grants_page(store: &Store, tenant: &str, user: &str, rows: i64) -> Vec<u8> {
    let mut conn = store.conn().expect("connection");
    let now = chrono::Utc::now().naive_utc();
    let found: Vec<GrantListRow> = grants::table
        .filter(grants::tenant_id.eq(tenant))
        .filter(grants::status.eq("active"))
        .filter(grants::expires_at.is_null().or(grants::expires_at.gt(now)))
        .filter(grants::user_id.eq(user))
        .order((grants::created_at.asc(), grants::id.asc()))
        .limit(rows)
        .select((
            grants::id,
            grants::client_id,
            grants::grant_type,
            grants::scopes,
            grants::issuer,
            grants::status,
            grants::created_at,
            grants::updated_at,
        ))
        .load(&mut *conn)
        .expect("page");
    serde_json::to_vec(&found).expect("json")
}

/// The distinct client ids of the user's grants (OCS's PersistedGrants lists these).
fn client_ids(store: &Store, tenant: &str, user: &str, _rows: i64) -> Vec<u8> {
    let mut conn = store.conn().expect("connection");
    let now = chrono::Utc::now().naive_utc();
    let found: Vec<String> = grants::table
        .filter(grants::tenant_id.eq(tenant))
        .filter(grants::status.eq("active"))
        .filter(grants::expires_at.is_null().or(grants::expires_at.gt(now)))
        .filter(grants::user_id.eq(user))
        .select(grants::client_id)
        .distinct()
        .order(grants::client_id.asc())
        .load(&mut *conn)
        .expect("client ids");
    serde_json::to_vec(&found).expect("json")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage =
        "usage: storage_ceiling BIND DATABASE_URL TENANT USER [ROWS] [consents|grants|client_ids]";
    let bind = args.next().expect(usage);
    let url = args.next().expect(usage);
    let tenant = args.next().expect(usage);
    let user_ref = args.next().expect(usage);
    let rows: i64 = args.next().map_or(20, |r| r.parse().expect(usage));
    let query = match args.next().as_deref() {
        None | Some("consents") => page,
        Some("grants") => grants_page,
        Some("client_ids") => client_ids,
        Some(_) => panic!("{usage}"),
    };
    let database = DatabaseConfig {
        url,
        pool_size: 4,
        ..DatabaseConfig::default()
    };
    let store = Store::connect(&database).expect("open database");
    // As many blocking threads as a gateway with this pool has (grant_http::blocking_threads).
    let blocking_threads = grant_http::blocking_threads(&database, &HashingConfig::default());
    let mut conn = store.conn().expect("connection");
    let tenant_id = TenantId::new(&tenant);
    let user = directory::find_user(&mut conn, tenant_id, UserKey::Login, &user_ref)
        .expect("the user")
        .map_or_else(
            || directory::get_user(&mut conn, tenant_id, UserKey::Id, &user_ref),
            Ok,
        )
        .expect("the user")
        .id;
    drop(conn);
    let shared = web::Data::new((store, tenant, user, rows, query));
    HttpServer::new(move || {
        App::new().app_data(shared.clone()).default_service(web::to(
            |s: web::Data<(Store, String, String, i64, PageQuery)>| async move {
                let body = web::block(move || (s.4)(&s.0, &s.1, &s.2, s.3))
                    .await
                    .expect("blocking pool");
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body)
            },
        ))
    })
    .workers(1)
    .worker_max_blocking_threads(blocking_threads)
    .bind(bind)?
    .run()
    .await
}
