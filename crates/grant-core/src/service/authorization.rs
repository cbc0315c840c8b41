//! The authorization engine: OAuth 2.0 authorization-code flow with PKCE (RFC 6749, RFC
//! 7636), OIDC sign-in sessions, consent recorded as grants, refresh-token rotation with
//! reuse detection, introspection and revocation (RFC 7662, RFC 7009). No HTTP and no
//! vendor wording: a face reads the request, calls one function here, and words the
//! outcome (or the [`Refusal`] inside `CoreError::Refused`) as its vendor does.
//!
//! What one redemption of a code issues is a *token family*: its refresh tokens (stored as
//! digests, rotated on use) and its access tokens (JWTs whose `jti` names the family).
//! Revoking the grant a family was issued under, the consent of one of its scopes, its
//! client, or replaying a used code or a rotated refresh token revokes the family: its
//! refresh tokens fail at once and its access tokens introspect as inactive.

use crate::model::{ClientId, TenantId, TenantIdBuf, UserId};
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use subtle::ConstantTimeEq as _;

use crate::model::{
    Actor, AuditAction, AuthorizationRequest, AuthorizationServer, ChallengeMethod, CheckedRequest,
    Client, ClientAuth, CredentialKind, DEFAULT_SERVER, Face, Grant, GrantFilter, GrantRecording,
    GrantSource, GrantType, Issuance, NewGrant, ORG_SERVER, RecordKind, Refusal, RequestPolicy,
    ScopeSet, SessionKind, SignedIn, TokenAuthMethod, User, UserKey, now,
};
use crate::service::credentials::{PasswordVerifier, token_digest};
use crate::service::{audit, grants as grant_service, ids};
use crate::store::authorization::{self as store, CodeRow, FamilyRow, RefreshRow, SessionRow};
use crate::store::rows::{naive, utc};
use crate::store::{DbConn, audit as audit_store, clients, credentials, dialect, grants, users};
use crate::{CoreError, Result, Store};

/// Authorization codes live 5 minutes (Okta; RFC 6749 recommends at most 10).
pub const CODE_LIFETIME_SECS: i64 = 300;
/// One-time session tokens (Okta's `sessionToken`) live 5 minutes.
pub const SESSION_TOKEN_LIFETIME_SECS: i64 = 300;
/// A sign-in session lasts 2 hours (Okta's default global session policy).
pub const SESSION_LIFETIME_SECS: i64 = 2 * 3600;
/// A rotated refresh token stays usable this long (Okta's default leeway).
pub const REFRESH_LEEWAY_SECS: i64 = 30;
/// Scopes of the OpenID Connect core, always asked for without being a client's allowed
/// scope (`allowed_scopes` lists the rest).
pub const OIDC_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];
/// The scope that asks for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

fn refused(r: Refusal) -> CoreError {
    CoreError::Refused(r)
}

fn digest(secret: &str) -> Vec<u8> {
    token_digest(secret).to_vec()
}

fn scopes_text(scopes: &[String]) -> String {
    scopes.join(" ")
}

fn scopes_of(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Authorization servers

/// An authorization server of the tenant: the org server and `default` always exist (a
/// stored row may rename `default` or change its audience); others are made with
/// [`add_server`].
pub fn server(conn: &mut DbConn, tenant: &TenantId, id: &str) -> Result<AuthorizationServer> {
    if let Some(found) = store::find_server(conn, tenant, id)? {
        return Ok(found);
    }
    match id {
        ORG_SERVER => Ok(AuthorizationServer {
            id: ORG_SERVER.into(),
            name: "Org Authorization Server".into(),
            audience: String::new(),
            created_at: DateTime::UNIX_EPOCH,
        }),
        DEFAULT_SERVER => Ok(AuthorizationServer {
            id: DEFAULT_SERVER.into(),
            name: "default".into(),
            audience: "api://default".into(),
            created_at: DateTime::UNIX_EPOCH,
        }),
        id if FACE_SERVERS.contains(&id) => Ok(AuthorizationServer {
            id: id.to_owned(),
            name: id.to_owned(),
            audience: String::new(),
            created_at: DateTime::UNIX_EPOCH,
        }),
        _ => Err(CoreError::not_found(RecordKind::AuthorizationServer, id)),
    }
}

/// The one authorization server of each face whose vendor has a single one (its keys and
/// tokens are its own): PingFederate's and OCS's.
pub const FACE_SERVERS: &[&str] = &["pingfed", "ocs"];

/// The tenant a client id belongs to (client ids are unique across tenants, as OCS's
/// token endpoint assumes).
pub fn client_tenant(conn: &mut DbConn, client_id: &ClientId) -> Result<Option<TenantIdBuf>> {
    Ok(clients::tenant_of_client(conn, client_id)?.map(TenantIdBuf::new))
}

/// Creates a custom authorization server; audited.
pub fn add_server(
    conn: &mut DbConn,
    tenant: &TenantId,
    id: &str,
    name: &str,
    audience: &str,
    actor: &str,
) -> Result<AuthorizationServer> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(CoreError::invalid(
            "id",
            "must be 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    if id == ORG_SERVER {
        return Err(CoreError::invalid(
            "id",
            "'org' names the org authorization server",
        ));
    }
    let created = AuthorizationServer {
        id: id.to_owned(),
        name: name.to_owned(),
        audience: audience.to_owned(),
        created_at: now(),
    };
    dialect::write_tx(conn, |conn| {
        if store::find_server(conn, tenant, id)?.is_some() {
            return Err(CoreError::Conflict(format!(
                "authorization server {id} already exists"
            )));
        }
        store::insert_server(conn, tenant, &created)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                actor,
                AuditAction::AuthorizationServerCreated,
                "authorization_server",
                id,
                serde_json::json!({"audience": audience}),
            )],
        )?;
        Ok(created.clone())
    })
}

pub fn list_servers(conn: &mut DbConn, tenant: &TenantId) -> Result<Vec<AuthorizationServer>> {
    store::list_servers(conn, tenant)
}

// ---------------------------------------------------------------------------------------
// Authorization requests

fn pkce_value_ok(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Checks an authorization request against its client: the client exists and is enabled,
/// the redirect URI is registered (exact match), then (refusals the client is told about)
/// `state`, `response_type=code`, scopes, PKCE and the client's grant types.
pub fn check_request(
    conn: &mut DbConn,
    tenant: &TenantId,
    request: AuthorizationRequest,
    policy: RequestPolicy,
) -> Result<CheckedRequest> {
    let client = clients::find_client(conn, tenant, &request.client_id)?
        .filter(|c| c.enabled)
        .ok_or(refused(Refusal::UnknownClient))?;
    if !client.redirect_uris.contains(&request.redirect_uri) {
        return Err(refused(Refusal::RedirectUriNotRegistered));
    }
    if policy.state_required && request.state.as_deref().is_none_or(str::is_empty) {
        return Err(refused(Refusal::MissingParameter("state")));
    }
    if request.response_type != "code" {
        return Err(refused(Refusal::UnsupportedResponseType(
            request.response_type.clone(),
        )));
    }
    if !client.grant_types.is_empty() && !client.grant_types.contains(&GrantType::AuthorizationCode)
    {
        return Err(refused(Refusal::GrantTypeNotAllowed(
            "authorization_code".into(),
        )));
    }
    if request.scopes.is_empty() {
        return Err(refused(Refusal::NoScopes));
    }
    if let Some(bad) = request.scopes.iter().find(|s| !scope_allowed(&client, s)) {
        return Err(refused(Refusal::InvalidScope(bad.clone())));
    }
    match (
        &request.code_challenge,
        request.code_challenge_method.as_deref(),
    ) {
        (None, Some(_)) => return Err(refused(Refusal::PkceRequired)),
        (None, None) if client.is_public() => return Err(refused(Refusal::PkceRequired)),
        (None, None) => {}
        (Some(challenge), method) => {
            let method = method.unwrap_or("plain");
            match method.parse::<ChallengeMethod>() {
                Ok(ChallengeMethod::S256) => {}
                Ok(ChallengeMethod::Plain) if policy.allow_plain_pkce => {}
                _ => return Err(refused(Refusal::PkceMethodUnsupported(method.to_owned()))),
            }
            if !pkce_value_ok(challenge) {
                return Err(refused(Refusal::PkceRequired));
            }
        }
    }
    Ok(CheckedRequest { client, request })
}

fn scope_allowed(client: &Client, scope: &str) -> bool {
    if scope.is_empty() || scope.len() > 1024 || scope.chars().any(char::is_control) {
        return false;
    }
    client.allowed_scopes.is_empty()
        || OIDC_SCOPES.contains(&scope)
        || client.allowed_scopes.iter().any(|s| s == scope)
}

/// Whether the client may use the `refresh_token` grant (its grant types, when recorded).
fn may_refresh(client: &Client) -> bool {
    client.grant_types.is_empty() || client.grant_types.contains(&GrantType::RefreshToken)
}

/// Whether a code exchange issues a refresh token: the client may refresh and, where the
/// vendor wants it, `offline_access` was granted.
fn issues_refresh_tokens(client: &Client, scopes: &[String], policy: RequestPolicy) -> bool {
    may_refresh(client)
        && (!policy.refresh_needs_offline_access || scopes.iter().any(|s| s == OFFLINE_ACCESS))
}

// ---------------------------------------------------------------------------------------
// Sign-in sessions

/// Starts a session of `kind` for a user; returns its secret (the cookie value or the
/// one-time session token), stored only as a digest.
pub fn start_session(
    conn: &mut DbConn,
    tenant: &TenantId,
    user_id: &UserId,
    kind: SessionKind,
) -> Result<(String, DateTime<Utc>)> {
    let secret = ids::random_alnum(43);
    let at = now();
    let expires_at = at
        + Duration::seconds(match kind {
            SessionKind::Cookie => SESSION_LIFETIME_SECS,
            SessionKind::OneTime => SESSION_TOKEN_LIFETIME_SECS,
        });
    store::insert_session(
        conn,
        &SessionRow {
            digest: digest(&secret),
            tenant_id: tenant.to_string(),
            user_id: user_id.to_string(),
            kind: kind.as_str().to_owned(),
            auth_time: naive(at),
            expires_at: naive(expires_at),
            ended_at: None,
        },
    )?;
    Ok((secret, expires_at))
}

/// A password sign-in at a face (the user's password credential made for it, verified off
/// the async workers, unknown users against the decoy): starts a session of `kind` and
/// returns the user with the session's secret. Every failure is `Unauthenticated`.
#[allow(clippy::too_many_arguments)]
pub async fn sign_in_with_password(
    store_: &Store,
    verifier: &PasswordVerifier,
    tenant: &TenantId,
    face: &Face<'_>,
    username: &str,
    password: SecretString,
    source: &str,
    kind: SessionKind,
) -> Result<(User, String, DateTime<Utc>)> {
    let credential = crate::service::credentials::login_password(
        store_, verifier, tenant, face, username, password, source,
    )
    .await?;
    let user_id = credential.user_id.ok_or(CoreError::Unauthenticated)?;
    let tenant = tenant.to_buf();
    store_
        .with_conn(move |conn| {
            let user = users::find_user(conn, &tenant, UserKey::Id, &user_id)?
                .ok_or(CoreError::Unauthenticated)?;
            let (secret, expires_at) = start_session(conn, &tenant, user.id(), kind)?;
            Ok((user, secret, expires_at))
        })
        .await
}

/// The signed-in user of a live cookie session.
pub fn session_user(
    conn: &mut DbConn,
    tenant: &TenantId,
    secret: &str,
) -> Result<Option<SignedIn>> {
    let Some(row) =
        store::find_live_session(conn, &digest(secret), SessionKind::Cookie.as_str(), now())?
    else {
        return Ok(None);
    };
    if row.tenant_id != tenant {
        return Ok(None);
    }
    let user = users::find_user(conn, tenant, UserKey::Id, &row.user_id)?;
    Ok(user.map(|user| SignedIn {
        user,
        auth_time: utc(row.auth_time),
    }))
}

/// Exchanges a one-time session token for a cookie session (single use, in one
/// transaction): the user and the new session's secret; `None` when the token is unknown,
/// used or expired.
pub fn redeem_session_token(
    conn: &mut DbConn,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<(SignedIn, String)>> {
    let at = now();
    dialect::write_tx(conn, |conn| {
        let d = digest(token);
        let Some(row) = store::find_live_session(conn, &d, SessionKind::OneTime.as_str(), at)?
        else {
            return Ok(None);
        };
        if row.tenant_id != tenant || store::end_session(conn, &d, at)? != 1 {
            return Ok(None);
        }
        let Some(user) = users::find_user(conn, tenant, UserKey::Id, &row.user_id)? else {
            return Ok(None);
        };
        let (secret, _) = start_session(conn, tenant, user.id(), SessionKind::Cookie)?;
        Ok(Some((
            SignedIn {
                user,
                auth_time: utc(row.auth_time),
            },
            secret,
        )))
    })
}

/// Ends a cookie session (logout); unknown sessions are ignored.
pub fn end_session(conn: &mut DbConn, secret: &str) -> Result<()> {
    store::end_session(conn, &digest(secret), now())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Consent and codes

/// The user's active consent grant for a client at an issuer (the one consents add to).
fn consent_grant(
    conn: &mut DbConn,
    tenant: &TenantId,
    user_id: &str,
    client_id: &str,
    issuer: &str,
) -> Result<Option<Grant>> {
    let page = grants::list_all_grants(
        conn,
        tenant,
        &GrantFilter::by_user_and_client(user_id, client_id),
        now(),
    )?;
    Ok(page
        .into_iter()
        .filter(|g| g.issuer == issuer && g.source == GrantSource::EndUser)
        .max_by_key(|g| g.created_at))
}

/// The requested scopes the user must consent to before a code is issued: none when the
/// client does not ask for consent or the server has no consent; with `ask_again`
/// (`prompt=consent`) every consent scope; otherwise those the user has not consented to
/// yet. `openid` never needs consent.
pub fn scopes_needing_consent(
    conn: &mut DbConn,
    tenant: &TenantId,
    checked: &CheckedRequest,
    user_id: &UserId,
    issuer: &str,
    policy: RequestPolicy,
    ask_again: bool,
) -> Result<Vec<String>> {
    if !checked.client.consent_required || !policy.consent_possible {
        return Ok(Vec::new());
    }
    let candidates = checked.request.scopes.iter().filter(|s| *s != "openid");
    if ask_again {
        return Ok(candidates.cloned().collect());
    }
    let granted = consent_grant(conn, tenant, user_id, &checked.client.id, issuer)?;
    let granted: Vec<&str> = granted.iter().flat_map(|g| g.scopes.names()).collect();
    let mut needed: Vec<String> = candidates
        .filter(|s| !granted.contains(&s.as_str()))
        .cloned()
        .collect();
    needed.dedup();
    Ok(needed)
}

/// An authorization the user gave (signed in, and consented to `consented`).
#[derive(Debug, Clone)]
pub struct Approval<'a> {
    pub checked: &'a CheckedRequest,
    pub server_id: &'a str,
    /// The server's issuer: the issuer of the grants consent creates.
    pub issuer: &'a str,
    pub signed_in: &'a SignedIn,
    /// Scopes the user just consented to (empty: no consent page was shown).
    pub consented: Vec<String>,
    pub policy: RequestPolicy,
    /// Attributes a persistent grant records (PingFederate's `grantAttributes`).
    pub attributes: Vec<crate::model::GrantAttribute>,
}

/// Issues an authorization code for an approved request, in one transaction with the
/// consent it records: the consented scopes join the user's consent grant for the client
/// at this issuer (a new grant, `source: end_user`, created by the user, when there is
/// none). Returns the code.
pub fn approve(conn: &mut DbConn, tenant: &TenantId, approval: &Approval<'_>) -> Result<String> {
    let code = ids::random_alnum(43);
    let at = now();
    let checked = approval.checked;
    let user = &approval.signed_in.user;
    let policy = approval.policy;
    let expires_at = at + Duration::seconds(policy.code_lifetime_secs);
    dialect::write_tx(conn, |conn| {
        let grant_id = match policy.recording {
            GrantRecording::Consent => {
                let grant =
                    consent_grant(conn, tenant, &user.id, &checked.client.id, approval.issuer)?;
                if approval.consented.is_empty() {
                    grant.map(|g| g.id)
                } else {
                    Some(record_consent(conn, tenant, approval, grant, at)?.id)
                }
            }
            GrantRecording::Persistent if may_refresh(&checked.client) => {
                Some(record_persistent_grant(conn, tenant, approval, at)?.id)
            }
            GrantRecording::Persistent => None,
            GrantRecording::PerArtifact => Some(
                record_artifact(
                    conn,
                    tenant,
                    approval.issuer,
                    user,
                    &checked.client,
                    GrantType::AuthorizationCode,
                    &checked.request.scopes,
                    Some(expires_at),
                    at,
                )?
                .id,
            ),
        };
        let request = &checked.request;
        store::insert_code(
            conn,
            &CodeRow {
                digest: digest(&code),
                tenant_id: tenant.to_string(),
                server_id: approval.server_id.to_owned(),
                client_id: checked.client.id.clone(),
                user_id: user.id.clone(),
                grant_id,
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                code_challenge_method: request.code_challenge.as_ref().map(|_| {
                    request
                        .code_challenge_method
                        .clone()
                        .unwrap_or_else(|| "plain".into())
                }),
                nonce: request.nonce.clone(),
                scopes: scopes_text(&request.scopes),
                auth_time: naive(approval.signed_in.auth_time),
                created_at: naive(at),
                expires_at: naive(expires_at),
                used_at: None,
                family_id: None,
            },
        )?;
        Ok(())
    })?;
    Ok(code)
}

/// PingFederate's persistent grant of an approval: the user's active `authorization_code`
/// grant for the client at this issuer, its scopes replaced by the approved ones, or a new
/// one. Audited.
fn record_persistent_grant(
    conn: &mut DbConn,
    tenant: &TenantId,
    approval: &Approval<'_>,
    at: DateTime<Utc>,
) -> Result<Grant> {
    let user = &approval.signed_in.user;
    let client = &approval.checked.client;
    let scopes = if approval.consented.is_empty() {
        approval.checked.request.scopes.clone()
    } else {
        approval.consented.clone()
    };
    let filter = GrantFilter {
        grant_types: vec![GrantType::AuthorizationCode],
        ..GrantFilter::by_user_and_client(&user.id, &client.id)
    };
    let existing = grants::list_all_grants(conn, tenant, &filter, at)?
        .into_iter()
        .filter(|g| g.issuer == approval.issuer)
        .max_by_key(|g| g.created_at);
    let grant = match existing {
        Some(g) => grants::replace_scopes(conn, tenant, &g, &scopes, at)?,
        None => {
            let mut new = NewGrant::new(&user.id, &client.id);
            new.id = Some(ids::pingfed_grant_id());
            new.grant_type = GrantType::AuthorizationCode;
            new.source = GrantSource::EndUser;
            new.issuer = approval.issuer.to_owned();
            new.scopes = ScopeSet::from_names(scopes.iter().cloned());
            new.attributes = approval.attributes.clone();
            new.created_by = Some(Actor {
                id: user.id.clone(),
                kind: "User".into(),
            });
            let built = grant_service::build(tenant, new);
            grants::insert_grants(conn, std::slice::from_ref(&built))?;
            built
        }
    };
    audit_store::insert_audit(
        conn,
        &[audit::record(
            tenant,
            &user.id,
            AuditAction::GrantConsented,
            "grant",
            &grant.id,
            serde_json::json!({"user_id": user.id, "client_id": client.id, "scopes": scopes}),
        )],
    )?;
    Ok(grant)
}

/// An IdentityServer persisted grant of one artifact (a code, a refresh token). Audited.
#[allow(clippy::too_many_arguments)]
fn record_artifact(
    conn: &mut DbConn,
    tenant: &TenantId,
    issuer: &str,
    user: &User,
    client: &Client,
    grant_type: GrantType,
    scopes: &[String],
    expires_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<Grant> {
    let mut new = NewGrant::new(&user.id, &client.id);
    new.id = Some(ids::guid());
    new.grant_type = grant_type;
    new.source = GrantSource::EndUser;
    new.issuer = issuer.to_owned();
    new.scopes = ScopeSet::from_names(scopes.iter().cloned());
    new.expires_at = expires_at;
    new.created_at = Some(at);
    new.created_by = Some(Actor {
        id: user.id.clone(),
        kind: "User".into(),
    });
    let built = grant_service::build(tenant, new);
    grants::insert_grants(conn, std::slice::from_ref(&built))?;
    audit_store::insert_audit(
        conn,
        &[audit::grant_issued(
            tenant,
            &user.id,
            built.id(),
            user.id(),
            client.id(),
        )],
    )?;
    Ok(built)
}

fn record_consent(
    conn: &mut DbConn,
    tenant: &TenantId,
    approval: &Approval<'_>,
    existing: Option<Grant>,
    at: DateTime<Utc>,
) -> Result<Grant> {
    let user = &approval.signed_in.user;
    let client = &approval.checked.client;
    let grant = match existing {
        Some(g) => {
            let added: Vec<String> = approval
                .consented
                .iter()
                .filter(|s| !g.scopes.names().any(|n| n == s.as_str()))
                .cloned()
                .collect();
            if added.is_empty() {
                g
            } else {
                grants::add_scopes(conn, tenant, &g, &added, at)?
            }
        }
        None => {
            let mut new = NewGrant::new(&user.id, &client.id);
            new.id = Some(ids::okta_id("oag"));
            new.grant_type = GrantType::AuthorizationCode;
            new.source = GrantSource::EndUser;
            new.issuer = approval.issuer.to_owned();
            new.scopes = ScopeSet::from_names(approval.consented.iter().cloned());
            new.created_by = Some(Actor {
                id: user.id.clone(),
                kind: "User".into(),
            });
            let built = grant_service::build(tenant, new);
            grants::insert_grants(conn, std::slice::from_ref(&built))?;
            built
        }
    };
    audit_store::insert_audit(
        conn,
        &[audit::record(
            tenant,
            &user.id,
            AuditAction::GrantConsented,
            "grant",
            &grant.id,
            serde_json::json!({
                "user_id": user.id,
                "client_id": client.id,
                "scopes": approval.consented,
            }),
        )],
    )?;
    Ok(grant)
}

// ---------------------------------------------------------------------------------------
// Client authentication at the token, introspection and revocation endpoints

/// How the client presented itself, as the face read the request.
#[derive(Debug, Clone)]
pub struct PresentedClient {
    pub auth: ClientAuth,
    /// The method the request used: Basic header, form fields, or `client_id` alone.
    pub method: TokenAuthMethod,
}

/// Authenticates a client at a token-type endpoint: an enabled client of the tenant,
/// presenting itself the way it is registered to (public clients: no secret; confidential
/// ones: a usable secret made for `face`, checked off the async workers). Refusals:
/// `ClientAuthenticationFailed` (unknown, disabled, wrong secret or method) or
/// `NoClientCredentials` (a confidential client without its secret).
pub async fn authenticate_client(
    store_: &Store,
    verifier: &PasswordVerifier,
    tenant: &TenantId,
    face: &Face<'_>,
    presented: PresentedClient,
    source: &str,
) -> Result<Client> {
    let lookup = {
        let tenant = tenant.to_string();
        let client_id = presented.auth.client_id.clone();
        store_
            .with_conn(move |conn| {
                let client = clients::find_client(conn, &tenant, &client_id)?.filter(|c| c.enabled);
                let secrets = match &client {
                    Some(c) if !c.is_public() => {
                        let at = now();
                        credentials::find_by_client(conn, CredentialKind::ClientSecret, &client_id)?
                            .into_iter()
                            .filter(|(c, _)| c.tenant_id == tenant && c.is_usable_at(at))
                            .collect()
                    }
                    _ => Vec::new(),
                };
                Ok((client, secrets))
            })
            .await?
    };
    let (client, secrets): (
        Option<Client>,
        Vec<(crate::model::Credential, Option<String>)>,
    ) = lookup;
    let secrets: Vec<String> = secrets
        .into_iter()
        .filter(|(c, _)| c.is_made_for(face))
        .filter_map(|(_, hash)| hash)
        .collect();
    let Some(client) = client else {
        if let Some(secret) = presented.auth.secret {
            verifier
                .verify_decoy(SecretString::from(secret), source)
                .await?;
        }
        return Err(refused(Refusal::ClientAuthenticationFailed));
    };
    match (client.token_endpoint_auth_method, presented.auth.secret) {
        (TokenAuthMethod::None, None) => Ok(client),
        (TokenAuthMethod::None, Some(_)) => Err(refused(Refusal::ClientAuthenticationFailed)),
        (_, None) => Err(refused(Refusal::NoClientCredentials)),
        (registered, Some(secret)) => {
            let mut ok = false;
            for hash in secrets {
                if verifier
                    .verify_from(hash, SecretString::from(secret.clone()), source)
                    .await?
                {
                    ok = true;
                    break;
                }
            }
            if ok && registered == presented.method {
                Ok(client)
            } else {
                Err(refused(Refusal::ClientAuthenticationFailed))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Token requests

/// What a successful code exchange or refresh issued: what the face needs to shape the
/// tokens, and the new refresh token (shown once).
#[derive(Debug, Clone)]
pub struct Issued {
    pub issuance: Issuance,
    pub refresh_token: Option<String>,
}

/// The `jti` of an access token of a family: `AT.` + family id + a random tail, so
/// introspection finds the family without a table of access tokens.
pub fn access_token_id(family_id: &str) -> String {
    format!("AT.{family_id}{}", ids::random_alnum(12))
}

/// The family an access token's `jti` names.
pub fn family_of(jti: &str) -> Option<&str> {
    let rest = jti.strip_prefix("AT.")?;
    (rest.len() == FAMILY_ID_LEN + 12).then(|| &rest[..FAMILY_ID_LEN])
}

const FAMILY_ID_LEN: usize = 20;

enum Exchange {
    Issued(Box<Issued>),
    /// The code or refresh token was replayed: what it issued was revoked (committed).
    Replayed,
}

fn pkce_matches(method: Option<&str>, challenge: &str, verifier: &str) -> bool {
    use base64::Engine as _;
    let computed = match method {
        Some("S256") => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes())),
        _ => verifier.to_owned(),
    };
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

use sha2::Digest as _;

/// Redeems an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6) for `client` at
/// `server`: single use (a second use revokes what the first issued), unexpired, issued to
/// this client for this redirect URI, the PKCE verifier matching. Starts a token family;
/// a refresh token when `offline_access` was granted. One transaction, audited.
#[allow(clippy::too_many_arguments)]
pub fn exchange_code(
    conn: &mut DbConn,
    server: &AuthorizationServer,
    tenant: &TenantId,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    policy: RequestPolicy,
) -> Result<Issued> {
    let at = now();
    let d = digest(code);
    let outcome = dialect::write_tx(conn, |conn| {
        let row = store::find_code(conn, &d)?
            .filter(|r| r.tenant_id == tenant && r.server_id == server.id)
            .ok_or(refused(Refusal::InvalidCode))?;
        if row.client_id != client.id {
            return Err(refused(Refusal::CodeOfAnotherClient));
        }
        if row.used_at.is_some() {
            if let Some(family) = row.family_id.as_deref().filter(|_| policy.revoke_on_replay) {
                revoke_replayed(conn, tenant, family, "authorization_code", at)?;
            }
            return Ok(Exchange::Replayed);
        }
        if utc(row.expires_at) <= at {
            return Err(refused(Refusal::InvalidCode));
        }
        if redirect_uri != Some(row.redirect_uri.as_str()) {
            return Err(refused(Refusal::RedirectUriMismatch));
        }
        if let Some(challenge) = &row.code_challenge {
            let verifier = code_verifier.ok_or(refused(Refusal::PkceVerifierMissing))?;
            if !pkce_value_ok(verifier)
                || !pkce_matches(row.code_challenge_method.as_deref(), challenge, verifier)
            {
                return Err(refused(Refusal::PkceVerificationFailed));
            }
        }
        let user = users::find_user(conn, tenant, UserKey::Id, &row.user_id)?
            .ok_or(refused(Refusal::InvalidCode))?;
        if let Some(grant_id) = &row.grant_id {
            let live =
                grants::find_grant(conn, tenant, grant_id)?.is_some_and(|g| g.is_active_at(at));
            if !live {
                return Err(refused(Refusal::InvalidCode));
            }
        }
        let family_id = ids::random_alnum(FAMILY_ID_LEN);
        if store::use_code(conn, &d, &family_id, at)? != 1 {
            return Ok(Exchange::Replayed);
        }
        let scopes = scopes_of(&row.scopes);
        let refresh = issues_refresh_tokens(client, &scopes, policy);
        let grant_id = match policy.recording {
            GrantRecording::PerArtifact => {
                // The code's persisted grant is consumed; a refresh token is one of its own.
                if let Some(code_grant) = &row.grant_id {
                    grants::set_revoked(
                        conn,
                        tenant,
                        std::slice::from_ref(code_grant),
                        "token endpoint",
                        at,
                    )?;
                }
                if refresh {
                    let expires = (client.refresh_token_lifetime > 0)
                        .then(|| at + Duration::seconds(i64::from(client.refresh_token_lifetime)));
                    let issuer =
                        grants::find_grant(conn, tenant, row.grant_id.as_deref().unwrap_or(""))?
                            .map(|g| g.issuer)
                            .unwrap_or_default();
                    Some(
                        record_artifact(
                            conn,
                            tenant,
                            &issuer,
                            &user,
                            client,
                            GrantType::RefreshToken,
                            &scopes,
                            expires,
                            at,
                        )?
                        .id,
                    )
                } else {
                    None
                }
            }
            _ => row.grant_id,
        };
        let issued = start_family(
            conn,
            server,
            tenant,
            client,
            user,
            &scopes,
            grant_id,
            FamilyStart {
                auth_time: utc(row.auth_time),
                nonce: row.nonce,
                refresh,
            },
            family_id,
            at,
        )?;
        Ok(Exchange::Issued(Box::new(issued)))
    })?;
    match outcome {
        Exchange::Issued(issued) => Ok(*issued),
        Exchange::Replayed => Err(refused(Refusal::InvalidCode)),
    }
}

/// What a family starts with besides its client, user and scopes.
struct FamilyStart {
    auth_time: DateTime<Utc>,
    nonce: Option<String>,
    /// Whether it holds a refresh token.
    refresh: bool,
}

#[allow(clippy::too_many_arguments)]
fn start_family(
    conn: &mut DbConn,
    server: &AuthorizationServer,
    tenant: &TenantId,
    client: &Client,
    user: User,
    scopes: &[String],
    grant_id: Option<String>,
    start: FamilyStart,
    family_id: String,
    at: DateTime<Utc>,
) -> Result<Issued> {
    let FamilyStart {
        auth_time,
        nonce,
        refresh,
    } = start;
    let expires_at = (client.refresh_token_lifetime > 0)
        .then(|| at + Duration::seconds(i64::from(client.refresh_token_lifetime)));
    store::insert_family(
        conn,
        &FamilyRow {
            id: family_id.clone(),
            tenant_id: tenant.to_string(),
            server_id: server.id.clone(),
            client_id: client.id.clone(),
            user_id: user.id.clone(),
            grant_id: grant_id.clone(),
            scopes: scopes_text(scopes),
            auth_time: naive(auth_time),
            created_at: naive(at),
            expires_at: expires_at.map(naive),
            revoked_at: None,
        },
    )?;
    let refresh_token = if refresh {
        Some(new_refresh_token(conn, &family_id, at)?)
    } else {
        None
    };
    audit_store::insert_audit(
        conn,
        &[audit::record(
            tenant,
            &client.id,
            AuditAction::TokenIssued,
            "token_family",
            &family_id,
            serde_json::json!({
                "user_id": user.id,
                "client_id": client.id,
                "server": server.id,
                "grant_id": grant_id,
                "scopes": scopes,
                "refresh_token": refresh_token.is_some(),
            }),
        )],
    )?;
    Ok(Issued {
        issuance: Issuance {
            family_id,
            server: server.clone(),
            client: client.clone(),
            user,
            grant_id,
            scopes: scopes.to_vec(),
            auth_time,
            nonce,
            issued_at: at,
            access_expires_at: at + Duration::seconds(i64::from(client.access_token_lifetime)),
        },
        refresh_token,
    })
}

fn new_refresh_token(conn: &mut DbConn, family_id: &str, at: DateTime<Utc>) -> Result<String> {
    let token = ids::random_alnum(43);
    store::insert_refresh(
        conn,
        &RefreshRow {
            digest: digest(&token),
            family_id: family_id.to_owned(),
            created_at: naive(at),
            rotated_at: None,
        },
    )?;
    Ok(token)
}

fn revoke_replayed(
    conn: &mut DbConn,
    tenant: &TenantId,
    family_id: &str,
    what: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let n = store::revoke_families(conn, &[family_id.to_owned()], at)?;
    audit_store::insert_audit(
        conn,
        &[audit::record(
            tenant,
            "token endpoint",
            AuditAction::TokenReuseDetected,
            "token_family",
            family_id,
            serde_json::json!({"replayed": what, "revoked": n}),
        )],
    )?;
    Ok(())
}

/// A refresh (RFC 6749 §6): the token belongs to this client at this server, its family is
/// live (not revoked, not expired), the scopes asked for are within the family's. Rotation:
/// each use returns a new refresh token; the used one stays good for
/// [`REFRESH_LEEWAY_SECS`], and a use after that is a replay that revokes the family. One
/// transaction, audited.
#[allow(clippy::too_many_arguments)]
pub fn refresh(
    conn: &mut DbConn,
    server: &AuthorizationServer,
    tenant: &TenantId,
    client: &Client,
    token: &str,
    scopes: Option<Vec<String>>,
    policy: RequestPolicy,
) -> Result<Issued> {
    let at = now();
    let d = digest(token);
    let outcome = dialect::write_tx(conn, |conn| {
        let (rt, family) = store::find_refresh(conn, &d)?
            .filter(|(_, f)| {
                f.tenant_id == tenant && f.server_id == server.id && f.client_id == client.id
            })
            .ok_or(refused(Refusal::InvalidRefreshToken))?;
        if family.revoked_at.is_some() || family.expires_at.is_some_and(|e| utc(e) <= at) {
            return Err(refused(Refusal::InvalidRefreshToken));
        }
        if let Some(rotated) = rt.rotated_at
            && at - utc(rotated) > Duration::seconds(policy.refresh_leeway_secs)
        {
            if policy.revoke_on_replay {
                revoke_replayed(conn, tenant, &family.id, "refresh_token", at)?;
            }
            return Ok(Exchange::Replayed);
        }
        let granted = scopes_of(&family.scopes);
        let scopes = match scopes {
            Some(asked) => {
                let denied: Vec<String> = asked
                    .iter()
                    .filter(|s| !granted.contains(s))
                    .cloned()
                    .collect();
                if !denied.is_empty() {
                    return Err(refused(Refusal::ScopesNotGranted(denied)));
                }
                asked
            }
            None => granted,
        };
        let user = users::find_user(conn, tenant, UserKey::Id, &family.user_id)?
            .ok_or(refused(Refusal::InvalidRefreshToken))?;
        let refresh_token = if policy.rotate_refresh_tokens {
            store::rotate_refresh(conn, &d, at)?;
            new_refresh_token(conn, &family.id, at)?
        } else {
            token.to_owned()
        };
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                &client.id,
                AuditAction::TokenRefreshed,
                "token_family",
                &family.id,
                serde_json::json!({"user_id": user.id, "client_id": client.id}),
            )],
        )?;
        Ok(Exchange::Issued(Box::new(Issued {
            issuance: Issuance {
                family_id: family.id,
                server: server.clone(),
                client: client.clone(),
                user,
                grant_id: family.grant_id,
                scopes,
                auth_time: utc(family.auth_time),
                nonce: None,
                issued_at: at,
                access_expires_at: at + Duration::seconds(i64::from(client.access_token_lifetime)),
            },
            refresh_token: Some(refresh_token),
        })))
    })?;
    match outcome {
        Exchange::Issued(issued) => Ok(*issued),
        Exchange::Replayed => Err(refused(Refusal::InvalidRefreshToken)),
    }
}

// ---------------------------------------------------------------------------------------
// Introspection, userinfo and revocation

/// The user of a live access token: its family (named by `jti`) is of this tenant and
/// server, not revoked, and the token itself was not revoked. The face has verified the
/// signature and the expiry.
pub fn access_token_user(
    conn: &mut DbConn,
    tenant: &TenantId,
    server: &str,
    jti: &str,
) -> Result<Option<User>> {
    let Some(family_id) = family_of(jti) else {
        return Ok(None);
    };
    let Some(family) = store::find_family(conn, tenant, family_id)? else {
        return Ok(None);
    };
    if family.server_id != server
        || family.revoked_at.is_some()
        || store::access_token_revoked(conn, jti)?
    {
        return Ok(None);
    }
    users::find_user(conn, tenant, UserKey::Id, &family.user_id)
}

/// A live refresh token of this server (RFC 7662 for refresh tokens): its client, user,
/// scopes and expiry.
#[derive(Debug, Clone)]
pub struct LiveRefreshToken {
    pub client_id: String,
    pub user: User,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn refresh_token_info(
    conn: &mut DbConn,
    tenant: &TenantId,
    server: &str,
    token: &str,
    leeway_secs: i64,
) -> Result<Option<LiveRefreshToken>> {
    let at = now();
    let Some((rt, family)) = store::find_refresh(conn, &digest(token))? else {
        return Ok(None);
    };
    let stale = rt
        .rotated_at
        .is_some_and(|r| at - utc(r) > Duration::seconds(leeway_secs));
    if family.tenant_id != tenant
        || family.server_id != server
        || family.revoked_at.is_some()
        || family.expires_at.is_some_and(|e| utc(e) <= at)
        || stale
    {
        return Ok(None);
    }
    let Some(user) = users::find_user(conn, tenant, UserKey::Id, &family.user_id)? else {
        return Ok(None);
    };
    Ok(Some(LiveRefreshToken {
        client_id: family.client_id,
        scopes: scopes_of(&family.scopes),
        expires_at: family.expires_at.map(utc),
        user,
    }))
}

/// Revokes a refresh token of `client` (its whole family: the access tokens issued with it
/// stop too). Unknown tokens and other clients' tokens are ignored (RFC 7009 §2.2).
pub fn revoke_refresh_token(
    conn: &mut DbConn,
    tenant: &TenantId,
    client: &Client,
    token: &str,
) -> Result<bool> {
    let at = now();
    dialect::write_tx(conn, |conn| {
        let Some((_, family)) = store::find_refresh(conn, &digest(token))? else {
            return Ok(false);
        };
        if family.tenant_id != tenant || family.client_id != client.id {
            return Ok(false);
        }
        let n = store::revoke_families(conn, std::slice::from_ref(&family.id), at)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                &client.id,
                AuditAction::TokenRevoked,
                "token_family",
                &family.id,
                serde_json::json!({"token": "refresh_token", "revoked": n}),
            )],
        )?;
        Ok(true)
    })
}

/// RFC 7009 for `client` at `server`: an access token of this server (its signature and
/// expiry checked; `client_claim` names the claim holding its client) is revoked alone; any
/// other token is taken for a refresh token and revoked with its family. Tokens of other
/// clients and unknown tokens are ignored.
#[allow(clippy::too_many_arguments)]
pub fn revoke_token(
    conn: &mut DbConn,
    signer: &crate::service::signing::Signer,
    tenant: &TenantId,
    server: &str,
    client: &Client,
    token: &str,
    client_claim: &str,
) -> Result<()> {
    use serde_json::Value;
    if let Some(claims) = signer.verify_access_token(conn, tenant, server, token)? {
        let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("");
        let cid = claims
            .get(client_claim)
            .and_then(Value::as_str)
            .unwrap_or("");
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|e| DateTime::from_timestamp(e, 0))
            .unwrap_or_else(Utc::now);
        revoke_access_token(conn, tenant, client, cid, jti, exp)?;
    } else {
        revoke_refresh_token(conn, tenant, client, token)?;
    }
    Ok(())
}

/// Revokes one access token of `client` by its `jti` until it expires (the refresh token
/// stays good, as at Okta).
pub fn revoke_access_token(
    conn: &mut DbConn,
    tenant: &TenantId,
    client: &Client,
    client_of_token: &str,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool> {
    if client_of_token != client.id || family_of(jti).is_none() {
        return Ok(false);
    }
    dialect::write_tx(conn, |conn| {
        store::revoke_access_token(conn, tenant, jti, expires_at)?;
        audit_store::insert_audit(
            conn,
            &[audit::record(
                tenant,
                &client.id,
                AuditAction::TokenRevoked,
                "access_token",
                jti,
                serde_json::json!({"token": "access_token"}),
            )],
        )?;
        Ok(true)
    })
}

/// Whether a post-logout redirect URI is registered for the client (exact match).
pub fn post_logout_uri_registered(
    conn: &mut DbConn,
    tenant: &TenantId,
    client_id: &ClientId,
    uri: &str,
) -> Result<bool> {
    Ok(clients::find_client(conn, tenant, client_id)?
        .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|u| u == uri)))
}

/// Whether `origin` is a trusted origin of the tenant (every tenant when `None`): some
/// client lists it among its allowed CORS origins.
pub fn origin_trusted(conn: &mut DbConn, tenant: Option<&TenantId>, origin: &str) -> Result<bool> {
    Ok(clients::list_clients(conn, tenant.map(TenantId::as_str))?
        .iter()
        .any(|c| {
            c.allowed_cors_origins
                .iter()
                .any(|o| o.trim_end_matches('/') == origin)
        }))
}
