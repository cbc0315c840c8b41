//! OpenID discovery under `/identity`, every endpoint on our own authority.

use actix_web::{HttpRequest, HttpResponse};
use grant_http::{ApiResult, base_url};
use serde_json::json;

use crate::State;

pub async fn openid_configuration(req: HttpRequest, state: State) -> ApiResult<HttpResponse> {
    let id = format!("{}/identity", base_url(&req, &state.config.server));
    let doc = json!({
        "issuer": id,
        "jwks_uri": format!("{id}/.well-known/openid-configuration/jwks"),
        "authorization_endpoint": format!("{id}/connect/authorize"),
        "token_endpoint": format!("{id}/connect/token"),
        "userinfo_endpoint": format!("{id}/connect/userinfo"),
        "end_session_endpoint": format!("{id}/connect/endsession"),
        "revocation_endpoint": format!("{id}/connect/revocation"),
        "introspection_endpoint": format!("{id}/connect/introspect"),
        "scopes_supported": ["openid", "profile", "email", state.config.vendor.token_scope, "offline_access"],
        "claims_supported": ["sub", "tid", "name", "email", "role_type"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["form_post", "query", "fragment"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["plain", "S256"],
    });
    let origin = grant_http::oauth::trusted_origin(&req, &state.store, None).await;
    let mut res = super::json_response(actix_web::http::StatusCode::OK, &doc)?;
    grant_http::oauth::allow_origin(&mut res, origin.as_deref(), false);
    Ok(res)
}
