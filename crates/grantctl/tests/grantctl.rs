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
