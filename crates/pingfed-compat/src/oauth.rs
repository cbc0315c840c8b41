//! PingFederate's OAuth runtime endpoints over grant-core's authorization engine:
//! `/as/authorization.oauth2` (the HTML Form adapter's sign-in page and the approval page,
//! both submitting to `/as/{id}/resume/as/authorization.ping`), `/as/token.oauth2`,
//! `/as/revoke_token.oauth2`, `/as/introspect.oauth2`, `/idp/userinfo.openid`,
//! `/.well-known/openid-configuration` and `/pf/JWKS`. Issuer: the base URL. Users sign in
//! with the password credentials of the configured Password Credential Validator; an
//! approval creates (or reuses) the persistent grant the grant service lists.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::CoreError;
use grant_core::model::{
    AuthorizationRequest, AuthorizationServer, CheckedRequest, Face, GrantAttribute,
    GrantRecording, Issuance, Refusal, RequestPolicy, SessionKind, SignedIn,
};
use grant_core::service::authorization::{self, Approval, Issued};
use grant_core::service::signing;
use grant_http::oauth::{
    Outcome, Params, ResponseMode, allow_origin, bearer_token, csrf_ok, csrf_token, deliver, html,
    presented_client, session_cookie,
};
use grant_http::{base_url, client_ip, vendor_rendered};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::State;
use grant_core::model::ClientId;

/// The engine's server id for PingFederate's one authorization server.
const SERVER: &str = "pingfed";
const SESSION_COOKIE: &str = "PF";
const CSRF_COOKIE: &str = "PF.CSRF";
const MODES: &[ResponseMode] = &[
    ResponseMode::Query,
    ResponseMode::Fragment,
    ResponseMode::FormPost,
];
const ID_TOKEN_LIFETIME_SECS: i64 = 3600;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/as/authorization.oauth2")
            .route(web::get().to(authorize))
            .route(web::post().to(authorize)),
    )
    .service(
        web::resource("/as/{resumeId}/resume/as/authorization.ping").route(web::post().to(resume)),
    )
    .service(web::resource("/as/token.oauth2").route(web::post().to(token)))
    .service(web::resource("/as/revoke_token.oauth2").route(web::post().to(revoke)))
    .service(web::resource("/as/introspect.oauth2").route(web::post().to(introspect)))
    .service(
        web::resource("/idp/userinfo.openid")
            .route(web::get().to(userinfo))
            .route(web::post().to(userinfo)),
    )
    .service(web::resource("/.well-known/openid-configuration").route(web::get().to(discovery)))
    .service(web::resource("/pf/JWKS").route(web::get().to(jwks)));
}

/// PingFederate's rules: PKCE `plain` allowed (its default), `state` optional, approval
/// per client, persistent grants reused, refresh tokens for clients with the
/// `refresh_token` grant type (no `offline_access` needed) and not rolled, codes of 60 s.
fn policy() -> RequestPolicy {
    RequestPolicy {
        state_required: false,
        allow_plain_pkce: true,
        consent_possible: true,
        recording: GrantRecording::Persistent,
        refresh_needs_offline_access: false,
        rotate_refresh_tokens: false,
        refresh_leeway_secs: 0,
        code_lifetime_secs: 60,
        revoke_on_replay: false,
    }
}

fn server() -> AuthorizationServer {
    AuthorizationServer {
        id: SERVER.into(),
        name: "PingFederate".into(),
        audience: String::new(),
        created_at: chrono::DateTime::UNIX_EPOCH,
    }
}

fn face(state: &State) -> Face<'_> {
    Face::PingFederate {
        pcv: &state.config.vendor.pcv_name,
    }
}

fn issuer(req: &HttpRequest, state: &State) -> String {
    base_url(req, &state.config.server)
}

/// PingFederate's error body: `error_description` (when there is one), then `error`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
    error: &'a str,
}

fn pf_error(status: StatusCode, error: &str, description: Option<&str>) -> HttpResponse {
    vendor_rendered(
        HttpResponse::build(status)
            .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(ErrorBody {
                error_description: description,
                error,
            }),
    )
}

/// PingFederate's wording of a refusal (`None`: no description, as PingFederate sends
/// for an unsupported grant type).
fn describe(r: &Refusal) -> Option<String> {
    Some(match r {
        Refusal::UnknownClient => "Unknown or invalid client_id".into(),
        Refusal::RedirectUriNotRegistered => "Invalid redirect_uri".into(),
        Refusal::MissingParameter(p) => format!("{p} is required"),
        Refusal::UnsupportedResponseType(t) => format!("Unsupported response_type: {t}"),
        Refusal::InvalidScope(s) => format!("The requested scope(s) must be blank or a subset of the provided scopes. Invalid scope: {s}"),
        Refusal::NoScopes => "The requested scope(s) must be blank or a subset of the provided scopes.".into(),
        Refusal::PkceRequired => "code_challenge is required".into(),
        Refusal::PkceMethodUnsupported(m) => format!("Unsupported code_challenge_method: {m}"),
        Refusal::GrantTypeNotAllowed(g) => format!("The client is not authorized to use the {g} grant type"),
        Refusal::LoginRequired => "The user is not logged in".into(),
        Refusal::ConsentRequired(_) => "The user has not approved the requested scopes".into(),
        Refusal::AccessDenied => "User denied access".into(),
        Refusal::NoClientCredentials
        | Refusal::ClientAuthenticationFailed
        | Refusal::MultipleClientCredentials => "Invalid client or client credentials".into(),
        Refusal::UnsupportedGrantType(_) => return None,
        Refusal::InvalidCode | Refusal::CodeOfAnotherClient => {
            "Authorization code is invalid or expired.".into()
        }
        Refusal::RedirectUriMismatch => {
            "redirect_uri is required if it was included in the authorization request.".into()
        }
        Refusal::PkceVerifierMissing | Refusal::PkceVerificationFailed => "The code_verifier sent does not match code_challenge included in the authorization request using the S256 code_challenge_method.".into(),
        Refusal::InvalidRefreshToken => "unknown, invalid, or expired refresh token".into(),
        Refusal::ScopesNotGranted(_) => "The requested scope(s) must be blank or a subset of the provided scopes.".into(),
    })
}

fn refusal_response(r: &Refusal) -> HttpResponse {
    let (status, error) = match r {
        Refusal::NoClientCredentials
        | Refusal::ClientAuthenticationFailed
        | Refusal::MultipleClientCredentials => (StatusCode::UNAUTHORIZED, "invalid_client"),
        Refusal::ScopesNotGranted(_) => (StatusCode::BAD_REQUEST, "invalid_scope"),
        other => (StatusCode::BAD_REQUEST, other.error_code()),
    };
    pf_error(status, error, describe(r).as_deref())
}

fn outcome_response(o: Outcome) -> HttpResponse {
    match o {
        Outcome::Refused(r) => refusal_response(&r),
        Outcome::Failed(e) => actix_web::ResponseError::error_response(&e),
    }
}

async fn engine<T, F>(state: &State, f: F) -> Result<T, Outcome>
where
    F: FnOnce(&mut grant_core::DbConn) -> grant_core::Result<T> + Send + 'static,
    T: Send + 'static,
{
    grant_http::oauth::engine(&state.store, f).await
}

// ---------------------------------------------------------------------------------------
// Authorization: sign-in and approval pages

fn error_page(r: &Refusal) -> HttpResponse {
    html(
        StatusCode::BAD_REQUEST,
        pages::error(r.error_code(), &describe(r).unwrap_or_default()),
    )
}

/// A request `/as/authorization.oauth2` accepted.
struct Checked {
    mode: ResponseMode,
    checked: CheckedRequest,
    prompt_login: bool,
}

fn deliver_refusal(
    mode: ResponseMode,
    request: &AuthorizationRequest,
    r: &Refusal,
) -> HttpResponse {
    let mut params = vec![("error", r.error_code().to_owned())];
    if let Some(d) = describe(r) {
        params.push(("error_description", d));
    }
    if let Some(s) = &request.state {
        params.push(("state", s.clone()));
    }
    deliver(mode, &request.redirect_uri, &params)
}

async fn check(state: &State, raw: &str) -> Result<Checked, HttpResponse> {
    let Some(mut params) = Params::parse(raw) else {
        return Err(error_page(&Refusal::MissingParameter("client_id")));
    };
    let tenant = state.tenant().to_buf();
    // A client with one redirect URI may leave it out (PingFederate).
    if params.value("redirect_uri").is_none() {
        let client_id = params.get("client_id").unwrap_or("").to_owned();
        let only = engine(state, move |conn| {
            grant_core::service::clients::find_client(conn, &tenant, ClientId::new(&client_id))
        })
        .await
        .ok()
        .flatten()
        .filter(|c| c.redirect_uris.len() == 1)
        .map(|c| c.redirect_uris[0].clone());
        if let Some(uri) = only {
            params.0.push(("redirect_uri".into(), uri));
        }
    }
    let request = grant_http::oauth::authorization_request(&params);
    let mode = ResponseMode::parse(params.get("response_mode"), MODES);
    let tenant = state.tenant().to_buf();
    let checked = engine(state, move |conn| {
        authorization::check_request(conn, &tenant, request, policy())
    })
    .await;
    let checked = match checked {
        Ok(c) => c,
        Err(Outcome::Refused(r)) if r.is_page() => return Err(error_page(&r)),
        Err(Outcome::Refused(r)) => {
            return Err(deliver_refusal(
                mode.unwrap_or(ResponseMode::Query),
                &grant_http::oauth::authorization_request(&params),
                &r,
            ));
        }
        Err(o) => return Err(outcome_response(o)),
    };
    let Some(mode) = mode else {
        return Err(deliver_refusal(
            ResponseMode::Query,
            &checked.request,
            &Refusal::MissingParameter("a supported response_mode"),
        ));
    };
    let prompt_login = params
        .get("prompt")
        .is_some_and(|p| p.split(' ').any(|x| x == "login"));
    Ok(Checked {
        mode,
        checked,
        prompt_login,
    })
}

async fn session_user(req: &HttpRequest, state: &State) -> Result<Option<SignedIn>, HttpResponse> {
    let Some(sid) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let tenant = state.tenant().to_buf();
    engine(state, move |conn| {
        authorization::session_user(conn, &tenant, &sid)
    })
    .await
    .map_err(outcome_response)
}

fn resume_action() -> String {
    format!(
        "/as/{}/resume/as/authorization.ping",
        grant_core::service::ids::random_alnum(5)
    )
}

fn with_csrf(req: &HttpRequest, state: &State, page: impl FnOnce(&str) -> String) -> HttpResponse {
    let (csrf, new) = csrf_token(req, CSRF_COOKIE);
    let mut res = html(StatusCode::OK, page(&csrf));
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

fn login_page(
    req: &HttpRequest,
    state: &State,
    raw: &str,
    failed: bool,
    username: &str,
) -> HttpResponse {
    let action = resume_action();
    let adapter = state.config.vendor.pcv_name.clone();
    with_csrf(req, state, |csrf| {
        pages::login(&action, raw, csrf, &adapter, failed, username)
    })
}

/// `GET|POST /as/authorization.oauth2` (POST: form parameters, none in the query).
pub async fn authorize(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let raw = grant_http::oauth::authorize_params_text(&req, &body);
    let c = match check(&state, &raw).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let user = match session_user(&req, &state).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    match user {
        Some(user) if !c.prompt_login => after_sign_in(&req, &state, &c, &raw, &user).await,
        _ => login_page(&req, &state, &raw, false, ""),
    }
}

/// A signed-in user: the approval page when the client asks for approval, else a code.
async fn after_sign_in(
    req: &HttpRequest,
    state: &State,
    c: &Checked,
    raw: &str,
    user: &SignedIn,
) -> HttpResponse {
    if c.checked.client.consent_required {
        let action = resume_action();
        let client = &c.checked.client;
        let name = if client.name.is_empty() {
            client.id.clone()
        } else {
            client.name.clone()
        };
        let user_name = user.user.display_name.clone();
        let scopes = c.checked.request.scopes.clone();
        return with_csrf(req, state, |csrf| {
            pages::approval(&action, raw, csrf, &name, &user_name, &scopes)
        });
    }
    issue_code(req, state, c, user, Vec::new()).await
}

/// The grant attributes a persistent grant records: the user's name and, when the
/// directory knows it, mail address.
fn grant_attributes(user: &SignedIn) -> Vec<GrantAttribute> {
    let mut attributes = vec![GrantAttribute {
        name: "USER_NAME".into(),
        values: vec![user.user.display_name.clone()],
    }];
    if let Some(mail) = user.user.profile.as_ref().and_then(|p| p.email.clone()) {
        attributes.push(GrantAttribute {
            name: "mail".into(),
            values: vec![mail],
        });
    }
    attributes
}

async fn issue_code(
    req: &HttpRequest,
    state: &State,
    c: &Checked,
    user: &SignedIn,
    approved: Vec<String>,
) -> HttpResponse {
    let tenant = state.tenant().to_buf();
    let (checked, issuer, signed_in) = (c.checked.clone(), issuer(req, state), user.clone());
    let attributes = grant_attributes(user);
    let code = engine(state, move |conn| {
        authorization::approve(
            conn,
            &tenant,
            &Approval {
                checked: &checked,
                server_id: SERVER,
                issuer: &issuer,
                signed_in: &signed_in,
                consented: approved,
                policy: policy(),
                attributes,
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
            deliver(c.mode, &c.checked.request.redirect_uri, &params)
        }
        Err(Outcome::Refused(r)) => deliver_refusal(c.mode, &c.checked.request, &r),
        Err(o) => outcome_response(o),
    }
}

/// `POST /as/{id}/resume/as/authorization.ping`: the sign-in form or the approval form.
pub async fn resume(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let form = Params::of_body(&body).unwrap_or_default();
    let raw = form.get("request").unwrap_or("").to_owned();
    if !csrf_ok(&req, CSRF_COOKIE, &form, "cSRFToken") {
        return html(
            StatusCode::FORBIDDEN,
            pages::error(
                "invalid_request",
                "The form has expired. Go back and try again.",
            ),
        );
    }
    let c = match check(&state, &raw).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    if let Some(decision) = form.get("pf.oauth.authz.consent") {
        let user = match session_user(&req, &state).await {
            Ok(Some(u)) => u,
            Ok(None) => return login_page(&req, &state, &raw, false, ""),
            Err(res) => return res,
        };
        if decision != "allow" {
            return deliver_refusal(c.mode, &c.checked.request, &Refusal::AccessDenied);
        }
        // The scopes left ticked, among those requested.
        let approved: Vec<String> = form
            .0
            .iter()
            .filter(|(k, v)| k == "scope" && c.checked.request.scopes.contains(v))
            .map(|(_, v)| v.clone())
            .collect();
        if approved.is_empty() {
            return deliver_refusal(c.mode, &c.checked.request, &Refusal::AccessDenied);
        }
        return issue_code(&req, &state, &c, &user, approved).await;
    }
    if form.get("pf.cancel").is_some_and(|v| v == "clicked") {
        return deliver_refusal(c.mode, &c.checked.request, &Refusal::AccessDenied);
    }
    let username = form.get("pf.username").unwrap_or("").to_owned();
    let password = SecretString::from(form.get("pf.pass").unwrap_or("").to_owned());
    let source = client_ip(&req, &state.config.server);
    let signed = authorization::sign_in_with_password(
        &state.store,
        &state.passwords,
        state.tenant(),
        &face(&state),
        &username,
        password,
        &source,
        SessionKind::Cookie,
    )
    .await;
    match signed {
        Ok((user, sid, _)) => {
            let signed_in = SignedIn {
                user,
                auth_time: grant_core::model::now(),
            };
            let mut res = after_sign_in(&req, &state, &c, &raw, &signed_in).await;
            let _ = res.add_cookie(&session_cookie(
                &req,
                &state.config.server,
                SESSION_COOKIE,
                sid,
            ));
            res
        }
        Err(CoreError::Unauthenticated) => login_page(&req, &state, &raw, true, &username),
        Err(e) => outcome_response(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Tokens

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    token_type: &'static str,
    expires_in: i64,
}

fn user_key(i: &Issuance) -> &str {
    &i.user.login
}

/// A JWT access token as PingFederate's JSON Web Token manager writes it by default.
fn access_claims(i: &Issuance, issuer: &str, jti: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("scope".into(), json!(i.scopes));
    m.insert("client_id".into(), json!(i.client.id));
    if let Some(g) = &i.grant_id {
        m.insert("agid".into(), json!(g));
    }
    m.insert("jti".into(), json!(jti));
    m.insert("iss".into(), json!(issuer));
    m.insert("sub".into(), json!(user_key(i)));
    m.insert("Username".into(), json!(user_key(i)));
    m.insert("iat".into(), json!(i.issued_at.timestamp()));
    m.insert("exp".into(), json!(i.access_expires_at.timestamp()));
    m
}

fn id_claims(i: &Issuance, issuer: &str, access_token: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(user_key(i)));
    m.insert("aud".into(), json!(i.client.id));
    m.insert(
        "jti".into(),
        json!(grant_core::service::ids::random_alnum(22)),
    );
    m.insert("iss".into(), json!(issuer));
    m.insert("iat".into(), json!(i.issued_at.timestamp()));
    m.insert(
        "exp".into(),
        json!(i.issued_at.timestamp() + ID_TOKEN_LIFETIME_SECS),
    );
    m.insert("auth_time".into(), json!(i.auth_time.timestamp()));
    if let Some(n) = &i.nonce {
        m.insert("nonce".into(), json!(n));
    }
    m.insert("at_hash".into(), json!(signing::half_hash(access_token)));
    if i.scopes.iter().any(|s| s == "profile") {
        m.insert("name".into(), json!(i.user.display_name));
    }
    m
}

fn sign_tokens(
    state: &State,
    conn: &mut grant_core::DbConn,
    issued: Issued,
    issuer: &str,
) -> grant_core::Result<TokenResponse> {
    let i = &issued.issuance;
    let tenant = state.tenant();
    let signer = &state.vendor.signer;
    let jti = authorization::access_token_id(&i.family_id);
    let access_token = signer.sign(conn, tenant, SERVER, &access_claims(i, issuer, &jti))?;
    let id_token = if i.scopes.iter().any(|s| s == "openid") {
        Some(signer.sign(conn, tenant, SERVER, &id_claims(i, issuer, &access_token))?)
    } else {
        None
    };
    Ok(TokenResponse {
        expires_in: (i.access_expires_at - i.issued_at).num_seconds(),
        access_token,
        refresh_token: issued.refresh_token,
        id_token,
        token_type: "Bearer",
    })
}

struct TokenCall {
    params: Params,
    client: grant_core::model::Client,
}

async fn token_call(
    req: &HttpRequest,
    body: &[u8],
    state: &State,
) -> Result<TokenCall, HttpResponse> {
    let params = grant_http::oauth::form(req, body).map_err(|e| {
        let description = match e {
            grant_http::oauth::FormError::Repeated => "Duplicate request parameter",
            _ => "The request must be application/x-www-form-urlencoded",
        };
        pf_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(description),
        )
    })?;
    let presented = presented_client(req, &params).map_err(|r| refusal_response(&r))?;
    let source = client_ip(req, &state.config.server);
    let client = authorization::authenticate_client(
        &state.store,
        &state.passwords,
        state.tenant(),
        &face(state),
        presented,
        &source,
    )
    .await
    .map_err(|e| outcome_response(e.into()))?;
    Ok(TokenCall { params, client })
}

/// `POST /as/token.oauth2`: `authorization_code` and `refresh_token`.
pub async fn token(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let call = match token_call(&req, &body, &state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let p = &call.params;
    let tenant = state.tenant().to_buf();
    let issuer = issuer(&req, &state);
    let client = call.client.clone();
    let (code, redirect_uri, verifier, refresh_token) = (
        p.value("code").map(str::to_owned),
        p.value("redirect_uri").map(str::to_owned),
        p.value("code_verifier").map(str::to_owned),
        p.value("refresh_token").map(str::to_owned),
    );
    let scopes = p.value("scope").map(|_| p.scopes("scope"));
    let st = state.clone();
    let result = match p.value("grant_type") {
        None => {
            return pf_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Some("grant_type is required"),
            );
        }
        Some("authorization_code") => {
            let Some(code) = code else {
                return pf_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    Some("code is required"),
                );
            };
            engine(&state, move |conn| {
                let issued = authorization::exchange_code(
                    conn,
                    &server(),
                    &tenant,
                    &client,
                    &code,
                    redirect_uri.as_deref(),
                    verifier.as_deref(),
                    policy(),
                )?;
                sign_tokens(&st, conn, issued, &issuer)
            })
            .await
        }
        Some("refresh_token") => {
            let Some(token) = refresh_token else {
                return pf_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    Some("refresh_token is required"),
                );
            };
            engine(&state, move |conn| {
                let issued = authorization::refresh(
                    conn,
                    &server(),
                    &tenant,
                    &client,
                    &token,
                    scopes,
                    policy(),
                )?;
                sign_tokens(&st, conn, issued, &issuer)
            })
            .await
        }
        Some(other) => Err(Outcome::Refused(Refusal::UnsupportedGrantType(
            other.to_owned(),
        ))),
    };
    match result {
        Ok(body) => vendor_rendered(
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
                .insert_header((header::PRAGMA, "no-cache"))
                .json(body),
        ),
        Err(o) => outcome_response(o),
    }
}

fn verified_access_token(
    state: &State,
    conn: &mut grant_core::DbConn,
    token: &str,
) -> grant_core::Result<Option<Map<String, Value>>> {
    state
        .vendor
        .signer
        .verify_access_token(conn, state.tenant(), SERVER, token)
}

/// `POST /as/introspect.oauth2`: an active access token's attributes; an active refresh
/// token only `{"active":true}`; anything else `{"active":false}`.
pub async fn introspect(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let call = match token_call(&req, &body, &state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let Some(token) = call.params.value("token").map(str::to_owned) else {
        return pf_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("token is required"),
        );
    };
    let st = state.clone();
    let result = engine(&state, move |conn| {
        let tenant = st.tenant().to_buf();
        if let Some(claims) = verified_access_token(&st, conn, &token)? {
            let jti = claims
                .get("jti")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if authorization::access_token_user(conn, &tenant, SERVER, &jti)?.is_none() {
                return Ok(json!({"active": false}));
            }
            let scope = claims
                .get("scope")
                .and_then(|v| serde_json::from_value::<Vec<String>>(v.clone()).ok())
                .unwrap_or_default()
                .join(" ");
            return Ok(json!({
                "active": true,
                "scope": scope,
                "client_id": claims.get("client_id"),
                "token_type": "Bearer",
                "exp": claims.get("exp"),
                "sub": claims.get("sub"),
            }));
        }
        let live = authorization::refresh_token_info(conn, &tenant, SERVER, &token, 0)?;
        Ok(json!({"active": live.is_some()}))
    })
    .await;
    match result {
        Ok(body) => vendor_rendered(HttpResponse::Ok().json(body)),
        Err(o) => outcome_response(o),
    }
}

/// `POST /as/revoke_token.oauth2`: a refresh token revokes its tokens; an access token
/// itself. 200 with an empty body, also for unknown tokens.
pub async fn revoke(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let call = match token_call(&req, &body, &state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let Some(token) = call.params.value("token").map(str::to_owned) else {
        return pf_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("token is required"),
        );
    };
    let st = state.clone();
    let client = call.client;
    let result = engine(&state, move |conn| {
        authorization::revoke_token(
            conn,
            &st.vendor.signer,
            st.tenant(),
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

/// `GET|POST /idp/userinfo.openid`: `sub` and the claims the token's scopes release.
pub async fn userinfo(req: HttpRequest, state: State) -> HttpResponse {
    let st = state.clone();
    let token = bearer_token(&req);
    let found = match token {
        None => Ok(None),
        Some(token) => {
            engine(&state, move |conn| {
                let Some(claims) = verified_access_token(&st, conn, &token)? else {
                    return Ok(None);
                };
                let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("");
                let user = authorization::access_token_user(conn, st.tenant(), SERVER, jti)?;
                let scopes: Vec<String> = claims
                    .get("scope")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default();
                Ok(user.map(|u| (u, scopes)))
            })
            .await
        }
    };
    match found {
        Ok(Some((user, scopes))) => {
            let mut m = Map::new();
            m.insert("sub".into(), json!(user.login));
            if scopes.iter().any(|s| s == "profile") {
                m.insert("name".into(), json!(user.display_name));
            }
            if scopes.iter().any(|s| s == "email")
                && let Some(mail) = user.profile.as_ref().and_then(|p| p.email.clone())
            {
                m.insert("email".into(), json!(mail));
            }
            vendor_rendered(HttpResponse::Ok().json(m))
        }
        Ok(None) => vendor_rendered(
            HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
                .json(json!({"error": "invalid_token", "error_description": "Access token is invalid or expired."})),
        ),
        Err(o) => outcome_response(o),
    }
}

/// `GET /.well-known/openid-configuration` (keys alphabetical, as PingFederate writes them).
pub async fn discovery(req: HttpRequest, state: State) -> HttpResponse {
    let iss = issuer(&req, &state);
    let mut res = vendor_rendered(HttpResponse::Ok().json(json!({
        "authorization_endpoint": format!("{iss}/as/authorization.oauth2"),
        "claims_parameter_supported": false,
        "claims_supported": ["sub", "name", "email", "auth_time", "nonce", "at_hash"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "introspection_endpoint": format!("{iss}/as/introspect.oauth2"),
        "issuer": iss,
        "jwks_uri": format!("{iss}/pf/JWKS"),
        "request_parameter_supported": false,
        "response_modes_supported": ["fragment", "query", "form_post"],
        "response_types_supported": ["code"],
        "revocation_endpoint": format!("{iss}/as/revoke_token.oauth2"),
        "scopes_supported": ["openid", "profile", "email", "address", "phone"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{iss}/as/token.oauth2"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{iss}/idp/userinfo.openid"),
    })));
    allow_origin(&mut res, None, false);
    res
}

/// `GET /pf/JWKS`: the signing keys (the active one and those it replaced).
pub async fn jwks(state: State) -> HttpResponse {
    let st = state.clone();
    match engine(&state, move |conn| {
        st.vendor.signer.public_keys(conn, st.tenant(), SERVER)
    })
    .await
    {
        Ok(keys) => {
            let keys: Vec<Value> = keys
                .iter()
                .map(|k| json!({"kty": "RSA", "kid": k.kid, "use": "sig", "alg": "RS256", "n": k.n, "e": k.e}))
                .collect();
            vendor_rendered(HttpResponse::Ok().json(json!({"keys": keys})))
        }
        Err(o) => outcome_response(o),
    }
}

mod pages {
    //! The HTML Form adapter's sign-in page and the approval page, after PingFederate's
    //! stock templates (`html.form.login`, `oauth.approval.page`).
    use maud::{DOCTYPE, Markup, PreEscaped, html};

    fn layout(title: &str, body: Markup) -> String {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) }
                }
                body { div.ping-container { (body) } }
            }
        }
        .into_string()
    }

    const SCRIPT: &str = "function postOk(){document.forms[0]['pf.ok'].value='clicked';document.forms[0].submit();}\
function postCancel(){document.forms[0]['pf.cancel'].value='clicked';document.forms[0].submit();}\
function postResponse(d){document.forms[0]['pf.oauth.authz.consent'].value=d;document.forms[0].submit();}";

    pub fn login(
        action: &str,
        request: &str,
        csrf: &str,
        adapter: &str,
        failed: bool,
        username: &str,
    ) -> String {
        layout(
            "Sign On",
            html! {
                script { (PreEscaped(SCRIPT)) }
                form method="POST" action=(action) autocomplete="off" {
                    @if failed {
                        div.ping-error { "We didn't recognize the username or password you entered. Please try again." }
                    }
                    input type="hidden" name="request" value=(request);
                    input type="hidden" name="cSRFToken" value=(csrf);
                    input type="hidden" name="pf.ok" value="";
                    input type="hidden" name="pf.cancel" value="";
                    input type="hidden" name="pf.adapterId" value=(adapter);
                    label for="username" { "Username" }
                    input #username type="text" name="pf.username" value=(username);
                    label for="password" { "Password" }
                    input #password type="password" name="pf.pass";
                    a #sign-on href="#" onclick="postOk();" { "Sign On" }
                    input type="submit" style="display:none";
                    a #cancel href="#" onclick="postCancel();" { "Cancel" }
                }
            },
        )
    }

    pub fn approval(
        action: &str,
        request: &str,
        csrf: &str,
        client: &str,
        user: &str,
        scopes: &[String],
    ) -> String {
        layout(
            "Request for Approval",
            html! {
                script { (PreEscaped(SCRIPT)) }
                h1 { "Request for Approval" }
                p { "Hi " (user) ", " (client) " is requesting access to:" }
                form #approval-form method="post" action=(action) {
                    input type="hidden" name="request" value=(request);
                    input type="hidden" name="cSRFToken" value=(csrf);
                    input type="hidden" name="check-user-approved-scope" value="true";
                    input type="hidden" name="pf.oauth.authz.consent" value="";
                    @for scope in scopes {
                        label {
                            input type="checkbox" name="scope" value=(scope) checked;
                            " " (scope)
                        }
                    }
                    button #allow type="button" onclick="postResponse('allow');" { "Allow" }
                    button #deny type="button" onclick="postResponse('deny');" { "Deny" }
                }
            },
        )
    }

    pub fn error(code: &str, description: &str) -> String {
        layout(
            "Error",
            html! {
                h1 { "Error" }
                p #error-code { (code) }
                p #error-description { (description) }
            },
        )
    }
}
