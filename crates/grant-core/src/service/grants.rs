use crate::model::{
    AuditAction, Grant, GrantFilter, GrantStatus, NewGrant, Page, PageRequest, RecordKind,
    ScopeConsent, now, to_millis,
};
use crate::model::{GrantId, TenantId};
use crate::service::{audit, ids};
use crate::store::{DbConn, audit as audit_store, clients, dialect, grants, users};
use crate::{CoreError, Result};

fn validate(new: &NewGrant) -> Result<()> {
    if new
        .id
        .as_deref()
        .is_some_and(|id| id.is_empty() || id.len() > 200)
    {
        return Err(CoreError::invalid("id", "must be 1 to 200 characters"));
    }
    // Scope names are opaque (`api:read`, `urn:example:scope`, URLs, any script); only
    // whitespace and control characters are refused (RFC 6749 separates scopes by spaces).
    for scope in &new.scopes.0 {
        if scope.name.is_empty()
            || scope.name.len() > 1024
            || scope
                .name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(CoreError::invalid(
                "scopes",
                format!("invalid scope name '{}'", scope.name),
            ));
        }
    }
    Ok(())
}

pub(crate) fn build(tenant: &TenantId, new: NewGrant) -> Grant {
    let at = now();
    let created_at = new.created_at.map(to_millis).unwrap_or(at);
    Grant {
        id: new.id.unwrap_or_else(ids::guid),
        tenant_id: tenant.to_string(),
        user_id: new.user_id,
        client_id: new.client_id,
        grant_type: new.grant_type,
        status: GrantStatus::Active,
        source: new.source,
        issuer: new.issuer,
        scopes: new.scopes,
        attributes: new.attributes,
        created_at,
        updated_at: new.updated_at.map(to_millis).unwrap_or(created_at),
        expires_at: new.expires_at.map(to_millis),
        access_issued_at: new.access_issued_at.map(to_millis),
        valid_for: new.valid_for,
        created_by: new.created_by,
        revoked_at: None,
        revoked_by: None,
    }
}

/// Issues a grant to a user of the tenant for a client of the tenant; audited.
pub fn issue_grant(
    conn: &mut DbConn,
    tenant: &TenantId,
    new: NewGrant,
    actor: &str,
) -> Result<Grant> {
    validate(&new)?;
    let grant = build(tenant, new);
    dialect::write_tx(conn, |conn| {
        if users::find_user(conn, tenant, crate::model::UserKey::Id, &grant.user_id)?.is_none() {
            return Err(CoreError::not_found(
                RecordKind::User,
                grant.user_id.clone(),
            ));
        }
        if clients::find_client(conn, tenant, &grant.client_id)?.is_none() {
            return Err(CoreError::not_found(
                RecordKind::Client,
                grant.client_id.clone(),
            ));
        }
        if grants::find_grant(conn, tenant, &grant.id)?.is_some() {
            return Err(CoreError::Conflict(format!(
                "grant {} already exists",
                grant.id
            )));
        }
        grants::insert_grants(conn, std::slice::from_ref(&grant))?;
        audit_store::insert_audit(
            conn,
            &[audit::grant_issued(
                tenant,
                actor,
                grant.id(),
                grant.user_id(),
                grant.client_id(),
            )],
        )?;
        Ok(grant.clone())
    })
}

/// Inserts many grants at once (import, seeding): one transaction, no per-row checks
/// beyond the database's own constraints.
pub fn insert_many(
    conn: &mut DbConn,
    tenant: &TenantId,
    items: Vec<NewGrant>,
    actor: &str,
) -> Result<usize> {
    for new in &items {
        validate(new)?;
    }
    let built: Vec<Grant> = items.into_iter().map(|n| build(tenant, n)).collect();
    dialect::write_tx(conn, |conn| {
        grants::insert_grants(conn, &built)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::GrantsImported,
                "grants",
                "import",
                serde_json::json!({"count": built.len()}),
            )],
        )?;
        Ok(built.len())
    })
}

/// A page of the active grants matching `filter`.
pub fn list_grants(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &GrantFilter,
    page: &PageRequest,
) -> Result<Page<Grant>> {
    grants::list_grants(conn, tenant, filter, page, now())
}

/// Every active grant matching `filter`.
pub fn list_all_grants(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &GrantFilter,
) -> Result<Vec<Grant>> {
    grants::list_all_grants(conn, tenant, filter, now())
}

/// Offset paging over the active grants matching `filter` (vendors that page by
/// `Start`/`Count`): `skip` grants, then at most `count` (all when None), oldest first.
pub fn list_grants_offset(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &GrantFilter,
    skip: i64,
    count: Option<i64>,
) -> Result<Vec<Grant>> {
    grants::list_grants_offset(conn, tenant, filter, skip, count, now())
}

pub fn count_grants(conn: &mut DbConn, tenant: &TenantId, filter: &GrantFilter) -> Result<i64> {
    grants::count_grants(conn, tenant, filter, now())
}

/// An active grant by id that also matches `scope_of` (e.g. it must belong to this user);
/// anything else — unknown, revoked, expired, another user's — is "not found".
pub fn get_grant(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &GrantId,
    scope_of: &GrantFilter,
) -> Result<Grant> {
    let at = now();
    match grants::find_grant(conn, tenant, id)? {
        Some(g) if g.is_active_at(at) && matches(&g, scope_of) => Ok(g),
        _ => Err(CoreError::not_found(RecordKind::Grant, id)),
    }
}

fn matches(g: &Grant, f: &GrantFilter) -> bool {
    f.user_id.as_ref().is_none_or(|u| *u == g.user_id)
        && f.client_id.as_ref().is_none_or(|c| *c == g.client_id)
        && f.scope
            .as_ref()
            .is_none_or(|s| g.scopes.names().any(|n| n == s))
        && (f.grant_types.is_empty() || f.grant_types.contains(&g.grant_type))
}

/// Revokes one active grant matching `scope_of`, with its audit row, in one transaction.
/// Not found when it is unknown, already revoked, expired or outside `scope_of`.
pub fn revoke_grant(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &GrantId,
    scope_of: &GrantFilter,
    actor: &str,
) -> Result<Grant> {
    let at = now();
    let revoked = dialect::write_tx(conn, |conn| {
        let grant = match grants::find_grant(conn, tenant, id)? {
            Some(g) if g.is_active_at(at) && matches(&g, scope_of) => g,
            _ => return Err(CoreError::not_found(RecordKind::Grant, id)),
        };
        let changed =
            grants::set_revoked(conn, tenant, std::slice::from_ref(&grant.id), actor, at)?;
        if changed.len() != 1 {
            return Err(CoreError::not_found(RecordKind::Grant, id));
        }
        audit_store::insert_audit(
            conn,
            &[audit::grant_revoked(
                tenant,
                actor,
                grant.id(),
                grant.user_id(),
                grant.client_id(),
            )],
        )?;
        Ok(Grant {
            status: GrantStatus::Revoked,
            revoked_at: Some(at),
            revoked_by: Some(actor.to_owned()),
            updated_at: at,
            ..grant
        })
    })?;
    crate::metrics::revoked("grant", 1);
    Ok(revoked)
}

/// Revokes every active grant matching `filter` in one transaction; returns how many.
pub fn revoke_grants(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &GrantFilter,
    actor: &str,
) -> Result<usize> {
    let at = now();
    let n = dialect::write_tx(conn, |conn| {
        let revoked = grants::revoke_matching(conn, tenant, filter, actor, at)?;
        audit_store::insert_audit(
            conn,
            &[audit::grants_revoked(
                tenant,
                actor,
                filter,
                revoked.len(),
                &revoked,
            )],
        )?;
        Ok(revoked.len())
    })?;
    crate::metrics::revoked(crate::metrics::filter_kind(filter), n);
    Ok(n)
}

/// A page of the scope consents (one per scope of each grant, Okta's
/// `OAuth2ScopeConsentGrant`) of the active grants matching `filter`.
pub fn list_consents(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &GrantFilter,
    page: &PageRequest,
) -> Result<Page<ScopeConsent>> {
    grants::list_consents(conn, tenant, filter, page, now())
}

fn active_consent(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &str,
    scope_of: &GrantFilter,
) -> Result<ScopeConsent> {
    let at = now();
    match grants::find_consent(conn, tenant, id)? {
        Some(c) if c.grant.is_active_at(at) && matches(&c.grant, scope_of) => Ok(c),
        _ => Err(CoreError::not_found(RecordKind::Grant, id)),
    }
}

/// One scope consent of an active grant matching `scope_of`, by its consent id.
pub fn get_consent(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &str,
    scope_of: &GrantFilter,
) -> Result<ScopeConsent> {
    active_consent(conn, tenant, id, scope_of)
}

/// Revokes one scope consent: the grant loses that scope and keeps the others (and its
/// tokens); when it was the grant's last scope, the grant itself is revoked with its
/// tokens. Audited in the same transaction.
pub fn revoke_consent(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &str,
    scope_of: &GrantFilter,
    actor: &str,
) -> Result<ScopeConsent> {
    let at = now();
    let (consent, last) = dialect::write_tx(conn, |conn| {
        let consent = active_consent(conn, tenant, id, scope_of)?;
        let grant = &consent.grant;
        let last = grant.scopes.names().all(|n| n == consent.scope);
        if last {
            let changed =
                grants::set_revoked(conn, tenant, std::slice::from_ref(&grant.id), actor, at)?;
            if changed.len() != 1 {
                return Err(CoreError::not_found(RecordKind::Grant, id));
            }
        } else if grants::remove_scope(conn, tenant, grant, &consent.scope, at)? != 1 {
            return Err(CoreError::not_found(RecordKind::Grant, id));
        }
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                if last {
                    AuditAction::GrantRevoked
                } else {
                    AuditAction::GrantScopeRevoked
                },
                "grant",
                &grant.id,
                serde_json::json!({
                    "user_id": grant.user_id,
                    "client_id": grant.client_id,
                    "scope": consent.scope,
                    "consent_id": consent.id,
                }),
            )],
        )?;
        Ok((consent, last))
    })?;
    if last {
        crate::metrics::revoked("grant", 1);
    }
    Ok(consent)
}

/// Distinct client ids of a user's (or any filter's) active grants.
pub fn client_ids_with_grants(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &GrantFilter,
) -> Result<Vec<String>> {
    grants::distinct_client_ids(conn, tenant, filter, now())
}
