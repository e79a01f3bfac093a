//! Administration pages: user accounts, the audit log and the security log, the outbox and
//! webhook subscriptions.

pub mod logs;
pub mod outbound;
pub mod users;
