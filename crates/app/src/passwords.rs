//! Password hashing (Argon2id) off the async executor: each hash runs on a blocking thread,
//! and at most a fixed number run at once, so a flood of sign-ins queues without stalling the
//! threads that answer every other request.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Hashes a password with Argon2id and a random salt (PHC string), on the calling thread.
/// For code that is not on the executor (the command line); servers use [`Passwords::hash`].
pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

/// Checks a password against a stored PHC string, on the calling thread; a malformed hash
/// never matches.
fn verify_blocking(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// An Argon2 hash of a random password, verified against when an account is unknown or has
/// no password, so that timing does not tell which accounts exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking(&crate::secrets::new_secret()).unwrap_or_default())
}

/// The bounded pool that hashes and verifies passwords; cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Passwords {
    /// At most `at_once` hashes in flight (at least one).
    pub fn new(at_once: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal("the password pool is closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches `hash`; with no hash, the same work is spent on a dummy one
    /// and the answer is no.
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, AppError> {
        self.run(move || match hash {
            Some(h) => verify_blocking(&h, &password),
            None => {
                verify_blocking(dummy_hash(), &password);
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_with_argon2_and_verify_off_the_executor() {
        let p = Passwords::new(1);
        let h = p.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p
            .verify(Some(h.clone()), "correct horse".into())
            .await
            .unwrap());
        assert!(!p.verify(Some(h), "wrong".into()).await.unwrap());
        assert!(!p
            .verify(Some("not a hash".into()), "x".into())
            .await
            .unwrap());
        assert!(!p.verify(None, "x".into()).await.unwrap());
    }
}
