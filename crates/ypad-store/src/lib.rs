//! ypad-store: where pads live on disk.
//!
//! A pad is an append-only log of yrs updates (one entry per revision, with its time and
//! author), checkpoints (the merged state at some revision, so loading costs about one checkpoint
//! rather than the whole history) and a small metadata record. [`Store`] is the interface the
//! server sees; [`SledStore`] is the embedded backend and [`PgStore`] the PostgreSQL one that
//! nodes of a cluster share. This is the only crate that knows sled or PostgreSQL.

pub mod cluster;
mod keys;
mod pg_cluster;
mod pg_store;
#[doc(hidden)]
pub mod pg_testing;
mod sled_store;

pub use cluster::{Claim, Cluster, NodeInfo};
pub use pg_store::{PgStore, SchemaTooNew};
pub use sled_store::SledStore;

/// One revision of a pad: a yrs v1 update with when and by whom it was made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogEntry {
    pub pad: String,
    /// Revision number, from 1; revision 0 is the empty pad.
    pub rev: u64,
    pub time_ms: u64,
    /// Author id (`a.…`), when known.
    pub author: Option<String>,
    pub update: bytes::Bytes,
    /// Yjs client ids first seen in this revision; they belong to `author` from now on.
    pub new_clients: Vec<u64>,
}

/// What a server needs to bring a pad into memory.
#[derive(Debug, Clone, Default)]
pub struct StoredPad {
    pub meta: PadMeta,
    /// The merged state at `meta.checkpoint_rev`, if any checkpoint was taken.
    pub checkpoint: Option<Vec<u8>>,
    /// Updates after the checkpoint, in revision order.
    pub tail: Vec<Vec<u8>>,
}

impl StoredPad {
    /// The updates to apply, in order, to rebuild the pad.
    pub fn updates(&self) -> impl Iterator<Item = &[u8]> {
        self.checkpoint
            .iter()
            .chain(self.tail.iter())
            .map(Vec::as_slice)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PadMeta {
    pub id: String,
    pub created_ms: u64,
    /// Time of the newest revision (the creation time for a pad without revisions).
    pub last_edited_ms: u64,
    /// The head revision: the number of revisions after the empty pad.
    pub revisions: u64,
    /// Revision of the newest checkpoint (0 when none).
    pub checkpoint_rev: u64,
}

/// An author: a person (a browser identity or an API-created author) edits are attributed to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Author {
    /// `a.` and 16 characters, as in Etherpad.
    pub id: String,
    pub name: Option<String>,
    /// `#rrggbb`.
    pub color: String,
    pub created_ms: u64,
}

/// A revision someone starred, with a label.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedRevision {
    pub rev: u64,
    pub label: String,
    pub author: Option<String>,
    pub time_ms: u64,
}

/// A group (Etherpad's access model for portals): its pads are `{id}$name` and open only to
/// browsers holding one of its sessions, unless made public.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// `g.` and 16 characters, as in Etherpad.
    pub id: String,
    /// The portal's own name for it (`createGroupIfNotExistsFor`).
    pub mapper: Option<String>,
    pub created_ms: u64,
}

/// A session: lets a browser (by its `sessionID` cookie) into a group's pads as an author,
/// until a time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSession {
    /// `s.` and 32 hex characters.
    pub id: String,
    pub group_id: String,
    pub author_id: String,
    /// Unix seconds, as Etherpad's `validUntil`.
    pub valid_until: u64,
}

/// A pad's lock as a moderator set it: while it holds, only moderators write. Every change is
/// kept, so the pad's history can show when it was locked and unlocked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PadLock {
    /// Locked now.
    pub locked: bool,
    /// Locks itself at this time (ms since the epoch), if not locked before.
    pub lock_at: Option<u64>,
    /// The author who made this change (none for the API key).
    pub by: Option<String>,
    /// When this change was made.
    pub time_ms: u64,
    /// Chat is locked too; otherwise people go on chatting about a locked pad.
    #[serde(default)]
    pub chat: bool,
}

impl PadLock {
    /// Whether writes are refused at `now_ms`.
    pub fn holds_at(&self, now_ms: u64) -> bool {
        self.locked || self.lock_at.is_some_and(|at| now_ms >= at)
    }
}

/// An event (a summit, a PTG): a pad-id prefix whose sessions each have a pad, listed on the
/// event's page because the organiser made them so. Stored whole, as one record; fields added
/// later take their defaults when older records are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    /// The pad-id prefix, such as `summit-2026`; its sessions' pads are `{id}-…`.
    pub id: String,
    pub title: String,
    /// First and last day, `YYYY-MM-DD`, in `time_zone`.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// IANA zone name (`Europe/Berlin`); times of sessions are instants, shown in this zone.
    pub time_zone: String,
    /// Markdown new session pads are made from, with `{{title}}`-style fields.
    pub template: Option<String>,
    pub sessions: Vec<EventSession>,
    /// Lock the event's pads once its last session has ended.
    pub freeze_after_end: bool,
    pub created_ms: u64,
    pub updated_ms: u64,
}

/// One session of an event and its pad.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EventSession {
    pub pad: String,
    pub title: String,
    /// Instants, ms since the epoch.
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub room: Option<String>,
    pub moderators: Vec<String>,
    pub description: Option<String>,
}

/// A pad's newest change in the changes feed: where a script following the feed finds it.
/// Each pad has one entry, moved to a new sequence number whenever the pad gets revisions, so
/// a reader that goes on from its cursor sees a pad once per round of changes, at its head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PadChange {
    /// Position in the feed: greater than every earlier change's, across all nodes of a
    /// cluster, in the order the changes became visible.
    pub seq: u64,
    pub pad: String,
    /// The pad's head revision after the change.
    pub head: u64,
    /// Time of that revision.
    pub time_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend's own error (sled's, a disk's, a test's injected fault), kept as its source.
    #[error("storage backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data of pad {pad:?} is corrupt: {what}")]
    Corrupt { pad: String, what: String },
    /// A cluster commit refused: this node no longer owns these pads under the fence it
    /// claimed them with (or their log moved on without it). Nothing of the batch was written.
    #[error("no longer the owner of pads {pads:?}")]
    Fenced { pads: Vec<String> },
    /// This node's lease lapsed: it may not claim pads until it renews.
    #[error("this node's lease has lapsed")]
    LeaseLapsed,
}

impl StoreError {
    pub fn backend(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Backend(err.into())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The storage interface of the server. Calls block; the server runs them off the async
/// runtime (a persister thread, `spawn_blocking`).
pub trait Store: Send + Sync + 'static {
    /// Everything needed to load `pad`, or `None` if it was never created.
    fn load(&self, pad: &str) -> Result<Option<StoredPad>>;
    /// The pad's metadata, or `None` if it was never created.
    fn meta(&self, pad: &str) -> Result<Option<PadMeta>>;
    /// Records an empty pad (revision 0) unless it exists. Returns whether it was created.
    fn create(&self, pad: &str, time_ms: u64) -> Result<bool>;
    /// Appends revisions, possibly of several pads. Not durable until [`Store::flush`].
    fn append(&self, entries: &[LogEntry]) -> Result<()>;
    /// Makes everything appended so far durable.
    fn flush(&self) -> Result<()>;
    /// Revisions `from..=to` of `pad`.
    fn log(&self, pad: &str, from: u64, to: u64) -> Result<Vec<LogEntry>>;
    /// Newest checkpoint at or before `rev`: `(its revision, state)`.
    fn checkpoint_at_or_before(&self, pad: &str, rev: u64) -> Result<Option<(u64, Vec<u8>)>>;
    /// Stores the merged state at `rev` as the pad's checkpoint; older checkpoints go (the log
    /// still holds every revision).
    fn put_checkpoint(&self, pad: &str, rev: u64, state: &[u8]) -> Result<()>;
    /// Stores an encoded block of positional history whose keyframe is revision `start`.
    fn put_history_block(&self, pad: &str, start: u64, block: &[u8]) -> Result<()>;
    /// The history block with the greatest start at or before `rev`: `(start, bytes)`.
    fn history_block_at_or_before(&self, pad: &str, rev: u64) -> Result<Option<(u64, Vec<u8>)>>;
    /// Every pad: shorter ids first, ids of one length in byte order (the embedded store's key
    /// order, which every backend keeps).
    fn list(&self) -> Result<Vec<PadMeta>>;
    /// Removes a pad with its whole history. Returns whether it existed.
    fn delete(&self, pad: &str) -> Result<bool>;
    /// The pad's read-only id, recording `candidate` as that id if the pad has none yet.
    fn read_only_id(&self, pad: &str, candidate: &str) -> Result<String>;
    /// The pad a read-only id belongs to.
    fn pad_of_read_only_id(&self, read_only_id: &str) -> Result<Option<String>>;
    /// Copies a pad with its whole history to `to`, which must not exist.
    fn copy(&self, from: &str, to: &str, time_ms: u64) -> Result<()>;

    /// Creates or replaces an author.
    fn put_author(&self, author: &Author) -> Result<()>;
    fn author(&self, id: &str) -> Result<Option<Author>>;
    /// The author mapped to `mapper` (an external user id), mapping `candidate` if none is.
    fn author_for_mapper(&self, mapper: &str, candidate: &Author) -> Result<Author>;
    /// Authors with at least one revision in `pad`, in id order.
    fn authors_of_pad(&self, pad: &str) -> Result<Vec<String>>;
    /// Pads `author` has a revision in, in id order.
    fn pads_of_author(&self, author: &str) -> Result<Vec<String>>;

    /// Which author each Yjs client id of `pad` belongs to.
    fn client_authors(&self, pad: &str) -> Result<Vec<(u64, String)>>;

    /// Records a change of the pad's lock; the newest is the lock in force.
    fn put_pad_lock(&self, pad: &str, lock: &PadLock) -> Result<()>;
    /// Every change of the pad's lock, oldest first (the last is in force).
    fn pad_locks(&self, pad: &str) -> Result<Vec<PadLock>>;

    /// Stores a new group.
    fn put_group(&self, group: &Group) -> Result<()>;
    fn group(&self, id: &str) -> Result<Option<Group>>;
    /// The group mapped to `mapper`, storing `candidate` as it if none is.
    fn group_for_mapper(&self, mapper: &str, candidate: &Group) -> Result<Group>;
    /// Every group, in id order.
    fn groups(&self) -> Result<Vec<Group>>;
    /// Removes a group, its mapping and its sessions (not its pads). Returns whether it existed.
    fn delete_group(&self, id: &str) -> Result<bool>;
    fn put_session(&self, session: &GroupSession) -> Result<()>;
    fn session(&self, id: &str) -> Result<Option<GroupSession>>;
    /// Returns whether it existed.
    fn delete_session(&self, id: &str) -> Result<bool>;
    /// Every session, in id order (a portal keeps few; callers filter by group or author).
    fn sessions(&self) -> Result<Vec<GroupSession>>;
    /// Makes a group pad open to everyone, or to its group's sessions only.
    fn set_public(&self, pad: &str, public: bool) -> Result<()>;
    fn is_public(&self, pad: &str) -> Result<bool>;

    fn save_revision(&self, pad: &str, saved: &SavedRevision) -> Result<()>;
    /// Saved revisions of `pad`, oldest first.
    fn saved_revisions(&self, pad: &str) -> Result<Vec<SavedRevision>>;

    /// Creates or replaces an event.
    fn put_event(&self, event: &Event) -> Result<()>;
    fn event(&self, id: &str) -> Result<Option<Event>>;
    /// Every event, in id order.
    fn events(&self) -> Result<Vec<Event>>;
    /// Removes an event (not its pads). Returns whether it existed.
    fn delete_event(&self, id: &str) -> Result<bool>;

    /// The changes feed: pads whose newest change has a sequence number above `cursor`, at most
    /// `limit` of them, in sequence order. [`Store::append`] and [`Store::copy`] move a pad's
    /// entry in the same write as its revisions; a deleted pad leaves the feed.
    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<PadChange>>;

    // What a cluster shares, and what copying a whole store between backends needs to see.

    /// A setting every node of a cluster shares (the API key): its value, recording
    /// `candidate` first if it has none. `None` from a store that belongs to one node, whose
    /// settings stay in its data directory's files.
    fn shared_setting(&self, name: &str, candidate: &str) -> Result<Option<String>>;
    /// The pad's read-only id if it has one; unlike [`Store::read_only_id`], never makes one.
    fn existing_read_only_id(&self, pad: &str) -> Result<Option<String>>;
    /// Every author, in id order.
    fn authors(&self) -> Result<Vec<Author>>;
    /// Every external id (browser token, API author mapper) with its author id, in external id
    /// order.
    fn author_mappers(&self) -> Result<Vec<(String, String)>>;

    /// The cluster this store coordinates, when several nodes share it; `None` for a store of
    /// one node, which owns every pad.
    fn cluster(&self) -> Option<&dyn Cluster> {
        None
    }
}
