//! `/api/v1/users` (admin: accounts, deactivation, moves), `/api/v1/me` and `/api/v1/tokens`
//! (each user's own API tokens).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use partnerhub_app::accounts::users::NewUserInput;
use partnerhub_domain::organization::Role;
use partnerhub_store::{ApiTokenRecord, User, UserFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{rfc3339, ApiJson, ApiPath, ApiQuery, Page, Paging};
use crate::auth::Session;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::routing;
use axum::Router;

/// A user account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// `admin` | `alliances` | `support` | `finance` | `partner` | `customer`
    pub role: String,
    pub org_id: i64,
    pub org_name: String,
    pub active: bool,
    pub created_at: String,
    /// When the user last signed in with a password (RFC 3339), if ever.
    pub last_login_at: Option<String>,
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 200)]
    pub name: String,
    /// `admin` | `alliances` | `support` | `finance` | `partner` | `customer`
    pub role: String,
    /// The organization; staff roles default to the vendor.
    #[serde(default)]
    pub org_id: Option<i64>,
    /// At least 12 characters, not a common password; omit for a token-only account.
    #[serde(default)]
    #[schema(max_length = 1024)]
    pub password: Option<String>,
}

/// Where to move a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// Another organization of the user's kind (partner or customer).
    pub org_id: i64,
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Users of one organization.
    pub org_id: Option<i64>,
    /// `admin` | `alliances` | `support` | `finance` | `partner` | `customer`
    pub role: Option<String>,
    /// Only active (`true`) or only deactivated (`false`) users.
    pub active: Option<bool>,
    /// Substring of the email address or the name.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// A token to issue for yourself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
    /// Days until it expires; omit for none.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// A token's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub label: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; `null` for a token that does not expire.
    pub expires_at: Option<String>,
    /// RFC 3339.
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

/// A newly issued token: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub meta: TokenView,
}

pub fn view(u: &User) -> UserView {
    UserView {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role.code().to_string(),
        org_id: u.org_id,
        org_name: u.org_name.clone(),
        active: u.active,
        created_at: rfc3339(u.created_at),
        last_login_at: u.last_login_at.map(rfc3339),
    }
}

pub fn token_view(t: &ApiTokenRecord) -> TokenView {
    TokenView {
        id: t.id,
        label: t.label.clone(),
        created_at: rfc3339(t.created_at),
        expires_at: t
            .expires_at
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .map(rfc3339),
        last_used_at: t.last_used_at.map(rfc3339),
        revoked: t.revoked_at.is_some(),
    }
}

impl UserQuery {
    /// The store's filter, naming a bad parameter.
    pub fn filter(&self) -> Result<(UserFilter, i64, i64), ApiError> {
        let (page, per_page) = Paging {
            page: self.page,
            per_page: self.per_page,
        }
        .resolve()?;
        let role = match self.role.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => {
                Some(Role::parse("role", r).map_err(|e| ApiError::bad_request("role", e.message))?)
            }
            None => None,
        };
        if self.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiError::bad_request(
                "q",
                "q must be at most 200 characters",
            ));
        }
        Ok((
            UserFilter {
                org_id: self.org_id,
                role,
                active: self.active,
                q: self.q.clone(),
                limit: per_page,
                offset: super::offset(page, per_page),
            },
            page,
            per_page,
        ))
    }
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(session: Session) -> Json<UserView> {
    Json(view(&session.user))
}

/// Users, filtered and paged (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Page<UserView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<Page<UserView>>> {
    let (filter, page, per_page) = q.filter()?;
    let (users, total) = state.app().users(&session.caller(), &filter).await?;
    Ok(Json(Page {
        items: users.iter().map(view).collect(),
        page,
        per_page,
        total,
    }))
}

/// One user (admin).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(view(&state.app().user(&session.caller(), id).await?)))
}

/// Create a user (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserBody,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<UserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let input = NewUserInput {
        email: body.email,
        name: body.name,
        role: body.role,
        org_id: body.org_id,
        password: body.password,
    };
    let user = state.app().create_user(&session.caller(), &input).await?;
    Ok((StatusCode::CREATED, Json(view(&user))))
}

/// Deactivate a user (admin): its sessions end and its tokens are revoked. You cannot
/// deactivate yourself.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn deactivate(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user = state
        .app()
        .set_user_active(&session.caller(), id, false)
        .await?;
    Ok(Json(view(&user)))
}

/// Reactivate a user (admin); tokens revoked at deactivation stay revoked.
#[utoipa::path(post, path = "/api/v1/users/{id}/activate", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user = state
        .app()
        .set_user_active(&session.caller(), id, true)
        .await?;
    Ok(Json(view(&user)))
}

/// Move a partner or customer user to another organization of its kind (admin).
#[utoipa::path(post, path = "/api/v1/users/{id}/move", tag = "users", params(("id" = i64, Path, description = "User id")), request_body = MoveBody,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody)), security(("bearer" = [])))]
pub async fn move_user(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MoveBody>,
) -> ApiResult<Json<UserView>> {
    let user = state
        .app()
        .move_user(&session.caller(), id, body.org_id)
        .await?;
    Ok(Json(view(&user)))
}

/// Your API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<Json<Vec<TokenView>>> {
    let tokens = state.app().own_tokens(&session.caller()).await?;
    Ok(Json(tokens.iter().map(token_view).collect()))
}

/// Issue yourself a token; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenBody,
    responses((status = 201, body = IssuedToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn issue_token(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let issued = state
        .app()
        .issue_token(
            &session.caller(),
            session.user.id,
            &body.label,
            body.expires_in_days,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token: issued.secret,
            meta: token_view(&issued.record),
        }),
    ))
}

/// Revoke one of your tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app().revoke_own_token(&session.caller(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This resource's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", routing::get(list).post(create))
        .route("/api/v1/users/{id}", routing::get(get))
        .route("/api/v1/users/{id}/deactivate", routing::post(deactivate))
        .route("/api/v1/users/{id}/activate", routing::post(activate))
        .route("/api/v1/users/{id}/move", routing::post(move_user))
        .route(
            "/api/v1/tokens",
            routing::get(list_tokens).post(issue_token),
        )
        .route("/api/v1/tokens/{id}", routing::delete(revoke_token))
}
