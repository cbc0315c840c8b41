//! Token issuance through a grant (Venafi VEDauth style): a password login creates a
//! grant of the user for an API integration and mints an access + refresh token pair
//! bound to it; a refresh replaces the pair; revoking the grant kills every token under it.
//! The gateway chooses the token strings (their format is the vendor's); only their SHA-256
//! digests are stored. Every change is audited in its own transaction.

use crate::model::{ClientId, TenantId, UserId};
use chrono::{DateTime, Duration, Utc};

use crate::model::AuditAction;
use crate::model::RecordKind;
use crate::model::{
    Client, Credential, CredentialKind, CredentialStatus, Face, Grant, GrantStatus, GrantType,
    NewGrant, Scope, ScopeSet, User, UserKey, now,
};
use crate::service::credentials::token_digest;
use crate::service::{audit, grants as grant_rules, ids};
use crate::store::rows::{CredentialRow, naive};
use crate::store::{DbConn, audit as audit_store, clients, credentials, dialect, grants, users};
use crate::{CoreError, Result};

/// Token strings chosen by the gateway for one issuance.
#[derive(Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

/// The outcome of a login or a refresh: the grant as it now is, and when the new access
/// token expires (never after the grant).
#[derive(Debug, Clone)]
pub struct Issued {
    pub grant: Grant,
    pub access_expires_at: DateTime<Utc>,
}

/// True when every requested scope (and each of its restrictions) is allowed by one of the
/// client's allowed scope tokens; an empty allow-list allows anything. Scope names and
/// restrictions compare case-insensitively. Returns the first rejected scope otherwise.
pub fn rejected_scope(client: &Client, requested: &ScopeSet) -> Option<Scope> {
    if client.allowed_scopes.is_empty() {
        return None;
    }
    let allowed: Vec<Scope> = client
        .allowed_scopes
        .iter()
        .flat_map(|s| s.split([' ', ';']))
        .filter(|t| !t.is_empty())
        .map(Scope::parse_venafi)
        .collect();
    requested
        .0
        .iter()
        .find(|want| {
            !allowed.iter().any(|have| {
                have.name.eq_ignore_ascii_case(&want.name)
                    && want.restrictions.iter().all(|r| {
                        have.restrictions
                            .iter()
                            .any(|hr| hr.eq_ignore_ascii_case(r))
                    })
            })
        })
        .cloned()
}

/// Whether the user may authorize on the client: an empty allow-list admits anyone; an
/// entry names a user by one of its aliases, compared as that alias's vendor compares.
pub fn identity_allowed(client: &Client, user: &User) -> bool {
    client.allowed_identities.is_empty()
        || client.allowed_identities.iter().any(|a| user.answers_to(a))
}

fn lifetimes(client: &Client, at: DateTime<Utc>) -> (i64, DateTime<Utc>) {
    let valid_for = i64::from(client.access_token_lifetime);
    let grant_secs = i64::from(client.refresh_token_lifetime).max(valid_for);
    (valid_for, at + Duration::seconds(grant_secs))
}

fn token_row(
    tenant: &TenantId,
    kind: CredentialKind,
    issuance: &str,
    grant: &Grant,
    token: &str,
    expires_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> CredentialRow {
    CredentialRow {
        id: ids::guid(),
        tenant_id: tenant.to_string(),
        kind: kind.as_str().to_owned(),
        name: issuance.to_owned(),
        user_id: Some(grant.user_id.clone()),
        client_id: Some(grant.client_id.clone()),
        grant_id: Some(grant.id.clone()),
        digest: Some(token_digest(token).to_vec()),
        password_hash: None,
        scopes: crate::store::rows::json_list(
            &grant
                .scopes
                .0
                .iter()
                .map(Scope::venafi_token)
                .collect::<Vec<_>>(),
        ),
        roles: crate::store::rows::json_list(&[]),
        status: CredentialStatus::Active.as_str().to_owned(),
        created_at: naive(at),
        expires_at: Some(naive(expires_at)),
        last_used_at: None,
        faces: crate::store::rows::faces_column(&[Face::VENAFI.to_owned()]),
    }
}

/// Stores the pair under `grant`; the access token expires after `grant.valid_for`
/// seconds, capped by the grant's expiry; the refresh token with the grant.
fn store_pair(
    conn: &mut DbConn,
    tenant: &TenantId,
    grant: &Grant,
    pair: &TokenPair,
    at: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let grant_end = grant.expires_at.unwrap_or(at);
    let access_end = (at + Duration::seconds(grant.valid_for.unwrap_or(0))).min(grant_end);
    let issuance = ids::guid();
    credentials::insert_credentials(
        conn,
        &[
            token_row(
                tenant,
                CredentialKind::BearerToken,
                &issuance,
                grant,
                &pair.access_token,
                access_end,
                at,
            ),
            token_row(
                tenant,
                CredentialKind::RefreshToken,
                &issuance,
                grant,
                &pair.refresh_token,
                grant_end,
                at,
            ),
        ],
    )?;
    Ok(access_end)
}

fn token_event(
    tenant: &TenantId,
    actor: &str,
    action: AuditAction,
    grant: &Grant,
    result: &str,
) -> crate::model::AuditEvent {
    audit::record(
        tenant,
        actor,
        action,
        "grant",
        &grant.id,
        serde_json::json!({
            "user_id": grant.user_id,
            "client_id": grant.client_id,
            "scope": grant.scopes.venafi_string(),
            "result": result,
        }),
    )
}

/// After a successful password check: issues a new grant of the user for `client_id` —
/// every authorization is its own grant, with its own scope, issuance time and expiry
/// (TPP: a token's scope is fixed when it is issued; earlier grants of the same identity
/// and integration are left as they are) — and stores the token pair bound to it,
/// audited as `token.issued`.
pub fn authorize(
    conn: &mut DbConn,
    tenant: &TenantId,
    user_id: &UserId,
    client_id: &ClientId,
    scopes: ScopeSet,
    pair: &TokenPair,
    actor: &str,
) -> Result<Issued> {
    let at = now();
    dialect::write_tx(conn, |conn| {
        let user = users::find_user(conn, tenant, UserKey::Id, user_id)?
            .ok_or_else(|| CoreError::not_found(RecordKind::User, user_id))?;
        let client = clients::find_client(conn, tenant, client_id)?
            .filter(|c| c.enabled)
            .ok_or_else(|| CoreError::not_found(RecordKind::Client, client_id))?;
        if !identity_allowed(&client, &user) {
            return Err(CoreError::Forbidden(
                "identity not allowed on this API integration".into(),
            ));
        }
        if let Some(bad) = rejected_scope(&client, &scopes) {
            return Err(CoreError::invalid("scope", bad.venafi_token()));
        }
        let (valid_for, expires_at) = lifetimes(&client, at);
        let mut new = NewGrant::new(user_id, client_id);
        new.grant_type = GrantType::Password;
        new.scopes = scopes;
        new.created_at = Some(at);
        new.access_issued_at = Some(at);
        new.valid_for = Some(valid_for);
        new.expires_at = Some(expires_at);
        new.created_by = Some(crate::model::Actor {
            id: user_id.to_string(),
            kind: "User".into(),
        });
        let grant = grant_rules::build(tenant, new);
        grants::insert_grants(conn, std::slice::from_ref(&grant))?;
        let access_expires_at = store_pair(conn, tenant, &grant, pair, at)?;
        audit_store::insert_audit(
            conn,
            &[token_event(
                tenant,
                actor,
                AuditAction::TokenIssued,
                &grant,
                "success",
            )],
        )?;
        Ok(Issued {
            grant,
            access_expires_at,
        })
    })
}

/// Exchanges a refresh token for a new pair under the same grant (the old pair stops
/// working; the grant's expiry does not move). `Unauthenticated` for an unknown, used,
/// revoked or expired refresh token or grant; `Invalid{client_id}` when the token belongs
/// to another client.
pub fn refresh(
    conn: &mut DbConn,
    tenant: &TenantId,
    refresh_token: &str,
    client_id: &ClientId,
    pair: &TokenPair,
    actor: &str,
) -> Result<Issued> {
    let at = now();
    let digest = token_digest(refresh_token);
    dialect::write_tx(conn, |conn| {
        let cred = credentials::find_by_digest(conn, &digest)?
            .filter(|c| {
                c.kind == CredentialKind::RefreshToken
                    && c.tenant_id == tenant
                    && c.is_usable_at(at)
                    && c.is_made_for(&Face::Venafi)
            })
            .ok_or(CoreError::Unauthenticated)?;
        let grant_id = cred.grant_id.clone().ok_or(CoreError::Unauthenticated)?;
        let mut grant = grants::find_grant(conn, tenant, &grant_id)?
            .filter(|g| g.is_active_at(at))
            .ok_or(CoreError::Unauthenticated)?;
        if grant.client_id != client_id {
            return Err(CoreError::invalid(
                "client_id",
                "The client_id value being requested with the refresh token does not match \
                 the client_id of the access token making the call",
            ));
        }
        let client = clients::find_client(conn, tenant, client_id)?
            .filter(|c| c.enabled)
            .ok_or_else(|| CoreError::not_found(RecordKind::Client, client_id))?;
        // A grant of a non-renewable integration cannot be refreshed.
        if !client.renewable {
            return Err(CoreError::Unauthenticated);
        }
        // Claims the refresh token: a concurrent refresh with the same token that got here
        // first has already revoked it, and this one must fail rather than mint a 2nd pair.
        if credentials::revoke_issuance(conn, tenant, &grant.id, &cred.name)? == 0 {
            return Err(CoreError::Unauthenticated);
        }
        grant.access_issued_at = Some(at);
        grant.valid_for = Some(i64::from(client.access_token_lifetime));
        grant.updated_at = at;
        grants::touch_grant(conn, tenant, &grant)?;
        let access_expires_at = store_pair(conn, tenant, &grant, pair, at)?;
        audit_store::insert_audit(
            conn,
            &[token_event(
                tenant,
                actor,
                AuditAction::TokenRefreshed,
                &grant,
                "success",
            )],
        )?;
        Ok(Issued {
            grant,
            access_expires_at,
        })
    })
}

/// The usable access token and the active grant it was issued under (None for tokens made
/// without a grant, e.g. by `grantctl credential add`). None when the token is unknown,
/// revoked, expired, or its grant is revoked or expired.
pub fn authenticate_access(
    conn: &mut DbConn,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<(Credential, Option<Grant>)>> {
    let at = now();
    let Some(cred) = credentials::find_by_digest(conn, &token_digest(token))?
        .filter(|c| c.kind == CredentialKind::BearerToken && c.tenant_id == tenant)
        .filter(|c| c.is_usable_at(at) && c.is_made_for(&Face::Venafi))
    else {
        return Ok(None);
    };
    match cred.grant_id.clone() {
        None => Ok(Some((cred, None))),
        Some(id) => Ok(grants::find_grant(conn, tenant, &id)?
            .filter(|g| g.is_active_at(at))
            .map(|g| (cred, Some(g)))),
    }
}

/// Revokes the grant an access token was issued under (and so every token of it), audited
/// as `token.revoked`; a token without a grant is revoked alone. Returns the revoked grant.
pub fn revoke_own_grant(
    conn: &mut DbConn,
    tenant: &TenantId,
    token: &Credential,
    actor: &str,
) -> Result<Option<Grant>> {
    let at = now();
    let revoked = dialect::write_tx(conn, |conn| {
        let Some(grant_id) = token.grant_id.as_deref() else {
            credentials::set_status(conn, tenant, &token.id, CredentialStatus::Revoked)?;
            audit_store::insert_audit(
                conn,
                &[audit::record(
                    tenant,
                    actor,
                    AuditAction::TokenRevoked,
                    "credential",
                    &token.id,
                    serde_json::json!({"user_id": token.user_id, "result": "success"}),
                )],
            )?;
            return Ok(None);
        };
        let Some(grant) = grants::find_grant(conn, tenant, grant_id)? else {
            return Ok(None);
        };
        if grants::set_revoked(conn, tenant, std::slice::from_ref(&grant.id), actor, at)?.is_empty()
        {
            // Revoked by another request a moment before.
            return Ok(None);
        }
        let grant = Grant {
            status: GrantStatus::Revoked,
            revoked_at: Some(at),
            revoked_by: Some(actor.to_owned()),
            updated_at: at,
            ..grant
        };
        audit_store::insert_audit(
            conn,
            &[token_event(
                tenant,
                actor,
                AuditAction::TokenRevoked,
                &grant,
                "success",
            )],
        )?;
        Ok(Some(grant))
    })?;
    if revoked.is_some() {
        crate::metrics::revoked("token", 1);
    }
    Ok(revoked)
}
