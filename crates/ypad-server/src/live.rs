//! A pad loaded in memory, with the outboxes of its connections.
//!
//! The critical section of an update is: apply to the document, queue the revision for the
//! persister, hand the same bytes to every other outbox. Nothing in it awaits or does IO.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;
use ypad_core::doc::PadDoc;
use ypad_core::protocol;
use ypad_core::session::{Pad, Session, SessionError};
use ypad_core::{ApplyError, PadId};
use ypad_store::LogEntry;

use crate::clock::{mono_ms, wall_ms};
use crate::persist::Persister;

pub type ConnId = u64;

/// Where a connection's outbound frames wait for its writer.
pub struct Outbox {
    pub frames: mpsc::Sender<Bytes>,
    /// Cancelled when the connection must go: its queue overflowed or the pad is poisoned.
    pub kill: CancellationToken,
}

pub struct LivePad {
    pub id: PadId,
    /// A std mutex: it is never held across an await, and each hold is short.
    inner: Mutex<Inner>,
    persister: Persister,
    /// Checkouts currently holding this pad; changed only under the registry's lock.
    pub(crate) users: AtomicUsize,
    /// When the last checkout ended (monotonic ms).
    pub(crate) idle_since_ms: AtomicU64,
    /// Persister sequence number of the newest revision, to know when it is all on disk.
    last_seq: AtomicU64,
    /// yrs panicked on this pad: its document must be rebuilt from the store.
    poisoned: AtomicBool,
}

struct Inner {
    pad: Pad,
    head_rev: u64,
    /// The author each Yjs client id belongs to: the author of the connection that first
    /// wrote with it. Later relays of that content by others do not change it.
    clients: HashMap<u64, Arc<str>>,
    next_conn: ConnId,
    /// A vector rather than a map: fan-out iterates it for every update.
    conns: Vec<(ConnId, Outbox)>,
}

impl LivePad {
    pub fn new(
        id: PadId,
        doc: PadDoc,
        head_rev: u64,
        clients: HashMap<u64, Arc<str>>,
        persister: Persister,
    ) -> Self {
        LivePad {
            id,
            inner: Mutex::new(Inner {
                pad: Pad::new(doc),
                head_rev,
                clients,
                next_conn: 0,
                conns: Vec::new(),
            }),
            persister,
            users: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(mono_ms()),
            last_seq: AtomicU64::new(0),
            poisoned: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock is caught inside the core; poisoning here would only
        // come from a bug elsewhere, and the data is still consistent enough to serve and flush.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection; returns its id and the greeting to send it.
    pub fn join(&self, session: &Session, outbox: Outbox) -> (ConnId, Vec<Bytes>) {
        let mut inner = self.lock();
        inner.next_conn += 1;
        let id = inner.next_conn;
        let greeting = session.open(&inner.pad);
        inner.conns.push((id, outbox));
        (id, greeting)
    }

    /// Handles one incoming frame from a connection of `author`; returns the frames to send
    /// back to this connection only.
    pub fn receive(
        &self,
        conn: ConnId,
        session: &mut Session,
        author: Option<&Arc<str>>,
        frame: &Bytes,
    ) -> Result<Vec<Bytes>, SessionError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let effects = match session.receive(&mut inner.pad, frame, mono_ms()) {
            Ok(effects) => effects,
            Err(err) => {
                if matches!(err, SessionError::Update(ApplyError::Poisoned)) {
                    self.poison(inner);
                }
                return Err(err);
            }
        };
        if let Some(accepted) = &effects.update {
            let payload = frame.slice(accepted.payload.clone());
            let out = if accepted.frame_is_update {
                frame.clone()
            } else {
                protocol::encode_update(&payload)
            };
            let new_clients = match author {
                Some(author) => claim_clients(&mut inner.clients, &accepted.inserted_by, author),
                None => Vec::new(),
            };
            self.commit(inner, payload, author.map(|a| a.to_string()), new_clients);
            fan_out(&self.id, &mut inner.conns, &out, Some(conn));
        }
        if let Some(frame) = effects.awareness_frame(frame) {
            fan_out(&self.id, &mut inner.conns, &frame, None);
        }
        Ok(effects.reply)
    }

    /// Applies a server-side edit (API, import) as a revision every connection receives.
    /// Returns the new head revision, or `None` if the edit changed nothing.
    pub fn edit(
        &self,
        author: Option<String>,
        f: impl FnOnce(&mut PadDoc) -> Option<Vec<u8>>,
    ) -> Option<u64> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let update = Bytes::from(f(&mut inner.pad.doc)?);
        let out = protocol::encode_update(&update);
        let server = ypad_core::doc::server_client_id();
        let new_clients = match &author {
            Some(a) if !inner.clients.contains_key(&server) => {
                claim_clients(&mut inner.clients, &[server], &Arc::from(a.as_str()))
            }
            _ => Vec::new(),
        };
        self.commit(inner, update, author, new_clients);
        fan_out(&self.id, &mut inner.conns, &out, None);
        Some(inner.head_rev)
    }

    fn commit(
        &self,
        inner: &mut Inner,
        update: Bytes,
        author: Option<String>,
        new_clients: Vec<u64>,
    ) {
        inner.head_rev += 1;
        let seq = self.persister.append(LogEntry {
            pad: self.id.to_string(),
            rev: inner.head_rev,
            time_ms: wall_ms(),
            author,
            update,
            new_clients,
        });
        self.last_seq.store(seq, Ordering::Release);
    }

    /// Takes the pad out of service (deleted, moved or overwritten): every connection is
    /// closed, and the next checkout loads it afresh from the store.
    pub fn retire(&self) {
        let mut inner = self.lock();
        self.poisoned.store(true, Ordering::Release);
        for (_, outbox) in inner.conns.drain(..) {
            outbox.kill.cancel();
        }
    }

    /// Live awareness states: `(client id, JSON)`.
    pub fn awareness_states(&self) -> Vec<(u64, String)> {
        self.lock()
            .pad
            .awareness
            .states()
            .map(|(id, json)| (id, json.to_owned()))
            .collect()
    }

    fn poison(&self, inner: &mut Inner) {
        tracing::error!(pad = %self.id, "document poisoned by a panic inside yrs; reloading it");
        self.poisoned.store(true, Ordering::Release);
        for (_, outbox) in inner.conns.drain(..) {
            outbox.kill.cancel();
        }
    }

    /// The connection closed: forget its outbox and announce its awareness states' removal.
    pub fn leave(&self, conn: ConnId, session: &mut Session) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        inner.conns.retain(|(id, _)| *id != conn);
        if let Some(removal) = session.close(&mut inner.pad, mono_ms()) {
            fan_out(&self.id, &mut inner.conns, &removal, None);
        }
    }

    /// Drops awareness states that were not renewed in time and tells everyone.
    pub fn expire_awareness(&self, now_ms: u64) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Some(removal) = inner.pad.awareness.expire(now_ms) {
            let frame = protocol::encode_awareness(&removal);
            fan_out(&self.id, &mut inner.conns, &frame, None);
        }
    }

    /// Client id → author, for authorship colours.
    pub fn client_authors(&self) -> Vec<(u64, Arc<str>)> {
        self.lock()
            .clients
            .iter()
            .map(|(c, a)| (*c, a.clone()))
            .collect()
    }

    pub fn text(&self) -> String {
        self.lock().pad.doc.text()
    }

    /// Length of the pad's text in UTF-16 code units.
    pub fn text_len(&self) -> u64 {
        u64::from(self.lock().pad.doc.text_len())
    }

    pub fn head_rev(&self) -> u64 {
        self.lock().head_rev
    }

    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// Reads the document under the pad's lock.
    pub fn with_doc<T>(&self, f: impl FnOnce(&PadDoc) -> T) -> T {
        f(&self.lock().pad.doc)
    }

    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// Whether every revision of this pad is on disk.
    pub fn is_durable(&self) -> bool {
        self.persister
            .is_durable(self.last_seq.load(Ordering::Acquire))
    }
}

/// Records `author` as the owner of the clients in `inserted_by` that have no owner yet;
/// returns those.
fn claim_clients(
    clients: &mut HashMap<u64, Arc<str>>,
    inserted_by: &[u64],
    author: &Arc<str>,
) -> Vec<u64> {
    let mut new = Vec::new();
    for client in inserted_by {
        if !clients.contains_key(client) {
            clients.insert(*client, author.clone());
            new.push(*client);
        }
    }
    new
}

/// Queues `frame` for every connection but `except`. A connection whose queue is full is
/// disconnected rather than skipped: a skipped update would silently fork its replica.
fn fan_out(pad: &PadId, conns: &mut Vec<(ConnId, Outbox)>, frame: &Bytes, except: Option<ConnId>) {
    conns.retain(|(id, outbox)| {
        if Some(*id) == except {
            return true;
        }
        match outbox.frames.try_send(frame.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                tracing::warn!(pad = %pad, conn = id, "outbound queue full; disconnecting slow reader");
                outbox.kill.cancel();
                false
            }
            Err(TrySendError::Closed(_)) => false,
        }
    });
}
