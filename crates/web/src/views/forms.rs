//! What every HTML form shares: the posted-form extractor that checks the session's CSRF token,
//! field errors shown beside their field, and the choices of a `<select>`.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use partnerhub_app::AppError;
use partnerhub_domain::{field, FieldError, FieldErrors};
use partnerhub_store::StoreError;

use super::layout::ViewError;
use crate::auth::Session;
use crate::error::ApiError;
use crate::state::AppState;

/// The fields of a submitted urlencoded form, in the order they came.
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or `""` when the form did not send it.
    pub fn get(&self, name: &str) -> &str {
        self.opt(name).unwrap_or("")
    }

    /// The first value of `name`, if sent.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, `None` when absent or blank.
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.opt(name).filter(|v| !v.trim().is_empty())
    }
}

/// A form posted by a signed-in user whose CSRF token matched: every POST handler of the UI
/// takes this, so no form can skip the check.
pub struct Posted {
    pub session: Session,
    pub fields: Fields,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let req = Request::from_parts(parts, body);
        let fields = read_fields(req, state).await?;
        if session.check_csrf(fields.opt("csrf_token")).is_err() {
            return Err(ViewError::new(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from Partnerhub. Go back, reload the page and try again.",
            )
            .into_response());
        }
        Ok(Posted { session, fields })
    }
}

/// Reads a urlencoded body; anything else, or a field holding a control character (the one
/// rule for client text), is a friendly 400 page naming the field.
pub async fn read_fields(req: Request, state: &AppState) -> Result<Fields, Response> {
    let pairs = match Form::<Vec<(String, String)>>::from_request(req, state).await {
        Ok(Form(pairs)) => pairs,
        Err(e) => {
            return Err(ViewError::new(
                StatusCode::BAD_REQUEST,
                format!("The form could not be read: {}", e.body_text()),
            )
            .into_response())
        }
    };
    for (name, value) in &pairs {
        let field = if field::forbidden_control(name).is_some() {
            "a field name"
        } else {
            name.as_str()
        };
        for text in [name, value] {
            if let Err(e) = field::check_controls(field, text) {
                return Err(ViewError::new(StatusCode::BAD_REQUEST, e.message).into_response());
            }
        }
    }
    Ok(Fields(pairs))
}

/// Field errors of one submission, looked up by the field name the domain reports.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// The error of `field` itself or of an element of it (`domains[2]` belongs to `domains`).
    pub fn at(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| {
            e.field == field
                || e.field
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('['))
        })
    }

    /// The error of exactly `field`.
    pub fn exact(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn all(&self) -> &[FieldError] {
        &self.0
    }

    /// An error as the summary lists it: a contact's error says which contact.
    pub fn described(&self, e: &FieldError) -> String {
        let row = e
            .field
            .strip_prefix("contacts[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(n, _)| n.parse::<usize>().ok());
        match row {
            Some(n) => format!("Contact {}: {}", n + 1, e.message),
            None => e.message.clone(),
        }
    }

    /// A summary sentence for the top of the form.
    pub fn summary(&self) -> String {
        match self.0.len() {
            1 => "One field needs your attention.".to_string(),
            n => format!("{n} fields need your attention."),
        }
    }
}

impl From<FieldErrors> for Errors {
    fn from(e: FieldErrors) -> Self {
        Self(e.0)
    }
}

/// What a failed write means for a form: field errors are shown beside their fields (422, or
/// 409 for conflicts such as a duplicate name); anything else becomes an error page.
pub enum Rejected {
    Fields(StatusCode, Errors),
    Page(ViewError),
}

impl From<FieldErrors> for Rejected {
    fn from(e: FieldErrors) -> Self {
        Rejected::Fields(StatusCode::UNPROCESSABLE_ENTITY, e.into())
    }
}

impl From<StoreError> for Rejected {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(f) => Rejected::Fields(StatusCode::CONFLICT, Errors(vec![f])),
            other => Rejected::Page(ApiError::from(other).into()),
        }
    }
}

impl From<AppError> for Rejected {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(errs) => errs.into(),
            AppError::Conflict(f) => Rejected::Fields(StatusCode::CONFLICT, Errors(vec![f])),
            other => Rejected::Page(ApiError::from(other).into()),
        }
    }
}

impl From<ApiError> for Rejected {
    fn from(e: ApiError) -> Self {
        Rejected::Page(e.into())
    }
}

/// One option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        let selected = value == current;
        Self {
            value,
            label: label.into(),
            selected,
        }
    }
}

/// An `<optgroup>` of choices.
#[derive(Debug, Clone)]
pub struct ChoiceGroup {
    pub label: String,
    pub choices: Vec<Choice>,
}

/// Choices for a coded enum's `(code, label)` pairs, with `current` selected.
pub fn choices<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    current: &str,
) -> Vec<Choice> {
    pairs
        .into_iter()
        .map(|(code, label)| Choice::new(code, label, current))
        .collect()
}

/// An id in a page path; anything but a number is a page that does not exist.
pub fn parse_id(raw: &str) -> Result<i64, ViewError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_error_is_shown_beside_its_list_field() {
        let errs = Errors(vec![
            FieldError::new("domains[1]", "invalid", "bad domain"),
            FieldError::new("contacts[0].email", "invalid", "bad email"),
        ]);
        assert_eq!(
            errs.at("domains").map(|e| e.field.as_str()),
            Some("domains[1]")
        );
        assert!(errs.at("contacts[0].email").is_some());
        assert!(errs.at("contacts").is_some());
        assert!(errs.at("domain").is_none());
        assert!(errs.at("name").is_none());
    }

    #[test]
    fn ids_are_positive_numbers() {
        assert_eq!(parse_id("12").ok(), Some(12));
        assert!(parse_id("0").is_err());
        assert!(parse_id("x").is_err());
    }
}
