//! The store's error type: what callers must tell apart (absent, conflicting, invalid) and the rest.

use partnerhub_domain::FieldError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or lies outside the caller's scope).
    #[error("not found")]
    NotFound,
    /// A uniqueness or state conflict, naming the field.
    #[error("{0}")]
    Conflict(FieldError),
    /// Stored data that no longer parses; a bug or a manual edit.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An audited change was asked of a store opened without the audit chain's key.
    #[error("the audit chain's key is not loaded: this store cannot record changes")]
    NoChainKey,
    /// The audit chain is not in a state changes can be chained onto (another key, a break).
    #[error("audit chain: {0}")]
    Chain(String),
    /// A file of the store could not be created or read.
    #[error("{0}")]
    Io(String),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn conflict(field: &str, message: impl Into<String>) -> Self {
        StoreError::Conflict(FieldError::new(field, "conflict", message))
    }

    /// Whether the database reported a unique-constraint violation.
    pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
        match err {
            sqlx::Error::Database(db) => db.is_unique_violation(),
            _ => false,
        }
    }
}
