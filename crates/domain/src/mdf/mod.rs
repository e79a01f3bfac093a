//! MDF cloud-credit reimbursement: the vendor applies to a cloud partner for market development
//! funds for a joint campaign, and the partner reimburses the spend as cloud credits on the
//! vendor's production account. Money (`money`), budgets' quarters (`quarter`), the application
//! and its amount rules (`application`), budgets per partner and quarter (`budget`), and its
//! states with who may move them (`workflow`).

pub mod application;
pub mod budget;
pub mod money;
pub mod quarter;
pub mod workflow;
