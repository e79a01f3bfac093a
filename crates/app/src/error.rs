//! What an operation reports when it cannot do what was asked.

use partnerhub_domain::access::Denied;
use partnerhub_domain::{FieldError, FieldErrors};
use partnerhub_store::StoreError;

/// Why an operation failed. The entry points map each kind to their own words (an HTTP status,
/// a page, an exit code).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller may not do this ([`Denied::NotFound`] for another organization's data).
    #[error("{0}")]
    Denied(Denied),
    /// The input breaks a rule; every field at fault, in order.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The input is not even well-formed (a control character, say): the request is refused
    /// as bad, naming the field.
    #[error("{0}")]
    Malformed(FieldError),
    /// The input conflicts with stored data or the record's state, naming the field.
    #[error("{0}")]
    Conflict(FieldError),
    /// What the operation acts on does not exist.
    #[error("not found")]
    NotFound,
    /// Too many requests from this address; try again later.
    #[error("{0}")]
    Limited(String),
    /// The store failed: a fault of ours, logged where it is reported.
    #[error("{0}")]
    Store(StoreError),
    /// Something else of ours failed.
    #[error("{0}")]
    Internal(String),
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        AppError::Denied(d)
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(f) => AppError::Conflict(f),
            other => AppError::Store(other),
        }
    }
}
