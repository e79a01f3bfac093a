//! Identifying texts — organization, partner, person and document names, email addresses — in
//! one canonical form, so that two names a reader cannot tell apart are the same name.
//!
//! A name is normalized (Unicode NFC), loses its invisible code points (Unicode's
//! Default_Ignorable_Code_Point: zero-width spaces, soft hyphens, word joiners, variation
//! selectors, …) and may not hold bidirectional controls, which make text display in another
//! order than it is stored. Uniqueness is decided on [`identity_key`]: the normalized form,
//! case-folded.

use unicode_normalization::UnicodeNormalization;

use crate::field::{self, FieldError};

/// Unicode's Bidi_Control characters: the marks and embeddings that reorder displayed text.
pub const BIDI_CONTROLS: &[(u32, u32)] = &[
    (0x061C, 0x061C),
    (0x200E, 0x200F),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
];

/// Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): code points that
/// render as nothing.
pub const DEFAULT_IGNORABLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Unicode's White_Space characters, which trimming removes (`char::is_whitespace`).
pub const WHITE_SPACE: &[(u32, u32)] = &[
    (0x0009, 0x000D),
    (0x0020, 0x0020),
    (0x0085, 0x0085),
    (0x00A0, 0x00A0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
];

/// Unicode's control characters (general category Cc).
pub const CONTROLS: &[(u32, u32)] = &[(0x0000, 0x001F), (0x007F, 0x009F)];

fn within(ranges: &[(u32, u32)], c: char) -> bool {
    let c = u32::from(c);
    ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
}

/// Whether `c` reorders displayed text.
pub fn is_bidi_control(c: char) -> bool {
    within(BIDI_CONTROLS, c)
}

/// Whether `c` renders as nothing.
pub fn is_default_ignorable(c: char) -> bool {
    within(DEFAULT_IGNORABLE, c)
}

/// `raw` in canonical form: NFC, without default-ignorable code points, trimmed. Never fails;
/// for lookups by a name a person typed. Parsing a new name is [`identifier`].
pub fn canonical(raw: &str) -> String {
    let visible: String = raw.chars().filter(|c| !is_default_ignorable(*c)).collect();
    visible.nfc().collect::<String>().trim().to_string()
}

/// The form uniqueness is decided on: the canonical form, case-folded (Unicode default case
/// folding, so `STRASSE` and `straße` are one name) and recomposed.
pub fn identity_key(raw: &str) -> String {
    let canonical = canonical(raw);
    let decomposed: String = canonical.nfd().collect();
    caseless::default_case_fold_str(&decomposed).nfc().collect()
}

/// Refuses a bidirectional control character in `raw`, naming `field_name` and the character.
pub fn check_bidi(field_name: &str, raw: &str) -> Result<(), FieldError> {
    match raw.chars().find(|c| is_bidi_control(*c)) {
        None => Ok(()),
        Some(c) => Err(FieldError::new(
            field_name,
            "invalid",
            format!(
                "{field_name} contains a bidirectional control character (U+{:04X}), which \
                 would make it display in another order than it is stored",
                u32::from(c)
            ),
        )),
    }
}

/// Parses an identifying text: at most `max` characters as sent, no bidirectional control and
/// no control character at all (a name is one line); returns the canonical form, present.
pub fn identifier(field_name: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    check_bidi(field_name, raw)?;
    if let Some(c) = raw.chars().find(|c| c.is_control()) {
        return Err(FieldError::new(
            field_name,
            "invalid",
            format!(
                "{field_name} contains a control character (U+{:04X}); a name is one line of text",
                u32::from(c)
            ),
        ));
    }
    if raw.chars().count() > max {
        return Err(FieldError::too_long(field_name, max));
    }
    field::text(field_name, &canonical(raw), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_reader_cannot_tell_apart_have_one_key() {
        let key = identity_key("AWS");
        for lookalike in [
            "AWS\u{200b}",
            "\u{200b}AWS",
            "A\u{ad}WS",
            "AWS\u{2060}",
            "aws",
            " Aws ",
        ] {
            assert_eq!(identity_key(lookalike), key, "{lookalike:?}");
            assert_eq!(
                identifier("name", lookalike, 200).unwrap().to_lowercase(),
                "aws"
            );
        }
        // Composed and decomposed accents, and full case folding.
        assert_eq!(identity_key("Caf\u{e9}"), identity_key("CAFE\u{301}"));
        assert_eq!(identity_key("STRASSE"), identity_key("stra\u{df}e"));
        assert_ne!(identity_key("AWS"), identity_key("AWS2"));
    }

    #[test]
    fn the_exported_tables_are_the_properties_the_checks_use() {
        for c in ['\u{0}', '\u{1f}', '\u{7f}', '\u{9f}'] {
            assert!(c.is_control() && within(CONTROLS, c));
        }
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(c.is_whitespace(), within(WHITE_SPACE, c), "{c:?}");
            assert_eq!(c.is_control(), within(CONTROLS, c), "{c:?}");
        }
    }

    #[test]
    fn bidirectional_controls_are_refused_naming_the_character() {
        for bad in [
            "AWS\u{202e}",
            "\u{202e}SWA",
            "A\u{200f}WS",
            "\u{2066}AWS\u{2069}",
        ] {
            let err = identifier("name", bad, 200).unwrap_err();
            assert_eq!(err.field, "name");
            assert!(err.message.contains("bidirectional"), "{}", err.message);
        }
    }

    #[test]
    fn an_identifier_of_invisible_characters_only_is_missing() {
        let err = identifier("name", "\u{200b}\u{feff}", 200).unwrap_err();
        assert_eq!(err.code, "required");
        assert_eq!(
            identifier("name", "x\u{0}", 200).unwrap_err().code,
            "invalid"
        );
        assert!(identifier("name", "two\nlines", 200).is_err());
        assert_eq!(identifier("name", "Café", 4).unwrap(), "Café");
        assert!(identifier("name", "Cafés", 4).is_err());
    }
}
