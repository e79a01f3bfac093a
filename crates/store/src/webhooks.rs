//! Webhook subscriptions. Their URLs and signing secrets arrive sealed (the store never sees
//! them in the clear) and the audit log records only their hints.

use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store};
use crate::error::StoreError;

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: i64,
    pub name: String,
    pub url_sealed: String,
    /// What lists show of the URL: `set (…abcd)`.
    pub url_hint: String,
    pub secret_sealed: String,
    /// Event codes it receives.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

/// A subscription to create, its secrets sealed.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub name: String,
    pub url_sealed: String,
    pub url_hint: String,
    pub secret_sealed: String,
    pub events: Vec<String>,
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    bool,
    OffsetDateTime,
);

const SELECT: &str = "SELECT id, name, url_sealed, url_hint, secret_sealed, events, active, created_at FROM webhooks";

fn record(r: Row) -> Result<WebhookRecord, StoreError> {
    let events: Vec<String> = serde_json::from_str(&r.5)
        .map_err(|e| StoreError::Corrupt(format!("webhook {}: events: {e}", r.0)))?;
    Ok(WebhookRecord {
        id: r.0,
        name: r.1,
        url_sealed: r.2,
        url_hint: r.3,
        secret_sealed: r.4,
        events,
        active: r.6,
        created_at: r.7,
    })
}

fn audit_json(w: &WebhookRecord) -> String {
    serde_json::json!({"id": w.id, "name": w.name, "url": w.url_hint, "events": w.events, "active": w.active})
        .to_string()
}

impl Store {
    /// Creates a subscription (audited with the URL's hint only).
    pub async fn create_webhook(
        &self,
        who: &Who,
        new: &NewWebhook,
    ) -> Result<WebhookRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = crate::now();
        let events = serde_json::to_string(&new.events).unwrap_or_else(|_| "[]".into());
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO webhooks (name, url_sealed, url_hint, secret_sealed, events, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
        )
        .bind(&new.name)
        .bind(&new.url_sealed)
        .bind(&new.url_hint)
        .bind(&new.secret_sealed)
        .bind(&events)
        .bind(now)
        .fetch_one(&mut *c)
        .await)?;
        let created = WebhookRecord {
            id,
            name: new.name.clone(),
            url_sealed: new.url_sealed.clone(),
            url_hint: new.url_hint.clone(),
            secret_sealed: new.secret_sealed.clone(),
            events: new.events.clone(),
            active: true,
            created_at: now,
        };
        audit::record(
            &mut tx,
            who,
            "webhook.create",
            "webhook",
            &id.to_string(),
            None,
            None,
            Some(audit_json(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Every subscription, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        let sql = format!("{SELECT} ORDER BY id");
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?;
        rows.into_iter().map(record).collect()
    }

    pub async fn webhook(&self, id: i64) -> Result<WebhookRecord, StoreError> {
        let sql = format!("{SELECT} WHERE id = $1");
        let row: Option<Row> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        record(row.ok_or(StoreError::NotFound)?)
    }

    /// Removes a subscription (audited); its pending deliveries then fail as dead.
    pub async fn delete_webhook(&self, who: &Who, id: i64) -> Result<(), StoreError> {
        let before = self.webhook(id).await?;
        let mut tx = self.begin().await?;
        let n = exec_tx!(
            &mut tx,
            sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id)
        )?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            who,
            "webhook.delete",
            "webhook",
            &id.to_string(),
            None,
            Some(audit_json(&before)),
            None,
        )
        .await?;
        tx.commit().await
    }
}
