//! Every error as pingfed-compat answers it. PingFederate documents statuses only
//! (401, 404, 500); bodies are a small `{"error","error_description"}` object, or nothing
//! when `error_bodies = false`. 401 carries `WWW-Authenticate: Basic realm="…"` (configurable).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use grant_http::{ApiError, AppState};

use crate::PingFed;
use crate::json::ErrorBody;

fn not_found_text(kind: &str) -> &'static str {
    match kind {
        "client" => "Client not found",
        "grant" => "Persistent grant not found",
        _ => "Resource not found",
    }
}

pub fn render(err: &ApiError, _req: &HttpRequest, state: &AppState<PingFed>) -> HttpResponse {
    let (status, code, text): (StatusCode, &'static str, String) = match err {
        ApiError::MissingCredentials => (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            crate::auth::BASIC_REQUIRED.into(),
        ),
        ApiError::InvalidCredentials { reason } => (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            if reason.is_empty() {
                crate::auth::INVALID_CREDENTIALS.into()
            } else {
                reason.clone()
            },
        ),
        ApiError::Forbidden { reason } => (
            StatusCode::FORBIDDEN,
            "forbidden",
            if reason.is_empty() {
                "Forbidden".into()
            } else {
                reason.clone()
            },
        ),
        ApiError::InsufficientScope { .. } => {
            (StatusCode::FORBIDDEN, "forbidden", "Forbidden".into())
        }
        ApiError::NotFound { kind, .. } => (
            StatusCode::NOT_FOUND,
            "not_found",
            not_found_text(kind).into(),
        ),
        ApiError::RouteNotFound => (
            StatusCode::NOT_FOUND,
            "not_found",
            "Resource not found".into(),
        ),
        ApiError::MethodNotAllowed { .. } => (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "HTTP method not allowed".into(),
        ),
        ApiError::Invalid { .. } | ApiError::MalformedBody { .. } => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid request".into(),
        ),
        ApiError::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "Request body too large".into(),
        ),
        ApiError::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Unsupported media type".into(),
        ),
        ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict".into()),
        ApiError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests".into(),
        ),
        ApiError::RequestTimeout => (
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "The request body was not received in time".into(),
        ),
        ApiError::Unavailable | ApiError::StorageUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The service is temporarily unavailable".into(),
        ),
        ApiError::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "An unknown error has occurred".into(),
        ),
    };
    let cfg = &state.config.vendor;
    let mut res = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED && cfg.www_authenticate {
        let realm = cfg.realm.replace(['"', '\\'], "");
        res.insert_header(("www-authenticate", format!("Basic realm=\"{realm}\"")));
    }
    if cfg.error_bodies {
        res.json(ErrorBody {
            error: code,
            error_description: text,
        })
    } else {
        res.finish()
    }
}
