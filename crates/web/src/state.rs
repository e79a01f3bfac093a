//! The state every handler shares: the operations, the configuration, metrics and the read
//! cache.

use std::sync::Arc;

use partnerhub_app::App;
use partnerhub_store::Store;

use crate::cache::ReadCache;
use crate::config::WebConfig;
use crate::metrics::Metrics;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    app: App,
    config: WebConfig,
    metrics: Metrics,
    cache: ReadCache,
}

impl AppState {
    pub fn new(app: App, config: WebConfig) -> Self {
        Self(Arc::new(Inner {
            app,
            config,
            metrics: Metrics::default(),
            cache: ReadCache::default(),
        }))
    }
    /// The operations every handler calls.
    pub fn app(&self) -> &App {
        &self.0.app
    }
    pub fn store(&self) -> &Store {
        self.0.app.store()
    }
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    pub fn cache(&self) -> &ReadCache {
        &self.0.cache
    }
}
