//! `/api/v1/partners`: the partner registry as JSON, plus CSV export and import.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use partnerhub_domain::access::Action;
use partnerhub_domain::partner::{ContactInput, PartnerDraft, PartnerInput, ScoreInput};
use partnerhub_domain::scorecard::{Criterion, Weights};
use partnerhub_domain::taxonomy::{Category, Family, PartnerStatus, Track};
use partnerhub_domain::{FieldError, FieldErrors};
use partnerhub_store::{PartnerFilter, PartnerRecord};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{rfc3339, ApiJson, ApiPath, ApiQuery, Page};
use crate::auth::Session;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// A partner as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerView {
    /// The partner organization's id.
    pub id: i64,
    pub name: String,
    pub domains: Vec<String>,
    /// `technology` | `services` | `reseller`
    pub family: String,
    /// `platform_cloud`, `platform_kubernetes`, `integrated`, `sell_to`, `upstream`, `global_si`, `regional_si`, `boutique_si`, `msp`, `var_vad`, `dmr`, `training`
    pub category: String,
    /// `inbound` | `outbound` (integrated partners only)
    pub integration_direction: Option<String>,
    /// One of the handbook's core outbound integrations (GitHub, Bitbucket, Jira, Jenkins).
    pub core_outbound: bool,
    /// `open` | `select`
    pub track: String,
    /// `prospect` | `active` | `inactive`
    pub status: String,
    /// Derived from the family: `licensing_support_sales` | `services_sales` | `resale`
    pub monetization: String,
    /// 1 = platform partners, 2 = core outbound integrations, 3 = the rest.
    pub priority: u8,
    pub partner_manager: Option<ManagerView>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub contacts: Vec<ContactBody>,
    /// The vendor's assessment; `null` for partner users, who do not see it.
    pub scorecard: Option<ScorecardView>,
    /// Increases on every change; send it back as `version` in a PATCH to detect concurrent edits.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The vendor user who manages the partnership.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerView {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// A contact at the partner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// One criterion's score in a request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    /// `exposure`, `product_usage_familiarity`, `adoption`, `revenue`, `strategic`, `alignment`
    pub criterion: String,
    /// 0–5
    pub score: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// The scorecard with its weighted total.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardView {
    pub criteria: Vec<CriterionView>,
    /// Σ weight × score.
    pub weighted: f64,
    /// The weighted total with every criterion at 5.
    pub max: f64,
    /// `weighted / max` in percent.
    pub percent: f64,
    /// How many criteria are scored.
    pub scored: usize,
}

/// One criterion of the scorecard.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionView {
    pub criterion: String,
    pub label: String,
    pub weight: f64,
    pub score: Option<u8>,
    pub note: Option<String>,
}

/// A partner to create, or the fields to change (PATCH: only the fields present change; `null`
/// or `""` clears an optional field).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domains: Option<Vec<String>>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub integration_direction: Option<String>,
    #[serde(default)]
    pub track: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// A vendor user's id; `null` unassigns the manager.
    #[serde(default, deserialize_with = "nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub partner_manager_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    pub website: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<String>,
    #[serde(default)]
    pub contacts: Option<Vec<ContactBody>>,
    #[serde(default)]
    pub scorecard: Option<Vec<ScoreBody>>,
    /// PATCH only: the version the change is based on.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A present id that is `null` becomes `Some(None)`, which clears it.
fn nullable_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::<i64>::deserialize(d)?))
}

/// A present field that is `null` becomes `Some("")`, which clears it.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?.unwrap_or_default()))
}

impl PartnerBody {
    pub fn into_input(self) -> PartnerInput {
        PartnerInput {
            name: self.name,
            domains: self.domains,
            family: self.family,
            category: self.category,
            integration_direction: self.integration_direction,
            track: self.track,
            status: self.status,
            partner_manager_id: self.partner_manager_id,
            website: self.website,
            description: self.description,
            contacts: self.contacts.map(|cs| {
                cs.into_iter()
                    .map(|c| ContactInput {
                        name: c.name,
                        email: c.email,
                        title: c.title,
                        phone: c.phone,
                    })
                    .collect()
            }),
            scorecard: self.scorecard.map(|ss| {
                ss.into_iter()
                    .map(|s| ScoreInput {
                        criterion: s.criterion,
                        score: s.score,
                        note: s.note,
                    })
                    .collect()
            }),
        }
    }
}

/// Filters of the partner list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartnerQuery {
    /// `technology` | `services` | `reseller`
    pub family: Option<String>,
    pub category: Option<String>,
    /// `open` | `select`
    pub track: Option<String>,
    /// `prospect` | `active` | `inactive`
    pub status: Option<String>,
    /// Substring of the name or of a domain.
    pub q: Option<String>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

impl PartnerQuery {
    /// Parses the filters, naming the bad parameter.
    pub fn filter(&self) -> Result<PartnerFilter, ApiError> {
        let mut errs = FieldErrors::default();
        fn opt<T>(
            errs: &mut FieldErrors,
            v: &Option<String>,
            parse: impl Fn(&str) -> Result<T, FieldError>,
        ) -> Option<T> {
            v.as_deref()
                .filter(|s| !s.is_empty())
                .and_then(|s| errs.take(parse(s)))
        }
        let family = opt(&mut errs, &self.family, |s| Family::parse("family", s));
        let category = opt(&mut errs, &self.category, |s| {
            Category::parse("category", s)
        });
        let track = opt(&mut errs, &self.track, |s| Track::parse("track", s));
        let status = opt(&mut errs, &self.status, |s| {
            PartnerStatus::parse("status", s)
        });
        if self.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            errs.push(FieldError::too_long("q", 200));
        }
        let (page, per_page) = super::Paging {
            page: self.page,
            per_page: self.per_page,
        }
        .resolve()?;
        if !errs.is_empty() {
            let mut e = ApiError::from(errs);
            e.status = StatusCode::BAD_REQUEST;
            return Err(e);
        }
        Ok(PartnerFilter {
            family,
            category,
            track,
            status,
            q: self.q.clone(),
            page,
            per_page,
        })
    }
}

/// The scorecard of a profile with its weighted total.
pub fn scorecard_view(d: &PartnerDraft, weights: &Weights) -> ScorecardView {
    let total = d.scorecard.total(weights);
    ScorecardView {
        criteria: Criterion::ALL
            .iter()
            .map(|c| {
                let s = d.scorecard.get(*c);
                CriterionView {
                    criterion: c.code().to_string(),
                    label: c.label().to_string(),
                    weight: weights.weight(*c),
                    score: s.map(|s| s.score),
                    note: s.and_then(|s| s.note.clone()),
                }
            })
            .collect(),
        weighted: total.weighted,
        max: total.max,
        percent: total.percent,
        scored: total.scored,
    }
}

/// The API view of a stored partner; `with_scorecard` only for those who may read it.
pub fn view(p: &PartnerRecord, weights: &Weights, with_scorecard: bool) -> PartnerView {
    let d = &p.draft;
    PartnerView {
        id: p.id,
        name: d.name.as_str().to_string(),
        domains: d.domains.iter().map(|x| x.as_str().to_string()).collect(),
        family: d.family().code().to_string(),
        category: d.classification.category.code().to_string(),
        integration_direction: d.classification.direction.map(|x| x.code().to_string()),
        core_outbound: d.core_outbound(),
        track: d.track.code().to_string(),
        status: d.status.code().to_string(),
        monetization: d.monetization().code().to_string(),
        priority: d.priority(),
        partner_manager: p.manager.as_ref().map(|m| ManagerView {
            id: m.id,
            name: m.name.clone(),
            email: m.email.clone(),
        }),
        website: d.website.clone(),
        description: d.description.clone(),
        contacts: d
            .contacts
            .iter()
            .map(|c| ContactBody {
                name: c.name.clone(),
                email: c.email.as_str().to_string(),
                title: c.title.clone(),
                phone: c.phone.clone(),
            })
            .collect(),
        scorecard: with_scorecard.then(|| scorecard_view(d, weights)),
        version: p.version,
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    }
}

/// List partners (platform partners first), filtered and paged.
#[utoipa::path(get, path = "/api/v1/partners", tag = "partners", params(PartnerQuery),
    responses((status = 200, body = Page<PartnerView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<PartnerQuery>,
) -> ApiResult<impl IntoResponse> {
    session.authorize(Action::ListPartners, None)?;
    let filter = q.filter()?;
    let scope = session.scope();
    // The same page for the same scope and filters is the same bytes until the next change.
    let marker = match session.marker {
        Some(m) => m,
        None => state.store().change_marker().await?,
    };
    let cache = state.cache();
    cache.observe(marker);
    let key = format!(
        "{scope:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}",
        filter.family,
        filter.category,
        filter.track,
        filter.status,
        filter.q,
        filter.page,
        filter.per_page
    );
    let body = match cache.page(&key) {
        Some(body) => body,
        None => {
            let page = state.app().partners(&session.caller(), &filter).await?;
            let weights = &state.app().config().weights;
            // Role-dependent content is fine in the cache: the key's scope is `All` only for
            // staff, who all may read scorecards.
            let scorecard = session.may(Action::ReadScorecard);
            let json = serde_json::to_vec(&Page {
                items: page
                    .items
                    .iter()
                    .map(|p| view(p, weights, scorecard))
                    .collect(),
                page: filter.page,
                per_page: filter.per_page,
                total: page.total,
            })
            .map_err(|e| {
                tracing::error!(error = %e, "encoding the partner list");
                ApiError::internal()
            })?;
            let body = Bytes::from(json);
            cache.put_page(marker, key, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body))
}

/// One partner.
#[utoipa::path(get, path = "/api/v1/partners/{id}", tag = "partners", params(("id" = i64, Path, description = "Partner id")),
    responses((status = 200, body = PartnerView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PartnerView>> {
    let p = state.app().partner(&session.caller(), id).await?;
    Ok(Json(view(
        &p,
        &state.app().config().weights,
        session.may(Action::ReadScorecard),
    )))
}

/// Create a partner organization with its profile.
#[utoipa::path(post, path = "/api/v1/partners", tag = "partners", request_body = PartnerBody,
    responses((status = 201, body = PartnerView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<PartnerBody>,
) -> ApiResult<impl IntoResponse> {
    if body.version.is_some() {
        return Err(ApiError::bad_request(
            "version",
            "version is only for updates",
        ));
    }
    let input = body.into_input();
    let p = state
        .app()
        .create_partner(&session.caller(), || PartnerDraft::parse(&input))
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/partners/{}", p.id))],
        Json(view(
            &p,
            &state.app().config().weights,
            session.may(Action::ReadScorecard),
        )),
    ))
}

/// Change some fields of a partner; the result is validated as a whole.
#[utoipa::path(patch, path = "/api/v1/partners/{id}", tag = "partners", params(("id" = i64, Path, description = "Partner id")), request_body = PartnerBody,
    responses((status = 200, body = PartnerView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PartnerBody>,
) -> ApiResult<Json<PartnerView>> {
    let version = body.version;
    let patch = body.into_input();
    // The patch applies to the stored profile the operation read.
    let p = state
        .app()
        .update_partner(&session.caller(), id, version, |current| {
            PartnerDraft::parse(&current.draft.to_input().apply(patch))
        })
        .await?;
    Ok(Json(view(
        &p,
        &state.app().config().weights,
        session.may(Action::ReadScorecard),
    )))
}

/// Delete a partner organization (refused while users belong to it).
#[utoipa::path(delete, path = "/api/v1/partners/{id}", tag = "partners", params(("id" = i64, Path, description = "Partner id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app().delete_partner(&session.caller(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every partner matching the filters as CSV.
///
/// At most 100 000 rows: a larger match is refused (422), asking to narrow the filters.
#[utoipa::path(get, path = "/api/v1/partners/export.csv", tag = "partners", params(PartnerQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn export_csv(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<PartnerQuery>,
) -> ApiResult<impl IntoResponse> {
    let body = state
        .app()
        .export_partners(&session.caller(), &q.filter()?)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"partners.csv\"",
            ),
        ],
        body,
    ))
}

/// The result of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub imported: usize,
    pub ids: Vec<i64>,
}

/// Import partners from CSV (`text/csv` body, header row first). Every row is validated before
/// anything is written; one bad row rejects the whole file, naming its line and field.
#[utoipa::path(post, path = "/api/v1/partners/import", tag = "partners", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportResult), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn import_csv(
    State(state): State<AppState>,
    session: Session,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let ids = state
        .app()
        .import_partners(&session.caller(), &body)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ImportResult {
            imported: ids.len(),
            ids,
        }),
    ))
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/partners", routing::get(list).post(create))
        .route("/api/v1/partners/export.csv", routing::get(export_csv))
        .route("/api/v1/partners/import", routing::post(import_csv))
        .route(
            "/api/v1/partners/{id}",
            routing::get(get).patch(update).delete(remove),
        )
}
