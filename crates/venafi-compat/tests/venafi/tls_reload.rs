//! TLS certificate reload on SIGHUP, through the gateway binary.

/// The signal path of the TLS reload: a venafi-compat process (the binary, as systemd runs
/// it) gets SIGHUP after its files were replaced and serves the new certificate; a bad file
/// on the next SIGHUP keeps it serving, with an error naming the file.
#[tokio::test]
async fn sighup_makes_the_gateway_binary_serve_the_new_certificate() {
    use grant_http::testing::{certificate_der, self_signed_pem, served_certificate};
    let db = grant_core::testing::TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (cert, key) = self_signed_pem().unwrap();
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Kill(
        std::process::Command::new(env!("CARGO_BIN_EXE_venafi-compat"))
            .env("GRANT_CONFIG_DIR", dir.path())
            .env("GRANT_DATABASE_URL", &db.config.url)
            .env("GRANT_BIND", format!("127.0.0.1:{port}"))
            .env("GRANT_TLS_CERT", &cert_path)
            .env("GRANT_TLS_KEY", &key_path)
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id().to_string();
    let url = format!("https://127.0.0.1:{port}/healthz");
    let probe = grant_http::testing::test_client()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if probe.get(&url).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "venafi-compat did not start");
    assert_eq!(served_certificate(&url).await, certificate_der(&cert));

    let hup = || {
        let ok = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -HUP {pid}");
    };
    let (new_cert, new_key) = self_signed_pem().unwrap();
    std::fs::write(&cert_path, &new_cert).unwrap();
    std::fs::write(&key_path, &new_key).unwrap();
    hup();
    let mut served = Vec::new();
    for _ in 0..50 {
        served = served_certificate(&url).await;
        if served == certificate_der(&new_cert) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        served,
        certificate_der(&new_cert),
        "the new certificate after SIGHUP"
    );

    std::fs::write(&key_path, "garbage").unwrap();
    hup();
    let stderr = dir.path().join("stderr.log");
    let mut logged = String::new();
    for _ in 0..50 {
        logged = std::fs::read_to_string(&stderr).unwrap();
        if logged.contains("TLS reload failed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = logged
        .lines()
        .find(|l| l.contains("TLS reload failed"))
        .unwrap_or_else(|| panic!("no reload error logged: {logged}"));
    assert!(line.contains(&*key_path.to_string_lossy()), "{line}");
    assert_eq!(
        served_certificate(&url).await,
        certificate_der(&new_cert),
        "a bad file keeps the current certificate"
    );
}
