//! The hourly reminder's reading: requests waiting for a lead, and open ones with overdue
//! steps, marked reminded with their deliveries in one transaction.

use time::OffsetDateTime;

use super::{request_in, InboundRecord};
use crate::db::{exec_tx, on_tx, Store};
use crate::error::StoreError;
use crate::jobs::NewJob;

impl Store {
    /// The reminder's requests — new ones created before `unclaimed_before`, open ones with a
    /// step due before `today` — not reminded of since `reminded_before`: marks them reminded
    /// and enqueues the deliveries `jobs` makes of them, in one transaction, so a reminder is
    /// sent exactly when it is recorded. Returns how many of each there were.
    pub async fn inbound_reminders(
        &self,
        unclaimed_before: OffsetDateTime,
        today: &str,
        reminded_before: i64,
        now_ms: i64,
        jobs: impl FnOnce(&[InboundRecord], &[InboundRecord]) -> Vec<NewJob>,
    ) -> Result<(usize, usize), StoreError> {
        let mut tx = self.begin().await?;
        let unclaimed_ids: Vec<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM inbound_requests WHERE state = 'new' AND created_at < $1 AND (reminded_at IS NULL OR reminded_at < $2) ORDER BY id",
        )
        .bind(unclaimed_before)
        .bind(reminded_before)
        .fetch_all(&mut *c)
        .await)?;
        let overdue_ids: Vec<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT DISTINCT r.id FROM inbound_requests r JOIN inbound_steps s ON s.request_id = r.id \
             WHERE r.state IN ('claimed', 'in_discussion') AND s.done = FALSE AND s.due_on IS NOT NULL AND s.due_on < $1 \
             AND (r.reminded_at IS NULL OR r.reminded_at < $2) ORDER BY r.id",
        )
        .bind(today)
        .bind(reminded_before)
        .fetch_all(&mut *c)
        .await)?;
        let mut unclaimed = Vec::new();
        for id in &unclaimed_ids {
            unclaimed.push(request_in(&mut tx, *id).await?);
        }
        let mut overdue = Vec::new();
        for id in &overdue_ids {
            overdue.push(request_in(&mut tx, *id).await?);
        }
        for id in unclaimed_ids.iter().chain(&overdue_ids) {
            exec_tx!(
                &mut tx,
                sqlx::query("UPDATE inbound_requests SET reminded_at = $1 WHERE id = $2")
                    .bind(now_ms)
                    .bind(*id)
            )?;
        }
        for job in jobs(&unclaimed, &overdue) {
            crate::jobs::enqueue_in(&mut tx, &job, now_ms).await?;
        }
        tx.commit().await?;
        Ok((unclaimed.len(), overdue.len()))
    }
}
