//! Persistence for Partnerhub: one data model over SQLite (the default) and PostgreSQL.
//!
//! Each query is written once, in SQL both engines accept, and runs through the engine's own
//! sqlx driver (see the `on_*!` macros): no runtime-typed `Any` driver, so times, booleans and
//! integers keep their types. Every change writes its audit row in the same transaction.

mod audit;
mod db;
mod delivery;
mod documents;
mod error;
mod inbound;
mod jobs;
mod organizations;
mod partners;
mod security_log;
mod sessions;
mod users;
mod webhooks;

pub use audit::{AuditFilter, AuditRecord, ChainReport, ChainStart, Who};
pub use db::{Db, Store, Tx};
pub use delivery::DeliveryModelRecord;
pub use documents::DocumentRecord;
pub use error::StoreError;
pub use inbound::{InboundFilter, InboundRecord, Seen, StepPatch, StepRecord};
pub use jobs::{JobFilter, JobRecord, JobState, NewJob};
pub use organizations::{NewOrganization, Organization};
pub use partners::{ManagerRef, PartnerFilter, PartnerPage, PartnerRecord};
pub use security_log::{SecurityFilter, SecurityRecord};
pub use sessions::{ApiTokenRecord, SessionRecord, TokenIdentity};
pub use users::{NewUser, User, UserFilter};
pub use webhooks::{NewWebhook, WebhookRecord};

/// The current time, truncated to microseconds so both engines store the same value.
pub fn now() -> time::OffsetDateTime {
    let t = time::OffsetDateTime::now_utc();
    let micros = t.microsecond();
    t.replace_nanosecond(micros * 1000).unwrap_or(t)
}
