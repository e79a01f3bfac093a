//! The partnership scorecard on the handbook's six criteria for successful partnerships.
//!
//! Each criterion scores 0–5 with a note; configurable weights turn the scores into one total.

use crate::field::{self, FieldError};
use crate::taxonomy::coded_enum;

/// Highest score on a criterion.
pub const MAX_SCORE: u8 = 5;
/// Longest note on a criterion.
pub const MAX_NOTE: usize = 2000;

coded_enum! {
    /// The handbook's criteria for successful partnerships, in its order.
    Criterion {
        /// More exposure to new segments of audiences.
        Exposure = ("exposure", "Exposure"),
        /// More people using the product without necessarily installing it.
        ProductUsageFamiliarity = ("product_usage_familiarity", "Product usage familiarity"),
        /// More people adopting the product for their own instance.
        Adoption = ("adoption", "Adoption"),
        /// Revenue generating.
        Revenue = ("revenue", "Revenue"),
        /// Strategic value to long-term positioning.
        Strategic = ("strategic", "Strategic"),
        /// Product, marketing and sales aligned.
        Alignment = ("alignment", "Alignment"),
    }
}

/// One criterion's score and the reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionScore {
    pub criterion: Criterion,
    pub score: u8,
    pub note: Option<String>,
}

impl CriterionScore {
    pub fn parse(criterion: Criterion, score: i64, note: Option<&str>) -> Result<Self, FieldError> {
        let field = format!("scorecard.{}", criterion.code());
        if !(0..=i64::from(MAX_SCORE)).contains(&score) {
            return Err(FieldError::new(
                format!("{field}.score"),
                "out_of_range",
                format!("{field}.score must be between 0 and {MAX_SCORE}"),
            ));
        }
        let note = match note {
            Some(n) => field::optional_text(&format!("{field}.note"), n, MAX_NOTE)?,
            None => None,
        };
        Ok(Self {
            criterion,
            score: score as u8,
            note,
        })
    }
}

/// Relative weights of the criteria; all 1 unless configured otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights([f64; 6]);

impl Default for Weights {
    fn default() -> Self {
        Self([1.0; 6])
    }
}

impl Weights {
    /// Builds weights from `(criterion code, weight)` pairs; missing criteria keep weight 1.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, FieldError> {
        let mut w = Self::default();
        for (code, weight) in pairs {
            let field = format!("scorecard.weights.{code}");
            let criterion = Criterion::parse(&field, code)?;
            if !weight.is_finite() || !(0.0..=100.0).contains(&weight) {
                return Err(FieldError::new(
                    field.clone(),
                    "out_of_range",
                    format!("{field} must be between 0 and 100"),
                ));
            }
            w.0[Self::index(criterion)] = weight;
        }
        if w.0.iter().all(|x| *x == 0.0) {
            return Err(FieldError::new(
                "scorecard.weights",
                "invalid",
                "at least one weight must be above 0",
            ));
        }
        Ok(w)
    }

    fn index(c: Criterion) -> usize {
        Criterion::ALL.iter().position(|x| *x == c).unwrap_or(0)
    }

    pub fn weight(&self, c: Criterion) -> f64 {
        self.0[Self::index(c)]
    }
}

/// A partner's scores; criteria not yet scored are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scorecard {
    scores: Vec<CriterionScore>,
}

/// The weighted result of a scorecard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreTotal {
    /// Σ weight × score over the scored criteria.
    pub weighted: f64,
    /// The most `weighted` could be with every criterion at 5.
    pub max: f64,
    /// `weighted / max` as a percentage, rounded to one decimal.
    pub percent: f64,
    /// How many of the six criteria are scored.
    pub scored: usize,
}

impl Scorecard {
    /// Builds a scorecard; a criterion given twice is an error naming it.
    pub fn new(scores: Vec<CriterionScore>) -> Result<Self, FieldError> {
        let mut sorted: Vec<CriterionScore> = Vec::with_capacity(scores.len());
        for s in scores {
            if sorted.iter().any(|x| x.criterion == s.criterion) {
                let field = format!("scorecard.{}", s.criterion.code());
                return Err(FieldError::new(
                    field.clone(),
                    "conflict",
                    format!("{field} is given twice"),
                ));
            }
            sorted.push(s);
        }
        sorted.sort_by_key(|s| s.criterion);
        Ok(Self { scores: sorted })
    }

    pub fn scores(&self) -> &[CriterionScore] {
        &self.scores
    }

    pub fn get(&self, c: Criterion) -> Option<&CriterionScore> {
        self.scores.iter().find(|s| s.criterion == c)
    }

    /// The weighted total. Unscored criteria count as 0 but still weigh in the maximum, so a
    /// half-filled card never looks better than it is.
    pub fn total(&self, weights: &Weights) -> ScoreTotal {
        let max: f64 = Criterion::ALL
            .iter()
            .map(|c| weights.weight(*c) * f64::from(MAX_SCORE))
            .sum();
        let weighted: f64 = self
            .scores
            .iter()
            .map(|s| weights.weight(s.criterion) * f64::from(s.score))
            .sum::<f64>()
            // An empty float sum is -0.0; a card with no scores totals plain 0.
            + 0.0;
        let percent = if max > 0.0 {
            (weighted / max * 1000.0).round() / 10.0
        } else {
            0.0
        };
        ScoreTotal {
            weighted,
            max,
            percent,
            scored: self.scores.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(c: Criterion, s: i64) -> CriterionScore {
        CriterionScore::parse(c, s, None).unwrap()
    }

    #[test]
    fn the_six_criteria_are_the_handbooks() {
        assert_eq!(
            Criterion::CODES,
            [
                "exposure",
                "product_usage_familiarity",
                "adoption",
                "revenue",
                "strategic",
                "alignment"
            ]
        );
    }

    #[test]
    fn scores_outside_zero_to_five_name_the_criterion() {
        let err = CriterionScore::parse(Criterion::Revenue, 6, None).unwrap_err();
        assert_eq!(err.field, "scorecard.revenue.score");
        assert!(CriterionScore::parse(Criterion::Revenue, -1, None).is_err());
        let long = "x".repeat(MAX_NOTE + 1);
        let err = CriterionScore::parse(Criterion::Revenue, 3, Some(&long)).unwrap_err();
        assert_eq!(err.field, "scorecard.revenue.note");
    }

    #[test]
    fn total_is_weighted_and_unscored_criteria_count_as_zero() {
        let card = Scorecard::new(vec![
            score(Criterion::Exposure, 5),
            score(Criterion::Revenue, 3),
        ])
        .unwrap();
        let t = card.total(&Weights::default());
        assert_eq!(t.weighted, 8.0);
        assert_eq!(t.max, 30.0);
        assert_eq!(t.percent, 26.7);
        assert_eq!(t.scored, 2);

        let w = Weights::from_pairs([("revenue", 3.0), ("exposure", 0.0)]).unwrap();
        let t = card.total(&w);
        assert_eq!(t.weighted, 9.0);
        assert_eq!(t.max, 5.0 * 7.0);
    }

    #[test]
    fn an_empty_card_totals_plain_zero() {
        let t = Scorecard::default().total(&Weights::default());
        assert!(t.weighted == 0.0 && t.weighted.is_sign_positive());
        assert!(t.percent.is_sign_positive());
    }

    #[test]
    fn weights_are_checked() {
        assert_eq!(
            Weights::from_pairs([("luck", 1.0)]).unwrap_err().field,
            "scorecard.weights.luck"
        );
        assert!(Weights::from_pairs([("revenue", -1.0)]).is_err());
        let zeros: Vec<(&str, f64)> = Criterion::CODES.iter().map(|c| (*c, 0.0)).collect();
        assert!(Weights::from_pairs(zeros).is_err());
    }

    #[test]
    fn a_criterion_given_twice_is_rejected() {
        let err = Scorecard::new(vec![
            score(Criterion::Adoption, 1),
            score(Criterion::Adoption, 2),
        ])
        .unwrap_err();
        assert_eq!(err.field, "scorecard.adoption");
    }
}
