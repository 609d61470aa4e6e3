//! This node's part in a cluster: its lease, renewed on a thread, and what it does when the
//! lease turns out to have lapsed (drop the pads another node took).
//!
//! Ownership itself is decided in the store (`ypad_store::Cluster`): the registry claims a pad
//! when it loads it, a relayed pad's link claims it when its owner goes away
//! ([`crate::Engine::locate`]), and every group commit is conditional on the fence of its claim.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use ypad_store::{NodeInfo, Store};

use crate::Inner;

/// This node, in a cluster.
#[derive(Debug, Clone)]
pub struct ClusterNode {
    pub info: NodeInfo,
    /// How long a lease lasts unless renewed; renewed every third of it.
    pub lease_ttl: Duration,
}

/// Where a pad is served from, as a claim found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// This node owns it now (a relayed pad was promoted in place).
    Mine,
    /// Another node owns it under `fence`.
    Theirs { owner: NodeInfo, fence: u64 },
}

/// What `/health` tells of the cluster.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    pub node_id: String,
    pub advertise_url: String,
    /// The lease was renewed on the last try (the database answers).
    pub lease_live: bool,
    pub owned_pads: Vec<String>,
    pub relayed_pads: Vec<String>,
}

/// The lease's state, shared by the lease thread and the engine.
pub(crate) struct Lease {
    pub(crate) node: ClusterNode,
    /// False after a renewal failed (the database is unreachable): writes are refused until the
    /// next renewal succeeds.
    pub(crate) live: Arc<AtomicBool>,
}

/// Registers the node, then renews its lease every third of its TTL until `stop` says so.
pub(crate) fn start_lease(
    store: Arc<dyn Store>,
    lease: Arc<Lease>,
    engine: Weak<Inner>,
) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (stop, stopped) = mpsc::channel::<()>();
    renew(&*store, &lease, &engine, true);
    let thread = std::thread::Builder::new()
        .name("ypad-lease".into())
        .spawn(move || {
            let every = lease.node.lease_ttl / 3;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                renew(&*store, &lease, &engine, false);
            }
        })
        .expect("spawn lease thread");
    (stop, thread)
}

fn renew(store: &dyn Store, lease: &Lease, engine: &Weak<Inner>, first: bool) {
    let Some(cluster) = store.cluster() else {
        return;
    };
    let Some(engine) = engine.upgrade() else {
        return;
    };
    match cluster.renew_lease(&lease.node.info, lease.node.lease_ttl) {
        Ok(was_live) => {
            engine.persister.metrics().lease_renewals.inc();
            if !lease.live.swap(true, Ordering::Relaxed) {
                tracing::info!(node = %lease.node.info.id, "lease renewed; the database answers again");
            }
            if !was_live && !first {
                tracing::warn!(node = %lease.node.info.id, "this node's lease had lapsed; dropping the pads other nodes took");
                match cluster.owned_pads(&lease.node.info.id) {
                    Ok(owned) => engine.registry.keep_only_owned(&owned),
                    Err(err) => {
                        tracing::error!(cause = %err, "cannot read which pads this node owns");
                        engine.registry.keep_only_owned(&[]);
                    }
                }
            }
        }
        Err(err) => {
            if lease.live.swap(false, Ordering::Relaxed) {
                tracing::error!(cause = %err, "cannot renew this node's lease; refusing edits until the database answers");
            }
        }
    }
}

/// Gives up every pad of this node and its lease (after the last flush of a graceful
/// shutdown), so that other nodes take its pads at once.
pub(crate) fn leave(store: &dyn Store, lease: &Lease) {
    if let Some(cluster) = store.cluster()
        && let Err(err) = cluster.leave(&lease.node.info.id)
    {
        tracing::warn!(cause = %err, "cannot release this node's pads; they move when its lease lapses");
    }
}

/// Keeps the locks of the pads in memory as every node sets them: a lock set through any node
/// holds at once for the browsers of every node (the owner's and the relays'). Ends with the
/// engine.
pub(crate) fn follow_locks(store: Arc<dyn Store>, engine: Weak<Inner>) {
    let Some(changes) = store.cluster().map(|c| c.watch_locks()) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("ypad-locks".into())
        .spawn(move || {
            while let Ok(change) = changes.recv() {
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                let pads = match change {
                    Some(pad) => match ypad_core::PadId::parse(&pad) {
                        Ok(id) => engine.registry.peek(&id).into_iter().collect(),
                        Err(_) => Vec::new(),
                    },
                    None => engine.registry.loaded(),
                };
                for pad in pads {
                    if let Err(err) = reload_lock(&*store, &pad) {
                        tracing::warn!(pad = %pad.id, cause = %err, "cannot read the pad's lock");
                    }
                }
            }
        });
    if let Err(err) = spawned {
        tracing::error!(cause = %err, "cannot follow lock changes");
    }
}

/// Passes on every other node's additions to the changes feed to this node's waiting readers
/// (this node's own commits reach them from the persister). Ends with the engine.
pub(crate) fn follow_feed(store: &dyn Store, engine: Weak<Inner>) {
    let Some(changes) = store.cluster().map(|c| c.watch_changes()) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("ypad-feed".into())
        .spawn(move || {
            while changes.recv().is_ok() {
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                // Nobody waiting is no error.
                let _ = engine.fed_elsewhere.send(());
            }
        });
    if let Err(err) = spawned {
        tracing::error!(cause = %err, "cannot follow the changes feed of other nodes");
    }
}

/// Puts the pad's newest stored lock in force, with its moderator (blocking).
pub(crate) fn reload_lock(
    store: &dyn Store,
    pad: &crate::LivePad,
) -> Result<(), ypad_store::StoreError> {
    let key = pad.id.to_string();
    let Some(lock) = store.pad_locks(&key)?.pop() else {
        return Ok(());
    };
    let creator = store
        .log(&key, 1, 1)?
        .pop()
        .and_then(|first| first.author)
        .map(Arc::from);
    pad.set_lock_by(lock, creator);
    Ok(())
}
