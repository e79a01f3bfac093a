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

/// Seals secrets an admin sets in the UI (webhook URLs and signing secrets) before they are
/// stored, and opens them when they are used: XChaCha20-Poly1305 under a key derived from the
/// audit chain's key, which lives outside the database. A stolen database holds no usable
/// secret.
#[derive(Clone)]
pub struct Sealer {
    cipher: chacha20poly1305::XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

/// The stored form's prefix, naming the scheme.
const SEALED_PREFIX: &str = "v1:";

impl Sealer {
    pub fn new(key: [u8; 32]) -> Self {
        use chacha20poly1305::KeyInit;
        Self {
            cipher: chacha20poly1305::XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// The stored form of `secret`: a fresh nonce and the ciphertext, base64.
    pub fn seal(&self, secret: &str) -> String {
        use chacha20poly1305::aead::{Aead, AeadCore, OsRng};
        let nonce = chacha20poly1305::XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption in memory with a valid key and nonce cannot fail.
        let sealed = self
            .cipher
            .encrypt(&nonce, secret.as_bytes())
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// The secret a stored form holds; an error when it was sealed under another key or
    /// altered.
    pub fn open(&self, stored: &str) -> Result<secrecy::SecretString, String> {
        use chacha20poly1305::aead::Aead;
        let raw = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or("the stored secret is not sealed")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map_err(|_| "the stored secret is not base64")?;
        if bytes.len() < 24 {
            return Err("the stored secret is too short".into());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(nonce.into(), sealed)
            .map_err(|_| "the stored secret does not open with this server's key")?;
        String::from_utf8(plain)
            .map(secrecy::SecretString::from)
            .map_err(|_| "the stored secret is not text".into())
    }
}

/// How a set secret is shown once set: that it is, and its last four characters.
pub fn hint(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("set (…{tail})")
}

#[cfg(test)]
mod sealing {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_never_shows() {
        let s = Sealer::new([1; 32]);
        let stored = s.seal("https://hooks.slack.com/services/T0/B0/xyz");
        assert!(stored.starts_with("v1:"));
        assert!(!stored.contains("hooks.slack.com"));
        assert_ne!(stored, s.seal("https://hooks.slack.com/services/T0/B0/xyz"));
        assert_eq!(
            s.open(&stored).unwrap().expose_secret(),
            "https://hooks.slack.com/services/T0/B0/xyz"
        );
        assert!(Sealer::new([2; 32]).open(&stored).is_err());
        assert!(s.open("v1:AAAA").is_err());
        assert_eq!(hint("abcdefgh"), "set (…efgh)");
        assert!(!format!("{s:?}").contains('1'));
    }
}
