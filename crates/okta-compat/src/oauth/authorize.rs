//! `/authorize`, the hosted sign-in page, the consent page and `/logout`.
//!
//! The browser's session is the `sid` cookie (HttpOnly, SameSite=Lax, Secure over TLS);
//! the sign-in and consent forms carry a CSRF token that must equal the `okta_csrf`
//! cookie (double submit). A consent form carries the original authorization request,
//! which is checked again when it comes back.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::CoreError;
use grant_core::model::{AuthorizationRequest, CheckedRequest, Refusal, SessionKind, SignedIn};
use grant_core::service::authorization::{self, Approval};
use grant_http::oauth::{
    ResponseMode as Mode, csrf_ok as csrf_matches, csrf_token as csrf_of, html, origin_of,
    session_cookie,
};
use grant_http::{client_ip, vendor_rendered};
use secrecy::SecretString;

use super::{Outcome, Params, engine, issuer, pages, policy};
use crate::State;
use grant_core::model::{ClientId, UserId};

const SESSION_COOKIE: &str = "sid";
const CSRF_COOKIE: &str = "okta_csrf";

fn cookie(req: &HttpRequest, state: &State, name: &'static str, value: String) -> Cookie<'static> {
    session_cookie(req, &state.config.server, name, value)
}

/// The response modes Okta offers.
const MODES: &[Mode] = &[
    Mode::Query,
    Mode::Fragment,
    Mode::FormPost,
    Mode::PostMessage,
];

/// The authorization response (a code, or an error) delivered to the client; Okta's
/// `okta_post_message` is a page posting it to the opener's window.
fn deliver(mode: Mode, redirect_uri: &str, params: Vec<(&str, String)>) -> HttpResponse {
    if mode != Mode::PostMessage {
        return grant_http::oauth::deliver(mode, redirect_uri, &params);
    }
    let data: serde_json::Map<String, serde_json::Value> = params
        .into_iter()
        .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
        .collect();
    vendor_rendered(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
            .body(pages::post_message(
                origin_of(redirect_uri),
                &serde_json::Value::Object(data),
            )),
    )
}

fn error_page(r: &Refusal) -> HttpResponse {
    html(
        StatusCode::BAD_REQUEST,
        pages::error(r.error_code(), &super::describe(r)),
    )
}

fn deliver_refusal(mode: Mode, request: &AuthorizationRequest, r: &Refusal) -> HttpResponse {
    let mut params = vec![
        ("error", r.error_code().to_owned()),
        ("error_description", super::describe(r)),
    ];
    if let Some(state) = &request.state {
        params.push(("state", state.clone()));
    }
    deliver(mode, &request.redirect_uri, params)
}

fn failed(o: Outcome) -> HttpResponse {
    match o {
        Outcome::Refused(r) => error_page(&r),
        Outcome::Failed(e) => actix_web::ResponseError::error_response(&e),
    }
}

fn prompts(params: &Params) -> (bool, bool) {
    let prompt = params.get("prompt").unwrap_or("");
    let has = |p: &str| prompt.split(' ').any(|x| x == p);
    (has("none"), has("consent"))
}

/// The path of the server's `/authorize` with the request as its query: where sign-in
/// returns to.
fn authorize_uri(req: &HttpRequest, raw: &str) -> String {
    let path = req.path();
    let path = path
        .strip_suffix("/consent")
        .map(|p| format!("{p}/authorize"))
        .unwrap_or_else(|| path.to_owned());
    format!("{path}?{raw}")
}

fn to_login(req: &HttpRequest, raw: &str) -> HttpResponse {
    let from =
        serde_urlencoded::to_string([("fromURI", authorize_uri(req, raw))]).unwrap_or_default();
    vendor_rendered(
        HttpResponse::Found()
            .insert_header((header::LOCATION, format!("/login/login.htm?{from}")))
            .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
            .finish(),
    )
}

/// What `/authorize` and the consent form share: parse, check, find the session.
struct Checked {
    params: Params,
    mode: Mode,
    checked: CheckedRequest,
    server: grant_core::model::AuthorizationServer,
    issuer: String,
}

async fn check(req: &HttpRequest, state: &State, raw: &str) -> Result<Checked, HttpResponse> {
    let Some(params) = Params::parse(raw) else {
        return Err(error_page(&Refusal::MissingParameter("client_id")));
    };
    if params.repeated().is_some() {
        return Err(html(
            StatusCode::BAD_REQUEST,
            pages::error(
                "invalid_request",
                "The request contained multiple parameters with the same name.",
            ),
        ));
    }
    let server = super::server(req, state)
        .await
        .map_err(|e| actix_web::ResponseError::error_response(&e))?;
    let request = grant_http::oauth::authorization_request(&params);
    let policy = policy(&server);
    let tenant = state.tenant().to_buf();
    let mode = Mode::parse(params.get("response_mode"), MODES);
    let checked = engine(state, move |conn| {
        authorization::check_request(conn, &tenant, request, policy)
    })
    .await;
    let checked = match checked {
        Ok(c) => c,
        Err(Outcome::Refused(r)) if r.is_page() => return Err(error_page(&r)),
        Err(Outcome::Refused(r)) => {
            return Err(deliver_refusal(
                mode.unwrap_or(Mode::Query),
                &grant_http::oauth::authorization_request(&params),
                &r,
            ));
        }
        Err(o) => return Err(failed(o)),
    };
    let Some(mode) = mode else {
        let r = &grant_http::oauth::authorization_request(&params);
        let mut out = vec![
            ("error", "unsupported_response_mode".to_owned()),
            (
                "error_description",
                "The response mode is not supported by the authorization server.".to_owned(),
            ),
        ];
        if let Some(s) = &r.state {
            out.push(("state", s.clone()));
        }
        return Err(deliver(Mode::Query, &r.redirect_uri, out));
    };
    let issuer = issuer(req, state, &server);
    Ok(Checked {
        params,
        mode,
        checked,
        server,
        issuer,
    })
}

/// The signed-in user: from a one-time `sessionToken` (which starts a cookie session, the
/// cookie returned to set) or the `sid` cookie.
async fn signed_in(
    req: &HttpRequest,
    state: &State,
    params: &Params,
) -> Result<(Option<SignedIn>, Option<String>), HttpResponse> {
    let tenant = state.tenant().to_buf();
    if let Some(token) = params.value("sessionToken").map(str::to_owned) {
        return match engine(state, move |conn| {
            authorization::redeem_session_token(conn, &tenant, &token)
        })
        .await
        {
            Ok(Some((user, cookie))) => Ok((Some(user), Some(cookie))),
            Ok(None) => Ok((None, None)),
            Err(o) => Err(failed(o)),
        };
    }
    let Some(sid) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok((None, None));
    };
    match engine(state, move |conn| {
        authorization::session_user(conn, &tenant, &sid)
    })
    .await
    {
        Ok(user) => Ok((user, None)),
        Err(o) => Err(failed(o)),
    }
}

/// `GET|POST /oauth2[/{asId}]/v1/authorize` (POST: form parameters, none in the query).
pub async fn authorize(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let raw = grant_http::oauth::authorize_params_text(&req, &body);
    let c = match check(&req, &state, &raw).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let (none, ask_again) = prompts(&c.params);
    let (user, new_session) = match signed_in(&req, &state, &c.params).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let mut res = match user {
        None if none => deliver_refusal(c.mode, &c.checked.request, &Refusal::LoginRequired),
        None => to_login(&req, &raw),
        Some(user) => proceed(&req, &state, &c, &raw, &user, none, ask_again).await,
    };
    if let Some(sid) = new_session {
        let _ = res.add_cookie(&cookie(&req, &state, SESSION_COOKIE, sid));
    }
    res
}

/// A signed-in user's request: the consent page when consent is needed, else a code.
async fn proceed(
    req: &HttpRequest,
    state: &State,
    c: &Checked,
    raw: &str,
    user: &SignedIn,
    none: bool,
    ask_again: bool,
) -> HttpResponse {
    let needed = match needed_consent(state, c, user, ask_again).await {
        Ok(n) => n,
        Err(o) => return failed(o),
    };
    if needed.is_empty() {
        return issue_code(state, c, user, Vec::new()).await;
    }
    if none {
        return deliver_refusal(
            c.mode,
            &c.checked.request,
            &Refusal::ConsentRequired(needed),
        );
    }
    let (csrf, new_csrf) = csrf_of(req, CSRF_COOKIE);
    let action = authorize_uri(req, "")
        .trim_end_matches('?')
        .strip_suffix("/authorize")
        .map(|p| format!("{p}/consent"))
        .unwrap_or_default();
    let client = &c.checked.client;
    let name = if client.name.is_empty() {
        &client.id
    } else {
        &client.name
    };
    let mut res = html(
        StatusCode::OK,
        pages::consent(&action, raw, &csrf, name, &user.user.login, &needed),
    );
    if new_csrf {
        let _ = res.add_cookie(&cookie(req, state, CSRF_COOKIE, csrf));
    }
    res
}

/// The scopes the signed-in user still has to consent to for this request.
async fn needed_consent(
    state: &State,
    c: &Checked,
    user: &SignedIn,
    ask_again: bool,
) -> Result<Vec<String>, Outcome> {
    let tenant = state.tenant().to_buf();
    let (checked, user_id, issuer, policy) = (
        c.checked.clone(),
        user.user.id.clone(),
        c.issuer.clone(),
        policy(&c.server),
    );
    engine(state, move |conn| {
        authorization::scopes_needing_consent(
            conn,
            &tenant,
            &checked,
            UserId::new(&user_id),
            &issuer,
            policy,
            ask_again,
        )
    })
    .await
}

async fn issue_code(
    state: &State,
    c: &Checked,
    user: &SignedIn,
    consented: Vec<String>,
) -> HttpResponse {
    let tenant = state.tenant().to_buf();
    let (checked, server_id, issuer, user2, policy) = (
        c.checked.clone(),
        c.server.id.clone(),
        c.issuer.clone(),
        user.clone(),
        policy(&c.server),
    );
    let code = engine(state, move |conn| {
        authorization::approve(
            conn,
            &tenant,
            &Approval {
                checked: &checked,
                server_id: &server_id,
                issuer: &issuer,
                signed_in: &user2,
                consented,
                policy,
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
            deliver(c.mode, &c.checked.request.redirect_uri, params)
        }
        Err(Outcome::Refused(r)) => deliver_refusal(c.mode, &c.checked.request, &r),
        Err(o) => failed(o),
    }
}

/// `POST …/v1/consent`: the consent page's answer.
pub async fn consent(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let Some(form) = std::str::from_utf8(&body).ok().and_then(Params::parse) else {
        return error_page(&Refusal::MissingParameter("request"));
    };
    if !csrf_matches(&req, CSRF_COOKIE, &form, "csrf_token") {
        return html(
            StatusCode::FORBIDDEN,
            pages::error(
                "invalid_request",
                "The form has expired. Go back and try again.",
            ),
        );
    }
    let raw = form.get("request").unwrap_or("").to_owned();
    let c = match check(&req, &state, &raw).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let (user, _) = match signed_in(&req, &state, &Params::default()).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let Some(user) = user else {
        return to_login(&req, &raw);
    };
    if form.get("decision") != Some("allow") {
        return deliver_refusal(c.mode, &c.checked.request, &Refusal::AccessDenied);
    }
    let (_, ask_again) = prompts(&c.params);
    match needed_consent(&state, &c, &user, ask_again).await {
        Ok(needed) => issue_code(&state, &c, &user, needed).await,
        Err(o) => failed(o),
    }
}

/// Where sign-in may return: a path of this gateway's authorization servers only.
fn safe_from_uri(from: &str) -> Option<&str> {
    // A path (never `//host` or a scheme) under `/oauth2/`; its query may hold any URL.
    (from.starts_with("/oauth2/") && !from[..from.find('?').unwrap_or(from.len())].contains('\\'))
        .then_some(from)
}

/// `GET /login/login.htm?fromURI=…`: the hosted sign-in page.
pub async fn login_page(req: HttpRequest, state: State) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let from = params.get("fromURI").and_then(safe_from_uri).unwrap_or("");
    let (csrf, new_csrf) = csrf_of(&req, CSRF_COOKIE);
    let mut res = html(StatusCode::OK, pages::login(from, &csrf, false, ""));
    if new_csrf {
        let _ = res.add_cookie(&cookie(&req, &state, CSRF_COOKIE, csrf));
    }
    res
}

/// `POST /login/login.htm`: checks the password, starts the session (`sid`) and returns
/// to `fromURI`; a failure shows the page again with 401.
pub async fn login_submit(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let form = std::str::from_utf8(&body)
        .ok()
        .and_then(Params::parse)
        .unwrap_or_default();
    let from = form
        .get("fromURI")
        .and_then(safe_from_uri)
        .unwrap_or("")
        .to_owned();
    let username = form.get("username").unwrap_or("").to_owned();
    if !csrf_matches(&req, CSRF_COOKIE, &form, "csrf_token") {
        return html(
            StatusCode::FORBIDDEN,
            pages::error(
                "invalid_request",
                "The form has expired. Go back and try again.",
            ),
        );
    }
    let password = SecretString::from(form.get("password").unwrap_or("").to_owned());
    let source = client_ip(&req, &state.config.server);
    let result = authorization::sign_in_with_password(
        &state.store,
        &state.passwords,
        state.tenant(),
        &grant_core::model::Face::Okta,
        &username,
        password,
        &source,
        SessionKind::Cookie,
    )
    .await;
    match result {
        Ok((_, sid, _)) => {
            let target = if from.is_empty() {
                "/".to_owned()
            } else {
                from
            };
            let mut res = vendor_rendered(
                HttpResponse::Found()
                    .insert_header((header::LOCATION, target))
                    .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
                    .finish(),
            );
            let _ = res.add_cookie(&cookie(&req, &state, SESSION_COOKIE, sid));
            res
        }
        Err(CoreError::Unauthenticated) => {
            let (csrf, _) = csrf_of(&req, CSRF_COOKIE);
            html(
                StatusCode::UNAUTHORIZED,
                pages::login(&from, &csrf, true, &username),
            )
        }
        Err(e) => failed(e.into()),
    }
}

/// `GET|POST …/v1/logout`: ends the session; with `post_logout_redirect_uri` (registered
/// for the client the `id_token_hint` was issued to) the browser goes there with `state`.
pub async fn logout(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let raw = if body.is_empty() {
        req.query_string().to_owned()
    } else {
        String::from_utf8_lossy(&body).into_owned()
    };
    let params = Params::parse(&raw).unwrap_or_default();
    let server = super::server_id(&req);
    let hint = params.value("id_token_hint").map(str::to_owned);
    let target = params.value("post_logout_redirect_uri").map(str::to_owned);
    let sid = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let st = state.clone();
    let checked_target = engine(&state, move |conn| {
        let tenant = st.tenant().to_buf();
        if let Some(sid) = &sid {
            authorization::end_session(conn, sid)?;
        }
        let Some(target) = target else {
            return Ok(Ok(None));
        };
        let client = match &hint {
            Some(h) => st
                .vendor
                .signer
                .verify(conn, &tenant, &server, h)?
                .and_then(|c| c.get("aud").and_then(|a| a.as_str()).map(str::to_owned)),
            None => None,
        };
        let Some(client) = client else {
            return Ok(Err("The 'id_token_hint' parameter is required and must be an ID token issued by this authorization server."));
        };
        if authorization::post_logout_uri_registered(conn, &tenant, ClientId::new(&client), &target)? {
            Ok(Ok(Some(target)))
        } else {
            Ok(Err("The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings."))
        }
    })
    .await;
    let mut res = match checked_target {
        Ok(Ok(Some(target))) => {
            let mut params = Vec::new();
            if let Some(s) = params_state(&raw) {
                params.push(("state", s));
            }
            deliver(Mode::Query, &target, params)
        }
        Ok(Ok(None)) => vendor_rendered(
            HttpResponse::Found()
                .insert_header((header::LOCATION, "/login/login.htm"))
                .finish(),
        ),
        Ok(Err(description)) => html(
            StatusCode::BAD_REQUEST,
            pages::error("invalid_request", description),
        ),
        Err(o) => failed(o),
    };
    let mut gone = cookie(&req, &state, SESSION_COOKIE, String::new());
    gone.make_removal();
    let _ = res.add_cookie(&gone);
    res
}

fn params_state(raw: &str) -> Option<String> {
    Params::parse(raw)?.value("state").map(str::to_owned)
}
