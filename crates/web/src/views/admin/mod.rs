//! Administration pages: user accounts, the audit log and the security log.

pub mod logs;
pub mod users;
