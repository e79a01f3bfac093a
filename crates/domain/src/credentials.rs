//! The rules for the secrets people and scripts sign in with: what makes a password
//! acceptable (NIST SP 800-63B: length, not blank, not a common password), API token labels and
//! lifetimes. Hashing and storage are not here; only what is acceptable.

use std::io::Read;
use std::sync::OnceLock;

use crate::field::{self, FieldError};

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted (hashing cost is bounded by it).
pub const MAX_PASSWORD: usize = 1024;
/// Longest API token label.
pub const MAX_TOKEN_LABEL: usize = 100;
/// Longest API token lifetime, in days.
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// The 100 000 most common passwords of the SecLists breach corpus, lowercased and sorted by
/// bytes (`data/README.md` says where they come from).
const COMMON_PASSWORDS_GZ: &[u8] = include_bytes!("../data/common-passwords.txt.gz");

/// The common-password list, decompressed on first use: the text and where each line starts.
struct CommonPasswords {
    text: String,
    starts: Vec<u32>,
}

impl CommonPasswords {
    fn load() -> Self {
        let mut text = String::new();
        // The list is compiled in and checked by a test: a failure here is a broken build,
        // which leaves the list empty rather than taking the process down.
        if flate2::read::GzDecoder::new(COMMON_PASSWORDS_GZ)
            .read_to_string(&mut text)
            .is_err()
        {
            text.clear();
        }
        let mut starts = Vec::with_capacity(100_000);
        let mut at = 0usize;
        for line in text.split_inclusive('\n') {
            starts.push(at as u32);
            at += line.len();
        }
        Self { text, starts }
    }

    fn line(&self, i: usize) -> &str {
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |e| *e as usize);
        self.text[start..end].trim_end_matches('\n')
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    fn contains(&self, lowercase: &str) -> bool {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.line(mid).as_bytes().cmp(lowercase.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

fn common_passwords() -> &'static CommonPasswords {
    static LIST: OnceLock<CommonPasswords> = OnceLock::new();
    LIST.get_or_init(CommonPasswords::load)
}

/// Why a password is too easy to guess, if it is: one of the common passwords (ignoring
/// case), one repeated (`qwertyqwerty`), one followed only by digits and symbols
/// (`monkey123456!`), one character over and over, or a run of consecutive characters
/// (`123456789012`, `abcdefghijkl`).
fn guessable(password: &str) -> Option<&'static str> {
    let lower = password.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    if chars.windows(2).all(|w| w[0] == w[1]) {
        return Some("repeats one character");
    }
    let step = |w: &[char]| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0]));
    if chars.windows(2).all(|w| step(w) == 1) || chars.windows(2).all(|w| step(w) == -1) {
        return Some("is a run of consecutive characters");
    }
    let list = common_passwords();
    if list.contains(&lower) {
        return Some("is one of the most common passwords");
    }
    // A common password repeated.
    for parts in 2..=4 {
        if chars.len().is_multiple_of(parts) {
            let unit: String = chars[..chars.len() / parts].iter().collect();
            if unit.repeat(parts) == lower {
                if unit.chars().count() < 4 {
                    return Some("repeats a short pattern");
                }
                if list.contains(&unit) {
                    return Some("repeats a common password");
                }
            }
        }
    }
    // A common password with digits or symbols appended.
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    if stem.len() < lower.len() && stem.chars().count() >= 4 && list.contains(stem) {
        return Some("is a common password with digits or symbols added");
    }
    None
}

/// Checks a new password: at least [`MIN_PASSWORD`] characters, not only whitespace, and not
/// easy to guess (see [`guessable`]); the refusal says which.
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
    if password.chars().all(char::is_whitespace) {
        return Err(FieldError::new(
            field,
            "invalid",
            format!("{field} must not be only spaces"),
        ));
    }
    field::check_controls(field, password)?;
    if let Some(why) = guessable(password) {
        return Err(FieldError::new(
            field,
            "too_common",
            format!("{field} {why}, so it is among the first an attacker tries; choose another"),
        ));
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
        assert!(check_password("password", "correct horse battery staple").is_ok());
        assert_eq!(
            check_password("p", &"xy".repeat(513)).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn blank_and_guessable_passwords_are_refused_saying_why() {
        let why = |p: &str| check_password("password", p).unwrap_err().message;
        assert_eq!(why("            "), "password must not be only spaces");
        assert!(why("\t \u{3000}           ").contains("only spaces"));
        for common in [
            "123456789012",
            "qwertyuiopasdfgh",
            "1qaz2wsx3edc",
            "IloveyouIloveyou",
        ] {
            assert!(
                why(common).contains("choose another"),
                "{common}: {}",
                why(common)
            );
        }
        assert!(why("111111111111").contains("repeats one character"));
        assert!(why("abcdefghijklm").contains("consecutive"));
        assert!(why("monkey123456!").contains("digits or symbols added"));
        assert!(why("baseballbaseball").contains("repeats a common password"));
        assert!(why("passwordpassword").contains("most common passwords"));
        assert_eq!(
            check_password("password", "1qaz2wsx3edc").unwrap_err().code,
            "too_common"
        );
    }

    #[test]
    fn the_bundled_list_holds_the_hundred_thousand_most_common_passwords() {
        let list = common_passwords();
        assert_eq!(list.len(), 96_518, "lowercased and deduplicated");
        for i in 1..list.len() {
            assert!(list.line(i - 1) < list.line(i), "sorted at line {i}");
        }
        for p in ["123456", "password", "dragon", "1qaz2wsx3edc"] {
            assert!(list.contains(p), "{p}");
        }
        assert!(!list.contains("correct horse battery staple"));
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
