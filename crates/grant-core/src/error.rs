use thiserror::Error;

use crate::model::RecordKind;

/// Every failure of the core, in categories each gateway maps to its vendor's error shape.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error("{kind} not found: {id}")]
    NotFound { kind: RecordKind, id: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("not authenticated")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The database cannot be reached or is overloaded: a temporary condition.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The database cannot store what it is asked to: disk or database full (SQLITE_FULL,
    /// PostgreSQL "No space left on device"), or an I/O error. Needs an operator; lasts
    /// until space is freed.
    #[error("storage failure: {0}")]
    StorageFailure(String),
    /// An OAuth authorization, token, introspection or revocation request refused for a
    /// protocol reason; each face words it as its vendor does.
    #[error("refused: {0:?}")]
    Refused(crate::model::Refusal),
    /// A bug or an unexpected state. The message is logged, never shown to callers.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

impl CoreError {
    pub fn not_found(kind: RecordKind, id: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            id: id.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same failure, naming the record it happened on (`client 0oa1`, `user alice`):
    /// an invalid field becomes `<record>: <field>`, a conflict or a missing reference is
    /// prefixed with the record. Other failures are returned unchanged.
    pub fn in_record(self, record: &str) -> Self {
        match self {
            Self::Invalid { field, reason } => Self::Invalid {
                field: format!("{record}: {field}"),
                reason,
            },
            Self::Conflict(m) => Self::Conflict(format!("{record}: {m}")),
            Self::NotFound { kind, id } => Self::Invalid {
                field: record.to_owned(),
                reason: format!("refers to {kind} {id}, which does not exist"),
            },
            other => other,
        }
    }
}

impl From<diesel::result::Error> for CoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => Self::NotFound {
                kind: RecordKind::Record,
                id: String::new(),
            },
            // The database's own wording (constraint and index names, key values) stays in the
            // log: callers see only what kind of conflict it was.
            E::DatabaseError(K::UniqueViolation, info) => {
                log::debug!("unique violation: {}", info.message());
                Self::Conflict("a record with this identifier already exists".into())
            }
            E::DatabaseError(K::ForeignKeyViolation, info) => {
                log::debug!("foreign key violation: {}", info.message());
                Self::Invalid {
                    field: "reference".into(),
                    reason: "refers to a record that does not exist".into(),
                }
            }
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            E::DatabaseError(K::SerializationFailure, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            E::DatabaseError(_, info) if is_busy(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            // PostgreSQL refuses text containing NUL (SQLite stores it): a client's input.
            E::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence")
                    && info.message().contains("0x00") =>
            {
                Self::invalid("text", "must not contain NUL characters")
            }
            E::DatabaseError(_, info) if is_storage_failure(info.message()) => {
                Self::StorageFailure(info.message().to_owned())
            }
            other => {
                let text = other.to_string();
                if is_storage_failure(&text) {
                    Self::StorageFailure(text)
                } else {
                    Self::Internal(text)
                }
            }
        }
    }
}

/// SQLITE_FULL ("database or disk is full"), SQLITE_IOERR ("disk I/O error"), and
/// PostgreSQL's disk-full class (53100: "could not extend file …: No space left on device").
/// Also "no such savepoint": SQLite rolls a whole transaction back on its own only after
/// SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM or SQLITE_BUSY (impossible once `BEGIN
/// IMMEDIATE` holds the lock), and Diesel then reports the failed rollback of its savepoint
/// (a multi-row insert) instead of the cause.
fn is_storage_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database or disk is full")
        || m.contains("no such savepoint")
        || m.contains("disk i/o error")
        || m.contains("no space left on device")
        || m.contains("could not extend file")
        || m.contains("disk quota exceeded")
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

impl From<r2d2::Error> for CoreError {
    fn from(e: r2d2::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<diesel::ConnectionError> for CoreError {
    fn from(e: diesel::ConnectionError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<serde_json::Error> for CoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("stored JSON: {e}"))
    }
}
