//! `/api/v1/audit`: the audit log, whole for admins, one entity's history for those who may
//! read that entity; `/api/v1/audit/verify`; `/api/v1/security-events`, the security log.

use axum::extract::State;
use axum::Json;
use partnerhub_app::audit::LogQuery;
use partnerhub_domain::audit::AuditEntity;
use partnerhub_domain::security::SecurityEvent;
use partnerhub_store::{AuditRecord, SecurityFilter, SecurityRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{rfc3339, ApiQuery};
use crate::auth::Session;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// One audit row.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub org_id: Option<i64>,
    /// The entity before the change (JSON), if it existed.
    pub before: Option<serde_json::Value>,
    /// The entity after the change (JSON), if it still exists.
    pub after: Option<serde_json::Value>,
    pub hash: String,
}

/// Which rows to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The kind of entity: `partner`, `document`, `organization`, `user`, `api_token`,
    /// `delivery_model`, `audit_log`.
    pub entity_type: Option<String>,
    /// With `entity_type`: one entity's history, for those who may read the entity.
    #[param(max_length = 100)]
    pub entity_id: Option<String>,
    /// Rows older than this id (paging from the newest).
    pub before_id: Option<i64>,
    /// Rows to return (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The result of verifying the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub ok: bool,
    pub rows_checked: u64,
    /// Whether row content was checked, not only that rows link (it takes the audit key).
    pub content_checked: bool,
    /// The first broken row, when the chain is broken.
    pub broken_row: Option<i64>,
    pub message: String,
}

/// One security event.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityEventView {
    pub id: i64,
    pub at: String,
    /// `sign_in` | `sign_in_refused` | `sign_in_limited` | `sign_out`
    pub event: String,
    /// The email address the event was for, as given.
    pub email: String,
    pub user_id: Option<i64>,
    /// The client's address.
    pub ip: String,
}

/// Which security events to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SecurityQuery {
    pub user_id: Option<i64>,
    /// `sign_in` | `sign_in_refused` | `sign_in_limited` | `sign_out`
    pub event: Option<String>,
    /// Events older than this id.
    pub before_id: Option<i64>,
    /// Events to return (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub fn view(r: &AuditRecord) -> AuditView {
    let json = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str(s).ok());
    AuditView {
        id: r.id,
        at: r.entry.at.clone(),
        actor_id: r.entry.actor_id,
        actor: r.entry.actor_label.clone(),
        action: r.entry.action.clone(),
        entity_type: r.entry.entity_type.clone(),
        entity_id: r.entry.entity_id.clone(),
        org_id: r.entry.org_id,
        before: json(&r.entry.before),
        after: json(&r.entry.after),
        hash: r.hash.clone(),
    }
}

fn security_view(r: &SecurityRecord) -> SecurityEventView {
    SecurityEventView {
        id: r.id,
        at: rfc3339(r.at),
        event: r.event.code().to_string(),
        email: r.email.clone(),
        user_id: r.user_id,
        ip: r.ip.clone(),
    }
}

/// A `limit` parameter within 1..=500 (default 100).
fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    let limit = raw.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            "limit must be between 1 and 500",
        ));
    }
    Ok(limit)
}

/// Audit rows, newest first. Admins read everything; naming one entity (`entity_type` and
/// `entity_id`) reads its history, which takes the right to read that entity.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let entity = match q.entity_type.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(
            AuditEntity::parse("entity_type", t)
                .map_err(|e| ApiError::bad_request("entity_type", e.message))?,
        ),
        None => None,
    };
    if q.entity_id
        .as_ref()
        .is_some_and(|id| id.chars().count() > 100)
    {
        return Err(ApiError::bad_request(
            "entity_id",
            "entity_id must be at most 100 characters",
        ));
    }
    let query = LogQuery {
        entity,
        entity_id: q.entity_id,
        before_id: q.before_id,
        limit: limit(q.limit)?,
    };
    let rows = state.app().audit_log(&session.caller(), &query).await?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// Verify the hash chain of the whole log (admin).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", responses((status = 200, body = VerifyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<Json<VerifyView>> {
    let report = state.app().verify_audit(&session.caller()).await?;
    let content = if report.content_checked {
        ""
    } else {
        " (links only: the audit key is not loaded, so row content was not checked)"
    };
    Ok(Json(match report.broken {
        None => VerifyView {
            ok: true,
            rows_checked: report.rows,
            content_checked: report.content_checked,
            broken_row: None,
            message: format!("{} rows verified{content}", report.rows),
        },
        Some(b) => VerifyView {
            ok: false,
            rows_checked: report.rows,
            content_checked: report.content_checked,
            broken_row: Some(b.row_id()),
            message: format!("{b}{content}"),
        },
    }))
}

/// Sign-ins, sign-outs and refused sign-ins, newest first (admin).
#[utoipa::path(get, path = "/api/v1/security-events", tag = "audit", params(SecurityQuery),
    responses((status = 200, body = Vec<SecurityEventView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn security_events(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<SecurityQuery>,
) -> ApiResult<Json<Vec<SecurityEventView>>> {
    let event = match q.event.as_deref().filter(|e| !e.is_empty()) {
        Some(e) => Some(
            SecurityEvent::parse("event", e)
                .map_err(|e| ApiError::bad_request("event", e.message))?,
        ),
        None => None,
    };
    let filter = SecurityFilter {
        user_id: q.user_id,
        event,
        before_id: q.before_id,
        limit: limit(q.limit)?,
    };
    let rows = state
        .app()
        .security_events(&session.caller(), &filter)
        .await?;
    Ok(Json(rows.iter().map(security_view).collect()))
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", routing::get(list))
        .route("/api/v1/audit/verify", routing::get(verify))
        .route("/api/v1/security-events", routing::get(security_events))
}
