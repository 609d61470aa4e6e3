//! Group commit: accepted revisions go to one persister thread, which appends whatever has
//! queued up as one batch and flushes it, so a revision is durable within about one flush of
//! being accepted, however many arrive at once. Every `history_block_len` revisions of a pad it
//! asks the compactor ([`crate::compact`]) to extend that pad's history, so that this work never
//! delays a flush.
//!
//! The thread is an OS thread because the store blocks; nothing here touches the async runtime.
//!
//! In a cluster each revision carries the fence its pad was claimed with, and a batch commits
//! only where the node still holds those fences; the revisions of pads it lost are dropped
//! (their pads are taken out of service, and their clients' replicas bring the edits to the
//! new owner) and the rest of the batch commits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::metrics::Metrics;

use tokio::sync::{broadcast, oneshot};
use ypad_store::{LogEntry, Store, StoreError};

/// Commits a listener may fall behind by before it misses some (and is told it lagged). A
/// listener only notes heads in memory, so it keeps up unless starved.
const COMMIT_LISTENER_BACKLOG: usize = 1024;

/// What one group commit made durable: each pad it changed, at its new head.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub pads: Vec<CommittedPad>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedPad {
    pub pad: String,
    pub head: u64,
    pub time_ms: u64,
}

/// At most this many revisions go into one batch, to bound a flush.
const MAX_BATCH: usize = 8192;
/// How long a batch gathers revisions before its flush; with the flush itself, well under the
/// 100 ms durability bound. A flush costs sled's IO threads about as much CPU as delivering a
/// keystroke to a few dozen readers, so on pads typed into a few times a second a longer window
/// saves more than its delay costs: nothing on the edit path waits for it.
const COMMIT_WINDOW: Duration = Duration::from_millis(20);
/// Wait before retrying a batch the store refused.
const RETRY_AFTER: Duration = Duration::from_millis(500);

enum Command {
    Append {
        seq: u64,
        entry: LogEntry,
        /// The fence its pad was claimed with (0 on a node of its own).
        fence: u64,
    },
    /// Answered once everything sent before it is durable.
    Barrier(oneshot::Sender<()>),
    /// Flush what came before, then end the thread.
    Stop,
}

/// The sending side, shared by every pad.
#[derive(Clone)]
pub(crate) struct Persister {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
}

struct Shared {
    /// Sequence number of the last revision handed to the persister.
    next_seq: AtomicU64,
    /// Every revision with a sequence number up to this is durable.
    flushed_seq: AtomicU64,
    /// False while the store refuses writes.
    healthy: AtomicBool,
    /// False while the cluster lease cannot be renewed (always true on a node of its own).
    lease_live: Arc<AtomicBool>,
    /// Every pad holds the persister, so the engine's counters live beside it.
    metrics: Metrics,
    /// Told of each commit once it is durable (long polls of the changes feed, webhooks). A
    /// broadcast never blocks the sender: the persister must not wait for its listeners.
    commits: broadcast::Sender<Arc<Commit>>,
}

impl Persister {
    /// Starts the persister thread. `compact` hears of each pad that passed a multiple of
    /// `history_block_len`, once its revisions are durable.
    pub(crate) fn start(
        store: Arc<dyn Store>,
        history_block_len: u64,
        compact: mpsc::Sender<String>,
        fencing: Fencing,
    ) -> (Persister, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            next_seq: AtomicU64::new(0),
            flushed_seq: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
            lease_live: fencing.lease_live.clone(),
            metrics: Metrics::new(),
            commits: broadcast::channel(COMMIT_LISTENER_BACKLOG).0,
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("ypad-persist".into())
                .spawn(move || {
                    persist_loop(&*store, &shared, rx, compact, history_block_len, &fencing)
                })
                .expect("spawn persister thread")
        };
        (Persister { tx, shared }, thread)
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Queues a revision of a pad claimed under `fence`; returns its sequence number.
    pub(crate) fn append(&self, entry: LogEntry, fence: u64) -> u64 {
        self.shared.metrics.updates.inc();
        let seq = self.shared.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        if self.tx.send(Command::Append { seq, entry, fence }).is_err() {
            // Only after the engine shut down, when no connection or API call is left.
            tracing::error!(seq, "a revision arrived after shutdown and was not stored");
        }
        seq
    }

    /// Whether the revision with sequence number `seq` is durable.
    pub(crate) fn is_durable(&self, seq: u64) -> bool {
        self.shared.flushed_seq.load(Ordering::Acquire) >= seq
    }

    /// Whether edits may be accepted: the store takes writes and, in a cluster, the lease is
    /// being renewed.
    pub(crate) fn is_healthy(&self) -> bool {
        self.shared.healthy.load(Ordering::Relaxed)
            && self.shared.lease_live.load(Ordering::Relaxed)
    }

    /// Tells the commit listeners of revisions written to the store directly (a copy, an
    /// imported history) rather than through this thread.
    pub(crate) fn announce(&self, commit: Commit) {
        if self.shared.commits.receiver_count() > 0 {
            let _ = self.shared.commits.send(Arc::new(commit));
        }
    }

    /// Hears of every commit from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Commit>> {
        self.shared.commits.subscribe()
    }

    /// Resolves once everything queued before the call is durable.
    pub(crate) async fn barrier(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Barrier(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Asks the thread to flush everything queued so far and end.
    pub(crate) fn stop(&self) {
        let _ = self.tx.send(Command::Stop);
    }
}

/// Told of a pad (and its fence) whose revisions the store refused.
pub(crate) type OnFenced = Box<dyn Fn(&str, u64) + Send + Sync>;

/// What the persister needs to commit as a node of a cluster.
#[derive(Default)]
pub(crate) struct Fencing {
    /// This node's id; `None` on a node of its own, whose commits are not fenced.
    pub(crate) node: Option<String>,
    pub(crate) lease_live: Arc<AtomicBool>,
    /// Told of each pad (and the fence) whose revisions were refused: it is no longer ours.
    pub(crate) on_fenced: Arc<OnceLock<OnFenced>>,
}

impl Fencing {
    pub(crate) fn single_node() -> Fencing {
        Fencing {
            node: None,
            lease_live: Arc::new(AtomicBool::new(true)),
            on_fenced: Arc::default(),
        }
    }
}

/// Appends and flushes `entries`; in a cluster, drops the revisions of pads this node lost
/// (and says so) and commits the rest.
fn commit(
    store: &dyn Store,
    entries: &mut Vec<LogEntry>,
    fences: &mut BTreeMap<String, u64>,
    fencing: &Fencing,
    shared: &Shared,
) -> Result<(), StoreError> {
    let (Some(node), Some(cluster)) = (&fencing.node, store.cluster()) else {
        return store.append(entries).and_then(|()| store.flush());
    };
    loop {
        // Refused only because this node's lease lapsed (the database was unreachable for a
        // while), the batch is tried again once the lease is renewed; refused for pads another
        // node claimed (or whose log moved on), their revisions are dropped.
        let lost = match cluster.append_fenced(node, fences, entries) {
            Err(StoreError::Fenced { pads }) => pads,
            other => return other,
        };
        shared.metrics.fenced_batches.inc();
        entries.retain(|e| !lost.contains(&e.pad));
        for pad in lost {
            let fence = fences.remove(&pad).unwrap_or(0);
            tracing::warn!(pad = %pad, fence, "no longer this pad's owner; its unsaved revisions go back to its clients");
            if let Some(on_fenced) = fencing.on_fenced.get() {
                on_fenced(&pad, fence);
            }
        }
    }
}

fn persist_loop(
    store: &dyn Store,
    shared: &Shared,
    rx: mpsc::Receiver<Command>,
    compact: mpsc::Sender<String>,
    history_block_len: u64,
    fencing: &Fencing,
) {
    let mut entries = Vec::new();
    let mut fences = BTreeMap::new();
    let mut barriers = Vec::new();
    let mut last_seq = 0;
    let mut stopping = false;
    while !stopping && let Ok(first) = rx.recv() {
        // Gather for a short window before flushing: with many quiet pads, revisions arrive
        // one at a time, and a flush per revision would cost far more than the wait.
        let window_ends = Instant::now() + COMMIT_WINDOW;
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Append { seq, entry, fence } => {
                    last_seq = seq;
                    if fencing.node.is_some() && !fences.contains_key(&entry.pad) {
                        fences.insert(entry.pad.clone(), fence);
                    }
                    entries.push(entry);
                }
                Command::Barrier(done) => barriers.push(done),
                Command::Stop => stopping = true,
            }
            // Someone waits on a barrier, or the engine stops: flush now rather than at the
            // window's end.
            if entries.len() < MAX_BATCH && barriers.is_empty() && !stopping {
                let left = window_ends.saturating_duration_since(Instant::now());
                next = if left.is_zero() {
                    rx.try_recv().ok()
                } else {
                    rx.recv_timeout(left).ok()
                };
            }
        }
        let commit_started = Instant::now();
        while let Err(err) = commit(store, &mut entries, &mut fences, fencing, shared) {
            if shared.healthy.swap(false, Ordering::Relaxed) {
                tracing::error!(cause = %err, revisions = entries.len(), "store refused writes; retrying");
            }
            std::thread::sleep(RETRY_AFTER);
        }
        if !shared.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("store accepts writes again");
        }
        shared
            .metrics
            .commit_seconds
            .observe(commit_started.elapsed().as_secs_f64());
        shared.flushed_seq.store(last_seq, Ordering::Release);
        for done in barriers.drain(..) {
            let _ = done.send(());
        }
        if shared.commits.receiver_count() > 0 && !entries.is_empty() {
            let _ = shared.commits.send(Arc::new(commit_of(&entries)));
        }
        // Every pad passes each multiple of the block length once, so no per-pad count is kept
        // (it would grow with every pad ever written). A multiple missed across a restart is
        // covered by the next one: extending the history takes everything since its last block.
        fences.clear();
        for entry in entries.drain(..) {
            if entry.rev.is_multiple_of(history_block_len.max(1)) {
                let _ = compact.send(entry.pad);
            }
        }
    }
}

/// Each pad of a batch at its newest revision in it.
fn commit_of(entries: &[LogEntry]) -> Commit {
    let mut pads: Vec<CommittedPad> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in entries {
        match index.get(e.pad.as_str()) {
            Some(&i) if pads[i].head >= e.rev => {}
            Some(&i) => (pads[i].head, pads[i].time_ms) = (e.rev, e.time_ms),
            None => {
                index.insert(&e.pad, pads.len());
                pads.push(CommittedPad {
                    pad: e.pad.clone(),
                    head: e.rev,
                    time_ms: e.time_ms,
                });
            }
        }
    }
    Commit { pads }
}
