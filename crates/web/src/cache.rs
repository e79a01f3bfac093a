//! A read cache for the hottest reads (bearer-token sign-in and partner list pages), valid while
//! the store's change marker stays the same.
//!
//! Every change in the store is audited and bumps the marker, so one one-row query per request
//! tells whether anything cached may be stale; this holds across several app instances over one
//! database. Entries are only stored under the marker they were read after, so a page read
//! before a change can never be kept after it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Bytes;
use partnerhub_store::User;

/// Most entries of each kind kept; the cache empties itself when full.
const MAX_ENTRIES: usize = 2_000;

/// A bearer token's identity, as cached.
#[derive(Debug, Clone)]
pub struct CachedToken {
    pub user: User,
    pub token_id: i64,
    pub expires_at: Option<i64>,
    /// When this process last recorded the token's use.
    pub touched: Instant,
}

#[derive(Default)]
struct Entries {
    marker: Option<i64>,
    tokens: HashMap<String, CachedToken>,
    pages: HashMap<String, Bytes>,
}

/// The cache; one per process.
#[derive(Default)]
pub struct ReadCache {
    entries: Mutex<Entries>,
}

impl ReadCache {
    /// Notes the store's current marker, dropping everything cached under another.
    pub fn observe(&self, marker: i64) {
        let Ok(mut e) = self.entries.lock() else {
            return;
        };
        if e.marker != Some(marker) {
            e.marker = Some(marker);
            e.tokens.clear();
            e.pages.clear();
        }
    }

    pub fn token(&self, token_hash: &str) -> Option<CachedToken> {
        self.entries.lock().ok()?.tokens.get(token_hash).cloned()
    }

    /// Caches a token read after `marker` was observed.
    pub fn put_token(&self, marker: i64, token_hash: String, token: CachedToken) {
        let Ok(mut e) = self.entries.lock() else {
            return;
        };
        if e.marker == Some(marker) {
            if e.tokens.len() >= MAX_ENTRIES {
                e.tokens.clear();
            }
            e.tokens.insert(token_hash, token);
        }
    }

    pub fn page(&self, key: &str) -> Option<Bytes> {
        self.entries.lock().ok()?.pages.get(key).cloned()
    }

    /// Caches a rendered page read after `marker` was observed.
    pub fn put_page(&self, marker: i64, key: String, body: Bytes) {
        let Ok(mut e) = self.entries.lock() else {
            return;
        };
        if e.marker == Some(marker) {
            if e.pages.len() >= MAX_ENTRIES {
                e.pages.clear();
            }
            e.pages.insert(key, body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_only_under_the_marker_they_were_read_after() {
        let c = ReadCache::default();
        c.observe(1);
        c.put_page(1, "a".into(), Bytes::from_static(b"one"));
        assert_eq!(c.page("a").as_deref(), Some(&b"one"[..]));
        c.observe(2);
        assert!(c.page("a").is_none(), "a change drops cached pages");
        c.put_page(1, "a".into(), Bytes::from_static(b"stale"));
        assert!(
            c.page("a").is_none(),
            "a page read before the change is not kept"
        );
    }
}
