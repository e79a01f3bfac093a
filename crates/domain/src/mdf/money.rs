//! Money: integer minor units with an ISO 4217 currency, never a float. An amount written with
//! more decimals than its currency has (cents of yen, a tenth of a cent) is refused, not
//! rounded.

use crate::field::FieldError;

/// ISO 4217 codes this product accepts and their minor-unit digits (from the ISO 4217 list).
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// A currency the product knows, with its minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    digits: u8,
}

impl Currency {
    /// Parses an ISO 4217 code exactly as written (upper case), naming `field`.
    pub fn parse(field: &str, code: &str) -> Result<Self, FieldError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(code, digits)| Currency {
                code,
                digits: *digits,
            })
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "unknown_code",
                    format!("{field}: {code:?} is not an ISO 4217 currency this product accepts"),
                )
            })
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY, 3 for KWD).
    pub fn digits(self) -> u8 {
        self.digits
    }
}

/// Largest amount accepted, in minor units (a trillion major units of a 3-digit currency).
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// An amount of one currency, in its minor units; never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    /// An amount given in minor units, naming `field`.
    pub fn from_minor(field: &str, amount_minor: i64, currency: &str) -> Result<Self, FieldError> {
        let currency = Currency::parse(&format!("{field}.currency"), currency)?;
        if !(0..=MAX_MINOR).contains(&amount_minor) {
            return Err(FieldError::new(
                format!("{field}.amount_minor"),
                "out_of_range",
                format!("{field}.amount_minor must be between 0 and {MAX_MINOR}"),
            ));
        }
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    /// An amount written as a decimal (`12500`, `12500.5`, `12500.50`), naming `field`; more
    /// decimals than the currency has are refused.
    pub fn parse_decimal(field: &str, text: &str, currency: &str) -> Result<Self, FieldError> {
        let currency = Currency::parse(&format!("{field}.currency"), currency)?;
        let text = text.trim();
        let bad = |why: &str| FieldError::new(field, "invalid", format!("{field}: {text:?} {why}"));
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("is not an amount such as 12500.00"));
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit())
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(bad("is not an amount such as 12500.00"));
        }
        if fraction.len() > usize::from(currency.digits) {
            return Err(FieldError::new(
                field,
                "too_precise",
                format!(
                    "{field}: {text} has more decimals than {} has ({})",
                    currency.code, currency.digits
                ),
            ));
        }
        let scale = 10_i64.pow(u32::from(currency.digits));
        let padded = format!("{fraction:0<width$}", width = usize::from(currency.digits));
        let minor = whole
            .parse::<i64>()
            .ok()
            .and_then(|w| w.checked_mul(scale))
            .and_then(|w| w.checked_add(padded.parse::<i64>().unwrap_or(0)))
            .filter(|m| *m <= MAX_MINOR)
            .ok_or_else(|| bad("is too large"))?;
        Ok(Self {
            amount_minor: minor,
            currency,
        })
    }

    /// Zero of `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount_minor: 0,
            currency,
        }
    }

    /// The sum, or `None` when the currencies differ or it overflows.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount_minor.checked_add(other.amount_minor))
            .flatten()
            .map(|amount_minor| Money {
                amount_minor,
                currency: self.currency,
            })
    }

    /// Written as people read it: `12,500.00 USD`.
    pub fn display(self) -> String {
        let digits = u32::from(self.currency.digits);
        let scale = 10_i64.pow(digits);
        let whole = (self.amount_minor / scale).to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if digits == 0 {
            format!("{grouped} {}", self.currency.code)
        } else {
            let fraction = self.amount_minor % scale;
            format!(
                "{grouped}.{fraction:0width$} {}",
                self.currency.code,
                width = digits as usize
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_beyond_the_currency_are_refused_not_rounded() {
        let usd = Money::parse_decimal("budget", "12500.50", "USD").unwrap();
        assert_eq!(usd.amount_minor, 1_250_050);
        assert_eq!(
            Money::parse_decimal("b", "12500.5", "USD")
                .unwrap()
                .amount_minor,
            1_250_050
        );
        assert_eq!(
            Money::parse_decimal("b", "12500", "USD")
                .unwrap()
                .amount_minor,
            1_250_000
        );
        let e = Money::parse_decimal("budget", "12500.505", "USD").unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("budget", "too_precise"));
        assert!(e.message.contains("USD has (2)"), "{}", e.message);
        assert_eq!(
            Money::parse_decimal("b", "1.5", "JPY").unwrap_err().code,
            "too_precise"
        );
        assert_eq!(
            Money::parse_decimal("b", "1500", "JPY")
                .unwrap()
                .amount_minor,
            1500
        );
        assert_eq!(
            Money::parse_decimal("b", "1.234", "KWD")
                .unwrap()
                .amount_minor,
            1234
        );
        for bad in ["", "-5", "1e3", "1.", ".5", "1,000", "12 500", "NaN"] {
            assert_eq!(
                Money::parse_decimal("b", bad, "USD").unwrap_err().code,
                "invalid",
                "{bad:?}"
            );
        }
        assert_eq!(
            Money::parse_decimal("b", "99999999999999999999", "USD")
                .unwrap_err()
                .code,
            "invalid"
        );
    }

    #[test]
    fn only_iso_currencies_and_sane_amounts_are_money() {
        let e = Money::from_minor("approved", 100, "usd").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("approved.currency", "unknown_code")
        );
        assert_eq!(
            Money::from_minor("a", 100, "XYZ").unwrap_err().code,
            "unknown_code"
        );
        let e = Money::from_minor("approved", -1, "USD").unwrap_err();
        assert_eq!(e.field, "approved.amount_minor");
        assert!(Money::from_minor("a", MAX_MINOR + 1, "USD").is_err());
        let a = Money::from_minor("a", 1_250_000, "USD").unwrap();
        assert_eq!(a.display(), "12,500.00 USD");
        assert_eq!(
            Money::from_minor("a", 1500, "JPY").unwrap().display(),
            "1,500 JPY"
        );
        assert_eq!(
            Money::from_minor("a", 5, "KWD").unwrap().display(),
            "0.005 KWD"
        );
        let eur = Money::from_minor("a", 1, "EUR").unwrap();
        assert_eq!(a.checked_add(eur), None, "no sum across currencies");
        assert_eq!(a.checked_add(a).unwrap().amount_minor, 2_500_000);
    }
}
