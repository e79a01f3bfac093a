//! What the web layer is configured with: the vendor's name, scorecard weights, cookie and
//! size limits.

use partnerhub_domain::scorecard::Weights;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The vendor organization's name ("GitLab" in the demo).
    pub vendor_name: String,
    /// Scorecard weights.
    pub weights: Weights,
    /// Mark cookies `Secure` (on unless serving plain HTTP on loopback).
    pub cookie_secure: bool,
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Failed sign-ins allowed per address and account in 15 minutes.
    pub login_attempts: u32,
    /// Largest request body accepted (the CSV import is the largest client upload).
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the sign-in limiter).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            vendor_name: "GitLab".to_string(),
            weights: Weights::default(),
            cookie_secure: true,
            session_hours: 12,
            login_attempts: 10,
            max_body_bytes: 4 * 1024 * 1024,
            trusted_proxies: Vec::new(),
        }
    }
}
