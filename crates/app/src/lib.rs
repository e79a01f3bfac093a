//! Partnerhub's operations (use cases): the one layer the JSON API, the pages, the command line
//! and background jobs all call.
//!
//! Each operation takes the [`Caller`] and parsed input, loads what it acts on, authorizes
//! against it with the domain's policy, applies the domain's rules and writes through the store
//! in one transaction (its audit rows included), and returns a domain result or an
//! [`AppError`]. Nothing here knows HTTP; nothing here writes SQL.

pub mod accounts;
pub mod audit;
pub mod clock;
mod error;
pub mod inbound;
pub mod jobs;
pub mod outbox;
pub mod passwords;
pub mod registry;
pub mod secrets;
pub mod webhooks;

use std::sync::Arc;

use clock::{Clock, SystemClock};
use outbox::{DeliveryStats, OutboxConfig};
use partnerhub_domain::retry::RetryPolicy;

use partnerhub_domain::access::{Action, Actor, Denied, Scope};
use partnerhub_store::{Store, Who};

pub use accounts::sign_in::{LoginLimiter, SignIn};
pub use error::AppError;
pub use passwords::Passwords;

/// What the operations are configured with.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// How the scorecard's criteria weigh.
    pub weights: partnerhub_domain::scorecard::Weights,
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Failed sign-ins allowed per address and account in 15 minutes.
    pub login_attempts: u32,
    /// Failed sign-ins allowed per address, whatever the accounts, in 15 minutes.
    pub login_attempts_per_address: u32,
    /// Password hashes computed at once; more wait their turn off the request threads.
    pub password_hashers: usize,
    /// How long a sign-in refused for too many failures waits before it is answered: a flood
    /// is slowed to a trickle without costing the server anything but an idle task.
    pub limited_delay: std::time::Duration,
    /// The time operations and jobs read.
    pub clock: Arc<dyn Clock>,
    /// Where notifications may go.
    pub outbox: OutboxConfig,
    /// How failed jobs and deliveries are retried.
    pub retry: RetryPolicy,
    /// Where people reach the web UI (`https://partners.example.com`), for links in messages.
    pub public_url: String,
    /// Seals secrets set in the UI; derived from the audit key.
    pub sealer: Option<secrets::Sealer>,
    /// Hours after which an unclaimed inbound request is reminded of.
    pub triage_hours: i64,
    /// The vendor organization's name ("GitLab"), for document names and messages.
    pub vendor_name: String,
    /// Requests the public intake takes from one address per hour.
    pub intake_per_hour: u32,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            weights: partnerhub_domain::scorecard::Weights::default(),
            session_hours: 12,
            login_attempts: 10,
            login_attempts_per_address: 50,
            password_hashers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            limited_delay: std::time::Duration::from_secs(1),
            clock: Arc::new(SystemClock),
            outbox: OutboxConfig::default(),
            retry: RetryPolicy::default(),
            public_url: "http://127.0.0.1:8080".into(),
            sealer: None,
            triage_hours: 48,
            vendor_name: "GitLab".into(),
            intake_per_hour: 10,
        }
    }
}

/// The operations over one store; cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    config: AppConfig,
    passwords: Passwords,
    limiter: Arc<LoginLimiter>,
    intake: Arc<inbound::IntakeLimiter>,
    stats: Arc<DeliveryStats>,
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> Self {
        let passwords = Passwords::new(config.password_hashers);
        let limiter = Arc::new(LoginLimiter::new(
            config.login_attempts,
            config.login_attempts_per_address,
        ));
        Self {
            store,
            config,
            passwords,
            limiter,
            intake: Arc::new(inbound::IntakeLimiter::default()),
            stats: Arc::new(DeliveryStats::default()),
        }
    }

    /// The current time, Unix milliseconds, by the configured clock.
    pub fn now_ms(&self) -> i64 {
        self.config.clock.now_ms()
    }

    /// Deliveries by channel and result since start.
    pub fn delivery_stats(&self) -> &DeliveryStats {
        &self.stats
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }
}

/// Who is calling an operation.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A signed-in user, as the domain's policy sees it, and the address the audit log names.
    User { actor: Actor, email: String },
    /// The system itself: first start, the demo, the command line (whoever runs it holds the
    /// database and its key). Authorized for everything; audited under this label.
    System(&'static str),
}

impl Caller {
    /// The audit log's record of who acted.
    pub fn who(&self) -> Who {
        match self {
            Caller::User { actor, email } => Who {
                user_id: Some(actor.user_id),
                label: email.clone(),
            },
            Caller::System(label) => Who::system(label),
        }
    }

    /// The domain's policy applied to this caller: may it do `action` on data of `org`?
    pub fn authorize(&self, action: Action, org: Option<i64>) -> Result<(), Denied> {
        match self {
            Caller::User { actor, .. } => actor.authorize(action, org),
            Caller::System(_) => Ok(()),
        }
    }

    /// Whether the caller's role may ever perform `action` (to show or hide what it cannot do).
    pub fn may(&self, action: Action) -> bool {
        match self {
            Caller::User { actor, .. } => actor.may(action),
            Caller::System(_) => true,
        }
    }

    /// Which organizations' data this caller may read.
    pub fn scope(&self) -> Scope {
        match self {
            Caller::User { actor, .. } => actor.scope(),
            Caller::System(_) => Scope::All,
        }
    }

    /// The signed-in user's id, if a user is calling.
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Caller::User { actor, .. } => Some(actor.user_id),
            Caller::System(_) => None,
        }
    }
}

/// Registers the scheduled work of every capability with a worker.
pub(crate) fn register_jobs(worker: &mut jobs::Worker) {
    inbound::register_jobs(worker);
}
