//! The audit log table: appending chained rows inside a change's transaction, reading and
//! verifying the chain.

use partnerhub_domain::audit::{AuditEntry, ChainBreak, ChainRow, ChainVerifier};
use time::format_description::well_known::Rfc3339;

use crate::db::{on_pool, on_tx, Store, Tx};
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
    let at = crate::now()
        .format(&Rfc3339)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let entry = AuditEntry {
        at,
        actor_id: who.user_id,
        actor_label: who.label.clone(),
        action: action.to_string(),
        entity_type: entity_type.to_string(),
        entity_id: entity_id.to_string(),
        org_id,
        before,
        after,
    };
    on_tx!(tx, c => {
        let prev: String = sqlx::query_scalar(
            "UPDATE audit_head SET hash = hash WHERE singleton = 1 RETURNING hash",
        )
        .fetch_one(&mut *c)
        .await?;
        let hash = entry.chain_hash(&prev);
        let id: i64 = sqlx::query_scalar(
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
        .bind(&prev)
        .bind(&hash)
        .fetch_one(&mut *c)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1, seq = seq + 1 WHERE singleton = 1").bind(&hash).execute(&mut *c).await?;
        Ok(id)
    })
}

impl Store {
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
    /// first broken row. Also checks the head row matches the last row, which catches a removed
    /// tail.
    pub async fn audit_verify(&self) -> Result<Result<u64, ChainBreak>, StoreError> {
        // The head is read first: rows committed while the walk runs lie beyond it and are
        // left for the next check, so a busy log never looks broken.
        let head: String = on_pool!(self, p => sqlx::query_scalar("SELECT hash FROM audit_head WHERE singleton = 1").fetch_one(p).await)?;
        let mut verifier = ChainVerifier::default();
        if head == verifier.head() {
            return Ok(Ok(0));
        }
        let mut after: i64 = 0;
        loop {
            let sql =
                format!("SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000");
            let rows: Vec<Row> =
                on_pool!(self, p => sqlx::query_as(&sql).bind(after).fetch_all(p).await)?;
            if rows.is_empty() {
                // The head's row never came: the tail of the log was removed.
                return Ok(Err(ChainBreak::Unlinked { id: after + 1 }));
            }
            for r in rows {
                let row = chain_row(r);
                after = row.id;
                if let Err(e) = verifier.check(&row) {
                    return Ok(Err(e));
                }
                if row.hash == head {
                    return Ok(Ok(verifier.checked()));
                }
            }
        }
    }
}
