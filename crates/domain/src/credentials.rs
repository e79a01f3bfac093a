//! The rules for the secrets people and scripts sign in with: password length, API token
//! labels and lifetimes. Hashing and storage are not here; only what is acceptable.

use crate::field::{self, FieldError};

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted (hashing cost is bounded by it).
pub const MAX_PASSWORD: usize = 1024;
/// Longest API token label.
pub const MAX_TOKEN_LABEL: usize = 100;
/// Longest API token lifetime, in days.
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// Checks a new password's length.
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(FieldError::new(
            field,
            "invalid",
            format!("{field} must be at least {MIN_PASSWORD} characters"),
        ));
    }
    if n > MAX_PASSWORD {
        return Err(FieldError::too_long(field, MAX_PASSWORD));
    }
    Ok(())
}

/// A token's label: present and at most [`MAX_TOKEN_LABEL`] characters.
pub fn token_label(field: &str, raw: &str) -> Result<String, FieldError> {
    field::text(field, raw, MAX_TOKEN_LABEL)
}

/// When a token living `days` days from `now` (Unix seconds) expires.
pub fn token_expiry(field: &str, days: i64, now: i64) -> Result<i64, FieldError> {
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(FieldError::new(
            field,
            "out_of_range",
            format!("{field} must be a number of days between 1 and {MAX_TOKEN_DAYS}"),
        ));
    }
    Ok(now + days * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_twelve_characters() {
        assert_eq!(
            check_password("password", "short").unwrap_err().field,
            "password"
        );
        assert!(check_password("password", "twelve chars").is_ok());
        assert_eq!(
            check_password("p", &"x".repeat(1025)).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn token_labels_and_lifetimes_are_bounded() {
        assert!(token_label("label", "").is_err());
        assert!(token_label("label", &"x".repeat(101)).is_err());
        assert_eq!(token_expiry("expires_in_days", 1, 100), Ok(86_500));
        assert_eq!(
            token_expiry("expires_in_days", 0, 0).unwrap_err().field,
            "expires_in_days"
        );
        assert!(token_expiry("expires_in_days", 3651, 0).is_err());
    }
}
