//! Token lifecycle: verify, IsAuthServer, refresh after expiry, revoke.

use grant_core::model::*;
use serde_json::json;
use std::io::{Read, Write};

use crate::common::*;
use grant_http::testing::snapshot;

/// `/Date(<milliseconds since 1970>)/`, the WCF date TPP writes.
fn is_ms_date(s: &str) -> bool {
    s.strip_prefix("/Date(")
        .and_then(|r| r.strip_suffix(")/"))
        .is_some_and(|ms| !ms.is_empty() && ms.chars().all(|c| c.is_ascii_digit()))
}

/// One raw HTTP/1.1 exchange over plain TCP: the status line as sent (reason phrase
/// included), and the body.
fn raw_get(base_url: &str, path: &str, token: &str) -> (String, String) {
    let addr = base_url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status_line = out.lines().next().unwrap_or_default().to_owned();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status_line, body)
}

#[tokio::test]
async fn verify_and_is_auth_server_use_tpp_reason_phrases() {
    let o = tpp_with(config(), false);
    let login = o.login("alice", APP, "certificate:manage").await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let base = o.srv.base_url.clone();
    let t = token.clone();
    let (line, body) =
        tokio::task::spawn_blocking(move || raw_get(&base, "/vedauth/authorize/verify", &t))
            .await
            .unwrap();
    assert_eq!(line, "HTTP/1.1 200 Token is valid");
    let v = json_of(&body);
    // TPP's three spellings of each time: checked for shape, then masked.
    let now = chrono::Utc::now().timestamp();
    let (from, to) = (now - 600, now + 31_536_000 + 600);
    insta::assert_json_snapshot!(v, {
        ".access_issued_on" => snapshot::shape("/Date(ms)/", is_ms_date),
        ".expires" => snapshot::shape("/Date(ms)/", is_ms_date),
        ".grant_issued_on" => snapshot::shape("/Date(ms)/", is_ms_date),
        ".access_issued_on_ISO8601" => snapshot::shape("ISO 8601", snapshot::is_rfc3339),
        ".expires_ISO8601" => snapshot::shape("ISO 8601", snapshot::is_rfc3339),
        ".grant_issued_on_ISO8601" => snapshot::shape("ISO 8601", snapshot::is_rfc3339),
        ".access_issued_on_unix_time" => snapshot::unix_time_between("unix time", from, to),
        ".expires_unix_time" => snapshot::unix_time_between("unix time", from, to),
        ".grant_issued_on_unix_time" => snapshot::unix_time_between("unix time", from, to),
    });
    assert!(body.starts_with(r#"{"access_issued_on":"/Date("#), "{body}");
    assert_eq!(v["application"], APP);
    assert_eq!(v["identity"], ALICE);
    assert_eq!(v["scope"], "certificate:manage");
    assert_eq!(v["valid_for"], 7_776_000);
    assert_eq!(v["expires_unix_time"], login["refresh_until"]);
    let ms = v["access_issued_on"]
        .as_str()
        .unwrap()
        .trim_start_matches("/Date(")
        .trim_end_matches(")/")
        .parse::<i64>()
        .unwrap();
    assert_eq!(v["access_issued_on_unix_time"], (ms + 500) / 1000);
    let iso = chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert_eq!(v["access_issued_on_ISO8601"], iso);

    let base = o.srv.base_url.clone();
    let (line, _) =
        tokio::task::spawn_blocking(move || raw_get(&base, "/vedauth/Authorize/IsAuthServer", ""))
            .await
            .unwrap();
    assert_eq!(line, "HTTP/1.1 202 Venafi Authentication Server");
}

fn expire_access_tokens(o: &Tpp) {
    let mut conn = o.srv.conn();
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    for c in grant_core::store::credentials::list_credentials(&mut conn, None).unwrap() {
        if c.kind == CredentialKind::BearerToken && c.status == CredentialStatus::Active {
            grant_core::store::credentials::set_expiry(&mut conn, &c.tenant_id, &c.id, Some(past))
                .unwrap();
        }
    }
}

#[tokio::test]
async fn refresh_after_the_access_token_expired() {
    let o = tpp();
    let first = o.login("alice", APP, "certificate:manage").await;
    let access = first["access_token"].as_str().unwrap().to_owned();
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    expire_access_tokens(&o);
    let (s, h, b) = o.get("/vedauth/authorize/verify", Some(&access)).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    assert_eq!(h["www-authenticate"], "Bearer error=\"invalid_token\"");
    // Another application's client_id cannot use the refresh token.
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": OTHER_APP, "refresh_token": refresh}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The client_id value being requested with the refresh token does not match the client_id of the access token making the call",
    );
    let (s, h, b) = o
        .post(
            "/vedauth/Authorize/Token",
            None,
            json!({"client_id": APP, "refresh_token": refresh}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_json_headers(&h);
    let second = json_of(&b);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["identity"], ALICE);
    assert_eq!(second["scope"], "certificate:manage");
    assert_eq!(
        second["refresh_until"], first["refresh_until"],
        "refresh does not extend the grant"
    );
    let new_access = second["access_token"].as_str().unwrap();
    let (s, _, b) = o.get("/vedauth/authorize/verify", Some(new_access)).await;
    assert_eq!(s, 200, "{b}");
    // The used refresh token is spent.
    let (s, _, b) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": APP, "refresh_token": refresh}),
        )
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_grant",
        "The refresh token is invalid, expired or revoked",
    );
    let (s, _, b) = o
        .post("/vedauth/authorize/token", None, json!({"client_id": APP}))
        .await;
    assert_error(
        s,
        &b,
        400,
        "invalid_request",
        "The 'refresh_token' parameter is required",
    );
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "token.refreshed")
            .count(),
        1
    );
}

#[tokio::test]
async fn revoke_token_then_verify_and_websdk_are_401() {
    let o = tpp();
    let login = o.login("admin", APP, "admin:delete").await;
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let (s, _, _) = o.get("/vedsdk/SystemStatus/Version", Some(&access)).await;
    assert_eq!(s, 200);
    let (s, h, b) = o.get("/vedauth/Revoke/Token", Some(&access)).await;
    assert_eq!(s, 200, "{b}");
    assert_json_headers(&h);
    assert_eq!(b, "{}");
    let (s, _, b) = o.get("/vedauth/authorize/verify", Some(&access)).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    let (s, _, b) = o
        .post(
            "/vedsdk/oauth/getgrants",
            Some(&access),
            json!({"GranteePrefixedUniversal": ALICE}),
        )
        .await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    let (s, _, _) = o
        .post(
            "/vedauth/authorize/token",
            None,
            json!({"client_id": APP, "refresh_token": refresh}),
        )
        .await;
    assert_eq!(s, 400);
    // Revoking again: the token is no longer known.
    let (s, _, b) = o.get("/vedauth/revoke/token", Some(&access)).await;
    assert_eq!(s, 202, "{b}");
    let (s, _, b) = o.get("/vedauth/revoke/token", None).await;
    assert_error(
        s,
        &b,
        401,
        "invalid_token",
        venafi_compat::error::INVALID_TOKEN_DESCRIPTION,
    );
    let audit = grant_core::store::audit::list_audit(&mut o.srv.conn(), None).unwrap();
    let revoked: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "token.revoked")
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].actor, ADMIN);
}
