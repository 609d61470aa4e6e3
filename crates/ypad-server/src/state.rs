//! State shared by every handler: a cheap `Clone` over `Arc`s.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use ypad_store::Store;

use crate::config::Config;
use crate::persist::Persister;
use crate::registry::Registry;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub registry: Arc<Registry>,
    pub persister: Persister,
    /// Cancelled on shutdown: connections close with 1001.
    pub shutdown: CancellationToken,
    /// Tracks connection tasks so shutdown can wait for them to finish.
    pub tracker: TaskTracker,
    /// The Etherpad API key (`{data-dir}/APIKEY.txt`).
    pub api_key: Arc<str>,
    connections: Arc<AtomicUsize>,
}

/// Decrements the connection count when dropped.
pub struct ConnectionCount(Arc<AtomicUsize>);

impl Drop for ConnectionCount {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AppState {
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        persister: Persister,
        api_key: String,
    ) -> Self {
        AppState {
            config: Arc::new(config),
            store,
            registry,
            persister,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            api_key: api_key.into(),
            connections: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn count_connection(&self) -> ConnectionCount {
        self.connections.fetch_add(1, Ordering::Relaxed);
        ConnectionCount(self.connections.clone())
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// Runs a blocking store call off the async runtime.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> T {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&*store)).await {
            Ok(value) => value,
            Err(err) => std::panic::resume_unwind(err.into_panic()),
        }
    }
}
