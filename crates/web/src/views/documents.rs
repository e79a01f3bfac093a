//! Adding documents to a partner's shared-documents registry and removing them, from forms on
//! the partner page. A document that breaks a convention is still added; its warnings show.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use partnerhub_domain::documents::DocumentInput;

use super::forms::{parse_id, Posted, Rejected};
use super::layout::PageResult;
use super::partner_page::{partner_page, DocumentForm, Extras};
use crate::state::AppState;

/// `POST /partners/{id}/documents`.
pub async fn add(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let Posted { session, fields } = posted;
    let id = parse_id(&raw)?;
    let input = DocumentInput {
        title: fields.get("title"),
        url: fields.get("url"),
        audience: fields.get("audience"),
        sharing: fields.get("sharing"),
        folder: fields.get("folder"),
    };
    let result = state
        .app()
        .add_document(&session.caller(), id, &input)
        .await
        .map_err(Rejected::from);
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/partners/{id}?done=document-added#documents")).into_response(),
        ),
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            let extras = Extras {
                doc_form: Some(DocumentForm::filled(fields, errors)),
                delete_error: None,
                done: None,
            };
            partner_page(&state, &session, id, status, extras).await
        }
    }
}

/// `POST /partners/{id}/documents/{doc_id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path((raw, raw_doc)): Path<(String, String)>,
    posted: Posted,
) -> PageResult {
    let session = posted.session;
    let id = parse_id(&raw)?;
    let doc_id = parse_id(&raw_doc)?;
    state
        .app()
        .remove_document(&session.caller(), id, doc_id)
        .await?;
    Ok(Redirect::to(&format!("/partners/{id}?done=document-deleted#documents")).into_response())
}
