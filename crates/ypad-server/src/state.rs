//! State shared by every handler: a cheap `Clone` over `Arc`s.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use ypad_engine::Engine;

use crate::config::Config;

#[derive(Clone)]
pub(crate) struct AppState {
    pub config: Arc<Config>,
    pub engine: Engine,
    /// Cancelled on shutdown: connections close with 1001.
    pub shutdown: CancellationToken,
    /// Tracks connection tasks so shutdown can wait for them to finish.
    pub tracker: TaskTracker,
    /// The Etherpad API key (`{data-dir}/APIKEY.txt`).
    pub api_key: Arc<str>,
    /// Ids of group sessions and groups just deleted: connections let in by them close.
    pub revoked: tokio::sync::broadcast::Sender<String>,
    /// Admin sign-in attempts per client address: the API key is not to be guessed.
    pub sign_ins: Arc<DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Imports and exports per client address.
    pub transfers: Arc<DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Webhook delivery counts, for `/health`.
    pub webhooks: Arc<crate::webhooks::WebhookStats>,
    /// Events' pad texts by head revision, for search and the event page (a cache only).
    pub event_texts: Arc<ypad_engine::EventTexts>,
    /// Open WebSocket connections, for the server-wide limit and `/health`.
    connections: Arc<AtomicUsize>,
    /// Requests waiting on the changes feed now, for `/health`.
    pub feed_waiting: Arc<AtomicUsize>,
    /// This node's cluster secret and lease, when it is one of a cluster's nodes.
    pub cluster: Option<crate::cluster::ClusterEdge>,
}

/// One in a count (connections, waiting requests) until dropped.
pub(crate) struct Counted(Arc<AtomicUsize>);

impl Counted {
    /// Counts one more in `count` until the result is dropped.
    pub(crate) fn enter(count: &Arc<AtomicUsize>) -> Counted {
        count.fetch_add(1, Ordering::Relaxed);
        Counted(count.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AppState {
    pub fn new(config: Config, engine: Engine, api_key: String) -> Self {
        let per_minute = std::num::NonZeroU32::new(config.transfers_per_minute)
            .unwrap_or(std::num::NonZeroU32::MIN);
        AppState {
            // Deletions are rare; a connection that falls behind rechecks its session.
            revoked: tokio::sync::broadcast::channel(64).0,
            sign_ins: Arc::new(RateLimiter::keyed(Quota::per_minute(
                std::num::NonZeroU32::new(5).unwrap_or(std::num::NonZeroU32::MIN),
            ))),
            transfers: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            config: Arc::new(config),
            engine,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            api_key: api_key.into(),
            event_texts: Arc::default(),
            connections: Arc::new(AtomicUsize::new(0)),
            feed_waiting: Arc::default(),
            webhooks: Arc::default(),
            cluster: None,
        }
    }

    pub fn count_connection(&self) -> Counted {
        Counted::enter(&self.connections)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}
