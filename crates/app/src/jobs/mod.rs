//! Background jobs: a worker claims due jobs with a lease, runs them, and records success, a
//! retry (exponential backoff with jitter, a receiver's `Retry-After` honoured) or death (a
//! permanent failure, or one too old). Schedules enqueue their job once per slot, however
//! many workers run. `serve` runs a worker beside the web server; `partnerhub worker` runs
//! one alone, for several app instances over one PostgreSQL database.
//!
//! Shutdown stops claiming, lets running jobs finish within a grace period, and gives back
//! the leases of those that did not.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use partnerhub_domain::retry::AfterFailure;
use partnerhub_outbound::Failure;
use partnerhub_store::{JobRecord, NewJob};
use rand::Rng;
use tokio::task::JoinSet;

use crate::outbox::{self, DELIVER};
use crate::App;

/// Work enqueued on a timetable.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// The job kind it enqueues.
    pub kind: &'static str,
    /// Once per this many milliseconds, at multiples of it since the Unix epoch (an hour's
    /// schedule runs on the hour; a day's at midnight UTC plus `offset_ms`).
    pub every_ms: i64,
    pub offset_ms: i64,
}

impl Schedule {
    /// The slot due at `now`: its number and when it began.
    fn slot(&self, now: i64) -> (i64, i64) {
        let n = (now - self.offset_ms).div_euclid(self.every_ms);
        (n, n * self.every_ms + self.offset_ms)
    }
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once.
    pub concurrency: usize,
    /// How often the worker looks for due jobs.
    pub poll: Duration,
    /// How long a claim lasts before another worker may take the job over.
    pub lease: Duration,
    /// How long shutdown waits for running jobs.
    pub grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(120),
            grace: Duration::from_secs(20),
        }
    }
}

/// A job kind the worker knows besides deliveries.
type Handler = Arc<
    dyn Fn(
            App,
            JobRecord,
        )
            -> std::pin::Pin<Box<dyn Future<Output = Result<Option<String>, Failure>> + Send>>
        + Send
        + Sync,
>;

/// A worker over one store.
pub struct Worker {
    app: App,
    id: String,
    config: WorkerConfig,
    schedules: Vec<Schedule>,
    handlers: HashMap<&'static str, Handler>,
}

impl Worker {
    /// A worker that runs deliveries and the operations' scheduled work.
    pub fn new(app: App, config: WorkerConfig) -> Self {
        let id = format!(
            "{}-{}-{}",
            hostname(),
            std::process::id(),
            &crate::secrets::new_secret()[..8]
        );
        let mut worker = Self {
            app,
            id,
            config,
            schedules: Vec::new(),
            handlers: HashMap::new(),
        };
        crate::register_jobs(&mut worker);
        worker
    }

    /// Runs `kind` jobs with `handler`.
    pub fn handle<F, Fut>(&mut self, kind: &'static str, handler: F)
    where
        F: Fn(App, JobRecord) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<String>, Failure>> + Send + 'static,
    {
        self.handlers
            .insert(kind, Arc::new(move |app, job| Box::pin(handler(app, job))));
    }

    /// Enqueues `schedule.kind` once per slot.
    pub fn schedule(&mut self, schedule: Schedule) {
        self.schedules.push(schedule);
    }

    /// Enqueues each schedule's current slot, once however many workers do so.
    pub async fn enqueue_schedules(&self) -> Result<(), crate::AppError> {
        let now = self.app.now_ms();
        for s in &self.schedules {
            let (n, start) = s.slot(now);
            let job = NewJob {
                kind: s.kind.to_string(),
                payload: "{}".into(),
                dedupe_key: Some(format!("schedule:{}:{n}", s.kind)),
                run_at: start,
                ..Default::default()
            };
            self.app.store().enqueue(&job, now).await?;
        }
        Ok(())
    }

    /// Enqueues the schedules, then claims and runs every due job, waiting for them; returns
    /// how many ran. For tests and for a single pass from the command line.
    pub async fn run_due(&self) -> Result<usize, crate::AppError> {
        self.enqueue_schedules().await?;
        let mut ran = 0;
        loop {
            let jobs = self.claim(self.config.concurrency).await?;
            if jobs.is_empty() {
                return Ok(ran);
            }
            let mut set = JoinSet::new();
            for job in jobs {
                set.spawn(run_one(
                    self.app.clone(),
                    self.id.clone(),
                    self.handler(&job),
                    job,
                ));
            }
            while set.join_next().await.is_some() {
                ran += 1;
            }
        }
    }

    fn handler(&self, job: &JobRecord) -> Option<Handler> {
        self.handlers.get(job.kind.as_str()).cloned()
    }

    async fn claim(&self, limit: usize) -> Result<Vec<JobRecord>, crate::AppError> {
        let lease = self.config.lease.as_millis() as i64;
        Ok(self
            .app
            .store()
            .claim_jobs(&self.id, self.app.now_ms(), lease, limit as i64)
            .await?)
    }

    /// Runs until `shutdown` resolves, then finishes or gives back what it holds.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut running: JoinSet<i64> = JoinSet::new();
        let mut held: Vec<i64> = Vec::new();
        tracing::info!(worker = %self.id, "worker started");
        loop {
            if let Err(e) = self.enqueue_schedules().await {
                tracing::warn!(error = %e, "enqueuing scheduled jobs failed");
            }
            let free = self.config.concurrency.saturating_sub(running.len());
            if free > 0 {
                match self.claim(free).await {
                    Ok(jobs) => {
                        for job in jobs {
                            held.push(job.id);
                            let id = job.id;
                            let task =
                                run_one(self.app.clone(), self.id.clone(), self.handler(&job), job);
                            running.spawn(async move {
                                task.await;
                                id
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming jobs failed"),
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                Some(Ok(id)) = running.join_next(), if !running.is_empty() => {
                    held.retain(|h| *h != id);
                }
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        // Let running jobs finish; give back the leases of those that do not in time.
        let deadline = tokio::time::sleep(self.config.grace);
        tokio::pin!(deadline);
        while !running.is_empty() {
            tokio::select! {
                Some(Ok(id)) = running.join_next() => held.retain(|h| *h != id),
                () = &mut deadline => break,
            }
        }
        // Wait until the aborted ones have stopped, so none is still sending when its lease is
        // given back to another worker.
        running.abort_all();
        while running.join_next().await.is_some() {}
        for id in held {
            if let Err(e) = self
                .app
                .store()
                .release_job(id, &self.id, self.app.now_ms())
                .await
            {
                tracing::warn!(job = id, error = %e, "giving back a job's lease failed");
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }
}

/// Runs one claimed job and records how it went.
async fn run_one(app: App, worker: String, handler: Option<Handler>, job: JobRecord) {
    let outcome = match job.kind.as_str() {
        DELIVER => deliver(&app, &job).await,
        kind => match handler {
            Some(h) => h(app.clone(), job.clone()).await,
            None => Err(Failure::permanent(format!(
                "no worker knows jobs of kind {kind:?}"
            ))),
        },
    };
    let now = app.now_ms();
    let channel = job.channel.clone();
    let store = app.store();
    let recorded = match outcome {
        Ok(result) => match store
            .finish_job(job.id, &worker, now, result.as_deref())
            .await
        {
            Ok(held) => {
                if let Some(c) = &channel {
                    app.delivery_stats().count(c, "delivered");
                }
                if !held {
                    // Another worker took the job over when the lease ran out: it went out
                    // twice, which at-least-once delivery allows; the stable id lets the
                    // receiver tell.
                    tracing::warn!(job = job.id, "a job finished after its lease ran out");
                }
                Ok(())
            }
            Err(e) => Err(e),
        },
        Err(failure) => {
            let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
            let jitter: f64 = rand::thread_rng().gen();
            let next = app.config().retry.after_failure(
                attempts,
                job.trying_since(),
                now,
                jitter,
                failure.retry_after_ms,
                failure.permanent,
            );
            if let Some(c) = &channel {
                let result = if next == AfterFailure::Dead {
                    "dead"
                } else {
                    "failed"
                };
                app.delivery_stats().count(c, result);
            }
            tracing::warn!(job = job.id, kind = %job.kind, attempts, error = %failure.message, "job failed");
            store
                .fail_job(job.id, &worker, now, &failure.message, next)
                .await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(job = job.id, error = %e, "recording a job's outcome failed");
    }
}

/// Sends a delivery; a webhook's URL and secret are looked up at this moment.
async fn deliver(app: &App, job: &JobRecord) -> Result<Option<String>, Failure> {
    let webhook = match serde_json::from_str::<partnerhub_outbound::Message>(&job.payload) {
        Ok(partnerhub_outbound::Message::Webhook {
            subscription_id, ..
        }) => app
            .webhook_target(subscription_id)
            .await
            .map_err(|e| Failure::transient(e.to_string()))?,
        _ => None,
    };
    outbox::send(&app.config().outbox, job, webhook).await
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_run_once_per_slot_from_its_start() {
        let hourly = Schedule {
            kind: "x",
            every_ms: 3_600_000,
            offset_ms: 0,
        };
        assert_eq!(hourly.slot(3_600_000 * 5 + 10), (5, 3_600_000 * 5));
        let daily_at_six = Schedule {
            kind: "y",
            every_ms: 86_400_000,
            offset_ms: 6 * 3_600_000,
        };
        let (n, start) = daily_at_six.slot(86_400_000 * 3 + 5 * 3_600_000);
        assert_eq!((n, start), (2, 86_400_000 * 2 + 6 * 3_600_000));
    }
}
