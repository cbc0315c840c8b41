//! How grantctl prints: a table on a terminal, JSON (one document) or JSON lines for scripts;
//! and how it fails: one line naming the record and the fix, and a stable exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::ValueEnum;
use grant_core::CoreError;
use grant_core::model::RecordKind;
use serde::Serialize;
use serde_json::Value;

/// Exit codes, documented in `--help` and the README.
pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_NOT_FOUND: u8 = 3;
pub const EXIT_CONFLICT: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table when stdout is a terminal, JSON otherwise
    Auto,
    /// Aligned columns (lists) or one field per line (a record)
    Table,
    /// One JSON document (an array for lists)
    Json,
    /// One JSON object per line (lists), for big lists and line tools
    Jsonl,
}

/// A failure: what to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(EXIT_USAGE, message)
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(EXIT_RUNTIME, message)
    }
    /// Reading or writing `what` failed; a closed stdout is the reader stopping early.
    pub fn io(what: &str, e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self::closed_pipe()
        } else {
            Self::runtime(format!("{what}: {e}"))
        }
    }
    /// The reader of stdout went away (`grantctl grant list | head`): not an error.
    fn closed_pipe() -> Self {
        Self::new(0, String::new())
    }
    pub fn exit(self) -> ExitCode {
        if !self.message.is_empty() {
            eprintln!("grantctl: {}", self.message);
        }
        ExitCode::from(self.code)
    }
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

fn hint(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Tenant => "create it with grantctl tenant add, or see grantctl tenant list",
        RecordKind::User => "see grantctl user list, or create it with grantctl user add",
        RecordKind::Client => "see grantctl client list, or create it with grantctl client add",
        RecordKind::Grant => "see grantctl grant list",
        RecordKind::Credential | RecordKind::Secret => "see grantctl credential list",
        RecordKind::Scope => "see grantctl scope list, or define it with grantctl scope add",
        RecordKind::AuthorizationServer => {
            "see grantctl auth-server list, or create it with grantctl auth-server add"
        }
        RecordKind::Role | RecordKind::Record => "check the identifiers given",
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { kind, id } if id.is_empty() => {
                Self::new(EXIT_NOT_FOUND, format!("{kind} not found — {}", hint(kind)))
            }
            CoreError::NotFound { kind, id } => Self::new(
                EXIT_NOT_FOUND,
                format!("{kind} '{id}' does not exist — {}", hint(kind)),
            ),
            CoreError::Conflict(m) => Self::new(EXIT_CONFLICT, m),
            CoreError::Invalid { field, reason } if field == "reference" => Self::new(
                EXIT_NOT_FOUND,
                format!("{reason} — check the tenant, user and client given"),
            ),
            CoreError::Invalid { field, reason } => {
                Self::usage(format!("invalid {field}: {reason}"))
            }
            CoreError::Unavailable(detail) => {
                log::debug!("unavailable: {detail}");
                Self::runtime(
                    "cannot use the database (unreachable, busy or refusing the connection) — \
                     check --database-url / GRANT_DATABASE_URL and that the server runs; \
                     details with RUST_LOG=debug",
                )
            }
            CoreError::StorageFailure(detail) => {
                log::debug!("storage failure: {detail}");
                Self::runtime(
                    "the database cannot store this (disk or database full, or an I/O error) — \
                     free space and retry; details with RUST_LOG=debug",
                )
            }
            CoreError::Internal(detail) => {
                log::debug!("internal: {detail}");
                Self::runtime("unexpected database error — details with RUST_LOG=debug")
            }
            other => Self::runtime(other.to_string()),
        }
    }
}

/// Where records go, in the chosen format.
pub struct Out {
    format: Format,
}

impl Out {
    pub fn new(format: Format) -> Self {
        let format = match format {
            Format::Auto if std::io::stdout().is_terminal() => Format::Table,
            Format::Auto => Format::Json,
            f => f,
        };
        Self { format }
    }

    fn write(text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::closed_pipe()),
            Err(e) => Err(Failure::runtime(format!("writing the output: {e}"))),
        }
    }

    /// A line of text (messages, a secret shown once): printed as is in every format.
    pub fn line(&self, text: &str) -> Result<()> {
        Self::write(&format!("{text}\n"))
    }

    /// One record: JSON, or one `field  value` per line.
    pub fn record(&self, item: &impl Serialize) -> Result<()> {
        let v = to_value(item)?;
        match self.format {
            Format::Table => {
                let Value::Object(map) = &v else {
                    return Self::write(&format!("{}\n", cell(&v)));
                };
                let width = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
                let mut text = String::new();
                for (k, val) in map {
                    text.push_str(&format!("{k:width$}  {}\n", cell(val)));
                }
                Self::write(&text)
            }
            Format::Jsonl => Self::write(&format!("{}\n", compact(&v)?)),
            Format::Json | Format::Auto => Self::write(&format!("{}\n", pretty(&v)?)),
        }
    }

    /// A list: a table of `columns`, a JSON array, or JSON lines (written as they are made).
    pub fn list<T: Serialize>(&self, items: &[T], columns: &[&str]) -> Result<()> {
        match self.format {
            Format::Table => {
                let rows = items
                    .iter()
                    .map(|i| {
                        let v = to_value(i)?;
                        Ok(columns
                            .iter()
                            .map(|c| cell(column(&v, c)))
                            .collect::<Vec<_>>())
                    })
                    .collect::<Result<Vec<_>>>()?;
                let mut widths: Vec<usize> = columns.iter().map(|c| c.len()).collect();
                for r in &rows {
                    for (w, c) in widths.iter_mut().zip(r) {
                        *w = (*w).max(c.chars().count());
                    }
                }
                let head: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
                Self::write(&table_line(&head, &widths))?;
                for r in &rows {
                    Self::write(&table_line(r, &widths))?;
                }
                Ok(())
            }
            Format::Jsonl => {
                for i in items {
                    Self::write(&format!("{}\n", compact(&to_value(i)?)?))?;
                }
                Ok(())
            }
            Format::Json | Format::Auto => {
                Self::write(&format!("{}\n", pretty(&to_value(&items)?)?))
            }
        }
    }
}

fn table_line(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        if i + 1 == cells.len() {
            line.push_str(c);
        } else {
            line.push_str(&format!("{c:w$}  "));
        }
    }
    line.trim_end().to_owned() + "\n"
}

/// A column's value: a field, or a nested one named with dots (`aliases.okta`).
fn column<'a>(v: &'a Value, name: &str) -> &'a Value {
    name.split('.').fold(v, |v, key| &v[key])
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "-".into(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(","),
        Value::Object(o) if o.is_empty() => "-".into(),
        // A scope ({name, restrictions}) shows as its name.
        Value::Object(o) if o.get("name").is_some_and(Value::is_string) => cell(&o["name"]),
        other => other.to_string(),
    }
}

fn to_value<T: Serialize + ?Sized>(item: &T) -> Result<Value> {
    serde_json::to_value(item).map_err(|e| Failure::runtime(format!("cannot render: {e}")))
}

fn pretty(v: &Value) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Failure::runtime(format!("cannot render: {e}")))
}

fn compact(v: &Value) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Failure::runtime(format!("cannot render: {e}")))
}
