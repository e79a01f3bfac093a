//! Budgets: what a cloud partner committed for a calendar quarter, and how much of it approvals
//! have used. An approval draws on the quarter of the campaign's start; beyond what remains it
//! is refused, unless an administrator overrides the budget with a written reason.

use super::money::Money;
use crate::field::FieldError;

/// A quarter's figures for one cloud partner, in the budget's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetUse {
    pub committed: Money,
    pub approved: Money,
    pub acknowledged: Money,
    pub received: Money,
}

impl BudgetUse {
    /// Nothing used yet of `committed`.
    pub fn fresh(committed: Money) -> Self {
        let zero = Money::zero(committed.currency);
        Self {
            committed,
            approved: zero,
            acknowledged: zero,
            received: zero,
        }
    }

    /// What approvals may still use (never below zero).
    pub fn remaining(&self) -> Money {
        Money {
            amount_minor: (self.committed.amount_minor - self.approved.amount_minor).max(0),
            currency: self.committed.currency,
        }
    }

    /// Credit acknowledged but not yet received (never below zero).
    pub fn outstanding(&self) -> Money {
        Money {
            amount_minor: (self.acknowledged.amount_minor - self.received.amount_minor).max(0),
            currency: self.committed.currency,
        }
    }
}

/// How an approval stands against the quarter's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Draw {
    /// Within what remains.
    Within,
    /// Beyond it, by an administrator's override with this reason (recorded and audited).
    Overridden { reason: String },
}

/// Checks an approval of `amount` against the quarter's `budget` (`None`: the partner
/// committed nothing for that quarter). Beyond what remains, only an administrator with a
/// reason may approve.
pub fn draw(
    budget: Option<&BudgetUse>,
    amount: Money,
    admin: bool,
    override_reason: Option<&str>,
) -> Result<Draw, FieldError> {
    if let Some(b) = budget {
        if b.committed.currency != amount.currency {
            return Err(FieldError::new(
                "approved.currency",
                "invalid",
                format!(
                    "the quarter's budget is in {}; approve in it",
                    b.committed.currency.code()
                ),
            ));
        }
        if amount.amount_minor <= b.remaining().amount_minor {
            return Ok(Draw::Within);
        }
    }
    let remaining = budget.map_or_else(
        || "nothing is committed for that quarter".to_string(),
        |b| {
            format!(
                "{} remains of the quarter's budget",
                b.remaining().display()
            )
        },
    );
    match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) if admin => Ok(Draw::Overridden {
            reason: reason.to_string(),
        }),
        Some(_) => Err(FieldError::new(
            "override_reason",
            "forbidden",
            format!("only an administrator may approve beyond the budget ({remaining})"),
        )),
        None => Err(FieldError::new(
            "approved.amount_minor",
            "over_budget",
            format!(
                "{} is beyond the budget: {remaining}; an administrator may override it with a reason",
                amount.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::from_minor("m", minor, "USD").unwrap()
    }

    #[test]
    fn approvals_draw_on_what_remains_and_beyond_it_only_an_admin_with_a_reason() {
        let mut b = BudgetUse::fresh(usd(5_000_000));
        b.approved = usd(4_000_000);
        b.acknowledged = usd(3_000_000);
        b.received = usd(1_000_000);
        assert_eq!(b.remaining(), usd(1_000_000));
        assert_eq!(b.outstanding(), usd(2_000_000));
        assert_eq!(
            draw(Some(&b), usd(1_000_000), false, None),
            Ok(Draw::Within)
        );
        let e = draw(Some(&b), usd(1_000_001), false, None).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("approved.amount_minor", "over_budget")
        );
        assert!(e.message.contains("10,000.00 USD remains"), "{}", e.message);
        assert_eq!(
            draw(Some(&b), usd(1_000_001), false, Some("agreed"))
                .unwrap_err()
                .code,
            "forbidden"
        );
        assert_eq!(
            draw(Some(&b), usd(1_000_001), true, Some("  "))
                .unwrap_err()
                .code,
            "over_budget"
        );
        assert_eq!(
            draw(Some(&b), usd(9_000_000), true, Some("AWS raised the fund")),
            Ok(Draw::Overridden {
                reason: "AWS raised the fund".into()
            })
        );
        let e = draw(None, usd(1), false, None).unwrap_err();
        assert!(e.message.contains("nothing is committed"), "{}", e.message);
        let eur = Money::from_minor("m", 1, "EUR").unwrap();
        assert_eq!(
            draw(Some(&b), eur, true, Some("x")).unwrap_err().field,
            "approved.currency"
        );
        b.approved = usd(6_000_000);
        assert_eq!(
            b.remaining(),
            usd(0),
            "an overridden quarter has nothing left, not less"
        );
    }
}
