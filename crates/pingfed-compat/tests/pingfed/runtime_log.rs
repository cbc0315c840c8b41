//! The runtime API log: PingFederate's line format, and client addresses through trusted
//! proxies only.

use chrono::NaiveDateTime;

use crate::common::*;

fn split_line(line: &str) -> Vec<String> {
    line.split("| ").map(str::to_owned).collect()
}

#[tokio::test]
async fn runtime_api_log_lines_for_a_success_and_a_401() {
    let p = pf_with(|c| {
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()]
    });
    seed_grants(&p);
    let (s, _, _) = delete(
        &p,
        &format!("/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}"),
    )
    .await;
    assert_eq!(s, 204);
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[
            ("authorization", &basic("mallory", "guess")),
            ("x-xsrf-header", "x"),
        ],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/ac_client/grants",
        &[
            ("authorization", SEED_AUTH),
            ("x-xsrf-header", "x"),
            // The left-most hop is the caller's to forge; 10.0.0.1 is a trusted proxy.
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.1"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/clients/ac_client/grants",
        &[("authorization", "Bearer abc")],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, _) = call(
        &p,
        reqwest::Method::PUT,
        "/pf-ws/rest/oauth/clients/ac_client/grants",
    )
    .await;
    assert_eq!(s, 405);
    let (s, _, _) = send_with(&p, reqwest::Method::GET, "/healthz", &[]).await;
    assert_eq!(s, 200);
    let (s, _, _) = send_with(&p, reqwest::Method::GET, "/metrics", &[]).await;
    assert_eq!(s, 200, "scrapes are not API calls: not in the runtime log");

    let raw_text = log_text(&p);
    assert!(raw_text.ends_with(" \n"), "trailing space then newline");
    let lines = log_lines(&p);
    assert_eq!(lines.len(), 5, "{lines:?}");
    let base = &p.srv.base_url;
    let user_one = format!("{base}/pf-ws/rest/oauth/users/asmith/grants/{AC_GRANT}");
    let user_list = format!("{base}/pf-ws/rest/oauth/users/asmith/grants");
    let client_list = format!("{base}/pf-ws/rest/oauth/clients/ac_client/grants");
    let expected = [
        vec!["admin", "basic", "127.0.0.1", "DELETE", &user_one, "204 "],
        vec!["mallory", "basic", "127.0.0.1", "GET", &user_list, "401 "],
        vec!["admin", "basic", "203.0.113.7", "GET", &client_list, "200 "],
        vec!["", "bearer", "127.0.0.1", "GET", &client_list, "401 "],
        vec!["admin", "basic", "127.0.0.1", "PUT", &client_list, "405 "],
    ];
    for (line, want) in lines.iter().zip(expected) {
        let fields = split_line(line);
        assert_eq!(fields.len(), 7, "{line}");
        NaiveDateTime::parse_from_str(&fields[0], "%Y-%m-%d %H:%M:%S,%3f")
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(fields[0].len(), 23, "{line}");
        let want: Vec<String> = want.into_iter().map(|s| s.to_owned()).collect();
        assert_eq!(&fields[1..], &want[..], "{line}");
        assert!(
            !line.contains("2Federate") && !line.contains("guess"),
            "no passwords in the log"
        );
    }
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_untrusted_peers() {
    let p = pf();
    let (s, _, _) = send_with(
        &p,
        reqwest::Method::GET,
        "/pf-ws/rest/oauth/users/asmith/grants",
        &[
            ("authorization", SEED_AUTH),
            ("x-xsrf-header", "x"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let lines = log_lines(&p);
    assert_eq!(split_line(&lines[0])[3], "127.0.0.1");
}
