//! `/api/v1/inbound-requests`: the public intake (no sign-in; staff signed in log requests
//! received elsewhere), the triage list, and what the team does to a request: claim, hand
//! over, next steps, accept, decline, spam.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use partnerhub_app::inbound::{AcceptInput, InboundPatch, StepChange};
use partnerhub_domain::inbound::{InboundInput, RequestState, StepInput};
use partnerhub_store::{InboundFilter, InboundRecord, JobRecord};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::partners::{view as partner_view, PartnerView};
use super::{rfc3339, ApiJson, ApiPath, ApiQuery, Page, Paging};
use crate::auth::{AuthRejection, Session};
use crate::client::Client;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// A request as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundView {
    pub id: i64,
    /// `new` | `claimed` | `in_discussion` | `accepted` | `declined` | `spam`
    pub state: String,
    pub company: String,
    pub website: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    /// `technology` | `services` | `reseller` | `unsure`
    pub interest: String,
    pub integration: String,
    pub benefits: String,
    pub relationship: String,
    pub document_url: Option<String>,
    /// `web_form` | `email` | `event` | `colleague` | `call` | `other`
    pub received_via: String,
    pub lead: Option<PersonView>,
    pub next_steps: Vec<StepView>,
    pub notes: Option<String>,
    pub decline_reason: Option<String>,
    /// The partner an accepted request became.
    pub partner_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A vendor user on a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// A next step.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: i64,
    pub text: String,
    pub owner: Option<PersonView>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    pub done: bool,
    pub created_at: String,
}

/// A delivery of a request's notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// `chat` | `webhook` | `email` | `gitlab_issue`
    pub channel: String,
    pub delivery_id: String,
    /// `pending` | `failed` | `running` | `done` | `dead` | `discarded`
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// A request to submit (public) or log (staff).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundBody {
    pub company: String,
    #[serde(default)]
    pub website: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    /// `technology` | `services` | `reseller` | `unsure`
    pub interest: String,
    /// The technical integration.
    pub integration: String,
    /// The end-user benefits.
    pub benefits: String,
    /// The business relationship wanted.
    pub relationship: String,
    /// The shared document ("<Company> and <Vendor>", open to anyone with the link).
    #[serde(default)]
    pub document_url: Option<String>,
    /// Staff logging a request received elsewhere: `email` | `event` | `colleague` | `call` |
    /// `other`.
    #[serde(default)]
    pub received_via: Option<String>,
}

impl InboundBody {
    fn into_input(self) -> InboundInput {
        InboundInput {
            company: self.company,
            website: self.website,
            contact_name: self.contact_name,
            contact_email: self.contact_email,
            interest: self.interest,
            integration: self.integration,
            benefits: self.benefits,
            relationship: self.relationship,
            document_url: self.document_url,
            received_via: self.received_via,
        }
    }
}

/// Fields of a request to change (the lead or an admin).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundPatchBody {
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub interest: Option<String>,
    #[serde(default)]
    pub integration: Option<String>,
    #[serde(default)]
    pub benefits: Option<String>,
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub document_url: Option<String>,
    #[serde(default)]
    pub received_via: Option<String>,
    /// The lead's notes; `""` clears them.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Who leads now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverBody {
    /// A vendor user's id.
    pub lead_id: i64,
}

/// A next step to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    pub text: String,
    /// A vendor user's id.
    #[serde(default)]
    pub owner_id: Option<i64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub due_on: Option<String>,
}

/// A change to a next step; `null` clears the owner or the day.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepPatchBody {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub due_on: Option<Option<String>>,
    #[serde(default)]
    pub done: Option<bool>,
}

/// A present field (even `null`) becomes `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::<T>::deserialize(d)?))
}

/// How the accepted request is classified as a partner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// `technology` | `services` | `reseller` (derived from the category when omitted).
    #[serde(default)]
    pub family: Option<String>,
    pub category: String,
    /// `inbound` | `outbound` (integrated partners only).
    #[serde(default)]
    pub integration_direction: Option<String>,
    /// `open` | `select` (default `open`).
    #[serde(default)]
    pub track: Option<String>,
}

/// Why a request is declined.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    pub reason: String,
    /// Email the requester the reason.
    #[serde(default)]
    pub notify: bool,
}

/// Filters of the triage list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboundQuery {
    /// `new` | `claimed` | `in_discussion` | `accepted` | `declined` | `spam` (spam is hidden
    /// unless asked for).
    pub state: Option<String>,
    /// Requests led by this user id.
    pub lead: Option<i64>,
    /// Only requests older than this many hours.
    #[param(minimum = 0, maximum = 87600)]
    pub older_than_hours: Option<i64>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

fn person(p: &partnerhub_store::ManagerRef) -> PersonView {
    PersonView {
        id: p.id,
        name: p.name.clone(),
        email: p.email.clone(),
    }
}

pub fn view(r: &InboundRecord) -> InboundView {
    let d = r.draft.to_input();
    InboundView {
        id: r.id,
        state: r.state.code().to_string(),
        company: d.company,
        website: d.website,
        contact_name: d.contact_name,
        contact_email: d.contact_email,
        interest: d.interest,
        integration: d.integration,
        benefits: d.benefits,
        relationship: d.relationship,
        document_url: d.document_url,
        received_via: d.received_via.unwrap_or_default(),
        lead: r.lead.as_ref().map(person),
        next_steps: r
            .steps
            .iter()
            .map(|s| StepView {
                id: s.id,
                text: s.text.clone(),
                owner: s.owner.as_ref().map(person),
                due_on: s.due_on.clone(),
                done: s.done,
                created_at: rfc3339(s.created_at),
            })
            .collect(),
        notes: r.notes.clone(),
        decline_reason: r.decline_reason.clone(),
        partner_id: r.partner_id,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

pub fn delivery_view(j: &JobRecord) -> DeliveryView {
    let at = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map(rfc3339)
            .unwrap_or_default()
    };
    DeliveryView {
        id: j.id,
        channel: j.channel.clone().unwrap_or_default(),
        delivery_id: j.delivery_id.clone().unwrap_or_default(),
        state: if j.is_failing() {
            "failed".into()
        } else {
            j.state.code().into()
        },
        attempts: j.attempts,
        last_error: j.last_error.clone(),
        created_at: at(j.created_at),
    }
}

/// Submit a partnership request (no sign-in; limited per address). Signed-in staff log a
/// request received elsewhere by naming `received_via`.
#[utoipa::path(post, path = "/api/v1/inbound-requests", tag = "inbound requests", request_body = InboundBody,
    responses((status = 201, body = InboundView), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    client: Client,
    session: Result<Session, AuthRejection>,
    ApiJson(body): ApiJson<InboundBody>,
) -> ApiResult<impl IntoResponse> {
    let input = body.into_input();
    let record = match session.ok().filter(|s| s.user.role.is_staff()) {
        Some(s) if input.received_via.is_some() => {
            state.app().log_inbound(&s.caller(), &input).await?
        }
        _ => state.app().submit_inbound(&client.ip, &input, None).await?,
    };
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/inbound-requests/{}", record.id),
        )],
        Json(view(&record)),
    ))
}

/// The triage list, newest first (staff).
#[utoipa::path(get, path = "/api/v1/inbound-requests", tag = "inbound requests", params(InboundQuery),
    responses((status = 200, body = Page<InboundView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<InboundQuery>,
) -> ApiResult<Json<Page<InboundView>>> {
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let filter_state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            RequestState::parse("state", s)
                .map_err(|e| ApiError::bad_request("state", e.message))?,
        ),
        None => None,
    };
    let created_before = match q.older_than_hours {
        Some(h) if !(0..=87_600).contains(&h) => {
            return Err(ApiError::bad_request(
                "older_than_hours",
                "older_than_hours must be between 0 and 87600",
            ))
        }
        Some(h) => Some(partnerhub_store::now() - time::Duration::hours(h)),
        None => None,
    };
    let filter = InboundFilter {
        state: filter_state,
        lead_id: q.lead,
        created_before,
        limit: per_page,
        offset: super::offset(page, per_page),
    };
    let (items, total) = state
        .app()
        .inbound_requests(&session.caller(), &filter)
        .await?;
    Ok(Json(Page {
        items: items.iter().map(view).collect(),
        page,
        per_page,
        total,
    }))
}

/// One request (staff).
#[utoipa::path(get, path = "/api/v1/inbound-requests/{id}", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<InboundView>> {
    Ok(Json(view(
        &state.app().inbound_request(&session.caller(), id).await?,
    )))
}

/// Change a request's answers or notes (its lead, or an admin).
#[utoipa::path(patch, path = "/api/v1/inbound-requests/{id}", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")), request_body = InboundPatchBody,
    responses((status = 200, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<InboundPatchBody>,
) -> ApiResult<Json<InboundView>> {
    let patch = InboundPatch {
        company: b.company,
        website: b.website,
        contact_name: b.contact_name,
        contact_email: b.contact_email,
        interest: b.interest,
        integration: b.integration,
        benefits: b.benefits,
        relationship: b.relationship,
        document_url: b.document_url,
        received_via: b.received_via,
        notes: b.notes,
    };
    Ok(Json(view(
        &state
            .app()
            .update_inbound(&session.caller(), id, &patch)
            .await?,
    )))
}

/// Take the lead on a new request: the first claim wins; a later one is 409
/// `already_claimed`, naming the lead.
#[utoipa::path(post, path = "/api/v1/inbound-requests/{id}/claim", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn claim(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<InboundView>> {
    Ok(Json(view(
        &state.app().claim_inbound(&session.caller(), id).await?,
    )))
}

/// Hand the lead over to another vendor user (the lead, or an admin).
#[utoipa::path(post, path = "/api/v1/inbound-requests/{id}/handover", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")), request_body = HandoverBody,
    responses((status = 200, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn handover(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<HandoverBody>,
) -> ApiResult<Json<InboundView>> {
    Ok(Json(view(
        &state
            .app()
            .hand_over_inbound(&session.caller(), id, b.lead_id)
            .await?,
    )))
}

/// Record a next step (the lead, or an admin); the request is then in discussion.
#[utoipa::path(post, path = "/api/v1/inbound-requests/{id}/next-steps", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")), request_body = StepBody,
    responses((status = 201, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_step(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StepBody>,
) -> ApiResult<(StatusCode, Json<InboundView>)> {
    let input = StepInput {
        text: b.text,
        owner_id: b.owner_id,
        due_on: b.due_on,
    };
    let r = state
        .app()
        .add_inbound_step(&session.caller(), id, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&r))))
}

/// Change a next step: its text, owner, day, or whether it is done.
#[utoipa::path(patch, path = "/api/v1/inbound-requests/{id}/next-steps/{step_id}", tag = "inbound requests",
    params(("id" = i64, Path, description = "Request id"), ("step_id" = i64, Path, description = "Step id")), request_body = StepPatchBody,
    responses((status = 200, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_step(
    State(state): State<AppState>,
    session: Session,
    ApiPath((id, step_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<StepPatchBody>,
) -> ApiResult<Json<InboundView>> {
    let change = StepChange {
        text: b.text,
        owner_id: b.owner_id,
        due_on: b.due_on,
        done: b.done,
    };
    Ok(Json(view(
        &state
            .app()
            .update_inbound_step(&session.caller(), id, step_id, &change)
            .await?,
    )))
}

/// Accept a request (the lead, or an admin): 201 with the new prospect partner.
#[utoipa::path(post, path = "/api/v1/inbound-requests/{id}/accept", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")), request_body = AcceptBody,
    responses((status = 201, body = PartnerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AcceptBody>,
) -> ApiResult<impl IntoResponse> {
    let input = AcceptInput {
        family: b.family,
        category: b.category,
        integration_direction: b.integration_direction,
        track: b.track,
    };
    let (_, partner) = state
        .app()
        .accept_inbound(&session.caller(), id, &input)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/partners/{}", partner.id))],
        Json(partner_view(&partner, &state.app().config().weights, true)),
    ))
}

/// Decline a request with a reason, optionally emailing it to the requester.
#[utoipa::path(post, path = "/api/v1/inbound-requests/{id}/decline", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")), request_body = DeclineBody,
    responses((status = 200, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decline(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeclineBody>,
) -> ApiResult<Json<InboundView>> {
    Ok(Json(view(
        &state
            .app()
            .decline_inbound(&session.caller(), id, &b.reason, b.notify)
            .await?,
    )))
}

/// Mark a new request as spam: hidden from the default list.
#[utoipa::path(post, path = "/api/v1/inbound-requests/{id}/spam", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = InboundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn spam(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<InboundView>> {
    Ok(Json(view(
        &state.app().spam_inbound(&session.caller(), id).await?,
    )))
}

/// The deliveries of a request's notifications, newest first (staff).
#[utoipa::path(get, path = "/api/v1/inbound-requests/{id}/deliveries", tag = "inbound requests", params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let jobs = state
        .app()
        .inbound_deliveries(&session.caller(), id)
        .await?;
    Ok(Json(jobs.iter().map(delivery_view).collect()))
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/inbound-requests", routing::get(list).post(create))
        .route(
            "/api/v1/inbound-requests/{id}",
            routing::get(get).patch(update),
        )
        .route("/api/v1/inbound-requests/{id}/claim", routing::post(claim))
        .route(
            "/api/v1/inbound-requests/{id}/handover",
            routing::post(handover),
        )
        .route(
            "/api/v1/inbound-requests/{id}/next-steps",
            routing::post(add_step),
        )
        .route(
            "/api/v1/inbound-requests/{id}/next-steps/{step_id}",
            routing::patch(update_step),
        )
        .route(
            "/api/v1/inbound-requests/{id}/accept",
            routing::post(accept),
        )
        .route(
            "/api/v1/inbound-requests/{id}/decline",
            routing::post(decline),
        )
        .route("/api/v1/inbound-requests/{id}/spam", routing::post(spam))
        .route(
            "/api/v1/inbound-requests/{id}/deliveries",
            routing::get(deliveries),
        )
}
