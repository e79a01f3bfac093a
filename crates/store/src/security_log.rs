//! The security log: sign-ins, sign-outs and refused sign-ins, for admins to read. It is not
//! program data: rows are appended outside the audit chain and do not move the change marker,
//! so a flood of refused sign-ins never invalidates the read caches.

use partnerhub_domain::security::SecurityEvent;
use time::OffsetDateTime;

use crate::db::{exec_tx, on_pool, Store};
use crate::error::StoreError;

/// One security event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRecord {
    pub id: i64,
    pub at: OffsetDateTime,
    pub event: SecurityEvent,
    /// The address the event was for, as given (for a refused sign-in, possibly no account's).
    pub email: String,
    pub user_id: Option<i64>,
    /// The client's address.
    pub ip: String,
}

/// Which events to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct SecurityFilter {
    pub user_id: Option<i64>,
    pub event: Option<SecurityEvent>,
    /// Only events with an id below this (paging backwards from the newest).
    pub before_id: Option<i64>,
    pub limit: i64,
}

type Row = (i64, OffsetDateTime, String, String, Option<i64>, String);

impl Store {
    /// Appends an event. The email and address are cut to bounded lengths first: they come
    /// from clients.
    pub async fn log_security_event(
        &self,
        event: SecurityEvent,
        email: &str,
        user_id: Option<i64>,
        ip: &str,
    ) -> Result<(), StoreError> {
        let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        let mut tx = self.begin().await?;
        exec_tx!(
            &mut tx,
            sqlx::query(
                "INSERT INTO security_log (at, event, email, user_id, ip) VALUES ($1, $2, $3, $4, $5)"
            )
            .bind(crate::now())
            .bind(event.code())
            .bind(cut(email, 254))
            .bind(user_id)
            .bind(cut(ip, 64))
        )?;
        tx.commit().await
    }

    /// Security events matching `filter`, newest first.
    pub async fn security_events(
        &self,
        filter: &SecurityFilter,
    ) -> Result<Vec<SecurityRecord>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, at, event, email, user_id, ip FROM security_log \
             WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR event = $2) AND ($3 IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(filter.user_id)
        .bind(filter.event.map(SecurityEvent::code))
        .bind(filter.before_id)
        .bind(filter.limit.clamp(1, 500))
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                let event = SecurityEvent::parse("event", &r.2)
                    .map_err(|e| StoreError::Corrupt(e.message))?;
                Ok(SecurityRecord {
                    id: r.0,
                    at: r.1,
                    event,
                    email: r.3,
                    user_id: r.4,
                    ip: r.5,
                })
            })
            .collect()
    }
}
