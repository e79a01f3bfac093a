//! The outbox and webhook subscriptions, for admins: deliveries pending, failed or dead with
//! their last error (retry, discard); subscriptions with a form whose signing secret is shown
//! once, a "send test event" button and each subscription's delivery log.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use partnerhub_app::webhooks::WebhookInput;
use partnerhub_app::{App, AppError, Caller};
use partnerhub_domain::notify::Event;
use partnerhub_store::{JobRecord, WebhookRecord};

use super::super::forms::{parse_id, Choice, Errors, Fields, Posted, Rejected};
use super::super::layout::{render_status, Chrome, PageResult, Section};
use crate::auth::Session;
use crate::state::AppState;

/// Deliveries listed on the outbox page.
const SHOWN: i64 = 200;

/// One delivery as pages list it.
pub struct DeliveryLine {
    pub id: i64,
    pub channel: String,
    pub subject: String,
    pub state: String,
    pub attempts: i64,
    pub error: String,
    pub created: String,
    /// What the channel gave back worth following: a created issue's page.
    pub link: Option<String>,
    /// Whether an admin may put it back in line or drop it.
    pub retryable: bool,
    pub discardable: bool,
}

/// `2026-12-03 10:15` from Unix milliseconds.
fn minute(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| {
            let s = crate::api::rfc3339(t);
            s.get(..16).unwrap_or(&s).replace('T', " ")
        })
        .unwrap_or_default()
}

impl DeliveryLine {
    pub fn new(j: &JobRecord) -> Self {
        let failing = j.is_failing();
        let state = if failing { "failed" } else { j.state.code() };
        let link = j
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
            .and_then(|v| v["web_url"].as_str().map(str::to_string))
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        Self {
            id: j.id,
            channel: j.channel.clone().unwrap_or_default(),
            subject: match (&j.subject_type, &j.subject_id) {
                (Some(t), Some(i)) => format!("{} {i}", t.replace('_', " ")),
                _ => String::new(),
            },
            state: state.to_string(),
            attempts: j.attempts,
            error: j.last_error.clone().unwrap_or_default(),
            created: minute(j.created_at),
            link,
            retryable: failing || state == "dead",
            discardable: matches!(state, "pending" | "failed" | "dead"),
        }
    }
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    deliveries: Vec<DeliveryLine>,
    states: Vec<Choice>,
}

/// `GET /admin/outbox[?state=pending|failed|dead]`: what has not gone out, newest first.
pub async fn outbox(
    State(state): State<AppState>,
    session: Session,
    Query(raw): Query<HashMap<String, String>>,
) -> PageResult {
    let wanted = raw
        .get("state")
        .map(String::as_str)
        .filter(|s| ["pending", "failed", "dead"].contains(s));
    let caller = session.caller();
    let mut jobs = Vec::new();
    // Pending includes the failed ones (pending, tried before).
    for s in wanted.map_or(vec!["pending", "dead"], |s| vec![s]) {
        jobs.extend(state.app().outbox(&caller, Some(s), SHOWN).await?);
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
    let current = wanted.unwrap_or("");
    let mut states = vec![Choice::new("", "Pending, failed and dead", current)];
    states.extend(["pending", "failed", "dead"].map(|s| Choice::new(s, s, current)));
    let page = OutboxPage {
        chrome: Chrome::new(&state, &session, Section::Outbox)
            .with_notice(raw.get("done").map(String::as_str)),
        deliveries: jobs.iter().map(DeliveryLine::new).collect(),
        states,
    };
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /admin/outbox/{id}/retry`.
pub async fn retry(state: State<AppState>, Path(raw): Path<String>, posted: Posted) -> PageResult {
    act_then(
        &state,
        &raw,
        posted,
        "/admin/outbox?done=delivery-retried",
        |app, caller, id| Box::pin(async move { app.retry_delivery(caller, id).await.map(drop) }),
    )
    .await
}

/// `POST /admin/outbox/{id}/discard`.
pub async fn discard(
    state: State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    act_then(
        &state,
        &raw,
        posted,
        "/admin/outbox?done=delivery-discarded",
        |app, caller, id| Box::pin(async move { app.discard_delivery(caller, id).await.map(drop) }),
    )
    .await
}

/// An operation on one record, posted from a page.
type Act<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>;

/// Runs `op` on the record `raw` names as the poster, then redirects to `to` (`{id}` filled in).
async fn act_then(
    state: &AppState,
    raw: &str,
    posted: Posted,
    to: &str,
    op: impl for<'a> FnOnce(&'a App, &'a Caller, i64) -> Act<'a>,
) -> PageResult {
    let id = parse_id(raw)?;
    let caller = posted.session.caller();
    op(state.app(), &caller, id).await?;
    Ok(Redirect::to(&to.replace("{id}", &id.to_string())).into_response())
}

/// A subscription as listed.
pub struct WebhookLine {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub events: String,
    pub created: String,
}

impl WebhookLine {
    fn new(w: &WebhookRecord) -> Self {
        Self {
            id: w.id,
            name: w.name.clone(),
            url: w.url_hint.clone(),
            events: w.events.join(", "),
            created: crate::api::rfc3339(w.created_at)
                .get(..10)
                .unwrap_or_default()
                .to_string(),
        }
    }
}

/// An event a subscription may receive, as a checkbox.
pub struct EventBox {
    pub code: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    webhooks: Vec<WebhookLine>,
    events: Vec<EventBox>,
    /// The signing secret of a subscription just created: shown on this page only.
    created: Option<(String, String)>,
    fields: Fields,
    errors: Errors,
}

impl WebhooksPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

fn no_store(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn webhooks_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    created: Option<(String, String)>,
    fields: Fields,
    errors: Errors,
    done: Option<&str>,
) -> PageResult {
    let webhooks = state.app().webhooks(&session.caller()).await?;
    let chosen: Vec<&str> = fields
        .0
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.as_str())
        .collect();
    let page = WebhooksPage {
        chrome: Chrome::new(state, session, Section::Webhooks).with_notice(done),
        webhooks: webhooks.iter().map(WebhookLine::new).collect(),
        events: Event::ALL
            .iter()
            .map(|e| EventBox {
                code: e.code(),
                checked: chosen.contains(&e.code()),
            })
            .collect(),
        created,
        fields,
        errors,
    };
    Ok(no_store(render_status(status, &page)))
}

/// `GET /admin/webhooks`.
pub async fn webhooks(
    State(state): State<AppState>,
    session: Session,
    Query(raw): Query<HashMap<String, String>>,
) -> PageResult {
    let done = raw.get("done").map(String::as_str);
    webhooks_page(
        &state,
        &session,
        StatusCode::OK,
        None,
        Fields::default(),
        Errors::default(),
        done,
    )
    .await
}

/// `POST /admin/webhooks`: creates a subscription and shows its signing secret this once.
pub async fn create_webhook(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { session, fields } = posted;
    let input = WebhookInput {
        name: fields.get("name").to_string(),
        url: fields.get("url").trim().to_string(),
        events: fields
            .0
            .iter()
            .filter(|(k, _)| k == "events")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    match state
        .app()
        .create_webhook(&session.caller(), &input)
        .await
        .map_err(Rejected::from)
    {
        Ok(created) => {
            let shown = Some((created.record.name.clone(), created.secret));
            webhooks_page(
                &state,
                &session,
                StatusCode::CREATED,
                shown,
                Fields::default(),
                Errors::default(),
                None,
            )
            .await
        }
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            webhooks_page(&state, &session, status, None, fields, errors, None).await
        }
    }
}

/// `POST /admin/webhooks/{id}/delete`.
pub async fn delete_webhook(
    state: State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    act_then(
        &state,
        &raw,
        posted,
        "/admin/webhooks?done=webhook-deleted",
        |app, caller, id| Box::pin(app.delete_webhook(caller, id)),
    )
    .await
}

/// `POST /admin/webhooks/{id}/test`: queues a `webhook.test` event.
pub async fn test_webhook(
    state: State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    act_then(
        &state,
        &raw,
        posted,
        "/admin/webhooks/{id}?done=webhook-tested",
        |app, caller, id| Box::pin(async move { app.test_webhook(caller, id).await.map(drop) }),
    )
    .await
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    w: WebhookLine,
    deliveries: Vec<DeliveryLine>,
}

/// `GET /admin/webhooks/{id}`: one subscription and its delivery log.
pub async fn webhook(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let id = parse_id(&raw)?;
    let caller = session.caller();
    let w = state.app().webhook(&caller, id).await?;
    let deliveries = state.app().webhook_deliveries(&caller, id).await?;
    let page = WebhookPage {
        chrome: Chrome::new(&state, &session, Section::Webhooks)
            .with_notice(q.get("done").map(String::as_str)),
        w: WebhookLine::new(&w),
        deliveries: deliveries.iter().map(DeliveryLine::new).collect(),
    };
    Ok(render_status(StatusCode::OK, &page))
}
