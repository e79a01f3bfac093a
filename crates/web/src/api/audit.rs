//! `/api/v1/audit`: the audit log, whole for admins, per entity for staff.

use axum::extract::State;

use super::ApiQuery;
use axum::Json;
use partnerhub_domain::access::Action;
use partnerhub_store::{AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Session;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

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
pub struct AuditQuery {
    /// `partner`, `document`, `user`, `organization`, `api_token`, `delivery_model`
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Rows older than this id (paging from the newest).
    pub before_id: Option<i64>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

/// The result of verifying the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub ok: bool,
    pub rows_checked: u64,
    /// The first broken row, when the chain is broken.
    pub broken_row: Option<i64>,
    pub message: String,
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

/// Audit rows, newest first. Admins read everything; other staff must name one entity.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let one_entity = q.entity_type.is_some() && q.entity_id.is_some();
    if one_entity && !session.may(Action::ReadFullAudit) {
        session.authorize(Action::ReadEntityAudit, None)?;
    } else {
        session.authorize(Action::ReadFullAudit, None)?;
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            "limit must be between 1 and 500",
        ));
    }
    let filter = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        org_id: None,
        before_id: q.before_id,
        limit,
    };
    let rows = state.store().audit_list(&filter).await?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// Verify the hash chain of the whole log (admin).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", responses((status = 200, body = VerifyView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<Json<VerifyView>> {
    session.authorize(Action::ReadFullAudit, None)?;
    Ok(Json(match state.store().audit_verify().await? {
        Ok(n) => VerifyView {
            ok: true,
            rows_checked: n,
            broken_row: None,
            message: format!("{n} rows verified"),
        },
        Err(b) => VerifyView {
            ok: false,
            rows_checked: 0,
            broken_row: Some(b.row_id()),
            message: b.to_string(),
        },
    }))
}
