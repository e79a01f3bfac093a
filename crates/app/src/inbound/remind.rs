//! The hourly reminder to the alliances channel: new requests nobody has claimed after
//! `triage_hours`, and open ones with overdue next steps, each reminded of at most once a day.

use partnerhub_outbound::Failure;
use partnerhub_store::InboundRecord;

use super::REMIND;
use crate::jobs::{Schedule, Worker};
use crate::App;

impl App {
    /// The hourly reminder: new requests unclaimed after `triage_hours`, and open ones with
    /// overdue steps, each reminded of at most once a day.
    async fn remind(&self) -> Result<Option<String>, Failure> {
        if !self.config().outbox.chat.contains_key("alliances") {
            return Ok(Some("no alliances channel is configured".into()));
        }
        let now = self.now_ms();
        let now_t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
            .map_err(|e| Failure::permanent(e.to_string()))?;
        let unclaimed_before = now_t - time::Duration::hours(self.config().triage_hours);
        let today = format!(
            "{:04}-{:02}-{:02}",
            now_t.year(),
            u8::from(now_t.month()),
            now_t.day()
        );
        let hours = self.config().triage_hours;
        let messages = |unclaimed: &[InboundRecord], overdue: &[InboundRecord]| {
            let mut jobs = Vec::new();
            for r in unclaimed {
                jobs.extend(self.to_alliances(
                    format!(
                        "Reminder: the request of *{}* has waited more than {hours} hours for someone to take the lead.",
                        r.draft.company.as_str(),
                    ),
                    r.id,
                    now,
                ));
            }
            for r in overdue {
                let lead = r.lead.as_ref().map_or("nobody", |l| l.name.as_str());
                let late: Vec<&str> = r
                    .steps
                    .iter()
                    .filter(|s| !s.done && s.due_on.as_deref().is_some_and(|d| d < today.as_str()))
                    .map(|s| s.text.as_str())
                    .collect();
                jobs.extend(self.to_alliances(
                    format!(
                        "Reminder: the request of *{}* (led by {lead}) has overdue next steps: {}.",
                        r.draft.company.as_str(),
                        late.join("; ")
                    ),
                    r.id,
                    now,
                ));
            }
            jobs
        };
        // Marked as reminded and enqueued in one transaction: none is lost, none sent twice.
        let (unclaimed, overdue) = self
            .store()
            .inbound_reminders(unclaimed_before, &today, now - 86_400_000, now, messages)
            .await
            .map_err(|e| Failure::transient(e.to_string()))?;
        Ok(Some(format!(
            "{} unclaimed, {} with overdue steps",
            unclaimed, overdue
        )))
    }
}

/// Registers the hourly reminder.
pub fn register_jobs(worker: &mut Worker) {
    worker.handle(REMIND, |app: App, _job| async move { app.remind().await });
    worker.schedule(Schedule {
        kind: REMIND,
        every_ms: 3_600_000,
        offset_ms: 0,
    });
}
