use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};

use super::rows::{GrantRow, GrantScopeRow, naive};
use super::schema::{clients, credentials, grant_scopes, grants};
use super::{DbConn, on_backend};
use crate::Result;
use crate::model::{
    ConsentId, Cursor, Grant, GrantFilter, GrantStatus, Page, PageRequest, ScopeConsent,
};
use crate::service::ids;

/// A consent's (grant, scope, consent id), as exported.
const CONSENT_ID: (
    grant_scopes::grant_id,
    grant_scopes::scope,
    grant_scopes::consent_id,
) = (
    grant_scopes::grant_id,
    grant_scopes::scope,
    grant_scopes::consent_id,
);

type BoxedGrants<'a> = grants::BoxedQuery<'a, super::MultiBackend>;
/// A consent's grant's client, by the grant's tenant and client id.
type ClientOfGrant = diesel::dsl::And<
    diesel::dsl::Eq<clients::tenant_id, grants::tenant_id>,
    diesel::dsl::Eq<clients::id, grants::client_id>,
>;
/// Consents with their grants and, where it still exists, their client (for its name: read
/// in the same statement rather than by a second, per-page `IN (…)` query).
type ConsentSource = diesel::dsl::LeftJoinOn<
    diesel::dsl::InnerJoin<grant_scopes::table, grants::table>,
    clients::table,
    ClientOfGrant,
>;
type BoxedConsents<'a> = diesel::dsl::IntoBoxed<'a, ConsentSource, super::MultiBackend>;
type ConsentRow = (String, String, GrantRow, Option<String>);

/// What a consent row reads: its id and scope, its grant, its client's name.
fn consent_columns<DB: diesel::backend::Backend>() -> (
    grant_scopes::consent_id,
    grant_scopes::scope,
    diesel::dsl::AsSelect<GrantRow, DB>,
    diesel::dsl::Nullable<clients::name>,
) {
    (
        grant_scopes::consent_id,
        grant_scopes::scope,
        GrantRow::as_select(),
        clients::name.nullable(),
    )
}

fn client_of_grant() -> ClientOfGrant {
    clients::tenant_id
        .eq(grants::tenant_id)
        .and(clients::id.eq(grants::client_id))
}

/// The Okta consent id of each distinct scope of a new grant: a single-scope grant's one
/// consent has the grant's own id (an imported Okta grant is served under the id it was
/// captured with); the scopes of a multi-scope grant get fresh `oag…` ids.
fn consent_rows(g: &Grant) -> Vec<GrantScopeRow> {
    let names = g.scopes.distinct_names();
    let single = names.len() == 1;
    names
        .into_iter()
        .map(|s| GrantScopeRow {
            grant_id: g.id.clone(),
            scope: s.to_owned(),
            consent_id: if single {
                g.id.clone()
            } else {
                ids::okta_id("oag")
            },
        })
        .collect()
}

/// Inserts grants and their scope index rows. Callers run it inside a write transaction.
pub fn insert_grants(conn: &mut DbConn, items: &[Grant]) -> Result<()> {
    for chunk in items.chunks(500) {
        let rows: Vec<GrantRow> = chunk.iter().map(GrantRow::from).collect();
        super::dialect::insert_rows!(conn, grants::table, &rows)?;
        let scope_rows: Vec<GrantScopeRow> = chunk.iter().flat_map(consent_rows).collect();
        for scope_chunk in scope_rows.chunks(1000) {
            super::dialect::insert_rows!(conn, grant_scopes::table, scope_chunk)?;
        }
    }
    Ok(())
}

/// A grant by id within a tenant, whatever its status.
pub fn find_grant(conn: &mut DbConn, tenant: &str, id: &str) -> Result<Option<Grant>> {
    let row = grants::table
        .filter(grants::id.eq(id))
        .filter(grants::tenant_id.eq(tenant))
        .select(GrantRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Grant::try_from).transpose()
}

type GrantPredicate<'a> =
    Box<dyn BoxableExpression<grants::table, super::MultiBackend, SqlType = Nullable<Bool>> + 'a>;

/// The active grants of a tenant matching `filter`, as one WHERE clause (for SELECT and
/// UPDATE alike). The tenant always comes first with the user or client next to it, so the
/// planner takes the (tenant, user|client, created) indexes.
fn active_matching<'a>(
    tenant: &'a str,
    filter: &'a GrantFilter,
    now: DateTime<Utc>,
) -> GrantPredicate<'a> {
    let mut p: GrantPredicate<'a> = Box::new(
        grants::tenant_id
            .eq(tenant)
            .nullable()
            .and(grants::status.eq(GrantStatus::Active.as_str()).nullable())
            .and(
                grants::expires_at
                    .is_null()
                    .nullable()
                    .or(grants::expires_at.gt(naive(now))),
            ),
    );
    if let Some(user) = &filter.user_id {
        p = Box::new(p.and(grants::user_id.eq(user)));
    }
    if let Some(client) = &filter.client_id {
        p = Box::new(p.and(grants::client_id.eq(client)));
    }
    if let Some(scope) = &filter.scope {
        p = Box::new(
            p.and(
                grants::id.eq_any(
                    grant_scopes::table
                        .filter(grant_scopes::scope.eq(scope))
                        .select(grant_scopes::grant_id),
                ),
            ),
        );
    }
    if filter.scoped_only && filter.scope.is_none() {
        p = Box::new(p.and(grants::id.eq_any(grant_scopes::table.select(grant_scopes::grant_id))));
    }
    if !filter.grant_types.is_empty() {
        let types: Vec<&str> = filter.grant_types.iter().map(|t| t.as_str()).collect();
        p = Box::new(p.and(grants::grant_type.eq_any(types)));
    }
    p
}

fn filtered<'a>(tenant: &'a str, filter: &'a GrantFilter, now: DateTime<Utc>) -> BoxedGrants<'a> {
    grants::table
        .into_boxed()
        .filter(active_matching(tenant, filter, now))
}

/// The (grant, scope) pairs of the active grants matching `filter` (`filter.scope`: only
/// that scope), as one query joining the scope index to the grants.
fn consents_filtered<'a>(
    tenant: &'a str,
    filter: &'a GrantFilter,
    now: DateTime<Utc>,
) -> BoxedConsents<'a> {
    let mut q = grant_scopes::table
        .inner_join(grants::table)
        .left_join(clients::table.on(client_of_grant()))
        .filter(grants::tenant_id.eq(tenant))
        .filter(grants::status.eq(GrantStatus::Active.as_str()))
        .filter(
            grants::expires_at
                .is_null()
                .or(grants::expires_at.gt(naive(now))),
        )
        .into_boxed();
    if let Some(user) = &filter.user_id {
        q = q.filter(grants::user_id.eq(user));
    }
    if let Some(client) = &filter.client_id {
        q = q.filter(grants::client_id.eq(client));
    }
    if let Some(scope) = &filter.scope {
        q = q.filter(grant_scopes::scope.eq(scope));
    }
    if !filter.grant_types.is_empty() {
        let types: Vec<&str> = filter.grant_types.iter().map(|t| t.as_str()).collect();
        q = q.filter(grants::grant_type.eq_any(types));
    }
    q
}

fn to_consent((id, scope, row, client_name): ConsentRow) -> Result<ScopeConsent> {
    Ok(ScopeConsent {
        id,
        scope,
        grant: Grant::try_from(row)?,
        client_name,
    })
}

/// One page of the scope consents of the active grants matching `filter`, keyset-paginated
/// on `(grant created_at, consent id)`.
pub fn list_consents(
    conn: &mut DbConn,
    tenant: &str,
    filter: &GrantFilter,
    page: &PageRequest,
    now: DateTime<Utc>,
) -> Result<Page<ScopeConsent>> {
    let limit = i64::from(page.limit.max(1));
    // The page, from any query over the consent source: after the cursor, in order.
    macro_rules! page_of {
        ($conn:expr, $q:expr) => {
            match &page.after {
                None => $q
                    .order((grants::created_at.asc(), grant_scopes::consent_id.asc()))
                    .limit(limit + 1)
                    .select(consent_columns())
                    .load($conn)?,
                Some(after) => {
                    let at = naive(after.created_at);
                    $q.filter(
                        grants::created_at.gt(at).or(grants::created_at
                            .eq(at)
                            .and(grant_scopes::consent_id.gt(&after.id))),
                    )
                    .order((grants::created_at.asc(), grant_scopes::consent_id.asc()))
                    .limit(limit + 1)
                    .select(consent_columns())
                    .load($conn)?
                }
            }
        };
    }
    let rows: Vec<ConsentRow> = match filter {
        // One user's consents, the hot path (every Okta list): a statement of a fixed type,
        // prepared once per connection and found in the cache by its type, and run on the
        // backend's own connection (through the multi-backend wrapper, each call would walk
        // the statement to decide it may be cached and collect its binds twice). A boxed
        // query would have its SQL written out on every call to be looked up by text.
        GrantFilter {
            user_id: Some(user),
            client_id: None,
            scope: None,
            grant_types,
            ..
        } if grant_types.is_empty() => on_backend!(conn, |c| page_of!(
            c,
            grant_scopes::table
                .inner_join(grants::table)
                .left_join(clients::table.on(client_of_grant()))
                .filter(grants::tenant_id.eq(tenant))
                .filter(grants::user_id.eq(user))
                .filter(grants::status.eq(GrantStatus::Active.as_str()))
                .filter(
                    grants::expires_at
                        .is_null()
                        .or(grants::expires_at.gt(naive(now)))
                )
        )),
        _ => page_of!(conn, consents_filtered(tenant, filter, now)),
    };
    let more = rows.len() as i64 > limit;
    let items = rows
        .into_iter()
        .take(limit as usize)
        .map(to_consent)
        .collect::<Result<Vec<_>>>()?;
    let next = match (more, items.last()) {
        (true, Some(last)) => Some(Cursor {
            created_at: last.grant.created_at,
            id: last.id.clone(),
        }),
        _ => None,
    };
    Ok(Page { items, next })
}

/// A scope consent by its id within a tenant, whatever its grant's status.
pub fn find_consent(conn: &mut DbConn, tenant: &str, id: &str) -> Result<Option<ScopeConsent>> {
    let row: Option<ConsentRow> = grant_scopes::table
        .inner_join(grants::table)
        .left_join(clients::table.on(client_of_grant()))
        .filter(grant_scopes::consent_id.eq(id))
        .filter(grants::tenant_id.eq(tenant))
        .select(consent_columns())
        .first(conn)
        .optional()?;
    row.map(to_consent).transpose()
}

/// Removes one scope from a grant that keeps others: its consent row goes, the grant's
/// scope list loses every entry of that name and its `updated_at` moves.
pub fn remove_scope(
    conn: &mut DbConn,
    tenant: &str,
    grant: &Grant,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut scopes = grant.scopes.clone();
    scopes.0.retain(|s| s.name != scope);
    // Token families issued with that scope lose their refresh and access tokens.
    let families: Vec<String> = super::authorization::live_families_of_grant(conn, &grant.id)?
        .into_iter()
        .filter(|(_, granted)| granted.split(' ').any(|s| s == scope))
        .map(|(id, _)| id)
        .collect();
    super::authorization::revoke_families(conn, &families, now)?;
    let removed = diesel::delete(
        grant_scopes::table
            .filter(grant_scopes::grant_id.eq(&grant.id))
            .filter(grant_scopes::scope.eq(scope)),
    )
    .execute(conn)?;
    diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant))
            .filter(grants::id.eq(&grant.id))
            .filter(grants::status.eq(GrantStatus::Active.as_str())),
    )
    .set((
        grants::scopes.eq(scopes.to_stored()),
        grants::updated_at.eq(naive(now)),
    ))
    .execute(conn)?;
    Ok(removed)
}

/// Every consent id (for export), of one tenant or all.
pub fn dump_consent_ids(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<ConsentId>> {
    let mut q = grant_scopes::table.inner_join(grants::table).into_boxed();
    if let Some(t) = tenant {
        q = q.filter(grants::tenant_id.eq(t));
    }
    let rows: Vec<(String, String, String)> = q
        .order((grant_scopes::grant_id, grant_scopes::scope))
        .select(CONSENT_ID)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(grant_id, scope, id)| ConsentId {
            grant_id,
            scope,
            id,
        })
        .collect())
}

/// Gives consents the ids they had when exported. Callers run it inside a write transaction.
pub fn set_consent_ids(conn: &mut DbConn, items: &[ConsentId]) -> Result<()> {
    for c in items {
        diesel::update(
            grant_scopes::table
                .filter(grant_scopes::grant_id.eq(&c.grant_id))
                .filter(grant_scopes::scope.eq(&c.scope)),
        )
        .set(grant_scopes::consent_id.eq(&c.id))
        .execute(conn)?;
    }
    Ok(())
}

/// One page of active grants matching `filter`, oldest first, keyset-paginated on
/// `(created_at, id)`.
pub fn list_grants(
    conn: &mut DbConn,
    tenant: &str,
    filter: &GrantFilter,
    page: &PageRequest,
    now: DateTime<Utc>,
) -> Result<Page<Grant>> {
    let mut q = filtered(tenant, filter, now);
    if let Some(after) = &page.after {
        let at = naive(after.created_at);
        q = q.filter(
            grants::created_at.gt(at).or(grants::created_at
                .eq(at)
                .and(grants::id.gt(after.id.clone()))),
        );
    }
    let limit = i64::from(page.limit.max(1));
    let rows: Vec<GrantRow> = q
        .order((grants::created_at.asc(), grants::id.asc()))
        .limit(limit + 1)
        .select(GrantRow::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    let mut items = rows
        .into_iter()
        .take(limit as usize)
        .map(Grant::try_from)
        .collect::<Result<Vec<_>>>()?;
    items.shrink_to_fit();
    let next = match (more, items.last()) {
        (true, Some(last)) => Some(Cursor {
            created_at: last.created_at,
            id: last.id.clone(),
        }),
        _ => None,
    };
    Ok(Page { items, next })
}

/// Every active grant matching `filter` (for small sets: a user's grants for one client…).
pub fn list_all_grants(
    conn: &mut DbConn,
    tenant: &str,
    filter: &GrantFilter,
    now: DateTime<Utc>,
) -> Result<Vec<Grant>> {
    let rows: Vec<GrantRow> = filtered(tenant, filter, now)
        .order((grants::created_at.asc(), grants::id.asc()))
        .select(GrantRow::as_select())
        .load(conn)?;
    rows.into_iter().map(Grant::try_from).collect()
}

/// A page (`skip`, then at most `count`; all when None) of the active grants matching
/// `filter`, oldest first: offset paging done by the database.
pub fn list_grants_offset(
    conn: &mut DbConn,
    tenant: &str,
    filter: &GrantFilter,
    skip: i64,
    count: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<Grant>> {
    // Always a LIMIT: SQLite has no OFFSET without one.
    let rows: Vec<GrantRow> = filtered(tenant, filter, now)
        .order((grants::created_at.asc(), grants::id.asc()))
        .offset(skip.max(0))
        .limit(count.unwrap_or(i64::MAX).max(0))
        .select(GrantRow::as_select())
        .load(conn)?;
    rows.into_iter().map(Grant::try_from).collect()
}

pub fn count_grants(
    conn: &mut DbConn,
    tenant: &str,
    filter: &GrantFilter,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(filtered(tenant, filter, now).count().get_result(conn)?)
}

/// Distinct client ids of the active grants matching `filter`, sorted.
pub fn distinct_client_ids(
    conn: &mut DbConn,
    tenant: &str,
    filter: &GrantFilter,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    Ok(filtered(tenant, filter, now)
        .select(grants::client_id)
        .distinct()
        .order(grants::client_id.asc())
        .load(conn)?)
}

/// Revokes every active grant matching `filter` in ONE statement (`UPDATE … RETURNING`, on
/// the same indexes as the list) and the tokens bound to them; returns the ids it changed,
/// sorted. A grant another transaction revoked a moment before is not among them.
pub fn revoke_matching(
    conn: &mut DbConn,
    tenant: &str,
    filter: &GrantFilter,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let mut revoked: Vec<String> = diesel::update(grants::table)
        .filter(active_matching(tenant, filter, now))
        .set((
            grants::status.eq(GrantStatus::Revoked.as_str()),
            grants::revoked_at.eq(Some(naive(now))),
            grants::revoked_by.eq(Some(by)),
            grants::updated_at.eq(naive(now)),
        ))
        .returning(grants::id)
        .get_results(conn)?;
    revoke_tokens_of(conn, &revoked)?;
    revoked.sort_unstable();
    Ok(revoked)
}

/// Revokes the active tokens bound to these grants. Grant ids are unique across tenants, so
/// the lookup is by `grant_id` alone (its own index).
fn revoke_tokens_of(conn: &mut DbConn, grant_ids: &[String]) -> Result<()> {
    // Refresh and access tokens the authorization engine issued under these grants.
    super::authorization::revoke_families_of_grants(conn, grant_ids, crate::model::now())?;
    for chunk in grant_ids.chunks(500) {
        diesel::update(
            credentials::table
                .filter(credentials::grant_id.eq_any(chunk))
                .filter(credentials::status.eq("active")),
        )
        .set(credentials::status.eq("revoked"))
        .execute(conn)?;
    }
    Ok(())
}

/// Marks the given grants revoked, provided they are still active, and returns the ids it
/// changed (`UPDATE … RETURNING`: a grant another transaction revoked a moment before is
/// not among them, on either backend). Tokens bound to them are revoked with them.
pub fn set_revoked(
    conn: &mut DbConn,
    tenant: &str,
    ids: &[String],
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let mut changed: Vec<String> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let revoked: Vec<String> = diesel::update(
            grants::table
                .filter(grants::tenant_id.eq(tenant))
                .filter(grants::id.eq_any(chunk))
                .filter(grants::status.eq(GrantStatus::Active.as_str())),
        )
        .set((
            grants::status.eq(GrantStatus::Revoked.as_str()),
            grants::revoked_at.eq(Some(naive(now))),
            grants::revoked_by.eq(Some(by)),
            grants::updated_at.eq(naive(now)),
        ))
        .returning(grants::id)
        .get_results(conn)?;
        revoke_tokens_of(conn, &revoked)?;
        changed.extend(revoked);
    }
    changed.sort_unstable();
    Ok(changed)
}

/// Adds scopes (names the grant does not hold yet) to an active grant, each with a consent
/// id of its own; returns the grant as it now is.
pub fn add_scopes(
    conn: &mut DbConn,
    tenant: &str,
    grant: &Grant,
    added: &[String],
    now: DateTime<Utc>,
) -> Result<Grant> {
    let mut updated = grant.clone();
    let rows: Vec<GrantScopeRow> = added
        .iter()
        .map(|s| GrantScopeRow {
            grant_id: grant.id.clone(),
            scope: s.clone(),
            consent_id: ids::okta_id("oag"),
        })
        .collect();
    updated
        .scopes
        .0
        .extend(added.iter().map(|s| crate::model::Scope::new(s.clone())));
    updated.updated_at = now;
    super::dialect::insert_rows!(conn, grant_scopes::table, &rows)?;
    diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant))
            .filter(grants::id.eq(&grant.id)),
    )
    .set((
        grants::scopes.eq(updated.scopes.to_stored()),
        grants::updated_at.eq(naive(now)),
    ))
    .execute(conn)?;
    Ok(updated)
}

/// Replaces an active grant's scopes (a reused persistent grant, newly approved): its
/// consent rows follow, `updated_at` moves; returns the grant as it now is.
pub fn replace_scopes(
    conn: &mut DbConn,
    tenant: &str,
    grant: &Grant,
    scopes: &[String],
    now: DateTime<Utc>,
) -> Result<Grant> {
    let mut updated = grant.clone();
    updated.scopes = crate::model::ScopeSet::from_names(scopes.iter().cloned());
    updated.updated_at = now;
    diesel::delete(grant_scopes::table.filter(grant_scopes::grant_id.eq(&grant.id)))
        .execute(conn)?;
    let rows = consent_rows(&updated);
    super::dialect::insert_rows!(conn, grant_scopes::table, &rows)?;
    diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant))
            .filter(grants::id.eq(&grant.id)),
    )
    .set((
        grants::scopes.eq(updated.scopes.to_stored()),
        grants::updated_at.eq(naive(now)),
    ))
    .execute(conn)?;
    Ok(updated)
}

/// Updates the token-issuance fields of a grant (a refresh; its scope never changes).
pub fn touch_grant(conn: &mut DbConn, tenant: &str, grant: &Grant) -> Result<usize> {
    Ok(diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant))
            .filter(grants::id.eq(&grant.id)),
    )
    .set((
        grants::updated_at.eq(naive(grant.updated_at)),
        grants::expires_at.eq(grant.expires_at.map(naive)),
        grants::access_issued_at.eq(grant.access_issued_at.map(naive)),
        grants::valid_for.eq(grant.valid_for),
    ))
    .execute(conn)?)
}

/// Every grant of a tenant (or of all tenants), any status, for export.
pub fn dump_grants(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<Grant>> {
    let mut q = grants::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(grants::tenant_id.eq(t));
    }
    let rows: Vec<GrantRow> = q
        .order((grants::tenant_id, grants::created_at, grants::id))
        .select(GrantRow::as_select())
        .load(conn)?;
    rows.into_iter().map(Grant::try_from).collect()
}

/// Every grant of every tenant, any status, in export order (tenant, creation, id), one at a
/// time (streamed from the database).
pub fn for_each_grant(conn: &mut DbConn, mut f: impl FnMut(Grant) -> Result<()>) -> Result<()> {
    super::dialect::for_each_row!(
        conn,
        GrantRow,
        grants::table
            .order((grants::tenant_id, grants::created_at, grants::id))
            .select(GrantRow::as_select()),
        |r: GrantRow| f(Grant::try_from(r)?)
    )
}

/// Every consent id, in export order (grant, scope), one at a time.
pub fn for_each_consent_id(
    conn: &mut DbConn,
    mut f: impl FnMut(ConsentId) -> Result<()>,
) -> Result<()> {
    super::dialect::for_each_row!(
        conn,
        (String, String, String),
        grant_scopes::table
            .order((grant_scopes::grant_id, grant_scopes::scope))
            .select(CONSENT_ID),
        |(grant_id, scope, id)| f(ConsentId {
            grant_id,
            scope,
            id
        })
    )
}

/// The consent ids now held by these grants, as (grant, scope) → id.
pub fn consent_ids_of(
    conn: &mut DbConn,
    grant_ids: &[&str],
) -> Result<std::collections::HashMap<(String, String), String>> {
    let rows: Vec<(String, String, String)> = grant_scopes::table
        .filter(grant_scopes::grant_id.eq_any(grant_ids))
        .select(CONSENT_ID)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(grant_id, scope, id)| ((grant_id, scope), id))
        .collect())
}
