//! The partner profile: what the registry records about a partner organization.
//!
//! [`PartnerInput`] is what a client sends (strings, all optional); [`PartnerDraft::parse`] is the
//! one place where it becomes a valid profile. A patch is applied to the input of the current
//! profile and parsed again, so create, edit and import share every rule.

use crate::documents::parse_url;
use crate::field::{self, FieldError, FieldErrors};
use crate::organization::{self, EmailAddress, EmailDomain, OrgName};
use crate::scorecard::{Criterion, CriterionScore, Scorecard};
use crate::taxonomy::{
    self, Category, Classification, Family, IntegrationDirection, Monetization, PartnerStatus,
    Track,
};

/// Longest description.
pub const MAX_DESCRIPTION: usize = 5000;
/// Most contacts on one partner.
pub const MAX_CONTACTS: usize = 50;

/// A partner as a client describes it: raw, unvalidated, every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartnerInput {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    pub family: Option<String>,
    pub category: Option<String>,
    pub integration_direction: Option<String>,
    pub track: Option<String>,
    pub status: Option<String>,
    /// `Some(None)` unassigns the manager (in a patch).
    pub partner_manager_id: Option<Option<i64>>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub contacts: Option<Vec<ContactInput>>,
    pub scorecard: Option<Vec<ScoreInput>>,
}

/// A contact as a client describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactInput {
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub phone: Option<String>,
}

/// One criterion score as a client describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreInput {
    pub criterion: String,
    pub score: i64,
    pub note: Option<String>,
}

/// A person to talk to at the partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub email: EmailAddress,
    pub title: Option<String>,
    pub phone: Option<String>,
}

/// A valid partner profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerDraft {
    pub name: OrgName,
    pub domains: Vec<EmailDomain>,
    pub classification: Classification,
    pub track: Track,
    pub status: PartnerStatus,
    pub partner_manager_id: Option<i64>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub contacts: Vec<Contact>,
    pub scorecard: Scorecard,
}

impl PartnerDraft {
    /// Parses a whole input; every bad field is reported, in field order.
    pub fn parse(input: &PartnerInput) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let name = match &input.name {
            Some(n) => errs.take(OrgName::parse("name", n)),
            None => errs.take(Err(FieldError::required("name"))),
        };
        let domains = errs.take(organization::parse_domains(
            "domains",
            input.domains.as_deref().unwrap_or(&[]),
        ));
        let family = match input.family.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(f) => errs.take(Family::parse("family", f)).map(Some),
            None => Some(None),
        };
        let category = match input.category.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(c) => errs.take(Category::parse("category", c)),
            None => errs.take(Err(FieldError::required("category"))),
        };
        let direction = match input
            .integration_direction
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(d) => errs
                .take(IntegrationDirection::parse("integration_direction", d))
                .map(Some),
            None => Some(None),
        };
        let classification = match (family, category, direction) {
            (Some(f), Some(c), Some(d)) => errs.take(Classification::new(f, c, d)),
            _ => None,
        };
        let track = errs.take(Track::parse(
            "track",
            input.track.as_deref().unwrap_or("open"),
        ));
        let status = errs.take(PartnerStatus::parse(
            "status",
            input.status.as_deref().unwrap_or("prospect"),
        ));
        let website = match input.website.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(w) => errs.take(parse_url("website", w)).map(Some),
            None => Some(None),
        };
        let description = errs.take(field::optional_text(
            "description",
            input.description.as_deref().unwrap_or(""),
            MAX_DESCRIPTION,
        ));
        let contacts = errs.take(parse_contacts(input.contacts.as_deref().unwrap_or(&[])));
        let scorecard = errs.take(parse_scorecard(input.scorecard.as_deref().unwrap_or(&[])));
        if let Some(id) = input.partner_manager_id.flatten() {
            if id <= 0 {
                errs.push(FieldError::new(
                    "partner_manager_id",
                    "invalid",
                    "partner_manager_id must be a user id",
                ));
            }
        }
        match (
            name,
            domains,
            classification,
            track,
            status,
            website,
            description,
            contacts,
            scorecard,
        ) {
            (
                Some(name),
                Some(domains),
                Some(classification),
                Some(track),
                Some(status),
                Some(website),
                Some(description),
                Some(contacts),
                Some(scorecard),
            ) if errs.is_empty() => Ok(Self {
                name,
                domains,
                classification,
                track,
                status,
                partner_manager_id: input.partner_manager_id.flatten(),
                website,
                description,
                contacts,
                scorecard,
            }),
            _ => Err(errs),
        }
    }

    /// The input that parses back to this draft; the base a patch is applied to.
    pub fn to_input(&self) -> PartnerInput {
        PartnerInput {
            name: Some(self.name.as_str().to_string()),
            domains: Some(
                self.domains
                    .iter()
                    .map(|d| d.as_str().to_string())
                    .collect(),
            ),
            family: Some(self.family().code().to_string()),
            category: Some(self.classification.category.code().to_string()),
            integration_direction: self.classification.direction.map(|d| d.code().to_string()),
            track: Some(self.track.code().to_string()),
            status: Some(self.status.code().to_string()),
            partner_manager_id: Some(self.partner_manager_id),
            website: self.website.clone(),
            description: self.description.clone(),
            contacts: Some(
                self.contacts
                    .iter()
                    .map(|c| ContactInput {
                        name: c.name.clone(),
                        email: c.email.as_str().to_string(),
                        title: c.title.clone(),
                        phone: c.phone.clone(),
                    })
                    .collect(),
            ),
            scorecard: Some(
                self.scorecard
                    .scores()
                    .iter()
                    .map(|s| ScoreInput {
                        criterion: s.criterion.code().to_string(),
                        score: i64::from(s.score),
                        note: s.note.clone(),
                    })
                    .collect(),
            ),
        }
    }

    pub fn family(&self) -> Family {
        self.classification.family()
    }

    pub fn monetization(&self) -> Monetization {
        self.family().monetization()
    }

    /// 1 for platform partners, 2 for the core outbound integrations, 3 otherwise.
    pub fn priority(&self) -> u8 {
        taxonomy::priority(
            self.classification.category,
            self.classification.direction,
            self.name.as_str(),
        )
    }

    pub fn core_outbound(&self) -> bool {
        taxonomy::core_outbound(
            self.classification.category,
            self.classification.direction,
            self.name.as_str(),
        )
    }
}

impl PartnerInput {
    /// Overlays the fields `patch` carries on `self`. A field set to an empty string in the patch
    /// clears an optional field.
    pub fn apply(mut self, patch: PartnerInput) -> PartnerInput {
        // A category change makes an old family or direction meaningless unless the patch sets them.
        if let Some(category) = &patch.category {
            if patch.family.is_none() {
                self.family = None;
            }
            if patch.integration_direction.is_none()
                && category.trim() != Category::Integrated.code()
            {
                self.integration_direction = None;
            }
        }
        macro_rules! overlay {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        overlay!(
            name,
            domains,
            family,
            category,
            integration_direction,
            track,
            status,
            website,
            description,
            contacts,
            scorecard,
            partner_manager_id
        );
        self
    }
}

fn parse_contacts(raw: &[ContactInput]) -> Result<Vec<Contact>, FieldError> {
    if raw.len() > MAX_CONTACTS {
        return Err(FieldError::new(
            "contacts",
            "too_long",
            format!("at most {MAX_CONTACTS} contacts"),
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(i, c)| {
            let prefix = format!("contacts[{i}].");
            let name = organization::person_name("name", &c.name).map_err(|e| e.within(&prefix))?;
            let email = EmailAddress::parse("email", &c.email).map_err(|e| e.within(&prefix))?;
            let title = field::optional_text("title", c.title.as_deref().unwrap_or(""), 200)
                .map_err(|e| e.within(&prefix))?;
            let phone = field::optional_text("phone", c.phone.as_deref().unwrap_or(""), 50)
                .map_err(|e| e.within(&prefix))?;
            Ok(Contact {
                name,
                email,
                title,
                phone,
            })
        })
        .collect()
}

fn parse_scorecard(raw: &[ScoreInput]) -> Result<Scorecard, FieldError> {
    let scores = raw
        .iter()
        .map(|s| {
            let criterion = Criterion::parse("scorecard.criterion", &s.criterion)?;
            CriterionScore::parse(criterion, s.score, s.note.as_deref())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Scorecard::new(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, category: &str) -> PartnerInput {
        PartnerInput {
            name: Some(name.into()),
            category: Some(category.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_partner_defaults_to_the_open_track_as_a_prospect() {
        let d = PartnerDraft::parse(&input("Slalom", "regional_si")).unwrap();
        assert_eq!(d.track, Track::Open);
        assert_eq!(d.status, PartnerStatus::Prospect);
        assert_eq!(d.family(), Family::Services);
        assert_eq!(d.monetization(), Monetization::ServicesSales);
        assert_eq!(d.priority(), 3);
    }

    #[test]
    fn core_outbound_partners_are_flagged() {
        let mut i = input("GitHub", "integrated");
        i.integration_direction = Some("outbound".into());
        let d = PartnerDraft::parse(&i).unwrap();
        assert!(d.core_outbound());
        assert_eq!(d.priority(), 2);
    }

    #[test]
    fn every_bad_field_is_named() {
        let i = PartnerInput {
            name: Some("x".repeat(300)),
            category: Some("platform_moon".into()),
            track: Some("gold".into()),
            website: Some("ftp://x".into()),
            contacts: Some(vec![ContactInput {
                name: "Ada".into(),
                email: "nope".into(),
                ..Default::default()
            }]),
            scorecard: Some(vec![ScoreInput {
                criterion: "revenue".into(),
                score: 9,
                note: None,
            }]),
            ..Default::default()
        };
        let err = PartnerDraft::parse(&i).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "category",
                "track",
                "website",
                "contacts[0].email",
                "scorecard.revenue.score"
            ]
        );
    }

    #[test]
    fn missing_name_and_category_are_required() {
        let err = PartnerDraft::parse(&PartnerInput::default()).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "category"]);
        assert_eq!(err.0[0].code, "required");
    }

    #[test]
    fn a_patch_is_parsed_with_the_rest_of_the_profile() {
        let mut i = input("Jenkins", "integrated");
        i.integration_direction = Some("outbound".into());
        let d = PartnerDraft::parse(&i).unwrap();
        let patched = d.to_input().apply(PartnerInput {
            category: Some("upstream".into()),
            ..Default::default()
        });
        let d2 = PartnerDraft::parse(&patched).unwrap();
        assert_eq!(d2.classification.category, Category::Upstream);
        assert_eq!(d2.classification.direction, None);
        assert_eq!(d2.name.as_str(), "Jenkins");

        let bad = d2.to_input().apply(PartnerInput {
            family: Some("reseller".into()),
            ..Default::default()
        });
        assert_eq!(
            PartnerDraft::parse(&bad)
                .unwrap_err()
                .first()
                .unwrap()
                .field,
            "category"
        );
    }

    #[test]
    fn a_draft_round_trips_through_its_input() {
        let mut i = input("AWS", "platform_cloud");
        i.domains = Some(vec!["amazon.com".into()]);
        i.scorecard = Some(vec![ScoreInput {
            criterion: "exposure".into(),
            score: 5,
            note: Some("huge".into()),
        }]);
        i.contacts = Some(vec![ContactInput {
            name: "Ann".into(),
            email: "ann@amazon.com".into(),
            ..Default::default()
        }]);
        let d = PartnerDraft::parse(&i).unwrap();
        assert_eq!(PartnerDraft::parse(&d.to_input()).unwrap(), d);
    }
}
