//! The JSON API under `/api/v1`, one module per resource, and the request-body extractor that
//! names the field at fault.

pub mod audit;
pub mod delivery;
pub mod documents;
pub mod inbound;
pub mod organizations;
pub mod outbox;
pub mod partners;
pub mod users;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// The API's routes: the document, `/me`, and each resource module's `routes()`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(crate::openapi::document))
        .route("/api/v1/me", get(users::me))
        .merge(partners::routes())
        .merge(documents::routes())
        .merge(organizations::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .merge(inbound::routes())
        .merge(outbox::routes())
        .merge(delivery::routes())
}

/// A JSON body whose deserialization errors name the field (`contacts[0].email`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("could not read the request body: {e}"),
            )
        })?;
        // Every request body of this API is an object; serde would otherwise read an array
        // positionally into a struct and blame an element.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                "invalid JSON: the body must be a JSON object",
            ));
        }
        // Read as JSON first, so every string (and key) is checked by the one rule for client
        // text before any field is looked at; then into the request type.
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                format!("invalid JSON: {e}"),
            )
        })?;
        let mut value = value;
        integral_floats_to_integers(&mut value);
        if let Some((field, message)) = control_in(&value, String::new()) {
            return Err(ApiError::bad_request(&field, message));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                // `.` is the whole body and `?` an unknown position: an unknown field names
                // itself in the message.
                let field = if path == "." || path == "?" {
                    unknown_field(&inner.to_string()).unwrap_or_default()
                } else {
                    path
                };
                let message = if field.is_empty() {
                    format!("invalid JSON: {inner}")
                } else {
                    format!("{field}: {inner}")
                };
                let mut err = ApiError::new(StatusCode::BAD_REQUEST, "invalid", message);
                if !field.is_empty() {
                    err.field = Some(field);
                }
                err
            })
    }
}

/// JSON has one number type: `5.0` is the integer 5 to a JSON Schema, so it is to this API.
/// Only where the float is exact (within ±2^53): an integer literal beyond 64 bits, which the
/// parser can only hold as a rounded float, stays a float and is refused.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.fract() == 0.0 && (-EXACT..=EXACT).contains(&f) {
                    *value = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// The field a serde "unknown field `x`" message names.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next().map(str::to_string)
}

/// The first string or key of a JSON value holding a control character: its path
/// (`contacts[1].name`, as serde names fields) and the refusal.
fn control_in(value: &serde_json::Value, path: String) -> Option<(String, String)> {
    use serde_json::Value;
    let refuse = |field: &str, text: &str| {
        partnerhub_domain::field::check_controls(field, text)
            .err()
            .map(|e| (field.to_string(), e.message))
    };
    match value {
        Value::String(s) => refuse(if path.is_empty() { "body" } else { &path }, s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| control_in(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let field = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if partnerhub_domain::field::forbidden_control(k).is_some() {
                let at = if path.is_empty() { "body" } else { &path };
                return refuse(at, k);
            }
            control_in(v, field)
        }),
        _ => None,
    }
}

/// Query parameters whose errors are API errors naming the parameter (`?page=abc`).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner().to_string();
                match unknown_field(&inner) {
                    // Query types refuse parameters they do not know, naming them.
                    Some(name) if path == "." || path == "?" => ApiError::field(
                        StatusCode::BAD_REQUEST,
                        "unknown_parameter",
                        &name,
                        format!(
                            "{name} is not a parameter of this endpoint; {}",
                            inner.split_once(", ").map_or("", |(_, rest)| rest)
                        ),
                    ),
                    _ => ApiError::field(
                        StatusCode::BAD_REQUEST,
                        "invalid",
                        &path,
                        format!("{path}: {inner}"),
                    ),
                }
            })
    }
}

/// Path parameters whose errors are API errors naming the parameter (`/partners/abc`).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::{ErrorKind, Path};
        use axum::extract::rejection::PathRejection;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(rejection) => {
                let (field, message) = match &rejection {
                    PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                        ErrorKind::ParseErrorAtKey {
                            key,
                            value,
                            expected_type,
                        } => (
                            key.clone(),
                            format!("{key}: {value:?} is not a valid {expected_type}"),
                        ),
                        ErrorKind::ParseError {
                            value,
                            expected_type,
                        }
                        | ErrorKind::ParseErrorAtIndex {
                            value,
                            expected_type,
                            ..
                        } => (
                            "id".to_string(),
                            format!("{value:?} is not a valid {expected_type} id"),
                        ),
                        _ => ("path".to_string(), rejection.body_text()),
                    },
                    _ => ("path".to_string(), rejection.body_text()),
                };
                Err(ApiError::field(
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    &field,
                    message,
                ))
            }
        }
    }
}

/// Highest page number accepted: far beyond any list, and small enough that no offset overflows.
pub const MAX_PAGE: i64 = 1_000_000;

/// The row offset of a 1-based page.
pub fn offset(page: i64, per_page: i64) -> i64 {
    (page.max(1) - 1).saturating_mul(per_page)
}

/// Paging parameters shared by lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

impl Paging {
    pub fn resolve(&self) -> Result<(i64, i64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(ApiError::bad_request(
                "page",
                format!("page must be between 1 and {MAX_PAGE}"),
            ));
        }
        if !(1..=200).contains(&per_page) {
            return Err(ApiError::bad_request(
                "per_page",
                "per_page must be between 1 and 200",
            ));
        }
        Ok((page, per_page))
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// Formats a time as RFC 3339.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
