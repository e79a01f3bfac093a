//! An MDF application as the alliances member writes it, parsed whole (every field at fault
//! named at once), and the amount rules of its life: the partner approves at most what was
//! requested, the production lead acknowledges at most what was approved, receipts add up to
//! the acknowledged credit (a receipt beyond it is flagged, not lost).

use time::Date;

use super::money::{Currency, Money};
use super::quarter::Quarter;
use crate::field::{self, FieldError, FieldErrors};
use crate::taxonomy::Category;

/// Longest topic.
pub const MAX_TOPIC: usize = 200;
/// Longest line-item description, milestone or metric name.
pub const MAX_LINE: usize = 200;
/// Longest notes or evidence.
pub const MAX_NOTES: usize = 5000;
/// Most budget lines, milestones or targets.
pub const MAX_ITEMS: usize = 50;
/// A campaign lasts at most this many days.
pub const MAX_DAYS: i64 = 400;

/// A line of the input's budget: a description and an amount as written (`12500.00`).
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub description: String,
    pub amount: String,
}

/// A marketing target as written: a metric (`leads`) and a number (`200`).
#[derive(Debug, Clone, Default)]
pub struct TargetInput {
    pub metric: String,
    pub target: String,
}

/// An application as submitted by a form or the API.
#[derive(Debug, Clone, Default)]
pub struct MdfInput {
    /// The cloud partner's category, as stored (it must be `platform_cloud`).
    pub partner_category: Option<Category>,
    pub topic: String,
    pub starts_on: String,
    pub ends_on: String,
    pub milestones: Vec<String>,
    pub currency: String,
    pub budget: Vec<LineInput>,
    pub targets: Vec<TargetInput>,
    pub credit_account: String,
    pub notes: String,
}

/// A budget line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub description: String,
    pub amount: Money,
}

/// A marketing target: a normalized metric (`leads`, `event_attendees`) and the number aimed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub metric: String,
    pub target: u64,
}

/// A valid application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdfDraft {
    pub topic: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub milestones: Vec<String>,
    pub budget: Vec<BudgetLine>,
    pub total: Money,
    pub targets: Vec<Target>,
    pub credit_account: String,
    pub notes: Option<String>,
}

/// `YYYY-MM-DD`, naming `field`.
pub fn parse_day(name: &str, raw: &str) -> Result<Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw.trim(), &format).map_err(|_| {
        FieldError::new(
            name,
            "invalid",
            format!("{name} must be a date as YYYY-MM-DD"),
        )
    })
}

/// A metric name as compared: lower case, words joined by `_` (`Event Attendees` is
/// `event_attendees`).
pub fn normalize_metric(raw: &str) -> String {
    raw.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

impl MdfDraft {
    /// Parses the whole input, naming every field at fault.
    pub fn parse(input: &MdfInput) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        match input.partner_category {
            Some(Category::PlatformCloud) => {}
            Some(other) => errs.push(FieldError::new(
                "partner_id",
                "invalid",
                format!(
                    "MDF is applied for to a cloud partner (platform_cloud), not a {} partner",
                    other.code()
                ),
            )),
            None => errs.push(FieldError::required("partner_id")),
        }
        let topic = errs.take(field::text("topic", &input.topic, MAX_TOPIC));
        let starts_on = errs.take(parse_day("starts_on", &input.starts_on));
        let ends_on = errs.take(parse_day("ends_on", &input.ends_on));
        if let (Some(s), Some(e)) = (starts_on, ends_on) {
            if e < s {
                errs.push(FieldError::new(
                    "ends_on",
                    "invalid",
                    "ends_on is before starts_on",
                ));
            } else if (e - s).whole_days() > MAX_DAYS {
                errs.push(FieldError::new(
                    "ends_on",
                    "out_of_range",
                    format!("a campaign lasts at most {MAX_DAYS} days"),
                ));
            }
        }
        for (name, n) in [
            ("milestones", input.milestones.len()),
            ("budget", input.budget.len()),
            ("targets", input.targets.len()),
        ] {
            if n > MAX_ITEMS {
                errs.push(FieldError::new(
                    name,
                    "too_long",
                    format!("at most {MAX_ITEMS} {name}"),
                ));
            }
        }
        let milestones: Vec<String> = input
            .milestones
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                errs.take(field::optional_text(
                    &format!("milestones[{i}]"),
                    m,
                    MAX_LINE,
                ))
                .flatten()
            })
            .collect();
        let currency = errs.take(Currency::parse("currency", &input.currency));
        let mut budget = Vec::new();
        if input.budget.is_empty() {
            errs.push(FieldError::new(
                "budget",
                "required",
                "the budget needs at least one line",
            ));
        }
        for (i, line) in input.budget.iter().enumerate() {
            let description = errs.take(field::text(
                &format!("budget[{i}].description"),
                &line.description,
                MAX_LINE,
            ));
            let amount = currency.and_then(|c| {
                errs.take(Money::parse_decimal(
                    &format!("budget[{i}].amount"),
                    &line.amount,
                    c.code(),
                ))
            });
            if let (Some(description), Some(amount)) = (description, amount) {
                budget.push(BudgetLine {
                    description,
                    amount,
                });
            }
        }
        let total = currency.and_then(|c| {
            let sum = budget
                .iter()
                .try_fold(Money::zero(c), |acc, l| acc.checked_add(l.amount));
            if sum.is_none() {
                errs.push(FieldError::new(
                    "budget",
                    "out_of_range",
                    "the budget's total is too large",
                ));
            }
            sum
        });
        let mut targets: Vec<Target> = Vec::new();
        for (i, t) in input.targets.iter().enumerate() {
            let at = format!("targets[{i}]");
            let metric = errs
                .take(field::text(&format!("{at}.metric"), &t.metric, MAX_LINE))
                .map(|m| normalize_metric(&m));
            let number = match t.target.trim().parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errs.push(FieldError::new(
                        format!("{at}.target"),
                        "invalid",
                        format!("{at}.target must be a whole number above 0, such as 200"),
                    ));
                    None
                }
            };
            if let (Some(metric), Some(target)) = (metric, number) {
                if metric.is_empty() {
                    errs.push(FieldError::required(format!("{at}.metric")));
                } else if targets.iter().any(|t| t.metric == metric) {
                    errs.push(FieldError::new(
                        format!("{at}.metric"),
                        "conflict",
                        format!("{metric} is listed twice"),
                    ));
                } else {
                    targets.push(Target { metric, target });
                }
            }
        }
        if input.targets.is_empty() {
            errs.push(FieldError::new(
                "targets",
                "required",
                "name at least one marketing target, such as leads 200",
            ));
        }
        let credit_account = errs.take(field::text(
            "credit_account",
            &input.credit_account,
            MAX_LINE,
        ));
        let notes = errs
            .take(field::optional_text("notes", &input.notes, MAX_NOTES))
            .flatten();
        match (topic, starts_on, ends_on, total, credit_account) {
            (Some(topic), Some(starts_on), Some(ends_on), Some(total), Some(credit_account))
                if errs.is_empty() =>
            {
                Ok(Self {
                    topic,
                    starts_on,
                    ends_on,
                    milestones,
                    budget,
                    total,
                    targets,
                    credit_account,
                    notes,
                })
            }
            _ => Err(errs),
        }
    }

    /// The quarter whose budget an approval draws on: the campaign's start.
    pub fn quarter(&self) -> Quarter {
        Quarter::of(self.starts_on)
    }
}

/// The amounts decided along an application's life.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Amounts {
    pub approved: Option<Money>,
    pub acknowledged: Option<Money>,
    pub received: Vec<Money>,
}

/// What a receipt does to the credit due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Some of the acknowledged credit is still due.
    Partial { outstanding: Money },
    /// The acknowledged credit is received in full.
    Complete,
    /// More than acknowledged has arrived (flagged on the application).
    Over { excess: Money },
}

fn same_currency(field_name: &str, a: Money, b: Money) -> Result<(), FieldError> {
    if a.currency != b.currency {
        return Err(FieldError::new(
            format!("{field_name}.currency"),
            "invalid",
            format!(
                "{field_name} must be in {}, the application's currency",
                b.currency.code()
            ),
        ));
    }
    Ok(())
}

impl Amounts {
    /// The partner's approval: at most the requested total, in its currency.
    pub fn approve(&mut self, requested: Money, approved: Money) -> Result<(), FieldError> {
        same_currency("approved", approved, requested)?;
        if approved.amount_minor > requested.amount_minor || approved.amount_minor == 0 {
            return Err(FieldError::new(
                "approved.amount_minor",
                "out_of_range",
                format!(
                    "the approved amount must be above 0 and at most the {} requested",
                    requested.display()
                ),
            ));
        }
        self.approved = Some(approved);
        Ok(())
    }

    /// The production lead's acknowledgement: at most what was approved (all of it by default).
    pub fn acknowledge_credit(&mut self, amount: Option<Money>) -> Result<Money, FieldError> {
        let approved = self.approved.ok_or_else(|| {
            FieldError::new(
                "state",
                "invalid_state",
                "nothing has been approved to acknowledge",
            )
        })?;
        let amount = amount.unwrap_or(approved);
        same_currency("amount", amount, approved)?;
        if amount.amount_minor > approved.amount_minor || amount.amount_minor == 0 {
            return Err(FieldError::new(
                "amount.amount_minor",
                "out_of_range",
                format!(
                    "the acknowledged credit must be above 0 and at most the {} approved",
                    approved.display()
                ),
            ));
        }
        self.acknowledged = Some(amount);
        Ok(amount)
    }

    /// The total received so far (zero of the acknowledged currency when none).
    pub fn received_total(&self) -> Option<Money> {
        let due = self.acknowledged?;
        self.received
            .iter()
            .try_fold(Money::zero(due.currency), |acc, m| acc.checked_add(*m))
    }

    /// Records a receipt and says where the credit stands.
    pub fn record_credit(&mut self, amount: Money) -> Result<Receipt, FieldError> {
        let due = self.acknowledged.ok_or_else(|| {
            FieldError::new("state", "invalid_state", "no credit has been acknowledged")
        })?;
        same_currency("amount", amount, due)?;
        if amount.amount_minor == 0 {
            return Err(FieldError::new(
                "amount.amount_minor",
                "out_of_range",
                "a receipt is above 0",
            ));
        }
        self.received.push(amount);
        let total = self.received_total().ok_or_else(|| {
            FieldError::new("amount", "out_of_range", "the receipts' total is too large")
        })?;
        let diff = total.amount_minor - due.amount_minor;
        Ok(match diff {
            d if d < 0 => Receipt::Partial {
                outstanding: Money {
                    amount_minor: -d,
                    currency: due.currency,
                },
            },
            0 => Receipt::Complete,
            d => Receipt::Over {
                excess: Money {
                    amount_minor: d,
                    currency: due.currency,
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> MdfInput {
        MdfInput {
            partner_category: Some(Category::PlatformCloud),
            topic: "re:Invent booth and joint webinar".into(),
            starts_on: "2027-01-10".into(),
            ends_on: "2027-03-20".into(),
            milestones: vec!["Webinar 2027-02-15".into()],
            currency: "USD".into(),
            budget: vec![
                LineInput {
                    description: "Booth".into(),
                    amount: "10000.00".into(),
                },
                LineInput {
                    description: "Ads".into(),
                    amount: "2500".into(),
                },
            ],
            targets: vec![
                TargetInput {
                    metric: "Leads".into(),
                    target: "200".into(),
                },
                TargetInput {
                    metric: "Event Attendees".into(),
                    target: "500".into(),
                },
            ],
            credit_account: "aws:123456789012".into(),
            notes: String::new(),
        }
    }

    fn usd(minor: i64) -> Money {
        Money::from_minor("m", minor, "USD").unwrap()
    }

    #[test]
    fn a_complete_application_parses_with_its_total_and_normalized_metrics() {
        let d = MdfDraft::parse(&input()).unwrap();
        assert_eq!(d.total, usd(1_250_000));
        assert_eq!(d.targets[1].metric, "event_attendees");
        assert_eq!(d.quarter().to_string(), "2027-Q1");
        assert_eq!(d.notes, None);
    }

    #[test]
    fn every_field_at_fault_is_named_at_once() {
        let mut bad = input();
        bad.partner_category = Some(Category::GlobalSi);
        bad.ends_on = "2027-01-01".into();
        bad.budget[0].amount = "10000.001".into();
        bad.targets[0].target = "many".into();
        bad.currency = "USD".into();
        let errs = MdfDraft::parse(&bad).unwrap_err();
        let fields: Vec<(&str, &str)> = errs.0.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("partner_id", "invalid"),
                ("ends_on", "invalid"),
                ("budget[0].amount", "too_precise"),
                ("targets[0].target", "invalid"),
            ]
        );
        let mut bad = input();
        bad.currency = "DOGE".into();
        bad.budget.clear();
        bad.targets.clear();
        bad.credit_account = " ".into();
        let errs = MdfDraft::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["currency", "budget", "targets", "credit_account"]);
        let mut twice = input();
        twice.targets[1].metric = "LEADS".into();
        assert_eq!(
            MdfDraft::parse(&twice).unwrap_err().0[0].field,
            "targets[1].metric"
        );
    }

    #[test]
    fn amounts_narrow_from_request_to_approval_to_credit_and_receipts_add_up() {
        let mut a = Amounts::default();
        assert_eq!(
            a.approve(usd(1_000_000), usd(1_000_001)).unwrap_err().field,
            "approved.amount_minor"
        );
        let eur = Money::from_minor("m", 5, "EUR").unwrap();
        assert_eq!(
            a.approve(usd(1_000_000), eur).unwrap_err().field,
            "approved.currency"
        );
        a.approve(usd(1_000_000), usd(800_000)).unwrap();
        assert!(a.acknowledge_credit(Some(usd(800_001))).is_err());
        assert_eq!(a.acknowledge_credit(None).unwrap(), usd(800_000));
        assert_eq!(
            a.record_credit(usd(300_000)).unwrap(),
            Receipt::Partial {
                outstanding: usd(500_000)
            }
        );
        assert_eq!(a.record_credit(usd(500_000)).unwrap(), Receipt::Complete);
        assert_eq!(
            a.record_credit(usd(1)).unwrap(),
            Receipt::Over { excess: usd(1) }
        );
        assert_eq!(a.received_total(), Some(usd(800_001)));
    }
}
