//! The partner create and edit forms. Fields are named like the API's; the submission becomes a
//! `PartnerInput` parsed by `PartnerDraft::parse`, and every error is shown beside its field.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use partnerhub_domain::access::Action;
use partnerhub_domain::partner::{ContactInput, PartnerDraft, PartnerInput, ScoreInput};
use partnerhub_domain::scorecard::{Criterion, MAX_SCORE};
use partnerhub_domain::taxonomy::{Family, IntegrationDirection, PartnerStatus, Track};
use partnerhub_domain::FieldError;
use partnerhub_store::{ManagerRef, PartnerRecord, User};

use super::forms::{choices, parse_id, Choice, ChoiceGroup, Errors, Fields, Posted, Rejected};
use super::layout::{render, render_status, Chrome, PageResult, Section};
use super::partners::category_groups;
use crate::auth::Session;
use crate::state::AppState;

/// Empty contact rows offered below the existing ones.
const BLANK_CONTACT_ROWS: usize = 2;
/// Contact rows read from one submission at most (the domain allows 50 contacts).
const MAX_CONTACT_ROWS: usize = 60;
const CONTACT_PARTS: [&str; 4] = ["name", "email", "title", "phone"];

/// One criterion of the scorecard in the form.
pub struct ScoreRow {
    pub code: &'static str,
    pub label: &'static str,
    pub options: Vec<Choice>,
    pub note: String,
    pub score_error: Option<FieldError>,
    pub note_error: Option<FieldError>,
}

/// One contact row; its errors use the domain's `contacts[i].part` names.
pub struct ContactRow {
    pub index: usize,
    pub values: [String; 4],
    pub errors: [Option<FieldError>; 4],
}

impl ContactRow {
    pub fn value(&self, part: usize) -> &str {
        self.values.get(part).map(String::as_str).unwrap_or("")
    }
    pub fn error(&self, part: usize) -> Option<&FieldError> {
        self.errors.get(part).and_then(Option::as_ref)
    }
}

#[derive(Template)]
#[template(path = "partner_form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    cancel: String,
    version: Option<i64>,
    fields: Fields,
    families: Vec<Choice>,
    categories: Vec<ChoiceGroup>,
    directions: Vec<Choice>,
    tracks: Vec<Choice>,
    statuses: Vec<Choice>,
    managers: Vec<Choice>,
    scores: Vec<ScoreRow>,
    contacts: Vec<ContactRow>,
    errors: Errors,
}

impl FormPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
    fn error(&self, name: &str) -> Option<&FieldError> {
        self.errors.at(name)
    }
}

/// The form's fields holding a stored profile (what the edit form starts from).
fn fields_from_draft(d: &PartnerDraft) -> Fields {
    let mut f: Vec<(String, String)> = vec![
        ("name".into(), d.name.as_str().into()),
        (
            "domains".into(),
            d.domains
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("family".into(), d.family().code().into()),
        ("category".into(), d.classification.category.code().into()),
        (
            "integration_direction".into(),
            d.classification
                .direction
                .map(|x| x.code())
                .unwrap_or("")
                .into(),
        ),
        ("track".into(), d.track.code().into()),
        ("status".into(), d.status.code().into()),
        (
            "partner_manager_id".into(),
            d.partner_manager_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ),
        ("website".into(), d.website.clone().unwrap_or_default()),
        (
            "description".into(),
            d.description.clone().unwrap_or_default(),
        ),
    ];
    for s in d.scorecard.scores() {
        let code = s.criterion.code();
        f.push((format!("score_{code}"), s.score.to_string()));
        f.push((format!("note_{code}"), s.note.clone().unwrap_or_default()));
    }
    for (i, c) in d.contacts.iter().enumerate() {
        let parts = [
            c.name.clone(),
            c.email.as_str().to_string(),
            c.title.clone().unwrap_or_default(),
            c.phone.clone().unwrap_or_default(),
        ];
        for (part, v) in CONTACT_PARTS.iter().zip(parts) {
            f.push((format!("contact_{part}_{i}"), v));
        }
    }
    Fields(f)
}

/// How many contact rows a submission holds (the highest `contact_*_N` plus one).
fn contact_rows(f: &Fields) -> usize {
    f.0.iter()
        .filter_map(|(k, _)| {
            let rest = k.strip_prefix("contact_")?;
            let (_, n) = rest.rsplit_once('_')?;
            n.parse::<usize>().ok()
        })
        .filter(|n| *n < MAX_CONTACT_ROWS)
        .map(|n| n + 1)
        .max()
        .unwrap_or(0)
}

fn optional(f: &Fields, name: &str) -> Option<String> {
    f.non_blank(name).map(|v| v.trim().to_string())
}

/// Turns a submission into the domain's input. Returns the errors only the form can make (a score
/// or manager that is not a number) and, for each contact given, the row it came from.
fn input_from_fields(f: &Fields) -> (PartnerInput, Vec<FieldError>, Vec<usize>) {
    let mut errors = Vec::new();
    let domains = f
        .get("domains")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect();
    let partner_manager_id = match f.non_blank("partner_manager_id") {
        None => None,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(FieldError::new(
                    "partner_manager_id",
                    "invalid",
                    "choose a partner manager from the list",
                ));
                None
            }
        },
    };
    let mut scorecard = Vec::new();
    for c in Criterion::ALL {
        let code = c.code();
        let note = optional(f, &format!("note_{code}"));
        match f.non_blank(&format!("score_{code}")) {
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(score) => scorecard.push(ScoreInput {
                    criterion: code.to_string(),
                    score,
                    note,
                }),
                Err(_) => errors.push(FieldError::new(
                    format!("scorecard.{code}.score"),
                    "invalid",
                    format!("score {} from 0 to {MAX_SCORE}", c.label()),
                )),
            },
            None if note.is_some() => errors.push(FieldError::new(
                format!("scorecard.{code}.score"),
                "required",
                format!("give {} a score to keep its note", c.label()),
            )),
            None => {}
        }
    }
    let mut contacts = Vec::new();
    let mut rows = Vec::new();
    for i in 0..contact_rows(f) {
        let v = |part: &str| f.get(&format!("contact_{part}_{i}")).trim().to_string();
        let c = ContactInput {
            name: v("name"),
            email: v("email"),
            title: Some(v("title")).filter(|s| !s.is_empty()),
            phone: Some(v("phone")).filter(|s| !s.is_empty()),
        };
        // A row left blank is an offer, not a contact.
        if c.name.is_empty() && c.email.is_empty() && c.title.is_none() && c.phone.is_none() {
            continue;
        }
        contacts.push(c);
        rows.push(i);
    }
    let input = PartnerInput {
        name: Some(f.get("name").to_string()),
        domains: Some(domains),
        family: optional(f, "family"),
        category: optional(f, "category"),
        integration_direction: optional(f, "integration_direction"),
        track: optional(f, "track"),
        status: optional(f, "status"),
        partner_manager_id: Some(partner_manager_id),
        website: optional(f, "website"),
        description: optional(f, "description"),
        contacts: Some(contacts),
        scorecard: Some(scorecard),
    };
    (input, errors, rows)
}

/// `contacts[k].email` of the k-th contact given becomes `contacts[row].email`, the row shown.
fn to_row_field(field: &str, rows: &[usize]) -> String {
    let Some(rest) = field.strip_prefix("contacts[") else {
        return field.to_string();
    };
    let Some((k, tail)) = rest.split_once(']') else {
        return field.to_string();
    };
    match k.parse::<usize>().ok().and_then(|k| rows.get(k)) {
        Some(row) => format!("contacts[{row}]{tail}"),
        None => field.to_string(),
    }
}

/// Validates a submission as the API would; errors name the form's rows.
fn parse_submission(f: &Fields) -> Result<PartnerDraft, Errors> {
    let (input, mut errors, rows) = input_from_fields(f);
    match PartnerDraft::parse(&input) {
        Ok(draft) if errors.is_empty() => Ok(draft),
        Ok(_) => Err(Errors(errors)),
        Err(parsed) => {
            let mut all: Vec<FieldError> = parsed
                .0
                .into_iter()
                .map(|mut e| {
                    e.field = to_row_field(&e.field, &rows);
                    e
                })
                .collect();
            all.append(&mut errors);
            Err(Errors(all))
        }
    }
}

struct FormTarget {
    heading: String,
    action: String,
    cancel: String,
    version: Option<i64>,
    manager: Option<ManagerRef>,
}

fn form_page(
    chrome: Chrome,
    target: FormTarget,
    staff: &[User],
    fields: Fields,
    errors: Errors,
) -> FormPage {
    let current = |name: &str| fields.get(name).trim().to_string();
    let manager = current("partner_manager_id");
    let mut managers = vec![Choice::new("", "No manager yet", &manager)];
    managers.extend(staff.iter().map(|u| {
        Choice::new(
            u.id.to_string(),
            format!("{} ({})", u.name, u.email),
            &manager,
        )
    }));
    // A manager who has since left keeps showing rather than being silently dropped.
    if let Some(m) = &target.manager {
        if !staff.iter().any(|u| u.id == m.id) {
            managers.push(Choice::new(
                m.id.to_string(),
                format!("{} (inactive)", m.name),
                &manager,
            ));
        }
    }
    let scores = Criterion::ALL
        .iter()
        .map(|c| {
            let code = c.code();
            let score = current(&format!("score_{code}"));
            let mut options = vec![Choice::new("", "–", &score)];
            options
                .extend((0..=MAX_SCORE).map(|n| Choice::new(n.to_string(), n.to_string(), &score)));
            ScoreRow {
                code,
                label: c.label(),
                options,
                note: fields.get(&format!("note_{code}")).to_string(),
                score_error: errors.exact(&format!("scorecard.{code}.score")).cloned(),
                note_error: errors.exact(&format!("scorecard.{code}.note")).cloned(),
            }
        })
        .collect();
    let mut contacts: Vec<ContactRow> = (0..contact_rows(&fields))
        .map(|i| ContactRow {
            index: i,
            values: CONTACT_PARTS.map(|p| fields.get(&format!("contact_{p}_{i}")).to_string()),
            errors: CONTACT_PARTS.map(|p| errors.exact(&format!("contacts[{i}].{p}")).cloned()),
        })
        .collect();
    let trailing_blank = contacts
        .iter()
        .rev()
        .take_while(|r| r.values.iter().all(|v| v.trim().is_empty()))
        .count();
    for _ in trailing_blank..BLANK_CONTACT_ROWS {
        contacts.push(ContactRow {
            index: contacts.len(),
            values: Default::default(),
            errors: Default::default(),
        });
    }
    FormPage {
        chrome,
        heading: target.heading,
        action: target.action,
        cancel: target.cancel,
        version: target.version,
        families: choices(
            Family::ALL.iter().map(|x| (x.code(), x.label())),
            &current("family"),
        ),
        categories: category_groups(&current("category")),
        directions: {
            let d = current("integration_direction");
            let mut v = vec![Choice::new("", "None", &d)];
            v.extend(
                IntegrationDirection::ALL
                    .iter()
                    .map(|x| Choice::new(x.code(), x.label(), &d)),
            );
            v
        },
        tracks: choices(
            Track::ALL.iter().map(|x| (x.code(), x.label())),
            &current("track"),
        ),
        statuses: choices(
            PartnerStatus::ALL.iter().map(|x| (x.code(), x.label())),
            &current("status"),
        ),
        managers,
        scores,
        contacts,
        fields,
        errors,
    }
}

fn new_target() -> FormTarget {
    FormTarget {
        heading: "New partner".into(),
        action: "/partners".into(),
        cancel: "/partners".into(),
        version: None,
        manager: None,
    }
}

/// `GET /partners/new`.
pub async fn new(State(state): State<AppState>, session: Session) -> PageResult {
    session.authorize(Action::CreatePartner, None)?;
    let staff = state.app().staff(&session.caller()).await?;
    let defaults = Fields(vec![
        ("track".into(), Track::Open.code().into()),
        ("status".into(), PartnerStatus::Prospect.code().into()),
    ]);
    let chrome = Chrome::new(&state, &session, Section::Partners);
    let page = form_page(chrome, new_target(), &staff, defaults, Errors::default());
    Ok(render(&page)?.into_response())
}

/// `POST /partners`.
pub async fn create(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { session, fields } = posted;
    let (result, form_errors) = create_from(&state, &session, &fields).await;
    let result = match (result, form_errors) {
        (Err(_), Some(errors)) => Err(Rejected::Fields(StatusCode::UNPROCESSABLE_ENTITY, errors)),
        (r, _) => r,
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/partners/{}?done=created", p.id)).into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            let staff = state.app().staff(&session.caller()).await?;
            let chrome = Chrome::new(&state, &session, Section::Partners);
            let page = form_page(chrome, new_target(), &staff, fields, errors);
            Ok(render_status(status, &page))
        }
    }
}

/// Creates the partner the form describes; the form's own errors (rows named as the form shows
/// them) come back beside the operation's result.
async fn create_from(
    state: &AppState,
    session: &Session,
    fields: &Fields,
) -> (Result<PartnerRecord, Rejected>, Option<Errors>) {
    let mut form_errors = None;
    let result = state
        .app()
        .create_partner(&session.caller(), || {
            parse_submission(fields).map_err(|e| {
                form_errors = Some(e.clone());
                partnerhub_domain::FieldErrors(e.0)
            })
        })
        .await
        .map_err(Rejected::from);
    (result, form_errors)
}

fn edit_target(id: i64, name: &str, version: i64, manager: Option<ManagerRef>) -> FormTarget {
    FormTarget {
        heading: format!("Edit {name}"),
        action: format!("/partners/{id}"),
        cancel: format!("/partners/{id}"),
        version: Some(version),
        manager,
    }
}

/// `GET /partners/{id}/edit`.
pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
) -> PageResult {
    let id = parse_id(&raw)?;
    // The form is for editors only.
    session.authorize(Action::UpdatePartner, Some(id))?;
    let p = state.app().partner(&session.caller(), id).await?;
    let staff = state.app().staff(&session.caller()).await?;
    let chrome = Chrome::new(&state, &session, Section::Partners);
    let target = edit_target(id, p.draft.name.as_str(), p.version, p.manager.clone());
    let page = form_page(
        chrome,
        target,
        &staff,
        fields_from_draft(&p.draft),
        Errors::default(),
    );
    Ok(render(&page)?.into_response())
}

/// `POST /partners/{id}`: the whole profile as submitted replaces the stored one, unless someone
/// changed it since the form was opened (the hidden `version`).
pub async fn update(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let Posted { session, fields } = posted;
    let id = parse_id(&raw)?;
    // Without a (valid) version, the write is still guarded by the state the operation read.
    let version = fields
        .non_blank("version")
        .and_then(|v| v.trim().parse::<i64>().ok());
    // The form's own errors (rows named as the form shows them) go back as they are.
    let mut form_errors = None;
    let result = state
        .app()
        .update_partner(&session.caller(), id, version, |_| {
            parse_submission(&fields).map_err(|e| {
                form_errors = Some(e.clone());
                partnerhub_domain::FieldErrors(e.0)
            })
        })
        .await
        .map_err(Rejected::from);
    let result = match (result, form_errors) {
        (Err(_), Some(errors)) => Err(Rejected::Fields(StatusCode::UNPROCESSABLE_ENTITY, errors)),
        (r, _) => r,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/partners/{id}?done=saved")).into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            let current = state.app().partner(&session.caller(), id).await?;
            let staff = state.app().staff(&session.caller()).await?;
            let chrome = Chrome::new(&state, &session, Section::Partners);
            let target = edit_target(
                id,
                current.draft.name.as_str(),
                version.unwrap_or(current.version),
                current.manager.clone(),
            );
            let page = form_page(chrome, target, &staff, fields, errors);
            Ok(render_status(status, &page))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_complete_form_parses_into_a_draft() {
        let f = fields(&[
            ("name", "GitHub"),
            ("domains", "github.com, github.io"),
            ("category", "integrated"),
            ("integration_direction", "outbound"),
            ("track", "select"),
            ("status", "active"),
            ("score_exposure", "5"),
            ("note_exposure", "everywhere"),
            ("score_revenue", ""),
            ("contact_name_0", ""),
            ("contact_email_0", ""),
            ("contact_name_1", "Ada"),
            ("contact_email_1", "ada@github.com"),
        ]);
        let d = parse_submission(&f).map_err(|e| e.0).unwrap();
        assert!(d.core_outbound());
        assert_eq!(d.domains.len(), 2);
        assert_eq!(d.contacts.len(), 1);
        assert_eq!(d.scorecard.scores().len(), 1);
    }

    #[test]
    fn errors_name_the_row_the_person_typed_in() {
        let f = fields(&[
            ("name", ""),
            ("category", "integrated"),
            ("website", "not a url"),
            ("score_adoption", "x"),
            ("contact_name_0", ""),
            ("contact_email_0", ""),
            ("contact_name_1", "Ada"),
            ("contact_email_1", "nope"),
        ]);
        let errs = parse_submission(&f).unwrap_err();
        let names: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "name",
                "website",
                "contacts[1].email",
                "scorecard.adoption.score"
            ]
        );
    }

    #[test]
    fn a_stored_profile_fills_the_form_and_parses_back() {
        let f = fields(&[
            ("name", "AWS"),
            ("domains", "amazon.com"),
            ("category", "platform_cloud"),
            ("score_strategic", "4"),
            ("contact_name_0", "Ann"),
            ("contact_email_0", "ann@amazon.com"),
            ("contact_phone_0", "+1 555"),
        ]);
        let d = parse_submission(&f).map_err(|e| e.0).unwrap();
        let again = parse_submission(&fields_from_draft(&d))
            .map_err(|e| e.0)
            .unwrap();
        assert_eq!(again, d);
    }
}
