//! Every error in Okta's shape: `errorCode`, `errorSummary`, `errorLink`, `errorId`,
//! `errorCauses`, with the status Okta uses.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use grant_http::{ApiError, AppState, base_url};

use crate::Okta;
use crate::json::{ErrorBody, ErrorCause, random_id};

/// The Okta type name used in "Resource not found: {id} ({Type})".
fn okta_type(kind: &str) -> &str {
    match kind {
        "user" => "User",
        "grant" => "OAuth2ScopeConsentGrant",
        "client" => "OAuth2Client",
        "authorization_server" => "AuthorizationServer",
        other => other,
    }
}

pub fn render(err: &ApiError, req: &HttpRequest, state: &AppState<Okta>) -> HttpResponse {
    let mut causes = Vec::new();
    let (status, code, summary) = match err {
        ApiError::MissingCredentials => (StatusCode::FORBIDDEN, "E0000005", "Invalid session".to_owned()),
        ApiError::InvalidCredentials { .. } => {
            (StatusCode::UNAUTHORIZED, "E0000011", "Invalid token provided".to_owned())
        }
        ApiError::Forbidden { .. } | ApiError::InsufficientScope { .. } => (
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action".to_owned(),
        ),
        ApiError::NotFound { kind, id } => (
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {id} ({})", okta_type(kind)),
        ),
        ApiError::RouteNotFound => {
            (StatusCode::NOT_FOUND, "E0000008", "The requested path was not found".to_owned())
        }
        ApiError::MethodNotAllowed { .. } => (
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method".to_owned(),
        ),
        ApiError::Invalid { field, reason } => {
            causes.push(ErrorCause { error_summary: format!("{field}: {reason}") });
            (StatusCode::BAD_REQUEST, "E0000001", format!("Api validation failed: {field}"))
        }
        ApiError::MalformedBody { .. } => {
            (StatusCode::BAD_REQUEST, "E0000003", "The request body was not well-formed.".to_owned())
        }
        ApiError::PayloadTooLarge => {
            causes.push(ErrorCause { error_summary: "body: too large".into() });
            (StatusCode::PAYLOAD_TOO_LARGE, "E0000001", "Api validation failed: body".to_owned())
        }
        ApiError::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "E0000021",
            "Bad request.  Accept and/or Content-Type headers likely do not match supported values."
                .to_owned(),
        ),
        ApiError::Conflict { reason } => {
            causes.push(ErrorCause { error_summary: reason.clone() });
            (StatusCode::CONFLICT, "E0000001", "Api validation failed: conflict".to_owned())
        }
        ApiError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.".to_owned(),
        ),
        ApiError::RequestTimeout => {
            causes.push(ErrorCause { error_summary: "body: not received in time".into() });
            (StatusCode::REQUEST_TIMEOUT, "E0000003", "The request body was not well-formed.".to_owned())
        }
        ApiError::StorageUnavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, "E0000010", "Service is in read only mode".to_owned())
        }
        ApiError::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "E0000009",
            "Internal Server Error: the service is temporarily unavailable, try again later".to_owned(),
        ),
        ApiError::Internal => {
            (StatusCode::INTERNAL_SERVER_ERROR, "E0000009", "Internal Server Error".to_owned())
        }
    };
    let mut res = HttpResponse::build(status);
    if let ApiError::InsufficientScope { scope } = err {
        let base = base_url(req, &state.config.server);
        res.insert_header((
            "www-authenticate",
            format!(
                "Bearer authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", \
                 scope=\"{scope}\", error=\"insufficient_scope\", error_description=\"The access \
                 token provided does not contain the required scopes.\", resource=\"{}\"",
                req.path()
            ),
        ));
    }
    res.json(ErrorBody {
        error_code: code,
        error_summary: summary,
        error_link: code,
        error_id: random_id("oae", 25),
        error_causes: causes,
    })
}
