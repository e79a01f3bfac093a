//! Signing in and out. The sign-in form is protected by a double-submit cookie (there is no
//! session yet to hold a CSRF token); signing out is an ordinary CSRF-checked form.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::forms::{read_fields, Posted};
use super::layout::{render_status, PageResult, ViewError};
use crate::auth::{self, AuthRejection, Session, SignIn};
use crate::state::AppState;

/// The cookie holding the sign-in form's token; scoped to `/login` and never readable by scripts.
const LOGIN_CSRF_COOKIE: &str = "partnerhub_login_csrf";

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
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Response {
    let csrf = auth::new_secret();
    let secure = if state.config().cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    );
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
    session: Result<Session, AuthRejection>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if session.is_ok() {
        return Redirect::to(next).into_response();
    }
    login_page(&state, StatusCode::OK, next, "", None)
}

/// `POST /login`: checks the form token against its cookie, then the credentials.
pub async fn submit(State(state): State<AppState>, req: Request) -> PageResult {
    let (parts, body) = req.into_parts();
    // The limiter counts per address; a server run without connect info shares one bucket.
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded: Vec<&[u8]> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let ip = auth::client_ip(peer, &forwarded, &state.config().trusted_proxies);
    let cookie = auth::cookie(&parts, LOGIN_CSRF_COOKIE).map(str::to_string);
    let fields = match read_fields(Request::from_parts(parts, body), &state).await {
        Ok(f) => f,
        Err(res) => return Ok(res),
    };
    let next = safe_next(fields.opt("next")).to_string();
    let email = fields.get("email").trim().to_string();
    let token_ok = match (cookie.as_deref(), fields.opt("csrf_token")) {
        (Some(c), Some(f)) => !c.is_empty() && auth::constant_time_eq(c, f),
        _ => false,
    };
    if !token_ok {
        return Ok(login_page(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            &email,
            Some("The sign-in form expired. Please sign in again.".into()),
        ));
    }
    match auth::sign_in(&state, &ip, &email, fields.get("password")).await {
        Ok(SignIn::Ok { secret, .. }) => {
            let clear =
                format!("{LOGIN_CSRF_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
            Ok((
                AppendHeaders([
                    (SET_COOKIE, auth::session_set_cookie(&state, &secret)),
                    (SET_COOKIE, clear),
                ]),
                Redirect::to(&next),
            )
                .into_response())
        }
        Ok(SignIn::Rejected) => Ok(login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            &email,
            Some("Wrong email or password.".into()),
        )),
        Ok(SignIn::Limited) => Ok(login_page(
            &state,
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
pub async fn logout(State(state): State<AppState>, parts: Parts, _: Posted) -> PageResult {
    let name = auth::session_cookie_name(state.config().cookie_secure);
    if let Some(secret) = auth::cookie(&parts, name) {
        state
            .store()
            .delete_session(&auth::secret_hash(secret))
            .await?;
    }
    Ok((
        [(SET_COOKIE, auth::session_clear_cookie(&state))],
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
