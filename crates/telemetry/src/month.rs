//! Calendar months in UTC and the timestamps they come from: ISO 8601 (`received_at`) and the
//! access-log form `04/Oct/2026:12:00:00 +0000`.

use std::fmt;
use std::str::FromStr;

/// A calendar month in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1..=12
    pub month: u8,
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A text that is not a `YYYY-MM` month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a month (YYYY-MM): {0:?}")]
pub struct MonthError(pub String);

impl FromStr for Month {
    type Err = MonthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let bad = || MonthError(s.to_owned());
        if b.len() != 7 || b[4] != b'-' {
            return Err(bad());
        }
        let year = digits(&b[0..4]).ok_or_else(bad)? as i32;
        let month = digits(&b[5..7]).ok_or_else(bad)? as u8;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }
}

impl Month {
    /// The month after this one.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Seconds since the epoch at the first instant of the month.
    pub fn start(self) -> i64 {
        days_from_civil(self.year, self.month, 1) * 86_400
    }

    /// Number of days in the month.
    pub fn days(self) -> u32 {
        ((self.next().start() - self.start()) / 86_400) as u32
    }

    /// The month of an instant given in seconds since the epoch.
    pub fn of(epoch_seconds: i64) -> Self {
        let (year, month, _) = civil_from_days(epoch_seconds.div_euclid(86_400));
        Self { year, month }
    }
}

/// An instant: seconds since the epoch and a nanosecond fraction, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Instant {
    pub seconds: i64,
    pub nanos: u32,
}

impl Instant {
    pub fn month(self) -> Month {
        Month::of(self.seconds)
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the classic era-based algorithm).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

fn valid_date(year: u32, month: u32, day: u32) -> bool {
    const DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day == 0 || year == 0 {
        return false;
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let max = if month == 2 && leap {
        29
    } else {
        DAYS[month as usize - 1]
    };
    day <= max
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM|±HHMM]` (a space may replace `T`; no zone means
/// UTC) into an instant.
pub fn parse_iso8601(s: &[u8]) -> Option<Instant> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let (h, mi, sec) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    if !valid_date(year, month, day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut scale = 100_000_000u32;
        for &c in &frac[..n.min(9)] {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &frac[n..];
    }
    let offset = zone_offset(rest)?;
    let seconds = days_from_civil(year as i32, month as u8, day as u8) * 86_400
        + i64::from(h * 3600 + mi * 60 + sec)
        - offset;
    Some(Instant { seconds, nanos })
}

/// Offset of `Z`, `±HH:MM`, `±HHMM` or nothing, in seconds east of UTC.
fn zone_offset(z: &[u8]) -> Option<i64> {
    match z {
        [] | [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h * 3600 + m * 60);
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

const MONTH_NAMES: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parses the access-log time `DD/Mon/YYYY:HH:MM:SS ±HHMM`.
pub fn parse_log_time(s: &[u8]) -> Option<Instant> {
    if s.len() != 26 || s[2] != b'/' || s[6] != b'/' || s[11] != b':' || s[20] != b' ' {
        return None;
    }
    let day = digits(&s[0..2])?;
    let month = MONTH_NAMES.iter().position(|m| m[..] == s[3..6])? as u32 + 1;
    let year = digits(&s[7..11])?;
    if s[14] != b':' || s[17] != b':' {
        return None;
    }
    let (h, mi, sec) = (
        digits(&s[12..14])?,
        digits(&s[15..17])?,
        digits(&s[18..20])?,
    );
    if !valid_date(year, month, day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let offset = zone_offset(&s[21..])?;
    let seconds = days_from_civil(year as i32, month as u8, day as u8) * 86_400
        + i64::from(h * 3600 + mi * 60 + sec)
        - offset;
    Some(Instant { seconds, nanos: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_at_is_read_in_utc() {
        let t = parse_iso8601(b"2026-10-31T23:30:00-02:00").unwrap();
        assert_eq!(t.month().to_string(), "2026-11");
        let t = parse_iso8601(b"2026-10-01T00:30:00.123456+01:00").unwrap();
        assert_eq!(t.month().to_string(), "2026-09");
        assert_eq!(t.nanos, 123_456_000);
        assert!(parse_iso8601(b"2026-02-30T00:00:00Z").is_none());
        assert!(parse_iso8601(b"2026-10-01").is_none());
    }

    #[test]
    fn log_times_are_read_in_utc() {
        let t = parse_log_time(b"01/Nov/2026:00:10:00 +0100").unwrap();
        assert_eq!(t.month().to_string(), "2026-10");
        assert!(parse_log_time(b"01/Foo/2026:00:10:00 +0100").is_none());
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-1000, 0, 59, 365, 20_000, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!("2026-02".parse::<Month>().unwrap().days(), 28);
        assert_eq!("2028-02".parse::<Month>().unwrap().days(), 29);
        assert!("2026-13".parse::<Month>().is_err());
    }
}
