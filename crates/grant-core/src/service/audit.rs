//! Typed constructors for audit rows.

use crate::model::{ClientId, GrantId, TenantId, UserId};
use serde_json::json;

use crate::model::{AuditAction, AuditEvent, GrantFilter, now};
use crate::service::ids;

fn event(
    tenant: &TenantId,
    actor: &str,
    action: AuditAction,
    target_kind: &str,
    target_id: &str,
    affected: i64,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant.to_string(),
        at: now(),
        actor: actor.to_owned(),
        action: action.as_str().to_owned(),
        target_kind: target_kind.to_owned(),
        target_id: target_id.to_owned(),
        affected,
        detail,
    }
}

pub fn grant_revoked(
    tenant: &TenantId,
    actor: &str,
    grant_id: &GrantId,
    user_id: &UserId,
    client_id: &ClientId,
) -> AuditEvent {
    event(
        tenant,
        actor,
        AuditAction::GrantRevoked,
        "grant",
        grant_id,
        1,
        json!({"user_id": user_id, "client_id": client_id}),
    )
}

pub fn grants_revoked(
    tenant: &TenantId,
    actor: &str,
    filter: &GrantFilter,
    affected: usize,
    ids_revoked: &[String],
) -> AuditEvent {
    let target = match (&filter.user_id, &filter.client_id) {
        (Some(u), Some(c)) => format!("user:{u}/client:{c}"),
        (Some(u), None) => format!("user:{u}"),
        (None, Some(c)) => format!("client:{c}"),
        (None, None) => "all".to_owned(),
    };
    event(
        tenant,
        actor,
        AuditAction::GrantsRevoked,
        "grants",
        &target,
        affected as i64,
        json!({
            "user_id": filter.user_id,
            "client_id": filter.client_id,
            "scope": filter.scope,
            "grant_types": filter.grant_types,
            "grant_ids": ids_revoked,
        }),
    )
}

pub fn grant_issued(
    tenant: &TenantId,
    actor: &str,
    grant_id: &GrantId,
    user_id: &UserId,
    client_id: &ClientId,
) -> AuditEvent {
    event(
        tenant,
        actor,
        AuditAction::GrantIssued,
        "grant",
        grant_id,
        1,
        json!({"user_id": user_id, "client_id": client_id}),
    )
}

pub fn record(
    tenant: &TenantId,
    actor: &str,
    action: AuditAction,
    target_kind: &str,
    target_id: &str,
    detail: serde_json::Value,
) -> AuditEvent {
    event(tenant, actor, action, target_kind, target_id, 1, detail)
}

pub fn new_id() -> String {
    ids::guid()
}
