//! ypad-engine: the pads themselves, with no networking.
//!
//! [`Engine`] owns everything a pad needs between the network edge and the store: loading a
//! pad (`load`), the registry of live pads with their connections' outboxes (`registry`,
//! `live`), group commit on the persister thread (`persist`), the compactor thread and the
//! positional history it extends (`compact`, `history`), and whole-pad export and import
//! (`transfer`). The server drives it for WebSockets and HTTP; the command line drives the same
//! engine over a data directory.

mod clock;
mod cluster;
mod compact;
pub mod events;
mod history;
mod ids;
mod live;
mod load;
pub mod metrics;
mod persist;
mod registry;
mod transfer;

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use ypad_core::PadId;
use ypad_core::chat::ChatMessage;
use ypad_core::history::Rendered;
use ypad_store::{Claim, LogEntry, PadLock, Store, StoreError};

pub use clock::wall_ms;
pub use cluster::{ClusterNode, ClusterStatus, Located};
pub use events::{Applied, EventError, EventHit, EventTexts, SessionLive};
pub use history::{HistoryError, HistoryIndex};
pub use ids::{new_author, new_group_id, new_session_id};
pub use live::{ConnId, Dismissal, Edit, EditError, LivePad, Outbox};
pub use load::LoadError;
pub use persist::{Commit, CommittedPad};
pub use registry::{PadGuard, RelayStarter};
pub use transfer::{ExportOptions, Format, Import, TransferError, read_file};

use crate::cluster::Lease;
use crate::persist::{Fencing, Persister};
use crate::registry::Registry;

/// Revisions per block of positional history unless configured: reading a past revision
/// applies at most this many deltas, and a block's keyframe costs the text's size on disk. A
/// pad's CRDT checkpoint is written with each block.
pub const DEFAULT_HISTORY_BLOCK_LEN: u64 = 1000;

/// How the engine keeps pads.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Revisions per block of positional history (and between CRDT checkpoints).
    pub history_block_len: u64,
    /// A pad nobody holds for this long is dropped from memory once its revisions are durable.
    pub idle_evict: Duration,
    /// Largest text an update may grow a pad to, in UTF-16 code units.
    pub max_pad_chars: u64,
    /// This node in a cluster, when its store is shared with other nodes.
    pub cluster: Option<ClusterNode>,
}

/// How `copy` treats the source pad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMode {
    /// Every revision, authors and chat.
    WithHistory,
    /// The current document as a single revision.
    WithoutHistory,
    /// Every revision; the source is deleted afterwards.
    Move,
}

/// The engine: a cheap `Clone` handle shared by every connection and request.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Notices of other nodes' commits a waiting reader may fall behind by; one is as good as many.
const FED_ELSEWHERE_BACKLOG: usize = 16;

struct Inner {
    store: Arc<dyn Store>,
    registry: Registry,
    persister: Persister,
    /// Read by requests for past revisions and extended by the compactor thread.
    history: Arc<HistoryIndex>,
    /// The persister and compactor threads, joined by [`Engine::shutdown`].
    threads: Mutex<Vec<JoinHandle<()>>>,
    max_pad_chars: u64,
    /// In a cluster: this node's lease, and the way to stop its renewals.
    lease: Option<Arc<Lease>>,
    stop_lease: Mutex<Option<(std::sync::mpsc::Sender<()>, JoinHandle<()>)>>,
    /// Told when another node of the cluster committed to the changes feed.
    fed_elsewhere: tokio::sync::broadcast::Sender<()>,
}

impl Engine {
    /// Starts the persister and compactor threads over `store`.
    ///
    /// With `settings.cluster` over a store that coordinates a cluster, the node registers its
    /// lease before this returns (a blocking call), renews it on a thread, claims each pad it
    /// loads, and commits only under the fences of its claims.
    pub fn start(store: Arc<dyn Store>, settings: &Settings) -> Engine {
        let history = Arc::new(HistoryIndex::new(settings.history_block_len));
        let (compact, compactor) = compact::start(store.clone(), history.clone());
        let lease = settings
            .cluster
            .clone()
            .filter(|_| store.cluster().is_some())
            .map(|node| {
                Arc::new(Lease {
                    node,
                    live: Arc::new(std::sync::atomic::AtomicBool::new(true)),
                })
            });
        let fencing = match &lease {
            // The lease's liveness is what the persister admits edits by.
            Some(lease) => Fencing {
                node: Some(lease.node.info.id.clone()),
                lease_live: lease.live.clone(),
                ..Fencing::single_node()
            },
            None => Fencing::single_node(),
        };
        let on_fenced = fencing.on_fenced.clone();
        let (persister, persist_thread) =
            Persister::start(store.clone(), settings.history_block_len, compact, fencing);
        let registry = Registry::new(
            store.clone(),
            persister.clone(),
            settings.idle_evict,
            settings.max_pad_chars,
            lease.clone(),
        );
        let inner = Arc::new(Inner {
            store: store.clone(),
            registry,
            persister,
            history,
            threads: Mutex::new(vec![persist_thread, compactor]),
            max_pad_chars: settings.max_pad_chars,
            lease: lease.clone(),
            stop_lease: Mutex::new(None),
            fed_elsewhere: tokio::sync::broadcast::channel(FED_ELSEWHERE_BACKLOG).0,
        });
        let weak = Arc::downgrade(&inner);
        let _ = on_fenced.set(Box::new(move |pad, fence| {
            if let Some(inner) = weak.upgrade() {
                inner.registry.fenced(pad, fence);
            }
        }));
        if let Some(lease) = lease {
            cluster::follow_locks(store.clone(), Arc::downgrade(&inner));
            cluster::follow_feed(&*store, Arc::downgrade(&inner));
            let stop = cluster::start_lease(store, lease, Arc::downgrade(&inner));
            *lock(&inner.stop_lease) = Some(stop);
        }
        Engine { inner }
    }

    /// Sets how replicas reach their owners (the server's relay). Without it a node of a
    /// cluster relays nothing: pads owned elsewhere stay as they were loaded.
    pub fn set_relay(&self, relay: RelayStarter) {
        let _ = self.inner.registry.relay.set(relay);
    }

    /// Claims a replica's pad: if this node gets it (its owner left or lapsed), the replica is
    /// promoted in place from the store; otherwise says who owns it.
    pub async fn locate(&self, pad: &Arc<LivePad>) -> Result<Located, LoadError> {
        let Some(lease) = self.inner.lease.clone() else {
            return Ok(Located::Mine);
        };
        let id = pad.id.clone();
        let claimed = self
            .blocking(move |store| -> Result<_, LoadError> {
                let Some(cluster) = store.cluster() else {
                    return Ok(None);
                };
                match cluster.claim(id.as_ref(), &lease.node.info.id)? {
                    Claim::Mine { fence, took_over } => {
                        let stored = registry::load_stored(store, id, live::Role::Owner { fence })?;
                        Ok(Some((Located::Mine, Some((stored, took_over)))))
                    }
                    Claim::Theirs { owner, fence } => {
                        Ok(Some((Located::Theirs { owner, fence }, None)))
                    }
                }
            })
            .await?;
        let Some((located, stored)) = claimed else {
            return Ok(Located::Mine);
        };
        if let Some((stored, took_over)) = stored {
            if took_over {
                self.inner.persister.metrics().failovers.inc();
            }
            tracing::info!(pad = %pad.id, took_over, "this node owns the pad now");
            pad.promote(stored)?;
        }
        Ok(located)
    }

    /// In a cluster, takes `id` for this node, refusing it while another node owns it.
    async fn claim_for_writing(&self, id: &PadId) -> Result<(), TransferError> {
        let Some(lease) = self.inner.lease.clone() else {
            return Ok(());
        };
        let key = id.to_string();
        let claim = self
            .blocking(move |s| s.cluster().map(|c| c.claim(&key, &lease.node.info.id)))
            .await
            .transpose()?;
        match claim {
            Some(Claim::Theirs { owner, .. }) => Err(TransferError::OpenElsewhere {
                pad: id.to_string(),
                url: owner.advertise_url,
            }),
            _ => Ok(()),
        }
    }

    /// The cluster's view from this node, `None` on a node of its own.
    pub fn cluster_status(&self) -> Option<ClusterStatus> {
        let lease = self.inner.lease.as_ref()?;
        let (owned_pads, relayed_pads) = self.inner.registry.roles();
        Some(ClusterStatus {
            node_id: lease.node.info.id.clone(),
            advertise_url: lease.node.info.advertise_url.clone(),
            lease_live: lease.live.load(std::sync::atomic::Ordering::Relaxed),
            owned_pads,
            relayed_pads,
        })
    }

    /// Makes every accepted revision durable and stops the engine's threads. Call it once
    /// nothing writes any more (connections closed, requests answered).
    ///
    /// In a cluster the node then releases its pads and leaves, so other nodes take them at
    /// once instead of waiting for its lease to lapse.
    pub async fn shutdown(&self) {
        self.barrier().await;
        self.inner.persister.stop();
        let threads = std::mem::take(&mut *lock(&self.inner.threads));
        let stop_lease = lock(&self.inner.stop_lease).take();
        let store = self.inner.store.clone();
        let lease = self.inner.lease.clone();
        // The compactor ends once the persister, which holds its queue, has ended.
        let joined = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
            if let Some((stop, thread)) = stop_lease {
                drop(stop);
                let _ = thread.join();
            }
            if let Some(lease) = lease {
                cluster::leave(&*store, &lease);
            }
        });
        let _ = joined.await;
    }

    /// Loads `id` if needed and holds it in memory until the guard drops.
    pub async fn checkout(&self, id: &PadId) -> Result<PadGuard, LoadError> {
        self.inner.registry.checkout(id).await
    }

    /// The pad if it is loaded, without loading it.
    pub fn peek(&self, id: &PadId) -> Option<Arc<LivePad>> {
        self.inner.registry.peek(id)
    }

    /// Every loaded pad.
    pub fn loaded(&self) -> Vec<Arc<LivePad>> {
        self.inner.registry.loaded()
    }

    /// Expires awareness states and evicts idle pads; the server calls it on a timer.
    pub fn sweep(&self) {
        self.inner.registry.sweep();
    }

    /// False while the store refuses writes (edits are then refused, not accepted and lost).
    pub fn is_healthy(&self) -> bool {
        self.inner.persister.is_healthy()
    }

    /// The engine's metrics in Prometheus's text format ([`metrics::CONTENT_TYPE`]), with the
    /// number of open WebSocket connections, which the server counts.
    pub fn metrics_text(&self, open_connections: usize) -> String {
        let metrics = self.inner.persister.metrics();
        metrics.pads.set(self.inner.registry.loaded().len() as i64);
        if self.inner.lease.is_some() {
            let (owned, relayed) = self.inner.registry.roles();
            metrics.pads_owned.set(owned.len() as i64);
            metrics.pads_relayed.set(relayed.len() as i64);
        }
        metrics.connections.set(open_connections as i64);
        metrics.store_healthy.set(i64::from(self.is_healthy()));
        metrics.encode()
    }

    /// Hears of each group commit once it is durable, with the pads it changed at their new
    /// heads. Subscribe before reading the store, so that no commit falls in between.
    pub fn subscribe_commits(&self) -> tokio::sync::broadcast::Receiver<Arc<Commit>> {
        self.inner.persister.subscribe()
    }

    /// Told whenever another node of the cluster adds to the changes feed (never on a node of
    /// its own): with [`Engine::subscribe_commits`], what wakes a reader waiting on the feed.
    pub fn subscribe_feed_elsewhere(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.inner.fed_elsewhere.subscribe()
    }

    /// Resolves once every revision accepted before the call is durable.
    pub async fn barrier(&self) {
        self.inner.persister.barrier().await;
    }

    /// Runs a blocking store call off the async runtime.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> T {
        let store = self.inner.store.clone();
        match tokio::task::spawn_blocking(move || f(&*store)).await {
            Ok(value) => value,
            Err(err) => std::panic::resume_unwind(err.into_panic()),
        }
    }

    /// The pad's head revision: the live one if loaded (it may be ahead of the disk by one
    /// group commit), else the stored one; `None` if the pad does not exist.
    pub async fn head(&self, id: &PadId) -> Result<Option<u64>, StoreError> {
        let live = self.peek(id);
        let key = id.to_string();
        let stored = self
            .blocking(move |store| store.meta(&key))
            .await?
            .map(|m| m.revisions);
        Ok(match (live, stored) {
            (Some(l), Some(s)) => Some(l.head_rev().max(s)),
            // A replica can hold edits its owner accepted but has not stored yet.
            (Some(l), None) if l.holds_edits() => Some(l.head_rev()),
            (_, s) => s,
        })
    }

    /// The text at `rev` (0 is the empty pad) with who wrote each part.
    pub async fn render(&self, id: &PadId, rev: u64) -> Result<Rendered, HistoryError> {
        // Revisions the live pad accepted may still be on their way to the disk.
        self.barrier().await;
        let history = self.inner.history.clone();
        let key = id.to_string();
        self.blocking(move |store| history.render(store, &key, rev))
            .await
    }

    /// The comment threads at `rev` (what the timeslider shows beside that revision's text).
    pub async fn comments_at(
        &self,
        id: &PadId,
        rev: u64,
    ) -> Result<Vec<ypad_core::comments::Thread>, TransferError> {
        self.barrier().await;
        let key = id.to_string();
        self.blocking(move |store| transfer::comments_at(store, &key, rev))
            .await
    }

    /// The text at `rev`; the live document when `rev` is its head.
    pub async fn text_at(&self, id: &PadId, rev: u64) -> Result<String, HistoryError> {
        if let Some(live) = self.peek(id)
            && live.head_rev() == rev
        {
            return Ok(live.text());
        }
        Ok(self.render(id, rev).await?.text())
    }

    /// Log entries `from..=to` (their times and authors).
    pub async fn entries(
        &self,
        id: &PadId,
        from: u64,
        to: u64,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.barrier().await;
        let key = id.to_string();
        self.blocking(move |store| store.log(&key, from, to)).await
    }

    /// The pad at `rev` (default: the head) in `format`, calling the pad `shown_as` wherever
    /// a format names it (an `.etherpad` file's keys, an HTML page's title): a read-only id
    /// must not lead to the writable one.
    pub async fn export(
        &self,
        id: &PadId,
        shown_as: &str,
        rev: Option<u64>,
        options: impl Into<ExportOptions>,
    ) -> Result<Bytes, TransferError> {
        let options = options.into();
        self.barrier().await;
        let history = self.inner.history.clone();
        let key = id.to_string();
        let shown_as = shown_as.to_owned();
        self.blocking(move |store| transfer::export(store, &history, &key, &shown_as, rev, options))
            .await
    }

    /// Brings a file's content into `id` and returns the pad's head revision. Text replaces the
    /// pad's text as one revision that every open editor receives; an Etherpad export brings a
    /// whole history and needs a pad without revisions.
    pub async fn import(&self, id: &PadId, import: Import) -> Result<u64, TransferError> {
        match import {
            Import::Text(text) => {
                let pad = self.checkout(id).await?;
                pad.apply(None, Edit::Replace(text))?;
                let head = pad.head_rev();
                drop(pad);
                if head == 0 {
                    // An empty file into a new pad still makes the pad.
                    let key = id.to_string();
                    self.blocking(move |s| s.create(&key, wall_ms())).await?;
                }
                Ok(head)
            }
            Import::Etherpad(json) => {
                if self.head(id).await?.is_some_and(|head| head > 0) {
                    return Err(TransferError::PadNotEmpty(id.to_string()));
                }
                // The whole history is written straight to the store, so the pad must not be
                // live meanwhile, here or (in a cluster) on another node; it loads afresh on
                // its next checkout.
                self.claim_for_writing(id).await?;
                self.inner.registry.retire(id);
                self.barrier().await;
                let history = self.inner.history.clone();
                let key = id.to_string();
                let max = self.inner.max_pad_chars;
                let head = self
                    .blocking(move |s| transfer::import_etherpad(s, &history, &key, &json, max))
                    .await?;
                self.announce_stored(id).await;
                Ok(head)
            }
        }
    }

    /// Closes the pad's connections, lets its last revisions reach the disk, then deletes it
    /// with its whole history. Returns whether it existed.
    pub async fn delete(&self, id: &PadId) -> Result<bool, StoreError> {
        self.inner.registry.retire(id);
        self.barrier().await;
        let history = self.inner.history.clone();
        let key = id.to_string();
        self.blocking(move |s| {
            history.forget(&key);
            s.delete(&key)
        })
        .await
    }

    /// Copies (or moves) `from` to `to`, which must not exist.
    pub async fn copy(&self, from: &PadId, to: &PadId, mode: CopyMode) -> Result<(), LoadError> {
        self.inner.registry.retire(to);
        self.barrier().await;
        let (src, dst) = (from.to_string(), to.to_string());
        match mode {
            CopyMode::WithHistory | CopyMode::Move => {
                self.blocking(move |s| s.copy(&src, &dst, wall_ms()))
                    .await?;
            }
            CopyMode::WithoutHistory => {
                let pad = self.checkout(from).await?;
                let snapshot = pad.with_doc(|doc| doc.encode_state());
                drop(pad);
                self.blocking(move |s| -> Result<(), StoreError> {
                    let now = wall_ms();
                    s.create(&dst, now)?;
                    s.append(&[LogEntry {
                        pad: dst,
                        rev: 1,
                        time_ms: now,
                        author: None,
                        update: snapshot.into(),
                        new_clients: Vec::new(),
                    }])?;
                    s.flush()
                })
                .await?;
            }
        }
        self.announce_stored(to).await;
        if mode == CopyMode::Move {
            self.delete(from).await?;
        }
        Ok(())
    }

    /// Tells commit listeners of a pad whose revisions went straight to the store.
    async fn announce_stored(&self, id: &PadId) {
        let key = id.to_string();
        if let Ok(Some(meta)) = self.blocking(move |s| s.meta(&key)).await {
            self.inner.persister.announce(Commit {
                pads: vec![CommittedPad {
                    pad: meta.id,
                    head: meta.revisions,
                    time_ms: meta.last_edited_ms,
                }],
            });
        }
    }

    /// Puts a lock change in force (stored first, so it survives restarts and every node sees
    /// it) and records it in the pad's history of locks.
    pub async fn set_lock(&self, id: &PadId, lock: PadLock) -> Result<(), StoreError> {
        let key = id.to_string();
        let stored = lock.clone();
        self.blocking(move |s| {
            s.put_pad_lock(&key, &stored)?;
            s.flush()
        })
        .await?;
        if let Some(pad) = self.peek(id) {
            if self.inner.lease.is_some() {
                // A replica may not know the pad's moderator yet.
                self.blocking(move |s| cluster::reload_lock(s, &pad))
                    .await?;
            } else {
                pad.set_lock(lock);
            }
        }
        Ok(())
    }

    /// Every lock change of the pad, oldest first; the last is in force.
    pub async fn locks(&self, id: &PadId) -> Result<Vec<PadLock>, StoreError> {
        let key = id.to_string();
        self.blocking(move |s| s.pad_locks(&key)).await
    }

    /// A chat message by `author`, who is shown with the name and colour of their record.
    pub async fn chat_message(
        &self,
        author: Option<String>,
        text: String,
        time_ms: u64,
    ) -> Result<ChatMessage, StoreError> {
        let record = match author.clone() {
            Some(id) => self.blocking(move |s| s.author(&id)).await?,
            None => None,
        };
        Ok(ChatMessage {
            id: uuid::Uuid::new_v4().simple().to_string(),
            text,
            name: record.as_ref().and_then(|a| a.name.clone()),
            color: record.map(|a| a.color),
            time: time_ms,
            author_id: author,
        })
    }

    /// The lock change in force (the newest), if the pad's lock was ever set.
    pub async fn lock_in_force(&self, id: &PadId) -> Result<Option<PadLock>, StoreError> {
        Ok(self.locks(id).await?.pop())
    }

    /// The pad's moderator: the author of its first revision.
    pub async fn creator(&self, id: &PadId) -> Result<Option<String>, StoreError> {
        let key = id.to_string();
        Ok(self
            .blocking(move |s| s.log(&key, 1, 1))
            .await?
            .pop()
            .and_then(|first| first.author))
    }

    /// The pad's read-only id, made on first request.
    pub async fn read_only_id(&self, id: &PadId) -> Result<String, StoreError> {
        let key = id.to_string();
        let candidate = ids::new_read_only_id();
        self.blocking(move |s| s.read_only_id(&key, &candidate))
            .await
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
