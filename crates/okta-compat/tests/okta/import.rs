//! Importing captured Okta data: the library call and the `import` subcommand.

use grant_core::model::*;
use grant_core::service::directory;
use serde_json::json;

use crate::common::*;
use grant_core::model::ClientId;

#[tokio::test]
async fn import_keeps_okta_ids_times_and_scope_ids() {
    let o = org();
    let captured = json!([{
        "id": "oag3ih1zrm1cBFOiq0h6", "status": "ACTIVE", "created": "2017-10-30T22:06:53.000Z",
        "createdBy": {"id": "00u5t60iloOHN9pBi0h7", "type": "User"}, "lastUpdated": "2017-11-01T10:00:00.000Z",
        "issuer": "https://acme.okta.com/oauth2/ausain6z9zIedDCxB0h7", "clientId": "0oabskvc6442nkvQO0h7",
        "userId": "00u5t60iloOHN9pBi0h7", "scopeId": "scpCmCCV1DpxVkCaye2X", "source": "END_USER",
        "_links": {"self": {"href": "https://acme.okta.com/api/v1/users/00u5t60iloOHN9pBi0h7/grants/oag3ih1zrm1cBFOiq0h6"}}
    }, {
        "id": "oagRevoked0000000001", "status": "REVOKED", "created": "2017-10-30T22:06:53.000Z",
        "lastUpdated": "2017-10-31T22:06:53.000Z", "issuer": "https://acme.okta.com", "clientId": "0oabskvc6442nkvQO0h7",
        "userId": "00u5t60iloOHN9pBi0h7", "scopeId": "okta.users.read", "source": "ADMIN"
    }]);
    let dir = tempfile_path();
    std::fs::write(&dir, captured.to_string()).unwrap();
    let reports = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&dir),
    )
    .unwrap();
    let report = &reports[0].counts;
    assert_eq!(
        (report.grants, report.users_created, report.clients_created),
        (2, 1, 1)
    );
    let (s, _, body) = get(&o, "/api/v1/users/00u5t60iloOHN9pBi0h7/grants").await;
    assert_eq!(s, 200);
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "the revoked grant is kept but not shown"
    );
    // Okta's ids, times, issuer, scope id and creator, as captured.
    o.snapshots().bind(|| insta::assert_json_snapshot!(body));
    // Importing the same file again conflicts (naming the grant) and changes nothing.
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&dir),
    )
    .unwrap_err();
    assert!(err.contains("grant oag3ih1zrm1cBFOiq0h6"), "{err}");
    let _ = std::fs::remove_file(dir);
}

#[test]
fn import_subcommand_loads_every_file_in_one_transaction_or_none() {
    let dir = std::env::temp_dir().join(format!("okta-import-cli-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    let bad = dir.join("bad.json");
    std::fs::write(
        &good,
        json!([{
            "id": "oagCli00000000000001", "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z",
            "lastUpdated": "2020-01-01T00:00:00.000Z", "issuer": "https://acme.okta.com",
            "clientId": "0oaCli00000000000001", "userId": "00uCli00000000000001",
            "scopeId": "okta.users.read", "source": "ADMIN"
        }])
        .to_string(),
    )
    .unwrap();
    std::fs::write(&bad, "[{\"id\": 42}]").unwrap();
    let db = dir.join("grants.db");
    let config_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");
    let run = |files: &[&std::path::Path]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_okta-compat"))
            .arg("import")
            .args(files)
            .env("GRANT_CONFIG_DIR", config_dir)
            .env("GRANT_DATABASE_URL", format!("sqlite://{}", db.display()))
            .env_remove("OKTA_COMPAT_DATABASE_URL")
            .output()
            .unwrap()
    };
    // A bad second file: exit 1, the file named, and the good file's grant not kept.
    let out = run(&[&good, &bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json"), "{stderr}");
    let out = run(&[&good]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "tenant default: imported 1 grants (1 users and 1 clients created)"
    );
    // No file is a usage error; the subcommand's help names the format.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_okta-compat"))
        .args(["import", "--help"])
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("JSON arrays of Okta grant objects"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn imported_colon_scopes_are_served_under_their_captured_ids() {
    let o = org();
    let grant = |id: &str, scope: &str| {
        json!({
            "id": id, "status": "ACTIVE", "created": "2019-01-01T00:00:00.000Z",
            "lastUpdated": "2019-01-01T00:00:00.000Z", "issuer": "https://acme.okta.com",
            "clientId": "0oabskvc6442nkvQO0h7", "userId": "00u5t60iloOHN9pBi0h7",
            "scopeId": scope, "source": "END_USER"
        })
    };
    let captured = json!([
        grant("oagColon000000000001", "api:read"),
        grant(
            "oagColon000000000002",
            "https://api.example.com/orders.read"
        ),
    ]);
    let file = tempfile_path();
    std::fs::write(&file, captured.to_string()).unwrap();
    grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap();
    for (id, scope) in [
        ("oagColon000000000001", "api:read"),
        (
            "oagColon000000000002",
            "https://api.example.com/orders.read",
        ),
    ] {
        let (s, _, g) = get(
            &o,
            &format!("/api/v1/users/00u5t60iloOHN9pBi0h7/grants/{id}"),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(
            (g["id"].as_str(), g["scopeId"].as_str()),
            (Some(id), Some(scope))
        );
    }
    // A second import conflicts; the error carries no database wording.
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .err()
    .unwrap()
    .to_string();
    for leak in ["duplicate", "pkey", "UNIQUE", "constraint"] {
        assert!(!err.contains(leak), "{err}");
    }
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn import_takes_users_and_clients_without_grants_and_serves_them_as_captured() {
    let o = org();
    let grant = json!({
        "id": "oagImp00000000000001", "status": "ACTIVE", "created": "2021-05-06T07:08:09.000Z",
        "createdBy": {"id": "00uImpDana0000000001", "type": "User"}, "lastUpdated": "2021-05-06T07:08:09.000Z",
        "issuer": "https://acme.okta.com/oauth2/default", "clientId": "0oaImpApp00000000001",
        "userId": "00uImpDana0000000001", "scopeId": "api:read", "source": "END_USER"
    });
    let captured = json!({
        "users": [
            {"id": "00uImpDana0000000001", "status": "ACTIVE",
             "profile": {"login": "dana@acme.example", "firstName": "Dana", "lastName": "Scully", "email": "dana@acme.example"}},
            {"id": "00uImpEve00000000002", "profile": {"login": "eve@acme.example", "firstName": "Eve"}}
        ],
        "clients": [
            {"client_id": "0oaImpApp00000000001", "client_name": "Orders", "client_uri": "https://orders.example",
             "logo_uri": null, "_links": {}},
            {"id": "0oaImpApp00000000002", "label": "Unused app"}
        ],
        "grants": [grant.clone()]
    });
    let file = tempfile_path();
    std::fs::write(&file, captured.to_string()).unwrap();
    let reports = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap();
    let c = &reports[0].counts;
    assert_eq!((c.grants, c.users_created, c.clients_created), (1, 2, 2));
    let (s, _, body) = get(&o, "/api/v1/users/00uImpDana0000000001/grants").await;
    assert_eq!(s, 200);
    for (k, v) in grant.as_object().unwrap() {
        assert_eq!(&body[0][k], v, "{k}");
    }
    // The client as captured (its `_links` point at this org, as Okta's point at the org).
    let (s, _, body) = get(&o, "/api/v1/users/00uImpDana0000000001/clients").await;
    assert_eq!(s, 200);
    o.snapshots()
        .bind(|| insta::assert_json_snapshot!("imported_clients", body));
    // A user without grants exists (an empty list, not 404), with the captured login: no
    // placeholder.
    let (s, _, body) = get(&o, "/api/v1/users/00uImpEve00000000002/grants").await;
    assert_eq!((s, body), (200, json!([])));
    let mut conn = o.srv.conn();
    let dana = directory::get_user(
        &mut conn,
        o.srv.tenant(),
        UserKey::Alias(AliasVendor::Okta),
        "00uImpDana0000000001",
    )
    .unwrap();
    assert_eq!(
        (dana.login.as_str(), dana.display_name.as_str()),
        ("dana@acme.example", "Dana Scully")
    );
    let unused = grant_core::service::clients::get_client(
        &mut conn,
        o.srv.tenant(),
        ClientId::new("0oaImpApp00000000002"),
    )
    .unwrap();
    assert_eq!(unused.name, "Unused app");
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn import_errors_name_the_record_and_field() {
    let o = org();
    let file = tempfile_path();
    std::fs::write(
        &file,
        json!({"users": [{"id": "00uNoLogin0000000001", "profile": {"firstName": "X"}}]})
            .to_string(),
    )
    .unwrap();
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap_err();
    assert!(
        err.contains("user 00uNoLogin0000000001: profile.login"),
        "{err}"
    );
    // A login another user already has: the conflict names the user.
    std::fs::write(
        &file,
        json!({"users": [{"id": "00uDupLogin000000001", "profile": {"login": o.alice.login}}]})
            .to_string(),
    )
    .unwrap();
    let err = grant_http::import_files::<okta_compat::Okta>(
        &mut o.srv.conn(),
        o.srv.tenant(),
        std::slice::from_ref(&file),
    )
    .unwrap_err();
    assert!(err.contains("user 00uDupLogin000000001"), "{err}");
    let _ = std::fs::remove_file(file);
}

#[test]
fn import_subcommand_takes_config_like_the_server() {
    let dir = std::env::temp_dir().join(format!("okta-import-cfg-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("grants.db");
    let cfg = dir.join("okta.toml");
    std::fs::write(
        &cfg,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[server]\ntenant = \"from-config\"\n",
            db.display()
        ),
    )
    .unwrap();
    let file = dir.join("org.json");
    std::fs::write(
        &file,
        json!({"users": [{"id": "00uCfg00000000000001", "profile": {"login": "cfg@acme.example"}}]})
            .to_string(),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_okta-compat"))
        .arg("import")
        .arg("--config")
        .arg(&cfg)
        .arg(&file)
        .env_remove("GRANT_DATABASE_URL")
        .env_remove("OKTA_COMPAT_DATABASE_URL")
        .env_remove("GRANT_TENANT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "tenant from-config: imported 0 grants (1 users and 0 clients created)"
    );
    assert!(db.exists());
    let _ = std::fs::remove_dir_all(dir);
}
