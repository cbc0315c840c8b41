//! OAuth clients: create, merge-update, delete, with OCS's validation rules.

use crate::model::AuditAction;
use crate::model::RecordKind;
use crate::model::{
    Client, ClientFilter, ClientKind, ClientPatch, CredentialKind, NewClient, now, to_millis,
};
use crate::model::{ClientId, TenantId};
use crate::service::{audit, ids};
use crate::store::{DbConn, audit as audit_store, clients, credentials, dialect, tenants};
use crate::{CoreError, Result};

pub const MAX_REDIRECT_URIS: usize = 10;
pub const MIN_LIFETIME: i32 = 60;
pub const MAX_LIFETIME: i32 = 3600;
pub const DEFAULT_LIFETIME: i32 = 3600;
/// Clients of all kinds one tenant may hold.
pub const MAX_CLIENTS_PER_TENANT: i64 = 50_000;

/// The rules every client obeys, whichever way it is made (API, `grantctl`, imports).
pub(crate) fn check(client: &Client) -> Result<()> {
    if client.id.is_empty() || client.id.len() > 200 {
        return Err(CoreError::invalid("Id", "must be 1 to 200 characters"));
    }
    // Venafi API integrations: `AccessValidity` is any positive number of seconds (a
    // 5-second integration is legitimate). The 60..3600 range is OCS's rule.
    if client.kind == ClientKind::ApiIntegration {
        if client.access_token_lifetime < 1 {
            return Err(CoreError::invalid(
                "AccessTokenLifetime",
                "must be a positive number of seconds",
            ));
        }
    } else if !(MIN_LIFETIME..=MAX_LIFETIME).contains(&client.access_token_lifetime) {
        return Err(CoreError::invalid(
            "AccessTokenLifetime",
            format!("must be between {MIN_LIFETIME} and {MAX_LIFETIME} seconds"),
        ));
    }
    if client.refresh_token_lifetime < 0 {
        return Err(CoreError::invalid(
            "RefreshTokenLifetime",
            "must not be negative",
        ));
    }
    if client.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(CoreError::invalid(
            "RedirectUris",
            format!("at most {MAX_REDIRECT_URIS} are allowed"),
        ));
    }
    if client.post_logout_redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(CoreError::invalid(
            "PostLogoutRedirectUris",
            format!("at most {MAX_REDIRECT_URIS} are allowed"),
        ));
    }
    Ok(())
}

/// Builds a client with defaults (GUID id when absent, lifetime 3600) and validates it.
pub fn build_client(tenant: &TenantId, new: NewClient) -> Result<Client> {
    let at = new.created_at.map(to_millis).unwrap_or_else(now);
    let client = Client {
        tenant_id: tenant.to_string(),
        id: new.id.unwrap_or_else(ids::guid),
        kind: new.kind.unwrap_or(ClientKind::AuthorizationCode),
        name: new.name.unwrap_or_default(),
        enabled: new.enabled.unwrap_or(true),
        access_token_lifetime: new.access_token_lifetime.unwrap_or(DEFAULT_LIFETIME),
        refresh_token_lifetime: new.refresh_token_lifetime.unwrap_or(0),
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        client_uri: new.client_uri,
        logo_uri: new.logo_uri,
        tags: new.tags,
        allowed_cors_origins: new.allowed_cors_origins,
        allow_offline_access: new.allow_offline_access.unwrap_or(false),
        allowed_scopes: new.allowed_scopes,
        roles: new.roles,
        allowed_identities: new.allowed_identities,
        vendor: new.vendor.unwrap_or_default(),
        description: new.description.unwrap_or_default(),
        renewable: new.renewable.unwrap_or(true),
        grant_types: new.grant_types,
        token_endpoint_auth_method: new
            .token_endpoint_auth_method
            .unwrap_or(crate::model::TokenAuthMethod::ClientSecretBasic),
        consent_required: new.consent_required.unwrap_or(false),
        created_at: at,
        updated_at: at,
    };
    check(&client)?;
    Ok(client)
}

pub fn create_client(
    conn: &mut DbConn,
    tenant: &TenantId,
    new: NewClient,
    actor: &str,
) -> Result<Client> {
    let client = build_client(tenant, new)?;
    dialect::write_tx(conn, |conn| {
        if tenants::find_tenant(conn, tenant)?.is_none() {
            return Err(CoreError::not_found(RecordKind::Tenant, tenant));
        }
        if clients::find_client(conn, tenant, &client.id)?.is_some() {
            return Err(CoreError::Conflict(format!(
                "a client with id {} already exists",
                client.id
            )));
        }
        if clients::count_clients(conn, tenant)? >= MAX_CLIENTS_PER_TENANT {
            return Err(CoreError::Forbidden(format!(
                "the tenant already has the maximum of {MAX_CLIENTS_PER_TENANT} clients"
            )));
        }
        clients::insert_clients(conn, std::slice::from_ref(&client))?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::ClientCreated,
                "client",
                &client.id,
                serde_json::json!({"kind": client.kind}),
            )],
        )?;
        Ok(client.clone())
    })
}

pub fn get_client(conn: &mut DbConn, tenant: &TenantId, id: &ClientId) -> Result<Client> {
    clients::find_client(conn, tenant, id)?
        .ok_or_else(|| CoreError::not_found(RecordKind::Client, id))
}

pub fn find_client(conn: &mut DbConn, tenant: &TenantId, id: &ClientId) -> Result<Option<Client>> {
    clients::find_client(conn, tenant, id)
}

pub fn find_clients(conn: &mut DbConn, tenant: &TenantId, ids: &[&str]) -> Result<Vec<Client>> {
    clients::find_clients(conn, tenant, ids)
}

pub fn list_clients(conn: &mut DbConn, tenant: &TenantId) -> Result<Vec<Client>> {
    clients::list_clients(conn, Some(tenant))
}

/// Clients of one kind, oldest first, narrowed to `filter.ids` (when not empty) and to
/// clients holding any of `filter.tags` (when not empty); `skip`/`count` page the result.
/// Returns the page and the number of matches before paging.
pub fn list_clients_page(
    conn: &mut DbConn,
    tenant: &TenantId,
    filter: &ClientFilter,
    skip: i64,
    count: i64,
) -> Result<(Vec<Client>, i64)> {
    dialect::read_tx(conn, |conn| {
        clients::list_clients_page(conn, tenant, filter, skip, count)
    })
}

/// How many clients of any kind the tenant holds (the per-tenant limit counts them all).
pub fn count_clients(conn: &mut DbConn, tenant: &TenantId) -> Result<i64> {
    clients::count_clients(conn, tenant)
}

/// Merge update: fields absent from the patch keep their value.
pub fn update_client(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &ClientId,
    patch: ClientPatch,
    actor: &str,
) -> Result<Client> {
    dialect::write_tx(conn, |conn| {
        let mut c = clients::find_client(conn, tenant, id)?
            .ok_or_else(|| CoreError::not_found(RecordKind::Client, id))?;
        if let Some(v) = patch.name {
            c.name = v;
        }
        if let Some(v) = patch.enabled {
            c.enabled = v;
        }
        if let Some(v) = patch.access_token_lifetime {
            c.access_token_lifetime = v;
        }
        if let Some(v) = patch.redirect_uris {
            c.redirect_uris = v;
        }
        if let Some(v) = patch.post_logout_redirect_uris {
            c.post_logout_redirect_uris = v;
        }
        if let Some(v) = patch.client_uri {
            c.client_uri = Some(v);
        }
        if let Some(v) = patch.logo_uri {
            c.logo_uri = Some(v);
        }
        if let Some(v) = patch.tags {
            c.tags = v;
        }
        if let Some(v) = patch.allowed_cors_origins {
            c.allowed_cors_origins = v;
        }
        if let Some(v) = patch.allow_offline_access {
            c.allow_offline_access = v;
        }
        if let Some(v) = patch.roles {
            c.roles = v;
        }
        c.updated_at = now();
        check(&c)?;
        clients::update_client(conn, &c)?;
        if !c.enabled {
            // A disabled client cannot authenticate: its access tokens stop working too.
            credentials::revoke_client_credentials(
                conn,
                tenant,
                id,
                &[CredentialKind::BearerToken, CredentialKind::RefreshToken],
            )?;
        }
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::ClientUpdated,
                "client",
                id,
                serde_json::json!({}),
            )],
        )?;
        Ok(c)
    })
}

/// Deletes a client and its grants; its secrets and tokens are revoked.
pub fn delete_client(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &ClientId,
    actor: &str,
) -> Result<()> {
    dialect::write_tx(conn, |conn| {
        if clients::delete_client(conn, tenant, id)? == 0 {
            return Err(CoreError::not_found(RecordKind::Client, id));
        }
        credentials::revoke_client_credentials(conn, tenant, id, CredentialKind::ALL)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::ClientDeleted,
                "client",
                id,
                serde_json::json!({}),
            )],
        )?;
        Ok(())
    })
}
