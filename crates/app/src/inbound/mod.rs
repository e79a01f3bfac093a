//! Inbound alliance requests, the handbook's "Open to collaboration" and "Handling inbound
//! alliance requests": the public intake (rate-limited per address, a honeypot field), requests
//! logged by staff, the alliances channel told of each, one lead declared (the first claim
//! wins), next steps, and the outcome: a partner, a decline with its reason, or spam. Every
//! notification is a delivery written with the change that causes it.

use std::collections::HashMap;
use std::sync::Mutex;

use partnerhub_domain::access::{Action, Resource};
use partnerhub_domain::documents::{DocumentInput, SharedDocument};
use partnerhub_domain::inbound::{
    self, InboundDraft, InboundInput, RequestAction, RequestState, StepDraft, StepInput,
};
use partnerhub_domain::notify::Event;
use partnerhub_domain::partner::{ContactInput, PartnerDraft, PartnerInput};
use partnerhub_domain::{FieldError, FieldErrors};
use partnerhub_outbound::{Link, Message};
use partnerhub_store::{
    InboundFilter, InboundRecord, JobRecord, NewJob, PartnerRecord, Seen, StepPatch, Who,
};

use crate::error::AppError;
use crate::outbox::{delivery, Subject};
use crate::{App, Caller};

/// The job kind of the hourly reminder.
pub const REMIND: &str = "inbound.remind";

mod remind;
pub use remind::register_jobs;

/// Counts public submissions per address within the hour.
#[derive(Default)]
pub struct IntakeLimiter(Mutex<HashMap<String, (i64, u32)>>);

impl IntakeLimiter {
    /// Counts a submission from `ip` at `now_ms`; whether it is within `per_hour`.
    fn admit(&self, ip: &str, now_ms: i64, per_hour: u32) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return false;
        };
        if map.len() > 100_000 {
            map.retain(|_, (since, _)| now_ms - *since < 3_600_000);
        }
        let entry = map.entry(ip.to_string()).or_insert((now_ms, 0));
        if now_ms - entry.0 >= 3_600_000 {
            *entry = (now_ms, 0);
        }
        entry.1 += 1;
        entry.1 <= per_hour
    }
}

/// The partner an accepted request becomes: how the alliances team classifies it.
#[derive(Debug, Clone, Default)]
pub struct AcceptInput {
    pub family: Option<String>,
    pub category: String,
    pub integration_direction: Option<String>,
    pub track: Option<String>,
}

/// A change to a request's answers or notes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct InboundPatch {
    pub company: Option<String>,
    pub website: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub interest: Option<String>,
    pub integration: Option<String>,
    pub benefits: Option<String>,
    pub relationship: Option<String>,
    pub document_url: Option<String>,
    pub received_via: Option<String>,
    /// `Some("")` clears the notes.
    pub notes: Option<String>,
}

/// A change to a next step.
#[derive(Debug, Clone, Default)]
pub struct StepChange {
    pub text: Option<String>,
    pub owner_id: Option<Option<i64>>,
    pub due_on: Option<Option<String>>,
    pub done: Option<bool>,
}

fn subject(id: i64) -> Subject {
    Subject {
        kind: "inbound_request",
        id: id.to_string(),
    }
}

/// What webhooks receive of a request.
fn event_data(r: &InboundRecord) -> serde_json::Value {
    serde_json::json!({
        "inbound_request": {
            "id": r.id,
            "state": r.state.code(),
            "company": r.draft.company.as_str(),
            "interest": r.draft.interest.code(),
            "lead": r.lead.as_ref().map(|l| serde_json::json!({"id": l.id, "name": l.name})),
            "partner_id": r.partner_id,
        }
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl App {
    fn request_link(&self, id: i64) -> Link {
        Link {
            label: "open the request".into(),
            url: format!(
                "{}/inbound/{id}",
                self.config().public_url.trim_end_matches('/')
            ),
        }
    }

    /// A message to the alliances channel, if one is configured.
    fn to_alliances(&self, text: String, id: i64, now: i64) -> Option<NewJob> {
        self.config()
            .outbox
            .chat
            .contains_key("alliances")
            .then(|| {
                let message = Message::Chat {
                    target: "alliances".into(),
                    text,
                    link: Some(self.request_link(id)),
                };
                delivery(&message, &subject(id), now)
            })
    }

    /// An email, if an SMTP relay is configured.
    fn email(
        &self,
        to: &str,
        subject_line: &str,
        text: String,
        id: i64,
        now: i64,
    ) -> Option<NewJob> {
        self.config().outbox.smtp.as_ref()?;
        let html = format!(
            "<!doctype html><html><body>{}</body></html>",
            text.split("\n\n")
                .map(|p| format!("<p>{}</p>", html_escape(p).replace('\n', "<br>")))
                .collect::<String>()
        );
        let message = Message::Email {
            to: to.to_string(),
            subject: subject_line.to_string(),
            text,
            html,
        };
        Some(delivery(&message, &subject(id), now))
    }

    /// The deliveries a new request with `id` causes: the channel, the requester's
    /// confirmation (public intake only), the webhooks subscribed to `subscribers`.
    fn arrival(
        &self,
        id: i64,
        draft: &InboundDraft,
        confirm: bool,
        subscribers: &[i64],
        now: i64,
    ) -> Vec<NewJob> {
        let mut jobs = Vec::new();
        jobs.extend(self.to_alliances(inbound::channel_summary(draft), id, now));
        if confirm {
            let vendor = &self.config().vendor_name;
            let text = format!(
                "Hello {},\n\nThank you for your interest in a partnership with {vendor}. We received \
                 the request of {} and the {vendor} Alliances team will come back to you.\n\nIf you \
                 have not yet, share a document named \"{} and {vendor}\" with anyone who has the link, \
                 holding the technical integration, the end-user benefits and the business relationship \
                 you would like.\n\nThe {vendor} Alliances team",
                draft.contact_name,
                draft.company.as_str(),
                draft.company.as_str(),
            );
            jobs.extend(self.email(
                draft.contact_email.as_str(),
                &format!("We received your partnership request ({vendor})"),
                text,
                id,
                now,
            ));
        }
        let data = serde_json::json!({"inbound_request": {"id": id, "company": draft.company.as_str(), "interest": draft.interest.code(), "state": "new"}});
        jobs.extend(crate::webhooks::fan_out(
            subscribers,
            Event::InboundRequestCreated,
            &subject(id),
            &data,
            now,
        ));
        jobs
    }

    /// Submits a request through the public intake: no sign-in, at most
    /// `intake_per_hour` from one address, refused when the honeypot field is filled.
    pub async fn submit_inbound(
        &self,
        ip: &str,
        input: &InboundInput,
        honeypot: Option<&str>,
    ) -> Result<InboundRecord, AppError> {
        if !self
            .intake
            .admit(ip, self.now_ms(), self.config().intake_per_hour)
        {
            return Err(AppError::Limited(
                "too many requests from this address; try again in an hour".into(),
            ));
        }
        if honeypot.is_some_and(|h| !h.trim().is_empty()) {
            return Err(AppError::Invalid(
                FieldError::new("form", "invalid", "the form could not be accepted").into(),
            ));
        }
        let draft = InboundDraft::parse(input, false)?;
        let who = Who {
            user_id: None,
            label: format!("partner-with-us form ({})", draft.contact_email.as_str()),
        };
        self.create_inbound(&who, &draft, true).await
    }

    /// Logs a request a vendor employee received elsewhere.
    pub async fn log_inbound(
        &self,
        caller: &Caller,
        input: &InboundInput,
    ) -> Result<InboundRecord, AppError> {
        caller.authorize(Action::LogInboundRequest, None)?;
        let draft = InboundDraft::parse(input, true)?;
        self.create_inbound(&caller.who(), &draft, false).await
    }

    async fn create_inbound(
        &self,
        who: &Who,
        draft: &InboundDraft,
        confirm: bool,
    ) -> Result<InboundRecord, AppError> {
        let subscribers = self.subscribers(Event::InboundRequestCreated).await?;
        let now = self.now_ms();
        let record = self
            .store()
            .create_inbound(
                who,
                draft,
                |id| self.arrival(id, draft, confirm, &subscribers, now),
                now,
            )
            .await?;
        Ok(record)
    }

    /// One request, with the policy's decision on the record.
    async fn load(
        &self,
        caller: &Caller,
        action: Action,
        id: i64,
    ) -> Result<InboundRecord, AppError> {
        self.load_deciding(caller, id, |_| action).await
    }

    /// One request, with the policy's decision on the record for the action `action_for`
    /// names from it.
    async fn load_deciding(
        &self,
        caller: &Caller,
        id: i64,
        action_for: impl FnOnce(&InboundRecord) -> Action,
    ) -> Result<InboundRecord, AppError> {
        // The role decides first, so a partner user learns nothing of which ids exist.
        caller.authorize(Action::ReadInboundRequests, None)?;
        let record = self.store().inbound(id).await?;
        let action = action_for(&record);
        if let Caller::User { actor, .. } = caller {
            actor.authorize_on(
                action,
                &Resource::Led {
                    lead: record.lead.as_ref().map(|l| l.id),
                },
            )?;
        }
        Ok(record)
    }

    /// Requests, newest first (spam hidden unless asked for), and how many match.
    pub async fn inbound_requests(
        &self,
        caller: &Caller,
        filter: &InboundFilter,
    ) -> Result<(Vec<InboundRecord>, i64), AppError> {
        caller.authorize(Action::ReadInboundRequests, None)?;
        Ok(self.store().inbound_list(filter).await?)
    }

    /// One request.
    pub async fn inbound_request(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<InboundRecord, AppError> {
        self.load(caller, Action::ReadInboundRequests, id).await
    }

    /// The deliveries of one request, newest first.
    pub async fn inbound_deliveries(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<Vec<JobRecord>, AppError> {
        self.load(caller, Action::ReadInboundRequests, id).await?;
        Ok(self
            .store()
            .jobs(&partnerhub_store::JobFilter {
                deliveries: true,
                subject_type: Some("inbound_request".into()),
                subject_id: Some(id.to_string()),
                limit: 100,
                ..Default::default()
            })
            .await?)
    }

    /// Takes the lead on a new request: the first claim wins; later ones are told who leads.
    pub async fn claim_inbound(&self, caller: &Caller, id: i64) -> Result<InboundRecord, AppError> {
        let record = self.load(caller, Action::ClaimInboundRequest, id).await?;
        let user = caller.user_id().ok_or(AppError::Denied(
            partnerhub_domain::access::Denied::Forbidden,
        ))?;
        if record.lead.is_none() {
            next(record.state, RequestAction::Claim)?;
        }
        let name = self.store().user(user).await?.name;
        let now = self.now_ms();
        let mut jobs: Vec<NewJob> = self
            .to_alliances(
                format!(
                    "{name} takes the lead on the request of *{}*.",
                    record.draft.company.as_str()
                ),
                id,
                now,
            )
            .into_iter()
            .collect();
        let mut after = record.clone();
        after.state = RequestState::Claimed;
        jobs.extend(
            self.webhook_fan_out(
                Event::InboundRequestClaimed,
                &subject(id),
                &event_data(&after),
            )
            .await?,
        );
        Ok(self
            .store()
            .claim_inbound(&caller.who(), id, user, &jobs, now)
            .await?)
    }

    /// Hands the lead to another vendor user (the lead or an admin).
    pub async fn hand_over_inbound(
        &self,
        caller: &Caller,
        id: i64,
        lead_id: i64,
    ) -> Result<InboundRecord, AppError> {
        let record = self.load(caller, Action::LeadInboundRequest, id).await?;
        next(record.state, RequestAction::HandOver)?;
        let new_lead = match self.store().user(lead_id).await {
            Ok(u) => u,
            Err(partnerhub_store::StoreError::NotFound) => {
                return Err(AppError::Conflict(FieldError::new(
                    "lead_id",
                    "conflict",
                    format!("user {lead_id} does not exist"),
                )))
            }
            Err(e) => return Err(e.into()),
        };
        let now = self.now_ms();
        let jobs: Vec<NewJob> = self
            .to_alliances(
                format!(
                    "{} now leads the request of *{}*.",
                    new_lead.name,
                    record.draft.company.as_str()
                ),
                id,
                now,
            )
            .into_iter()
            .collect();
        Ok(self
            .store()
            .hand_over_inbound(&caller.who(), id, Seen::of(&record), lead_id, &jobs, now)
            .await?)
    }

    /// Records a next step (the lead or an admin); the request is then in discussion.
    pub async fn add_inbound_step(
        &self,
        caller: &Caller,
        id: i64,
        input: &StepInput,
    ) -> Result<InboundRecord, AppError> {
        let record = self.load(caller, Action::LeadInboundRequest, id).await?;
        let to = next(record.state, RequestAction::RecordStep)?;
        let step = StepDraft::parse(input)?;
        Ok(self
            .store()
            .add_inbound_step(&caller.who(), id, Seen::of(&record), to, &step)
            .await?)
    }

    /// Changes a next step: its text, owner, day, or whether it is done.
    pub async fn update_inbound_step(
        &self,
        caller: &Caller,
        id: i64,
        step_id: i64,
        change: &StepChange,
    ) -> Result<InboundRecord, AppError> {
        let record = self.load(caller, Action::LeadInboundRequest, id).await?;
        let mut errs = FieldErrors::default();
        let text = change
            .text
            .as_deref()
            .and_then(|t| errs.take(partnerhub_domain::field::text("text", t, inbound::MAX_STEP)));
        let due_on = match &change.due_on {
            Some(Some(d)) if !d.is_empty() => errs
                .take(inbound::parse_date("due_on", d))
                .map(|d| Some(Some(d)))
                .unwrap_or(None),
            Some(_) => Some(None),
            None => None,
        };
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let patch = StepPatch {
            text,
            owner_id: change.owner_id,
            due_on,
            done: change.done,
        };
        Ok(self
            .store()
            .update_inbound_step(&caller.who(), id, Seen::of(&record), step_id, &patch)
            .await?)
    }

    /// Changes a request's answers or notes (the lead or an admin), checked as a whole.
    pub async fn update_inbound(
        &self,
        caller: &Caller,
        id: i64,
        patch: &InboundPatch,
    ) -> Result<InboundRecord, AppError> {
        let record = self.load(caller, Action::LeadInboundRequest, id).await?;
        let mut input = record.draft.to_input();
        macro_rules! overlay {
            ($($f:ident),*) => { $( if let Some(v) = &patch.$f { input.$f = v.clone(); } )* };
        }
        overlay!(
            company,
            contact_name,
            contact_email,
            interest,
            integration,
            benefits,
            relationship
        );
        if let Some(w) = &patch.website {
            input.website = Some(w.clone());
        }
        if let Some(d) = &patch.document_url {
            input.document_url = Some(d.clone());
        }
        if let Some(v) = &patch.received_via {
            input.received_via = Some(v.clone());
        }
        let draft = InboundDraft::parse(&input, true)?;
        let notes = match &patch.notes {
            Some(n) => partnerhub_domain::field::optional_text("notes", n, inbound::MAX_ANSWER)?,
            None => record.notes.clone(),
        };
        Ok(self
            .store()
            .update_inbound(
                &caller.who(),
                id,
                Seen::version_of(&record),
                &draft,
                notes.as_deref(),
            )
            .await?)
    }

    /// Accepts a request (the lead or an admin): a prospect partner with the family and
    /// category chosen, the request's contact as its contact, its document in the registry,
    /// and a link back.
    pub async fn accept_inbound(
        &self,
        caller: &Caller,
        id: i64,
        input: &AcceptInput,
    ) -> Result<(InboundRecord, PartnerRecord), AppError> {
        let record = self.load(caller, Action::LeadInboundRequest, id).await?;
        next(record.state, RequestAction::Accept)?;
        let d = &record.draft;
        let domains = d
            .website
            .as_deref()
            .and_then(url_host)
            .map(|h| vec![h.trim_start_matches("www.").to_string()])
            .unwrap_or_default();
        let partner = PartnerDraft::parse(&PartnerInput {
            name: Some(d.company.as_str().to_string()),
            domains: Some(domains),
            family: input.family.clone(),
            category: Some(input.category.clone()),
            integration_direction: input.integration_direction.clone(),
            track: input.track.clone(),
            status: Some("prospect".into()),
            partner_manager_id: Some(record.lead.as_ref().map(|l| l.id)),
            website: d.website.clone(),
            description: Some(
                format!(
                    "From inbound request {id} ({}). Integration: {}",
                    d.interest.label(),
                    d.integration
                )
                .chars()
                .take(partnerhub_domain::partner::MAX_DESCRIPTION)
                .collect(),
            ),
            contacts: Some(vec![ContactInput {
                name: d.contact_name.clone(),
                email: d.contact_email.as_str().to_string(),
                title: None,
                phone: None,
            }]),
            scorecard: None,
        })?;
        let vendor = &self.config().vendor_name;
        let document = match &d.document_url {
            Some(url) => Some(
                SharedDocument::parse(&DocumentInput {
                    title: &format!("{} and {vendor}", d.company.as_str()),
                    url,
                    audience: "partner_shared",
                    sharing: "anyone_with_link",
                    folder: "Inbound requests",
                })
                .map_err(AppError::Invalid)?,
            ),
            None => None,
        };
        let now = self.now_ms();
        let mut after = record.clone();
        after.state = RequestState::Accepted;
        let mut jobs: Vec<NewJob> = self
            .to_alliances(
                format!(
                    "The request of *{}* was accepted: it is a prospect partner now.",
                    d.company.as_str()
                ),
                id,
                now,
            )
            .into_iter()
            .collect();
        jobs.extend(
            self.webhook_fan_out(
                Event::InboundRequestAccepted,
                &subject(id),
                &event_data(&after),
            )
            .await?,
        );
        let (after, partner_id) = self
            .store()
            .accept_inbound(
                &caller.who(),
                id,
                Seen::of(&record),
                &partner,
                document.as_ref(),
                &jobs,
                now,
            )
            .await?;
        let partner = self
            .store()
            .partner(partnerhub_domain::access::Scope::All, partner_id)
            .await?;
        Ok((after, partner))
    }

    /// Declines a request with a reason (the lead, an admin, or any alliances member while it
    /// is new); `notify` emails the requester the reason.
    pub async fn decline_inbound(
        &self,
        caller: &Caller,
        id: i64,
        reason: &str,
        notify: bool,
    ) -> Result<InboundRecord, AppError> {
        // A new request has no lead yet: declining it is triage, open to whoever may claim it.
        // The decision is on this one reading; the write checks it still holds.
        let record = self
            .load_deciding(caller, id, |r| {
                if r.lead.is_none() {
                    Action::ClaimInboundRequest
                } else {
                    Action::LeadInboundRequest
                }
            })
            .await?;
        next(record.state, RequestAction::Decline)?;
        let reason = inbound::parse_reason(reason)?;
        if notify && self.config().outbox.smtp.is_none() {
            return Err(AppError::Conflict(FieldError::new(
                "notify",
                "conflict",
                "no SMTP relay is configured, so the requester cannot be emailed",
            )));
        }
        let now = self.now_ms();
        let vendor = &self.config().vendor_name;
        let mut jobs = Vec::new();
        if notify {
            let text = format!(
                "Hello {},\n\nThank you for your interest in a partnership with {vendor}. We have \
                 looked at the request of {} and will not take it further now:\n\n{reason}\n\nThe \
                 {vendor} Alliances team",
                record.draft.contact_name,
                record.draft.company.as_str()
            );
            jobs.extend(self.email(
                record.draft.contact_email.as_str(),
                &format!("Your partnership request ({vendor})"),
                text,
                id,
                now,
            ));
        }
        let mut after = record.clone();
        after.state = RequestState::Declined;
        jobs.extend(
            self.webhook_fan_out(
                Event::InboundRequestDeclined,
                &subject(id),
                &event_data(&after),
            )
            .await?,
        );
        Ok(self
            .store()
            .decline_inbound(&caller.who(), id, Seen::of(&record), &reason, &jobs, now)
            .await?)
    }

    /// Marks a new request as spam: hidden from the default list.
    pub async fn spam_inbound(&self, caller: &Caller, id: i64) -> Result<InboundRecord, AppError> {
        let record = self.load(caller, Action::MarkInboundSpam, id).await?;
        next(record.state, RequestAction::MarkSpam)?;
        Ok(self
            .store()
            .spam_inbound(&caller.who(), id, Seen::of(&record))
            .await?)
    }
}

/// The state `action` leads to; a request in another state is a conflict (409), as for
/// anything decided on what the record is now.
fn next(state: RequestState, action: RequestAction) -> Result<RequestState, AppError> {
    state.apply(action).map_err(AppError::Conflict)
}

/// The host of an http(s) URL, lowercase.
fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#', ':']).next()?;
    (!host.is_empty()).then(|| host.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_intake_admits_a_few_an_hour_per_address() {
        let l = IntakeLimiter::default();
        for _ in 0..3 {
            assert!(l.admit("1.2.3.4", 0, 3));
        }
        assert!(!l.admit("1.2.3.4", 1000, 3));
        assert!(l.admit("5.6.7.8", 1000, 3));
        assert!(l.admit("1.2.3.4", 3_600_000, 3));
    }

    #[test]
    fn a_website_gives_the_partner_its_domain() {
        assert_eq!(
            url_host("https://www.Acme.example/x").as_deref(),
            Some("www.acme.example")
        );
        assert_eq!(
            url_host("http://acme.example:8080").as_deref(),
            Some("acme.example")
        );
        assert_eq!(url_host("ftp://x"), None);
    }
}
