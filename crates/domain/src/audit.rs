//! The tamper-evident audit log: each change is a row whose hash covers its content and the hash
//! of the row before it, so altering, inserting or removing a row breaks the chain after it.
//!
//! Fields are hashed length-prefixed, so no two different rows encode to the same bytes.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one audit row, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// RFC 3339 UTC time of the change.
    pub at: String,
    /// The acting user's id, or `None` for the system (seeding, migrations, the command line).
    pub actor_id: Option<i64>,
    /// What the actor was called at the time (email, or `system`).
    pub actor_label: String,
    /// `partner.create`, `document.delete`, `user.login`, ...
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The organization whose data changed, for per-organization views.
    pub org_id: Option<i64>,
    /// JSON of the entity before and after the change.
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditEntry {
    /// The hash of this entry chained after `prev_hash` (lowercase hex SHA-256).
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        let mut put = |bytes: Option<&[u8]>| match bytes {
            Some(b) => {
                h.update([1u8]);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b);
            }
            None => h.update([0u8]),
        };
        put(Some(prev_hash.as_bytes()));
        put(Some(self.at.as_bytes()));
        let actor = self.actor_id.map(|a| a.to_string());
        put(actor.as_deref().map(str::as_bytes));
        put(Some(self.actor_label.as_bytes()));
        put(Some(self.action.as_bytes()));
        put(Some(self.entity_type.as_bytes()));
        put(Some(self.entity_id.as_bytes()));
        let org = self.org_id.map(|o| o.to_string());
        put(org.as_deref().map(str::as_bytes));
        put(self.before.as_deref().map(str::as_bytes));
        put(self.after.as_deref().map(str::as_bytes));
        hex::encode(h.finalize())
    }
}

/// A stored row: its id, chain links and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub id: i64,
    pub prev_hash: String,
    pub hash: String,
    pub entry: AuditEntry,
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("audit row {id}: content does not match its hash (the row was altered)")]
    Altered { id: i64 },
    #[error("audit row {id}: does not follow the row before it (a row was removed, inserted or reordered)")]
    Unlinked { id: i64 },
}

impl ChainBreak {
    pub fn row_id(&self) -> i64 {
        match self {
            ChainBreak::Altered { id } | ChainBreak::Unlinked { id } => *id,
        }
    }
}

/// Checks rows in id order one at a time, so a log of any length verifies in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_prev: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_prev: GENESIS.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next row; the first failure names the row.
    pub fn check(&mut self, row: &ChainRow) -> Result<(), ChainBreak> {
        if row.prev_hash != self.expected_prev {
            return Err(ChainBreak::Unlinked { id: row.id });
        }
        if row.entry.chain_hash(&row.prev_hash) != row.hash {
            return Err(ChainBreak::Altered { id: row.id });
        }
        self.expected_prev.clone_from(&row.hash);
        self.checked += 1;
        Ok(())
    }

    /// How many rows have verified.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last verified row (the chain's head).
    pub fn head(&self) -> &str {
        &self.expected_prev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            at: "2026-11-22T10:00:00Z".into(),
            actor_id: Some(3),
            actor_label: "ada@gitlab.com".into(),
            action: action.into(),
            entity_type: "partner".into(),
            entity_id: "12".into(),
            org_id: Some(12),
            before: None,
            after: Some(r#"{"name":"AWS"}"#.into()),
        }
    }

    fn chain(n: usize) -> Vec<ChainRow> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let e = entry(&format!("partner.update.{i}"));
                let hash = e.chain_hash(&prev);
                let row = ChainRow {
                    id: i as i64 + 1,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                    entry: e,
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn verify(rows: &[ChainRow]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for r in rows {
            v.check(r)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn an_altered_row_is_named() {
        let mut rows = chain(5);
        rows[2].entry.after = Some(r#"{"name":"Evil"}"#.into());
        assert_eq!(verify(&rows), Err(ChainBreak::Altered { id: 3 }));
    }

    #[test]
    fn a_removed_row_breaks_the_link_of_the_next() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows), Err(ChainBreak::Unlinked { id: 3 }));
    }

    #[test]
    fn fields_cannot_be_shifted_between_neighbours() {
        let mut a = entry("x");
        a.before = Some("ab".into());
        a.after = Some("c".into());
        let mut b = entry("x");
        b.before = Some("a".into());
        b.after = Some("bc".into());
        assert_ne!(a.chain_hash(GENESIS), b.chain_hash(GENESIS));
        let mut c = entry("x");
        c.before = None;
        c.after = Some(String::new());
        let mut d = entry("x");
        d.before = Some(String::new());
        d.after = None;
        assert_ne!(c.chain_hash(GENESIS), d.chain_hash(GENESIS));
    }
}
