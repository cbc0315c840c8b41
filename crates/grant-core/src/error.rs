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
            other => Self::Internal(other.to_string()),
        }
    }
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
