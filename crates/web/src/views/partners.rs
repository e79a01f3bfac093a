//! The partner list (filters by family, category, track and status, search, pages of 50) and
//! the CSV import form, which reuses the API's all-or-nothing import.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use partnerhub_domain::access::Action;
use partnerhub_domain::partner_csv;
use partnerhub_domain::taxonomy::{Family, PartnerStatus, Track};
use partnerhub_store::PartnerRecord;

use super::forms::{choices, Choice, ChoiceGroup, Posted};
use super::layout::{render, render_status, Chrome, PageResult, Section};
use crate::api::partners::PartnerQuery;
use crate::auth::Session;
use crate::state::AppState;

/// Partners on one page of the list.
const PER_PAGE: i64 = 50;

/// One partner in the list.
pub struct Row {
    pub id: i64,
    pub name: String,
    pub family: &'static str,
    pub category: &'static str,
    pub direction: Option<&'static str>,
    pub core_outbound: bool,
    pub track_code: &'static str,
    pub track: &'static str,
    pub status_code: &'static str,
    pub status: &'static str,
    pub priority: u8,
    pub score: String,
    /// The score rounded to a tenth, for the meter's width class.
    pub score_tenth: u8,
}

impl Row {
    fn new(p: &PartnerRecord, state: &AppState) -> Self {
        let d = &p.draft;
        // An unscored card sums to -0.0; show it as 0.
        let percent = d.scorecard.total(&state.app().config().weights).percent + 0.0;
        Self {
            id: p.id,
            name: d.name.as_str().to_string(),
            family: d.family().label(),
            category: d.classification.category.label(),
            direction: d.classification.direction.map(|x| x.label()),
            core_outbound: d.core_outbound(),
            track_code: d.track.code(),
            track: d.track.label(),
            status_code: d.status.code(),
            status: d.status.label(),
            priority: d.priority(),
            score: format!("{percent:.0}%"),
            score_tenth: (percent / 10.0).round().clamp(0.0, 10.0) as u8,
        }
    }
}

#[derive(Template)]
#[template(path = "partners.html")]
struct ListPage {
    chrome: Chrome,
    /// The scorecard is the vendor's own assessment: staff only.
    show_scores: bool,
    rows: Vec<Row>,
    families: Vec<Choice>,
    categories: Vec<ChoiceGroup>,
    tracks: Vec<Choice>,
    statuses: Vec<Choice>,
    q: String,
    total: i64,
    first: i64,
    last: i64,
    prev: Option<String>,
    next: Option<String>,
    export_url: Option<String>,
    can_create: bool,
    can_import: bool,
    filtered: bool,
}

/// The category select, grouped by family; shared with the partner form.
pub fn category_groups(current: &str) -> Vec<ChoiceGroup> {
    Family::ALL
        .iter()
        .map(|f| ChoiceGroup {
            label: f.label().to_string(),
            choices: f
                .categories()
                .map(|c| Choice::new(c.code(), c.label(), current))
                .collect(),
        })
        .collect()
}

/// The list's query: the API's filters, read leniently (a bad page number is page 1).
fn partner_query(raw: &HashMap<String, String>) -> PartnerQuery {
    let text = |k: &str| raw.get(k).map(|v| v.trim().to_string());
    PartnerQuery {
        family: text("family"),
        category: text("category"),
        track: text("track"),
        status: text("status"),
        q: text("q").filter(|q| !q.is_empty()),
        page: raw
            .get("page")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1),
        per_page: Some(PER_PAGE),
    }
}

/// The filters as a query string (without `per_page`), for links that keep them.
fn query_string(q: &PartnerQuery, page: Option<i64>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("family", &q.family),
        ("category", &q.category),
        ("track", &q.track),
        ("status", &q.status),
        ("q", &q.q),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            s.append_pair(k, v);
        }
    }
    if let Some(p) = page {
        s.append_pair("page", &p.to_string());
    }
    s.finish()
}

/// `GET /partners`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(raw): Query<HashMap<String, String>>,
) -> PageResult {
    let q = partner_query(&raw);
    let filter = q.filter()?;
    let page = state.app().partners(&session.caller(), &filter).await?;
    let offset = crate::api::offset(filter.page, filter.per_page);
    let shown = page.items.len() as i64;
    let link = |p: i64| format!("/partners?{}", query_string(&q, Some(p)));
    let current = |v: &Option<String>| v.clone().unwrap_or_default();
    let template = ListPage {
        chrome: Chrome::new(&state, &session, Section::Partners)
            .with_notice(raw.get("done").map(String::as_str)),
        show_scores: session.may(Action::ReadScorecard),
        rows: page.items.iter().map(|p| Row::new(p, &state)).collect(),
        families: choices(
            Family::ALL.iter().map(|f| (f.code(), f.label())),
            &current(&q.family),
        ),
        categories: category_groups(&current(&q.category)),
        tracks: choices(
            Track::ALL.iter().map(|t| (t.code(), t.label())),
            &current(&q.track),
        ),
        statuses: choices(
            PartnerStatus::ALL.iter().map(|s| (s.code(), s.label())),
            &current(&q.status),
        ),
        q: current(&q.q),
        total: page.total,
        first: if shown == 0 { 0 } else { offset + 1 },
        last: offset + shown,
        prev: (filter.page > 1).then(|| link(filter.page - 1)),
        next: (offset + shown < page.total).then(|| link(filter.page + 1)),
        export_url: session
            .may(Action::ExportPartners)
            .then(|| format!("/api/v1/partners/export.csv?{}", query_string(&q, None))),
        can_create: session.may(Action::CreatePartner),
        can_import: session.may(Action::ImportPartners),
        filtered: [&q.family, &q.category, &q.track, &q.status, &q.q]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.is_empty())),
    };
    Ok(render(&template)?.into_response())
}

#[derive(Template)]
#[template(path = "partner_import.html")]
struct ImportPage {
    chrome: Chrome,
    csv: String,
    error: Option<String>,
    imported: Option<usize>,
    columns: String,
}

fn import_page_for(chrome: Chrome, csv: String) -> ImportPage {
    ImportPage {
        chrome,
        csv,
        error: None,
        imported: None,
        columns: partner_csv::IMPORT_COLUMNS.join(","),
    }
}

/// `GET /partners/import`.
pub async fn import_page(State(state): State<AppState>, session: Session) -> PageResult {
    session.authorize(Action::ImportPartners, None)?;
    let chrome = Chrome::new(&state, &session, Section::Partners);
    Ok(render(&import_page_for(chrome, String::new()))?.into_response())
}

/// `POST /partners/import`: every row is checked before anything is written.
pub async fn import(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { session, fields } = posted;
    let csv = fields.get("csv").to_string();
    let chrome = Chrome::new(&state, &session, Section::Partners);
    let result = state
        .app()
        .import_partners(&session.caller(), csv.as_bytes())
        .await
        .map_err(crate::error::ApiError::from);
    match result {
        Ok(ids) => {
            let mut page = import_page_for(chrome, String::new());
            page.imported = Some(ids.len());
            Ok(render(&page)?.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let mut page = import_page_for(chrome, csv);
            page.error = Some(e.message);
            Ok(render_status(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_and_drop_blanks() {
        let raw: HashMap<String, String> = [
            ("family", "technology"),
            ("category", ""),
            ("q", "red hat"),
            ("page", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let q = partner_query(&raw);
        assert_eq!(q.page, None);
        assert_eq!(
            query_string(&q, Some(2)),
            "family=technology&q=red+hat&page=2"
        );
    }

    #[test]
    fn the_category_select_groups_categories_by_family() {
        let groups = category_groups("msp");
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[1].label, "Services partner");
        assert!(groups[1]
            .choices
            .iter()
            .any(|c| c.value == "msp" && c.selected));
        assert_eq!(groups[0].choices.len(), 5);
    }
}
