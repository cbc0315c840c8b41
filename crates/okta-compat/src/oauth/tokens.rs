//! `/token`, `/introspect`, `/revoke`, `/userinfo`, `/keys` and the discovery documents
//! of Okta's authorization servers.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_core::model::{
    AliasVendor, AuthorizationServer, Issuance, ORG_SERVER, Refusal, RequestPolicy, User,
};
use grant_core::service::authorization::{self, Issued};
use grant_core::service::signing;
use grant_http::{ApiError, client_ip, vendor_rendered};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Outcome, Params, allow_origin, engine, form, issuer, oauth_error, presented_client};
use crate::State;

/// ID tokens live one hour (Okta: fixed).
const ID_TOKEN_LIFETIME_SECS: i64 = 3600;

#[derive(Serialize)]
struct TokenResponse {
    token_type: &'static str,
    expires_in: i64,
    access_token: String,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

fn audience(server: &AuthorizationServer, issuer: &str) -> String {
    if server.audience.is_empty() {
        issuer.to_owned()
    } else {
        server.audience.clone()
    }
}

/// An access token's claims, as Okta's custom servers write them.
fn access_claims(i: &Issuance, issuer: &str, jti: &str) -> Map<String, Value> {
    let json = json!({
        "ver": 1,
        "jti": jti,
        "iss": issuer,
        "aud": audience(&i.server, issuer),
        "iat": i.issued_at.timestamp(),
        "exp": i.access_expires_at.timestamp(),
        "cid": i.client.id,
        "uid": i.user.alias(AliasVendor::Okta),
        "scp": i.scopes,
        "auth_time": i.auth_time.timestamp(),
        "sub": i.user.login,
    });
    match json {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The claims the `profile` and `email` scopes release (ID token and userinfo).
fn profile_claims(user: &User, scopes: &[String], into: &mut Map<String, Value>) {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile") {
        into.insert("name".into(), json!(user.display_name));
        into.insert("preferred_username".into(), json!(user.login));
        if let Some(p) = &user.profile {
            if let Some(g) = &p.given_name {
                into.insert("given_name".into(), json!(g));
            }
            if let Some(f) = &p.surname {
                into.insert("family_name".into(), json!(f));
            }
        }
        into.insert("updated_at".into(), json!(user.created_at.timestamp()));
    }
    if has("email") {
        let email = user
            .profile
            .as_ref()
            .and_then(|p| p.email.clone())
            .unwrap_or_else(|| user.login.clone());
        into.insert("email".into(), json!(email));
        into.insert("email_verified".into(), json!(true));
    }
}

/// An ID token's claims (OIDC Core §2), with `at_hash` of the access token it comes with.
fn id_claims(i: &Issuance, issuer: &str, access_token: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(i.user.alias(AliasVendor::Okta)));
    profile_claims(&i.user, &i.scopes, &mut m);
    m.insert("ver".into(), json!(1));
    m.insert("iss".into(), json!(issuer));
    m.insert("aud".into(), json!(i.client.id));
    m.insert("iat".into(), json!(i.issued_at.timestamp()));
    m.insert(
        "exp".into(),
        json!(i.issued_at.timestamp() + ID_TOKEN_LIFETIME_SECS),
    );
    m.insert(
        "jti".into(),
        json!(format!("ID.{}", crate::json::random_id("", 43))),
    );
    m.insert("amr".into(), json!(["pwd"]));
    m.insert("idp".into(), json!(issuer));
    if let Some(nonce) = &i.nonce {
        m.insert("nonce".into(), json!(nonce));
    }
    m.insert("auth_time".into(), json!(i.auth_time.timestamp()));
    m.insert("at_hash".into(), json!(signing::half_hash(access_token)));
    m
}

/// Signs the tokens of an issuance (on the blocking pool, with the engine's connection).
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
    let access_token = signer.sign(conn, tenant, &i.server.id, &access_claims(i, issuer, &jti))?;
    let id_token = if i.scopes.iter().any(|s| s == "openid") {
        Some(signer.sign(
            conn,
            tenant,
            &i.server.id,
            &id_claims(i, issuer, &access_token),
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        token_type: "Bearer",
        expires_in: (i.access_expires_at - i.issued_at).num_seconds(),
        access_token,
        scope: i.scopes.join(" "),
        refresh_token: issued.refresh_token,
        id_token,
    })
}

/// What a token-type endpoint knows once the client is authenticated.
struct TokenCall {
    server: AuthorizationServer,
    issuer: String,
    params: Params,
    client: grant_core::model::Client,
    origin: Option<String>,
}

/// Reads the form, finds the server and authenticates the client; an `Err` is the
/// response to send.
async fn token_call(
    req: &HttpRequest,
    body: &[u8],
    state: &State,
) -> Result<TokenCall, HttpResponse> {
    let origin = super::trusted_origin(req, state).await;
    let finish = |mut res: HttpResponse| {
        allow_origin(&mut res, origin.as_deref(), false);
        res
    };
    let server = match super::server(req, state).await {
        Ok(s) => s,
        Err(e) => return Err(actix_web::ResponseError::error_response(&e)),
    };
    let params = form(req, body).map_err(finish)?;
    let presented =
        presented_client(req, &params).map_err(|r| finish(super::refusal_response(&r)))?;
    let source = client_ip(req, &state.config.server);
    let client = authorization::authenticate_client(
        &state.store,
        &state.passwords,
        state.tenant(),
        &grant_core::model::Face::Okta,
        presented,
        &source,
    )
    .await
    .map_err(|e| finish(outcome_response(e.into())))?;
    let issuer = issuer(req, state, &server);
    Ok(TokenCall {
        server,
        issuer,
        params,
        client,
        origin,
    })
}

/// A token-type call that names a `token` (introspection, revocation).
async fn token_call_with_token(
    req: &HttpRequest,
    body: &[u8],
    state: &State,
) -> Result<(TokenCall, String), HttpResponse> {
    let call = token_call(req, body, state).await?;
    match call.params.value("token").map(str::to_owned) {
        Some(token) => Ok((call, token)),
        None => {
            let mut res = oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The 'token' parameter is required.",
            );
            allow_origin(&mut res, call.origin.as_deref(), false);
            Err(res)
        }
    }
}

fn outcome_response(o: Outcome) -> HttpResponse {
    match o {
        Outcome::Refused(r) => super::refusal_response(&r),
        Outcome::Failed(e) => actix_web::ResponseError::error_response(&e),
    }
}

/// `POST /oauth2[/{asId}]/v1/token`: `authorization_code` (with PKCE) and
/// `refresh_token`.
pub async fn token(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let call = match token_call(&req, &body, &state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let tenant = state.tenant().to_buf();
    let p = &call.params;
    let grant_type = p.value("grant_type").map(str::to_owned);
    let code = p.value("code").map(str::to_owned);
    let redirect_uri = p.value("redirect_uri").map(str::to_owned);
    let verifier = p.value("code_verifier").map(str::to_owned);
    let refresh_token = p.value("refresh_token").map(str::to_owned);
    let scopes: Option<Vec<String>> = p.value("scope").map(|s| {
        s.split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let TokenCall {
        server,
        issuer,
        client,
        origin,
        ..
    } = call;
    let st = state.clone();
    let result = match grant_type.as_deref() {
        None => Err(Outcome::Refused(Refusal::MissingParameter("grant_type"))),
        Some("authorization_code") => match code {
            None => Err(Outcome::Refused(Refusal::MissingParameter("code"))),
            Some(code) => {
                engine(&state, move |conn| {
                    let issued = authorization::exchange_code(
                        conn,
                        &server,
                        &tenant,
                        &client,
                        &code,
                        redirect_uri.as_deref(),
                        verifier.as_deref(),
                        super::policy(&server),
                    )?;
                    sign_tokens(&st, conn, issued, &issuer)
                })
                .await
            }
        },
        Some("refresh_token") => match refresh_token {
            None => Err(Outcome::Refused(Refusal::MissingParameter("refresh_token"))),
            Some(token) => {
                engine(&state, move |conn| {
                    let issued = authorization::refresh(
                        conn,
                        &server,
                        &tenant,
                        &client,
                        &token,
                        scopes,
                        super::policy(&server),
                    )?;
                    sign_tokens(&st, conn, issued, &issuer)
                })
                .await
            }
        },
        Some(other) => Err(Outcome::Refused(Refusal::UnsupportedGrantType(
            other.to_owned(),
        ))),
    };
    let mut res = match result {
        Ok(body) => vendor_rendered(
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::PRAGMA, "no-cache"))
                .json(body),
        ),
        Err(Outcome::Refused(Refusal::MissingParameter("grant_type"))) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The token request must specify a 'grant_type'. Valid values: [authorization_code, refresh_token]",
        ),
        Err(Outcome::Refused(Refusal::MissingParameter(p))) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("The '{p}' parameter is required."),
        ),
        Err(o) => outcome_response(o),
    };
    allow_origin(&mut res, origin.as_deref(), false);
    res
}

/// The claims of an access token of this server, verified and unexpired.
fn verified_access_token(
    state: &State,
    conn: &mut grant_core::DbConn,
    server: &str,
    token: &str,
) -> grant_core::Result<Option<Map<String, Value>>> {
    state
        .vendor
        .signer
        .verify_access_token(conn, state.tenant(), server, token)
}

/// `POST …/v1/introspect` (RFC 7662): an active access or refresh token's description;
/// anything else exactly `{"active":false}`.
pub async fn introspect(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let (call, token) = match token_call_with_token(&req, &body, &state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let st = state.clone();
    let server = call.server.id.clone();
    let issuer = call.issuer.clone();
    let result = engine(&state, move |conn| {
        let tenant = st.tenant().to_buf();
        if let Some(mut claims) = verified_access_token(&st, conn, &server, &token)? {
            let jti = claims
                .get("jti")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let Some(user) = authorization::access_token_user(conn, &tenant, &server, &jti)? else {
                return Ok(json!({"active": false}));
            };
            let scope = claims
                .remove("scp")
                .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
                .unwrap_or_default()
                .join(" ");
            return Ok(json!({
                "active": true,
                "token_type": "Bearer",
                "scope": scope,
                "client_id": claims.get("cid"),
                "username": user.login,
                "exp": claims.get("exp"),
                "iat": claims.get("iat"),
                "sub": claims.get("sub"),
                "aud": claims.get("aud"),
                "iss": issuer,
                "jti": jti,
                "token_type_hint": null,
                "uid": user.alias(AliasVendor::Okta),
            }));
        }
        match authorization::refresh_token_info(
            conn,
            &tenant,
            &server,
            &token,
            RequestPolicy::default().refresh_leeway_secs,
        )? {
            Some(rt) => Ok(json!({
                "active": true,
                "token_type": "Bearer",
                "scope": rt.scopes.join(" "),
                "client_id": rt.client_id,
                "username": rt.user.login,
                "exp": rt.expires_at.map(|e| e.timestamp()),
                "sub": rt.user.login,
                "uid": rt.user.alias(AliasVendor::Okta),
            })),
            None => Ok(json!({"active": false})),
        }
    })
    .await;
    let mut res = match result {
        Ok(mut body) => {
            if let Some(m) = body.as_object_mut() {
                m.retain(|_, v| !v.is_null());
            }
            vendor_rendered(HttpResponse::Ok().json(body))
        }
        Err(o) => outcome_response(o),
    };
    allow_origin(&mut res, call.origin.as_deref(), false);
    res
}

/// `POST …/v1/revoke` (RFC 7009): 200 with an empty body, also for unknown tokens; a
/// refresh token takes its access tokens with it, an access token goes alone.
pub async fn revoke(req: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
    let (call, token) = match token_call_with_token(&req, &body, &state).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let st = state.clone();
    let server = call.server.id.clone();
    let client = call.client.clone();
    let result = engine(&state, move |conn| {
        authorization::revoke_token(
            conn,
            &st.vendor.signer,
            st.tenant(),
            &server,
            &client,
            &token,
            "cid",
        )
    })
    .await;
    let mut res = match result {
        Ok(()) => vendor_rendered(HttpResponse::Ok().finish()),
        Err(o) => outcome_response(o),
    };
    allow_origin(&mut res, call.origin.as_deref(), false);
    res
}

fn bearer_challenge(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    vendor_rendered(
        HttpResponse::build(status)
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer error=\"{error}\", error_description=\"{description}\""),
            ))
            .finish(),
    )
}

/// `GET|POST …/v1/userinfo`: the claims of the access token's user its scopes release.
pub async fn userinfo(req: HttpRequest, state: State) -> HttpResponse {
    let origin = super::trusted_origin(&req, &state).await;
    let token = grant_http::oauth::bearer_token(&req);
    let server = super::server_id(&req);
    let st = state.clone();
    let result = match token {
        None => Ok(None),
        Some(token) => {
            engine(&state, move |conn| {
                let tenant = st.tenant().to_buf();
                let Some(claims) = verified_access_token(&st, conn, &server, &token)? else {
                    return Ok(None);
                };
                let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("");
                let user = authorization::access_token_user(conn, &tenant, &server, jti)?;
                let scopes: Vec<String> = claims
                    .get("scp")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default();
                Ok(user.map(|u| (u, scopes)))
            })
            .await
        }
    };
    let mut res = match result {
        Ok(None) => bearer_challenge(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The access token is invalid",
        ),
        Ok(Some((_, scopes))) if !scopes.iter().any(|s| s == "openid") => bearer_challenge(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The access token must provide access to at least one of these scopes - profile, email, address or phone",
        ),
        Ok(Some((user, scopes))) => {
            let mut claims = Map::new();
            claims.insert("sub".into(), json!(user.alias(AliasVendor::Okta)));
            profile_claims(&user, &scopes, &mut claims);
            vendor_rendered(HttpResponse::Ok().json(claims))
        }
        Err(o) => outcome_response(o),
    };
    allow_origin(&mut res, origin.as_deref(), false);
    res
}

/// `GET …/v1/keys`: the server's JWKS (its active key, and retired keys still valid).
pub async fn keys(req: HttpRequest, state: State) -> HttpResponse {
    let origin = super::trusted_origin(&req, &state).await;
    let server = match super::server(&req, &state).await {
        Ok(s) => s,
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };
    let st = state.clone();
    let result = engine(&state, move |conn| {
        st.vendor.signer.public_keys(conn, st.tenant(), &server.id)
    })
    .await;
    let mut res = match result {
        Ok(keys) => {
            let keys: Vec<Value> = keys
                .iter()
                .map(|k| json!({"kty": "RSA", "alg": "RS256", "kid": k.kid, "use": "sig", "e": k.e, "n": k.n}))
                .collect();
            vendor_rendered(
                HttpResponse::Ok()
                    .insert_header((header::CACHE_CONTROL, "max-age=3600, must-revalidate"))
                    .json(json!({"keys": keys})),
            )
        }
        Err(o) => outcome_response(o),
    };
    allow_origin(&mut res, origin.as_deref(), false);
    res
}

/// `GET /.well-known/openid-configuration` and the OAuth metadata forms, for the org
/// server and each custom server.
pub async fn discovery(req: HttpRequest, state: State) -> Result<HttpResponse, ApiError> {
    let origin = super::trusted_origin(&req, &state).await;
    let server = super::server(&req, &state).await?;
    let issuer = issuer(&req, &state, &server);
    let base = grant_http::base_url(&req, &state.config.server);
    let endpoints = if server.id == ORG_SERVER {
        format!("{base}/oauth2/v1")
    } else {
        format!("{issuer}/v1")
    };
    let mut scopes = vec![
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ];
    if server.id == ORG_SERVER {
        scopes.push("groups");
    }
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let body = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{endpoints}/authorize"),
        "token_endpoint": format!("{endpoints}/token"),
        "userinfo_endpoint": format!("{endpoints}/userinfo"),
        "registration_endpoint": format!("{base}/oauth2/v1/clients"),
        "jwks_uri": format!("{endpoints}/keys"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post", "okta_post_message"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": auth_methods,
        "claims_supported": [
            "iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce",
            "name", "preferred_username", "given_name", "family_name", "updated_at", "email",
            "email_verified", "at_hash"
        ],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": format!("{endpoints}/introspect"),
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint": format!("{endpoints}/revoke"),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "end_session_endpoint": format!("{endpoints}/logout"),
        "request_parameter_supported": false,
    });
    let mut res = vendor_rendered(HttpResponse::Ok().json(body));
    allow_origin(&mut res, origin.as_deref(), false);
    Ok(res)
}
