//! The registry of loaded pads: the one place that decides where a pad lives.
//!
//! A pad is loaded from the store by its first checkout (concurrent first checkouts share one
//! load), stays while checked out, and is dropped after an idle period once all its revisions
//! are durable.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use ypad_core::PadId;
use ypad_store::Store;

use crate::clock::mono_ms;
use crate::clock::wall_ms;
use crate::live::{LivePad, Loaded};
use crate::load::{LoadError, load_doc};
use crate::persist::Persister;

type Slot = Arc<OnceCell<Arc<LivePad>>>;

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
    ) -> Self {
        Registry {
            slots: Mutex::new(HashMap::new()),
            store,
            persister,
            idle_evict,
            max_pad_chars,
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
        let key = id.to_string();
        let started = std::time::Instant::now();
        let id = id.clone();
        let loaded = tokio::task::spawn_blocking(move || -> Result<_, LoadError> {
            let clients = store
                .client_authors(&key)?
                .into_iter()
                .map(|(c, a)| (c, Arc::from(a)))
                .collect();
            let (doc, head_rev) = load_doc(&*store, &key)?;
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
            })
        })
        .await
        .map_err(|e| LoadError::Task(e.to_string()))??;
        tracing::debug!(pad = %loaded.id, revisions = loaded.head_rev, elapsed_us = started.elapsed().as_micros() as u64, "pad loaded");
        Ok(Arc::new(LivePad::new(
            loaded,
            self.persister.clone(),
            self.max_pad_chars,
        )))
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
        self.slots().retain(|id, slot| {
            let Some(pad) = slot.get() else {
                return true;
            };
            let idle = pad.users.load(Ordering::Acquire) == 0
                && now.saturating_sub(pad.idle_since_ms.load(Ordering::Relaxed)) >= idle_ms;
            let evict = idle && pad.is_durable();
            if evict {
                tracing::debug!(pad = %id, "evicting idle pad");
            }
            !evict
        });
    }
}
