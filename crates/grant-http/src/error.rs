use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use grant_core::CoreError;

/// Every error a gateway can answer, in vendor-neutral categories. Each vendor renders
/// these in its own exact format (`Vendor::render_error`), including the errors actix
/// raises itself (unknown route, wrong method, bad JSON, body too large).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No credentials were presented.
    MissingCredentials,
    /// Credentials were presented but are not valid (unknown token, wrong password,
    /// wrong scheme…). `reason` is for the vendor's message; never the secret.
    InvalidCredentials {
        reason: String,
    },
    /// Authenticated, but not allowed to do this.
    Forbidden {
        reason: String,
    },
    /// Authenticated with a token lacking the scope the operation needs.
    InsufficientScope {
        scope: String,
    },
    /// A named resource does not exist (or is not visible to the caller).
    NotFound {
        kind: &'static str,
        id: String,
    },
    /// No route matches the path.
    RouteNotFound,
    /// The path exists, the method is not supported on it.
    MethodNotAllowed {
        allow: &'static str,
    },
    /// A parameter or body member is invalid.
    Invalid {
        field: String,
        reason: String,
    },
    /// The body could not be parsed.
    MalformedBody {
        reason: String,
    },
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// The request's Content-Type is not accepted.
    UnsupportedMediaType,
    Conflict {
        reason: String,
    },
    /// Too many requests; `reset_epoch_secs` is when the caller may try again.
    RateLimited {
        limit: u64,
        reset_epoch_secs: i64,
    },
    /// The request body did not arrive within `server.body_read_timeout_secs`; the
    /// connection is closed after the answer.
    RequestTimeout,
    /// The database (or another dependency) is unavailable: retry later.
    Unavailable,
    /// Storage is exhausted or failing (disk or database full, I/O error): nothing can be
    /// written until an operator frees space. Rendered as the vendor's 503.
    StorageUnavailable,
    /// A bug. The cause was logged with the request id; it is never sent.
    Internal,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            id: id.into(),
        }
    }

    /// The status a vendor uses unless it documents otherwise.
    pub fn default_status(&self) -> StatusCode {
        match self {
            Self::MissingCredentials | Self::InvalidCredentials { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } | Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Invalid { .. } | Self::MalformedBody { .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable | Self::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The category actix's own error responses fall into, by status.
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::RouteNotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed { allow: "" },
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNAUTHORIZED => Self::InvalidCredentials {
                reason: String::new(),
            },
            StatusCode::FORBIDDEN => Self::Forbidden {
                reason: String::new(),
            },
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            s if s.is_client_error() => Self::MalformedBody {
                reason: String::new(),
            },
            _ => Self::Internal,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// The response built here is a placeholder: the error middleware replaces it with the
/// vendor's rendering (it finds this `ApiError` on the response).
impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.default_status()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::new(self.default_status())
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { kind, id } => Self::NotFound {
                kind: kind.as_str(),
                id,
            },
            CoreError::Conflict(reason) => Self::Conflict { reason },
            CoreError::Invalid { field, reason } => Self::Invalid { field, reason },
            CoreError::Unauthenticated => Self::InvalidCredentials {
                reason: String::new(),
            },
            CoreError::Forbidden(reason) => Self::Forbidden { reason },
            CoreError::RateLimited { .. } => Self::RateLimited {
                limit: 0,
                reset_epoch_secs: 0,
            },
            CoreError::Unavailable(cause) => {
                log::warn!("unavailable: {cause}");
                Self::Unavailable
            }
            CoreError::StorageFailure(cause) => {
                log::error!("storage failure (disk or database full, or I/O error): {cause}");
                Self::StorageUnavailable
            }
            // The OAuth endpoints word refusals themselves; anywhere else one is a bad request.
            CoreError::Refused(refusal) => Self::Invalid {
                field: "request".into(),
                reason: refusal.error_code().into(),
            },
            CoreError::Internal(cause) => {
                log::error!("internal error: {cause}");
                Self::Internal
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
