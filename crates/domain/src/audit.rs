//! The tamper-evident audit log: each change is a row whose hash covers its content and the hash
//! of the row before it, so altering, inserting or removing a row breaks the chain after it.
//!
//! The hash is keyed (HMAC-SHA-256) with a [`ChainKey`] kept outside the database: whoever can
//! write to the database but lacks the key cannot recompute a chain that verifies. Fields are
//! hashed length-prefixed, so no two different rows encode to the same bytes. Databases chained
//! before the key existed used plain SHA-256 ([`AuditEntry::legacy_hash`]); they are re-keyed
//! once.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::taxonomy::coded_enum;

coded_enum! {
    /// The kinds of entity the audit log records changes of (its `entity_type`).
    AuditEntity {
        Partner = ("partner", "Partner"),
        Document = ("document", "Shared document"),
        Organization = ("organization", "Organization"),
        User = ("user", "User"),
        ApiToken = ("api_token", "API token"),
        DeliveryModel = ("delivery_model", "Delivery model"),
        AuditLog = ("audit_log", "Audit log"),
        Webhook = ("webhook", "Webhook subscription"),
        InboundRequest = ("inbound_request", "Inbound alliance request"),
    }
}

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
    /// `partner.create`, `document.delete`, `user.deactivate`, ... (sign-ins are not program
    /// changes: they go to the security log.)
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The organization whose data changed, for per-organization views.
    pub org_id: Option<i64>,
    /// JSON of the entity before and after the change.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Length of a chain key, in bytes.
pub const KEY_BYTES: usize = 32;

/// The secret the chain is keyed with. Never printed: `Debug` shows only its [`ChainKey::id`].
#[derive(Clone, PartialEq, Eq)]
pub struct ChainKey([u8; KEY_BYTES]);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainKey(id {})", self.id())
    }
}

impl ChainKey {
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        Self(bytes)
    }

    /// Parses the key's text form: 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| format!("an audit key is {} hex digits", KEY_BYTES * 2))?;
        let bytes: [u8; KEY_BYTES] = bytes
            .try_into()
            .map_err(|_| format!("an audit key is {} hex digits", KEY_BYTES * 2))?;
        Ok(Self(bytes))
    }

    /// The key's text form (for its file).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A public fingerprint of the key (16 hex digits), stored beside the chain so that a
    /// server started with another key notices before it writes a row.
    pub fn id(&self) -> String {
        let mut mac = self.mac();
        mac.update(b"partnerhub audit key id");
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }

    /// A key for another purpose (sealing stored secrets), derived from this one under
    /// `label`, so one secret outside the database protects both.
    pub fn derive(&self, label: &str) -> [u8; KEY_BYTES] {
        let mut mac = self.mac();
        mac.update(b"partnerhub derived key: ");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The MAC of the chain's head (its last row's id and hash): a head moved back to an
    /// earlier row, with the rows after it removed, no longer verifies.
    pub fn head_mac(&self, last_id: i64, last_hash: &str) -> String {
        let mut mac = self.mac();
        mac.update(b"head");
        mac.update(&last_id.to_le_bytes());
        mac.update(last_hash.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Feeds an entry's fields, length-prefixed, into a hash or MAC.
fn feed(entry: &AuditEntry, prev_hash: &str, update: &mut dyn FnMut(&[u8])) {
    let mut put = |bytes: Option<&[u8]>| match bytes {
        Some(b) => {
            update(&[1u8]);
            update(&(b.len() as u64).to_le_bytes());
            update(b);
        }
        None => update(&[0u8]),
    };
    put(Some(prev_hash.as_bytes()));
    put(Some(entry.at.as_bytes()));
    let actor = entry.actor_id.map(|a| a.to_string());
    put(actor.as_deref().map(str::as_bytes));
    put(Some(entry.actor_label.as_bytes()));
    put(Some(entry.action.as_bytes()));
    put(Some(entry.entity_type.as_bytes()));
    put(Some(entry.entity_id.as_bytes()));
    let org = entry.org_id.map(|o| o.to_string());
    put(org.as_deref().map(str::as_bytes));
    put(entry.before.as_deref().map(str::as_bytes));
    put(entry.after.as_deref().map(str::as_bytes));
}

impl AuditEntry {
    /// The hash of this entry chained after `prev_hash`: lowercase hex HMAC-SHA-256 under `key`.
    pub fn chain_hash(&self, key: &ChainKey, prev_hash: &str) -> String {
        let mut mac = key.mac();
        feed(self, prev_hash, &mut |b| mac.update(b));
        hex::encode(mac.finalize().into_bytes())
    }

    /// The unkeyed SHA-256 hash rows had before the chain was keyed; read only to check a
    /// legacy chain before re-keying it.
    pub fn legacy_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        feed(self, prev_hash, &mut |b| h.update(b));
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
    #[error("audit row {id}: the chain's head does not match it (rows after it were removed, or the head was rewritten)")]
    Head { id: i64 },
}

impl ChainBreak {
    pub fn row_id(&self) -> i64 {
        match self {
            ChainBreak::Altered { id } | ChainBreak::Unlinked { id } | ChainBreak::Head { id } => {
                *id
            }
        }
    }
}

/// What a verifier can check of a row.
#[derive(Debug, Clone)]
pub enum Check {
    /// Links and content, under the key the chain is keyed with.
    Keyed(ChainKey),
    /// Links and content of a chain from before keying (plain SHA-256).
    Legacy,
    /// Links only: without the key, content cannot be checked (the caller says so).
    LinksOnly,
}

/// Checks rows in id order one at a time, so a log of any length verifies in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    check: Check,
    expected_prev: String,
    checked: u64,
}

impl ChainVerifier {
    pub fn new(check: Check) -> Self {
        Self {
            check,
            expected_prev: GENESIS.to_string(),
            checked: 0,
        }
    }

    /// Whether row content is checked, not only links.
    pub fn checks_content(&self) -> bool {
        !matches!(self.check, Check::LinksOnly)
    }

    /// Checks the next row; the first failure names the row.
    pub fn check(&mut self, row: &ChainRow) -> Result<(), ChainBreak> {
        if row.prev_hash != self.expected_prev {
            return Err(ChainBreak::Unlinked { id: row.id });
        }
        let expected = match &self.check {
            Check::Keyed(key) => Some(row.entry.chain_hash(key, &row.prev_hash)),
            Check::Legacy => Some(row.entry.legacy_hash(&row.prev_hash)),
            Check::LinksOnly => None,
        };
        if expected.is_some_and(|h| h != row.hash) {
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

    fn key() -> ChainKey {
        ChainKey::from_bytes([7; KEY_BYTES])
    }

    fn chain(n: usize) -> Vec<ChainRow> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let e = entry(&format!("partner.update.{i}"));
                let hash = e.chain_hash(&key(), &prev);
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
        let mut v = ChainVerifier::new(Check::Keyed(key()));
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
        assert_ne!(a.chain_hash(&key(), GENESIS), b.chain_hash(&key(), GENESIS));
        let mut c = entry("x");
        c.before = None;
        c.after = Some(String::new());
        let mut d = entry("x");
        d.before = Some(String::new());
        d.after = None;
        assert_ne!(c.chain_hash(&key(), GENESIS), d.chain_hash(&key(), GENESIS));
    }

    #[test]
    fn a_chain_recomputed_without_the_key_does_not_verify() {
        // Someone who can write the database alters a row and recomputes every hash after it
        // with plain SHA-256, or with a key of their own: the verifier names the altered row.
        let mut rows = chain(4);
        rows[1].entry.after = Some(r#"{"name":"Evil"}"#.into());
        for forger in [None, Some(ChainKey::from_bytes([9; KEY_BYTES]))] {
            let mut forged = rows.clone();
            let mut prev = forged[0].hash.clone();
            for row in forged.iter_mut().skip(1) {
                row.prev_hash = prev.clone();
                row.hash = match &forger {
                    None => row.entry.legacy_hash(&prev),
                    Some(k) => row.entry.chain_hash(k, &prev),
                };
                prev = row.hash.clone();
            }
            assert_eq!(verify(&forged), Err(ChainBreak::Altered { id: 2 }));
        }
    }

    #[test]
    fn without_the_key_only_links_are_checked() {
        let mut rows = chain(3);
        let mut v = ChainVerifier::new(Check::LinksOnly);
        assert!(!v.checks_content());
        for r in &rows {
            v.check(r).unwrap();
        }
        rows.remove(1);
        let mut v = ChainVerifier::new(Check::LinksOnly);
        v.check(&rows[0]).unwrap();
        assert_eq!(v.check(&rows[1]), Err(ChainBreak::Unlinked { id: 3 }));
    }

    #[test]
    fn the_key_never_prints_and_parses_from_hex() {
        let k = key();
        let shown = format!("{k:?}");
        assert!(!shown.contains(&k.to_hex()), "{shown}");
        assert!(shown.contains(&k.id()));
        assert_eq!(ChainKey::parse(&k.to_hex()).unwrap(), k);
        assert!(ChainKey::parse("abc").is_err());
        assert_ne!(k.head_mac(1, "a"), k.head_mac(2, "a"));
    }
}
