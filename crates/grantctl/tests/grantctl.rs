//! grantctl end to end, on the backend the environment selects (SQLite, or PostgreSQL with
//! GRANT_TEST_DATABASE_URL): seed-demo → export → import into a fresh database → export.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use grant_core::testing::TestDb;

fn grantctl(db: &TestDb, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .arg("--database-url")
        .arg(&db.config.url)
        .args(args)
        .env_remove("GRANT_DATABASE_URL")
        .output()
        .expect("run grantctl");
    assert!(
        out.status.success(),
        "grantctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn export_import_export_round_trips_exactly() {
    let first = TestDb::new();
    let seeded = grantctl(&first, &["seed-demo", "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&seeded.stdout).unwrap();
    assert!(
        summary["okta"]["api_token"]
            .as_str()
            .unwrap()
            .starts_with("00")
    );
    grantctl(
        &first,
        &[
            "grant",
            "add",
            "--user",
            "bob",
            "--client",
            "0oaDemoCliTool000002",
            "--scope",
            "certificate:manage,revoke",
            "--id-format",
            "pingfed",
            "--attribute",
            "groups=a,b",
            "--expires-in",
            "3600",
        ],
    );
    let exported = grantctl(&first, &["export"]).stdout;
    let text = String::from_utf8(exported.clone()).unwrap();
    assert!(
        !text.contains(summary["okta"]["api_token"].as_str().unwrap()),
        "no secret in the export"
    );
    assert!(text.contains("\"login\": \"alice\""));

    let second = TestDb::new();
    let file = std::env::temp_dir().join(format!("grantctl-export-{}.json", std::process::id()));
    std::fs::write(&file, &exported).unwrap();
    grantctl(&second, &["import", file.to_str().unwrap()]);
    let again = grantctl(&second, &["export"]).stdout;
    assert_eq!(String::from_utf8(again).unwrap(), text);

    // A second import conflicts and leaves the database as it was.
    let out = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .args([
            "--database-url",
            &second.config.url,
            "import",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8(grantctl(&second, &["export"]).stdout).unwrap(),
        text
    );
    let _ = std::fs::remove_file(file);
}

#[test]
fn unknown_database_scheme_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .args(["--database-url", "postgress://localhost/x", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsupported database URL scheme 'postgress'"),
        "{err}"
    );
}

#[test]
fn credential_add_records_the_faces_it_is_made_for() {
    let db = TestDb::new();
    grantctl(&db, &["tenant", "add", "--id", "default", "--name", "t"]);
    let json = |out: Output| -> serde_json::Value {
        let text = String::from_utf8(out.stdout).unwrap();
        let body = text.split("secret (shown once)").next().unwrap();
        serde_json::from_str(body).unwrap()
    };
    let pcv = json(grantctl(
        &db,
        &[
            "credential",
            "add",
            "--kind",
            "password",
            "--name",
            "ws-admin",
            "--face",
            "pingfed:Grant Management PCV",
            "--face",
            "okta",
        ],
    ));
    assert_eq!(
        pcv["faces"],
        serde_json::json!(["pingfed:Grant Management PCV", "okta"])
    );
    // Without --face, the kind decides.
    let token = json(grantctl(
        &db,
        &["credential", "add", "--kind", "api_token", "--name", "ci"],
    ));
    assert_eq!(token["faces"], serde_json::json!(["okta"]));
    let bad = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .arg("--database-url")
        .arg(&db.config.url)
        .args(["credential", "add", "--kind", "api_token", "--name", "x"])
        .args(["--face", "octa"])
        .env_remove("GRANT_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("unknown face \"octa\""),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn credential_add_with_secret_env_does_not_print_the_secret() {
    let db = TestDb::new();
    let tenant = "3f2b6a52-58a5-4a5e-8f39-5c1d0e1a2b3c";
    let client = "9a1c7e0e-1d2f-4c3b-8a5e-6f7d8c9b0a1e";
    grantctl(&db, &["tenant", "add", "--id", tenant, "--name", "T"]);
    grantctl(
        &db,
        &[
            "client",
            "add",
            "--tenant",
            tenant,
            "--id",
            client,
            "--kind",
            "client_credentials",
        ],
    );
    let secret = "s3cr3t-from-the-environment-Zq9";
    let out = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .arg("--database-url")
        .arg(&db.config.url)
        .args([
            "credential",
            "add",
            "--tenant",
            tenant,
            "--kind",
            "client_secret",
            "--client",
            client,
            "--name",
            "first",
            "--secret-env",
            "MY_CLIENT_SECRET",
        ])
        .env_remove("GRANT_DATABASE_URL")
        .env("MY_CLIENT_SECRET", secret)
        .output()
        .expect("run grantctl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains(secret), "secret echoed: {stdout}");
    assert!(!stderr.contains(secret), "secret echoed: {stderr}");
    assert!(
        stdout.contains("secret: the value of MY_CLIENT_SECRET (not shown)"),
        "{stdout}"
    );
    let listed = grantctl(&db, &["credential", "list", "--tenant", tenant]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}

#[test]
fn import_applies_the_client_rules_names_the_record_and_takes_a_config_file() {
    let first = TestDb::new();
    grantctl(&first, &["seed-demo", "--json"]);
    let exported = grantctl(&first, &["export"]).stdout;
    let mut doc: serde_json::Value = serde_json::from_slice(&exported).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let second = TestDb::new();
    let cfg = dir.path().join("gateway.toml");
    std::fs::write(
        &cfg,
        format!("[database]\nurl = \"{}\"\n", second.config.url),
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_grantctl"))
            .args(["import", "--config"])
            .arg(&cfg)
            .arg(file)
            .env_remove("GRANT_DATABASE_URL")
            .output()
            .unwrap()
    };
    // A client `client add` would refuse (lifetime 5 s on an authorization-code client).
    let clients = doc["clients"].as_array_mut().unwrap();
    let i = clients
        .iter()
        .position(|c| c["kind"] == "authorization_code")
        .unwrap();
    let id = clients[i]["id"].as_str().unwrap().to_owned();
    clients[i]["access_token_lifetime"] = 5.into();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, doc.to_string()).unwrap();
    let out = run(&bad);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("client {id}: AccessTokenLifetime")),
        "{stderr}"
    );
    // The export itself loads through the config file's database; again, the conflict
    // names the record.
    let good = dir.path().join("good.json");
    std::fs::write(&good, &exported).unwrap();
    let out = run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(grantctl(&second, &["export"]).stdout.len(), exported.len());
    let out = run(&good);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tenant ") && stderr.contains("already exists"),
        "{stderr}"
    );
}

/// Runs grantctl with `--output json` (whatever the terminal) and returns (exit code, stdout,
/// stderr).
fn run(db: &TestDb, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .arg("--database-url")
        .arg(&db.config.url)
        .args(args)
        .env_remove("GRANT_DATABASE_URL")
        .output()
        .expect("run grantctl");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn json_of(db: &TestDb, args: &[&str]) -> serde_json::Value {
    let (code, stdout, stderr) = run(db, args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    let body = stdout.split("secret (shown once)").next().unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

/// A tenant `default` with user alice, client c1 and grants of alice to c1.
fn populated(grants: &str) -> TestDb {
    let db = TestDb::new();
    grantctl(&db, &["tenant", "add", "--id", "default", "--name", "t"]);
    grantctl(&db, &["user", "add", "--login", "alice"]);
    grantctl(&db, &["user", "add", "--login", "bob"]);
    grantctl(&db, &["client", "add", "--id", "c1"]);
    grantctl(&db, &["client", "add", "--id", "c2"]);
    grantctl(
        &db,
        &[
            "grant", "add", "--user", "alice", "--client", "c1", "--scope", "a", "--count", grants,
        ],
    );
    db
}

fn audit_actions(db: &TestDb) -> Vec<String> {
    json_of(db, &["audit", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn missing_records_exit_3_and_name_the_record_and_the_fix() {
    let db = populated("1");
    let (code, _, err) = run(&db, &["user", "add", "--tenant", "x", "--login", "l"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("tenant 'x' does not exist — create it with grantctl tenant add"),
        "{err}"
    );
    for (args, needle) in [
        (
            &["user", "get", "nobody"][..],
            "user 'nobody' does not exist",
        ),
        (
            &["client", "get", "nope"][..],
            "client 'nope' does not exist",
        ),
        (
            &["grant", "get", "oagNope"][..],
            "grant 'oagNope' does not exist",
        ),
        (
            &["credential", "get", "nope"][..],
            "credential 'nope' does not exist",
        ),
        (&["scope", "get", "nope"][..], "scope 'nope' does not exist"),
        (
            &["tenant", "get", "nope"][..],
            "tenant 'nope' does not exist",
        ),
        (
            &["grant", "revoke", "--user", "nobody"][..],
            "user 'nobody'",
        ),
        (
            &["grant", "add", "--user", "alice", "--client", "nope"][..],
            "client 'nope' does not exist",
        ),
    ] {
        let (code, _, err) = run(&db, args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(err.contains("grantctl "), "names the fix: {err}");
    }
}

#[test]
fn usage_errors_exit_2_conflicts_exit_4_help_exits_0() {
    let db = populated("1");
    assert_eq!(run(&db, &["bogus"]).0, 2);
    assert_eq!(run(&db, &["grant", "list", "--nope"]).0, 2);
    assert_eq!(run(&db, &["client", "add", "--kind", "weird"]).0, 2);
    assert_eq!(run(&db, &["grant", "revoke"]).0, 2);
    assert_eq!(run(&db, &["--help"]).0, 0);
    assert_eq!(run(&db, &["--version"]).0, 0);
    let (code, _, err) = run(
        &db,
        &["tenant", "add", "--id", "default", "--name", "again"],
    );
    assert_eq!(code, 4, "{err}");
    let (code, _, err) = run(&db, &["user", "add", "--login", "alice"]);
    assert_eq!(code, 4, "{err}");
    let (code, _, err) = run(&db, &["scope", "add", "--id", "s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(run(&db, &["scope", "add", "--id", "s"]).0, 4);
    // The demo data set twice: its tenant exists already.
    let (code, _, err) = run(&db, &["seed-demo"]);
    assert_eq!(code, 4, "{err}");
    let (code, _, err) = run(&db, &["--database-url", "postgress://x/y", "migrate"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn errors_never_show_database_text() {
    let dir = tempfile::tempdir().unwrap();
    // A directory is not a database file: SQLite refuses to open it.
    let url = format!("sqlite://{}", dir.path().display());
    let out = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .args(["--database-url", &url, "tenant", "list"])
        .env_remove("GRANT_DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--database-url"), "{err}");
    assert!(!err.to_lowercase().contains("sqlite"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn tenant_get_list_delete() {
    let db = populated("2");
    let t = json_of(&db, &["tenant", "get", "default"]);
    assert_eq!(t["contents"]["grants"], 2);
    assert_eq!(json_of(&db, &["tenant", "list"])[0]["id"], "default");
    let (code, _, err) = run(&db, &["tenant", "delete", "default"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("--force"), "{err}");
    grantctl(&db, &["tenant", "add", "--id", "empty", "--name", "e"]);
    assert_eq!(run(&db, &["tenant", "delete", "empty"]).0, 0);
    assert_eq!(run(&db, &["tenant", "delete", "default", "--force"]).0, 0);
    assert_eq!(json_of(&db, &["tenant", "list"]), serde_json::json!([]));
    assert_eq!(run(&db, &["tenant", "delete", "default"]).0, 3);
    let actions = audit_actions(&db);
    assert_eq!(actions.iter().filter(|a| *a == "tenant.deleted").count(), 2);
}

#[test]
fn tenant_disable_enable() {
    let db = populated("1");
    assert_eq!(
        json_of(&db, &["tenant", "get", "default"])["status"],
        "active"
    );
    let t = json_of(&db, &["tenant", "disable", "default"]);
    assert_eq!(t["id"], "default");
    assert_eq!(t["status"], "disabled");
    assert_eq!(json_of(&db, &["tenant", "list"])[0]["status"], "disabled");
    let (code, table, err) = run(&db, &["-o", "table", "tenant", "get", "default"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("status") && l.trim_end().ends_with("disabled")),
        "{table}"
    );
    // The status travels with an export.
    let exported = run(&db, &["export"]).1;
    assert!(exported.contains("\"status\": \"disabled\""), "{exported}");
    assert_eq!(
        json_of(&db, &["tenant", "enable", "default"])["status"],
        "active"
    );
    assert_eq!(
        json_of(&db, &["tenant", "enable", "default"])["status"],
        "active"
    );
    for verb in ["disable", "enable"] {
        let (code, _, err) = run(&db, &["tenant", verb, "nope"]);
        assert_eq!(code, 3, "{verb}: {err}");
        assert!(err.contains("tenant 'nope' does not exist"), "{err}");
    }
    let actions = audit_actions(&db);
    assert_eq!(actions.iter().filter(|a| *a == "tenant.status").count(), 3);
}

#[test]
fn user_get_disable_enable_delete() {
    let db = populated("2");
    let alice = json_of(&db, &["user", "get", "alice"]);
    assert_eq!(alice["login"], "alice");
    // by another identifier
    let okta_id = alice["aliases"]["okta"].as_str().unwrap();
    assert_eq!(json_of(&db, &["user", "get", okta_id])["id"], alice["id"]);
    let token = json_of(
        &db,
        &[
            "credential",
            "add",
            "--kind",
            "api_token",
            "--name",
            "t",
            "--user",
            "alice",
        ],
    );
    let id = token["id"].as_str().unwrap();
    grantctl(&db, &["user", "disable", "alice"]);
    assert_eq!(
        json_of(&db, &["credential", "get", id])["status"],
        "disabled"
    );
    grantctl(&db, &["user", "enable", "alice"]);
    assert_eq!(json_of(&db, &["credential", "get", id])["status"], "active");
    grantctl(&db, &["user", "delete", "alice"]);
    assert_eq!(run(&db, &["user", "get", "alice"]).0, 3);
    assert_eq!(
        run(&db, &["credential", "get", id]).0,
        3,
        "its credential went"
    );
    assert_eq!(json_of(&db, &["grant", "list"]), serde_json::json!([]));
    let actions = audit_actions(&db);
    for a in ["user.status", "user.deleted"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

#[test]
fn client_get_disable_enable_delete() {
    let db = populated("2");
    assert_eq!(json_of(&db, &["client", "get", "c1"])["enabled"], true);
    assert_eq!(json_of(&db, &["client", "disable", "c1"])["enabled"], false);
    assert_eq!(json_of(&db, &["client", "get", "c1"])["enabled"], false);
    assert_eq!(json_of(&db, &["client", "enable", "c1"])["enabled"], true);
    grantctl(&db, &["client", "delete", "c1"]);
    assert_eq!(run(&db, &["client", "get", "c1"]).0, 3);
    assert_eq!(run(&db, &["client", "delete", "c1"]).0, 3);
    assert_eq!(json_of(&db, &["grant", "list"]), serde_json::json!([]));
    assert!(audit_actions(&db).iter().any(|a| a == "client.deleted"));
}

#[test]
fn scope_get_list_delete() {
    let db = populated("1");
    grantctl(&db, &["scope", "add", "--id", "a", "--display-name", "A"]);
    assert_eq!(json_of(&db, &["scope", "get", "a"])["display_name"], "A");
    assert_eq!(
        json_of(&db, &["scope", "list"]).as_array().unwrap().len(),
        1
    );
    grantctl(&db, &["scope", "delete", "a"]);
    assert_eq!(run(&db, &["scope", "get", "a"]).0, 3);
    assert_eq!(run(&db, &["scope", "delete", "a"]).0, 3);
    assert!(audit_actions(&db).iter().any(|a| a == "scope.deleted"));
}

#[test]
fn grant_get_revoke_by_id_user_client_scope_and_delete() {
    let db = populated("2");
    grantctl(
        &db,
        &[
            "grant", "add", "--user", "bob", "--client", "c2", "--scope", "b",
        ],
    );
    grantctl(
        &db,
        &[
            "grant", "add", "--user", "bob", "--client", "c1", "--scope", "z",
        ],
    );
    let listed = json_of(&db, &["grant", "list", "--user", "alice"]);
    let first = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let revoked = json_of(&db, &["grant", "revoke", &first]);
    assert_eq!(revoked["status"], "revoked");
    // get shows it still, revoked; revoking again is "not found" (no active grant).
    assert_eq!(json_of(&db, &["grant", "get", &first])["status"], "revoked");
    assert_eq!(run(&db, &["grant", "revoke", &first]).0, 3);
    let (code, out, _) = run(&db, &["grant", "revoke", "--user", "alice"]);
    assert_eq!((code, out.trim()), (0, "1 grants revoked"));
    let (code, out, _) = run(&db, &["grant", "revoke", "--scope", "z"]);
    assert_eq!((code, out.trim()), (0, "1 grants revoked"));
    let (code, out, _) = run(&db, &["grant", "revoke", "--client", "c2"]);
    assert_eq!((code, out.trim()), (0, "1 grants revoked"));
    assert_eq!(json_of(&db, &["grant", "list"]), serde_json::json!([]));
    grantctl(&db, &["grant", "delete", &first]);
    assert_eq!(run(&db, &["grant", "get", &first]).0, 3);
    let actions = audit_actions(&db);
    for a in ["grant.revoked", "grants.revoked", "grant.deleted"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

#[test]
fn credential_revoke_by_leaked_token_disable_enable_delete() {
    let db = populated("1");
    let (code, stdout, err) = run(
        &db,
        &[
            "credential",
            "add",
            "--kind",
            "api_token",
            "--name",
            "ci",
            "--user",
            "alice",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let secret = stdout
        .split("secret (shown once): ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    let id = json_of(&db, &["credential", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        json_of(&db, &["credential", "disable", &id])["status"],
        "disabled"
    );
    assert_eq!(
        json_of(&db, &["credential", "enable", &id])["status"],
        "active"
    );
    // The leaked token itself, on stdin: one command.
    let revoke_from_stdin = |input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grantctl"))
            .args(["--database-url", &db.config.url])
            .args(["credential", "revoke", "--token-stdin"])
            .env_remove("GRANT_DATABASE_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let out = revoke_from_stdin(&format!("{secret}\n"));
    assert!(out.status.success());
    let revoked: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(revoked["id"], id.as_str());
    assert_eq!(revoked["status"], "revoked");
    let unknown = revoke_from_stdin("not-a-token-of-ours\n");
    assert_eq!(unknown.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no credential has the token given"));
    // A revoked credential stays revoked.
    assert_eq!(run(&db, &["credential", "enable", &id]).0, 4);
    grantctl(&db, &["credential", "delete", &id]);
    assert_eq!(run(&db, &["credential", "get", &id]).0, 3);
    let actions = audit_actions(&db);
    for a in ["credential.status", "credential.deleted"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

#[test]
fn output_table_and_jsonl() {
    let db = populated("3");
    let (code, table, _) = run(&db, &["grant", "list", "--output", "table"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("ID "), "{table}");
    assert!(lines[0].contains("STATUS"), "{table}");
    let (code, jsonl, _) = run(&db, &["grant", "list", "-o", "jsonl"]);
    assert_eq!(code, 0);
    assert_eq!(jsonl.lines().count(), 3);
    for l in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["status"], "active");
    }
    // Not a terminal, no --output: JSON.
    let v = json_of(&db, &["grant", "list"]);
    assert_eq!(v.as_array().unwrap().len(), 3);
    let (_, one, _) = run(&db, &["user", "get", "alice", "-o", "table"]);
    assert!(
        one.lines()
            .any(|l| l.starts_with("login") && l.ends_with("alice")),
        "{one}"
    );
}

/// `grantctl grant list | head -1`: the reader goes away; grantctl stops quietly with 0.
#[test]
fn closed_pipe_is_not_a_panic() {
    let db = populated("3000");
    for format in ["table", "json", "jsonl"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grantctl"))
            .args([
                "--database-url",
                &db.config.url,
                "grant",
                "list",
                "-o",
                format,
            ])
            .env_remove("GRANT_DATABASE_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        {
            use std::io::BufRead;
            let mut first = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut first)
                .unwrap();
            assert!(!first.is_empty());
        } // stdout closed here, long before grantctl is done writing
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{format}: {err}");
        assert!(err.is_empty(), "{format}: {err}");
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
    }
}

/// grantctl goes through grant-core's business rules, never its storage layer.
#[test]
fn grantctl_does_not_use_grant_core_store() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("grant_core::store"),
            "{} uses grant_core::store",
            path.display()
        );
    }
}

#[test]
fn streamed_import_names_a_bad_record_midway_and_leaves_the_store_unchanged() {
    let source = populated("700");
    let (code, text, err) = run(&source, &["export"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "", "no progress output when stderr is not a terminal");
    // The 600th grant (past the first batch of 500) gets a status no grant can have.
    let grants_at = text.find("\"grants\": [").unwrap();
    let (mut at, needle) = (grants_at, "\"status\": \"active\"");
    for _ in 0..600 {
        at += text[at..].find(needle).unwrap() + needle.len();
    }
    let bad = format!(
        "{}\"status\": \"bogus\"{}",
        &text[..at - needle.len()],
        &text[at..]
    );
    let target = TestDb::new();
    grantctl(&target, &["tenant", "add", "--id", "other", "--name", "o"]);
    let before = run(&target, &["export"]).1;
    let file = std::env::temp_dir().join(format!("grantctl-bad-{}.json", std::process::id()));
    std::fs::write(&file, bad).unwrap();
    let (code, out, err) = run(&target, &["import", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert!(
        err.starts_with(&format!(
            "grantctl: {} is not an export: grants[599]: unknown variant `bogus`",
            file.display()
        )),
        "{err}"
    );
    assert!(err.contains(" at line "), "{err}");
    assert_eq!(run(&target, &["export"]).1, before);
    // The intact document loads; stdout is the counts, stderr stays empty.
    std::fs::write(&file, &text).unwrap();
    let (code, out, err) = run(&target, &["import", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    assert_eq!((code, err.as_str()), (0, ""));
    let counts: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(counts["grants"], 700);
}

/// grantctl reads the gateways' configuration: `--config FILE` over the defaults, then
/// GRANT_* variables, then `--database-url`; a bad key is a usage error naming its file.
#[test]
fn configuration_is_layered_as_for_the_gateways() {
    let dbs: Vec<TestDb> = (0..3).map(|_| TestDb::new()).collect();
    for (db, id) in dbs.iter().zip(["from-file", "from-env", "from-flag"]) {
        grantctl(db, &["tenant", "add", "--id", id, "--name", id]);
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("okta.toml");
    std::fs::write(
        &cfg,
        format!(
            "[database]\nurl = \"{}\"\n[vendor.rate_limit]\nenabled = false\n",
            dbs[0].config.url
        ),
    )
    .unwrap();
    let tenants = |env: Option<&str>, flag: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_grantctl"));
        cmd.args(["--output", "json", "--config"])
            .arg(&cfg)
            .args(["tenant", "list"])
            .env_remove("GRANT_DATABASE_URL");
        if let Some(url) = env {
            cmd.env("GRANT_DATABASE_URL", url);
        }
        if let Some(url) = flag {
            cmd.args(["--database-url", url]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(tenants(None, None), ["from-file"]);
    assert_eq!(tenants(Some(&dbs[1].config.url), None), ["from-env"]);
    assert_eq!(
        tenants(Some(&dbs[1].config.url), Some(&dbs[2].config.url)),
        ["from-flag"]
    );
    // An unknown key: exit 2, and the message names the file.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[database]\nurll = \"sqlite://x.db\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .arg("--config")
        .arg(&bad)
        .args(["tenant", "list"])
        .env_remove("GRANT_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&bad.display().to_string()) && stderr.contains("urll"),
        "{stderr}"
    );
}
