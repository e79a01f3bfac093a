//! `/api/v1/partners/{id}/documents`: the partner's shared-documents registry, with the
//! handbook's convention warnings on every entry.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use partnerhub_domain::documents::DocumentInput;
use partnerhub_store::DocumentRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{rfc3339, ApiJson, ApiPath};
use crate::auth::Session;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// A document entry with its convention warnings.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub partner_id: i64,
    pub title: String,
    pub url: String,
    /// `partner_shared` | `internal`
    pub audience: String,
    /// `anyone_with_link` | `vendor_only`
    pub sharing: String,
    pub folder: String,
    pub warnings: Vec<WarningView>,
    pub created_at: String,
}

/// A breach of the handbook's document conventions.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningView {
    /// `title_convention` | `partner_shared_not_open` | `internal_not_vendor_only` | `folder_convention`
    pub code: String,
    pub message: String,
}

/// A document to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    pub title: String,
    pub url: String,
    pub audience: String,
    pub sharing: String,
    pub folder: String,
}

/// The view of a document of `partner_name`.
pub fn view(d: &DocumentRecord, partner_name: &str, vendor: &str) -> DocumentView {
    let doc = &d.document;
    DocumentView {
        id: d.id,
        partner_id: d.partner_id,
        title: doc.title.clone(),
        url: doc.url.clone(),
        audience: doc.audience.code().to_string(),
        sharing: doc.sharing.code().to_string(),
        folder: doc.folder.clone(),
        warnings: doc
            .warnings(partner_name, vendor)
            .iter()
            .map(|w| WarningView {
                code: w.code().to_string(),
                message: w.message(),
            })
            .collect(),
        created_at: rfc3339(d.created_at),
    }
}

/// The partner's documents (partner users see only those shared with them).
#[utoipa::path(get, path = "/api/v1/partners/{id}/documents", tag = "documents", params(("id" = i64, Path, description = "Partner id")),
    responses((status = 200, body = Vec<DocumentView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DocumentView>>> {
    let (partner, docs) = state.app().documents(&session.caller(), id).await?;
    let vendor = &state.config().vendor_name;
    Ok(Json(
        docs.iter()
            .map(|d| view(d, partner.draft.name.as_str(), vendor))
            .collect(),
    ))
}

/// Register a document; the response carries any convention warnings.
#[utoipa::path(post, path = "/api/v1/partners/{id}/documents", tag = "documents", params(("id" = i64, Path, description = "Partner id")), request_body = DocumentBody,
    responses((status = 201, body = DocumentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DocumentBody>,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    let input = DocumentInput {
        title: &body.title,
        url: &body.url,
        audience: &body.audience,
        sharing: &body.sharing,
        folder: &body.folder,
    };
    let (partner, rec) = state
        .app()
        .add_document(&session.caller(), id, &input)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(
            &rec,
            partner.draft.name.as_str(),
            &state.config().vendor_name,
        )),
    ))
}

/// Remove a document from the registry.
#[utoipa::path(delete, path = "/api/v1/partners/{id}/documents/{doc_id}", tag = "documents",
    params(("id" = i64, Path, description = "Partner id"), ("doc_id" = i64, Path, description = "Document id")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    ApiPath((id, doc_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state
        .app()
        .remove_document(&session.caller(), id, doc_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/partners/{id}/documents",
            routing::get(list).post(create),
        )
        .route(
            "/api/v1/partners/{id}/documents/{doc_id}",
            routing::delete(remove),
        )
}
