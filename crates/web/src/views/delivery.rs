//! The handbook's delivery-models table (attributes as rows, models as columns), and the form
//! with which admins edit one model.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use partnerhub_domain::access::Action;
use partnerhub_domain::delivery::{DeliveryModel, ATTRIBUTES};
use partnerhub_domain::FieldError;

use super::forms::{parse_id, Errors, Fields, Posted, Rejected};
use super::layout::{render, render_status, Chrome, PageResult, Section};
use crate::auth::Session;
use crate::state::AppState;

/// One attribute across every model.
pub struct TableRow {
    pub label: &'static str,
    pub values: Vec<String>,
}

/// A model's column head.
pub struct Column {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "delivery_models.html")]
struct TablePage {
    chrome: Chrome,
    columns: Vec<Column>,
    rows: Vec<TableRow>,
    can_edit: bool,
}

/// One attribute in the edit form.
pub struct AttributeField {
    pub code: &'static str,
    pub label: &'static str,
    pub value: String,
    pub error: Option<FieldError>,
}

#[derive(Template)]
#[template(path = "delivery_model_form.html")]
struct EditPage {
    chrome: Chrome,
    id: i64,
    name: String,
    name_error: Option<FieldError>,
    attributes: Vec<AttributeField>,
    errors: Errors,
}

/// `GET /delivery-models`.
pub async fn table(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let models = state.app().delivery_models(&session.caller()).await?;
    let rows = ATTRIBUTES
        .iter()
        .map(|(code, label)| TableRow {
            label,
            values: models
                .iter()
                .map(|m| m.model.value(code).unwrap_or("").to_string())
                .collect(),
        })
        .collect();
    let page = TablePage {
        chrome: Chrome::new(&state, &session, Section::DeliveryModels)
            .with_notice(q.get("done").map(String::as_str)),
        columns: models
            .iter()
            .map(|m| Column {
                id: m.id,
                name: m.model.name.clone(),
            })
            .collect(),
        rows,
        can_edit: session.may(Action::EditDeliveryModels),
    };
    Ok(render(&page)?.into_response())
}

fn edit_page(chrome: Chrome, id: i64, fields: &Fields, errors: Errors) -> EditPage {
    EditPage {
        chrome,
        id,
        name: fields.get("name").to_string(),
        name_error: errors.exact("name").cloned(),
        attributes: ATTRIBUTES
            .iter()
            .map(|(code, label)| AttributeField {
                code,
                label,
                value: fields.get(code).to_string(),
                error: errors.exact(code).cloned(),
            })
            .collect(),
        errors,
    }
}

/// `GET /delivery-models/{id}/edit` (admins).
pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
) -> PageResult {
    let id = parse_id(&raw)?;
    // The form is for editors only; reading the row is everyone's.
    session.authorize(Action::EditDeliveryModels, None)?;
    let current = state.app().delivery_model(&session.caller(), id).await?;
    let mut fields = vec![("name".to_string(), current.model.name.clone())];
    fields.extend(
        ATTRIBUTES
            .iter()
            .zip(&current.model.values)
            .map(|((code, _), v)| ((*code).to_string(), v.clone())),
    );
    let chrome = Chrome::new(&state, &session, Section::DeliveryModels);
    let page = edit_page(chrome, id, &Fields(fields), Errors::default());
    Ok(render(&page)?.into_response())
}

/// `POST /delivery-models/{id}/edit` (admins).
pub async fn save(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let Posted { session, fields } = posted;
    let id = parse_id(&raw)?;
    let values: Vec<(String, String)> = ATTRIBUTES
        .iter()
        .map(|(code, _)| ((*code).to_string(), fields.get(code).to_string()))
        .collect();
    let result = state
        .app()
        .replace_delivery_model(
            &session.caller(),
            id,
            || DeliveryModel::parse(fields.get("name"), &values),
            None,
        )
        .await
        .map_err(Rejected::from);
    match result {
        Ok(_) => Ok(Redirect::to("/delivery-models?done=model-saved").into_response()),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            let chrome = Chrome::new(&state, &session, Section::DeliveryModels);
            Ok(render_status(
                status,
                &edit_page(chrome, id, &fields, errors),
            ))
        }
    }
}
