//! Inbound alliance requests and their next steps. Every change is audited and writes the
//! deliveries it causes in the same transaction; a state change is conditional on the state
//! it was decided from, so two people acting at once cannot both succeed (the first claim
//! wins, whatever the concurrency).

use partnerhub_domain::inbound::{InboundDraft, InboundInput, RequestState};
use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store, Tx};
use crate::error::StoreError;
use crate::jobs::{enqueue_in, NewJob};
use crate::partners::ManagerRef;

mod changes;
mod reminders;

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRecord {
    pub id: i64,
    pub state: RequestState,
    pub draft: InboundDraft,
    pub logged_by: Option<i64>,
    pub lead: Option<ManagerRef>,
    pub notes: Option<String>,
    pub decline_reason: Option<String>,
    pub partner_id: Option<i64>,
    pub steps: Vec<StepRecord>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What a decision about a request was made on: its state and lead (and, for a change of
/// its answers, the version it was made from). A write checks them in its own transaction,
/// the row locked, so a decision cannot outlive a claim, a hand-over or a concurrent change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub state: RequestState,
    pub lead_id: Option<i64>,
    pub updated_at: Option<OffsetDateTime>,
}

impl Seen {
    /// The state and lead of `r`.
    pub fn of(r: &InboundRecord) -> Self {
        Self {
            state: r.state,
            lead_id: r.lead.as_ref().map(|l| l.id),
            updated_at: None,
        }
    }

    /// The state, lead and version of `r`.
    pub fn version_of(r: &InboundRecord) -> Self {
        Self {
            updated_at: Some(r.updated_at),
            ..Self::of(r)
        }
    }

    /// Refuses when `now` (read in the transaction) is no longer what was seen.
    fn check(&self, now: &InboundRecord) -> Result<(), StoreError> {
        let lead = now.lead.as_ref().map(|l| l.id);
        let changed = now.state != self.state
            || lead != self.lead_id
            || self.updated_at.is_some_and(|u| u != now.updated_at);
        if changed {
            let who = now
                .lead
                .as_ref()
                .map_or("nobody".to_string(), |l| l.name.clone());
            return Err(StoreError::conflict(
                "state",
                format!(
                    "the request changed meanwhile (it is {}, led by {who}); reload it and try again",
                    now.state.code()
                ),
            ));
        }
        Ok(())
    }
}

/// A next step of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub id: i64,
    pub text: String,
    pub owner: Option<ManagerRef>,
    pub due_on: Option<String>,
    pub done: bool,
    pub created_at: OffsetDateTime,
}

/// Which requests to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct InboundFilter {
    pub state: Option<RequestState>,
    /// Spam is hidden unless asked for by state.
    pub lead_id: Option<i64>,
    /// Only requests created before this.
    pub created_before: Option<OffsetDateTime>,
    pub limit: i64,
    pub offset: i64,
}

/// A change to a step; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StepPatch {
    pub text: Option<String>,
    pub owner_id: Option<Option<i64>>,
    pub due_on: Option<Option<String>>,
    pub done: Option<bool>,
}

/// A request's row, as `SELECT` reads it.
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    state: String,
    company: String,
    website: Option<String>,
    contact_name: String,
    contact_email: String,
    interest: String,
    integration: String,
    benefits: String,
    relationship: String,
    document_url: Option<String>,
    received_via: String,
    logged_by: Option<i64>,
    lead_id: Option<i64>,
    notes: Option<String>,
    decline_reason: Option<String>,
    partner_id: Option<i64>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    lead_name: Option<String>,
    lead_email: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.state, r.company, r.website, r.contact_name, r.contact_email, r.interest, r.integration, \
    r.benefits, r.relationship, r.document_url, r.received_via, r.logged_by, r.lead_id, r.notes, r.decline_reason, r.partner_id, \
    r.created_at, r.updated_at, u.name AS lead_name, u.email AS lead_email FROM inbound_requests r LEFT JOIN users u ON u.id = r.lead_id";

type StepRow = (
    i64,
    i64,
    String,
    Option<i64>,
    Option<String>,
    bool,
    OffsetDateTime,
    Option<String>,
    Option<String>,
);

const STEPS: &str = "SELECT s.id, s.request_id, s.text, s.owner_id, s.due_on, s.done, s.created_at, u.name, u.email \
    FROM inbound_steps s LEFT JOIN users u ON u.id = s.owner_id";

fn corrupt(id: i64, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("inbound request {id}: {what}"))
}

fn assemble(r: Row, steps: Vec<StepRecord>) -> Result<InboundRecord, StoreError> {
    let id = r.id;
    let state = RequestState::parse("state", &r.state).map_err(|e| corrupt(id, e))?;
    let draft = InboundDraft::parse(
        &InboundInput {
            company: r.company,
            website: r.website,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            interest: r.interest,
            integration: r.integration,
            benefits: r.benefits,
            relationship: r.relationship,
            document_url: r.document_url,
            received_via: Some(r.received_via),
        },
        true,
    )
    .map_err(|e| corrupt(id, e))?;
    let lead = match (r.lead_id, r.lead_name, r.lead_email) {
        (Some(lid), Some(name), Some(email)) => Some(ManagerRef {
            id: lid,
            name,
            email,
        }),
        _ => None,
    };
    Ok(InboundRecord {
        id,
        state,
        draft,
        logged_by: r.logged_by,
        lead,
        notes: r.notes,
        decline_reason: r.decline_reason,
        partner_id: r.partner_id,
        steps,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn step(r: StepRow) -> StepRecord {
    let owner = match (r.3, r.7, r.8) {
        (Some(id), Some(name), Some(email)) => Some(ManagerRef { id, name, email }),
        _ => None,
    };
    StepRecord {
        id: r.0,
        text: r.2,
        owner,
        due_on: r.4,
        done: r.5,
        created_at: r.6,
    }
}

/// The JSON the audit log records of a request.
fn audit_json(r: &InboundRecord) -> String {
    let d = &r.draft;
    serde_json::json!({
        "id": r.id,
        "state": r.state.code(),
        "company": d.company.as_str(),
        "website": d.website,
        "contact_name": d.contact_name,
        "contact_email": d.contact_email.as_str(),
        "interest": d.interest.code(),
        "integration": d.integration,
        "benefits": d.benefits,
        "relationship": d.relationship,
        "document_url": d.document_url,
        "received_via": d.received_via.code(),
        "lead_id": r.lead.as_ref().map(|l| l.id),
        "notes": r.notes,
        "decline_reason": r.decline_reason,
        "partner_id": r.partner_id,
        "steps": r.steps.iter().map(|s| serde_json::json!({"id": s.id, "text": s.text, "owner_id": s.owner.as_ref().map(|o| o.id), "due_on": s.due_on, "done": s.done})).collect::<Vec<_>>(),
    })
    .to_string()
}

/// One request as the transaction sees it, its row locked (PostgreSQL).
async fn request_in(tx: &mut Tx, id: i64) -> Result<InboundRecord, StoreError> {
    tx.lock(
        "SELECT 1 FROM inbound_requests WHERE id = $1 FOR UPDATE",
        id,
    )
    .await?;
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row: Option<Row> =
        on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut *c).await)?;
    let row = row.ok_or(StoreError::NotFound)?;
    let sql = format!("{STEPS} WHERE s.request_id = $1 ORDER BY s.id");
    let steps: Vec<StepRow> =
        on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_all(&mut *c).await)?;
    assemble(row, steps.into_iter().map(step).collect())
}

/// Checks a user may lead a request (an active alliances member or admin), naming `field`.
async fn check_lead(tx: &mut Tx, field: &str, user_id: i64) -> Result<(), StoreError> {
    let role: Option<String> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT u.role FROM users u WHERE u.id = $1 AND u.active",
    )
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await)?;
    if !matches!(role.as_deref(), Some("alliances" | "admin")) {
        return Err(StoreError::conflict(
            field,
            format!("user {user_id} is not an active alliances member or admin, who lead requests"),
        ));
    }
    Ok(())
}

/// Checks a user is an active vendor user, naming `field`.
async fn check_staff(tx: &mut Tx, field: &str, user_id: i64) -> Result<(), StoreError> {
    let kind: Option<String> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT o.kind FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = $1 AND u.active",
    )
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await)?;
    if kind.as_deref() != Some("vendor") {
        return Err(StoreError::conflict(
            field,
            format!("user {user_id} is not an active vendor user"),
        ));
    }
    Ok(())
}

/// Writes the audit row of a change from `before` to what the request is now, and its
/// deliveries; returns the request after.
#[allow(clippy::too_many_arguments)] // the change, its audit row and its deliveries, together
async fn finish(
    tx: &mut Tx,
    who: &Who,
    action: &str,
    id: i64,
    before: Option<&InboundRecord>,
    jobs: &[NewJob],
    now_ms: i64,
) -> Result<InboundRecord, StoreError> {
    let after = request_in(tx, id).await?;
    audit::record(
        tx,
        who,
        action,
        "inbound_request",
        &id.to_string(),
        None,
        before.map(audit_json),
        Some(audit_json(&after)),
    )
    .await?;
    for job in jobs {
        enqueue_in(tx, job, now_ms).await?;
    }
    Ok(after)
}

/// Moves a request from `from` to `to` if it is still in `from`: the state it was decided on.
async fn transition(
    tx: &mut Tx,
    id: i64,
    from: RequestState,
    to: RequestState,
) -> Result<(), StoreError> {
    let n = exec_tx!(
        tx,
        sqlx::query(
            "UPDATE inbound_requests SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4"
        )
        .bind(to.code())
        .bind(crate::now())
        .bind(id)
        .bind(from.code())
    )?;
    if n == 0 {
        return Err(StoreError::conflict(
            "state",
            "the request changed meanwhile; reload it and try again",
        ));
    }
    Ok(())
}

impl Store {
    /// Records a new request (audited) and the deliveries `jobs` makes for its id.
    pub async fn create_inbound(
        &self,
        who: &Who,
        draft: &InboundDraft,
        jobs: impl FnOnce(i64) -> Vec<NewJob>,
        now_ms: i64,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = crate::now();
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO inbound_requests (state, company, website, contact_name, contact_email, interest, integration, benefits, \
             relationship, document_url, received_via, logged_by, created_at, updated_at) \
             VALUES ('new', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(draft.company.as_str())
        .bind(&draft.website)
        .bind(&draft.contact_name)
        .bind(draft.contact_email.as_str())
        .bind(draft.interest.code())
        .bind(&draft.integration)
        .bind(&draft.benefits)
        .bind(&draft.relationship)
        .bind(&draft.document_url)
        .bind(draft.received_via.code())
        .bind(who.user_id)
        .bind(now)
        .fetch_one(&mut *c)
        .await)?;
        let jobs = jobs(id);
        let after = finish(
            &mut tx,
            who,
            "inbound_request.create",
            id,
            None,
            &jobs,
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// One request with its steps.
    pub async fn inbound(&self, id: i64) -> Result<InboundRecord, StoreError> {
        let sql = format!("{SELECT} WHERE r.id = $1");
        let row: Option<Row> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        let row = row.ok_or(StoreError::NotFound)?;
        let sql = format!("{STEPS} WHERE s.request_id = $1 ORDER BY s.id");
        let steps: Vec<StepRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await)?;
        assemble(row, steps.into_iter().map(step).collect())
    }

    /// Requests matching `filter`, newest first, and how many match.
    pub async fn inbound_list(
        &self,
        filter: &InboundFilter,
    ) -> Result<(Vec<InboundRecord>, i64), StoreError> {
        const WHERE: &str = "WHERE (($1 IS NULL AND r.state <> 'spam') OR r.state = $1) AND ($2 IS NULL OR r.lead_id = $2) \
            AND ($3 IS NULL OR r.created_at < $3)";
        let state = filter.state.map(RequestState::code);
        let sql = format!("{SELECT} {WHERE} ORDER BY r.id DESC LIMIT $4 OFFSET $5");
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(state)
            .bind(filter.lead_id)
            .bind(filter.created_before)
            .bind(filter.limit.clamp(1, 200))
            .bind(filter.offset.max(0))
            .fetch_all(p)
            .await)?;
        let count = format!("SELECT COUNT(*) FROM inbound_requests r {WHERE}");
        let total: i64 = on_pool!(self, p => sqlx::query_scalar(&count)
            .bind(state)
            .bind(filter.lead_id)
            .bind(filter.created_before)
            .fetch_one(p)
            .await)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut steps: Vec<StepRow> = if ids.is_empty() {
            Vec::new()
        } else {
            let sql = format!(
                "{STEPS} WHERE s.request_id IN ({}) ORDER BY s.id",
                crate::organizations::id_list(&ids)
            );
            on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?
        };
        let items = rows
            .into_iter()
            .map(|r| {
                let id = r.id;
                let mine: Vec<StepRecord> = steps
                    .iter()
                    .filter(|s| s.1 == id)
                    .cloned()
                    .map(step)
                    .collect();
                assemble(r, mine)
            })
            .collect::<Result<Vec<_>, _>>()?;
        steps.clear();
        Ok((items, total))
    }
}
