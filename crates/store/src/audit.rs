//! The audit log table: appending chained rows inside a change's transaction, keying a chain
//! once, reading and verifying it.

use partnerhub_domain::audit::{
    AuditEntry, ChainBreak, ChainKey, ChainRow, ChainVerifier, Check, GENESIS,
};
use time::format_description::well_known::Rfc3339;

use crate::db::{exec_tx, on_pool, on_tx, Store, Tx};
use crate::error::StoreError;

/// Who made a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Who {
    /// The system itself (seeding, first start, command line without a user).
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_string(),
        }
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub entry: AuditEntry,
    pub hash: String,
}

/// Which audit rows to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub org_id: Option<i64>,
    /// Only rows with an id below this (for paging backwards from the newest).
    pub before_id: Option<i64>,
    pub limit: i64,
}

type Row = (
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    String,
);

const COLUMNS: &str =
    "id, at, actor_id, actor_label, action, entity_type, entity_id, org_id, before_json, after_json, prev_hash, hash";

fn chain_row(r: Row) -> ChainRow {
    ChainRow {
        id: r.0,
        prev_hash: r.10,
        hash: r.11,
        entry: AuditEntry {
            at: r.1,
            actor_id: r.2,
            actor_label: r.3,
            action: r.4,
            entity_type: r.5,
            entity_id: r.6,
            org_id: r.7,
            before: r.8,
            after: r.9,
        },
    }
}

/// The chain's head row.
struct Head {
    hash: String,
    key_id: Option<String>,
    last_id: i64,
    head_mac: Option<String>,
}

type HeadRow = (String, Option<String>, i64, Option<String>);

impl From<HeadRow> for Head {
    fn from(r: HeadRow) -> Self {
        Self {
            hash: r.0,
            key_id: r.1,
            last_id: r.2,
            head_mac: r.3,
        }
    }
}

const HEAD_COLUMNS: &str = "hash, key_id, last_id, head_mac";

/// Locks the head row for the rest of `tx` (every chain writer queues on it, so rows chain in
/// id order on both engines) and reads it.
async fn lock_head(tx: &mut Tx) -> Result<Head, StoreError> {
    let sql =
        format!("UPDATE audit_head SET hash = hash WHERE singleton = 1 RETURNING {HEAD_COLUMNS}");
    let row: HeadRow = on_tx!(tx, c => sqlx::query_as(&sql).fetch_one(&mut *c).await)?;
    Ok(row.into())
}

/// Checks that the chain is keyed with `key`, so a row written now verifies.
fn check_keyed(head: &Head, key: &ChainKey) -> Result<(), StoreError> {
    match &head.key_id {
        Some(id) if *id == key.id() => Ok(()),
        Some(id) => Err(StoreError::Chain(format!(
            "the audit chain is keyed with key {id}, but this process has key {}; \
             start it with the key the database was chained with",
            key.id()
        ))),
        None => Err(StoreError::Chain(
            "the audit chain is not keyed yet; start the server once to key it".into(),
        )),
    }
}

/// Inserts `entry` after the locked `head` and moves the head to it.
async fn append(
    tx: &mut Tx,
    key: &ChainKey,
    head: &Head,
    entry: &AuditEntry,
) -> Result<i64, StoreError> {
    let hash = entry.chain_hash(key, &head.hash);
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor_id, actor_label, action, entity_type, entity_id, org_id, before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&entry.at)
    .bind(entry.actor_id)
    .bind(&entry.actor_label)
    .bind(&entry.action)
    .bind(&entry.entity_type)
    .bind(&entry.entity_id)
    .bind(entry.org_id)
    .bind(&entry.before)
    .bind(&entry.after)
    .bind(&head.hash)
    .bind(&hash)
    .fetch_one(&mut *c)
    .await)?;
    exec_tx!(
        tx,
        sqlx::query(
            "UPDATE audit_head SET hash = $1, last_id = $2, head_mac = $3, seq = seq + 1 WHERE singleton = 1"
        )
        .bind(&hash)
        .bind(id)
        .bind(key.head_mac(id, &hash))
    )?;
    Ok(id)
}

fn now_text() -> Result<String, StoreError> {
    crate::now()
        .format(&Rfc3339)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Appends one row to the chain within `tx`. The head row is updated first so that concurrent
/// writers queue on its lock and rows chain in id order on both engines.
#[allow(clippy::too_many_arguments)] // one argument per audit column reads best at call sites
pub(crate) async fn record(
    tx: &mut Tx,
    who: &Who,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    org_id: Option<i64>,
    before: Option<String>,
    after: Option<String>,
) -> Result<i64, StoreError> {
    let key = tx.chain_key()?.clone();
    let entry = AuditEntry {
        at: now_text()?,
        actor_id: who.user_id,
        actor_label: who.label.clone(),
        action: action.to_string(),
        entity_type: entity_type.to_string(),
        entity_id: entity_id.to_string(),
        org_id,
        before,
        after,
    };
    let head = lock_head(tx).await?;
    check_keyed(&head, &key)?;
    append(tx, &key, &head, &entry).await
}

/// What verifying the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Rows that verified before the first break, or all of them.
    pub rows: u64,
    /// Whether row content was checked (it takes the key; without it only links are).
    pub content_checked: bool,
    /// The first break, if any.
    pub broken: Option<ChainBreak>,
}

/// How the chain was found when the process started with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStart {
    /// Already keyed with this key.
    Keyed,
    /// A new, empty chain now keyed with this key.
    Started,
    /// An existing unkeyed chain of this many rows, re-keyed (and a row records it).
    Rekeyed { rows: u64 },
}

impl Store {
    async fn head(&self) -> Result<Head, StoreError> {
        let sql = format!("SELECT {HEAD_COLUMNS} FROM audit_head WHERE singleton = 1");
        let row: HeadRow = on_pool!(self, p => sqlx::query_as(&sql).fetch_one(p).await)?;
        Ok(row.into())
    }

    /// Makes the chain ready for this store's key: claims a new chain, or re-keys a chain
    /// from before keying once (in one transaction, after checking it, recording an
    /// `audit.rekey` row). A chain keyed with another key is refused; so is re-keying a broken
    /// unkeyed chain unless `accept_break`, which records the break in the `audit.rekey` row.
    pub async fn prepare_chain(&self, accept_break: bool) -> Result<ChainStart, StoreError> {
        let key = self.chain_key.clone().ok_or(StoreError::NoChainKey)?;
        let current = self.head().await?;
        if current.key_id.is_some() {
            check_keyed(&current, &key)?;
            return Ok(ChainStart::Keyed);
        }
        // Checked before the transaction, so the write lock is not held through a long read;
        // the transaction then re-checks that nothing was added meanwhile.
        let legacy = self.verify_with(Check::Legacy, &current).await?;
        let legacy_break = match (&legacy.broken, accept_break) {
            (None, _) => None,
            (Some(b), true) => Some(b.to_string()),
            (Some(b), false) => {
                return Err(StoreError::Chain(format!(
                    "the audit chain from before keying is broken ({b}); it was not re-keyed. \
                     Investigate, then run `partnerhub audit rekey --accept-break` to key it \
                     anyway, recording the break"
                )))
            }
        };
        let mut tx = self.begin().await?;
        let head = lock_head(&mut tx).await?;
        if head.key_id.is_some() {
            // Another process keyed it first.
            check_keyed(&head, &key)?;
            return Ok(ChainStart::Keyed);
        }
        if head.hash != current.hash {
            return Err(StoreError::Chain(
                "the audit chain changed while it was being checked; start again".into(),
            ));
        }
        if head.hash == GENESIS {
            exec_tx!(
                &mut tx,
                sqlx::query("UPDATE audit_head SET key_id = $1, last_id = 0, head_mac = $2 WHERE singleton = 1")
                    .bind(key.id())
                    .bind(key.head_mac(0, GENESIS))
            )?;
            tx.commit().await?;
            return Ok(ChainStart::Started);
        }
        // Re-chain every row under the key, in id order.
        let mut prev = GENESIS.to_string();
        let mut after_id: i64 = 0;
        let mut rows: u64 = 0;
        let mut last_id: i64 = 0;
        loop {
            let sql =
                format!("SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000");
            let page: Vec<Row> =
                on_tx!(&mut tx, c => sqlx::query_as(&sql).bind(after_id).fetch_all(&mut *c).await)?;
            if page.is_empty() {
                break;
            }
            for r in page {
                let row = chain_row(r);
                after_id = row.id;
                last_id = row.id;
                let hash = row.entry.chain_hash(&key, &prev);
                exec_tx!(
                    &mut tx,
                    sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
                        .bind(&prev)
                        .bind(&hash)
                        .bind(row.id)
                )?;
                prev = hash;
                rows += 1;
            }
        }
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE audit_head SET key_id = $1, hash = $2, last_id = $3, head_mac = $4 WHERE singleton = 1")
                .bind(key.id())
                .bind(&prev)
                .bind(last_id)
                .bind(key.head_mac(last_id, &prev))
        )?;
        let head = lock_head(&mut tx).await?;
        let after = serde_json::json!({
            "scheme": "hmac-sha256",
            "key_id": key.id(),
            "rows": rows,
            "legacy_head": current.hash,
            "legacy_break": legacy_break,
        })
        .to_string();
        let entry = AuditEntry {
            at: now_text()?,
            actor_id: None,
            actor_label: "system".into(),
            action: "audit.rekey".into(),
            entity_type: "audit_log".into(),
            entity_id: "chain".into(),
            org_id: None,
            before: None,
            after: Some(after),
        };
        append(&mut tx, &key, &head, &entry).await?;
        tx.commit().await?;
        Ok(ChainStart::Rekeyed { rows })
    }

    /// The public id of the key the chain is keyed with; `None` while it is not keyed yet.
    pub async fn chain_key_id(&self) -> Result<Option<String>, StoreError> {
        Ok(self.head().await?.key_id)
    }

    /// A number that changes with every committed change (every change is audited). Caches of
    /// data read from the store stay valid while it stays the same, across app instances too.
    pub async fn change_marker(&self) -> Result<i64, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT seq FROM audit_head WHERE singleton = 1").fetch_one(p).await)?,
        )
    }

    /// Audit rows, newest first.
    pub async fn audit_list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE ($1 IS NULL OR entity_type = $1) AND ($2 IS NULL OR entity_id = $2) \
             AND ($3 IS NULL OR org_id = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
        );
        let limit = filter.limit.clamp(1, 500);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(&filter.entity_type)
            .bind(&filter.entity_id)
            .bind(filter.org_id)
            .bind(filter.before_id)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let row = chain_row(r);
                AuditRecord {
                    id: row.id,
                    entry: row.entry,
                    hash: row.hash,
                }
            })
            .collect())
    }

    /// Walks the whole chain in id order, in pages, and reports how many rows verified or the
    /// first broken row. With the key, row content and the head's MAC are checked too (which
    /// catches a removed tail); without it, only that rows link.
    pub async fn audit_verify(&self) -> Result<ChainReport, StoreError> {
        // The head is read first: rows committed while the walk runs lie beyond it and are
        // left for the next check, so a busy log never looks broken.
        let head = self.head().await?;
        let check = match (&head.key_id, &self.chain_key) {
            (None, _) => Check::Legacy,
            (Some(_), Some(key)) => {
                check_keyed(&head, key)?;
                Check::Keyed((**key).clone())
            }
            (Some(_), None) => Check::LinksOnly,
        };
        self.verify_with(check, &head).await
    }

    async fn verify_with(&self, check: Check, head: &Head) -> Result<ChainReport, StoreError> {
        let mut verifier = ChainVerifier::new(check.clone());
        let report = |v: &ChainVerifier, broken: Option<ChainBreak>| ChainReport {
            rows: v.checked(),
            content_checked: v.checks_content(),
            broken,
        };
        if head.hash == verifier.head() {
            return Ok(report(&verifier, None));
        }
        let mut after: i64 = 0;
        loop {
            let sql =
                format!("SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000");
            let rows: Vec<Row> =
                on_pool!(self, p => sqlx::query_as(&sql).bind(after).fetch_all(p).await)?;
            if rows.is_empty() {
                // The head's row never came: the tail of the log was removed.
                return Ok(report(
                    &verifier,
                    Some(ChainBreak::Unlinked { id: after + 1 }),
                ));
            }
            for r in rows {
                let row = chain_row(r);
                after = row.id;
                if let Err(e) = verifier.check(&row) {
                    return Ok(report(&verifier, Some(e)));
                }
                if row.hash == head.hash {
                    let head_ok = match &check {
                        Check::Keyed(key) => {
                            head.last_id == row.id
                                && head.head_mac.as_deref()
                                    == Some(key.head_mac(row.id, &row.hash).as_str())
                        }
                        _ => true,
                    };
                    let broken = (!head_ok).then_some(ChainBreak::Head { id: row.id });
                    return Ok(report(&verifier, broken));
                }
            }
        }
    }
}
