//! The jobs table: background work and the outbox's deliveries. A job is enqueued (inside the
//! transaction of the change that causes it, for deliveries), claimed by a worker with a lease,
//! and finished, retried later or declared dead. An expired lease makes a job claimable again,
//! so a worker killed mid-job does not lose it. Bookkeeping: never audited, never moving the
//! change marker.

use partnerhub_domain::retry::AfterFailure;

use crate::db::{on_pool, on_tx, Store, Tx, TxInner};
use crate::error::StoreError;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its time (never tried, or failed and to be tried again).
    Pending,
    /// Claimed by a worker whose lease has not run out.
    Running,
    Done,
    /// Given up: failed permanently, or for too long.
    Dead,
    /// Dropped by an admin.
    Discarded,
}

impl JobState {
    pub fn code(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Discarded => "discarded",
        }
    }

    fn parse(code: &str) -> Result<Self, StoreError> {
        Ok(match code {
            "pending" => JobState::Pending,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            "discarded" => JobState::Discarded,
            other => return Err(StoreError::Corrupt(format!("job state {other:?}"))),
        })
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, Default)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    /// When it may first run (Unix ms).
    pub run_at: i64,
    /// For deliveries: the channel, the stable delivery id and the record it is about.
    pub channel: Option<String>,
    pub delivery_id: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    pub run_at: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub channel: Option<String>,
    pub delivery_id: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub result: Option<String>,
    /// When an admin last put it back in line.
    pub retried_at: Option<i64>,
}

impl JobRecord {
    /// Since when the job counts as trying: its creation, or an admin's retry.
    pub fn trying_since(&self) -> i64 {
        self.retried_at
            .unwrap_or(self.created_at)
            .max(self.created_at)
    }

    /// A pending job that has failed before: what admins see as "failed".
    pub fn is_failing(&self) -> bool {
        self.state == JobState::Pending && self.attempts > 0
    }
}

/// Which jobs to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// `pending`, `running`, `done`, `dead`, `discarded`, or `failed` (pending, tried before).
    pub state: Option<String>,
    /// Only deliveries (jobs with a channel).
    pub deliveries: bool,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub before_id: Option<i64>,
    /// Only deliveries to this webhook subscription.
    pub webhook_id: Option<i64>,
    pub limit: i64,
}

type Row = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

const COLUMNS: &str = "id, kind, payload, state, run_at, attempts, last_error, created_at, updated_at, finished_at, channel, delivery_id, subject_type, subject_id, result, retried_at";

fn record(r: Row) -> Result<JobRecord, StoreError> {
    Ok(JobRecord {
        id: r.0,
        kind: r.1,
        payload: r.2,
        state: JobState::parse(&r.3)?,
        run_at: r.4,
        attempts: r.5,
        last_error: r.6,
        created_at: r.7,
        updated_at: r.8,
        finished_at: r.9,
        channel: r.10,
        delivery_id: r.11,
        subject_type: r.12,
        subject_id: r.13,
        result: r.14,
        retried_at: r.15,
    })
}

/// Enqueues `job` within `tx`; a job whose dedupe key exists already is not added (`None`).
pub(crate) async fn enqueue_in(
    tx: &mut Tx,
    job: &NewJob,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let id: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, dedupe_key, state, run_at, attempts, created_at, updated_at, channel, delivery_id, subject_type, subject_id) \
         VALUES ($1, $2, $3, 'pending', $4, 0, $5, $5, $6, $7, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.dedupe_key)
    .bind(job.run_at)
    .bind(now)
    .bind(&job.channel)
    .bind(&job.delivery_id)
    .bind(&job.subject_type)
    .bind(&job.subject_id)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(id)
}

impl Store {
    /// Enqueues a job on its own (a schedule's slot, a retried test event).
    pub async fn enqueue(&self, job: &NewJob, now: i64) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin().await?;
        let id = enqueue_in(&mut tx, job, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims up to `limit` due jobs for `worker` until `now + lease_ms`: pending jobs whose
    /// time has come, and running ones whose lease ran out (their worker died). Each claim
    /// counts as an attempt. On PostgreSQL concurrent workers skip each other's rows
    /// (`FOR UPDATE SKIP LOCKED`); on SQLite the one writer serializes claims.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let mut tx = self.begin().await?;
        let lock = if matches!(tx.inner, TxInner::Postgres(_)) {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_until = $1, leased_by = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs WHERE (state = 'pending' AND run_at <= $3) OR (state = 'running' AND lease_until < $3) \
             ORDER BY run_at, id LIMIT $4 {lock}) RETURNING {COLUMNS}"
        );
        let rows: Vec<Row> = on_tx!(&mut tx, c => sqlx::query_as(&sql)
            .bind(now + lease_ms)
            .bind(worker)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *c)
            .await)?;
        tx.commit().await?;
        let mut jobs = rows
            .into_iter()
            .map(record)
            .collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    /// Records a job's success, if `worker` still holds it; returns whether it did.
    pub async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        now: i64,
        result: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let n = crate::db::exec_tx!(&mut tx, sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at = $1, updated_at = $1, result = $2, lease_until = NULL, last_error = NULL \
             WHERE id = $3 AND state = 'running' AND leased_by = $4",
        )
        .bind(now)
        .bind(result)
        .bind(id)
        .bind(worker))?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Records a failed attempt: the job waits for its next time, or is dead.
    pub async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        now: i64,
        error: &str,
        next: AfterFailure,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(2000).collect();
        let (state, run_at) = match next {
            AfterFailure::RetryAt(at) => ("pending", Some(at)),
            AfterFailure::Dead => ("dead", None),
        };
        let mut tx = self.begin().await?;
        crate::db::exec_tx!(&mut tx, sqlx::query(
            "UPDATE jobs SET state = $1, run_at = COALESCE($2, run_at), last_error = $3, updated_at = $4, lease_until = NULL, \
             finished_at = CASE WHEN $1 = 'dead' THEN $4 ELSE NULL END WHERE id = $5 AND state = 'running' AND leased_by = $6",
        )
        .bind(state)
        .bind(run_at)
        .bind(&error)
        .bind(now)
        .bind(id)
        .bind(worker))?;
        tx.commit().await
    }

    /// Gives back a claimed job unfinished (a worker shutting down): claimable again at once,
    /// its attempt not counted.
    pub async fn release_job(&self, id: i64, worker: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        crate::db::exec_tx!(&mut tx, sqlx::query(
            "UPDATE jobs SET state = 'pending', lease_until = NULL, leased_by = NULL, attempts = attempts - 1, updated_at = $1 \
             WHERE id = $2 AND state = 'running' AND leased_by = $3",
        )
        .bind(now)
        .bind(id)
        .bind(worker))?;
        tx.commit().await
    }

    /// Puts a failed or dead job back in line now (admins); `false` when it is neither.
    pub async fn retry_job(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let n = crate::db::exec_tx!(&mut tx, sqlx::query(
            "UPDATE jobs SET state = 'pending', run_at = $1, updated_at = $1, finished_at = NULL, retried_at = $1 \
             WHERE id = $2 AND (state = 'dead' OR (state = 'pending' AND attempts > 0))",
        )
        .bind(now)
        .bind(id))?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Drops a job that has not succeeded (admins); `false` when it is done or running.
    pub async fn discard_job(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let n = crate::db::exec_tx!(&mut tx, sqlx::query(
            "UPDATE jobs SET state = 'discarded', updated_at = $1, finished_at = $1 WHERE id = $2 AND state IN ('pending', 'dead')",
        )
        .bind(now)
        .bind(id))?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<JobRecord, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        let row: Option<Row> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        record(row.ok_or(StoreError::NotFound)?)
    }

    /// Jobs matching `filter`, newest first.
    pub async fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobRecord>, StoreError> {
        let (state, failing) = match filter.state.as_deref() {
            Some("failed") => (Some("pending"), true),
            other => (other, false),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 = FALSE OR attempts > 0) \
             AND ($3 = FALSE OR channel IS NOT NULL) AND ($4 IS NULL OR subject_type = $4) AND ($5 IS NULL OR subject_id = $5) \
             AND ($6 IS NULL OR id < $6) AND ($8 IS NULL OR (channel = 'webhook' AND payload LIKE $8)) ORDER BY id DESC LIMIT $7"
        );
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(state)
            .bind(failing)
            .bind(filter.deliveries)
            .bind(&filter.subject_type)
            .bind(&filter.subject_id)
            .bind(filter.before_id)
            .bind(filter.limit.clamp(1, 500))
            // The stored message starts `{"channel":"webhook","subscription_id":N,`.
            .bind(filter.webhook_id.map(|id| format!("{{\"channel\":\"webhook\",\"subscription_id\":{id},%")))
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(record).collect()
    }

    /// How many deliveries wait, by state (`pending`, `failed`, `dead`), for the metrics.
    pub async fn outbox_depth(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT CASE WHEN state = 'pending' AND attempts > 0 THEN 'failed' ELSE state END AS s, COUNT(*) \
             FROM jobs WHERE channel IS NOT NULL AND state IN ('pending', 'running', 'dead') GROUP BY s ORDER BY s",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// How many deliveries each channel has in each state (`failed` for pending ones tried
    /// before), for the metrics: `(channel, state, count)`.
    pub async fn deliveries_by_channel(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows: Vec<(String, String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT channel, CASE WHEN state = 'pending' AND attempts > 0 THEN 'failed' ELSE state END AS s, COUNT(*) \
             FROM jobs WHERE channel IS NOT NULL GROUP BY channel, s ORDER BY channel, s",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
