//! Administration pages: the user accounts with a form to create one, and the full audit log
//! with paging and a check of its hash chain.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use partnerhub_domain::access::{Action, Scope};
use partnerhub_domain::organization::Role;
use partnerhub_domain::{FieldError, FieldErrors};
use partnerhub_store::{AuditFilter, NewUser};

use super::forms::{Choice, Errors, Fields, Posted, Rejected};
use super::layout::{render, render_status, Chrome, PageResult, Section, ViewError};
use super::partner_page::{changes, Change};
use crate::api::users::parse_new_user;
use crate::auth::{self, Session};
use crate::error::ApiError;
use crate::state::AppState;

/// Users shown on one page; enough for a program's staff and partner users at a glance.
const USERS_SHOWN: i64 = 500;
/// Organizations offered in the create-user form.
const ORGS_OFFERED: i64 = 1000;
/// Audit rows on one page.
const AUDIT_PAGE: i64 = 100;

/// A user account as listed.
pub struct UserLine {
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub org: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    total: i64,
    roles: Vec<Choice>,
    orgs: Vec<Choice>,
    fields: Fields,
    errors: Errors,
}

impl UsersPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

async fn users_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    fields: Fields,
    errors: Errors,
    done: Option<&str>,
) -> PageResult {
    let store = state.store();
    let (users, total) = store.users(None, USERS_SHOWN, 0).await?;
    let (orgs, _) = store
        .organizations(Scope::All, None, ORGS_OFFERED, 0)
        .await?;
    let role = fields.get("role").to_string();
    let org = fields.get("org_id").to_string();
    let mut org_choices = vec![Choice::new("", "The vendor (staff roles)", &org)];
    org_choices.extend(orgs.iter().map(|o| {
        Choice::new(
            o.id.to_string(),
            format!("{} · {}", o.name, o.kind.label()),
            &org,
        )
    }));
    let page = UsersPage {
        chrome: Chrome::new(state, session, Section::Users).with_notice(done),
        users: users
            .iter()
            .map(|u| UserLine {
                email: u.email.clone(),
                name: u.name.clone(),
                role: u.role.label(),
                org: u.org_name.clone(),
                active: u.active,
            })
            .collect(),
        total,
        roles: Role::ALL
            .iter()
            .map(|r| Choice::new(r.code(), r.label(), &role))
            .collect(),
        orgs: org_choices,
        fields,
        errors,
    };
    Ok(render_status(status, &page))
}

/// `GET /admin/users`.
pub async fn users(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    session.authorize(Action::ManageUsers, None)?;
    let done = q.get("done").map(String::as_str);
    let defaults = Fields(vec![("role".into(), Role::Alliances.code().into())]);
    users_page(
        &state,
        &session,
        StatusCode::OK,
        defaults,
        Errors::default(),
        done,
    )
    .await
}

/// The new account as submitted, checked by the API's own rules.
fn parse_user(fields: &Fields, vendor_org: i64) -> Result<(NewUser, Option<String>), FieldErrors> {
    let org_id = match fields.non_blank("org_id") {
        Some(raw) => Some(raw.trim().parse::<i64>().map_err(|_| {
            FieldErrors::from(FieldError::new(
                "org_id",
                "invalid",
                "choose an organization from the list",
            ))
        })?),
        None => None,
    };
    parse_new_user(
        fields.get("email"),
        fields.get("name"),
        fields.get("role"),
        org_id,
        fields.non_blank("password"),
        vendor_org,
    )
}

/// `POST /admin/users`.
pub async fn create_user(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { session, fields } = posted;
    session.authorize(Action::ManageUsers, None)?;
    let result = match parse_user(&fields, session.user.org_id) {
        Ok((mut new, password)) => {
            if let Some(pw) = password {
                new.password_hash = Some(auth::hash_password(&pw).map_err(|e| {
                    tracing::error!(error = %e, "password hashing failed");
                    ViewError::from(ApiError::internal())
                })?);
            }
            state
                .store()
                .create_user(&session.who(), &new)
                .await
                .map_err(Rejected::from)
        }
        Err(errs) => Err(Rejected::from(errs)),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users?done=user-created").into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, mut errors)) => {
            // The store names the organization `org`; the form's field is `org_id`.
            for e in &mut errors.0 {
                if e.field == "org" {
                    e.field = "org_id".into();
                }
            }
            users_page(&state, &session, status, fields, errors, None).await
        }
    }
}

/// One row of the audit log.
pub struct AuditLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub link: Option<String>,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditLine>,
    older: Option<String>,
    newest: bool,
    /// The chain check, when asked for: `Ok(rows verified)` or the first break.
    verified: Option<Result<u64, String>>,
}

/// `GET /admin/audit[?before_id=N][&verify=1]`.
pub async fn audit(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    session.authorize(Action::ReadFullAudit, None)?;
    let before_id = q.get("before_id").and_then(|v| v.parse::<i64>().ok());
    let rows = state
        .store()
        .audit_list(&AuditFilter {
            before_id,
            limit: AUDIT_PAGE,
            ..Default::default()
        })
        .await?;
    let verified = if q.contains_key("verify") {
        Some(
            state
                .store()
                .audit_verify()
                .await?
                .map_err(|brk| brk.to_string()),
        )
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
                    entity: format!("{} {}", e.entity_type, e.entity_id),
                    link: (e.entity_type == "partner")
                        .then(|| format!("/partners/{}", e.entity_id)),
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
