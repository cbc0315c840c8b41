//! Log output: human lines by default, one JSON object per line with
//! `GRANT_LOG_FORMAT=json` (`ts`, `level`, `target`, `message`). `RUST_LOG` sets the levels
//! (default `info`); the access log is the `access` target.

use std::io::Write;

/// Installs the process's logger (once; later calls do nothing).
pub fn init() {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if std::env::var("GRANT_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.format(|buf, record| {
            let line = serde_json::json!({
                "ts": crate::time::iso8601_millis(chrono::Utc::now()),
                "level": record.level().as_str(),
                "target": record.target(),
                "message": record.args().to_string(),
            });
            writeln!(buf, "{line}")
        });
    }
    let _ = builder.try_init();
}
