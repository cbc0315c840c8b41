//! `GET /vedsdk/SystemStatus/Version`: clients call it right after login.

use actix_web::HttpResponse;
use grant_http::ApiResult;

use crate::State;
use crate::auth::Caller;
use crate::json::{VersionResponse, ok};

pub async fn version(state: State, _caller: Caller) -> ApiResult<HttpResponse> {
    Ok(ok(&VersionResponse {
        Version: state.config.vendor.version.clone(),
    }))
}
