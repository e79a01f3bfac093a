//! The partner registry's operations: partners (list, read, create, change, delete, export,
//! import), their shared documents, organizations, the delivery models, and the vendor's staff
//! that forms offer as managers, owners and leads.

pub mod delivery;
pub mod documents;
pub mod import;
pub mod organizations;
pub mod partners;
