//! The signed-in user's API tokens: issue one (its secret is shown once, on the result page),
//! see when each was last used, and revoke.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};

use super::forms::{parse_id, Errors, Fields, Posted, Rejected};
use super::layout::{render_status, Chrome, PageResult, Section};
use crate::api::rfc3339;
use crate::auth::Session;
use crate::state::AppState;

/// A token as listed.
pub struct TokenLine {
    pub id: i64,
    pub label: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenLine>,
    /// The secret of a token just issued: shown on this page only.
    issued: Option<String>,
    fields: Fields,
    errors: Errors,
}

impl TokensPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

fn day(t: time::OffsetDateTime) -> String {
    rfc3339(t).get(..10).unwrap_or_default().to_string()
}

async fn tokens_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    issued: Option<String>,
    fields: Fields,
    errors: Errors,
    done: Option<&str>,
) -> PageResult {
    let tokens = state
        .app()
        .own_tokens(&session.caller())
        .await?
        .iter()
        .map(|t| TokenLine {
            id: t.id,
            label: t.label.clone(),
            created: day(t.created_at),
            expires: t
                .expires_at
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .map(day)
                .unwrap_or_else(|| "never".into()),
            last_used: t.last_used_at.map(day).unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let page = TokensPage {
        chrome: Chrome::new(state, session, Section::Tokens).with_notice(done),
        tokens,
        issued,
        fields,
        errors,
    };
    let mut res = render_status(status, &page);
    // A page that may hold a secret must not linger in any cache.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// `GET /tokens`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let done = q.get("done").map(String::as_str);
    tokens_page(
        &state,
        &session,
        StatusCode::OK,
        None,
        Fields::default(),
        Errors::default(),
        done,
    )
    .await
}

/// `POST /tokens`: issues a token and shows its secret this once.
pub async fn issue(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { session, fields } = posted;
    // A non-number gets the same range error as a number out of range.
    let days = fields
        .non_blank("expires_in_days")
        .map(|raw| raw.trim().parse::<i64>().unwrap_or(0));
    let result = state
        .app()
        .issue_token(
            &session.caller(),
            session.user.id,
            fields.get("label"),
            days,
        )
        .await
        .map_err(Rejected::from);
    match result {
        Ok(issued) => {
            tokens_page(
                &state,
                &session,
                StatusCode::CREATED,
                Some(issued.secret),
                Fields::default(),
                Errors::default(),
                None,
            )
            .await
        }
        Err(Rejected::Page(e)) => Err(e),
        Err(Rejected::Fields(status, errors)) => {
            tokens_page(&state, &session, status, None, fields, errors, None).await
        }
    }
}

/// `POST /tokens/{id}/revoke`: only the owner's own tokens.
pub async fn revoke(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> PageResult {
    let session = posted.session;
    let id = parse_id(&raw)?;
    state.app().revoke_own_token(&session.caller(), id).await?;
    Ok(Redirect::to("/tokens?done=token-revoked").into_response())
}
