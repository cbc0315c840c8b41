//! `runtime-api.log`: one line per request in PingFederate's log4j2 pattern
//! (`%d| %X{api.user}| %X{api.authtype}| %X{api.clientip}| %X{api.httpmethod}| %X{api.url}| %X{api.status} %n`),
//! failures included. `%d` is log4j2's default date format in server local time
//! (`yyyy-MM-dd HH:mm:ss,SSS`); unknown `%X{…}` keys print nothing, as in log4j2.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use actix_web::{HttpMessage, HttpRequest};
use base64::Engine;
use grant_http::{AppState, client_ip, header_str, requested_base_url};

use crate::PingFed;

pub const DEFAULT_PATTERN: &str = "%d| %X{api.user}| %X{api.authtype}| %X{api.clientip}| %X{api.httpmethod}| %X{api.url}| %X{api.status} %n";

/// Who called, as the auth extractor saw it (stashed in the request's extensions).
#[derive(Debug, Clone)]
pub struct ApiUser {
    /// The user name presented (also when the password was wrong).
    pub name: String,
    /// `basic`, or the lower-cased scheme of another Authorization header.
    pub authtype: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Date,
    User,
    AuthType,
    ClientIp,
    Method,
    Url,
    Status,
}

/// The parsed pattern and the queue to the writer thread (none: logging off). Lines are
/// formatted on the request's worker and appended by one writer thread, so no file I/O
/// runs on the async workers; the writer flushes whenever the queue is empty.
pub struct RuntimeApiLog {
    pattern: Vec<Segment>,
    sink: Option<SyncSender<String>>,
}

/// Lines waiting for the writer; beyond this a request waits rather than lose its line.
const QUEUE: usize = 16 * 1024;

fn write_lines(file: File, lines: Receiver<String>) {
    let mut out = BufWriter::new(file);
    while let Ok(line) = lines.recv() {
        let mut result = out.write_all(line.as_bytes());
        while let Ok(more) = lines.try_recv() {
            result = result.and_then(|()| out.write_all(more.as_bytes()));
        }
        if let Err(e) = result.and_then(|()| out.flush()) {
            log::warn!("runtime API log: {e}");
        }
    }
}

fn parse(pattern: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('%') {
        text.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (seg, used) = if let Some(r) = rest.strip_prefix("X{") {
            match r.find('}') {
                Some(end) => {
                    let seg = match &r[..end] {
                        "api.user" => Some(Segment::User),
                        "api.authtype" => Some(Segment::AuthType),
                        "api.clientip" => Some(Segment::ClientIp),
                        "api.httpmethod" => Some(Segment::Method),
                        "api.url" => Some(Segment::Url),
                        "api.status" => Some(Segment::Status),
                        _ => None,
                    };
                    (seg, 2 + end + 1)
                }
                None => (Some(Segment::Text("%".into())), 0),
            }
        } else if rest.starts_with('d') {
            (Some(Segment::Date), 1)
        } else if rest.starts_with('n') {
            (Some(Segment::Text("\n".into())), 1)
        } else if rest.starts_with('%') {
            (Some(Segment::Text("%".into())), 1)
        } else {
            (Some(Segment::Text("%".into())), 0)
        };
        match seg {
            Some(Segment::Text(t)) => text.push_str(&t),
            Some(s) => {
                if !text.is_empty() {
                    out.push(Segment::Text(std::mem::take(&mut text)));
                }
                out.push(s);
            }
            None => {}
        }
        rest = &rest[used..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Segment::Text(text));
    }
    out
}

/// Control characters (a newline in a user name…) never reach the log.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect()
}

/// The user and auth type of a request, from the extractor or, for requests that never
/// reached it (unknown route, wrong method), from the Authorization header.
fn api_user(req: &HttpRequest) -> ApiUser {
    if let Some(u) = req.extensions().get::<ApiUser>() {
        return u.clone();
    }
    let Some(header) = header_str(req, "authorization") else {
        return ApiUser {
            name: String::new(),
            authtype: String::new(),
        };
    };
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    let authtype = scheme.to_ascii_lowercase();
    let name = if authtype == "basic" {
        base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.split_once(':').map(|(u, _)| u.to_owned()))
            .unwrap_or_default()
    } else {
        String::new()
    };
    ApiUser { name, authtype }
}

/// log4j2's default `%d`: `yyyy-MM-dd HH:mm:ss,SSS`.
fn log4j_date(t: chrono::DateTime<chrono::Local>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_millis().min(999)
    )
}

impl RuntimeApiLog {
    /// Opens (appends to) `path`, creating its directory; an empty path turns logging off.
    pub fn open(path: &str, pattern: &str) -> Result<Self, String> {
        let sink = if path.is_empty() {
            None
        } else {
            let p = std::path::Path::new(path);
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| format!("runtime API log {path}: {e}"))?;
            let (tx, rx) = sync_channel(QUEUE);
            std::thread::Builder::new()
                .name("runtime-api-log".into())
                .spawn(move || write_lines(f, rx))
                .map_err(|e| format!("runtime API log writer: {e}"))?;
            Some(tx)
        };
        Ok(Self {
            pattern: parse(pattern),
            sink,
        })
    }

    fn line(&self, req: &HttpRequest, state: &AppState<PingFed>, status: u16) -> String {
        let user = api_user(req);
        let mut line = String::with_capacity(160);
        for seg in &self.pattern {
            match seg {
                Segment::Text(t) => line.push_str(t),
                Segment::Date => line.push_str(&log4j_date(chrono::Local::now())),
                Segment::User => line.push_str(&clean(&user.name)),
                Segment::AuthType => line.push_str(&clean(&user.authtype)),
                Segment::ClientIp => line.push_str(&clean(&client_ip(req, &state.config.server))),
                Segment::Method => line.push_str(req.method().as_str()),
                Segment::Url => {
                    line.push_str(&clean(&requested_base_url(req, &state.config.server)));
                    line.push_str(&clean(req.uri().path()));
                }
                Segment::Status => line.push_str(&status.to_string()),
            }
        }
        line
    }
}

/// Writes the line of one request (health probes and metrics scrapes excepted: they are not
/// PingFederate's).
pub fn record(req: &HttpRequest, state: &AppState<PingFed>, status: u16) {
    let log = &state.vendor.runtime_log;
    let Some(sink) = &log.sink else { return };
    // The grant service's log: not the health probes, not the OAuth runtime endpoints
    // (`/as/…`, `/idp/…`, `/pf/JWKS`, discovery), which PingFederate logs elsewhere.
    let path = req.path();
    if matches!(path, "/healthz" | "/readyz" | "/metrics")
        || ["/as/", "/idp/", "/pf/", "/.well-known/"]
            .iter()
            .any(|p| path.starts_with(p))
    {
        return;
    }
    let line = log.line(req, state, status);
    if let Err(TrySendError::Full(line)) = sink.try_send(line) {
        // The writer is behind: wait for room rather than drop an audit line.
        let _ = sink.send(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pattern_parses_into_fields_and_separators() {
        let p = parse(DEFAULT_PATTERN);
        assert_eq!(
            p,
            vec![
                Segment::Date,
                Segment::Text("| ".into()),
                Segment::User,
                Segment::Text("| ".into()),
                Segment::AuthType,
                Segment::Text("| ".into()),
                Segment::ClientIp,
                Segment::Text("| ".into()),
                Segment::Method,
                Segment::Text("| ".into()),
                Segment::Url,
                Segment::Text("| ".into()),
                Segment::Status,
                Segment::Text(" \n".into()),
            ]
        );
        assert_eq!(
            parse("%X{api.request}a%%b%q"),
            vec![Segment::Text("a%b%q".into())]
        );
    }
}
