//! A JSON scanner that reads only the fields asked for and skips everything else at memory
//! speed: Service Ping payloads are kilobytes of counters of which a report needs a dozen.

use std::borrow::Cow;

/// Why a JSON text could not be scanned.
pub type ScanResult<T> = Result<T, &'static str>;

/// A cursor over one JSON text.
pub struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// A scalar value as found, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    /// String contents without the quotes, escapes not yet decoded.
    Str(&'a [u8]),
    /// The number's text.
    Number(&'a [u8]),
    Bool(bool),
    Null,
    /// An object or array (skipped).
    Container,
}

impl<'a> Scanner<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&c) = self.buf.get(self.pos) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.buf.get(self.pos).copied()
    }

    #[inline]
    fn expect(&mut self, c: u8, why: &'static str) -> ScanResult<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(why)
        }
    }

    /// Whether only white space remains.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Whether the next value is an object.
    pub fn next_is_object(&mut self) -> bool {
        self.peek() == Some(b'{')
    }

    /// Reads a string's raw contents; the cursor is on the opening quote.
    #[inline(always)]
    fn raw_string(&mut self) -> ScanResult<&'a [u8]> {
        let start = self.pos + 1;
        let end = string_end(self.buf, start)?;
        self.pos = end;
        Ok(&self.buf[start..end - 1])
    }

    /// Skips an object or array; the cursor is on its opening bracket.
    #[inline]
    fn skip_container(&mut self) -> ScanResult<()> {
        self.pos = crate::structural::skip_container(self.buf, self.pos)
            .ok_or("unterminated object or array")?;
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8]) -> ScanResult<()> {
        if self.buf[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err("invalid literal")
        }
    }

    fn number(&mut self) -> ScanResult<&'a [u8]> {
        let start = self.pos;
        while let Some(&c) = self.buf.get(self.pos) {
            if !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            Err("unexpected character")
        } else {
            Ok(&self.buf[start..self.pos])
        }
    }

    /// Reads the next value as a scalar, skipping it if it is an object or array.
    pub fn scalar(&mut self) -> ScanResult<Scalar<'a>> {
        match self.peek() {
            Some(b'"') => self.raw_string().map(Scalar::Str),
            Some(b'{' | b'[') => self.skip_container().map(|()| Scalar::Container),
            Some(b't') => self.literal(b"true").map(|()| Scalar::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Scalar::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Scalar::Null),
            Some(_) => self.number().map(Scalar::Number),
            None => Err("unexpected end of line"),
        }
    }

    /// Skips the next value.
    #[inline]
    pub fn skip(&mut self) -> ScanResult<()> {
        self.scalar().map(|_| ())
    }

    /// Walks an object: `on_field` gets each key (raw) and must consume exactly its value.
    pub fn object(
        &mut self,
        mut on_field: impl FnMut(&mut Self, &'a [u8]) -> ScanResult<()>,
    ) -> ScanResult<()> {
        self.expect(b'{', "expected an object")?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err("expected a field name");
            }
            let key = self.raw_string()?;
            self.expect(b':', "expected ':' after a field name")?;
            on_field(self, key)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err("expected ',' or '}' in an object"),
            }
        }
    }
}

/// The index just past the closing quote of a string whose contents start at `i`.
#[inline(always)]
fn string_end(buf: &[u8], i: usize) -> ScanResult<usize> {
    crate::structural::string_end(buf, i).ok_or("unterminated string")
}

/// Whether a raw string has an escape. Strings here are short keys and values: an inline loop
/// beats a library search call.
#[inline]
pub fn has_backslash(raw: &[u8]) -> bool {
    raw.iter().fold(false, |seen, &b| seen | (b == b'\\'))
}

/// A raw string's text, borrowed when it has no escapes; `None` if they are invalid or the text
/// is not UTF-8.
pub fn text_of(raw: &[u8]) -> Option<Cow<'_, str>> {
    if has_backslash(raw) {
        decode_string(raw).map(Cow::Owned)
    } else {
        std::str::from_utf8(raw).ok().map(Cow::Borrowed)
    }
}

/// Decodes a raw string's escapes; `None` if they are invalid or the text is not UTF-8.
pub fn decode_string(raw: &[u8]) -> Option<String> {
    if !has_backslash(raw) {
        return std::str::from_utf8(raw).ok().map(str::to_owned);
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice(&quoted).ok()
}

/// Whether a raw key equals `name` (decoding escapes only when present).
#[inline]
pub fn key_is(raw: &[u8], name: &[u8]) -> bool {
    // Names asked for never contain escapes, so only a mismatch needs a closer look.
    raw == name || (has_backslash(raw) && decode_string(raw).is_some_and(|k| k.as_bytes() == name))
}

/// A count from a metric value: a non-negative number, or a string holding one. Negative values
/// are the sender's "unknown" (-1 failed, -1000 retired) and fractions are cut to whole users.
pub fn count(value: Scalar<'_>) -> Option<u64> {
    let text = match value {
        Scalar::Number(t) => t,
        Scalar::Str(t) => t,
        _ => return None,
    };
    if !text.is_empty() && text.len() <= 18 && text.iter().all(u8::is_ascii_digit) {
        return Some(text.iter().fold(0u64, |n, &c| n * 10 + u64::from(c - b'0')));
    }
    let s = std::str::from_utf8(text).ok()?;
    let f: f64 = s.parse().ok()?;
    if f.is_finite() && (0.0..9.0e18).contains(&f) {
        Some(f.floor() as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_nested_values_with_tricky_strings() {
        let text = br#"{"a":{"b":[1,2,{"c":"}]\"{"}],"d":"x\\"},"e":-1.5e3,"f":"ok"}"#;
        let mut s = Scanner::new(text);
        let mut seen = Vec::new();
        s.object(|s, k| {
            seen.push((k.to_vec(), s.scalar()?));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].1, Scalar::Container);
        assert_eq!(seen[1].1, Scalar::Number(b"-1.5e3"));
        assert_eq!(seen[2].1, Scalar::Str(b"ok"));
        assert!(s.at_end());
    }

    #[test]
    fn brackets_inside_strings_do_not_end_a_skipped_container() {
        let text = br#"{"a":{"b":"}{","c":["]"],"d":{"e":"{"}},"f":7}"#;
        let mut s = Scanner::new(text);
        let mut seen = Vec::new();
        s.object(|s, k| {
            seen.push((k.to_vec(), s.scalar()?));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen[1], (b"f".to_vec(), Scalar::Number(b"7")));
    }

    #[test]
    fn truncated_text_is_an_error() {
        for bad in [
            &br#"{"a":{"b":1}"#[..],
            br#"{"a":"x"#,
            br#"{"a" 1}"#,
            b"{",
            br#"{"a":tru}"#,
        ] {
            let mut s = Scanner::new(bad);
            assert!(
                s.object(|s, _| s.skip()).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn counts_follow_the_sender_conventions() {
        assert_eq!(count(Scalar::Number(b"42")), Some(42));
        assert_eq!(count(Scalar::Str(b"42")), Some(42));
        assert_eq!(count(Scalar::Number(b"-1")), None);
        assert_eq!(count(Scalar::Number(b"-1000")), None);
        assert_eq!(count(Scalar::Number(b"12.7")), Some(12));
        assert_eq!(count(Scalar::Str(b"false")), None);
        assert_eq!(count(Scalar::Null), None);
        assert_eq!(count(Scalar::Bool(true)), None);
    }

    #[test]
    fn escaped_keys_compare_decoded() {
        assert!(key_is(br"uu\u0069d", b"uuid"));
        assert!(!key_is(b"uuids", b"uuid"));
    }
}
