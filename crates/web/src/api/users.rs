//! `/api/v1/users` (admin), `/api/v1/me` and `/api/v1/tokens` (each user's own API tokens).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use partnerhub_domain::access::Action;
use partnerhub_domain::organization::{person_name, EmailAddress, Role};
use partnerhub_domain::{credentials, FieldError, FieldErrors};
use partnerhub_store::{ApiTokenRecord, NewUser, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{rfc3339, ApiJson, ApiPath, ApiQuery, Page, Paging};
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

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
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub email: String,
    pub name: String,
    pub role: String,
    /// The organization; staff roles default to the vendor.
    #[serde(default)]
    pub org_id: Option<i64>,
    /// At least 12 characters; omit for a token-only account.
    #[serde(default)]
    pub password: Option<String>,
}

/// A token to issue for yourself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub label: String,
    /// Days until it expires (1–3650); omit for none.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// A token's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub label: String,
    pub created_at: String,
    pub expires_at: Option<i64>,
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
    }
}

pub fn token_view(t: &ApiTokenRecord) -> TokenView {
    TokenView {
        id: t.id,
        label: t.label.clone(),
        created_at: rfc3339(t.created_at),
        expires_at: t.expires_at,
        last_used_at: t.last_used_at.map(rfc3339),
        revoked: t.revoked_at.is_some(),
    }
}

/// Checks a new account as the API and the admin page both submit it. Staff roles default to
/// `vendor_org`; partner and customer users must name their organization. Returns the user
/// (without a password hash) and the password to hash, if any.
pub fn parse_new_user(
    email: &str,
    name: &str,
    role: &str,
    org_id: Option<i64>,
    password: Option<&str>,
    vendor_org: i64,
) -> Result<(NewUser, Option<String>), FieldErrors> {
    let mut errs = FieldErrors::default();
    let email = errs.take(EmailAddress::parse("email", email));
    let name = errs.take(person_name("name", name));
    let role = errs.take(Role::parse("role", role));
    let password = password.filter(|p| !p.is_empty());
    if let Some(pw) = password {
        errs.take(credentials::check_password("password", pw));
    }
    let org_id = match (org_id, role) {
        (Some(id), _) => Some(id),
        (None, Some(r)) if r.is_staff() => Some(vendor_org),
        (None, Some(_)) => errs.take(Err(FieldError::new(
            "org_id",
            "required",
            "partner and customer users need their organization",
        ))),
        (None, None) => None,
    };
    match (email, name, role, org_id) {
        (Some(email), Some(name), Some(role), Some(org_id)) if errs.is_empty() => Ok((
            NewUser {
                email,
                name,
                role,
                org_id,
                password_hash: None,
            },
            password.map(str::to_string),
        )),
        _ => Err(errs),
    }
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(session: Session) -> Json<UserView> {
    Json(view(&session.user))
}

/// Every user (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(Paging),
    responses((status = 200, body = Page<UserView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Page<UserView>>> {
    session.authorize(Action::ManageUsers, None)?;
    let (page, per_page) = p.resolve()?;
    let (users, total) = state
        .store()
        .users(None, per_page, super::offset(page, per_page))
        .await?;
    Ok(Json(Page {
        items: users.iter().map(view).collect(),
        page,
        per_page,
        total,
    }))
}

/// Create a user (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserBody,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<UserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    session.authorize(Action::ManageUsers, None)?;
    let (mut new, password) = parse_new_user(
        &body.email,
        &body.name,
        &body.role,
        body.org_id,
        body.password.as_deref(),
        session.user.org_id,
    )?;
    if let Some(pw) = password {
        new.password_hash = Some(auth::hash_password(&pw).map_err(|_| ApiError::internal())?);
    }
    let user = state.store().create_user(&session.who(), &new).await?;
    Ok((StatusCode::CREATED, Json(view(&user))))
}

/// Your API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenView>)), security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<Json<Vec<TokenView>>> {
    session.authorize(Action::ManageOwnTokens, None)?;
    let tokens = state.store().tokens(Some(session.user.id)).await?;
    Ok(Json(tokens.iter().map(token_view).collect()))
}

/// Issue yourself a token; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenBody,
    responses((status = 201, body = IssuedToken), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn issue_token(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    session.authorize(Action::ManageOwnTokens, None)?;
    let label = credentials::token_label("label", &body.label)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expires_at = match body.expires_in_days {
        Some(d) => Some(credentials::token_expiry("expires_in_days", d, now)?),
        None => None,
    };
    let token = auth::new_api_token();
    let rec = state
        .store()
        .create_token(
            &session.who(),
            session.user.id,
            &label,
            &auth::secret_hash(&token),
            expires_at,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token,
            meta: token_view(&rec),
        }),
    ))
}

/// Revoke one of your tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    session.authorize(Action::ManageOwnTokens, None)?;
    state
        .store()
        .revoke_token(&session.who(), Some(session.user.id), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
