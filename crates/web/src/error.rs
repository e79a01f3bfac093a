//! The API's errors: `{"error":{"code","message","field"}}` with the right status. A 5xx logs
//! its cause and shows none of it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerhub_app::AppError;
use partnerhub_domain::access::Denied;
use partnerhub_domain::{FieldError, FieldErrors};
use partnerhub_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error as the API reports it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    /// Every field error, when there were several.
    pub details: Vec<FieldError>,
}

/// The JSON body of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine code (`invalid`, `required`, `unknown_code`, `not_found`, ...).
    pub code: String,
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// All field errors, when more than one field is at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
}

/// One field error.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            field: None,
            details: Vec::new(),
        }
    }
    pub fn field(status: StatusCode, code: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            ..Self::new(status, code, message)
        }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in or send a valid bearer token",
        )
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role is not allowed to do this",
        )
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the cause has been logged",
        )
    }
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        Self::field(StatusCode::BAD_REQUEST, "invalid", field, message)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        FieldErrors(vec![e]).into()
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errs: FieldErrors) -> Self {
        let first = errs
            .first()
            .cloned()
            .unwrap_or_else(|| FieldError::new("", "invalid", "invalid input"));
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: first.code.to_string(),
            message: first.message.clone(),
            field: Some(first.field.clone()),
            details: if errs.0.len() > 1 { errs.0 } else { Vec::new() },
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden => Self::forbidden(),
            Denied::NotFound => Self::not_found(),
            Denied::Unclaimed => {
                Self::field(StatusCode::CONFLICT, "unclaimed", "lead", d.to_string())
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(f) => {
                Self::field(StatusCode::CONFLICT, f.code, &f.field, f.message)
            }
            other => {
                tracing::error!(error = %other, "store failure");
                Self::internal()
            }
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Denied(d) => d.into(),
            AppError::Invalid(errs) => errs.into(),
            AppError::Conflict(f) => Self::field(StatusCode::CONFLICT, f.code, &f.field, f.message),
            AppError::NotFound => Self::not_found(),
            AppError::Malformed(f) => {
                Self::field(StatusCode::BAD_REQUEST, f.code, &f.field, f.message)
            }
            AppError::Limited(message) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            }
            AppError::Store(s) => s.into(),
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "operation failed");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
                errors: self
                    .details
                    .into_iter()
                    .map(|f| FieldErrorBody {
                        field: f.field,
                        code: f.code.to_string(),
                        message: f.message,
                    })
                    .collect(),
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// What API handlers return.
pub type ApiResult<T> = Result<T, ApiError>;
