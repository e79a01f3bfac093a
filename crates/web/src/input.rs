//! What every request must satisfy before a handler runs, and the shape of every refusal.
//!
//! [`limits`] bounds the request target and headers (414, 431). [`plain_text`] refuses a path
//! segment or query parameter holding a control character (400 naming the parameter), by the
//! domain's one rule for client text; bodies are checked where they are read (`ApiJson`, the
//! form extractor, the CSV import). [`error_shape`] gives every refusal under `/api` the JSON
//! error shape and every other one an error page, whichever layer produced it (a 405 from the
//! router, a 413 from the body limit).

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use partnerhub_domain::field;
use percent_encoding::percent_decode_str;

use crate::error::ApiError;
use crate::state::AppState;
use crate::views::ViewError;

/// A refusal in the form its path calls for: JSON under `/api`, a page elsewhere.
fn refuse(path: &str, error: ApiError) -> Response {
    if path.starts_with("/api/") {
        error.into_response()
    } else {
        ViewError::from(error).into_response()
    }
}

/// Refuses a request target or headers larger than configured (414, 431). The HTTP server's
/// own buffer is set larger than these limits, so a request between the two gets this answer
/// in the right shape rather than the server's bare one.
pub async fn limits(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let config = state.config();
    let path = req.uri().path().to_string();
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > config.max_uri_bytes {
        return refuse(
            &path,
            ApiError::new(
                StatusCode::URI_TOO_LONG,
                "uri_too_long",
                format!(
                    "the request target is {target} bytes; at most {} are accepted",
                    config.max_uri_bytes
                ),
            ),
        );
    }
    let headers = req.headers();
    let bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if headers.len() > config.max_headers || bytes > config.max_header_bytes {
        return refuse(
            &path,
            ApiError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
                format!(
                    "the request has {} header lines and {bytes} bytes of headers; at most {} lines and {} bytes are accepted",
                    headers.len(),
                    config.max_headers,
                    config.max_header_bytes
                ),
            ),
        );
    }
    next.run(req).await
}

/// The parameter a path segment fills, read from the route's pattern (`{id}` → `id`).
fn segment_name(pattern: Option<&str>, index: usize) -> String {
    pattern
        .and_then(|p| p.trim_start_matches('/').split('/').nth(index))
        .and_then(|s| s.strip_prefix('{'))
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or("path")
        .trim_start_matches('*')
        .to_string()
}

/// The first control character in a decoded path segment or query parameter, named.
fn find_control(req: &Request) -> Option<(String, String)> {
    let pattern = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let segments = req.uri().path().trim_start_matches('/').split('/');
    for (i, raw) in segments.enumerate() {
        let decoded = percent_decode_str(raw).decode_utf8_lossy();
        if field::forbidden_control(&decoded).is_some() {
            let name = segment_name(pattern, i);
            let message = field::check_controls(&name, &decoded)
                .err()
                .map(|e| e.message)
                .unwrap_or_default();
            return Some((name, message));
        }
    }
    let query = req.uri().query().unwrap_or_default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        for text in [&key, &value] {
            if field::forbidden_control(text).is_some() {
                // A key that itself holds the character cannot be named as it is.
                let name = if field::forbidden_control(&key).is_some() {
                    "query".to_string()
                } else {
                    key.to_string()
                };
                let message = field::check_controls(&name, text)
                    .err()
                    .map(|e| e.message)
                    .unwrap_or_default();
                return Some((name, message));
            }
        }
    }
    None
}

/// Refuses control characters in the path and query with 400 naming the parameter, before
/// any handler (and so any query to the store) runs. A route layer, so the route's pattern
/// names path parameters.
pub async fn plain_text(req: Request, next: Next) -> Response {
    match find_control(&req) {
        Some((name, message)) => {
            let path = req.uri().path().to_string();
            refuse(&path, ApiError::bad_request(&name, message))
        }
        None => next.run(req).await,
    }
}

/// The machine code of an error status the API did not phrase itself.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

/// Gives an error response that a lower layer produced in its own form (an empty 405, a plain
/// 413) the API's JSON error shape under `/api` and an error page elsewhere, keeping its status
/// and headers (`Allow` on a 405).
pub async fn error_shape(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let api = path.starts_with("/api/");
    let shaped = if api {
        content_type.starts_with("application/json")
    } else {
        content_type.starts_with("text/html")
    };
    if shaped {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let message = match (status, parts.headers.get(header::ALLOW)) {
        (StatusCode::METHOD_NOT_ALLOWED, Some(allow)) => format!(
            "this path does not accept that method; it accepts {}",
            allow.to_str().unwrap_or("other methods")
        ),
        (StatusCode::PAYLOAD_TOO_LARGE, _) => "the request body is larger than accepted".into(),
        _ => status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_string(),
    };
    let shaped = refuse(&path, ApiError::new(status, code_of(status), message));
    let (new_parts, body) = shaped.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &new_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, Body::new(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_named_from_the_route_pattern() {
        let p = Some("/api/v1/partners/{id}/documents/{doc_id}");
        assert_eq!(segment_name(p, 3), "id");
        assert_eq!(segment_name(p, 5), "doc_id");
        assert_eq!(segment_name(p, 1), "path");
        assert_eq!(segment_name(None, 0), "path");
    }
}
