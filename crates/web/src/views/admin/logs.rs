//! The logs admins read: the full audit log with paging and a check of its hash chain, and
//! the security log of sign-ins, sign-outs and refused sign-ins.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use partnerhub_app::audit::LogQuery;
use partnerhub_store::SecurityFilter;

use super::super::layout::{render, Chrome, PageResult, Section};
use super::super::partner_page::{changes, Change};
use crate::auth::Session;
use crate::state::AppState;

/// Audit rows on one page.
const AUDIT_PAGE: i64 = 100;
/// Security events on one page.
const SECURITY_PAGE: i64 = 100;

/// The entity a row is about: its type and id, linked to its page when it has one.
pub struct EntityRef {
    pub label: String,
    pub href: Option<String>,
}

/// One row of the audit log.
pub struct AuditLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: EntityRef,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditLine>,
    older: Option<String>,
    newest: bool,
    /// The chain check, when asked for: what verified, or the first break.
    verified: Option<Result<String, String>>,
}

/// `GET /admin/audit[?before_id=N][&verify=1]`.
pub async fn audit(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let caller = session.caller();
    let before_id = q.get("before_id").and_then(|v| v.parse::<i64>().ok());
    let rows = state
        .app()
        .audit_log(
            &caller,
            &LogQuery {
                before_id,
                limit: AUDIT_PAGE,
                ..Default::default()
            },
        )
        .await?;
    let verified = if q.contains_key("verify") {
        let report = state.app().verify_audit(&caller).await?;
        let links_only = if report.content_checked {
            String::new()
        } else {
            " Only links were checked: the audit key is not loaded, so row content was not.".into()
        };
        Some(match report.broken {
            None => Ok(format!("{} rows verified.{links_only}", report.rows)),
            Some(b) => Err(format!("{b}.{links_only}")),
        })
    } else {
        None
    };
    let older = (rows.len() as i64 == AUDIT_PAGE)
        .then(|| {
            rows.last()
                .map(|r| format!("/admin/audit?before_id={}", r.id))
        })
        .flatten();
    let page = AuditPage {
        chrome: Chrome::new(&state, &session, Section::Audit),
        rows: rows
            .iter()
            .map(|r| {
                let e = &r.entry;
                AuditLine {
                    id: r.id,
                    at: e.at.get(..19).unwrap_or(&e.at).replace('T', " "),
                    actor: e.actor_label.clone(),
                    action: e.action.clone(),
                    entity: EntityRef {
                        label: format!("{} {}", e.entity_type, e.entity_id),
                        href: match e.entity_type.as_str() {
                            "partner" => Some(format!("/partners/{}", e.entity_id)),
                            "user" => Some(format!("/admin/users/{}", e.entity_id)),
                            "inbound_request" => Some(format!("/inbound/{}", e.entity_id)),
                            "webhook" => Some(format!("/admin/webhooks/{}", e.entity_id)),
                            _ => None,
                        },
                    },
                    changes: changes(e.before.as_deref(), e.after.as_deref()),
                }
            })
            .collect(),
        older,
        newest: before_id.is_none(),
        verified,
    };
    Ok(render(&page)?.into_response())
}

/// One security event.
pub struct SecurityLine {
    pub at: String,
    pub event: &'static str,
    pub code: &'static str,
    pub email: String,
    pub user: Option<String>,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    chrome: Chrome,
    rows: Vec<SecurityLine>,
    older: Option<String>,
    newest: bool,
}

/// `GET /admin/security[?before_id=N]`.
pub async fn security(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let before_id = q.get("before_id").and_then(|v| v.parse::<i64>().ok());
    let rows = state
        .app()
        .security_events(
            &session.caller(),
            &SecurityFilter {
                before_id,
                limit: SECURITY_PAGE,
                ..Default::default()
            },
        )
        .await?;
    let older = (rows.len() as i64 == SECURITY_PAGE)
        .then(|| {
            rows.last()
                .map(|r| format!("/admin/security?before_id={}", r.id))
        })
        .flatten();
    let page = SecurityPage {
        chrome: Chrome::new(&state, &session, Section::Security),
        rows: rows
            .iter()
            .map(|r| {
                let at = crate::api::rfc3339(r.at);
                SecurityLine {
                    at: at.get(..19).unwrap_or(&at).replace('T', " "),
                    event: r.event.label(),
                    code: r.event.code(),
                    email: r.email.clone(),
                    user: r.user_id.map(|id| format!("/admin/users/{id}")),
                    ip: r.ip.clone(),
                }
            })
            .collect(),
        older,
        newest: before_id.is_none(),
    };
    Ok(render(&page)?.into_response())
}
