//! What every face's OAuth endpoints share over HTTP: form and query parameters, how a
//! client presents itself at a token endpoint, delivering an authorization response
//! (`query`, `fragment`, `form_post`), the browser session and CSRF cookies, CORS for
//! trusted origins, and running engine work off the async workers with refusals kept
//! apart. Each face words refusals and renders its pages as its vendor does.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use grant_core::model::{ClientAuth, Refusal, TenantId, TokenAuthMethod};
use grant_core::service::authorization::{self, PresentedClient};
use grant_core::{CoreError, DbConn, Store};
use subtle::ConstantTimeEq as _;

use crate::{ApiError, ServerConfig, base_url, header_str, run_db, vendor_rendered};

/// Why engine work did not succeed: a protocol refusal the face words, or a failure the
/// gateway renders as any other error.
#[derive(Debug)]
pub enum Outcome {
    Refused(Refusal),
    Failed(ApiError),
}

impl From<CoreError> for Outcome {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Refused(r) => Outcome::Refused(r),
            e => Outcome::Failed(e.into()),
        }
    }
}

impl From<ApiError> for Outcome {
    fn from(e: ApiError) -> Self {
        Outcome::Failed(e)
    }
}

/// Runs engine work on the blocking pool with a pooled connection, keeping a refusal
/// apart from other failures.
pub async fn engine<T, F>(store: &Store, f: F) -> Result<T, Outcome>
where
    F: FnOnce(&mut DbConn) -> grant_core::Result<T> + Send + 'static,
    T: Send + 'static,
{
    store.with_conn(f).await.map_err(Outcome::from)
}

/// A form body or query string as name/value pairs, order kept.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(text: &str) -> Option<Self> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(text)
            .ok()
            .map(Params)
    }

    /// The parameters of a request body (`None`: not UTF-8 or not a form).
    pub fn of_body(body: &[u8]) -> Option<Self> {
        std::str::from_utf8(body).ok().and_then(Self::parse)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A non-empty value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The first name given more than once.
    pub fn repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(i, (k, _))| self.0[..*i].iter().any(|(seen, _)| seen == k))
            .map(|(_, (k, _))| k.as_str())
    }

    /// Space-separated scopes of `name`.
    pub fn scopes(&self, name: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// The parameters of an `/authorize` request as sent: the query of a GET, the form body of
/// a POST (OIDC Core §3.1.2.1 allows both).
pub fn authorize_params_text(req: &HttpRequest, body: &[u8]) -> String {
    if req.method() == actix_web::http::Method::POST {
        String::from_utf8_lossy(body).into_owned()
    } else {
        req.query_string().to_owned()
    }
}

/// The authorization request `/authorize` parameters make (a face's own extensions, such
/// as `sessionToken` or `acr_values`, are read by the face).
pub fn authorization_request(params: &Params) -> grant_core::model::AuthorizationRequest {
    let owned = |n: &str| params.value(n).map(str::to_owned);
    grant_core::model::AuthorizationRequest {
        client_id: params.get("client_id").unwrap_or("").to_owned(),
        redirect_uri: params.get("redirect_uri").unwrap_or("").to_owned(),
        response_type: params.get("response_type").unwrap_or("").to_owned(),
        scopes: params.scopes("scope"),
        state: owned("state"),
        nonce: owned("nonce"),
        code_challenge: owned("code_challenge"),
        code_challenge_method: owned("code_challenge_method"),
    }
}

/// Why a token-type request's body is not a usable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// Not `application/x-www-form-urlencoded`.
    NotForm,
    /// Not UTF-8, or not a form.
    Malformed,
    /// A parameter given more than once (RFC 6749 §3.1).
    Repeated,
}

/// The form body of a token-type endpoint.
pub fn form(req: &HttpRequest, body: &[u8]) -> Result<Params, FormError> {
    let content_type = header_str(req, "content-type").unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(FormError::NotForm);
    }
    let params = Params::of_body(body).ok_or(FormError::Malformed)?;
    if params.repeated().is_some() {
        return Err(FormError::Repeated);
    }
    Ok(params)
}

fn form_decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map(|(_, v)| v)
        .unwrap_or_else(|| s.to_owned())
}

/// How the client presented itself: HTTP Basic (`id:secret`, each form-encoded, RFC 6749
/// §2.3.1; `base64(id)` alone for a public client, as okta-auth-js sends it), or
/// `client_id` / `client_secret` in the form; a secret in both places is refused.
pub fn presented_client(req: &HttpRequest, form: &Params) -> Result<PresentedClient, Refusal> {
    let basic = header_str(req, "authorization").and_then(|h| {
        let (scheme, rest) = h.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("basic")
            .then(|| rest.trim().to_owned())
    });
    let form_id = form.value("client_id");
    let form_secret = form.value("client_secret");
    if let Some(encoded) = basic {
        if form_secret.is_some() {
            return Err(Refusal::MultipleClientCredentials);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(Refusal::ClientAuthenticationFailed)?;
        let (id, secret) = match decoded.split_once(':') {
            Some((id, secret)) => (form_decode(id), Some(form_decode(secret))),
            None => (decoded, None),
        };
        if form_id.is_some_and(|f| f != id) {
            return Err(Refusal::MultipleClientCredentials);
        }
        let secret = secret.filter(|s| !s.is_empty());
        let method = if secret.is_some() {
            TokenAuthMethod::ClientSecretBasic
        } else {
            TokenAuthMethod::None
        };
        return Ok(PresentedClient {
            auth: ClientAuth {
                client_id: id,
                secret,
            },
            method,
        });
    }
    let id = form_id.ok_or(Refusal::NoClientCredentials)?;
    Ok(PresentedClient {
        auth: ClientAuth {
            client_id: id.to_owned(),
            secret: form_secret.map(str::to_owned),
        },
        method: if form_secret.is_some() {
            TokenAuthMethod::ClientSecretPost
        } else {
            TokenAuthMethod::None
        },
    })
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(uri: &str) -> &str {
    let Some(start) = uri.find("://").map(|i| i + 3) else {
        return uri;
    };
    let end = uri[start..]
        .find(['/', '?', '#'])
        .map(|i| start + i)
        .unwrap_or(uri.len());
    &uri[..end]
}

/// How an authorization response travels back to the client (`response_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
    /// Okta's `okta_post_message`: rendered by the Okta face.
    PostMessage,
}

impl ResponseMode {
    /// `response_mode` among the ones a vendor offers (`query` when absent).
    pub fn parse(value: Option<&str>, offered: &[ResponseMode]) -> Option<Self> {
        let mode = match value {
            None | Some("query") => ResponseMode::Query,
            Some("fragment") => ResponseMode::Fragment,
            Some("form_post") => ResponseMode::FormPost,
            Some("okta_post_message") => ResponseMode::PostMessage,
            Some(_) => return None,
        };
        offered.contains(&mode).then_some(mode)
    }
}

/// An HTML page, passed through as rendered, never cached.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    vendor_rendered(
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
            .insert_header(("x-frame-options", "DENY"))
            .body(body),
    )
}

/// A redirect, passed through as rendered.
pub fn redirect(location: &str) -> HttpResponse {
    vendor_rendered(
        HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
            .finish(),
    )
}

/// The authorization response delivered to the redirect URI: a 302 with the parameters in
/// the query or the fragment, or a page that posts them (`form_post`). `PostMessage` is
/// the Okta face's own and falls back to the query here.
pub fn deliver(mode: ResponseMode, redirect_uri: &str, params: &[(&str, String)]) -> HttpResponse {
    if mode == ResponseMode::FormPost {
        return html(StatusCode::OK, form_post_page(redirect_uri, params));
    }
    let encoded = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if encoded.is_empty() {
        ""
    } else if mode == ResponseMode::Fragment {
        "#"
    } else if redirect_uri.contains('?') {
        "&"
    } else {
        "?"
    };
    vendor_rendered(
        HttpResponse::Found()
            .insert_header((header::LOCATION, format!("{redirect_uri}{sep}{encoded}")))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
            .finish(),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `response_mode=form_post` (OAuth 2.0 Form Post Response Mode): a page that posts the
/// parameters to the redirect URI.
fn form_post_page(redirect_uri: &str, params: &[(&str, String)]) -> String {
    let mut inputs = String::new();
    for (name, value) in params {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        ));
    }
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Submit This Form</title></head>\
         <body onload=\"javascript:document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        escape(redirect_uri)
    )
}

/// A cookie of the browser session or its CSRF token: HttpOnly, SameSite=Lax, `Path=/`,
/// Secure when the gateway is addressed over HTTPS.
pub fn session_cookie(
    req: &HttpRequest,
    cfg: &ServerConfig,
    name: &'static str,
    value: String,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(base_url(req, cfg).starts_with("https://"))
        .finish()
}

/// The browser's CSRF token (the value of cookie `name`), or a new one to set.
pub fn csrf_token(req: &HttpRequest, name: &str) -> (String, bool) {
    match req.cookie(name) {
        Some(c) if c.value().len() == 32 => (c.value().to_owned(), false),
        _ => (grant_core::service::ids::random_alnum(32), true),
    }
}

/// Whether the form's `field` carries the browser's CSRF token (double submit), compared
/// in constant time.
pub fn csrf_ok(req: &HttpRequest, cookie: &str, form: &Params, field: &str) -> bool {
    match (req.cookie(cookie), form.get(field)) {
        (Some(c), Some(f)) if !f.is_empty() => c.value().as_bytes().ct_eq(f.as_bytes()).into(),
        _ => false,
    }
}

/// The `Origin` of a browser request, when some client of the tenant (of any tenant when
/// `None`) trusts it (CORS).
pub async fn trusted_origin(
    req: &HttpRequest,
    store: &Store,
    tenant: Option<&TenantId>,
) -> Option<String> {
    let origin = header_str(req, "origin")?.to_owned();
    let tenant = tenant.map(TenantId::to_buf);
    let check = origin.clone();
    run_db(store, move |conn| {
        authorization::origin_trusted(conn, tenant.as_deref(), &check)
    })
    .await
    .ok()
    .filter(|trusted| *trusted)
    .map(|_| origin)
}

/// Adds CORS headers for a trusted origin (`credentials`: cookies may be sent).
pub fn allow_origin(res: &mut HttpResponse, origin: Option<&str>, credentials: bool) {
    let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return;
    };
    let headers = res.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if credentials {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// A CORS preflight's answer: 204, with the allowed methods and headers for a trusted
/// origin and without any CORS header for another (the browser then refuses the call, as
/// ASP.NET Core's CORS middleware leaves it).
pub fn preflight(
    origin: Option<&str>,
    methods: &str,
    headers: &str,
    credentials: bool,
) -> HttpResponse {
    let Some(origin) = origin else {
        return vendor_rendered(HttpResponse::NoContent().finish());
    };
    let mut res = HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, headers))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "3600"))
        .finish();
    allow_origin(&mut res, Some(origin), credentials);
    vendor_rendered(res)
}

/// The bearer token of `Authorization: Bearer …`.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    header_str(req, "authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}
