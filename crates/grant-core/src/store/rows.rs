//! Database rows and their conversions to and from the canonical model. A column change
//! never changes a wire format by accident: gateways only ever see model types.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::*;
use super::{StoredTime, StoredTimeOpt};
use crate::model::*;
use crate::{CoreError, Result};

pub(crate) fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub(crate) fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn parse_list(s: &str) -> Result<Vec<String>> {
    Ok(serde_json::from_str(s)?)
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    pub status: String,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant {
            id: r.id,
            name: r.name,
            created_at: utc(r.created_at),
            // Only the two values the code writes are stored; anything else is unusable.
            status: r.status.parse().unwrap_or(TenantStatus::Disabled),
        }
    }
}

impl From<&Tenant> for TenantRow {
    fn from(t: &Tenant) -> Self {
        TenantRow {
            id: t.id.clone(),
            name: t.name.clone(),
            created_at: naive(t.created_at),
            status: t.status.as_str().to_owned(),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub login: String,
    pub display_name: String,
    pub roles: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    pub profile: Option<String>,
}

impl UserRow {
    /// The user, with the aliases the store holds for it.
    pub fn into_user(self, aliases: Aliases) -> User {
        User {
            id: self.id,
            tenant_id: self.tenant_id,
            login: self.login,
            aliases,
            display_name: self.display_name,
            roles: parse_list(&self.roles).unwrap_or_default(),
            created_at: utc(self.created_at),
            profile: self.profile.and_then(|p| serde_json::from_str(&p).ok()),
        }
    }
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        UserRow {
            id: u.id.clone(),
            tenant_id: u.tenant_id.clone(),
            login: u.login.clone(),
            display_name: u.display_name.clone(),
            roles: json_list(&u.roles),
            created_at: naive(u.created_at),
            profile: u
                .profile
                .as_ref()
                .and_then(|p| serde_json::to_string(p).ok()),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = user_aliases)]
pub struct UserAliasRow {
    pub tenant_id: String,
    pub vendor: String,
    pub lookup_key: String,
    pub alias: String,
    pub user_id: String,
}

impl UserAliasRow {
    /// One row per alias of the user.
    pub fn of(u: &User) -> impl Iterator<Item = UserAliasRow> + '_ {
        u.aliases
            .iter()
            .filter(|(_, alias)| !alias.is_empty())
            .map(|(vendor, alias)| UserAliasRow {
                tenant_id: u.tenant_id.clone(),
                vendor: vendor.as_str().to_owned(),
                lookup_key: vendor.lookup_key(alias),
                alias: alias.clone(),
                user_id: u.id.clone(),
            })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tenant_roles)]
pub struct TenantRoleRow {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub role_type: String,
    pub scope: i32,
    pub community_id: Option<String>,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
}

impl From<TenantRoleRow> for TenantRole {
    fn from(r: TenantRoleRow) -> Self {
        TenantRole {
            tenant_id: r.tenant_id,
            id: r.id,
            name: r.name,
            description: r.description,
            role_type: r.role_type,
            scope: r.scope,
            community_id: r.community_id,
            created_at: utc(r.created_at),
        }
    }
}

impl From<&TenantRole> for TenantRoleRow {
    fn from(r: &TenantRole) -> Self {
        TenantRoleRow {
            tenant_id: r.tenant_id.clone(),
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            role_type: r.role_type.clone(),
            scope: r.scope,
            community_id: r.community_id.clone(),
            created_at: naive(r.created_at),
        }
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct ClientRow {
    pub tenant_id: String,
    pub id: String,
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub access_token_lifetime: i32,
    pub refresh_token_lifetime: i32,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub tags: String,
    pub allowed_cors_origins: String,
    pub allow_offline_access: bool,
    pub allowed_scopes: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub roles: String,
    pub allowed_identities: String,
    pub vendor: String,
    pub description: String,
    pub renewable: bool,
    pub grant_types: String,
    pub token_endpoint_auth_method: String,
    pub consent_required: bool,
}

impl TryFrom<ClientRow> for Client {
    type Error = CoreError;
    fn try_from(r: ClientRow) -> Result<Self> {
        Ok(Client {
            tenant_id: r.tenant_id,
            id: r.id,
            kind: r.kind.parse()?,
            name: r.name,
            enabled: r.enabled,
            access_token_lifetime: r.access_token_lifetime,
            refresh_token_lifetime: r.refresh_token_lifetime,
            redirect_uris: parse_list(&r.redirect_uris)?,
            post_logout_redirect_uris: parse_list(&r.post_logout_redirect_uris)?,
            client_uri: r.client_uri,
            logo_uri: r.logo_uri,
            tags: parse_list(&r.tags)?,
            allowed_cors_origins: parse_list(&r.allowed_cors_origins)?,
            allow_offline_access: r.allow_offline_access,
            allowed_scopes: parse_list(&r.allowed_scopes)?,
            roles: parse_list(&r.roles)?,
            allowed_identities: parse_list(&r.allowed_identities)?,
            vendor: r.vendor,
            description: r.description,
            renewable: r.renewable,
            grant_types: parse_list(&r.grant_types)?
                .iter()
                .map(|t: &String| t.parse())
                .collect::<Result<_>>()?,
            token_endpoint_auth_method: r.token_endpoint_auth_method.parse()?,
            consent_required: r.consent_required,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

impl From<&Client> for ClientRow {
    fn from(c: &Client) -> Self {
        ClientRow {
            tenant_id: c.tenant_id.clone(),
            id: c.id.clone(),
            kind: c.kind.as_str().to_owned(),
            name: c.name.clone(),
            enabled: c.enabled,
            access_token_lifetime: c.access_token_lifetime,
            refresh_token_lifetime: c.refresh_token_lifetime,
            redirect_uris: json_list(&c.redirect_uris),
            post_logout_redirect_uris: json_list(&c.post_logout_redirect_uris),
            client_uri: c.client_uri.clone(),
            logo_uri: c.logo_uri.clone(),
            tags: json_list(&c.tags),
            allowed_cors_origins: json_list(&c.allowed_cors_origins),
            allow_offline_access: c.allow_offline_access,
            allowed_scopes: json_list(&c.allowed_scopes),
            created_at: naive(c.created_at),
            updated_at: naive(c.updated_at),
            roles: json_list(&c.roles),
            allowed_identities: json_list(&c.allowed_identities),
            vendor: c.vendor.clone(),
            description: c.description.clone(),
            renewable: c.renewable,
            grant_types: json_list(
                &c.grant_types
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .collect::<Vec<_>>(),
            ),
            token_endpoint_auth_method: c.token_endpoint_auth_method.as_str().to_owned(),
            consent_required: c.consent_required,
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = scopes)]
pub struct ScopeRow {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub restrictions: String,
}

impl TryFrom<ScopeRow> for ScopeDefinition {
    type Error = CoreError;
    fn try_from(r: ScopeRow) -> Result<Self> {
        Ok(ScopeDefinition {
            tenant_id: r.tenant_id,
            id: r.id,
            name: r.name,
            display_name: r.display_name,
            description: r.description,
            restrictions: parse_list(&r.restrictions)?,
        })
    }
}

impl From<&ScopeDefinition> for ScopeRow {
    fn from(s: &ScopeDefinition) -> Self {
        ScopeRow {
            tenant_id: s.tenant_id.clone(),
            id: s.id.clone(),
            name: s.name.clone(),
            display_name: s.display_name.clone(),
            description: s.description.clone(),
            restrictions: json_list(&s.restrictions),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub struct GrantRow {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub client_id: String,
    pub grant_type: String,
    pub status: String,
    pub source: String,
    pub issuer: String,
    pub scopes: String,
    pub attributes: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTimeOpt)]
    pub expires_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = StoredTimeOpt)]
    pub access_issued_at: Option<NaiveDateTime>,
    pub valid_for: Option<i64>,
    pub created_by_id: Option<String>,
    pub created_by_type: Option<String>,
    #[diesel(deserialize_as = StoredTimeOpt)]
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<String>,
}

impl TryFrom<GrantRow> for Grant {
    type Error = CoreError;
    fn try_from(r: GrantRow) -> Result<Self> {
        let attributes = if r.attributes.is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&r.attributes)?
        };
        Ok(Grant {
            id: r.id,
            tenant_id: r.tenant_id,
            user_id: r.user_id,
            client_id: r.client_id,
            grant_type: r.grant_type.parse()?,
            status: r.status.parse()?,
            source: r.source.parse()?,
            issuer: r.issuer,
            scopes: ScopeSet::from_stored(&r.scopes)?,
            attributes,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            expires_at: r.expires_at.map(utc),
            access_issued_at: r.access_issued_at.map(utc),
            valid_for: r.valid_for,
            created_by: match (r.created_by_id, r.created_by_type) {
                (Some(id), Some(kind)) => Some(Actor { id, kind }),
                _ => None,
            },
            revoked_at: r.revoked_at.map(utc),
            revoked_by: r.revoked_by,
        })
    }
}

impl From<&Grant> for GrantRow {
    fn from(g: &Grant) -> Self {
        GrantRow {
            id: g.id.clone(),
            tenant_id: g.tenant_id.clone(),
            user_id: g.user_id.clone(),
            client_id: g.client_id.clone(),
            grant_type: g.grant_type.as_str().to_owned(),
            status: g.status.as_str().to_owned(),
            source: g.source.as_str().to_owned(),
            issuer: g.issuer.clone(),
            scopes: g.scopes.to_stored(),
            attributes: if g.attributes.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&g.attributes).unwrap_or_default()
            },
            created_at: naive(g.created_at),
            updated_at: naive(g.updated_at),
            expires_at: g.expires_at.map(naive),
            access_issued_at: g.access_issued_at.map(naive),
            valid_for: g.valid_for,
            created_by_id: g.created_by.as_ref().map(|a| a.id.clone()),
            created_by_type: g.created_by.as_ref().map(|a| a.kind.clone()),
            revoked_at: g.revoked_at.map(naive),
            revoked_by: g.revoked_by.clone(),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = grant_scopes)]
pub struct GrantScopeRow {
    pub grant_id: String,
    pub scope: String,
    pub consent_id: String,
}

#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = credentials)]
pub struct CredentialRow {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub name: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub grant_id: Option<String>,
    pub digest: Option<Vec<u8>>,
    pub password_hash: Option<String>,
    pub scopes: String,
    pub roles: String,
    pub status: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTimeOpt)]
    pub expires_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = StoredTimeOpt)]
    pub last_used_at: Option<NaiveDateTime>,
    /// JSON list of face entries (`Credential::faces`).
    pub faces: String,
}

/// `Credential::faces` as stored.
pub fn faces_column(faces: &[String]) -> String {
    json_list(faces)
}

impl TryFrom<CredentialRow> for Credential {
    type Error = CoreError;
    fn try_from(r: CredentialRow) -> Result<Self> {
        Ok(Credential {
            id: r.id,
            tenant_id: r.tenant_id,
            kind: r.kind.parse()?,
            name: r.name,
            user_id: r.user_id,
            client_id: r.client_id,
            grant_id: r.grant_id,
            scopes: parse_list(&r.scopes)?,
            roles: parse_list(&r.roles)?,
            status: r.status.parse()?,
            created_at: utc(r.created_at),
            expires_at: r.expires_at.map(utc),
            faces: parse_list(&r.faces)?,
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub tenant_id: String,
    #[diesel(deserialize_as = StoredTime)]
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub affected: i64,
    pub detail: String,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = CoreError;
    fn try_from(r: AuditRow) -> Result<Self> {
        Ok(AuditEvent {
            id: r.id,
            tenant_id: r.tenant_id,
            at: utc(r.at),
            actor: r.actor,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            affected: r.affected,
            detail: serde_json::from_str(&r.detail)?,
        })
    }
}

impl From<&AuditEvent> for AuditRow {
    fn from(e: &AuditEvent) -> Self {
        AuditRow {
            id: e.id.clone(),
            tenant_id: e.tenant_id.clone(),
            at: naive(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            target_kind: e.target_kind.clone(),
            target_id: e.target_id.clone(),
            affected: e.affected,
            detail: e.detail.to_string(),
        }
    }
}
