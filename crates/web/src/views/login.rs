//! Signing in and out. The sign-in form is protected by a double-submit cookie (there is no
//! session yet to hold a CSRF token); signing out is an ordinary CSRF-checked form.

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use partnerhub_app::secrets::{constant_time_eq, new_secret};
use partnerhub_app::SignIn;
use serde::Deserialize;

use super::forms::{read_fields, Posted};
use super::layout::{render_status, PageResult, ViewError};
use crate::auth::{AuthRejection, Session, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::client::Client;
use crate::state::AppState;

/// Where to go after signing in when no (safe) destination was asked for.
const HOME: &str = "/partners";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    vendor: String,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only local paths: `/x` but never `//host` or `/\host`, which browsers treat as other sites.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => HOME,
    }
}

/// The sign-in page with a fresh form token in its cookie.
fn login_page(
    state: &AppState,
    client: &Client,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Response {
    let csrf = new_secret();
    let cookie = LOGIN_CSRF_COOKIE.set(client.secure, &csrf, 3600);
    let page = LoginPage {
        vendor: state.config().vendor_name.clone(),
        csrf,
        next: next.to_string(),
        email: email.to_string(),
        error,
    };
    let mut res = render_status(status, &page);
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

/// `GET /login`: the form, or straight on when already signed in.
pub async fn form(
    State(state): State<AppState>,
    client: Client,
    session: Result<Session, AuthRejection>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if session.is_ok() {
        return Redirect::to(next).into_response();
    }
    login_page(&state, &client, StatusCode::OK, next, "", None)
}

/// `POST /login`: checks the form token against its cookie, then the credentials.
pub async fn submit(State(state): State<AppState>, req: Request) -> PageResult {
    let (parts, body) = req.into_parts();
    // The limiter counts per address; a server run without connect info shares one bucket.
    let client = Client::of(&parts, &state);
    let cookie = LOGIN_CSRF_COOKIE
        .read(&parts, client.secure)
        .map(str::to_string);
    let fields = match read_fields(Request::from_parts(parts, body), &state).await {
        Ok(f) => f,
        Err(res) => return Ok(res),
    };
    let next = safe_next(fields.opt("next")).to_string();
    let email = fields.get("email").trim().to_string();
    let token_ok = match (cookie.as_deref(), fields.opt("csrf_token")) {
        (Some(c), Some(f)) => !c.is_empty() && constant_time_eq(c, f),
        _ => false,
    };
    if !token_ok {
        return Ok(login_page(
            &state,
            &client,
            StatusCode::FORBIDDEN,
            &next,
            &email,
            Some("The sign-in form expired. Please sign in again.".into()),
        ));
    }
    let outcome = state
        .app()
        .sign_in(&client.ip, &email, fields.get("password"))
        .await;
    match outcome {
        Ok(SignIn::Ok { secret, .. }) => {
            let max_age = state.app().config().session_hours * 3600;
            Ok((
                AppendHeaders([
                    (
                        SET_COOKIE,
                        SESSION_COOKIE.set(client.secure, &secret, max_age),
                    ),
                    (SET_COOKIE, LOGIN_CSRF_COOKIE.clear(client.secure)),
                ]),
                Redirect::to(&next),
            )
                .into_response())
        }
        Ok(SignIn::Rejected) => Ok(login_page(
            &state,
            &client,
            StatusCode::UNAUTHORIZED,
            &next,
            &email,
            Some("Wrong email or password.".into()),
        )),
        Ok(SignIn::Limited) => Ok(login_page(
            &state,
            &client,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &email,
            Some("Too many failed sign-ins. Wait 15 minutes, then try again.".into()),
        )),
        Err(e) => Err(ViewError::from(e)),
    }
}

/// `POST /logout`: ends the session in the database and in the browser.
/// (`Posted` has already proved the session and its CSRF token.)
pub async fn logout(
    State(state): State<AppState>,
    client: Client,
    parts: Parts,
    _: Posted,
) -> PageResult {
    if let Some(secret) = SESSION_COOKIE.read(&parts, client.secure) {
        state
            .app()
            .sign_out(secret, &client.ip)
            .await
            .map_err(ViewError::from)?;
    }
    Ok((
        [(SET_COOKIE, SESSION_COOKIE.clear(client.secure))],
        Redirect::to("/login"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/partners/3")), "/partners/3");
        assert_eq!(safe_next(Some("//evil.example")), HOME);
        assert_eq!(safe_next(Some("/\\evil.example")), HOME);
        assert_eq!(safe_next(Some("https://evil.example")), HOME);
        assert_eq!(safe_next(Some("/x\r\nSet-Cookie: a")), HOME);
        assert_eq!(safe_next(None), HOME);
    }
}
