//! Thin handlers: authorize, one grant-core call on the blocking pool, project to OCS JSON.

pub mod acc;
pub mod ccc;
pub mod connect;
pub mod discovery;
pub mod persisted_grants;
pub mod secrets;
pub mod token;
pub mod users_roles;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use grant_http::{ApiError, ApiResult};
use serde::Serialize;

use crate::json::normalize_id;

pub const DEFAULT_COUNT: i64 = 100;
pub const MAX_COUNT: i64 = 1000;

/// A path parameter as given (percent-decoded once by actix).
pub fn path_param(req: &HttpRequest, name: &str) -> String {
    req.match_info().get(name).unwrap_or_default().to_owned()
}

/// A JSON response: `Content-Type: application/json` exactly.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> ApiResult<HttpResponse> {
    let text = serde_json::to_string(body).map_err(|e| {
        log::error!("serialize: {e}");
        ApiError::Internal
    })?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(text))
}

/// A JSON list with `Total-Count`.
pub fn list_response(total: i64, body: &impl Serialize) -> ApiResult<HttpResponse> {
    let mut res = json_response(StatusCode::OK, body)?;
    insert_total(&mut res, total);
    Ok(res)
}

/// HEAD answer: status and headers only.
pub fn head_response(total: Option<i64>) -> HttpResponse {
    let mut res = HttpResponse::Ok().finish();
    if let Some(n) = total {
        insert_total(&mut res, n);
    }
    res
}

fn insert_total(res: &mut HttpResponse, total: i64) {
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&total.to_string()) {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("total-count"),
            v,
        );
    }
}

/// `id`, `tag` (repeatable), `skip`, `count` of a collection GET/HEAD; keys in any case;
/// `query` and unknown keys are ignored.
#[derive(Debug, Clone)]
pub struct ListParams {
    pub ids: Vec<String>,
    pub tags: Vec<String>,
    pub skip: i64,
    pub count: i64,
}

pub fn list_params(req: &HttpRequest) -> ApiResult<ListParams> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ApiError::invalid("query", e.to_string()))?
        .into_inner();
    let mut p = ListParams {
        ids: Vec::new(),
        tags: Vec::new(),
        skip: 0,
        count: DEFAULT_COUNT,
    };
    for (key, value) in pairs {
        match key.to_ascii_lowercase().as_str() {
            // Empty or whitespace ids are ignored (documented).
            "id" if !value.trim().is_empty() => p.ids.push(normalize_id(value.trim())),
            "tag" if !value.is_empty() => p.tags.push(value),
            "skip" => {
                p.skip = value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| ApiError::invalid("skip", "must be an integer of 0 or more"))?;
            }
            "count" => {
                p.count = value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=MAX_COUNT).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "count",
                            format!("must be an integer from 1 to {MAX_COUNT}"),
                        )
                    })?;
            }
            _ => {}
        }
    }
    Ok(p)
}
