//! Field-level validation errors: which field of an input is wrong and why.
//!
//! Every parse at the edge reports through these, so a client is always told the field.

use std::fmt;

/// One field of an input that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the client spelt it (`category`, `contacts[1].email`, `row 3: name`).
    pub field: String,
    /// A stable machine code: `required`, `invalid`, `too_long`, `unknown_code`, `out_of_range`, `conflict`.
    pub code: &'static str,
    /// A sentence a person can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    pub fn required(field: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field} is required");
        Self::new(field, "required", message)
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        let field = field.into();
        let message = format!("{field} must be at most {max} characters");
        Self::new(field, "too_long", message)
    }

    pub fn unknown_code(field: impl Into<String>, got: &str, allowed: &[&str]) -> Self {
        let field = field.into();
        let message = format!(
            "{field}: unknown value {got:?}; expected one of {}",
            allowed.join(", ")
        );
        Self::new(field, "unknown_code", message)
    }

    /// The same error, reported under a prefixed field name (`contacts[2].` + `email`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = format!("{prefix}{}", self.field);
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

/// All the field errors of one input, in the order the fields were checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, err: FieldError) {
        self.0.push(err);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first error, which an API reports as *the* field.
    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }

    /// Keeps the value when it parsed, records the error otherwise.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&messages.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// The first character of `s` that no text a client sends may carry: a control character
/// (Unicode category Cc: C0, DEL and C1) other than tab, line feed and carriage return, which
/// multi-line text needs. One rule for every text at every edge (query, path, form, JSON, CSV),
/// so both database engines see the same input: PostgreSQL refuses NUL in text, SQLite would
/// store it.
pub fn forbidden_control(s: &str) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Refuses a text holding a [`forbidden_control`] character, naming `field` and the character.
pub fn check_controls(field: &str, s: &str) -> Result<(), FieldError> {
    match forbidden_control(s) {
        None => Ok(()),
        Some(c) => Err(FieldError::new(
            field,
            "invalid",
            format!(
                "{field} contains a control character (U+{:04X}), which no text may hold",
                u32::from(c)
            ),
        )),
    }
}

/// Checks `raw` is within `max` characters (counted as sent) and holds no forbidden control
/// character, and returns it trimmed; present.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    optional_text(field, raw, max)?.ok_or_else(|| FieldError::required(field))
}

/// Like [`text`] but a blank value is `None`.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    check_controls(field, raw)?;
    if raw.chars().count() > max {
        return Err(FieldError::too_long(field, max));
    }
    let value = raw.trim();
    Ok((!value.is_empty()).then(|| value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_line_breaks_and_tabs_are_text() {
        for bad in ["a\0b", "\u{1b}[31m", "x\u{7f}", "\u{85}next line", "\u{9b}"] {
            let err = optional_text("q", bad, 100).unwrap_err();
            assert_eq!(err.field, "q", "{bad:?}");
            assert!(err.message.contains("control character"), "{}", err.message);
        }
        assert_eq!(
            check_controls("q", "a\0").unwrap_err().message,
            "q contains a control character (U+0000), which no text may hold"
        );
        assert!(optional_text("d", "line one\r\nline\ttwo", 100).is_ok());
        assert_eq!(forbidden_control("plain text, ünïcode ✓"), None);
    }
}
