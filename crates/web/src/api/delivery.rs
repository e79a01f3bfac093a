//! `/api/v1/delivery-models`: the handbook's delivery-models reference table.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use partnerhub_domain::delivery::{DeliveryModel, ATTRIBUTES};
use partnerhub_store::DeliveryModelRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, ApiPath};
use crate::auth::Session;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// One delivery model (a column of the table).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryModelView {
    pub id: i64,
    pub position: i64,
    pub name: String,
    /// `state`, `tenants`, `installation_package`, `managed`, `billing_ownership`, `infrastructure_included`, `partners`, `sales_focus`, `pricing`
    pub attributes: BTreeMap<String, String>,
}

/// A delivery model to create or replace (admin).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryModelBody {
    pub name: String,
    #[serde(default)]
    pub position: Option<i64>,
    pub attributes: BTreeMap<String, String>,
}

pub fn view(r: &DeliveryModelRecord) -> DeliveryModelView {
    DeliveryModelView {
        id: r.id,
        position: r.position,
        name: r.model.name.clone(),
        attributes: ATTRIBUTES
            .iter()
            .zip(&r.model.values)
            .map(|((c, _), v)| ((*c).to_string(), v.clone()))
            .collect(),
    }
}

fn parse(body: &DeliveryModelBody) -> Result<DeliveryModel, partnerhub_domain::FieldErrors> {
    let values: Vec<(String, String)> = body
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    DeliveryModel::parse(&body.name, &values).map_err(|mut e| {
        for f in &mut e.0 {
            if f.field != "name" {
                f.field = format!("attributes.{}", f.field);
            }
        }
        e
    })
}

/// The table, in order.
#[utoipa::path(get, path = "/api/v1/delivery-models", tag = "delivery models", responses((status = 200, body = Vec<DeliveryModelView>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<Json<Vec<DeliveryModelView>>> {
    Ok(Json(
        state
            .app()
            .delivery_models(&session.caller())
            .await?
            .iter()
            .map(view)
            .collect(),
    ))
}

/// Add a delivery model (admin).
#[utoipa::path(post, path = "/api/v1/delivery-models", tag = "delivery models", request_body = DeliveryModelBody,
    responses((status = 201, body = DeliveryModelView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<DeliveryModelBody>,
) -> ApiResult<(StatusCode, Json<DeliveryModelView>)> {
    let rec = state
        .app()
        .add_delivery_model(&session.caller(), || parse(&body), body.position)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&rec))))
}

/// Replace a delivery model (admin).
#[utoipa::path(put, path = "/api/v1/delivery-models/{id}", tag = "delivery models", params(("id" = i64, Path, description = "Delivery model id")), request_body = DeliveryModelBody,
    responses((status = 200, body = DeliveryModelView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn replace(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DeliveryModelBody>,
) -> ApiResult<Json<DeliveryModelView>> {
    let rec = state
        .app()
        .replace_delivery_model(&session.caller(), id, || parse(&body), body.position)
        .await?;
    Ok(Json(view(&rec)))
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/delivery-models", routing::get(list).post(create))
        .route("/api/v1/delivery-models/{id}", routing::put(replace))
}
