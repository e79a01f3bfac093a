//! The random secrets people and scripts hold (session ids, CSRF tokens, API tokens) and how
//! they are stored: only as hashes, so a database leak reveals no usable secret.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random secret (256 bits, URL-safe base64).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An API token as printed to its owner: a recognisable prefix and the secret.
pub fn new_api_token() -> String {
    format!("phk_{}", new_secret())
}

/// How a secret is stored: SHA-256, hex. The secrets are random and long, so a fast hash is
/// enough; what matters is that the stored form cannot be used.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

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
