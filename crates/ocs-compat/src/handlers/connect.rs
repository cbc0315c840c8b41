//! IdentityServer's protocol endpoints under `/identity`, over grant-core's authorization
//! engine: `connect/authorize` (with the sign-in page `account/login` and the consent
//! page), `connect/token` for `authorization_code` and `refresh_token`,
//! `connect/revocation`, `connect/introspect`, `connect/userinfo`, `connect/endsession`.
//!
//! The tenant is the client's (client ids are unique; `acr_values=tenant:{id}` must name
//! it). Every authorization code and every refresh token is a persisted grant of the user
//! for the client, which PersistedGrants lists, counts and removes. Errors are
//! IdentityServer's: at `/authorize` only `access_denied`, `login_required` and
//! `consent_required` go back to the client, everything else is an error page; at the
//! token endpoints always 400 `{"error": …}`.

// Helpers here return `Err(HttpResponse)`: the response to send, once per request.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::CoreError;
use grant_core::model::{
    AuthorizationServer, CheckedRequest, Client, ClientKind, Face, GrantRecording, Issuance,
    Refusal, RequestPolicy, SessionKind, SignedIn,
};
use grant_core::service::authorization::{self, Approval, Issued};
use grant_core::service::signing;
use grant_http::oauth::{
    Outcome, Params, ResponseMode, allow_origin, bearer_token, csrf_ok, csrf_token, deliver, html,
    presented_client, redirect, session_cookie, trusted_origin,
};
use grant_http::{base_url, client_ip, vendor_rendered};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::State;
use grant_core::model::TenantId;
use grant_core::model::TenantIdBuf;
use grant_core::model::{ClientId, UserId};

/// The engine's server id of OCS's identity server.
pub const SERVER: &str = "ocs";
const SESSION_COOKIE: &str = "idsrv.session";
const CSRF_COOKIE: &str = "idsrv.csrf";
const MODES: &[ResponseMode] = &[
    ResponseMode::Query,
    ResponseMode::Fragment,
    ResponseMode::FormPost,
];
/// IdentityServer's default identity-token lifetime.
const ID_TOKEN_LIFETIME_SECS: i64 = 300;

/// IdentityServer's rules: PKCE S256 (plain refused), `state` optional, consent per client,
/// a persisted grant per code and per refresh token, refresh tokens with `offline_access`,
/// one-time refresh tokens (a used one is refused at once), codes of 300 s.
fn policy() -> RequestPolicy {
    RequestPolicy {
        state_required: false,
        allow_plain_pkce: false,
        consent_possible: true,
        recording: GrantRecording::PerArtifact,
        refresh_needs_offline_access: true,
        rotate_refresh_tokens: true,
        refresh_leeway_secs: 0,
        code_lifetime_secs: 300,
        revoke_on_replay: false,
    }
}

fn server() -> AuthorizationServer {
    AuthorizationServer {
        id: SERVER.into(),
        name: "Identity".into(),
        audience: String::new(),
        created_at: chrono::DateTime::UNIX_EPOCH,
    }
}

/// The authority: `{base}/identity`.
pub fn authority(req: &HttpRequest, state: &State) -> String {
    format!("{}/identity", base_url(req, &state.config.server))
}

async fn engine<T, F>(state: &State, f: F) -> Result<T, Outcome>
where
    F: FnOnce(&mut grant_core::DbConn) -> grant_core::Result<T> + Send + 'static,
    T: Send + 'static,
{
    grant_http::oauth::engine(&state.store, f).await
}

/// IdentityServer's token-endpoint error: always 400, `{"error": …}`.
fn token_error(error: &str) -> HttpResponse {
    vendor_rendered(
        HttpResponse::BadRequest()
            .insert_header((header::CACHE_CONTROL, "no-store, no-cache, max-age=0"))
            .insert_header((header::PRAGMA, "no-cache"))
            .content_type("application/json; charset=UTF-8")
            .body(json!({ "error": error }).to_string()),
    )
}

fn refusal_error(r: &Refusal) -> &'static str {
    match r {
        Refusal::NoClientCredentials
        | Refusal::ClientAuthenticationFailed
        | Refusal::MultipleClientCredentials => "invalid_client",
        Refusal::RedirectUriMismatch => "invalid_grant",
        Refusal::ScopesNotGranted(_) => "invalid_scope",
        Refusal::PkceVerifierMissing => "invalid_grant",
        other => other.error_code(),
    }
}

fn outcome_response(o: Outcome) -> HttpResponse {
    match o {
        Outcome::Refused(r) => token_error(refusal_error(&r)),
        Outcome::Failed(e) => actix_web::ResponseError::error_response(&e),
    }
}

fn error_page(error: &str) -> HttpResponse {
    html(StatusCode::BAD_REQUEST, pages::error(error))
}

// ---------------------------------------------------------------------------------------
// Authorization

struct Checked {
    tenant: TenantIdBuf,
    mode: ResponseMode,
    checked: CheckedRequest,
    prompt_none: bool,
    prompt_login: bool,
    prompt_consent: bool,
}

fn deliver_to_client(c: &Checked, params: Vec<(&str, String)>) -> HttpResponse {
    deliver(c.mode, &c.checked.request.redirect_uri, &params)
}

/// Only these refusals go back to the client (IdentityServer's `AuthorizeResult`).
fn deliver_refusal(c: &Checked, r: &Refusal) -> HttpResponse {
    let mut params = vec![("error", r.error_code().to_owned())];
    if let Some(s) = &c.checked.request.state {
        params.push(("state", s.clone()));
    }
    deliver_to_client(c, params)
}

/// Parses and checks an authorization request; an `Err` is the response (an error page:
/// IdentityServer redirects no other error).
async fn check(state: &State, raw: &str) -> Result<Checked, HttpResponse> {
    let params = Params::parse(raw).ok_or_else(|| error_page("invalid_request"))?;
    let request = grant_http::oauth::authorization_request(&params);
    let client_id = crate::json::normalize_id(&request.client_id);
    let lookup = client_id.clone();
    let tenant = engine(state, move |conn| {
        authorization::client_tenant(conn, ClientId::new(&lookup))
    })
    .await
    .map_err(|_| error_page("server_error"))?
    .ok_or_else(|| error_page("unauthorized_client"))?;
    if let Some(hint) = params
        .get("acr_values")
        .unwrap_or("")
        .split(' ')
        .find_map(|v| v.strip_prefix("tenant:"))
        && crate::json::normalize_id(hint) != tenant
    {
        return Err(error_page("invalid_request"));
    }
    let mode = ResponseMode::parse(params.get("response_mode"), MODES)
        .ok_or_else(|| error_page("invalid_request"))?;
    let t = tenant.clone();
    let mut request = request;
    request.client_id = client_id;
    let checked = engine(state, move |conn| {
        authorization::check_request(conn, &t, request, policy())
    })
    .await
    .map_err(|o| match o {
        Outcome::Refused(Refusal::UnknownClient) => error_page("unauthorized_client"),
        Outcome::Refused(r) => error_page(r.error_code()),
        Outcome::Failed(e) => actix_web::ResponseError::error_response(&e),
    })?;
    // An Authorization Code client gets refresh tokens only with AllowOfflineAccess
    // (IdentityServer refuses the scope otherwise); hybrid clients with the scope alone.
    let client = &checked.client;
    if client.kind == ClientKind::AuthorizationCode
        && !client.allow_offline_access
        && checked
            .request
            .scopes
            .iter()
            .any(|s| s == authorization::OFFLINE_ACCESS)
    {
        return Err(error_page("invalid_scope"));
    }
    let prompt = params.get("prompt").unwrap_or("");
    let has = |p: &str| prompt.split(' ').any(|x| x == p);
    Ok(Checked {
        tenant,
        mode,
        checked,
        prompt_none: has("none"),
        prompt_login: has("login"),
        prompt_consent: has("consent"),
    })
}

async fn session_user(
    req: &HttpRequest,
    state: &State,
    tenant: &TenantId,
) -> Result<Option<SignedIn>, HttpResponse> {
    let Some(sid) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let tenant = tenant.to_buf();
    engine(state, move |conn| {
        authorization::session_user(conn, &tenant, &sid)
    })
    .await
    .map_err(|o| match o {
        Outcome::Failed(e) => actix_web::ResponseError::error_response(&e),
        Outcome::Refused(r) => error_page(r.error_code()),
    })
}

fn authorize_path(raw: &str) -> String {
    format!("/identity/connect/authorize?{raw}")
}

/// `GET|POST /identity/connect/authorize` (POST: form parameters, none in the query).
pub async fn authorize(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let raw = grant_http::oauth::authorize_params_text(&req, &body);
    let c = match check(&state, &raw).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let user = match session_user(&req, &state, &c.tenant).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    match user {
        Some(user) if !c.prompt_login => proceed(&req, &state, &c, &raw, &user).await,
        _ if c.prompt_none => deliver_refusal(&c, &Refusal::LoginRequired),
        _ => {
            let back = serde_urlencoded::to_string([("returnUrl", authorize_path(&raw))])
                .unwrap_or_default();
            redirect(&format!("/identity/account/login?{back}"))
        }
    }
}

async fn needed_consent(
    state: &State,
    c: &Checked,
    user: &SignedIn,
) -> Result<Vec<String>, Outcome> {
    let (tenant, checked, user_id, issuer_key, ask) = (
        c.tenant.clone(),
        c.checked.clone(),
        user.user.id.clone(),
        // Consent grants are the persisted grants themselves: asked once per sign-in.
        String::new(),
        c.prompt_consent,
    );
    engine(state, move |conn| {
        authorization::scopes_needing_consent(
            conn,
            &tenant,
            &checked,
            UserId::new(&user_id),
            &issuer_key,
            policy(),
            ask,
        )
    })
    .await
}

async fn proceed(
    req: &HttpRequest,
    state: &State,
    c: &Checked,
    raw: &str,
    user: &SignedIn,
) -> HttpResponse {
    let needed = match needed_consent(state, c, user).await {
        Ok(n) => n,
        Err(o) => return outcome_response(o),
    };
    if needed.is_empty() {
        return issue_code(req, state, c, user).await;
    }
    if c.prompt_none {
        return deliver_refusal(c, &Refusal::ConsentRequired(needed));
    }
    let (csrf, new) = csrf_token(req, CSRF_COOKIE);
    let client = &c.checked.client;
    let name = if client.name.is_empty() {
        &client.id
    } else {
        &client.name
    };
    let mut res = html(StatusCode::OK, pages::consent(raw, &csrf, name, &needed));
    if new {
        let _ = res.add_cookie(&session_cookie(
            req,
            &state.config.server,
            CSRF_COOKIE,
            csrf,
        ));
    }
    res
}

async fn issue_code(
    req: &HttpRequest,
    state: &State,
    c: &Checked,
    user: &SignedIn,
) -> HttpResponse {
    let (tenant, checked, issuer, signed_in) = (
        c.tenant.clone(),
        c.checked.clone(),
        authority(req, state),
        user.clone(),
    );
    let code = engine(state, move |conn| {
        authorization::approve(
            conn,
            &tenant,
            &Approval {
                checked: &checked,
                server_id: SERVER,
                issuer: &issuer,
                signed_in: &signed_in,
                consented: Vec::new(),
                policy: policy(),
                attributes: Vec::new(),
            },
        )
    })
    .await;
    match code {
        Ok(code) => {
            let mut params = vec![("code", code)];
            if let Some(s) = &c.checked.request.state {
                params.push(("state", s.clone()));
            }
            params.push(("session_state", grant_core::service::ids::random_alnum(43)));
            deliver_to_client(c, params)
        }
        Err(o) => outcome_response(o),
    }
}

/// `POST /identity/consent`: the consent page's answer.
pub async fn consent(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let form = Params::of_body(&body).unwrap_or_default();
    if !csrf_ok(&req, CSRF_COOKIE, &form, "csrf_token") {
        return html(StatusCode::FORBIDDEN, pages::error("invalid_request"));
    }
    let raw = form.get("request").unwrap_or("").to_owned();
    let c = match check(&state, &raw).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let user = match session_user(&req, &state, &c.tenant).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            let back = serde_urlencoded::to_string([("returnUrl", authorize_path(&raw))])
                .unwrap_or_default();
            return redirect(&format!("/identity/account/login?{back}"));
        }
        Err(res) => return res,
    };
    if form.get("decision") != Some("allow") {
        return deliver_refusal(&c, &Refusal::AccessDenied);
    }
    issue_code(&req, &state, &c, &user).await
}

/// Where sign-in may return: the authorize endpoint of this identity server only.
fn safe_return_url(url: &str) -> Option<&str> {
    url.to_ascii_lowercase()
        .starts_with("/identity/connect/authorize")
        .then_some(url)
}

/// The tenant of the client an authorize URL names.
async fn tenant_of_return_url(state: &State, url: &str) -> Option<TenantIdBuf> {
    let query = url.split_once('?')?.1;
    let client = crate::json::normalize_id(Params::parse(query)?.get("client_id")?);
    engine(state, move |conn| {
        authorization::client_tenant(conn, ClientId::new(&client))
    })
    .await
    .ok()
    .flatten()
}

/// `GET /identity/account/login?returnUrl=…`: the sign-in page.
pub async fn login_page(req: HttpRequest, state: State) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let back = params
        .get("returnUrl")
        .and_then(safe_return_url)
        .unwrap_or("");
    let (csrf, new) = csrf_token(&req, CSRF_COOKIE);
    let mut res = html(StatusCode::OK, pages::login(back, &csrf, false, ""));
    if new {
        let _ = res.add_cookie(&session_cookie(
            &req,
            &state.config.server,
            CSRF_COOKIE,
            csrf,
        ));
    }
    res
}

/// `POST /identity/account/login`: checks the password of the tenant's user (the tenant
/// of the client being authorized), starts the session and returns to `returnUrl`.
pub async fn login_submit(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let form = Params::of_body(&body).unwrap_or_default();
    let back = form
        .get("returnUrl")
        .and_then(safe_return_url)
        .unwrap_or("")
        .to_owned();
    let email = form.get("email").unwrap_or("").to_owned();
    if !csrf_ok(&req, CSRF_COOKIE, &form, "csrf_token") {
        return html(StatusCode::FORBIDDEN, pages::error("invalid_request"));
    }
    let Some(tenant) = tenant_of_return_url(&state, &back).await else {
        return error_page("invalid_request");
    };
    let password = SecretString::from(form.get("password").unwrap_or("").to_owned());
    let source = client_ip(&req, &state.config.server);
    let signed = authorization::sign_in_with_password(
        &state.store,
        &state.passwords,
        TenantId::new(&tenant),
        &Face::Ocs,
        &email,
        password,
        &source,
        SessionKind::Cookie,
    )
    .await;
    match signed {
        Ok((_, sid, _)) => {
            let mut res = redirect(&back);
            let _ = res.add_cookie(&session_cookie(
                &req,
                &state.config.server,
                SESSION_COOKIE,
                sid,
            ));
            res
        }
        Err(CoreError::Unauthenticated) => {
            let (csrf, _) = csrf_token(&req, CSRF_COOKIE);
            html(StatusCode::OK, pages::login(&back, &csrf, true, &email))
        }
        Err(e) => outcome_response(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Tokens

/// IdentityServer's token response, members in its order.
#[derive(Serialize)]
struct TokenResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    access_token: String,
    expires_in: i64,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
}

fn access_claims(i: &Issuance, issuer: &str, tenant: &TenantId, jti: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("iss".into(), json!(issuer));
    m.insert("nbf".into(), json!(i.issued_at.timestamp()));
    m.insert("iat".into(), json!(i.issued_at.timestamp()));
    m.insert("exp".into(), json!(i.access_expires_at.timestamp()));
    m.insert("aud".into(), json!(format!("{issuer}/resources")));
    m.insert("scope".into(), json!(i.scopes));
    m.insert("amr".into(), json!(["pwd"]));
    m.insert("client_id".into(), json!(i.client.id));
    m.insert("sub".into(), json!(i.user.id));
    m.insert("auth_time".into(), json!(i.auth_time.timestamp()));
    m.insert("idp".into(), json!("local"));
    m.insert("tid".into(), json!(tenant));
    m.insert("jti".into(), json!(jti));
    m
}

fn id_claims(
    i: &Issuance,
    issuer: &str,
    tenant: &TenantId,
    access_token: &str,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("iss".into(), json!(issuer));
    m.insert("nbf".into(), json!(i.issued_at.timestamp()));
    m.insert("iat".into(), json!(i.issued_at.timestamp()));
    m.insert(
        "exp".into(),
        json!(i.issued_at.timestamp() + ID_TOKEN_LIFETIME_SECS),
    );
    m.insert("aud".into(), json!(i.client.id));
    m.insert("amr".into(), json!(["pwd"]));
    if let Some(n) = &i.nonce {
        m.insert("nonce".into(), json!(n));
    }
    m.insert("at_hash".into(), json!(signing::half_hash(access_token)));
    m.insert("sub".into(), json!(i.user.id));
    m.insert("auth_time".into(), json!(i.auth_time.timestamp()));
    m.insert("idp".into(), json!("local"));
    m.insert("tid".into(), json!(tenant));
    m
}

fn sign_tokens(
    state: &State,
    conn: &mut grant_core::DbConn,
    tenant: &TenantId,
    issued: Issued,
    issuer: &str,
) -> grant_core::Result<TokenResponse> {
    let i = &issued.issuance;
    let signer = &state.vendor.signer;
    let jti = authorization::access_token_id(&i.family_id);
    let access_token = signer.sign_typed(
        conn,
        tenant,
        SERVER,
        Some("at+jwt"),
        &access_claims(i, issuer, tenant, &jti),
    )?;
    let id_token = if i.scopes.iter().any(|s| s == "openid") {
        Some(signer.sign(
            conn,
            tenant,
            SERVER,
            &id_claims(i, issuer, tenant, &access_token),
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        id_token,
        access_token,
        expires_in: (i.access_expires_at - i.issued_at).num_seconds(),
        token_type: "Bearer",
        refresh_token: issued.refresh_token,
        scope: i.scopes.join(" "),
    })
}

/// A token-type call with its client authenticated (and the tenant that holds it).
struct TokenCall {
    tenant: TenantIdBuf,
    client: Client,
    params: Params,
}

async fn token_call(
    req: &HttpRequest,
    params: Params,
    state: &State,
) -> Result<TokenCall, HttpResponse> {
    let mut presented =
        presented_client(req, &params).map_err(|r| token_error(refusal_error(&r)))?;
    presented.auth.client_id = crate::json::normalize_id(&presented.auth.client_id);
    let lookup = presented.auth.client_id.clone();
    let tenant = engine(state, move |conn| {
        authorization::client_tenant(conn, ClientId::new(&lookup))
    })
    .await
    .map_err(outcome_response)?
    .ok_or_else(|| token_error("invalid_client"))?;
    let source = client_ip(req, &state.config.server);
    let client = authorization::authenticate_client(
        &state.store,
        &state.passwords,
        &tenant,
        &Face::Ocs,
        presented,
        &source,
    )
    .await
    .map_err(|e| outcome_response(e.into()))?;
    Ok(TokenCall {
        tenant,
        client,
        params,
    })
}

fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, HttpResponse> {
    grant_http::oauth::form(req, body).map_err(|_| token_error("invalid_request"))
}

/// `connect/token` for `authorization_code` and `refresh_token` (the client-credentials
/// grant is `token::token`'s).
pub async fn token(req: HttpRequest, params: Params, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state.store, None).await;
    let mut res = token_inner(&req, params, &state).await;
    allow_origin(&mut res, origin.as_deref(), false);
    res
}

async fn token_inner(req: &HttpRequest, params: Params, state: &State) -> HttpResponse {
    let call = match token_call(req, params, state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let p = &call.params;
    let issuer = authority(req, state);
    let (tenant, client, st) = (call.tenant.clone(), call.client.clone(), state.clone());
    let result = match p.value("grant_type") {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri)) = (
                p.value("code").map(str::to_owned),
                p.value("redirect_uri").map(str::to_owned),
            ) else {
                // IdentityServer: a missing redirect_uri is unauthorized_client.
                return token_error(if p.value("code").is_none() {
                    "invalid_grant"
                } else {
                    "unauthorized_client"
                });
            };
            let verifier = p.value("code_verifier").map(str::to_owned);
            engine(state, move |conn| {
                let issued = authorization::exchange_code(
                    conn,
                    &server(),
                    &tenant,
                    &client,
                    &code,
                    Some(&redirect_uri),
                    verifier.as_deref(),
                    policy(),
                )?;
                sign_tokens(&st, conn, &tenant, issued, &issuer)
            })
            .await
        }
        Some("refresh_token") => {
            let Some(token) = p.value("refresh_token").map(str::to_owned) else {
                return token_error("invalid_request");
            };
            let scopes = p.value("scope").map(|_| p.scopes("scope"));
            engine(state, move |conn| {
                let issued = authorization::refresh(
                    conn,
                    &server(),
                    &tenant,
                    &client,
                    &token,
                    scopes,
                    policy(),
                )?;
                sign_tokens(&st, conn, &tenant, issued, &issuer)
            })
            .await
        }
        _ => return token_error("unsupported_grant_type"),
    };
    match result {
        Ok(body) => vendor_rendered(
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store, no-cache, max-age=0"))
                .insert_header((header::PRAGMA, "no-cache"))
                .content_type("application/json; charset=UTF-8")
                .body(serde_json::to_string(&body).unwrap_or_default()),
        ),
        Err(o) => outcome_response(o),
    }
}

/// The claims of one of our access tokens, verified against its tenant's keys (the
/// tenant named by its `tid`), unexpired.
fn verified_access_token(
    state: &State,
    conn: &mut grant_core::DbConn,
    token: &str,
) -> grant_core::Result<Option<(String, Map<String, Value>)>> {
    let Some(tenant) = unverified_tenant(token) else {
        return Ok(None);
    };
    let claims =
        state
            .vendor
            .signer
            .verify_access_token(conn, TenantId::new(&tenant), SERVER, token)?;
    Ok(claims.map(|c| (tenant, c)))
}

/// The `tid` a JWT claims (read before its signature is checked against that tenant's keys).
fn unverified_tenant(token: &str) -> Option<String> {
    use base64::Engine as _;
    let part = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    claims.get("tid")?.as_str().map(str::to_owned)
}

/// `POST connect/revocation`: 200 with an empty body, also for unknown tokens; a refresh
/// token takes the tokens issued with it.
pub async fn revocation(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state.store, None).await;
    let mut res = match form_params(&req, &body) {
        Err(res) => res,
        Ok(params) => revocation_inner(&req, params, &state).await,
    };
    allow_origin(&mut res, origin.as_deref(), false);
    res
}

async fn revocation_inner(req: &HttpRequest, params: Params, state: &State) -> HttpResponse {
    if let Some(hint) = params.value("token_type_hint")
        && !matches!(hint, "access_token" | "refresh_token")
    {
        return token_error("unsupported_token_type");
    }
    let call = match token_call(req, params, state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let Some(token) = call.params.value("token").map(str::to_owned) else {
        return token_error("invalid_request");
    };
    let st = state.clone();
    let (tenant, client) = (call.tenant, call.client);
    let result = engine(state, move |conn| {
        // Verified with the client's tenant's keys: another tenant's token is no token here.
        authorization::revoke_token(
            conn,
            &st.vendor.signer,
            &tenant,
            SERVER,
            &client,
            &token,
            "client_id",
        )
    })
    .await;
    match result {
        Ok(()) => vendor_rendered(HttpResponse::Ok().finish()),
        Err(o) => outcome_response(o),
    }
}

/// `POST connect/introspect`: `{"active": false}`, or an active token's claims (`scope`
/// space-separated).
pub async fn introspect(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let params = match form_params(&req, &body) {
        Ok(p) => p,
        Err(res) => return res,
    };
    let call = match token_call(&req, params, &state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let Some(token) = call.params.value("token").map(str::to_owned) else {
        return token_error("invalid_request");
    };
    let st = state.clone();
    let tenant = call.tenant;
    let result = engine(&state, move |conn| {
        if let Some((token_tenant, mut claims)) = verified_access_token(&st, conn, &token)? {
            let jti = claims
                .get("jti")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if token_tenant != tenant
                || authorization::access_token_user(conn, &tenant, SERVER, &jti)?.is_none()
            {
                return Ok(json!({"active": false}));
            }
            let scope = claims
                .remove("scope")
                .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
                .unwrap_or_default()
                .join(" ");
            claims.insert("scope".into(), json!(scope));
            claims.insert("active".into(), json!(true));
            return Ok(Value::Object(claims));
        }
        match authorization::refresh_token_info(conn, &tenant, SERVER, &token, 0)? {
            Some(rt) => Ok(json!({
                "active": true,
                "client_id": rt.client_id,
                "sub": rt.user.id,
                "scope": rt.scopes.join(" "),
            })),
            None => Ok(json!({"active": false})),
        }
    })
    .await;
    match result {
        Ok(body) => vendor_rendered(HttpResponse::Ok().json(body)),
        Err(o) => outcome_response(o),
    }
}

/// `GET|POST connect/userinfo`: `sub`, `tid`, and profile claims; 401 with IdentityServer's
/// challenge otherwise.
pub async fn userinfo(req: HttpRequest, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state.store, None).await;
    let st = state.clone();
    let found = match bearer_token(&req) {
        None => Ok(None),
        Some(token) => {
            engine(&state, move |conn| {
                let Some((tenant, claims)) = verified_access_token(&st, conn, &token)? else {
                    return Ok(None);
                };
                let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("");
                let scopes: Vec<String> = claims
                    .get("scope")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default();
                let Some(user) =
                    authorization::access_token_user(conn, TenantId::new(&tenant), SERVER, jti)?
                else {
                    return Ok(None);
                };
                // `role_type`: RoleTypeIds (a tenant role's type; a built-in role's name read as
                // its RoleTypeId).
                let role_types: Vec<String> = grant_core::service::directory::role_types(
                    conn,
                    TenantId::new(&tenant),
                    &user.roles,
                )?
                .iter()
                .map(|r| crate::json::role_id(r))
                .collect();
                Ok(Some((tenant, user, scopes, role_types)))
            })
            .await
        }
    };
    let mut res = match found {
        Ok(Some((_, _, scopes, _))) if !scopes.iter().any(|s| s == "openid") => vendor_rendered(
            HttpResponse::Forbidden()
                .insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"IdentityServer\", error=\"insufficient_scope\"",
                ))
                .finish(),
        ),
        Ok(Some((tenant, user, _, role_types))) => {
            let mut m = Map::new();
            m.insert("sub".into(), json!(user.id));
            m.insert("tid".into(), json!(tenant));
            m.insert("name".into(), json!(user.display_name));
            let email = user
                .profile
                .as_ref()
                .and_then(|p| p.email.clone())
                .unwrap_or_else(|| user.login.clone());
            m.insert("email".into(), json!(email));
            m.insert("role_type".into(), json!(role_types));
            vendor_rendered(HttpResponse::Ok().json(m))
        }
        Ok(None) => vendor_rendered(
            HttpResponse::Unauthorized()
                .insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"IdentityServer\", error=\"invalid_token\"",
                ))
                .finish(),
        ),
        Err(o) => outcome_response(o),
    };
    allow_origin(&mut res, origin.as_deref(), false);
    res
}

/// `GET|POST connect/endsession`: ends the session; returns to `post_logout_redirect_uri`
/// (with `state`) only with a valid `id_token_hint` of a client that registered it.
pub async fn endsession(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let raw = if body.is_empty() {
        req.query_string().to_owned()
    } else {
        String::from_utf8_lossy(&body).into_owned()
    };
    let params = Params::parse(&raw).unwrap_or_default();
    let sid = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let hint = params.value("id_token_hint").map(str::to_owned);
    let target = params.value("post_logout_redirect_uri").map(str::to_owned);
    let st = state.clone();
    let back = engine(&state, move |conn| {
        if let Some(sid) = &sid {
            authorization::end_session(conn, sid)?;
        }
        let (Some(hint), Some(target)) = (hint, target) else {
            return Ok(None);
        };
        let Some(tenant) = unverified_tenant(&hint) else {
            return Ok(None);
        };
        let Some(claims) = st
            .vendor
            .signer
            .verify(conn, TenantId::new(&tenant), SERVER, &hint)?
        else {
            return Ok(None);
        };
        let client = claims
            .get("aud")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        Ok(authorization::post_logout_uri_registered(
            conn,
            TenantId::new(&tenant),
            ClientId::new(&client),
            &target,
        )?
        .then_some(target))
    })
    .await;
    let mut res = match back {
        Ok(Some(target)) => {
            let mut p = Vec::new();
            if let Some(s) = params.value("state") {
                p.push(("state", s.to_owned()));
            }
            deliver(ResponseMode::Query, &target, &p)
        }
        Ok(None) => html(StatusCode::OK, pages::signed_out()),
        Err(o) => outcome_response(o),
    };
    let mut gone = session_cookie(&req, &state.config.server, SESSION_COOKIE, String::new());
    gone.make_removal();
    let _ = res.add_cookie(&gone);
    res
}

/// `GET /.well-known/openid-configuration/jwks`: every tenant's signing keys (one key set
/// for the one identity server).
pub async fn jwks(req: HttpRequest, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state.store, None).await;
    // Every tenant's key, made now when a tenant has none yet: clients load the key set
    // before their first sign-in.
    let st = state.clone();
    let keys = engine(&state, move |conn| {
        for tenant in grant_core::service::admin::list_tenants(conn)? {
            st.vendor.signer.public_keys(conn, tenant.id(), SERVER)?;
        }
        signing::public_keys_any_tenant(conn, SERVER)
    })
    .await;
    let mut res = match keys {
        Ok(keys) => {
            let keys: Vec<Value> = keys
                .iter()
                .map(|k| json!({"kty": "RSA", "use": "sig", "kid": k.kid, "e": k.e, "n": k.n, "alg": "RS256"}))
                .collect();
            vendor_rendered(HttpResponse::Ok().json(json!({"keys": keys})))
        }
        Err(o) => outcome_response(o),
    };
    allow_origin(&mut res, origin.as_deref(), false);
    res
}

/// CORS preflight of the endpoints IdentityServer opens to browsers.
pub async fn preflight(req: HttpRequest, state: State) -> HttpResponse {
    let origin = trusted_origin(&req, &state.store, None).await;
    grant_http::oauth::preflight(
        origin.as_deref(),
        "GET, POST, OPTIONS",
        "accept, authorization, content-type",
        false,
    )
}

mod pages {
    //! The sign-in, consent, signed-out and error pages (the element ids AVEVA's test
    //! scripts use on the sign-in page: `#email`, `#password`, `#submit`).
    use maud::{DOCTYPE, Markup, html};

    fn layout(title: &str, body: Markup) -> String {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) }
                }
                body { main.container { (body) } }
            }
        }
        .into_string()
    }

    pub fn login(return_url: &str, csrf: &str, failed: bool, email: &str) -> String {
        layout(
            "Sign in",
            html! {
                h1 { "Sign in" }
                form #login-form method="post" action="/identity/account/login" {
                    @if failed {
                        div.validation-summary-errors { "Invalid username or password" }
                    }
                    input type="hidden" name="returnUrl" value=(return_url);
                    input type="hidden" name="csrf_token" value=(csrf);
                    label for="email" { "Email" }
                    input #email type="email" name="email" value=(email) autocomplete="username";
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password";
                    button #submit type="submit" { "Sign in" }
                }
            },
        )
    }

    pub fn consent(request: &str, csrf: &str, client: &str, scopes: &[String]) -> String {
        layout(
            "Consent",
            html! {
                h1 { (client) " is requesting your permission" }
                ul {
                    @for scope in scopes {
                        li.scope-item data-scope=(scope) { (scope) }
                    }
                }
                form #consent-form method="post" action="/identity/consent" {
                    input type="hidden" name="request" value=(request);
                    input type="hidden" name="csrf_token" value=(csrf);
                    button #allow type="submit" name="decision" value="allow" { "Yes, Allow" }
                    button #deny type="submit" name="decision" value="deny" { "No, Do Not Allow" }
                }
            },
        )
    }

    pub fn signed_out() -> String {
        layout("Signed out", html! { h1 { "You are now signed out" } })
    }

    pub fn error(code: &str) -> String {
        layout(
            "Error",
            html! {
                h1 { "Sorry, there was an error" }
                p #error-code { (code) }
            },
        )
    }
}
