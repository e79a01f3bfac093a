//! The partner page: profile, scorecard, contacts, the shared-documents registry with its
//! convention warnings, the add-document form, and the partner's history.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerhub_app::AppError;
use partnerhub_domain::access::Action;
use partnerhub_domain::audit::AuditEntity;
use partnerhub_domain::documents::{Audience, Sharing};
use partnerhub_store::AuditRecord;
use serde_json::Value;

use super::forms::{choices, parse_id, Choice, Errors, Fields, Posted};
use super::layout::{render_status, Chrome, PageResult, Section, ViewError};
use crate::api::documents as api_documents;
use crate::api::partners::{self as api, PartnerView};
use crate::auth::Session;
use crate::state::AppState;

/// History rows shown on the page.
const HISTORY_ROWS: i64 = 50;
/// Longest value shown in a history change before it is cut.
const HISTORY_VALUE_CHARS: usize = 80;

/// One criterion of the scorecard table.
pub struct ScoreLine {
    pub label: String,
    pub weight: String,
    pub score: Option<u8>,
    pub note: String,
}

/// One document of the registry with the conventions it breaks.
pub struct DocumentLine {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub audience: &'static str,
    pub sharing: &'static str,
    pub folder: String,
    pub warnings: Vec<String>,
}

/// One change of the partner's history.
pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub changes: Vec<Change>,
}

/// A changed key: what it was and what it became.
pub struct Change {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The add-document form: what was typed and what was wrong with it.
pub struct DocumentForm {
    pub fields: Fields,
    pub audiences: Vec<Choice>,
    pub sharings: Vec<Choice>,
    pub errors: Errors,
}

impl DocumentForm {
    /// A blank form; the folder starts as the partner's own, as the handbook asks.
    pub fn blank(partner_name: &str) -> Self {
        Self::filled(
            Fields(vec![
                ("folder".into(), partner_name.to_string()),
                ("audience".into(), Audience::PartnerShared.code().into()),
                ("sharing".into(), Sharing::AnyoneWithLink.code().into()),
            ]),
            Errors::default(),
        )
    }

    pub fn filled(fields: Fields, errors: Errors) -> Self {
        let audiences = choices(
            Audience::ALL.iter().map(|a| (a.code(), a.label())),
            fields.get("audience").trim(),
        );
        let sharings = choices(
            Sharing::ALL.iter().map(|s| (s.code(), s.label())),
            fields.get("sharing").trim(),
        );
        Self {
            fields,
            audiences,
            sharings,
            errors,
        }
    }

    pub fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerPage {
    chrome: Chrome,
    /// The scorecard is the vendor's own assessment: staff only.
    show_scorecard: bool,
    p: PartnerView,
    family: &'static str,
    category: &'static str,
    direction: Option<&'static str>,
    track: &'static str,
    status: &'static str,
    monetization: &'static str,
    scores: Vec<ScoreLine>,
    weighted: String,
    max: String,
    percent: String,
    documents: Vec<DocumentLine>,
    doc_form: Option<DocumentForm>,
    history: Option<Vec<HistoryLine>>,
    can_edit: bool,
    can_delete: bool,
    can_manage_documents: bool,
    delete_error: Option<String>,
}

/// What the page shows besides the stored partner.
pub struct Extras {
    pub doc_form: Option<DocumentForm>,
    pub delete_error: Option<String>,
    pub done: Option<String>,
}

/// A weight or total as people write it: `3`, `2.5`, never `-0`.
fn number(x: f64) -> String {
    // An empty sum of floats is -0.0, which would print as "-0".
    let x = if x == 0.0 { 0.0 } else { x };
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Renders the partner page with `status` (a failed form on it re-renders with 4xx).
pub async fn partner_page(
    state: &AppState,
    session: &Session,
    id: i64,
    status: StatusCode,
    extras: Extras,
) -> Result<Response, ViewError> {
    let (record, docs) = state.app().documents(&session.caller(), id).await?;
    let d = &record.draft;
    let p = api::view(&record, &state.app().config().weights, false);
    let card = api::scorecard_view(&record.draft, &state.app().config().weights);
    let name = d.name.as_str().to_string();
    let vendor = &state.config().vendor_name;
    let documents = docs
        .iter()
        .map(|doc| {
            let v = api_documents::view(doc, &name, vendor);
            DocumentLine {
                id: v.id,
                title: v.title,
                url: v.url,
                audience: doc.document.audience.label(),
                sharing: doc.document.sharing.label(),
                folder: v.folder,
                warnings: v.warnings.into_iter().map(|w| w.message).collect(),
            }
        })
        .collect();
    // The history shows to those who may read the partner's history, by the same decision
    // the audit API makes.
    let history = match state
        .app()
        .history(
            &session.caller(),
            AuditEntity::Partner,
            &id.to_string(),
            None,
            HISTORY_ROWS,
        )
        .await
    {
        Ok(rows) => Some(rows.iter().map(history_line).collect()),
        Err(AppError::Denied(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let can_manage_documents = session.may(Action::ManageDocuments);
    let doc_form = match extras.doc_form {
        Some(f) => Some(f),
        None => can_manage_documents.then(|| DocumentForm::blank(&name)),
    };
    let page = PartnerPage {
        chrome: Chrome::new(state, session, Section::Partners).with_notice(extras.done.as_deref()),
        show_scorecard: session.may(Action::ReadScorecard),
        family: d.family().label(),
        category: d.classification.category.label(),
        direction: d.classification.direction.map(|x| x.label()),
        track: d.track.label(),
        status: d.status.label(),
        monetization: d.monetization().label(),
        scores: card
            .criteria
            .iter()
            .map(|c| ScoreLine {
                label: c.label.clone(),
                weight: number(c.weight),
                score: c.score,
                note: c.note.clone().unwrap_or_default(),
            })
            .collect(),
        weighted: number(card.weighted),
        max: number(card.max),
        percent: number(card.percent),
        documents,
        doc_form,
        history,
        can_edit: session.may(Action::UpdatePartner),
        can_delete: session.may(Action::DeletePartner),
        can_manage_documents,
        delete_error: extras.delete_error,
        p,
    };
    Ok(render_status(status, &page))
}

/// `GET /partners/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let id = parse_id(&raw)?;
    let extras = Extras {
        doc_form: None,
        delete_error: None,
        done: q.get("done").cloned(),
    };
    partner_page(&state, &session, id, StatusCode::OK, extras).await
}

/// `POST /partners/{id}/delete`: refused (and explained on the page) while users belong to it.
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let session = posted.session;
    let id = parse_id(&raw)?;
    match state.app().delete_partner(&session.caller(), id).await {
        Ok(()) => Ok(Redirect::to("/partners?done=partner-deleted").into_response()),
        Err(AppError::Conflict(f)) => {
            let extras = Extras {
                doc_form: None,
                delete_error: Some(f.message),
                done: None,
            };
            partner_page(&state, &session, id, StatusCode::CONFLICT, extras).await
        }
        Err(e) => Err(e.into()),
    }
}

/// An audit row as a line of history: who, when, and what changed.
fn history_line(r: &AuditRecord) -> HistoryLine {
    let e = &r.entry;
    HistoryLine {
        at: e.at.get(..16).unwrap_or(&e.at).replace('T', " "),
        actor: e.actor_label.clone(),
        action: e.action.clone(),
        changes: changes(e.before.as_deref(), e.after.as_deref()),
    }
}

/// The keys whose values differ between two JSON objects (all keys when one side is absent).
pub fn changes(before: Option<&str>, after: Option<&str>) -> Vec<Change> {
    let parse = |s: Option<&str>| -> serde_json::Map<String, Value> {
        match s.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
            Some(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        }
    };
    let (b, a) = (parse(before), parse(after));
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .filter(|k| !matches!(k.as_str(), "version" | "updated_at" | "created_at"))
        .map(|k| Change {
            key: k.clone(),
            before: b.get(k).filter(|v| !is_blank(v)).map(compact),
            after: a.get(k).filter(|v| !is_blank(v)).map(compact),
        })
        .filter(|c| c.before.is_some() || c.after.is_some())
        .collect()
}

/// Nothing worth showing: null, an empty string or an empty list.
fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A JSON value in a few words: strings bare, the rest as JSON, cut when long.
fn compact(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > HISTORY_VALUE_CHARS {
        let cut: String = s.chars().take(HISTORY_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_shows_only_what_changed() {
        let c = changes(
            Some(r#"{"name":"AWS","track":"open","version":1,"website":null}"#),
            Some(
                r#"{"name":"AWS","track":"select","version":2,"website":"https://aws.amazon.com"}"#,
            ),
        );
        let keys: Vec<&str> = c.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["track", "website"]);
        assert_eq!(c[0].before.as_deref(), Some("open"));
        assert_eq!(c[1].before, None);
        let created = changes(None, Some(r#"{"name":"AWS"}"#));
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].after.as_deref(), Some("AWS"));
    }
}
