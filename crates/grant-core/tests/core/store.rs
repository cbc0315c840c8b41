//! Database URLs and configuration, and errors that show no database text or credentials.

use grant_core::service::export;
use grant_core::store::DatabaseUrl;
use grant_core::testing::fixture::Fixture;
use grant_core::{CoreError, DatabaseConfig, Store};

#[test]
fn database_url_unknown_scheme_is_a_clear_error() {
    for bad in [
        "postgress://localhost/db",
        "mysql://root@localhost/x",
        "http://x",
        "sqlite://",
    ] {
        let err = DatabaseUrl::parse(bad).unwrap_err().to_string();
        assert!(err.contains("database.url"), "{bad}: {err}");
    }
    let err = Store::connect(&DatabaseConfig {
        url: "postgress://localhost/db".into(),
        ..DatabaseConfig::default()
    })
    .err()
    .expect("a mistyped scheme must not start");
    assert!(
        err.to_string()
            .contains("unsupported database URL scheme 'postgress'"),
        "{err}"
    );
    assert_eq!(
        DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap().target(),
        "/tmp/x.db"
    );
    assert_eq!(
        DatabaseUrl::parse("data/grants.db").unwrap().target(),
        "data/grants.db"
    );
    assert!(DatabaseUrl::parse("postgres://u@h/db").is_ok());
}

#[test]
fn unique_violations_carry_no_database_text() {
    let f = Fixture::new();
    f.tenant("t");
    let mut conn = f.store.conn().unwrap();
    let snap = export::export(&mut conn).unwrap();
    let err = export::import(&mut conn, &snap).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CoreError::Conflict(_)), "{text}");
    assert!(
        !text.contains("tenants") && !text.contains("UNIQUE") && !text.contains("duplicate"),
        "{text}"
    );
}

#[test]
fn database_config_debug_hides_the_url() {
    let cfg = DatabaseConfig {
        url: "postgres://app:hunter2@db/grants".into(),
        ..DatabaseConfig::default()
    };
    let shown = format!("{cfg:?}");
    assert!(
        !shown.contains("hunter2") && shown.contains("postgres://***"),
        "{shown}"
    );
}

#[test]
fn database_url_describe_never_shows_credentials() {
    let pg = DatabaseUrl::parse("postgres://app:s3cret@db.internal:5432/grants?sslmode=require")
        .unwrap();
    assert_eq!(pg.describe(), "PostgreSQL db.internal:5432/grants");
    let lite = DatabaseUrl::parse("sqlite://data/grants.db").unwrap();
    assert_eq!(lite.describe(), "SQLite data/grants.db");
}
