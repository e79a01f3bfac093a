//! Signing in and out: the limit on failed attempts (per address and account, and per address
//! across accounts), the password check off the executor, the session, and the security log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use partnerhub_domain::organization::email_lookup_key;
use partnerhub_domain::security::SecurityEvent;
use partnerhub_store::User;

use crate::error::AppError;
use crate::secrets::{new_secret, secret_hash};
use crate::App;

/// How long failed attempts are remembered.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept before the expired ones are swept.
const MAX_ENTRIES: usize = 100_000;

/// One counter of failed attempts.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
    /// Whether a refusal under this counter was logged already (one log row per window).
    refusal_logged: bool,
}

/// What the limiter says of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused; `first` when this is the first refusal of the window (the one worth logging).
    Limited {
        first: bool,
    },
}

/// Counts failed sign-ins per (address, account) and per address across accounts, and refuses
/// more than either limit within 15 minutes. A success clears only its account's counter: an
/// attacker holding one account cannot reset the address's count by signing in with it.
pub struct LoginLimiter {
    per_account: u32,
    per_address: u32,
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginLimiter {
    pub fn new(per_account: u32, per_address: u32) -> Self {
        Self {
            per_account: per_account.max(1),
            per_address: per_address.max(1),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn account_key(ip: &str, email: &str) -> String {
        format!("account|{ip}|{}", email_lookup_key(email))
    }

    fn address_key(ip: &str) -> String {
        format!("address|{ip}")
    }

    /// Whether another attempt is allowed now.
    pub fn check(&self, ip: &str, email: &str) -> Verdict {
        let Ok(mut map) = self.failures.lock() else {
            return Verdict::Limited { first: false };
        };
        let keys = [
            (Self::account_key(ip, email), self.per_account),
            (Self::address_key(ip), self.per_address),
        ];
        for (key, limit) in keys {
            if let Some(f) = map.get_mut(&key) {
                if f.since.elapsed() < WINDOW && f.count >= limit {
                    let first = !f.refusal_logged;
                    f.refusal_logged = true;
                    return Verdict::Limited { first };
                }
            }
        }
        Verdict::Allowed
    }

    /// Counts a failed attempt against the account and the address.
    pub fn failed(&self, ip: &str, email: &str) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() > MAX_ENTRIES {
            map.retain(|_, f| f.since.elapsed() < WINDOW);
        }
        for key in [Self::account_key(ip, email), Self::address_key(ip)] {
            let f = map.entry(key).or_insert(Failures {
                count: 0,
                since: Instant::now(),
                refusal_logged: false,
            });
            if f.since.elapsed() >= WINDOW {
                *f = Failures {
                    count: 0,
                    since: Instant::now(),
                    refusal_logged: false,
                };
            }
            f.count += 1;
        }
    }

    /// Forgets the account's failures after a successful sign-in.
    pub fn succeeded(&self, ip: &str, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Self::account_key(ip, email));
        }
    }
}

/// The outcome of a sign-in attempt.
pub enum SignIn {
    /// Signed in: the session's cookie secret.
    Ok {
        user: User,
        secret: String,
    },
    Rejected,
    Limited,
}

impl App {
    /// Checks credentials and opens a session. Unknown accounts take as long as known ones;
    /// refused attempts count against the address and the account, and every outcome goes to
    /// the security log (a limited address once per window, so a flood writes little). A
    /// limited attempt is answered only after [`AppConfig::limited_delay`](crate::AppConfig).
    pub async fn sign_in(&self, ip: &str, email: &str, password: &str) -> Result<SignIn, AppError> {
        let store = self.store();
        let email_key = email_lookup_key(email);
        if let Verdict::Limited { first } = self.limiter.check(ip, email) {
            if first {
                store
                    .log_security_event(SecurityEvent::SignInLimited, &email_key, None, ip)
                    .await?;
            }
            tokio::time::sleep(self.config().limited_delay).await;
            return Ok(SignIn::Limited);
        }
        let creds = store.user_credentials(email).await?;
        let (user, hash) = match creds {
            Some((user, hash)) if user.active => (Some(user), hash),
            _ => (None, None),
        };
        let ok = self
            .passwords()
            .verify(hash.filter(|_| user.is_some()), password.to_string())
            .await?;
        match user {
            Some(user) if ok => {
                self.limiter.succeeded(ip, email);
                let secret = new_secret();
                let expires = time::OffsetDateTime::now_utc().unix_timestamp()
                    + self.config().session_hours * 3600;
                store
                    .create_session(user.id, &secret_hash(&secret), &new_secret(), expires)
                    .await?;
                store
                    .log_security_event(SecurityEvent::SignIn, &user.email, Some(user.id), ip)
                    .await?;
                Ok(SignIn::Ok { user, secret })
            }
            user => {
                self.limiter.failed(ip, email);
                let id = user.map(|u| u.id);
                store
                    .log_security_event(SecurityEvent::SignInRefused, &email_key, id, ip)
                    .await?;
                Ok(SignIn::Rejected)
            }
        }
    }

    /// Ends the session whose cookie secret is `secret`, and logs it.
    pub async fn sign_out(&self, secret: &str, ip: &str) -> Result<(), AppError> {
        let store = self.store();
        if let Some(user_id) = store.delete_session(&secret_hash(secret)).await? {
            let email = store
                .user(user_id)
                .await
                .map(|u| u.email)
                .unwrap_or_default();
            store
                .log_security_event(SecurityEvent::SignOut, &email, Some(user_id), ip)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_refuses_after_the_account_limit_and_forgets_on_success() {
        let l = LoginLimiter::new(3, 100);
        for _ in 0..3 {
            assert_eq!(l.check("1.2.3.4", "a@b.com"), Verdict::Allowed);
            l.failed("1.2.3.4", "a@b.com");
        }
        assert_eq!(
            l.check("1.2.3.4", "A@B.com"),
            Verdict::Limited { first: true }
        );
        assert_eq!(
            l.check("1.2.3.4", "a@b.com"),
            Verdict::Limited { first: false }
        );
        assert_eq!(l.check("5.6.7.8", "a@b.com"), Verdict::Allowed);
        l.succeeded("1.2.3.4", "a@b.com");
        assert_eq!(l.check("1.2.3.4", "a@b.com"), Verdict::Allowed);
    }

    #[test]
    fn one_address_spraying_many_accounts_is_refused_and_a_success_does_not_reset_it() {
        let l = LoginLimiter::new(10, 5);
        for i in 0..5 {
            let email = format!("user{i}@b.com");
            assert_eq!(l.check("1.2.3.4", &email), Verdict::Allowed);
            l.failed("1.2.3.4", &email);
        }
        assert!(matches!(
            l.check("1.2.3.4", "new@b.com"),
            Verdict::Limited { .. }
        ));
        l.succeeded("1.2.3.4", "mine@b.com");
        assert!(matches!(
            l.check("1.2.3.4", "other@b.com"),
            Verdict::Limited { .. }
        ));
        assert_eq!(l.check("9.9.9.9", "new@b.com"), Verdict::Allowed);
    }
}
