//! Skipping a JSON object or array 64 bytes at a time: each block's quotes, backslashes and
//! brackets become bitmasks in a few vector instructions (portable SIMD: SSE2 on x86-64, NEON on
//! aarch64, plain code elsewhere), the bytes inside strings are masked out with a prefix XOR of
//! the unescaped quotes, and the bracket depth moves by population counts. Only a block in which
//! the container could end is looked at bracket by bracket.
//!
//! Semantics, shared with [`skip_reference`], the byte-at-a-time definition the tests hold the
//! fast path to: a backslash escapes the byte after it (outside strings too, where JSON allows
//! no backslash: the skipped text is not otherwise validated); an unescaped quote opens or closes a
//! string; outside strings, `open` and `close` (the container's own kind) move the depth, and the
//! container ends where the depth returns to zero. Brackets of the other kind nest inside without
//! changing where the container ends, so they are not tracked.

use wide::u8x32;

/// Bytes per block: one bit of a `u64` mask each.
const BLOCK: usize = 64;

/// The structural bytes of one block, one bit per byte (bit `i` is byte `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Masks {
    quotes: u64,
    backslashes: u64,
    opens: u64,
    closes: u64,
}

#[inline(always)]
fn equal(v: u8x32, c: u8) -> u64 {
    u64::from(v.simd_eq(u8x32::splat(c)).to_bitmask())
}

#[inline(always)]
fn masks(block: &[u8; BLOCK], open: u8, close: u8) -> Masks {
    let (lo, hi) = block.split_at(BLOCK / 2);
    let lo = u8x32::new(lo.try_into().unwrap_or([0; 32]));
    let hi = u8x32::new(hi.try_into().unwrap_or([0; 32]));
    let both = |c| equal(lo, c) | equal(hi, c) << 32;
    Masks {
        quotes: both(b'"'),
        backslashes: both(b'\\'),
        opens: both(open),
        closes: both(close),
    }
}

/// Every bit set from each set bit of `x` up to (not including) the next one: the bytes from an
/// opening quote to just before its closing quote.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The bytes escaped by a backslash. `carry` says the block starts escaped (the previous one
/// ended on an unescaped backslash) and is set for the next block.
#[inline]
fn escaped(backslashes: u64, carry: &mut bool) -> u64 {
    let mut escaped = 0u64;
    let mut pending = backslashes;
    if std::mem::take(carry) {
        escaped |= 1;
        pending &= !1;
    }
    while pending != 0 {
        let at = pending.trailing_zeros();
        if at == 63 {
            *carry = true;
            break;
        }
        let next = 1u64 << (at + 1);
        escaped |= next;
        pending &= !(next | 1u64 << at);
    }
    escaped
}

/// The last, short block of a text, padded with spaces.
#[cold]
fn pad<'t>(rest: &[u8], tail: &'t mut [u8; BLOCK]) -> &'t [u8; BLOCK] {
    tail[..rest.len()].copy_from_slice(rest);
    tail
}

/// Skips the object or array whose opening bracket is `buf[start]`; returns the index just past
/// its closing bracket, or `None` if the text ends first.
pub fn skip_container(buf: &[u8], start: usize) -> Option<usize> {
    let (open, close) = match buf.get(start)? {
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => return None,
    };
    let mut depth = 0u64;
    let mut in_string = 0u64;
    let mut escape = false;
    let mut at = start;
    let mut tail = [b' '; BLOCK];
    while at < buf.len() {
        let rest = &buf[at..];
        let (block, valid) = match rest.first_chunk::<BLOCK>() {
            Some(block) => (block, u64::MAX),
            None => (pad(rest, &mut tail), (1u64 << rest.len()) - 1),
        };
        let m = masks(block, open, close);
        let escaped = if m.backslashes == 0 && !escape {
            0
        } else {
            escaped(m.backslashes, &mut escape)
        };
        let strings = prefix_xor(m.quotes & !escaped) ^ in_string;
        in_string = ((strings as i64) >> 63) as u64;
        let outside = !strings & !escaped & valid;
        let opens = m.opens & outside;
        let closes = m.closes & outside;
        // Population counts are not one instruction on every x86-64: most blocks of a flat
        // section have no bracket, or only opening ones, and need none or one.
        let n_close = if closes == 0 {
            0
        } else {
            u64::from(closes.count_ones())
        };
        if n_close < depth {
            // The depth stays above zero throughout the block.
            if opens != 0 {
                depth += u64::from(opens.count_ones());
            }
            depth -= n_close;
        } else {
            let mut brackets = opens | closes;
            while brackets != 0 {
                let bit = brackets.trailing_zeros();
                brackets &= brackets - 1;
                if opens >> bit & 1 == 1 {
                    depth += 1;
                } else {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(at + bit as usize + 1);
                    }
                }
            }
        }
        at += BLOCK;
    }
    None
}

/// The index just past the closing quote of a string whose contents start at `i`, or `None` if
/// the text ends first. Strings are short (keys, versions, host names): 32 bytes at a time,
/// inline.
#[inline(always)]
pub fn string_end(buf: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let rest = buf.get(i..)?;
        let Some(window) = rest.first_chunk::<32>() else {
            // Fewer than 32 bytes remain: byte by byte.
            let mut escape = false;
            for (k, &c) in rest.iter().enumerate() {
                if escape {
                    escape = false;
                } else if c == b'\\' {
                    escape = true;
                } else if c == b'"' {
                    return Some(i + k + 1);
                }
            }
            return None;
        };
        let v = u8x32::new(*window);
        let found = equal(v, b'"') | equal(v, b'\\');
        if found == 0 {
            i += 32;
            continue;
        }
        let at = i + found.trailing_zeros() as usize;
        if buf[at] == b'"' {
            return Some(at + 1);
        }
        i = at + 2;
    }
}

/// [`skip_container`] one byte at a time: the definition the block scanner must match.
pub fn skip_reference(buf: &[u8], start: usize) -> Option<usize> {
    let (open, close) = match buf.get(start)? {
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => return None,
    };
    let (mut depth, mut in_string, mut escape) = (0u64, false, false);
    for (i, &c) in buf.iter().enumerate().skip(start) {
        if escape {
            escape = false;
        } else if c == b'\\' {
            escape = true;
        } else if c == b'"' {
            in_string = !in_string;
        } else if !in_string && c == open {
            depth += 1;
        } else if !in_string && c == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_end_at_the_first_unescaped_quote() {
        for (text, end) in [
            (&b"abc\"x"[..], Some(4)),
            (b"a\\\"b\"", Some(5)),
            (b"a\\\\\"b", Some(4)),
            (b"no end", None),
            (b"ends in a backslash\\", None),
            (b"", None),
        ] {
            assert_eq!(
                string_end(text, 0),
                end,
                "{}",
                String::from_utf8_lossy(text)
            );
            // The same string placed after 40 bytes of text exercises the wide path.
            let mut long = vec![b'x'; 40];
            long.extend_from_slice(text);
            long.extend_from_slice(&[b' '; 40]);
            let long_end = end.map(|e| e + 40);
            assert_eq!(string_end(&long, 40), long_end);
        }
    }

    #[test]
    fn masks_mark_each_structural_byte() {
        let mut block = [b'a'; BLOCK];
        block[0] = b'"';
        block[31] = b'\\';
        block[32] = b'{';
        block[63] = b'}';
        let m = masks(&block, b'{', b'}');
        assert_eq!(m.quotes, 1);
        assert_eq!(m.backslashes, 1 << 31);
        assert_eq!(m.opens, 1 << 32);
        assert_eq!(m.closes, 1 << 63);
    }

    #[test]
    fn strings_run_from_opening_to_closing_quote() {
        assert_eq!(prefix_xor(0b1000_0010), 0b0111_1110);
    }

    #[test]
    fn backslash_runs_escape_alternately_and_carry_over() {
        let mut carry = false;
        // `\\\"`: bytes 0..3 are backslashes, byte 3 a quote: 1 and 3 are escaped.
        assert_eq!(escaped(0b0111, &mut carry), 0b1010);
        assert!(!carry);
        assert_eq!(escaped(1 << 63, &mut carry), 0);
        assert!(carry);
        assert_eq!(escaped(0b1, &mut carry), 0b1);
        assert!(!carry);
    }

    #[test]
    fn containers_spanning_blocks_end_where_the_reference_says() {
        let long = format!(
            r#"{{"a":"{}","b":[{{"c":"}}\"{{"}}],"d":{{"e":"\\\\"}},"f":"{}"}} tail"#,
            "x".repeat(61),
            "}".repeat(130)
        );
        let buf = long.as_bytes();
        let end = skip_container(buf, 0);
        assert_eq!(end, skip_reference(buf, 0));
        assert_eq!(end, Some(long.len() - " tail".len()));
        assert_eq!(skip_container(&buf[..buf.len() - 6], 0), None);
        assert_eq!(skip_container(b"[1,[2],{\"]\":3}]", 0), Some(15));
        assert_eq!(skip_container(b"x", 0), None);
        assert_eq!(skip_container(b"", 0), None);
    }
}
