//! Authentication and the authorization choke point.
//!
//! A request is authenticated by a bearer API token or a session cookie, and becomes a
//! [`Session`]. Every handler asks [`Session::authorize`] (which applies the domain's policy)
//! before touching data, or passes [`Session::caller`] to an operation that does. Cookie-
//! authenticated writes must carry the session's CSRF token.

use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use partnerhub_app::secrets::{constant_time_eq, secret_hash};
use partnerhub_app::Caller;
use partnerhub_domain::access::{Action, Actor, Scope};
use partnerhub_store::{User, Who};

use crate::cache::CachedToken;
use crate::client::Client;
use crate::error::ApiError;
use crate::state::AppState;

/// The cookies Partnerhub sets, and how: every one `HttpOnly` and `SameSite`, and `Secure` with
/// a `__Host-` (path `/`) or `__Secure-` prefix when the client came over HTTPS. Setting and
/// clearing a cookie carry the same flags.
#[derive(Debug, Clone, Copy)]
pub struct CookieSpec {
    name: &'static str,
    path: &'static str,
    same_site: &'static str,
}

/// The session cookie.
pub const SESSION_COOKIE: CookieSpec = CookieSpec {
    name: "partnerhub_session",
    path: "/",
    same_site: "Lax",
};

/// The sign-in form's double-submit token, sent only to `/login`.
pub const LOGIN_CSRF_COOKIE: CookieSpec = CookieSpec {
    name: "partnerhub_login_csrf",
    path: "/login",
    same_site: "Strict",
};

impl CookieSpec {
    pub const fn new(name: &'static str, path: &'static str, same_site: &'static str) -> Self {
        Self {
            name,
            path,
            same_site,
        }
    }

    /// The cookie's name for a client: prefixed when secure, so a cookie planted over plain
    /// HTTP can never stand in for it.
    pub fn name(&self, secure: bool) -> String {
        match (secure, self.path) {
            (false, _) => self.name.to_string(),
            (true, "/") => format!("__Host-{}", self.name),
            (true, _) => format!("__Secure-{}", self.name),
        }
    }

    /// The `Set-Cookie` value setting `value` for `max_age` seconds.
    pub fn set(&self, secure: bool, value: &str, max_age: i64) -> String {
        format!(
            "{}={value}; Path={}; HttpOnly; SameSite={}; Max-Age={max_age}{}",
            self.name(secure),
            self.path,
            self.same_site,
            if secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that removes the cookie, with the flags it was set with.
    pub fn clear(&self, secure: bool) -> String {
        self.set(secure, "", 0)
    }

    /// The cookie's value in a request.
    pub fn read<'a>(&self, parts: &'a Parts, secure: bool) -> Option<&'a str> {
        cookie(parts, &self.name(secure))
    }
}

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Token,
    /// A browser session, with its CSRF token.
    Cookie {
        csrf: String,
    },
}

/// An authenticated request.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub via: Via,
    /// The store's change marker read while authenticating, when it was (bearer tokens), so
    /// cached reads later in the request need not read it again.
    pub marker: Option<i64>,
}

impl Session {
    /// The domain's view of the person acting.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id,
            role: self.user.role,
            org_id: self.user.org_id,
        }
    }

    /// The caller of an operation.
    pub fn caller(&self) -> Caller {
        Caller::User {
            actor: self.actor(),
            email: self.user.email.clone(),
        }
    }

    /// Which organizations this session may see; every list query takes it.
    pub fn scope(&self) -> Scope {
        self.actor().scope()
    }

    /// The choke point: may this session do `action` on data of `target_org`?
    pub fn authorize(&self, action: Action, target_org: Option<i64>) -> Result<(), ApiError> {
        self.actor()
            .authorize(action, target_org)
            .map_err(ApiError::from)
    }

    /// Whether the role may ever do `action` (for showing or hiding UI).
    pub fn may(&self, action: Action) -> bool {
        self.actor().may(action)
    }

    /// The audit log's record of who acted.
    pub fn who(&self) -> Who {
        self.caller().who()
    }

    /// The CSRF token forms of this session carry (empty for token sessions, which need none).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Cookie { csrf } => csrf,
            Via::Token => "",
        }
    }

    /// Checks a submitted CSRF token; token-authenticated requests need none.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), ApiError> {
        match &self.via {
            Via::Token => Ok(()),
            Via::Cookie { csrf } if submitted.is_some_and(|s| constant_time_eq(s, csrf)) => Ok(()),
            Via::Cookie { .. } => Err(ApiError::field(
                StatusCode::FORBIDDEN,
                "csrf",
                "csrf_token",
                "missing or wrong CSRF token; reload the page",
            )),
        }
    }
}

/// Why a request could not be authenticated; API paths get JSON, pages a redirect to sign-in.
pub enum AuthRejection {
    Api(ApiError),
    Page(String),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Api(e) => e.into_response(),
            AuthRejection::Page(next) => Redirect::to(&format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .into_response(),
        }
    }
}

/// The value of a cookie in the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let is_api = parts.uri.path().starts_with("/api/");
        let reject = |e: ApiError| {
            if is_api {
                AuthRejection::Api(e)
            } else {
                AuthRejection::Page(parts.uri.path().to_string())
            }
        };
        let store = state.store();
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            let Some(token) = token else {
                return Err(reject(ApiError::unauthorized()));
            };
            return match token_session(state, token).await {
                Ok(Some(session)) => Ok(session),
                Ok(None) => Err(reject(ApiError::unauthorized())),
                Err(e) => Err(reject(e)),
            };
        }
        let secure = Client::of(parts, state).secure;
        let Some(secret) = SESSION_COOKIE.read(parts, secure) else {
            return Err(reject(ApiError::unauthorized()));
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let record = store
            .session(&secret_hash(secret), now)
            .await
            .map_err(|e| reject(e.into()))?;
        let Some(record) = record else {
            return Err(reject(ApiError::unauthorized()));
        };
        let session = Session {
            marker: None,
            user: record.user,
            via: Via::Cookie {
                csrf: record.csrf_token,
            },
        };
        // API writes from a browser session must prove they come from our pages.
        if is_api && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let submitted = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            session.check_csrf(submitted).map_err(AuthRejection::Api)?;
        }
        Ok(session)
    }
}

/// Signs in with a bearer token, through the read cache: one one-row query when the token was
/// seen since the last change anywhere. A revoked token, a deactivated user or any other change
/// moves the store's marker, so nothing stale is served.
async fn token_session(state: &AppState, token: &str) -> Result<Option<Session>, ApiError> {
    let store = state.store();
    let cache = state.cache();
    let marker = store.change_marker().await?;
    cache.observe(marker);
    let hash = secret_hash(token);
    let now = partnerhub_store::now();
    let cached = match cache.token(&hash) {
        Some(c) => Some(c),
        None => match store.token_identity(&hash, now).await? {
            Some(id) => {
                let recently = id
                    .last_used_at
                    .is_some_and(|t| now - t < time::Duration::minutes(1));
                if !recently {
                    store.touch_token(id.token_id, now).await?;
                }
                let c = CachedToken {
                    user: id.user,
                    token_id: id.token_id,
                    expires_at: id.expires_at,
                    touched: Instant::now(),
                };
                cache.put_token(marker, hash.clone(), c.clone());
                Some(c)
            }
            None => None,
        },
    };
    let Some(c) = cached else { return Ok(None) };
    if c.expires_at.is_some_and(|e| e <= now.unix_timestamp()) {
        return Ok(None);
    }
    // Record use about once a minute; the write touches no cached data, so the marker stays.
    if c.touched.elapsed() > Duration::from_secs(60) {
        store.touch_token(c.token_id, now).await?;
        cache.put_token(
            marker,
            hash,
            CachedToken {
                touched: Instant::now(),
                ..c.clone()
            },
        );
    }
    Ok(Some(Session {
        user: c.user,
        via: Via::Token,
        marker: Some(marker),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_cookies_are_prefixed_and_cleared_with_the_flags_they_were_set_with() {
        assert_eq!(SESSION_COOKIE.name(true), "__Host-partnerhub_session");
        assert_eq!(SESSION_COOKIE.name(false), "partnerhub_session");
        assert_eq!(
            LOGIN_CSRF_COOKIE.name(true),
            "__Secure-partnerhub_login_csrf"
        );
        for spec in [SESSION_COOKIE, LOGIN_CSRF_COOKIE] {
            for secure in [true, false] {
                let set = spec.set(secure, "v", 60);
                let clear = spec.clear(secure);
                let flags = |c: &str| {
                    c.split("; ")
                        .skip(1)
                        .filter(|f| !f.starts_with("Max-Age"))
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                };
                assert_eq!(flags(&set), flags(&clear), "{set} / {clear}");
                assert_eq!(set.contains("; Secure"), secure);
                assert!(clear.contains("Max-Age=0"));
            }
        }
    }
}
