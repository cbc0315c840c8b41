//! Every error as TPP writes it: `{"error", "error_description"}` with lowercase keys.
//! WebSDK: 400 `invalid_request`, 401 `invalid_token` / `insufficient_rights`, 403
//! `insufficient_scope` ("Grant rejected scope '…'."). VEDauth: 400 `invalid_request`,
//! `invalid_grant`, `invalid_scope`, `invalid_client`; 401 `invalid_token` for Verify.

use actix_web::http::StatusCode;
use actix_web::http::header::WWW_AUTHENTICATE;
use actix_web::{HttpRequest, HttpResponse};
use grant_http::ApiError;

use crate::json::{ErrorBody, JSON};

pub const INVALID_TOKEN_DESCRIPTION: &str =
    "The access token is missing, expired, revoked, malformed, or invalid for other reasons";

/// `Invalid{field}` values that name the OAuth error code directly (VEDauth failures).
pub const INVALID_GRANT: &str = "invalid_grant";
pub const INVALID_REQUEST: &str = "invalid_request";

pub fn invalid_grant(description: &str) -> ApiError {
    ApiError::invalid(INVALID_GRANT, description)
}

pub fn invalid_request(description: impl Into<String>) -> ApiError {
    ApiError::invalid(INVALID_REQUEST, description)
}

pub fn render(err: &ApiError, _req: &HttpRequest) -> HttpResponse {
    let (status, code, description): (StatusCode, &'static str, String) = match err {
        ApiError::MissingCredentials | ApiError::InvalidCredentials { .. } => (
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            INVALID_TOKEN_DESCRIPTION.to_owned(),
        ),
        ApiError::Forbidden { reason } => (
            StatusCode::UNAUTHORIZED,
            "insufficient_rights",
            if reason.is_empty() {
                "The underlying user account does not have sufficient permissions for this request"
                    .to_owned()
            } else {
                reason.clone()
            },
        ),
        ApiError::InsufficientScope { scope } => (
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("Grant rejected scope '{scope}'."),
        ),
        ApiError::Invalid { field, reason } => match field.as_str() {
            "scope" => (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                format!("Grant rejected scope '{reason}'."),
            ),
            INVALID_GRANT | "client_id" => {
                (StatusCode::BAD_REQUEST, "invalid_grant", reason.clone())
            }
            INVALID_REQUEST => (StatusCode::BAD_REQUEST, "invalid_request", reason.clone()),
            other => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("{other}: {reason}"),
            ),
        },
        ApiError::NotFound { kind: "client", id } => (
            StatusCode::BAD_REQUEST,
            "invalid_client",
            format!("Client '{id}' is not registered or is disabled"),
        ),
        ApiError::NotFound { kind, id } => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("{kind} '{id}' not found"),
        ),
        ApiError::MalformedBody { .. } => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request body is not valid JSON".to_owned(),
        ),
        ApiError::UnsupportedMediaType => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Unsupported content type".to_owned(),
        ),
        ApiError::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "The request body is too large".to_owned(),
        ),
        ApiError::RouteNotFound => (
            StatusCode::NOT_FOUND,
            "invalid_request",
            "The requested method was not found".to_owned(),
        ),
        ApiError::MethodNotAllowed { .. } => (
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "The HTTP method is not supported by this API method".to_owned(),
        ),
        ApiError::Conflict { reason } => (StatusCode::CONFLICT, "invalid_request", reason.clone()),
        ApiError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "Too many requests".to_owned(),
        ),
        ApiError::RequestTimeout => (
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request",
            "The request body was not received in time".to_owned(),
        ),
        ApiError::Unavailable | ApiError::StorageUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The service is temporarily unavailable, try again later".to_owned(),
        ),
        ApiError::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "An unexpected error occurred".to_owned(),
        ),
    };
    let body = serde_json::to_string(&ErrorBody {
        error: code,
        error_description: description,
    })
    .unwrap_or_default();
    let mut res = HttpResponse::build(status);
    res.content_type(JSON);
    if status == StatusCode::UNAUTHORIZED && code == "invalid_token" {
        res.insert_header((WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""));
    }
    res.body(body)
}
