//! Helpers of `scripts/bench-okta-token.sh`.
//!   bench_tokens mint DB_URL CLIENT_ID LOGIN REDIRECT_URI CODES CODES_OUT REFRESH REFRESH_OUT
//!     issues CODES authorization codes (PKCE S256 of the verifier `VERIFIER`) for the
//!     user on the `default` server through the engine, and redeems REFRESH more for their
//!     refresh tokens (scope `offline_access`); one per line in each file.
//!   bench_tokens sign N
//!     signs N access-token-sized claims with a fresh 2048-bit key, as the gateway does, then
//!     verifies one N times; prints microseconds per signature and per verification.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::Instant;

use base64::Engine as _;
use grant_core::model::TenantId;
use grant_core::model::{AuthorizationRequest, RequestPolicy, SignedIn, UserKey, now};
use grant_core::service::authorization::{self, Approval};
use grant_core::service::{directory, signing};
use grant_core::{DatabaseConfig, Store};
use sha2::Digest as _;

pub const VERIFIER: &str = "bench-verifier-0123456789-0123456789-0123456789";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("mint") => mint(&args[1..]),
        Some("sign") => sign(args[1].parse().expect("N")),
        _ => panic!("usage: bench_tokens mint … | sign N"),
    }
}

fn mint(a: &[String]) {
    let (db, client, login, redirect) = (&a[0], &a[1], &a[2], &a[3]);
    let (codes, codes_out): (usize, &str) = (a[4].parse().unwrap(), &a[5]);
    let (refresh, refresh_out): (usize, &str) = (a[6].parse().unwrap(), &a[7]);
    let store = Store::connect(&DatabaseConfig {
        url: db.clone(),
        ..DatabaseConfig::default()
    })
    .expect("open database");
    let mut conn = store.conn().unwrap();
    let tenant = "default";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()));
    let request = |scope: &str| AuthorizationRequest {
        client_id: client.clone(),
        redirect_uri: redirect.clone(),
        response_type: "code".into(),
        scopes: scope.split(' ').map(str::to_owned).collect(),
        state: Some("bench".into()),
        nonce: None,
        code_challenge: Some(challenge.clone()),
        code_challenge_method: Some("S256".into()),
    };
    let policy = RequestPolicy {
        state_required: true,
        allow_plain_pkce: false,
        consent_possible: true,
        ..RequestPolicy::default()
    };
    let user = directory::find_user(&mut conn, TenantId::new(tenant), UserKey::Login, login)
        .unwrap()
        .expect("user");
    let signed_in = SignedIn {
        user,
        auth_time: now(),
    };
    let server = authorization::server(&mut conn, TenantId::new(tenant), "default").unwrap();
    let issue = |conn: &mut grant_core::DbConn, scope: &str| {
        let checked =
            authorization::check_request(conn, TenantId::new(tenant), request(scope), policy)
                .unwrap();
        let approval = Approval {
            checked: &checked,
            server_id: "default",
            issuer: "bench",
            signed_in: &signed_in,
            consented: Vec::new(),
            policy,
            attributes: Vec::new(),
        };
        (
            authorization::approve(conn, TenantId::new(tenant), &approval).unwrap(),
            checked.client,
        )
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(codes_out).unwrap());
    for _ in 0..codes {
        writeln!(
            out,
            "{}",
            issue(&mut conn, "openid profile offline_access").0
        )
        .unwrap();
    }
    out.flush().unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(refresh_out).unwrap());
    for _ in 0..refresh {
        let (code, client) = issue(&mut conn, "offline_access");
        let issued = authorization::exchange_code(
            &mut conn,
            &server,
            TenantId::new(tenant),
            &client,
            &code,
            Some(redirect),
            Some(VERIFIER),
            policy,
        )
        .unwrap();
        writeln!(out, "{}", issued.refresh_token.unwrap()).unwrap();
    }
    out.flush().unwrap();
}

fn sign(n: u32) {
    let db = tempfile_path();
    let store = Store::connect(&DatabaseConfig {
        url: format!("sqlite://{db}"),
        ..DatabaseConfig::default()
    })
    .unwrap();
    let mut conn = store.conn().unwrap();
    directory::create_tenant(&mut conn, Some("t".into()), "t").unwrap();
    let signer = signing::Signer::new();
    let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "ver": 1, "jti": "AT.0123456789abcdefghij0123456789ab", "iss": "http://127.0.0.1:18081/oauth2/default",
        "aud": "api://default", "iat": 1796652401, "exp": 1796656001, "cid": "0oaWebApp00000000001",
        "uid": "00uAlice000000000001", "scp": ["openid", "profile", "offline_access"],
        "auth_time": 1796652396, "sub": "alice@example.com"
    }))
    .unwrap();
    let jwt = signer
        .sign(&mut conn, TenantId::new("t"), "default", &claims)
        .unwrap();
    let start = Instant::now();
    for _ in 0..n {
        signer
            .sign(&mut conn, TenantId::new("t"), "default", &claims)
            .unwrap();
    }
    let sign = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let start = Instant::now();
    for _ in 0..n {
        assert!(
            signer
                .verify(&mut conn, TenantId::new("t"), "default", &jwt)
                .unwrap()
                .is_some()
        );
    }
    let verify = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("{sign:.1} {verify:.1}");
    let _ = std::fs::remove_file(&db);
}

fn tempfile_path() -> String {
    std::env::temp_dir()
        .join(format!("bench-sign-{}.db", std::process::id()))
        .display()
        .to_string()
}
