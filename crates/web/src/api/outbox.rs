//! `/api/v1/webhooks` (admins: subscriptions, a test event, their delivery log) and
//! `/api/v1/outbox` (admins: deliveries pending, failed or dead; retry, discard).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use partnerhub_app::webhooks::WebhookInput;
use partnerhub_store::WebhookRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::inbound::{delivery_view, DeliveryView};
use super::{rfc3339, ApiJson, ApiPath, ApiQuery};
use crate::auth::Session;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// A webhook subscription (its URL shown only as set, with its last four characters).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub name: String,
    /// `set (…abcd)`.
    pub url: String,
    /// Event codes it receives.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: String,
}

/// A subscription just created, with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookView {
    /// Verify `X-Partnerhub-Signature: sha256=<hex>` (HMAC-SHA256 of the raw body) with it.
    pub secret: String,
    #[serde(flatten)]
    pub webhook: WebhookView,
}

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    pub name: String,
    /// An http(s) URL outside internal networks (unless `outbound_allow_hosts` lists its host).
    pub url: String,
    /// `inbound_request.created`, `inbound_request.claimed`, `inbound_request.accepted`,
    /// `inbound_request.declined`, `webhook.test`.
    pub events: Vec<String>,
}

/// Which deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `pending` | `failed` | `running` | `done` | `dead` | `discarded` (default: every one).
    pub state: Option<String>,
    /// Deliveries to return (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

fn view(w: &WebhookRecord) -> WebhookView {
    WebhookView {
        id: w.id,
        name: w.name.clone(),
        url: w.url_hint.clone(),
        events: w.events.clone(),
        active: w.active,
        created_at: rfc3339(w.created_at),
    }
}

/// The outbox states a filter may name.
const STATES: &[&str] = &["pending", "failed", "running", "done", "dead", "discarded"];

/// Subscriptions (admin).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", responses((status = 200, body = Vec<WebhookView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<Json<Vec<WebhookView>>> {
    let hooks = state.app().webhooks(&session.caller()).await?;
    Ok(Json(hooks.iter().map(view).collect()))
}

/// Create a subscription (admin); the signing secret is in this response only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookBody,
    responses((status = 201, body = CreatedWebhookView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(b): ApiJson<WebhookBody>,
) -> ApiResult<impl IntoResponse> {
    let input = WebhookInput {
        name: b.name,
        url: b.url,
        events: b.events,
    };
    let created = state
        .app()
        .create_webhook(&session.caller(), &input)
        .await?;
    // The secret is in this response only: no cache keeps it.
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(CreatedWebhookView {
            secret: created.secret,
            webhook: view(&created.record),
        }),
    ))
}

/// Remove a subscription (admin).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "Subscription id")),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app().delete_webhook(&session.caller(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a `webhook.test` event to a subscription (admin): 202 with the delivery.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = i64, Path, description = "Subscription id")),
    responses((status = 202, body = DeliveryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn test(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    let job = state.app().test_webhook(&session.caller(), id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(&job))))
}

/// A subscription's deliveries, newest first (admin).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path, description = "Subscription id")),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let jobs = state
        .app()
        .webhook_deliveries(&session.caller(), id)
        .await?;
    Ok(Json(jobs.iter().map(delivery_view).collect()))
}

/// Deliveries, newest first (admin).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "outbox", params(OutboxQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn outbox(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let filter = q.state.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = filter {
        if !STATES.contains(&s) {
            return Err(ApiError::bad_request(
                "state",
                format!(
                    "state: unknown value {s:?}; expected one of {}",
                    STATES.join(", ")
                ),
            ));
        }
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            "limit must be between 1 and 500",
        ));
    }
    let jobs = state.app().outbox(&session.caller(), filter, limit).await?;
    Ok(Json(jobs.iter().map(delivery_view).collect()))
}

/// Put a failed or dead delivery back in line now (admin).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "outbox", params(("id" = i64, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DeliveryView>> {
    Ok(Json(delivery_view(
        &state.app().retry_delivery(&session.caller(), id).await?,
    )))
}

/// Drop a delivery that has not succeeded (admin).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/discard", tag = "outbox", params(("id" = i64, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn discard(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DeliveryView>> {
    Ok(Json(delivery_view(
        &state.app().discard_delivery(&session.caller(), id).await?,
    )))
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", routing::get(list).post(create))
        .route("/api/v1/webhooks/{id}", routing::delete(remove))
        .route("/api/v1/webhooks/{id}/test", routing::post(test))
        .route("/api/v1/webhooks/{id}/deliveries", routing::get(deliveries))
        .route("/api/v1/outbox", routing::get(outbox))
        .route("/api/v1/outbox/{id}/retry", routing::post(retry))
        .route("/api/v1/outbox/{id}/discard", routing::post(discard))
}
