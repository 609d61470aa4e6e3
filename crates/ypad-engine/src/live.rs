//! A pad loaded in memory, with the outboxes of its connections.
//!
//! The critical section of an update is: apply to the document, queue the revision for the
//! persister, hand the same bytes to every other outbox. Nothing in it awaits or does IO, and
//! the pad's lock is taken once per frame.
//!
//! In a cluster a pad is either owned here ([`Role::Owner`]: it numbers revisions under the
//! fence of its claim) or a replica of the owner's ([`Role::Replica`]): it serves this node's
//! connections from its own document, sends their writes (with their authors) and awareness up
//! the link to the owner, and fans out what comes down it. A replica whose owner went away is
//! promoted in place, so its connections stay open.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;
use ypad_core::chat::ChatMessage;
use ypad_core::doc::Applied;
use ypad_core::doc::PadDoc;
use ypad_core::protocol;
use ypad_core::protocol::CloseCode;
use ypad_core::session::{Accepted, Admission, Pad, Session, SessionError};
use ypad_core::{ApplyError, PadId};
use ypad_store::{LogEntry, PadLock};

use crate::clock::{mono_ms, wall_ms};
use crate::metrics::Metrics;
use crate::persist::Persister;

pub type ConnId = u64;

/// Where a connection's outbound frames wait for its writer, and how the pad tells it to go.
pub struct Outbox {
    frames: mpsc::Sender<Bytes>,
    /// Cancelled when the connection must go; `reason` says why.
    kill: CancellationToken,
    reason: Arc<OnceLock<(CloseCode, &'static str)>>,
}

/// The connection's side of its [`Outbox`]: told when the pad sends it away, and why.
#[derive(Clone)]
pub struct Dismissal {
    kill: CancellationToken,
    reason: Arc<OnceLock<(CloseCode, &'static str)>>,
}

impl Outbox {
    pub fn new(frames: mpsc::Sender<Bytes>) -> (Outbox, Dismissal) {
        let kill = CancellationToken::new();
        let reason = Arc::new(OnceLock::new());
        let dismissal = Dismissal {
            kill: kill.clone(),
            reason: reason.clone(),
        };
        (
            Outbox {
                frames,
                kill,
                reason,
            },
            dismissal,
        )
    }

    fn dismiss(&self, code: CloseCode, reason: &'static str) {
        let _ = self.reason.set((code, reason));
        self.kill.cancel();
    }
}

impl Dismissal {
    /// Resolves with the close code and reason once the pad sends the connection away.
    pub async fn wait(&self) -> (CloseCode, &'static str) {
        self.kill.cancelled().await;
        self.reason
            .get()
            .copied()
            .unwrap_or((CloseCode::Internal, "closed by the server"))
    }
}

/// A connection as the pad sees it.
struct Conn {
    id: ConnId,
    outbox: Outbox,
    /// The author it writes as; the pad's creator is its moderator.
    author: Option<Arc<str>>,
    /// A write of its was dropped while the pad was locked, so its replica is ahead of the pad:
    /// after an unlock it reconnects to sync.
    refused_while_locked: bool,
}

pub struct LivePad {
    pub id: PadId,
    /// A std mutex: it is never held across an await, and each hold is short.
    inner: Mutex<Inner>,
    persister: Persister,
    /// Largest text an update may grow the pad to, in UTF-16 code units.
    max_pad_chars: u64,
    /// Checkouts currently holding this pad; changed only under the registry's lock.
    pub(crate) users: AtomicUsize,
    /// When the last checkout ended (monotonic ms).
    pub(crate) idle_since_ms: AtomicU64,
    /// Persister sequence number of the newest revision, to know when it is all on disk.
    last_seq: AtomicU64,
    /// Out of service: yrs panicked on this pad, or it was deleted, moved or overwritten. Its
    /// next checkout loads it afresh from the store.
    poisoned: AtomicBool,
    /// Cancelled when the pad leaves memory (out of service or evicted): its upstream link ends.
    closed: CancellationToken,
}

/// Who numbers this pad's revisions.
pub(crate) enum Role {
    /// This node, under the fence of its claim (0 on a node of its own).
    Owner { fence: u64 },
    /// Another node; this one relays.
    Replica(Upstream),
}

/// A replica's way to its owner: the link's queue while it is connected; while it is not, the
/// authored writes waiting for the next link (beyond a bound, the resync brings them without
/// their authors).
#[derive(Default)]
pub(crate) struct Upstream {
    link: Option<mpsc::UnboundedSender<Bytes>>,
    pending: VecDeque<Bytes>,
}

/// Writes a detached replica keeps for its next link.
const MAX_PENDING_UPSTREAM: usize = 10_000;

impl Upstream {
    fn send(&mut self, frame: Bytes) {
        if let Some(link) = &self.link
            && link.send(frame.clone()).is_ok()
        {
            return;
        }
        self.link = None;
        if self.pending.len() < MAX_PENDING_UPSTREAM {
            self.pending.push_back(frame);
        }
    }
}

impl Drop for LivePad {
    fn drop(&mut self) {
        self.closed.cancel();
    }
}

struct Inner {
    pad: Pad,
    head_rev: u64,
    /// The author each Yjs client id belongs to: the author of the connection that first
    /// wrote with it. Later relays of that content by others do not change it.
    clients: HashMap<u64, Arc<str>>,
    next_conn: ConnId,
    /// A vector rather than a map: fan-out iterates it for every update.
    conns: Vec<Conn>,
    /// The lock in force, as stored.
    lock: Option<PadLock>,
    /// Whether a scheduled lock's moment was already announced to the connections.
    lock_announced: bool,
    /// The author of the first revision: the pad's moderator.
    creator: Option<Arc<str>>,
    role: Role,
}

impl LivePad {
    pub(crate) fn new(loaded: Loaded, persister: Persister, max_pad_chars: u64) -> Self {
        let Loaded {
            id,
            doc,
            head_rev,
            clients,
            lock,
            creator,
            role,
        } = loaded;
        let lock_announced = lock.as_ref().is_some_and(|l| l.holds_at(wall_ms()));
        LivePad {
            id,
            inner: Mutex::new(Inner {
                pad: Pad::new(doc),
                head_rev,
                clients,
                next_conn: 0,
                conns: Vec::new(),
                lock,
                lock_announced,
                creator,
                role,
            }),
            persister,
            max_pad_chars,
            users: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(mono_ms()),
            last_seq: AtomicU64::new(0),
            poisoned: AtomicBool::new(false),
            closed: CancellationToken::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock is caught inside the core; poisoning here would only
        // come from a bug elsewhere, and the data is still consistent enough to serve and flush.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection writing as `author`; returns its id and the greeting to send it
    /// (with word of the lock, when one holds for it).
    pub fn join(
        &self,
        session: &Session,
        outbox: Outbox,
        author: Option<Arc<str>>,
    ) -> (ConnId, Vec<Bytes>) {
        let mut inner = self.lock();
        inner.next_conn += 1;
        let id = inner.next_conn;
        let mut greeting = session.open(&inner.pad);
        if inner.locked_for(author.as_ref(), wall_ms()) {
            greeting.push(ypad_core::session::locked_notice());
        }
        inner.conns.push(Conn {
            id,
            outbox,
            author,
            refused_while_locked: false,
        });
        (id, greeting)
    }

    /// Puts `lock` in force: connections that may no longer write are told so (their writes are
    /// refused from now on); after an unlock they are asked to reconnect, so that what they
    /// typed meanwhile reaches the pad.
    pub(crate) fn set_lock(&self, lock: PadLock) {
        self.set_lock_by(lock, None);
    }

    /// [`LivePad::set_lock`], learning the pad's moderator first if this copy did not know it
    /// (a replica loaded before the pad's first revision was stored).
    pub(crate) fn set_lock_by(&self, lock: PadLock, creator: Option<Arc<str>>) {
        let mut inner = self.lock();
        if inner.creator.is_none() {
            inner.creator = creator;
        }
        let now = wall_ms();
        let was = inner.lock.as_ref().is_some_and(|l| l.holds_at(now));
        let holds = lock.holds_at(now);
        inner.lock = Some(lock);
        inner.lock_announced = holds;
        if holds && !was {
            inner.announce_lock(&self.id, now);
        } else if was && !holds {
            let creator = inner.creator.clone();
            let notice = ypad_core::session::unlocked_notice();
            let pad = &self.id;
            inner.conns.retain(|c| {
                if is_moderator(c.author.as_ref(), creator.as_ref()) {
                    return true;
                }
                if c.refused_while_locked {
                    c.outbox
                        .dismiss(CloseCode::Reconnect, "the pad was unlocked; reconnect");
                    return false;
                }
                deliver(pad, c, &notice)
            });
        }
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
        let admission = Admission {
            accepting_writes: self.persister.is_healthy(),
            max_pad_chars: self.max_pad_chars,
            // A node link's writes were admitted by the node its browsers are on, which knows
            // each browser's author and the same lock.
            locked: !session.is_node_link()
                && inner.lock.is_some()
                && inner.locked_for(author, wall_ms()),
        };
        let effects = match session.receive(&mut inner.pad, frame, mono_ms(), admission) {
            Ok(effects) => effects,
            Err(err) => {
                if matches!(err, SessionError::Update(ApplyError::Poisoned)) {
                    tracing::error!(pad = %self.id, "document poisoned by a panic inside yrs; reloading it");
                    self.take_out_of_service(inner, CloseCode::Internal, "pad is being reloaded");
                }
                return Err(err);
            }
        };
        if let Some(accepted) = effects.update {
            // A node link names the author of each write it forwards.
            let author = match effects.author {
                Some(named) => Some(Arc::from(named)),
                None => author.cloned(),
            };
            self.commit(inner, accepted, author, Some(conn));
        }
        if effects.refused_write
            && admission.locked
            && let Some(c) = inner.conns.iter_mut().find(|c| c.id == conn)
        {
            c.refused_while_locked = true;
        }
        if let Some(frame) = &effects.awareness {
            // A node merged its browsers' states already; it needs none of them back.
            let except = session.is_node_link().then_some(conn);
            fan_out(
                self.persister.metrics(),
                &self.id,
                &mut inner.conns,
                frame,
                except,
            );
            if let Role::Replica(upstream) = &mut inner.role {
                upstream.send(frame.clone());
            }
        }
        Ok(effects.reply)
    }

    /// Applies a server-side edit (API, import) as a revision every connection receives, under
    /// the same size limit as an edit from a connection. Returns the new head revision, or
    /// `None` if the edit changed nothing.
    pub fn apply(&self, author: Option<&str>, edit: Edit) -> Result<Option<u64>, EditError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let current = u64::from(inner.pad.doc.text_len());
        let grown_to = match &edit {
            Edit::Replace(text) | Edit::ReplaceIf { text, .. } => utf16_len(text),
            Edit::Append(text) => current + utf16_len(text),
            Edit::Chat(_) => current,
        };
        if grown_to > self.max_pad_chars && grown_to > current {
            return Err(EditError::TooLarge {
                limit: self.max_pad_chars,
            });
        }
        let accepted = inner.pad.edit(|doc| match &edit {
            Edit::Replace(text) => doc.set_text(text),
            Edit::ReplaceIf { expected, text } => {
                (doc.text() == *expected).then(|| doc.set_text(text))?
            }
            Edit::Append(text) => doc.append_text(text),
            Edit::Chat(message) => Some(doc.push_chat(message)),
        });
        let Some(accepted) = accepted else {
            return Ok(None);
        };
        self.commit(inner, accepted, author.map(Arc::from), None);
        Ok(Some(inner.head_rev))
    }

    /// This pad's fence when it is owned here, `None` when it is a replica.
    pub fn fence(&self) -> Option<u64> {
        match self.lock().role {
            Role::Owner { fence } => Some(fence),
            Role::Replica(_) => None,
        }
    }

    pub fn is_owner(&self) -> bool {
        self.fence().is_some()
    }

    /// Left memory for being idle: its upstream link, if any, ends.
    pub(crate) fn evicted(&self) {
        self.closed.cancel();
    }

    /// Resolves when the pad leaves memory (its upstream link, if any, then ends).
    pub fn closed(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.closed.clone().cancelled_owned()
    }

    /// A replica's link to its owner is up: frames for the owner go to `link` from now on.
    /// Returns what to send first: the greeting (sync step 1, awareness) and the writes that
    /// waited for a link, in order; the owner's sync step 1 then gets the rest.
    pub fn attach_upstream(
        &self,
        session: &Session,
        link: mpsc::UnboundedSender<Bytes>,
    ) -> Vec<Bytes> {
        let mut inner = self.lock();
        let mut frames = session.open(&inner.pad);
        if let Role::Replica(upstream) = &mut inner.role {
            frames.extend(upstream.pending.drain(..));
            upstream.link = Some(link);
        }
        frames
    }

    /// A frame from the owner: applied to the replica and fanned out to this node's
    /// connections. Returns the replies for the owner.
    pub fn receive_upstream(
        &self,
        session: &mut Session,
        frame: &Bytes,
    ) -> Result<Vec<Bytes>, SessionError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let effects = match session.receive(&mut inner.pad, frame, mono_ms(), Admission::OPEN) {
            Ok(effects) => effects,
            Err(err) => {
                if matches!(err, SessionError::Update(ApplyError::Poisoned)) {
                    self.take_out_of_service(inner, CloseCode::Internal, "pad is being reloaded");
                }
                return Err(err);
            }
        };
        let metrics = self.persister.metrics();
        for frame in effects
            .update
            .as_ref()
            .map(|a| &a.forward)
            .into_iter()
            .chain(effects.awareness.as_ref())
        {
            fan_out(metrics, &self.id, &mut inner.conns, frame, None);
        }
        Ok(effects.reply)
    }

    /// The link to the owner is down: the owner's awareness states go, and writes wait.
    pub fn detach_upstream(&self, session: &mut Session) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Role::Replica(upstream) = &mut inner.role {
            upstream.link = None;
        }
        if let Some(removal) = session.close(&mut inner.pad, mono_ms()) {
            fan_out(
                self.persister.metrics(),
                &self.id,
                &mut inner.conns,
                &removal,
                None,
            );
        }
    }

    /// Makes this replica the owner under `fence`, its connections staying open: what the
    /// store has and the replica lacks goes to them, and what the replica has and the store
    /// lacks (edits the old owner sent out but never committed) becomes a revision.
    pub(crate) fn promote(&self, stored: Loaded) -> Result<(), ApplyError> {
        let Loaded {
            doc: mut stored_doc,
            head_rev,
            clients,
            lock,
            creator,
            role,
            ..
        } = stored;
        let mut inner = self.lock();
        let inner = &mut *inner;
        if !matches!(inner.role, Role::Replica(_)) {
            return Ok(());
        }
        let result = (|| {
            let store_lacks = inner.pad.doc.encode_diff(&stored_doc.state_vector())?;
            let we_lack = stored_doc.encode_diff(&inner.pad.doc.state_vector())?;
            if inner.pad.doc.apply_update(&we_lack)?.is_changed() {
                fan_out(
                    self.persister.metrics(),
                    &self.id,
                    &mut inner.conns,
                    &protocol::encode_update(&we_lack),
                    None,
                );
            }
            let unsaved = match stored_doc.apply_update(&store_lacks)? {
                Applied::Changed { inserted_by } => Some((store_lacks, inserted_by)),
                Applied::Unchanged => None,
            };
            Ok::<_, ApplyError>(unsaved)
        })();
        let unsaved = match result {
            Ok(unsaved) => unsaved,
            Err(err) => {
                self.take_out_of_service(inner, CloseCode::Reconnect, "the pad moved; reconnect");
                return Err(err);
            }
        };
        inner.role = role;
        inner.head_rev = head_rev;
        inner.clients = clients;
        inner.lock = lock;
        inner.creator = creator;
        if let Some((update, inserted_by)) = unsaved {
            let update = Bytes::from(update);
            let accepted = Accepted {
                forward: protocol::encode_update(&update),
                update,
                inserted_by,
            };
            self.commit(inner, accepted, None, None);
        }
        Ok(())
    }

    /// Numbers the revision, queues it for the persister and forwards it to every connection
    /// but its sender.
    fn commit(
        &self,
        inner: &mut Inner,
        accepted: Accepted,
        author: Option<Arc<str>>,
        sender: Option<ConnId>,
    ) {
        let fence = match &mut inner.role {
            Role::Owner { fence } => *fence,
            Role::Replica(upstream) => {
                // The owner numbers it; this node's other connections have it now.
                upstream.send(match &author {
                    Some(author) => protocol::encode_authored_update(author, &accepted.update),
                    None => accepted.forward.clone(),
                });
                fan_out(
                    self.persister.metrics(),
                    &self.id,
                    &mut inner.conns,
                    &accepted.forward,
                    sender,
                );
                return;
            }
        };
        let new_clients = match &author {
            Some(author) => claim_clients(&mut inner.clients, &accepted.inserted_by, author),
            None => Vec::new(),
        };
        if inner.head_rev == 0 {
            // The first revision's author made the pad: its moderator.
            inner.creator = author.clone();
        }
        inner.head_rev += 1;
        let seq = self.persister.append(
            LogEntry {
                pad: self.id.to_string(),
                rev: inner.head_rev,
                time_ms: wall_ms(),
                author: author.map(|a| a.to_string()),
                update: accepted.update,
                new_clients,
            },
            fence,
        );
        self.last_seq.store(seq, Ordering::Release);
        fan_out(
            self.persister.metrics(),
            &self.id,
            &mut inner.conns,
            &accepted.forward,
            sender,
        );
    }

    /// Takes the pad out of service (deleted, moved or overwritten): every connection is
    /// closed, and the next checkout loads it afresh from the store.
    pub(crate) fn retire(&self) {
        self.take_out_of_service(
            &mut self.lock(),
            CloseCode::Internal,
            "pad is being reloaded",
        );
    }

    /// Takes the pad out of service because another node owns it now: its connections
    /// reconnect (to be served by the new owner or a relay) and resync what they have.
    pub(crate) fn lost(&self) {
        self.take_out_of_service(
            &mut self.lock(),
            CloseCode::Reconnect,
            "the pad moved to another node; reconnect",
        );
    }

    fn take_out_of_service(&self, inner: &mut Inner, code: CloseCode, reason: &'static str) {
        self.poisoned.store(true, Ordering::Release);
        self.closed.cancel();
        for conn in inner.conns.drain(..) {
            conn.outbox.dismiss(code, reason);
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

    /// The connection closed: forget its outbox and announce its awareness states' removal.
    pub fn leave(&self, conn: ConnId, session: &mut Session) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        inner.conns.retain(|c| c.id != conn);
        if let Some(removal) = session.close(&mut inner.pad, mono_ms()) {
            fan_out(
                self.persister.metrics(),
                &self.id,
                &mut inner.conns,
                &removal,
                None,
            );
            if let Role::Replica(upstream) = &mut inner.role {
                upstream.send(removal);
            }
        }
    }

    /// Drops awareness states that were not renewed in time and tells everyone; announces a
    /// scheduled lock whose moment came.
    pub(crate) fn sweep(&self, now_ms: u64, wall_now_ms: u64) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Some(removal) = inner.pad.expire_awareness(now_ms) {
            fan_out(
                self.persister.metrics(),
                &self.id,
                &mut inner.conns,
                &removal,
                None,
            );
        }
        if !inner.lock_announced && inner.lock.as_ref().is_some_and(|l| l.holds_at(wall_now_ms)) {
            inner.lock_announced = true;
            inner.announce_lock(&self.id, wall_now_ms);
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

    pub fn head_rev(&self) -> u64 {
        self.lock().head_rev
    }

    /// Whether this copy holds any edit: revisions numbered here, or, on a replica, content its
    /// owner accepted and may not have stored yet.
    pub fn holds_edits(&self) -> bool {
        let inner = self.lock();
        inner.head_rev > 0 || !inner.pad.doc.is_blank()
    }

    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// Reads the document under the pad's lock.
    pub fn with_doc<T>(&self, f: impl FnOnce(&PadDoc) -> T) -> T {
        f(&self.lock().pad.doc)
    }

    /// Whether the pad was taken out of service (its connections are told to reconnect).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// Whether every revision of this pad is on disk.
    pub(crate) fn is_durable(&self) -> bool {
        self.persister
            .is_durable(self.last_seq.load(Ordering::Acquire))
    }
}

impl Inner {
    /// Whether a lock keeps `author` from writing at `now_ms`.
    fn locked_for(&self, author: Option<&Arc<str>>, now_ms: u64) -> bool {
        self.lock.as_ref().is_some_and(|l| l.holds_at(now_ms))
            && !is_moderator(author, self.creator.as_ref())
    }

    /// Tells every connection that may no longer write that the pad is locked.
    fn announce_lock(&mut self, pad: &PadId, now_ms: u64) {
        let notice = ypad_core::session::locked_notice();
        if !self.lock.as_ref().is_some_and(|l| l.holds_at(now_ms)) {
            return;
        }
        let creator = self.creator.clone();
        self.conns.retain(|c| {
            is_moderator(c.author.as_ref(), creator.as_ref()) || deliver(pad, c, &notice)
        });
    }
}

fn is_moderator(author: Option<&Arc<str>>, creator: Option<&Arc<str>>) -> bool {
    author.is_some() && author == creator
}

/// What the registry loaded for a pad.
pub(crate) struct Loaded {
    pub id: PadId,
    pub doc: PadDoc,
    pub head_rev: u64,
    pub clients: HashMap<u64, Arc<str>>,
    pub lock: Option<PadLock>,
    pub creator: Option<Arc<str>>,
    pub role: Role,
}

/// A change the server makes to a pad on someone's behalf.
pub enum Edit {
    /// The whole text becomes this (the smallest change that gets there is applied).
    Replace(String),
    /// The same, only if the text is `expected` at that moment (under the pad's lock, so no
    /// edit arriving meanwhile is overwritten).
    ReplaceIf { expected: String, text: String },
    /// This goes at the end of the text.
    Append(String),
    /// A chat message.
    Chat(ChatMessage),
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("the pad would grow past its limit of {limit} characters")]
    TooLarge { limit: u64 },
}

fn utf16_len(text: &str) -> u64 {
    text.encode_utf16().count() as u64
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
fn fan_out(
    metrics: &Metrics,
    pad: &PadId,
    conns: &mut Vec<Conn>,
    frame: &Bytes,
    except: Option<ConnId>,
) {
    let mut queued = 0;
    conns.retain(|c| {
        if Some(c.id) == except {
            return true;
        }
        let delivered = deliver(pad, c, frame);
        queued += u64::from(delivered);
        delivered
    });
    metrics.fanout_frames.inc_by(queued);
}

/// Queues `frame` for one connection; false when it is gone or was sent away for being too slow.
fn deliver(pad: &PadId, conn: &Conn, frame: &Bytes) -> bool {
    match conn.outbox.frames.try_send(frame.clone()) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            tracing::warn!(pad = %pad, conn = conn.id, "outbound queue full; disconnecting slow reader");
            conn.outbox
                .dismiss(CloseCode::TryLater, "too slow: outbound queue overflowed");
            false
        }
        Err(TrySendError::Closed(_)) => false,
    }
}
