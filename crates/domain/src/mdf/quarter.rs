//! Calendar quarters, as budgets and reports count them: `2027-Q1` is January to March 2027.

use crate::field::FieldError;

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub q: u8,
}

impl Quarter {
    /// Parses `YYYY-Qn` (years 2000 to 2999), naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "invalid",
                format!("{field}: {text:?} is not a quarter such as 2027-Q1"),
            )
        };
        let (year, q) = text.split_once("-Q").ok_or_else(bad)?;
        if year.len() != 4 || q.len() != 1 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let q: u8 = q.parse().map_err(|_| bad())?;
        if !(2000..=2999).contains(&year) || !(1..=4).contains(&q) {
            return Err(bad());
        }
        Ok(Self { year, q })
    }

    /// The quarter a day falls in.
    pub fn of(day: time::Date) -> Self {
        Self {
            year: day.year(),
            q: (u8::from(day.month()) - 1) / 3 + 1,
        }
    }

    /// The quarter before.
    pub fn previous(self) -> Self {
        if self.q == 1 {
            Self {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Self {
                year: self.year,
                q: self.q - 1,
            }
        }
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn quarters_parse_print_and_contain_their_days() {
        let q = Quarter::parse("quarter", "2027-Q1").unwrap();
        assert_eq!(q.to_string(), "2027-Q1");
        assert_eq!(Quarter::of(date!(2027 - 03 - 31)), q);
        assert_eq!(Quarter::of(date!(2027 - 04 - 01)).to_string(), "2027-Q2");
        assert_eq!(Quarter::of(date!(2026 - 12 - 31)).to_string(), "2026-Q4");
        assert_eq!(q.previous().to_string(), "2026-Q4");
        for bad in [
            "2027-Q5", "2027-Q0", "2027Q1", "27-Q1", "2027-q1", "2027-Q12", "", "1999-Q4",
        ] {
            let e = Quarter::parse("quarter", bad).unwrap_err();
            assert_eq!(e.field, "quarter", "{bad:?}");
        }
    }
}
