//! Inbound alliance requests (the handbook's "Open to collaboration" and "Handling inbound
//! alliance requests"): what a company wanting a partnership tells us, the request's states as
//! one transition table, and the next steps the lead records.

use crate::documents::parse_url;
use crate::field::{self, FieldError, FieldErrors};
use crate::organization::{person_name, EmailAddress, OrgName};
use crate::taxonomy::coded_enum;

/// Longest answer to one of the handbook's questions.
pub const MAX_ANSWER: usize = 5000;
/// Longest next step, note or reason.
pub const MAX_STEP: usize = 1000;
/// Most next steps on one request.
pub const MAX_STEPS: usize = 50;

coded_enum! {
    /// What kind of partnership the company wants.
    Interest {
        Technology = ("technology", "Technology partnership"),
        Services = ("services", "Services partnership"),
        Reseller = ("reseller", "Reseller partnership"),
        Unsure = ("unsure", "Not sure yet"),
    }
}

coded_enum! {
    /// How the request reached the vendor.
    ReceivedVia {
        WebForm = ("web_form", "The partner-with-us form"),
        Email = ("email", "Email"),
        Event = ("event", "An event"),
        Colleague = ("colleague", "A colleague (sales, support, …)"),
        Call = ("call", "A call"),
        Other = ("other", "Other"),
    }
}

coded_enum! {
    /// Where a request is.
    RequestState {
        New = ("new", "New"),
        Claimed = ("claimed", "Claimed"),
        InDiscussion = ("in_discussion", "In discussion"),
        Accepted = ("accepted", "Accepted"),
        Declined = ("declined", "Declined"),
        Spam = ("spam", "Spam"),
    }
}

coded_enum! {
    /// What people do to a request.
    RequestAction {
        Claim = ("claim", "Take the lead"),
        HandOver = ("hand_over", "Hand the lead over"),
        RecordStep = ("record_step", "Record a next step"),
        Accept = ("accept", "Accept"),
        Decline = ("decline", "Decline"),
        MarkSpam = ("mark_spam", "Mark as spam"),
    }
}

use RequestAction as A;
use RequestState as S;

/// The request's life, whole: from which states each action leads where. Nothing else moves a
/// request.
pub const TRANSITIONS: &[(RequestState, RequestAction, RequestState)] = &[
    (S::New, A::Claim, S::Claimed),
    (S::New, A::Decline, S::Declined),
    (S::New, A::MarkSpam, S::Spam),
    (S::Claimed, A::HandOver, S::Claimed),
    (S::Claimed, A::RecordStep, S::InDiscussion),
    (S::Claimed, A::Accept, S::Accepted),
    (S::Claimed, A::Decline, S::Declined),
    (S::InDiscussion, A::HandOver, S::InDiscussion),
    (S::InDiscussion, A::RecordStep, S::InDiscussion),
    (S::InDiscussion, A::Accept, S::Accepted),
    (S::InDiscussion, A::Decline, S::Declined),
];

impl RequestState {
    /// The state `action` leads to from here, or why it cannot be done.
    pub fn apply(self, action: RequestAction) -> Result<RequestState, FieldError> {
        TRANSITIONS
            .iter()
            .find(|(from, a, _)| *from == self && *a == action)
            .map(|(_, _, to)| *to)
            .ok_or_else(|| {
                FieldError::new(
                    "state",
                    "invalid_state",
                    format!(
                        "a request that is {} cannot be {}: {}",
                        self.label().to_lowercase(),
                        past(action),
                        allowed_from(action)
                    ),
                )
            })
    }

    /// Whether the request is still open (no outcome yet).
    pub fn is_open(self) -> bool {
        matches!(self, S::New | S::Claimed | S::InDiscussion)
    }
}

fn past(action: RequestAction) -> &'static str {
    match action {
        A::Claim => "claimed",
        A::HandOver => "handed over",
        A::RecordStep => "given next steps",
        A::Accept => "accepted",
        A::Decline => "declined",
        A::MarkSpam => "marked as spam",
    }
}

/// "only a new request", "only a claimed or in-discussion request", for refusals.
fn allowed_from(action: RequestAction) -> String {
    let from: Vec<&str> = TRANSITIONS
        .iter()
        .filter(|(_, a, _)| *a == action)
        .map(|(f, _, _)| f.code())
        .collect();
    format!("only a request that is {}", from.join(" or "))
}

/// A request as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct InboundInput {
    pub company: String,
    pub website: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub interest: String,
    pub integration: String,
    pub benefits: String,
    pub relationship: String,
    pub document_url: Option<String>,
    pub received_via: Option<String>,
}

/// A valid request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundDraft {
    pub company: OrgName,
    pub website: Option<String>,
    pub contact_name: String,
    pub contact_email: EmailAddress,
    pub interest: Interest,
    /// The handbook's three questions: the technical integration, the end-user benefits and
    /// the business relationship wanted.
    pub integration: String,
    pub benefits: String,
    pub relationship: String,
    /// The shared document holding those answers ("<Company> and <Vendor>").
    pub document_url: Option<String>,
    pub received_via: ReceivedVia,
}

impl InboundDraft {
    /// The input that parses back to this draft (a change overlays it and parses again).
    pub fn to_input(&self) -> InboundInput {
        InboundInput {
            company: self.company.as_str().to_string(),
            website: self.website.clone(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.as_str().to_string(),
            interest: self.interest.code().to_string(),
            integration: self.integration.clone(),
            benefits: self.benefits.clone(),
            relationship: self.relationship.clone(),
            document_url: self.document_url.clone(),
            received_via: Some(self.received_via.code().to_string()),
        }
    }

    /// Parses every field, reporting all bad ones in field order. The public form may not name
    /// how the request arrived (it is the web form); staff logging one must.
    pub fn parse(input: &InboundInput, staff: bool) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let company = errs.take(OrgName::parse("company", &input.company));
        let website = match input.website.as_deref().filter(|w| !w.is_empty()) {
            Some(w) => errs.take(parse_url("website", w)).map(Some),
            None => Some(None),
        };
        let contact_name = errs.take(person_name("contact_name", &input.contact_name));
        let contact_email = errs.take(EmailAddress::parse("contact_email", &input.contact_email));
        let interest = errs.take(Interest::parse("interest", &input.interest));
        let integration = errs.take(field::text("integration", &input.integration, MAX_ANSWER));
        let benefits = errs.take(field::text("benefits", &input.benefits, MAX_ANSWER));
        let relationship = errs.take(field::text("relationship", &input.relationship, MAX_ANSWER));
        let document_url = match input.document_url.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => errs.take(parse_url("document_url", d)).map(Some),
            None => Some(None),
        };
        let received_via = match (input.received_via.as_deref(), staff) {
            (None, false) => Some(ReceivedVia::WebForm),
            (Some(_), false) => errs.take(Err(FieldError::new(
                "received_via",
                "invalid",
                "received_via is for requests staff log; the public form is the web form",
            ))),
            (None, true) => errs.take(Err(FieldError::required("received_via"))),
            (Some(v), true) => errs.take(ReceivedVia::parse("received_via", v)),
        };
        match (
            company,
            website,
            contact_name,
            contact_email,
            interest,
            integration,
            benefits,
            relationship,
            document_url,
            received_via,
        ) {
            (
                Some(company),
                Some(website),
                Some(contact_name),
                Some(contact_email),
                Some(interest),
                Some(integration),
                Some(benefits),
                Some(relationship),
                Some(document_url),
                Some(received_via),
            ) if errs.is_empty() => Ok(Self {
                company,
                website,
                contact_name,
                contact_email,
                interest,
                integration,
                benefits,
                relationship,
                document_url,
                received_via,
            }),
            _ => Err(errs),
        }
    }
}

/// A next step as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub text: String,
    pub owner_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
}

/// A valid next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDraft {
    pub text: String,
    pub owner_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
}

impl StepDraft {
    pub fn parse(input: &StepInput) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let text = errs.take(field::text("text", &input.text, MAX_STEP));
        let due_on = match input.due_on.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => errs.take(parse_date("due_on", d)).map(Some),
            None => Some(None),
        };
        if input.owner_id.is_some_and(|id| id <= 0) {
            errs.push(FieldError::new(
                "owner_id",
                "invalid",
                "owner_id must be a user id",
            ));
        }
        match (text, due_on) {
            (Some(text), Some(due_on)) if errs.is_empty() => Ok(Self {
                text,
                owner_id: input.owner_id,
                due_on,
            }),
            _ => Err(errs),
        }
    }
}

/// A calendar date `YYYY-MM-DD` (Gregorian, years 0001–9999), as sent.
pub fn parse_date(field_name: &str, raw: &str) -> Result<String, FieldError> {
    let bad = || {
        FieldError::new(
            field_name,
            "invalid",
            format!("{field_name} must be a date as YYYY-MM-DD"),
        )
    };
    let parts: Vec<&str> = raw.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if y == 0 || d == 0 || d > days {
        return Err(bad());
    }
    Ok(raw.to_string())
}

/// A reason (for declining): present, at most [`MAX_STEP`] characters.
pub fn parse_reason(raw: &str) -> Result<String, FieldError> {
    field::text("reason", raw, MAX_STEP)
}

/// The brief description the alliances channel gets of a new request.
pub fn channel_summary(d: &InboundDraft) -> String {
    let wants = match d.interest {
        Interest::Technology => "a technology partnership",
        Interest::Services => "a services partnership",
        Interest::Reseller => "a reseller partnership",
        Interest::Unsure => "a partnership (kind not decided)",
    };
    let via = match d.received_via {
        ReceivedVia::WebForm => String::new(),
        other => format!(" (received via {})", other.label().to_lowercase()),
    };
    let mut integration: String = d.integration.chars().take(140).collect();
    if d.integration.chars().count() > 140 {
        integration.push('…');
    }
    format!(
        "New inbound alliance request: *{}* wants {wants}{via}. Integration: {integration}",
        d.company.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> InboundInput {
        InboundInput {
            company: "Acme DevTools".into(),
            website: Some("https://acme.example".into()),
            contact_name: "Ada Lovelace".into(),
            contact_email: "ada@acme.example".into(),
            interest: "technology".into(),
            integration: "A CI plugin that reads merge requests".into(),
            benefits: "Faster reviews".into(),
            relationship: "Co-marketing".into(),
            document_url: Some("https://docs.example.com/d/acme".into()),
            received_via: None,
        }
    }

    #[test]
    fn a_request_asks_what_the_handbook_asks() {
        let d = InboundDraft::parse(&input(), false).unwrap();
        assert_eq!(d.received_via, ReceivedVia::WebForm);
        assert!(channel_summary(&d).contains("*Acme DevTools* wants a technology partnership"));
        let err = InboundDraft::parse(&InboundInput::default(), false).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "company",
                "contact_name",
                "contact_email",
                "interest",
                "integration",
                "benefits",
                "relationship"
            ]
        );
        let mut logged = input();
        assert_eq!(
            InboundDraft::parse(&logged, true).unwrap_err().0[0].field,
            "received_via"
        );
        logged.received_via = Some("event".into());
        let d = InboundDraft::parse(&logged, true).unwrap();
        assert!(channel_summary(&d).contains("received via an event"));
        assert!(
            InboundDraft::parse(&logged, false).is_err(),
            "the public form says nothing of it"
        );
    }

    #[test]
    fn the_first_claim_wins_and_every_state_knows_what_may_follow() {
        assert_eq!(S::New.apply(A::Claim), Ok(S::Claimed));
        let again = S::Claimed.apply(A::Claim).unwrap_err();
        assert!(
            again.message.contains("only a request that is new"),
            "{}",
            again.message
        );
        assert_eq!(S::Claimed.apply(A::RecordStep), Ok(S::InDiscussion));
        assert_eq!(S::InDiscussion.apply(A::Accept), Ok(S::Accepted));
        assert!(
            S::New.apply(A::Accept).is_err(),
            "a request is accepted by its lead"
        );
        assert!(S::Claimed.apply(A::MarkSpam).is_err());
        for done in [S::Accepted, S::Declined, S::Spam] {
            for action in RequestAction::ALL {
                assert!(done.apply(*action).is_err(), "{done:?} {action:?}");
            }
            assert!(!done.is_open());
        }
    }

    #[test]
    fn dates_are_real_calendar_days() {
        assert!(parse_date("due_on", "2026-02-28").is_ok());
        assert!(parse_date("due_on", "2028-02-29").is_ok());
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "26-01-01",
            "2026-1-1",
            "tomorrow",
            "2026-04-31",
        ] {
            assert!(parse_date("due_on", bad).is_err(), "{bad}");
        }
    }
}
