//! The registry of loaded pads: the one place that decides where a pad lives.
//!
//! A pad is loaded from the store by its first checkout (concurrent first checkouts share one
//! load), stays while checked out, and is dropped after an idle period once all its revisions
//! are durable.
//!
//! In a cluster a load first claims the pad: claimed, it is owned here; owned by another node,
//! it is loaded as a replica and the edge's relay starts its link to the owner. An owned pad
//! dropped for being idle is released, so the next node that needs it claims it at once.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use ypad_core::PadId;
use ypad_store::{Claim as Ownership, Store};

use crate::clock::mono_ms;
use crate::clock::wall_ms;
use crate::cluster::Lease;
use crate::live::{LivePad, Loaded, Role, Upstream};
use crate::load::{LoadError, load_doc_as};
use crate::persist::Persister;

type Slot = Arc<OnceCell<Arc<LivePad>>>;

/// Starts the link of a replica to its owner (the server's relay): given the pad, it runs
/// until the pad leaves memory or is promoted.
pub type RelayStarter = Box<dyn Fn(Arc<LivePad>) + Send + Sync>;

enum Claim {
    Held,
    Retry,
    Reload,
}

pub(crate) struct Registry {
    /// Held only to look up or replace a slot, never across a load.
    slots: Mutex<HashMap<PadId, Slot>>,
    store: Arc<dyn Store>,
    persister: Persister,
    idle_evict: Duration,
    max_pad_chars: u64,
    /// This node's lease, in a cluster.
    pub(crate) lease: Option<Arc<Lease>>,
    /// Set by the edge once it can run links.
    pub(crate) relay: std::sync::OnceLock<RelayStarter>,
}

/// A checked-out pad. While it exists the pad stays loaded.
pub struct PadGuard {
    pad: Arc<LivePad>,
}

impl std::ops::Deref for PadGuard {
    type Target = LivePad;
    fn deref(&self) -> &LivePad {
        &self.pad
    }
}

impl Drop for PadGuard {
    fn drop(&mut self) {
        self.pad.idle_since_ms.store(mono_ms(), Ordering::Relaxed);
        self.pad.users.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Registry {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        persister: Persister,
        idle_evict: Duration,
        max_pad_chars: u64,
        lease: Option<Arc<Lease>>,
    ) -> Self {
        Registry {
            slots: Mutex::new(HashMap::new()),
            store,
            persister,
            idle_evict,
            max_pad_chars,
            lease,
            relay: std::sync::OnceLock::new(),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<PadId, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Loads `id` if needed and holds it in memory until the guard drops.
    pub(crate) async fn checkout(&self, id: &PadId) -> Result<PadGuard, LoadError> {
        loop {
            let slot = self.slots().entry(id.clone()).or_default().clone();
            let pad = slot.get_or_try_init(|| self.load(id)).await?.clone();
            match self.claim(id, &slot, &pad) {
                Claim::Held => return Ok(PadGuard { pad }),
                Claim::Retry => continue,
                Claim::Reload => {
                    // Reload only once everything the poisoned pad accepted is on disk.
                    self.persister.barrier().await;
                    continue;
                }
            }
        }
    }

    /// Takes a user reference on a freshly loaded pad, unless its slot changed meanwhile.
    fn claim(&self, id: &PadId, slot: &Slot, pad: &Arc<LivePad>) -> Claim {
        let mut slots = self.slots();
        // The slot may have been evicted or replaced while loading.
        if !slots.get(id).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            return Claim::Retry;
        }
        if pad.is_poisoned() {
            slots.remove(id);
            return Claim::Reload;
        }
        pad.users.fetch_add(1, Ordering::AcqRel);
        Claim::Held
    }

    /// The pad if it is loaded, without loading it.
    pub(crate) fn peek(&self, id: &PadId) -> Option<Arc<LivePad>> {
        self.slots().get(id).and_then(|s| s.get().cloned())
    }

    async fn load(&self, id: &PadId) -> Result<Arc<LivePad>, LoadError> {
        let store = self.store.clone();
        let started = std::time::Instant::now();
        let id = id.clone();
        let lease = self.lease.clone();
        let loaded = tokio::task::spawn_blocking(move || -> Result<_, LoadError> {
            // Claimed before it is read, so the load sees every commit of the previous owner.
            let role = match (&lease, store.cluster()) {
                (Some(lease), Some(cluster)) => {
                    match cluster.claim(id.as_ref(), &lease.node.info.id)? {
                        Ownership::Mine { fence, .. } => Role::Owner { fence },
                        Ownership::Theirs { .. } => Role::Replica(Upstream::default()),
                    }
                }
                _ => Role::Owner { fence: 0 },
            };
            // A replica's server-side edits (HTTP writes through this node) get a client id
            // of this node's, so that they never reuse the clocks of the owner's.
            let client_id = match (&role, &lease) {
                (Role::Replica(_), Some(lease)) => replica_client_id(&lease.node.info.id),
                _ => ypad_core::doc::server_client_id(),
            };
            load_stored_as(&*store, id, role, client_id)
        })
        .await
        .map_err(|e| LoadError::Task(e.to_string()))??;
        tracing::debug!(pad = %loaded.id, revisions = loaded.head_rev, elapsed_us = started.elapsed().as_micros() as u64, "pad loaded");
        let replica = matches!(loaded.role, Role::Replica(_));
        let pad = Arc::new(LivePad::new(
            loaded,
            self.persister.clone(),
            self.max_pad_chars,
        ));
        if replica && let Some(relay) = self.relay.get() {
            relay(pad.clone());
        }
        Ok(pad)
    }

    /// Takes out of service the owned pads whose claim this node lost (`owned` is what it
    /// still owns), after its lease was found lapsed.
    pub(crate) fn keep_only_owned(&self, owned: &[(String, u64)]) {
        for pad in self.loaded() {
            if let Some(fence) = pad.fence()
                && !owned.contains(&(pad.id.to_string(), fence))
            {
                self.lose(&pad);
            }
        }
    }

    /// The store refused a commit of `pad` under `fence`: another node owns it now.
    pub(crate) fn fenced(&self, pad: &str, fence: u64) {
        let Ok(id) = PadId::parse(pad) else {
            return;
        };
        if let Some(live) = self.peek(&id)
            && live.fence() == Some(fence)
        {
            self.lose(&live);
        }
    }

    fn lose(&self, pad: &Arc<LivePad>) {
        tracing::warn!(pad = %pad.id, "this node no longer owns the pad; its connections reconnect");
        {
            let mut slots = self.slots();
            if slots
                .get(&pad.id)
                .and_then(|s| s.get())
                .is_some_and(|p| Arc::ptr_eq(p, pad))
            {
                slots.remove(&pad.id);
            }
        }
        pad.lost();
    }

    /// Unloads `id` at once, closing its connections (before a delete, move or overwrite).
    pub(crate) fn retire(&self, id: &PadId) {
        let slot = self.slots().remove(id);
        if let Some(pad) = slot.as_ref().and_then(|s| s.get()) {
            pad.retire();
        }
    }

    pub(crate) fn loaded(&self) -> Vec<Arc<LivePad>> {
        self.slots()
            .values()
            .filter_map(|s| s.get().cloned())
            .collect()
    }

    /// Expires awareness states and evicts idle pads whose revisions are all durable.
    pub(crate) fn sweep(&self) {
        let now = mono_ms();
        let wall_now = wall_ms();
        for pad in self.loaded() {
            pad.sweep(now, wall_now);
        }
        let idle_ms = self.idle_evict.as_millis() as u64;
        let mut released = Vec::new();
        self.slots().retain(|id, slot| {
            let Some(pad) = slot.get() else {
                return true;
            };
            let idle = pad.users.load(Ordering::Acquire) == 0
                && now.saturating_sub(pad.idle_since_ms.load(Ordering::Relaxed)) >= idle_ms;
            let evict = idle && pad.is_durable();
            if evict {
                tracing::debug!(pad = %id, "evicting idle pad");
                pad.evicted();
                if let Some(fence) = pad.fence() {
                    released.push((id.to_string(), fence));
                }
            }
            !evict
        });
        if let Some(lease) = &self.lease
            && !released.is_empty()
        {
            let (store, node) = (self.store.clone(), lease.node.info.id.clone());
            let release = move || {
                for (pad, fence) in released {
                    if let Some(cluster) = store.cluster()
                        && let Err(err) = cluster.release_pad(&pad, &node, fence)
                    {
                        tracing::warn!(pad = %pad, cause = %err, "cannot release an idle pad; it moves when the lease lapses");
                    }
                }
            };
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(release)),
                Err(_) => release(),
            }
        }
    }
}

/// Reads what a pad needs in memory (blocking).
pub(crate) fn load_stored(store: &dyn Store, id: PadId, role: Role) -> Result<Loaded, LoadError> {
    load_stored_as(store, id, role, ypad_core::doc::server_client_id())
}

/// [`load_stored`] with the client id of the copy's server-side edits.
fn load_stored_as(
    store: &dyn Store,
    id: PadId,
    role: Role,
    client_id: u64,
) -> Result<Loaded, LoadError> {
    let key = id.to_string();
    let clients = store
        .client_authors(&key)?
        .into_iter()
        .map(|(c, a)| (c, Arc::from(a)))
        .collect();
    let (doc, head_rev) = load_doc_as(store, &key, client_id)?;
    let lock = store.pad_locks(&key)?.pop();
    let creator = store
        .log(&key, 1, 1)?
        .pop()
        .and_then(|first| first.author)
        .map(Arc::from);
    Ok(Loaded {
        id,
        doc,
        head_rev,
        clients,
        lock,
        creator,
        role,
    })
}

impl Registry {
    /// This node's id and pads, for `/health`.
    pub(crate) fn roles(&self) -> (Vec<String>, Vec<String>) {
        let (mut owned, mut relayed) = (Vec::new(), Vec::new());
        for pad in self.loaded() {
            if pad.is_owner() {
                owned.push(pad.id.to_string());
            } else {
                relayed.push(pad.id.to_string());
            }
        }
        owned.sort();
        relayed.sort();
        (owned, relayed)
    }
}

/// The client id of a node's server-side edits on its replicas: the server's, offset by a hash
/// of the node's id (new at every start), still far from the ids browsers pick.
fn replica_client_id(node: &str) -> u64 {
    use std::hash::Hasher;
    let mut hash = fnv::FnvHasher::default();
    hash.write(node.as_bytes());
    ypad_core::doc::server_client_id() + 1 + hash.finish() % (1 << 19)
}
