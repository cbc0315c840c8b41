//! PingFederate's runtime-API authentication: HTTP Basic, validated by grant-core's password
//! login against the `password` credentials registered as users of the configured PCV
//! (face `pingfed:<pcv_name>`, or `pingfed`), then the `X-XSRF-HEADER` rule (any value, checked after
//! authentication so an unauthenticated caller sees 401 first).

use actix_web::{HttpMessage, HttpRequest};
use grant_core::CoreError;
use grant_core::model::{Credential, Face};
use grant_core::service::credentials;
use grant_http::{ApiError, Presented, client_ip, header_text};

use crate::State;
use crate::runtime_log::ApiUser;

/// The message of a 401 when no Basic credentials came (none, or another scheme).
pub const BASIC_REQUIRED: &str = "HTTP Basic authentication is required";
pub const INVALID_CREDENTIALS: &str = "Invalid credentials";
pub const XSRF_HEADER: &str = "x-xsrf-header";

/// The authenticated caller: a user of the PCV.
#[derive(Debug, Clone)]
pub struct PingFedCaller {
    pub username: String,
    pub credential: Credential,
}

/// A handler's caller (authenticated once per request by grant-http's extractor).
pub type Caller = grant_http::Principal<crate::PingFed>;

impl PingFedCaller {
    /// Who the audit log names: the PCV and the user (never the password).
    pub fn actor(&self, pcv_name: &str) -> String {
        format!("pingfed:pcv:{pcv_name}:{}", self.username)
    }
}

fn invalid() -> ApiError {
    ApiError::InvalidCredentials {
        reason: INVALID_CREDENTIALS.into(),
    }
}

fn basic_required() -> ApiError {
    ApiError::InvalidCredentials {
        reason: BASIC_REQUIRED.into(),
    }
}

fn log_as(req: &HttpRequest, name: &str, authtype: &str) {
    req.extensions_mut().insert(ApiUser {
        name: name.to_owned(),
        authtype: authtype.to_owned(),
    });
}

/// `Vendor::authenticate` for PingFederate: HTTP Basic of a user of the configured PCV (the
/// runtime-api.log learns the user and scheme), then the `X-XSRF-HEADER` rule.
pub async fn authenticate(
    req: HttpRequest,
    state: State,
    presented: Presented,
) -> Result<PingFedCaller, ApiError> {
    let (username, password) = match presented {
        Presented::Basic { username, password } => (username, password),
        Presented::Missing => return Err(basic_required()),
        Presented::Malformed => {
            let basic = header_text(&req, "authorization")
                .ok()
                .flatten()
                .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("basic"));
            if basic {
                log_as(&req, "", "basic");
            }
            return Err(invalid());
        }
        other => {
            log_as(&req, "", other.scheme());
            return Err(basic_required());
        }
    };
    log_as(&req, &username, "basic");
    let face = Face::PingFederate {
        pcv: &state.config.vendor.pcv_name,
    };
    let source = client_ip(&req, &state.config.server);
    let credential = credentials::login_password(
        &state.store,
        &state.passwords,
        state.tenant(),
        &face,
        &username,
        password,
        &source,
    )
    .await
    .map_err(|e| match e {
        CoreError::Unauthenticated => invalid(),
        other => ApiError::from(other),
    })?;
    if !req.headers().contains_key(XSRF_HEADER) {
        return Err(ApiError::Forbidden {
            reason: "X-XSRF-HEADER is required".into(),
        });
    }
    Ok(PingFedCaller {
        username,
        credential,
    })
}
