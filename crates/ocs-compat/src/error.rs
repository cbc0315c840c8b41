//! Every error in OCS's shape: `ErrorResponse {OperationId, Error, Reason, Resolution}` with
//! `Content-Type: application/json` (no charset: the Python library reads the fields only
//! then) and the `Operation-Id` header (added by grant-http) equal to `OperationId`.
//! 401 has no body (`WWW-Authenticate: Bearer`), nor has any answer to HEAD. OAuth errors of
//! the token endpoint keep IdentityServer's own shape (rendered by the handler, marked
//! `grant_http::VendorRendered`).

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use grant_http::{ApiError, RequestId};

use crate::json::ErrorBody;

fn kind_name(kind: &str) -> &str {
    match kind {
        "user" => "User",
        "client" => "Client",
        "tenant" => "Tenant",
        "secret" | "credential" => "Secret",
        "role" => "Role",
        other => other,
    }
}

/// The request's operation id (the same value grant-http puts in `Operation-Id`).
pub fn operation_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

pub fn render(err: &ApiError, req: &HttpRequest) -> HttpResponse {
    let (status, error, reason, resolution): (StatusCode, String, String, &str) = match err {
        ApiError::MissingCredentials | ApiError::InvalidCredentials { .. } => {
            return HttpResponse::Unauthorized()
                .insert_header(("www-authenticate", "Bearer"))
                .finish();
        }
        ApiError::Forbidden { reason } => (
            StatusCode::FORBIDDEN,
            "Forbidden.".into(),
            if reason.is_empty() {
                "The caller does not have the required role for this operation.".into()
            } else {
                reason.clone()
            },
            "Use a client or user with a role allowed to perform this operation.",
        ),
        ApiError::InsufficientScope { scope } => (
            StatusCode::FORBIDDEN,
            "Forbidden.".into(),
            format!("The access token lacks the '{scope}' scope."),
            "Request a token with the required scope.",
        ),
        ApiError::NotFound { kind, id } => (
            StatusCode::NOT_FOUND,
            format!("{} not found.", kind_name(kind)),
            format!("{} with Id '{id}' was not found.", kind_name(kind)),
            "Check the identifier and try again.",
        ),
        ApiError::RouteNotFound => (
            StatusCode::NOT_FOUND,
            "Not found.".into(),
            "The requested resource does not exist.".into(),
            "Check the URL and try again.",
        ),
        ApiError::MethodNotAllowed { .. } => (
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed.".into(),
            format!(
                "The method {} is not supported on this resource.",
                req.method()
            ),
            "Use one of the methods in the Allow header.",
        ),
        ApiError::Invalid { field, reason } => (
            StatusCode::BAD_REQUEST,
            "The request is not valid.".into(),
            format!("{field}: {reason}"),
            "Correct the request and try again.",
        ),
        ApiError::MalformedBody { reason } => (
            StatusCode::BAD_REQUEST,
            "The request is not valid.".into(),
            if reason.is_empty() {
                "The request could not be read.".into()
            } else {
                format!("The request body could not be read: {reason}")
            },
            "Send a valid JSON body and try again.",
        ),
        ApiError::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request is too large.".into(),
            "The request body exceeds the allowed size.".into(),
            "Send a smaller request body.",
        ),
        ApiError::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type.".into(),
            "The Content-Type of the request is not supported.".into(),
            "Send the body as application/json.",
        ),
        ApiError::Conflict { reason } => (
            StatusCode::CONFLICT,
            "Conflict.".into(),
            reason.clone(),
            "Use a different identifier.",
        ),
        ApiError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests.".into(),
            "The request rate limit was exceeded.".into(),
            "Wait and try again.",
        ),
        ApiError::RequestTimeout => (
            StatusCode::REQUEST_TIMEOUT,
            "Request timeout.".into(),
            "The request body was not received in time.".into(),
            "Send the whole request body without pausing.",
        ),
        ApiError::Unavailable | ApiError::StorageUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable.".into(),
            "The service is temporarily unavailable.".into(),
            "Try again later.",
        ),
        ApiError::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error.".into(),
            "An unexpected error occurred.".into(),
            "Try again later. If the problem persists, contact support with the OperationId.",
        ),
    };
    let mut res = HttpResponse::build(status);
    if req.method() == Method::HEAD {
        return res.finish();
    }
    let body = ErrorBody {
        operation_id: operation_id(req),
        error,
        reason,
        resolution: resolution.to_owned(),
    };
    res.content_type("application/json")
        .body(serde_json::to_string(&body).unwrap_or_default())
}
