//! `/api/v1/organizations`: the vendor, partner and customer organizations a session may see.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use partnerhub_app::registry::organizations::OrganizationInput;
use partnerhub_domain::organization::OrgKind;
use partnerhub_store::Organization;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{rfc3339, ApiJson, ApiPath, ApiQuery, Page, Paging};
use crate::auth::Session;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// An organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: i64,
    /// `vendor` | `partner` | `customer`
    pub kind: String,
    pub name: String,
    pub domains: Vec<String>,
    pub created_at: String,
}

/// A customer organization to create (partners are created through `/api/v1/partners`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBody {
    pub name: String,
    /// `customer`
    pub kind: String,
    #[serde(default)]
    pub domains: Vec<String>,
}

/// Filters of the organization list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrganizationQuery {
    /// `vendor` | `partner` | `customer`
    pub kind: Option<String>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

pub fn view(o: &Organization) -> OrganizationView {
    OrganizationView {
        id: o.id,
        kind: o.kind.code().to_string(),
        name: o.name.clone(),
        domains: o.domains.clone(),
        created_at: rfc3339(o.created_at),
    }
}

/// Organizations the session may see (partner and customer users: their own).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(OrganizationQuery),
    responses((status = 200, body = Page<OrganizationView>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<OrganizationQuery>,
) -> ApiResult<Json<Page<OrganizationView>>> {
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(
            OrgKind::parse("kind", k).map_err(|e| ApiError::bad_request(&e.field, e.message))?,
        ),
        None => None,
    };
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let (orgs, total) = state
        .app()
        .organizations(
            &session.caller(),
            kind,
            per_page,
            super::offset(page, per_page),
        )
        .await?;
    Ok(Json(Page {
        items: orgs.iter().map(view).collect(),
        page,
        per_page,
        total,
    }))
}

/// One organization.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrganizationView>> {
    Ok(Json(view(
        &state.app().organization(&session.caller(), id).await?,
    )))
}

/// Create a customer organization.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrganizationBody,
    responses((status = 201, body = OrganizationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<OrganizationBody>,
) -> ApiResult<(StatusCode, Json<OrganizationView>)> {
    let input = OrganizationInput {
        name: body.name,
        kind: body.kind,
        domains: body.domains,
    };
    let org = state
        .app()
        .create_organization(&session.caller(), &input)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&org))))
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations", routing::get(list).post(create))
        .route("/api/v1/organizations/{id}", routing::get(get))
}
