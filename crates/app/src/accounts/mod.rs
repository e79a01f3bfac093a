//! Accounts: signing in and out, user accounts, API tokens.

pub mod sign_in;
pub mod tokens;
pub mod users;
