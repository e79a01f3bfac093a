//! Authentication and the authorization choke point.
//!
//! A request is authenticated by a bearer API token or a session cookie, and becomes a
//! [`Session`]. Every handler asks [`Session::authorize`] (which applies the domain's policy)
//! before touching data, and passes [`Session::scope`] to every list query. Cookie-authenticated
//! writes must carry the session's CSRF token.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use partnerhub_domain::access::{Action, Actor, Scope};
use partnerhub_store::{User, Who};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::cache::CachedToken;
use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie (with the `__Host-` prefix when cookies are secure).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-partnerhub_session"
    } else {
        "partnerhub_session"
    }
}

/// Hashes a password with Argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC string; a malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh random secret (256 bits, URL-safe base64).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How secrets (session ids, API tokens) are stored: SHA-256, hex. They are random and long,
/// so a fast hash is enough; what matters is that a database leak reveals no usable secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// An API token as printed to its owner: a recognisable prefix and the secret.
pub fn new_api_token() -> String {
    format!("phk_{}", new_secret())
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        Who {
            user_id: Some(self.user.id),
            label: self.user.email.clone(),
        }
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
        let name = session_cookie_name(state.config().cookie_secure);
        let Some(secret) = cookie(parts, name) else {
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

/// The client's address: the peer's, unless the peer is a trusted reverse proxy, in which case
/// the right-most `X-Forwarded-For` hop that is not itself a trusted proxy. `forwarded_for` holds
/// the header's lines in the order received: a proxy may append its own line after the client's
/// rather than extend it, so the hops are read from the last line's end backwards, and anything
/// further left than the first untrusted hop was written by the client and proves nothing.
/// IPv4-mapped IPv6 addresses compare as IPv4; hops may carry a port.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: &[&[u8]], trusted: &[IpAddr]) -> String {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return "unknown".to_string();
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let hops = forwarded_for
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(|&b| b == b','));
    for hop in hops {
        match hop_address(hop) {
            Some(ip) if is_trusted(&ip) => continue,
            Some(ip) => return ip.to_string(),
            // A hop that is not an address ends what can be believed.
            None => break,
        }
    }
    peer.to_string()
}

/// One `X-Forwarded-For` hop: an address, or an address and port (`1.2.3.4:80`, `[::1]:443`).
fn hop_address(hop: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(hop).ok()?.trim();
    let ip = text
        .parse::<IpAddr>()
        .or_else(|_| text.parse::<std::net::SocketAddr>().map(|a| a.ip()))
        .ok()?;
    Some(ip.to_canonical())
}

/// Counts failed sign-ins per (address, account) and refuses more than the limit within a window.
pub struct LoginLimiter {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            window: Duration::from_secs(15 * 60),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn key(ip: &str, email: &str) -> String {
        format!("{ip}|{}", email.trim().to_lowercase())
    }

    /// Whether another attempt is allowed now.
    pub fn allowed(&self, ip: &str, email: &str) -> bool {
        let Ok(map) = self.failures.lock() else {
            return false;
        };
        match map.get(&Self::key(ip, email)) {
            Some((n, since)) if since.elapsed() < self.window => *n < self.limit,
            _ => true,
        }
    }

    pub fn failed(&self, ip: &str, email: &str) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = map
            .entry(Self::key(ip, email))
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, ip: &str, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Self::key(ip, email));
        }
    }
}

/// The outcome of a sign-in attempt.
pub enum SignIn {
    /// Signed in: the cookie secret and its CSRF token.
    Ok {
        user: User,
        secret: String,
    },
    Rejected,
    Limited,
}

/// Checks credentials and opens a session. Unknown accounts take as long as known ones.
pub async fn sign_in(
    state: &AppState,
    ip: &str,
    email: &str,
    password: &str,
) -> Result<SignIn, ApiError> {
    let limiter = state.limiter();
    if !limiter.allowed(ip, email) {
        return Ok(SignIn::Limited);
    }
    let creds = state.store().user_credentials(email).await?;
    let (user, ok) = match creds {
        Some((user, Some(hash))) if user.active => {
            let ok = verify_password(&hash, password);
            (Some(user), ok)
        }
        _ => {
            // Spend the same work on a dummy hash so timing does not reveal accounts.
            let _ = verify_password(dummy_hash(), password);
            (None, false)
        }
    };
    match (user, ok) {
        (Some(user), true) => {
            limiter.succeeded(ip, email);
            let secret = new_secret();
            let expires = time::OffsetDateTime::now_utc().unix_timestamp()
                + state.config().session_hours * 3600;
            state
                .store()
                .create_session(user.id, &secret_hash(&secret), &new_secret(), expires)
                .await?;
            Ok(SignIn::Ok { user, secret })
        }
        _ => {
            limiter.failed(ip, email);
            Ok(SignIn::Rejected)
        }
    }
}

/// An Argon2 hash of a random password, verified against when the account is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret()).unwrap_or_default())
}

/// The `Set-Cookie` value of a session.
pub fn session_set_cookie(state: &AppState, secret: &str) -> String {
    let secure = state.config().cookie_secure;
    let max_age = state.config().session_hours * 3600;
    format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn session_clear_cookie(state: &AppState) -> String {
    let secure = state.config().cookie_secure;
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn the_client_address_comes_from_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let trusted = [proxy];
        let one = |h: &'static str| vec![h.as_bytes()];
        // Not behind a trusted proxy: the header is the client's own claim and is ignored.
        assert_eq!(
            client_ip(Some(client), &one("198.51.100.1"), &trusted),
            "203.0.113.9"
        );
        // Behind one: the last hop not a trusted proxy, whatever the client put further left.
        let header = one("198.51.100.1, 203.0.113.9, 10.0.0.2");
        assert_eq!(client_ip(Some(proxy), &header, &trusted), "203.0.113.9");
        assert_eq!(
            client_ip(Some(proxy), &one("2001:db8::7"), &trusted),
            "2001:db8::7"
        );
        // A proxy that adds its own header line after the client's forged one.
        let lines: Vec<&[u8]> = vec![b"198.51.100.1", b"203.0.113.9"];
        assert_eq!(client_ip(Some(proxy), &lines, &trusted), "203.0.113.9");
        // Hops with ports, bytes that are not text further left, IPv4-mapped peers.
        assert_eq!(
            client_ip(Some(proxy), &one("203.0.113.9:5123"), &trusted),
            "203.0.113.9"
        );
        assert_eq!(
            client_ip(Some(proxy), &one("[2001:db8::7]:443"), &trusted),
            "2001:db8::7"
        );
        let forged: Vec<&[u8]> = vec![b"\xff\xfe, 203.0.113.9"];
        assert_eq!(client_ip(Some(proxy), &forged, &trusted), "203.0.113.9");
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(Some(mapped), &one("203.0.113.9"), &trusted),
            "203.0.113.9"
        );
        // Nothing believable: the proxy's own address.
        assert_eq!(client_ip(Some(proxy), &[], &trusted), "10.0.0.2");
        assert_eq!(
            client_ip(Some(proxy), &one("garbage, 10.0.0.2"), &trusted),
            "10.0.0.2"
        );
        assert_eq!(client_ip(None, &one("198.51.100.1"), &trusted), "unknown");
    }

    #[test]
    fn the_limiter_refuses_after_the_limit_and_forgets_on_success() {
        let l = LoginLimiter::new(3);
        for _ in 0..3 {
            assert!(l.allowed("1.2.3.4", "a@b.com"));
            l.failed("1.2.3.4", "a@b.com");
        }
        assert!(!l.allowed("1.2.3.4", "A@B.com"));
        assert!(l.allowed("5.6.7.8", "a@b.com"));
        l.succeeded("1.2.3.4", "a@b.com");
        assert!(l.allowed("1.2.3.4", "a@b.com"));
    }

    #[test]
    fn secrets_are_long_random_and_stored_hashed() {
        let a = new_api_token();
        assert!(a.starts_with("phk_") && a.len() > 40);
        assert_ne!(a, new_api_token());
        assert_eq!(secret_hash("x").len(), 64);
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("abc", "ab")
        );
    }
}
