//! The shared-documents registry of each partner.

use partnerhub_domain::access::Scope;
use partnerhub_domain::documents::{Audience, DocumentInput, SharedDocument};
use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store, Tx};
use crate::error::StoreError;

/// A stored document entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub id: i64,
    pub partner_id: i64,
    pub document: SharedDocument,
    pub created_at: OffsetDateTime,
}

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    OffsetDateTime,
);

fn from_row(r: Row) -> Result<DocumentRecord, StoreError> {
    let input = DocumentInput {
        title: &r.2,
        url: &r.3,
        audience: &r.4,
        sharing: &r.5,
        folder: &r.6,
    };
    let document = SharedDocument::parse(&input)
        .map_err(|e| StoreError::Corrupt(format!("document {}: {e}", r.0)))?;
    Ok(DocumentRecord {
        id: r.0,
        partner_id: r.1,
        document,
        created_at: r.7,
    })
}

fn audit_json(id: i64, partner_id: i64, d: &SharedDocument) -> String {
    serde_json::json!({
        "id": id, "partner_id": partner_id, "title": d.title, "url": d.url,
        "audience": d.audience.code(), "sharing": d.sharing.code(), "folder": d.folder,
    })
    .to_string()
}

/// Inserts a document of `partner_id` within `tx` and audits it.
pub(crate) async fn insert_audited(
    tx: &mut Tx,
    who: &Who,
    partner_id: i64,
    doc: &SharedDocument,
) -> Result<DocumentRecord, StoreError> {
    let now = crate::now();
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO shared_documents (org_id, title, url, audience, sharing, folder, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(partner_id)
    .bind(&doc.title)
    .bind(&doc.url)
    .bind(doc.audience.code())
    .bind(doc.sharing.code())
    .bind(&doc.folder)
    .bind(now)
    .fetch_one(&mut *c)
    .await)?;
    audit::record(
        tx,
        who,
        "document.create",
        "document",
        &id.to_string(),
        Some(partner_id),
        None,
        Some(audit_json(id, partner_id, doc)),
    )
    .await?;
    Ok(DocumentRecord {
        id,
        partner_id,
        document: doc.clone(),
        created_at: now,
    })
}

impl Store {
    /// A partner's documents; `include_internal = false` hides the vendor's internal ones.
    pub async fn documents(
        &self,
        scope: Scope,
        partner_id: i64,
        include_internal: bool,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        if !scope.admits(partner_id) {
            return Err(StoreError::NotFound);
        }
        let audience = (!include_internal).then_some(Audience::PartnerShared.code());
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, org_id, title, url, audience, sharing, folder, created_at FROM shared_documents \
             WHERE org_id = $1 AND ($2 IS NULL OR audience = $2) ORDER BY id",
        )
        .bind(partner_id)
        .bind(audience)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(from_row).collect()
    }

    /// Adds a document to a partner's registry (audited).
    pub async fn add_document(
        &self,
        who: &Who,
        partner_id: i64,
        doc: &SharedDocument,
    ) -> Result<DocumentRecord, StoreError> {
        // The partner must exist: documents hang off the partner row.
        self.partner(Scope::All, partner_id).await?;
        let mut tx = self.begin().await?;
        let rec = insert_audited(&mut tx, who, partner_id, doc).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Removes a document of `partner_id` (audited).
    pub async fn delete_document(
        &self,
        who: &Who,
        partner_id: i64,
        doc_id: i64,
    ) -> Result<(), StoreError> {
        let docs = self.documents(Scope::All, partner_id, true).await?;
        let doc = docs
            .into_iter()
            .find(|d| d.id == doc_id)
            .ok_or(StoreError::NotFound)?;
        // A document never changes once shared: what was read is its last state, unless a
        // concurrent delete took it first, which the count below tells.
        let mut tx = self.begin().await?;
        let deleted = exec_tx!(
            &mut tx,
            sqlx::query("DELETE FROM shared_documents WHERE id = $1 AND org_id = $2")
                .bind(doc_id)
                .bind(partner_id)
        )?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            who,
            "document.delete",
            "document",
            &doc_id.to_string(),
            Some(partner_id),
            Some(audit_json(doc_id, partner_id, &doc.document)),
            None,
        )
        .await?;
        tx.commit().await
    }
}
