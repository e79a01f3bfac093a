//! The state every handler shares: the store, the configuration, the login limiter and metrics.

use std::sync::Arc;

use partnerhub_store::Store;

use crate::auth::LoginLimiter;
use crate::cache::ReadCache;
use crate::config::WebConfig;
use crate::metrics::Metrics;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    config: WebConfig,
    limiter: LoginLimiter,
    metrics: Metrics,
    cache: ReadCache,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig) -> Self {
        let limiter = LoginLimiter::new(config.login_attempts);
        Self(Arc::new(Inner {
            store,
            config,
            limiter,
            metrics: Metrics::default(),
            cache: ReadCache::default(),
        }))
    }
    pub fn store(&self) -> &Store {
        &self.0.store
    }
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }
    pub fn limiter(&self) -> &LoginLimiter {
        &self.0.limiter
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    pub fn cache(&self) -> &ReadCache {
        &self.0.cache
    }
}
