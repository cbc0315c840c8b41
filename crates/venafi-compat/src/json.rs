//! TPP's wire types. WebSDK bodies use PascalCase keys, VEDauth bodies lowercase keys; in
//! both, keys come in byte-wise alphabetical order (fields are declared in that order) and
//! every instant is a triple: `/Date(ms)/`, ISO 8601 truncated to the second, and Unix
//! seconds rounded to the nearest second.
#![allow(non_snake_case)]

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use grant_core::model::{Grant, ScopeSet};
use serde::{Deserialize, Serialize};

use crate::scope;

/// `Content-Type` of every response (clients only decode JSON when it starts with
/// `application/json`).
pub const JSON: &str = "application/json; charset=utf-8";

/// An instant as .NET's JavaScriptSerializer writes it: `/Date(1668623132853)/`.
pub fn net_date(t: DateTime<Utc>) -> String {
    format!("/Date({})/", t.timestamp_millis())
}

/// ISO 8601 UTC, fraction truncated: `2022-11-16T18:25:32Z`.
pub fn iso8601(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Unix seconds rounded to the nearest second (…132853 ms → …133).
pub fn unix_rounded(t: DateTime<Utc>) -> i64 {
    (t.timestamp_millis() + 500).div_euclid(1000)
}

/// Expiry shown for a grant that never expires: .NET's `DateTime.MaxValue`, to the second.
pub fn never() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(253_402_300_799_000).unwrap_or_default()
}

/// A JSON response with TPP's content type, status and (optionally) reason phrase.
pub fn respond<T: Serialize>(
    status: StatusCode,
    reason: Option<&'static str>,
    body: &T,
) -> HttpResponse {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut res = HttpResponse::build(status).content_type(JSON).body(text);
    if let Some(reason) = reason {
        res.head_mut().reason = Some(reason);
    }
    res
}

pub fn ok<T: Serialize>(body: &T) -> HttpResponse {
    respond(StatusCode::OK, None, body)
}

#[derive(Debug, Serialize)]
pub struct ScopeEntry {
    pub RestrictionList: Vec<String>,
    pub Scope: String,
}

#[derive(Debug, Serialize)]
pub struct ScopeWire {
    pub ScopeList: Vec<ScopeEntry>,
}

impl From<&ScopeSet> for ScopeWire {
    fn from(set: &ScopeSet) -> Self {
        Self {
            ScopeList: scope::canonical(set.clone())
                .0
                .into_iter()
                .map(|s| ScopeEntry {
                    RestrictionList: s.restrictions,
                    Scope: s.name,
                })
                .collect(),
        }
    }
}

/// One grant as GetGrants / EnumerateGrants show it.
#[derive(Debug, Serialize)]
pub struct GrantWire {
    pub AccessIssuedOn: String,
    pub AccessIssuedOnISO8601: String,
    pub AccessIssuedOnUnixTime: i64,
    pub Application: String,
    pub Expires: String,
    pub ExpiresISO8601: String,
    pub ExpiresUnixTime: i64,
    pub GrantIssuedOn: String,
    pub GrantIssuedOnISO8601: String,
    pub GrantIssuedOnUnixTime: i64,
    pub GranteePrefixedUniversal: String,
    pub Scope: ScopeWire,
    pub ValidFor: i64,
}

impl GrantWire {
    pub fn new(g: &Grant, grantee: &str) -> Self {
        let access = g.access_issued_at.unwrap_or(g.created_at);
        let expires = g.expires_at.unwrap_or_else(never);
        Self {
            AccessIssuedOn: net_date(access),
            AccessIssuedOnISO8601: iso8601(access),
            AccessIssuedOnUnixTime: unix_rounded(access),
            Application: g.client_id.clone(),
            Expires: net_date(expires),
            ExpiresISO8601: iso8601(expires),
            ExpiresUnixTime: unix_rounded(expires),
            GrantIssuedOn: net_date(g.created_at),
            GrantIssuedOnISO8601: iso8601(g.created_at),
            GrantIssuedOnUnixTime: unix_rounded(g.created_at),
            GranteePrefixedUniversal: grantee.to_owned(),
            Scope: ScopeWire::from(&g.scopes),
            ValidFor: g.valid_for.unwrap_or(0),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct GrantsResponse {
    pub Grants: Vec<GrantWire>,
    pub Result: i32,
    pub Success: bool,
}

#[derive(Debug, Serialize)]
pub struct CountResponse {
    pub Count: i64,
    pub Result: i32,
    pub Success: bool,
}

#[derive(Debug, Serialize)]
pub struct ResultResponse {
    pub Result: i32,
    pub Success: bool,
}

impl ResultResponse {
    pub fn new(result: i32) -> Self {
        Self {
            Result: result,
            Success: result == RESULT_SUCCESS,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct VersionResponse {
    pub Version: String,
}

/// OAuth result codes (`Result` in 200 bodies).
pub const RESULT_SUCCESS: i32 = 0;
pub const RESULT_APPLICATION_NOT_FOUND: i32 = 2;

/// Body of the grant calls; unknown members are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GrantsRequest {
    pub GranteePrefixedUniversal: Option<String>,
    pub ApplicationId: Option<String>,
    /// Numbers, or numeric strings (pyvenafi types `Start` as a string).
    pub Start: Option<serde_json::Value>,
    pub Count: Option<serde_json::Value>,
}

/// A paging member as a non-negative integer: absent or null is None; anything else that
/// is not a non-negative integer (or such a string) is an error.
pub fn paging(v: &Option<serde_json::Value>) -> Result<Option<usize>, grant_http::ApiError> {
    let bad = || crate::error::invalid_request("Start and Count must be non-negative integers");
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_u64().map(|n| Some(n as usize)).ok_or_else(bad),
        Some(serde_json::Value::String(s)) => {
            s.trim().parse::<usize>().map(Some).map_err(|_| bad())
        }
        Some(_) => Err(bad()),
    }
}

/// `POST /vedauth/Authorize/OAuth` body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthorizeRequest {
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
}

/// `POST /vedauth/Authorize/Token` body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RefreshRequest {
    pub client_id: Option<String>,
    pub refresh_token: Option<String>,
}

/// Authorize/OAuth and Authorize/Token response.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires: i64,
    pub expires_in: i64,
    pub identity: String,
    pub refresh_token: String,
    pub refresh_until: i64,
    pub scope: String,
    pub token_type: &'static str,
}

/// Authorize/Verify response.
#[derive(Debug, Serialize)]
pub struct VerifyResponse {
    pub access_issued_on: String,
    pub access_issued_on_ISO8601: String,
    pub access_issued_on_unix_time: i64,
    pub application: String,
    pub expires: String,
    pub expires_ISO8601: String,
    pub expires_unix_time: i64,
    pub grant_issued_on: String,
    pub grant_issued_on_ISO8601: String,
    pub grant_issued_on_unix_time: i64,
    pub identity: String,
    pub scope: String,
    pub valid_for: i64,
}

impl VerifyResponse {
    pub fn new(g: &Grant, identity: &str) -> Self {
        let w = GrantWire::new(g, identity);
        Self {
            access_issued_on: w.AccessIssuedOn,
            access_issued_on_ISO8601: w.AccessIssuedOnISO8601,
            access_issued_on_unix_time: w.AccessIssuedOnUnixTime,
            application: w.Application,
            expires: w.Expires,
            expires_ISO8601: w.ExpiresISO8601,
            expires_unix_time: w.ExpiresUnixTime,
            grant_issued_on: w.GrantIssuedOn,
            grant_issued_on_ISO8601: w.GrantIssuedOnISO8601,
            grant_issued_on_unix_time: w.GrantIssuedOnUnixTime,
            identity: identity.to_owned(),
            scope: scope::format(&g.scopes),
            valid_for: w.ValidFor,
        }
    }
}

/// Every error body: `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub error_description: String,
}

/// Parses a JSON body whatever its Content-Type (clients differ); an empty body is `{}`.
pub fn parse_body<T: for<'de> Deserialize<'de> + Default>(
    body: &[u8],
) -> Result<T, grant_http::ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| grant_http::ApiError::MalformedBody {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_triple_truncates_iso_and_rounds_unix() {
        let t = DateTime::from_timestamp_millis(1_668_623_132_853).unwrap_or_default();
        assert_eq!(net_date(t), "/Date(1668623132853)/");
        assert_eq!(iso8601(t), "2022-11-16T18:25:32Z");
        assert_eq!(unix_rounded(t), 1_668_623_133);
        let t = DateTime::from_timestamp_millis(1_668_623_132_499).unwrap_or_default();
        assert_eq!(unix_rounded(t), 1_668_623_132);
    }
}
