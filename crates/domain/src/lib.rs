//! The partner-program handbook's rules as types and pure functions.
//!
//! No IO, no async, no wire formats: every value here has been parsed at the edge, so an
//! invalid partner, score or document cannot exist past it. Other crates turn requests, rows and
//! files into these types and back.

pub mod access;
pub mod audit;
pub mod credentials;
pub mod delivery;
pub mod documents;
pub mod field;
pub mod inbound;
pub mod mdf;
pub mod network;
pub mod notify;
pub mod organization;
pub mod partner;
pub mod partner_csv;
pub mod retry;
pub mod scorecard;
pub mod security;
pub mod taxonomy;
pub mod text;

pub use field::{FieldError, FieldErrors};
