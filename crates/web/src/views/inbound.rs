//! The alliances team's pages for inbound requests: the triage list (by state, lead and age,
//! overdue steps marked), a request's page (claim, hand over, next steps, notes, accept,
//! decline, spam, its history and its deliveries), and the form that logs a request received
//! elsewhere. Each page calls the same operation the API does.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use partnerhub_app::inbound::{AcceptInput, StepChange};
use partnerhub_domain::audit::AuditEntity;
use partnerhub_domain::inbound::{InboundInput, Interest, ReceivedVia, RequestState, StepInput};
use partnerhub_domain::taxonomy::{IntegrationDirection, Track};
use partnerhub_store::{InboundFilter, InboundRecord, User};

use super::admin::outbound::DeliveryLine;
use super::forms::{choices, parse_id, Choice, ChoiceGroup, Errors, Fields, Posted, Rejected};
use super::layout::{render_status, Chrome, PageResult, Section};
use super::partner_page::{changes, Change};
use super::partners::category_groups;
use crate::auth::Session;
use crate::state::AppState;

/// Requests on one page of the list.
const PER_PAGE: i64 = 50;

/// Today, `YYYY-MM-DD` (UTC), for overdue steps.
fn today(state: &AppState) -> String {
    let ms = state.app().now_ms();
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

fn when(t: time::OffsetDateTime) -> String {
    let s = crate::api::rfc3339(t);
    s.get(..16).unwrap_or(&s).replace('T', " ")
}

/// One request in the list.
pub struct Line {
    pub id: i64,
    pub company: String,
    pub interest: &'static str,
    pub state: &'static str,
    pub state_label: &'static str,
    pub lead: String,
    pub received: String,
    pub age_hours: i64,
    pub waiting: bool,
    pub overdue: bool,
}

fn line(r: &InboundRecord, today: &str, triage_hours: i64) -> Line {
    let age_hours = (partnerhub_store::now() - r.created_at).whole_hours();
    Line {
        id: r.id,
        company: r.draft.company.as_str().to_string(),
        interest: r.draft.interest.label(),
        state: r.state.code(),
        state_label: r.state.label(),
        lead: r.lead.as_ref().map(|l| l.name.clone()).unwrap_or_default(),
        received: when(r.created_at),
        age_hours,
        waiting: r.state == RequestState::New && age_hours >= triage_hours,
        overdue: r.state.is_open()
            && r.steps
                .iter()
                .any(|s| !s.done && s.due_on.as_deref().is_some_and(|d| d < today)),
    }
}

#[derive(Template)]
#[template(path = "inbound_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Line>,
    total: i64,
    states: Vec<Choice>,
    leads: Vec<Choice>,
    older: String,
    triage_hours: i64,
    next: Option<String>,
    prev: Option<String>,
    can_log: bool,
}

/// `GET /inbound[?state=&lead=&older_than_hours=&page=]`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let filter_state = RequestState::parse("state", &get("state")).ok();
    let lead = get("lead").parse::<i64>().ok();
    let older = get("older_than_hours");
    let page: i64 = get("page")
        .parse()
        .ok()
        .filter(|p| (1..=crate::api::MAX_PAGE).contains(p))
        .unwrap_or(1);
    let created_before = older
        .parse::<i64>()
        .ok()
        .filter(|h| (0..=87_600).contains(h))
        .map(|h| partnerhub_store::now() - time::Duration::hours(h));
    let filter = InboundFilter {
        state: filter_state,
        lead_id: lead,
        created_before,
        limit: PER_PAGE,
        offset: crate::api::offset(page, PER_PAGE),
    };
    let caller = session.caller();
    let (items, total) = state.app().inbound_requests(&caller, &filter).await?;
    let staff = state.app().staff(&caller).await?;
    let triage_hours = state.app().config().triage_hours;
    let day = today(&state);
    let link = |p: i64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for k in ["state", "lead", "older_than_hours"] {
            if !get(k).is_empty() {
                s.append_pair(k, &get(k));
            }
        }
        s.append_pair("page", &p.to_string());
        format!("/inbound?{}", s.finish())
    };
    let shown = items.len() as i64;
    let mut states = vec![Choice::new("", "Open and closed (no spam)", &get("state"))];
    states.extend(
        RequestState::ALL
            .iter()
            .map(|s| Choice::new(s.code(), s.label(), &get("state"))),
    );
    let mut leads = vec![Choice::new("", "Anyone", &get("lead"))];
    leads.extend(
        staff
            .iter()
            .map(|u| Choice::new(u.id.to_string(), u.name.clone(), &get("lead"))),
    );
    let offset = crate::api::offset(page, PER_PAGE);
    let page_view = ListPage {
        chrome: Chrome::new(&state, &session, Section::Inbound)
            .with_notice(q.get("done").map(String::as_str)),
        rows: items.iter().map(|r| line(r, &day, triage_hours)).collect(),
        total,
        states,
        leads,
        older,
        triage_hours,
        next: (offset + shown < total).then(|| link(page + 1)),
        prev: (page > 1).then(|| link(page - 1)),
        can_log: session.may(partnerhub_domain::access::Action::LogInboundRequest),
    };
    Ok(render_status(StatusCode::OK, &page_view))
}

/// One step on the request page.
pub struct StepLine {
    pub id: i64,
    pub text: String,
    pub owner: String,
    pub due_on: String,
    pub done: bool,
    pub overdue: bool,
}

/// One change of the request's history.
pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "inbound.html")]
struct RequestPage {
    chrome: Chrome,
    r: InboundRecord,
    state_label: &'static str,
    interest: &'static str,
    via: &'static str,
    steps: Vec<StepLine>,
    deliveries: Vec<DeliveryLine>,
    history: Vec<HistoryLine>,
    staff: Vec<Choice>,
    categories: Vec<ChoiceGroup>,
    directions: Vec<Choice>,
    tracks: Vec<Choice>,
    can_claim: bool,
    can_lead: bool,
    can_spam: bool,
    can_decline: bool,
    open: bool,
    fields: Fields,
    errors: Errors,
}

impl RequestPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

async fn request_page(
    state: &AppState,
    session: &Session,
    id: i64,
    status: StatusCode,
    fields: Fields,
    errors: Errors,
    done: Option<&str>,
) -> PageResult {
    let caller = session.caller();
    let app = state.app();
    let r = app.inbound_request(&caller, id).await?;
    let deliveries = app.inbound_deliveries(&caller, id).await?;
    let history = app
        .history(
            &caller,
            AuditEntity::InboundRequest,
            &id.to_string(),
            None,
            50,
        )
        .await?;
    let staff: Vec<User> = state.app().staff(&caller).await?;
    let day = today(state);
    let actor = session.actor();
    let led = partnerhub_domain::access::Resource::Led {
        lead: r.lead.as_ref().map(|l| l.id),
    };
    let allowed = |a| actor.authorize_on(a, &led).is_ok();
    use partnerhub_domain::access::Action;
    let open = r.state.is_open();
    let can_lead = open && r.lead.is_some() && allowed(Action::LeadInboundRequest);
    let lead_id = fields.get("lead_id").to_string();
    let page = RequestPage {
        chrome: Chrome::new(state, session, Section::Inbound).with_notice(done),
        state_label: r.state.label(),
        interest: r.draft.interest.label(),
        via: r.draft.received_via.label(),
        steps: r
            .steps
            .iter()
            .map(|s| StepLine {
                id: s.id,
                text: s.text.clone(),
                owner: s.owner.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
                due_on: s.due_on.clone().unwrap_or_default(),
                done: s.done,
                overdue: !s.done && s.due_on.as_deref().is_some_and(|d| d < day.as_str()),
            })
            .collect(),
        deliveries: deliveries.iter().map(DeliveryLine::new).collect(),
        history: history
            .iter()
            .map(|h| HistoryLine {
                at: h
                    .entry
                    .at
                    .get(..16)
                    .unwrap_or(&h.entry.at)
                    .replace('T', " "),
                actor: h.entry.actor_label.clone(),
                action: h.entry.action.clone(),
                changes: changes(h.entry.before.as_deref(), h.entry.after.as_deref()),
            })
            .collect(),
        staff: staff
            .iter()
            .map(|u| Choice::new(u.id.to_string(), u.name.clone(), &lead_id))
            .collect(),
        categories: category_groups(fields.get("category")),
        directions: {
            let d = fields.get("integration_direction");
            let mut v = vec![Choice::new("", "None", d)];
            v.extend(
                IntegrationDirection::ALL
                    .iter()
                    .map(|x| Choice::new(x.code(), x.label(), d)),
            );
            v
        },
        tracks: choices(
            Track::ALL.iter().map(|t| (t.code(), t.label())),
            fields.opt("track").unwrap_or("open"),
        ),
        can_claim: r.state == RequestState::New && allowed(Action::ClaimInboundRequest),
        can_spam: r.state == RequestState::New && allowed(Action::MarkInboundSpam),
        can_decline: open
            && (can_lead || (r.lead.is_none() && allowed(Action::ClaimInboundRequest))),
        can_lead,
        open,
        r,
        fields,
        errors,
    };
    Ok(render_status(status, &page))
}

/// `GET /inbound/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let id = parse_id(&raw)?;
    let done = q.get("done").map(String::as_str);
    request_page(
        &state,
        &session,
        id,
        StatusCode::OK,
        Fields::default(),
        Errors::default(),
        done,
    )
    .await
}

/// Runs an action of the request page: on success back to the page with a notice, on field
/// errors the page again with them.
async fn act<T>(
    state: &AppState,
    session: &Session,
    id: i64,
    fields: Fields,
    done: &str,
    result: Result<T, partnerhub_app::AppError>,
) -> PageResult {
    match result.map_err(Rejected::from) {
        Ok(_) => Ok(Redirect::to(&format!("/inbound/{id}?done={done}")).into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            request_page(state, session, id, status, fields, errors, None).await
        }
    }
}

/// `POST /inbound/{id}/claim`.
pub async fn claim(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let r = state
        .app()
        .claim_inbound(&posted.session.caller(), id)
        .await;
    act(&state, &posted.session, id, posted.fields, "claimed", r).await
}

/// `POST /inbound/{id}/handover`.
pub async fn handover(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let Posted { session, fields } = posted;
    let lead = fields.get("lead_id").trim().parse::<i64>().unwrap_or(0);
    let r = state
        .app()
        .hand_over_inbound(&session.caller(), id, lead)
        .await;
    act(&state, &session, id, fields, "handed-over", r).await
}

/// `POST /inbound/{id}/steps`.
pub async fn add_step(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let Posted { session, fields } = posted;
    let input = StepInput {
        text: fields.get("text").to_string(),
        owner_id: fields
            .non_blank("owner_id")
            .and_then(|o| o.trim().parse().ok()),
        due_on: fields.non_blank("due_on").map(|d| d.trim().to_string()),
    };
    let r = state
        .app()
        .add_inbound_step(&session.caller(), id, &input)
        .await;
    act(&state, &session, id, fields, "step-added", r).await
}

/// `POST /inbound/{id}/steps/{step_id}/done`: marks a step done, or not done again.
pub async fn toggle_step(
    State(state): State<AppState>,
    Path((raw, raw_step)): Path<(String, String)>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let step = parse_id(&raw_step)?;
    let Posted { session, fields } = posted;
    let change = StepChange {
        done: Some(fields.get("done") == "true"),
        ..Default::default()
    };
    let r = state
        .app()
        .update_inbound_step(&session.caller(), id, step, &change)
        .await;
    act(&state, &session, id, fields, "saved", r).await
}

/// `POST /inbound/{id}/notes`.
pub async fn notes(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let Posted { session, fields } = posted;
    let patch = partnerhub_app::inbound::InboundPatch {
        notes: Some(fields.get("notes").to_string()),
        ..Default::default()
    };
    let r = state
        .app()
        .update_inbound(&session.caller(), id, &patch)
        .await;
    act(&state, &session, id, fields, "saved", r).await
}

/// `POST /inbound/{id}/accept`: to the new partner's page.
pub async fn accept(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let Posted { session, fields } = posted;
    let blank = |k: &str| fields.non_blank(k).map(|v| v.trim().to_string());
    let input = AcceptInput {
        family: None,
        category: fields.get("category").trim().to_string(),
        integration_direction: blank("integration_direction"),
        track: blank("track"),
    };
    match state
        .app()
        .accept_inbound(&session.caller(), id, &input)
        .await
        .map_err(Rejected::from)
    {
        Ok((_, partner)) => {
            Ok(Redirect::to(&format!("/partners/{}?done=created", partner.id)).into_response())
        }
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            request_page(&state, &session, id, status, fields, errors, None).await
        }
    }
}

/// `POST /inbound/{id}/decline`.
pub async fn decline(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let Posted { session, fields } = posted;
    let notify = fields.get("notify") == "true";
    let r = state
        .app()
        .decline_inbound(&session.caller(), id, fields.get("reason"), notify)
        .await;
    act(&state, &session, id, fields, "declined", r).await
}

/// `POST /inbound/{id}/spam`.
pub async fn spam(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let r = state.app().spam_inbound(&posted.session.caller(), id).await;
    match r.map_err(Rejected::from) {
        Ok(_) => Ok(Redirect::to("/inbound?done=spam").into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            request_page(
                &state,
                &posted.session,
                id,
                status,
                posted.fields,
                errors,
                None,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "inbound_log.html")]
struct LogPage {
    chrome: Chrome,
    fields: Fields,
    errors: Errors,
    interests: Vec<Choice>,
    vias: Vec<Choice>,
}

impl LogPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

fn log_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    fields: Fields,
    errors: Errors,
) -> PageResult {
    let interest = fields.get("interest").to_string();
    let via = fields.get("received_via").to_string();
    let page = LogPage {
        chrome: Chrome::new(state, session, Section::Inbound),
        interests: choices(
            Interest::ALL.iter().map(|i| (i.code(), i.label())),
            &interest,
        ),
        vias: choices(
            ReceivedVia::ALL
                .iter()
                .filter(|v| **v != ReceivedVia::WebForm)
                .map(|v| (v.code(), v.label())),
            &via,
        ),
        fields,
        errors,
    };
    Ok(render_status(status, &page))
}

/// `GET /inbound/new`: log a request received elsewhere.
pub async fn new(State(state): State<AppState>, session: Session) -> PageResult {
    session.authorize(partnerhub_domain::access::Action::LogInboundRequest, None)?;
    log_page(
        &state,
        &session,
        StatusCode::OK,
        Fields::default(),
        Errors::default(),
    )
}

/// `POST /inbound`.
pub async fn log(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { session, fields } = posted;
    let blank = |k: &str| fields.non_blank(k).map(|v| v.trim().to_string());
    let input = InboundInput {
        company: fields.get("company").trim().to_string(),
        website: blank("website"),
        contact_name: fields.get("contact_name").trim().to_string(),
        contact_email: fields.get("contact_email").trim().to_string(),
        interest: fields.get("interest").trim().to_string(),
        integration: fields.get("integration").to_string(),
        benefits: fields.get("benefits").to_string(),
        relationship: fields.get("relationship").to_string(),
        document_url: blank("document_url"),
        received_via: blank("received_via"),
    };
    match state
        .app()
        .log_inbound(&session.caller(), &input)
        .await
        .map_err(Rejected::from)
    {
        Ok(r) => Ok(Redirect::to(&format!("/inbound/{}?done=logged", r.id)).into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => log_page(&state, &session, status, fields, errors),
    }
}
