//! The user accounts, for admins: a paged, searchable list with a form to create one, and a
//! page per user with its last sign-in, its security events and history, and the buttons that
//! deactivate, reactivate or move it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use partnerhub_app::accounts::users::NewUserInput;
use partnerhub_domain::audit::AuditEntity;
use partnerhub_domain::organization::Role;
use partnerhub_domain::{FieldError, FieldErrors};
use partnerhub_store::{SecurityFilter, User, UserFilter};

use super::super::forms::{parse_id, Choice, Errors, Fields, Posted, Rejected};
use super::super::layout::{render_status, Chrome, PageResult, Section};
use super::super::partner_page::{changes, Change};
use crate::auth::Session;
use crate::state::AppState;

/// Users on one page of the list.
const PER_PAGE: i64 = 50;
/// Rows of a user's history and security events shown on its page.
const RECENT: i64 = 20;

/// A user account as listed.
pub struct UserLine {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub org: String,
    pub active: bool,
    pub last_login: String,
}

fn day_time(t: Option<time::OffsetDateTime>) -> String {
    t.map(|t| {
        let s = crate::api::rfc3339(t);
        s.get(..16).unwrap_or(&s).replace('T', " ")
    })
    .unwrap_or_else(|| "never".into())
}

impl UserLine {
    fn new(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.label(),
            org: u.org_name.clone(),
            active: u.active,
            last_login: day_time(u.last_login_at),
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    total: i64,
    first: i64,
    last: i64,
    prev: Option<String>,
    next: Option<String>,
    q: String,
    role_filter: Vec<Choice>,
    roles: Vec<Choice>,
    fields: Fields,
    errors: Errors,
}

impl UsersPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

/// The list's filters, read leniently (a bad page number is page 1).
struct ListQuery {
    q: String,
    role: String,
    page: i64,
}

impl ListQuery {
    fn read(raw: &HashMap<String, String>) -> Self {
        Self {
            q: raw
                .get("q")
                .map(|q| q.trim().to_string())
                .unwrap_or_default(),
            role: raw.get("role").cloned().unwrap_or_default(),
            page: raw
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| (1..=crate::api::MAX_PAGE).contains(p))
                .unwrap_or(1),
        }
    }

    fn link(&self, page: i64) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if !self.role.is_empty() {
            s.append_pair("role", &self.role);
        }
        s.append_pair("page", &page.to_string());
        format!("/admin/users?{}", s.finish())
    }
}

async fn users_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    query: &ListQuery,
    fields: Fields,
    errors: Errors,
    done: Option<&str>,
) -> PageResult {
    let role = Role::parse("role", &query.role).ok();
    let offset = crate::api::offset(query.page, PER_PAGE);
    let filter = UserFilter {
        role,
        q: Some(query.q.clone()).filter(|q| !q.is_empty()),
        limit: PER_PAGE,
        offset,
        ..Default::default()
    };
    let (users, total) = state.app().users(&session.caller(), &filter).await?;
    let shown = users.len() as i64;
    let new_role = fields.get("role").to_string();
    let mut role_filter = vec![Choice::new("", "Any role", &query.role)];
    role_filter.extend(
        Role::ALL
            .iter()
            .map(|r| Choice::new(r.code(), r.label(), &query.role)),
    );
    let page = UsersPage {
        chrome: Chrome::new(state, session, Section::Users).with_notice(done),
        users: users.iter().map(UserLine::new).collect(),
        total,
        first: if shown == 0 { 0 } else { offset + 1 },
        last: offset + shown,
        prev: (query.page > 1).then(|| query.link(query.page - 1)),
        next: (offset + shown < total).then(|| query.link(query.page + 1)),
        q: query.q.clone(),
        role_filter,
        roles: Role::ALL
            .iter()
            .map(|r| Choice::new(r.code(), r.label(), &new_role))
            .collect(),
        fields,
        errors,
    };
    Ok(render_status(status, &page))
}

/// `GET /admin/users[?q=&role=&page=]`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(raw): Query<HashMap<String, String>>,
) -> PageResult {
    let defaults = Fields(vec![("role".into(), Role::Alliances.code().into())]);
    users_page(
        &state,
        &session,
        StatusCode::OK,
        &ListQuery::read(&raw),
        defaults,
        Errors::default(),
        raw.get("done").map(String::as_str),
    )
    .await
}

/// The organization a form names, by name as uniqueness compares names; blank for the vendor.
async fn organization_named(
    state: &AppState,
    session: &Session,
    fields: &Fields,
) -> Result<Option<i64>, FieldErrors> {
    let Some(name) = fields.non_blank("organization") else {
        return Ok(None);
    };
    match state
        .app()
        .organization_named(&session.caller(), name)
        .await
    {
        Ok(Some(org)) => Ok(Some(org.id)),
        Ok(None) => Err(FieldError::new(
            "organization",
            "invalid",
            format!("there is no organization named {:?}", name.trim()),
        )
        .into()),
        Err(_) => Err(FieldError::new(
            "organization",
            "invalid",
            "the organization could not be looked up; try again",
        )
        .into()),
    }
}

/// This form names the organization by name, where the API takes its id: the operation's
/// errors about `org_id` are shown beside the organization field.
fn on_organization_field(mut errors: Errors) -> Errors {
    for e in &mut errors.0 {
        if e.field == "org_id" {
            e.field = "organization".into();
        }
    }
    errors
}

/// `POST /admin/users`.
pub async fn create(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { session, fields } = posted;
    let result = match organization_named(&state, &session, &fields).await {
        Ok(org_id) => {
            let input = NewUserInput {
                email: fields.get("email").trim().to_string(),
                name: fields.get("name").trim().to_string(),
                role: fields.get("role").to_string(),
                org_id,
                password: fields.non_blank("password").map(str::to_string),
            };
            state
                .app()
                .create_user(&session.caller(), &input)
                .await
                .map_err(Rejected::from)
        }
        Err(errs) => Err(Rejected::from(errs)),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users?done=user-created").into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            let query = ListQuery::read(&HashMap::new());
            let errors = on_organization_field(errors);
            users_page(&state, &session, status, &query, fields, errors, None).await
        }
    }
}

/// One security event on a user's page.
pub struct EventLine {
    pub at: String,
    pub event: &'static str,
    pub ip: String,
}

/// One change of a user's history.
pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserLine,
    /// Partner and customer users can move; staff belong to the vendor.
    movable: bool,
    events: Vec<EventLine>,
    history: Vec<HistoryLine>,
    organization: String,
    errors: Errors,
}

async fn user_page(
    state: &AppState,
    session: &Session,
    id: i64,
    status: StatusCode,
    organization: String,
    errors: Errors,
) -> PageResult {
    let caller = session.caller();
    let app = state.app();
    let user = app.user(&caller, id).await?;
    let events = app
        .security_events(
            &caller,
            &SecurityFilter {
                user_id: Some(id),
                limit: RECENT,
                ..Default::default()
            },
        )
        .await?
        .iter()
        .map(|e| EventLine {
            at: day_time(Some(e.at)),
            event: e.event.label(),
            ip: e.ip.clone(),
        })
        .collect();
    let history = app
        .history(&caller, AuditEntity::User, &id.to_string(), None, RECENT)
        .await?
        .iter()
        .map(|r| HistoryLine {
            at: r
                .entry
                .at
                .get(..16)
                .unwrap_or(&r.entry.at)
                .replace('T', " "),
            actor: r.entry.actor_label.clone(),
            action: r.entry.action.clone(),
            changes: changes(r.entry.before.as_deref(), r.entry.after.as_deref()),
        })
        .collect();
    let page = UserPage {
        chrome: Chrome::new(state, session, Section::Users),
        movable: !user.role.is_staff(),
        user: UserLine::new(&user),
        events,
        history,
        organization,
        errors,
    };
    Ok(render_status(status, &page))
}

/// `GET /admin/users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
) -> PageResult {
    let id = parse_id(&raw)?;
    user_page(
        &state,
        &session,
        id,
        StatusCode::OK,
        String::new(),
        Errors::default(),
    )
    .await
}

/// Deactivates or reactivates, then goes back to the list with a notice.
async fn set_active(state: AppState, raw: String, posted: Posted, active: bool) -> PageResult {
    let id = parse_id(&raw)?;
    let session = posted.session;
    match state
        .app()
        .set_user_active(&session.caller(), id, active)
        .await
        .map_err(Rejected::from)
    {
        Ok(_) => {
            let done = if active {
                "user-activated"
            } else {
                "user-deactivated"
            };
            Ok(Redirect::to(&format!("/admin/users?done={done}")).into_response())
        }
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            user_page(&state, &session, id, status, String::new(), errors).await
        }
    }
}

/// `POST /admin/users/{id}/deactivate`.
pub async fn deactivate(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    set_active(state, raw, posted, false).await
}

/// `POST /admin/users/{id}/activate`.
pub async fn activate(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    set_active(state, raw, posted, true).await
}

/// `POST /admin/users/{id}/move`: to the organization named in the form.
pub async fn move_user(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let id = parse_id(&raw)?;
    let Posted { session, fields } = posted;
    let result = match organization_named(&state, &session, &fields).await {
        Ok(Some(org_id)) => state
            .app()
            .move_user(&session.caller(), id, org_id)
            .await
            .map_err(Rejected::from),
        Ok(None) => Err(Rejected::from(FieldErrors::from(FieldError::required(
            "organization",
        )))),
        Err(errs) => Err(Rejected::from(errs)),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users?done=user-moved").into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            let organization = fields.get("organization").to_string();
            let errors = on_organization_field(errors);
            user_page(&state, &session, id, status, organization, errors).await
        }
    }
}
