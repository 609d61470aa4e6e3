//! Group commit: accepted revisions go to one persister thread, which appends whatever has
//! queued up as one batch and flushes it, so a revision is durable within about one flush of
//! being accepted, however many arrive at once. A second thread extends each pad's positional
//! history and checkpoint (see [`crate::history`]) every `checkpoint_every` revisions, so that
//! this work never delays a flush.
//!
//! Both run on OS threads because sled blocks; nothing here touches the async runtime.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use ypad_store::{LogEntry, Store};

use crate::history::HistoryIndex;

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
    },
    /// Answered once everything sent before it is durable.
    Barrier(oneshot::Sender<()>),
}

/// The sending side, shared by every pad.
#[derive(Clone)]
pub struct Persister {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    history: Arc<HistoryIndex>,
}

struct Shared {
    /// Sequence number of the last revision handed to the persister.
    next_seq: AtomicU64,
    /// Every revision with a sequence number up to this is durable.
    flushed_seq: AtomicU64,
    /// False while the store refuses writes.
    healthy: AtomicBool,
}

pub struct PersisterThreads {
    persister: JoinHandle<()>,
    compactor: JoinHandle<()>,
}

impl PersisterThreads {
    /// Waits until both threads have drained their queues. Every [`Persister`] must be dropped
    /// first.
    pub fn join(self) {
        let _ = self.persister.join();
        let _ = self.compactor.join();
    }
}

impl Persister {
    pub fn start(store: Arc<dyn Store>, checkpoint_every: u64) -> (Persister, PersisterThreads) {
        let (tx, rx) = mpsc::channel();
        let (compact_tx, compact_rx) = mpsc::channel::<String>();
        let shared = Arc::new(Shared {
            next_seq: AtomicU64::new(0),
            flushed_seq: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
        });
        let persister = {
            let store = store.clone();
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("ypad-persist".into())
                .spawn(move || persist_loop(&*store, &shared, rx, compact_tx, checkpoint_every))
                .expect("spawn persister thread")
        };
        let history = Arc::new(HistoryIndex::new(checkpoint_every));
        let compactor = {
            let history = history.clone();
            std::thread::Builder::new()
                .name("ypad-compact".into())
                .spawn(move || compact_loop(&*store, &history, compact_rx))
                .expect("spawn compactor thread")
        };
        (
            Persister {
                tx,
                shared,
                history,
            },
            PersisterThreads {
                persister,
                compactor,
            },
        )
    }

    /// Queues a revision; returns its sequence number.
    pub fn append(&self, entry: LogEntry) -> u64 {
        let seq = self.shared.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        // The persister thread only stops after every sender is gone, so this cannot fail
        // while `self` exists.
        let _ = self.tx.send(Command::Append { seq, entry });
        seq
    }

    /// Whether the revision with sequence number `seq` is durable.
    pub fn is_durable(&self, seq: u64) -> bool {
        self.shared.flushed_seq.load(Ordering::Acquire) >= seq
    }

    /// Every pad's positional history (the timeslider's and the `rev` parameters' source).
    pub fn history(&self) -> &Arc<HistoryIndex> {
        &self.history
    }

    pub fn is_healthy(&self) -> bool {
        self.shared.healthy.load(Ordering::Relaxed)
    }

    /// Resolves once everything queued before the call is durable.
    pub async fn barrier(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Barrier(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn persist_loop(
    store: &dyn Store,
    shared: &Shared,
    rx: mpsc::Receiver<Command>,
    compact_tx: mpsc::Sender<String>,
    checkpoint_every: u64,
) {
    let mut entries = Vec::new();
    let mut barriers = Vec::new();
    let mut last_seq = 0;
    while let Ok(first) = rx.recv() {
        // Gather for a short window before flushing: with many quiet pads, revisions arrive
        // one by one, and a flush per revision costs more CPU than the whole fan-out.
        // Nothing waits on the flush except durability, whose bound is far above the window.
        let window_ends = Instant::now() + COMMIT_WINDOW;
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Append { seq, entry } => {
                    last_seq = seq;
                    entries.push(entry);
                }
                Command::Barrier(done) => barriers.push(done),
            }
            // Someone waits on a barrier: flush now rather than at the window's end.
            if entries.len() < MAX_BATCH && barriers.is_empty() {
                let left = window_ends.saturating_duration_since(Instant::now());
                next = if left.is_zero() {
                    rx.try_recv().ok()
                } else {
                    rx.recv_timeout(left).ok()
                };
            }
        }
        while let Err(err) = store.append(&entries).and_then(|()| store.flush()) {
            if shared.healthy.swap(false, Ordering::Relaxed) {
                tracing::error!(cause = %err, revisions = entries.len(), "store refused writes; retrying");
            }
            std::thread::sleep(RETRY_AFTER);
        }
        if !shared.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("store accepts writes again");
        }
        shared.flushed_seq.store(last_seq, Ordering::Release);
        for done in barriers.drain(..) {
            let _ = done.send(());
        }
        // Every pad passes each multiple of the interval once, so no per-pad count is kept
        // (it would grow with every pad ever written). A multiple missed across a restart is
        // covered by the next one: extending the history takes everything since its last block.
        for entry in entries.drain(..) {
            if entry.rev.is_multiple_of(checkpoint_every.max(1)) {
                let _ = compact_tx.send(entry.pad);
            }
        }
    }
}

fn compact_loop(store: &dyn Store, history: &HistoryIndex, rx: mpsc::Receiver<String>) {
    while let Ok(pad) = rx.recv() {
        match history.advance(store, &pad) {
            Ok(()) => tracing::debug!(pad = %pad, "history and checkpoint written"),
            Err(err) => tracing::warn!(pad = %pad, cause = %err, "history and checkpoint failed"),
        }
    }
}
