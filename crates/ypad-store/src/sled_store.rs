//! The embedded backend: one sled database with a tree per kind of record.
//!
//! - `log`: `pad • rev` → `version • time_ms • author • update`
//! - `checkpoints`: `pad • rev` → the merged state at that revision
//! - `history`: `pad • start rev` → a block of positional history (see `ypad_core::history`)
//! - `readonly`: `p • pad` → read-only id and `r • read-only id` → pad
//! - `authors`: author id → JSON; `mappers`: external id → author id
//! - `pad_authors`: `pad • author` and `author_pads`: `author • pad`, both → nothing
//! - `saved`: `pad • n` → JSON of a saved revision
//! - `clients`: `pad • client id` → the author whose edits carry that Yjs client id
//! - `changes`: sequence number → `head • time_ms • pad`, and `change_of_pad`: `pad` → its
//!   entry's sequence number, so each pad has one live entry in the changes feed
//! - `meta`: `pad` → `{"createdMs": …}`; the head revision and last-edited time are read from
//!   the log itself, so they can never disagree with it.

use std::path::Path;

use sled::{Db, Tree};

use crate::keys::{number_of, numbered_key, pad_of, pad_prefix};
use crate::{
    Author, Event, Group, GroupSession, LogEntry, PadChange, PadLock, PadMeta, Result,
    SavedRevision, Store, StoreError, StoredPad,
};

const ENTRY_VERSION: u8 = 1;
/// How long [`SledStore::open`] waits for a lock that a just-closed store is releasing.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone)]
pub struct SledStore {
    db: Db,
    log: Tree,
    checkpoints: Tree,
    history: Tree,
    meta: Tree,
    readonly: Tree,
    authors: Tree,
    mappers: Tree,
    pad_authors: Tree,
    author_pads: Tree,
    saved: Tree,
    /// `pad • n` → the pad's n-th lock change (JSON).
    locks: Tree,
    /// Group id → group (JSON); `m` + mapper → group id.
    groups: Tree,
    /// Session id → session (JSON).
    sessions: Tree,
    /// Pad prefix → present when the group pad is public.
    public: Tree,
    clients: Tree,
    /// Event id → event (JSON).
    events: Tree,
    /// The changes feed: sequence number (big-endian, from sled's `generate_id`) → the pad's
    /// head and its time and the pad id.
    changes: Tree,
    /// Pad prefix → the sequence number of the pad's live entry in `changes`.
    change_of_pad: Tree,
    /// Held while a number is taken and its entry written, so that entries appear in number
    /// order even when a copy writes beside the persister: a reader never passes a number
    /// whose entry is still to come. Nothing else happens under it (a std mutex).
    change_order: std::sync::Arc<std::sync::Mutex<()>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaRecord {
    created_ms: u64,
}

impl SledStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<SledStore> {
        Self::open_with_grace(dir, LOCK_GRACE)
    }

    /// Like [`SledStore::open`], but gives up on a held lock after `grace` rather than the
    /// server's generous default: a command run against a directory that a live server holds
    /// should say so promptly instead of waiting for a lock that will not be released.
    pub fn open_with_grace(dir: impl AsRef<Path>, grace: std::time::Duration) -> Result<SledStore> {
        // sled releases its file lock from background IO threads a moment after the last
        // handle drops, so a store reopened right after closing (a restart in the same
        // process) may find it still held for a few milliseconds.
        let deadline = std::time::Instant::now() + grace;
        loop {
            match Self::open_once(dir.as_ref()) {
                // sled reports the lock as an error of kind `Other` that names the cause.
                Err(sled::Error::Io(e))
                    if (e.kind() == std::io::ErrorKind::WouldBlock
                        || e.to_string().contains("could not acquire lock"))
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => return Ok(other?),
            }
        }
    }

    fn open_once(dir: &Path) -> sled::Result<SledStore> {
        let db = sled::Config::new()
            .path(dir)
            // Durability is the server's group commit calling `flush`; a background flusher on
            // its own schedule would only add fsyncs.
            .flush_every_ms(None)
            // sled keeps every page it writes in this cache, and charges a page its size in the
            // log, while the decoded page in memory takes several times that. ypad writes a
            // steady stream of log entries that are rarely read back (a pad is read once on
            // load, and compaction reads only the tail it just wrote), so a large cache only
            // holds history: at 64 MiB the server's RSS grew for more than ten minutes of
            // steady load. At 8 MiB it levels off within a few minutes; loads that miss read
            // from the OS page cache.
            .cache_capacity(8 * 1024 * 1024)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        Self::from_db(db)
    }

    fn from_db(db: Db) -> sled::Result<SledStore> {
        Ok(SledStore {
            log: db.open_tree("log")?,
            checkpoints: db.open_tree("checkpoints")?,
            history: db.open_tree("history")?,
            meta: db.open_tree("meta")?,
            readonly: db.open_tree("readonly")?,
            authors: db.open_tree("authors")?,
            mappers: db.open_tree("mappers")?,
            pad_authors: db.open_tree("pad_authors")?,
            author_pads: db.open_tree("author_pads")?,
            saved: db.open_tree("saved")?,
            locks: db.open_tree("locks")?,
            groups: db.open_tree("groups")?,
            sessions: db.open_tree("sessions")?,
            public: db.open_tree("public")?,
            clients: db.open_tree("clients")?,
            events: db.open_tree("events")?,
            changes: db.open_tree("changes")?,
            change_of_pad: db.open_tree("change_of_pad")?,
            change_order: Default::default(),
            db,
        })
    }

    fn head(&self, pad: &str) -> Result<Option<(u64, u64)>> {
        match self.log.scan_prefix(pad_prefix(pad)).next_back() {
            None => Ok(None),
            Some(kv) => {
                let (key, value) = kv?;
                let rev = number_of(&key).ok_or_else(|| corrupt(pad, "log key"))?;
                let entry = decode_entry(pad, rev, &value)?;
                Ok(Some((rev, entry.time_ms)))
            }
        }
    }

    /// In a tree keyed by `pad • rev`, the record with the greatest revision at or before `rev`.
    fn newest_at_or_before(
        tree: &Tree,
        pad: &str,
        rev: u64,
        what: &str,
    ) -> Result<Option<(u64, Vec<u8>)>> {
        match tree
            .range(numbered_key(pad, 0)..=numbered_key(pad, rev))
            .next_back()
        {
            None => Ok(None),
            Some(kv) => {
                let (key, value) = kv?;
                let rev = number_of(&key).ok_or_else(|| corrupt(pad, what))?;
                Ok(Some((rev, value.to_vec())))
            }
        }
    }

    /// The JSON record at `key` in `tree`, if any.
    fn json_at<T: serde::de::DeserializeOwned>(
        tree: &Tree,
        key: &[u8],
        what_of: &str,
        what: &str,
    ) -> Result<Option<T>> {
        match tree.get(key)? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| corrupt(what_of, &format!("{what}: {e}"))),
        }
    }

    /// Appends `record` as JSON after the pad's last numbered record in `tree`.
    fn push_record(tree: &Tree, pad: &str, record: &impl serde::Serialize) -> Result<()> {
        let next = match tree.scan_prefix(pad_prefix(pad)).keys().next_back() {
            None => 0,
            Some(key) => number_of(&key?).map_or(0, |n| n + 1),
        };
        let json = serde_json::to_vec(record).map_err(StoreError::backend)?;
        tree.insert(numbered_key(pad, next), json)?;
        Ok(())
    }

    /// The pad's numbered JSON records in `tree`, in order.
    fn records<T: serde::de::DeserializeOwned>(
        tree: &Tree,
        pad: &str,
        what: &str,
    ) -> Result<Vec<T>> {
        tree.scan_prefix(pad_prefix(pad))
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(|e| corrupt(pad, &format!("{what}: {e}"))))
            .collect()
    }

    fn meta_record(&self, pad: &str) -> Result<Option<MetaRecord>> {
        match self.meta.get(pad_prefix(pad))? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| corrupt(pad, &format!("meta record: {e}"))),
        }
    }

    fn meta_of(&self, pad: &str, record: MetaRecord) -> Result<PadMeta> {
        let head = self.head(pad)?;
        let checkpoint_rev = self
            .checkpoint_at_or_before(pad, u64::MAX)?
            .map_or(0, |(rev, _)| rev);
        Ok(PadMeta {
            id: pad.to_owned(),
            created_ms: record.created_ms,
            last_edited_ms: head.map_or(record.created_ms, |(_, t)| t),
            revisions: head.map_or(0, |(rev, _)| rev),
            checkpoint_rev,
        })
    }

    fn index_authorship(&self, pad: &str, author: &str) -> Result<()> {
        let mut key = pad_prefix(pad);
        key.extend_from_slice(author.as_bytes());
        self.pad_authors.insert(key, &[])?;
        let mut key = pad_prefix(author);
        key.extend_from_slice(pad.as_bytes());
        self.author_pads.insert(key, &[])?;
        Ok(())
    }

    /// The suffixes after `prefix` of the keys in `tree` that start with it.
    fn suffixes(tree: &Tree, prefix: &[u8]) -> Result<Vec<String>> {
        tree.scan_prefix(prefix)
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?[prefix.len()..]).into_owned()))
            .collect()
    }

    /// Copies every `from • …` record of `tree` to `to • …`.
    fn copy_prefixed(tree: &Tree, from: &str, to: &str) -> Result<()> {
        let (src, dst) = (pad_prefix(from), pad_prefix(to));
        let mut batch = sled::Batch::default();
        for kv in tree.scan_prefix(&src) {
            let (key, value) = kv?;
            batch.insert([dst.as_slice(), &key[src.len()..]].concat(), value);
        }
        tree.apply_batch(batch)?;
        Ok(())
    }

    /// Moves each pad's entry of the changes feed to a new sequence number, with its head.
    /// Numbers come from `generate_id`, which only grows (across restarts too), and the
    /// order lock keeps entries appearing in sequence order.
    fn record_changes(&self, heads: &[(&str, u64, u64)]) -> Result<()> {
        let _order = self.change_order.lock().unwrap_or_else(|e| e.into_inner());
        for &(pad, head, time_ms) in heads {
            let seq = self.db.generate_id()? + 1;
            let mut value = Vec::with_capacity(16 + pad.len());
            value.extend_from_slice(&head.to_be_bytes());
            value.extend_from_slice(&time_ms.to_be_bytes());
            value.extend_from_slice(pad.as_bytes());
            // The new entry first: a reader in between sees the old one too, and skips it as
            // no longer live.
            self.changes.insert(seq.to_be_bytes(), value)?;
            if let Some(old) = self
                .change_of_pad
                .insert(pad_prefix(pad), &seq.to_be_bytes())?
            {
                self.changes.remove(old)?;
            }
        }
        Ok(())
    }

    fn remove_prefix(tree: &Tree, prefix: &[u8]) -> Result<usize> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for key in tree.scan_prefix(prefix).keys() {
            batch.remove(key?);
            n += 1;
        }
        tree.apply_batch(batch)?;
        Ok(n)
    }
}

impl Store for SledStore {
    fn load(&self, pad: &str) -> Result<Option<StoredPad>> {
        let Some(record) = self.meta_record(pad)? else {
            return Ok(None);
        };
        let meta = self.meta_of(pad, record)?;
        let checkpoint = self.checkpoint_at_or_before(pad, u64::MAX)?;
        let from = checkpoint.as_ref().map_or(1, |(rev, _)| rev + 1);
        let tail = self
            .log(pad, from, meta.revisions)?
            .into_iter()
            .map(|e| e.update.to_vec())
            .collect();
        Ok(Some(StoredPad {
            meta,
            checkpoint: checkpoint.map(|(_, state)| state),
            tail,
        }))
    }

    fn meta(&self, pad: &str) -> Result<Option<PadMeta>> {
        match self.meta_record(pad)? {
            None => Ok(None),
            Some(record) => self.meta_of(pad, record).map(Some),
        }
    }

    fn create(&self, pad: &str, time_ms: u64) -> Result<bool> {
        let record = serde_json::to_vec(&MetaRecord {
            created_ms: time_ms,
        })
        .expect("a struct of integers serializes");
        let swapped =
            self.meta
                .compare_and_swap(pad_prefix(pad), None as Option<&[u8]>, Some(record))?;
        Ok(swapped.is_ok())
    }

    fn append(&self, entries: &[LogEntry]) -> Result<()> {
        let mut batch = sled::Batch::default();
        let mut first_of_pad: Vec<(&str, u64)> = Vec::new();
        let mut authorship: Vec<(&str, &str)> = Vec::new();
        // Each pad's newest revision in the batch, for the changes feed.
        let mut heads: std::collections::HashMap<&str, (u64, u64)> =
            std::collections::HashMap::new();
        for e in entries {
            batch.insert(numbered_key(&e.pad, e.rev), encode_entry(e));
            let head = heads.entry(&e.pad).or_insert((e.rev, e.time_ms));
            if head.0 < e.rev {
                *head = (e.rev, e.time_ms);
            }
            if !first_of_pad.iter().any(|(p, _)| *p == e.pad) {
                first_of_pad.push((&e.pad, e.time_ms));
            }
            if let Some(author) = e.author.as_deref() {
                if !authorship.contains(&(e.pad.as_str(), author)) {
                    authorship.push((&e.pad, author));
                }
                for client in &e.new_clients {
                    self.clients
                        .insert(numbered_key(&e.pad, *client), author.as_bytes())?;
                }
            }
        }
        for (pad, time_ms) in first_of_pad {
            self.create(pad, time_ms)?;
        }
        self.log.apply_batch(batch)?;
        for (pad, author) in authorship {
            self.index_authorship(pad, author)?;
        }
        let mut heads: Vec<(&str, u64, u64)> =
            heads.into_iter().map(|(p, (r, t))| (p, r, t)).collect();
        // In a stable order (one batch's pads share a commit; any order is true to it).
        heads.sort_unstable();
        self.record_changes(&heads)
    }

    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    fn log(&self, pad: &str, from: u64, to: u64) -> Result<Vec<LogEntry>> {
        if from > to {
            return Ok(Vec::new());
        }
        self.log
            .range(numbered_key(pad, from)..=numbered_key(pad, to))
            .map(|kv| {
                let (key, value) = kv?;
                let rev = number_of(&key).ok_or_else(|| corrupt(pad, "log key"))?;
                decode_entry(pad, rev, &value)
            })
            .collect()
    }

    fn checkpoint_at_or_before(&self, pad: &str, rev: u64) -> Result<Option<(u64, Vec<u8>)>> {
        Self::newest_at_or_before(&self.checkpoints, pad, rev, "checkpoint key")
    }

    fn put_checkpoint(&self, pad: &str, rev: u64, state: &[u8]) -> Result<()> {
        self.checkpoints.insert(numbered_key(pad, rev), state)?;
        // Only the newest is read (to load the pad); the log keeps everything older.
        let older: Vec<_> = self
            .checkpoints
            .range(numbered_key(pad, 0)..numbered_key(pad, rev))
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        for key in older {
            self.checkpoints.remove(key)?;
        }
        Ok(())
    }

    fn put_history_block(&self, pad: &str, start: u64, block: &[u8]) -> Result<()> {
        self.history.insert(numbered_key(pad, start), block)?;
        Ok(())
    }

    fn history_block_at_or_before(&self, pad: &str, rev: u64) -> Result<Option<(u64, Vec<u8>)>> {
        Self::newest_at_or_before(&self.history, pad, rev, "history key")
    }

    fn list(&self) -> Result<Vec<PadMeta>> {
        let mut out = Vec::new();
        for kv in self.meta.iter() {
            let (key, _) = kv?;
            let pad = pad_of(&key).ok_or_else(|| corrupt("?", "meta key"))?;
            if let Some(meta) = self.meta(pad)? {
                out.push(meta);
            }
        }
        Ok(out)
    }

    fn delete(&self, pad: &str) -> Result<bool> {
        let prefix = pad_prefix(pad);
        let existed = self.meta.remove(&prefix)?.is_some();
        Self::remove_prefix(&self.log, &prefix)?;
        Self::remove_prefix(&self.checkpoints, &prefix)?;
        Self::remove_prefix(&self.history, &prefix)?;
        Self::remove_prefix(&self.saved, &prefix)?;
        Self::remove_prefix(&self.locks, &prefix)?;
        self.public.remove(&prefix)?;
        Self::remove_prefix(&self.clients, &prefix)?;
        for author in Self::suffixes(&self.pad_authors, &prefix)? {
            let mut key = pad_prefix(&author);
            key.extend_from_slice(pad.as_bytes());
            self.author_pads.remove(key)?;
        }
        Self::remove_prefix(&self.pad_authors, &prefix)?;
        if let Some(seq) = self.change_of_pad.remove(&prefix)? {
            self.changes.remove(seq)?;
        }
        if let Some(ro) = self.readonly.remove(ro_by_pad(pad))? {
            self.readonly
                .remove(pad_by_ro(&String::from_utf8_lossy(&ro)))?;
        }
        Ok(existed)
    }

    fn read_only_id(&self, pad: &str, candidate: &str) -> Result<String> {
        let key = ro_by_pad(pad);
        match self.readonly.compare_and_swap(
            &key,
            None as Option<&[u8]>,
            Some(candidate.as_bytes()),
        )? {
            Ok(()) => {
                self.readonly.insert(pad_by_ro(candidate), pad.as_bytes())?;
                Ok(candidate.to_owned())
            }
            Err(existing) => {
                let current = existing.current.unwrap_or_default();
                String::from_utf8(current.to_vec()).map_err(|_| corrupt(pad, "read-only id"))
            }
        }
    }

    fn copy(&self, from: &str, to: &str, time_ms: u64) -> Result<()> {
        Self::copy_prefixed(&self.log, from, to)?;
        Self::copy_prefixed(&self.checkpoints, from, to)?;
        Self::copy_prefixed(&self.history, from, to)?;
        Self::copy_prefixed(&self.saved, from, to)?;
        Self::copy_prefixed(&self.clients, from, to)?;
        self.create(to, time_ms)?;
        for author in self.authors_of_pad(from)? {
            self.index_authorship(to, &author)?;
        }
        if let Some((head, time_ms)) = self.head(to)? {
            self.record_changes(&[(to, head, time_ms)])?;
        }
        Ok(())
    }

    fn put_author(&self, author: &Author) -> Result<()> {
        let json = serde_json::to_vec(author).expect("an author serializes");
        self.authors.insert(author.id.as_bytes(), json)?;
        Ok(())
    }

    fn author(&self, id: &str) -> Result<Option<Author>> {
        match self.authors.get(id.as_bytes())? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| corrupt(id, &format!("author record: {e}"))),
        }
    }

    fn author_for_mapper(&self, mapper: &str, candidate: &Author) -> Result<Author> {
        let swap = self.mappers.compare_and_swap(
            mapper.as_bytes(),
            None as Option<&[u8]>,
            Some(candidate.id.as_bytes()),
        )?;
        match swap {
            Ok(()) => {
                self.put_author(candidate)?;
                Ok(candidate.clone())
            }
            Err(existing) => {
                let id =
                    String::from_utf8_lossy(&existing.current.unwrap_or_default()).into_owned();
                match self.author(&id)? {
                    Some(author) => Ok(author),
                    None => {
                        // The mapping outlived its author record; recreate it under the same id.
                        let author = Author {
                            id,
                            ..candidate.clone()
                        };
                        self.put_author(&author)?;
                        Ok(author)
                    }
                }
            }
        }
    }

    fn authors_of_pad(&self, pad: &str) -> Result<Vec<String>> {
        Self::suffixes(&self.pad_authors, &pad_prefix(pad))
    }

    fn pads_of_author(&self, author: &str) -> Result<Vec<String>> {
        Self::suffixes(&self.author_pads, &pad_prefix(author))
    }

    fn client_authors(&self, pad: &str) -> Result<Vec<(u64, String)>> {
        self.clients
            .scan_prefix(pad_prefix(pad))
            .map(|kv| {
                let (key, value) = kv?;
                let client = number_of(&key).ok_or_else(|| corrupt(pad, "client key"))?;
                Ok((client, String::from_utf8_lossy(&value).into_owned()))
            })
            .collect()
    }

    fn save_revision(&self, pad: &str, saved: &SavedRevision) -> Result<()> {
        Self::push_record(&self.saved, pad, saved)
    }

    fn saved_revisions(&self, pad: &str) -> Result<Vec<SavedRevision>> {
        Self::records(&self.saved, pad, "saved revision")
    }

    fn put_event(&self, event: &Event) -> Result<()> {
        let json = serde_json::to_vec(event).map_err(StoreError::backend)?;
        self.events.insert(event.id.as_bytes(), json)?;
        Ok(())
    }

    fn event(&self, id: &str) -> Result<Option<Event>> {
        Self::json_at(&self.events, id.as_bytes(), id, "event")
    }

    fn events(&self) -> Result<Vec<Event>> {
        self.events
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(|e| corrupt("events", &e.to_string())))
            .collect()
    }

    fn delete_event(&self, id: &str) -> Result<bool> {
        Ok(self.events.remove(id.as_bytes())?.is_some())
    }

    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<PadChange>> {
        let mut out = Vec::new();
        for kv in self.changes.range(cursor.saturating_add(1).to_be_bytes()..) {
            if out.len() >= limit {
                break;
            }
            let (key, value) = kv?;
            let seq = number_of(&key).ok_or_else(|| corrupt("?", "changes key"))?;
            let (Some(head), Some(time_ms), Some(pad)) = (
                number_of(value.get(..8).unwrap_or_default()),
                number_of(value.get(8..16).unwrap_or_default()),
                value.get(16..).and_then(|p| std::str::from_utf8(p).ok()),
            ) else {
                return Err(corrupt("?", "changes entry"));
            };
            // Between a pad's new entry and the removal of its old one, both are there.
            let live = self.change_of_pad.get(pad_prefix(pad))?;
            if live.as_deref() != Some(&seq.to_be_bytes()[..]) {
                continue;
            }
            out.push(PadChange {
                seq,
                pad: pad.to_owned(),
                head,
                time_ms,
            });
        }
        Ok(out)
    }

    fn put_pad_lock(&self, pad: &str, lock: &PadLock) -> Result<()> {
        Self::push_record(&self.locks, pad, lock)
    }

    fn pad_locks(&self, pad: &str) -> Result<Vec<PadLock>> {
        Self::records(&self.locks, pad, "lock")
    }

    fn put_group(&self, group: &Group) -> Result<()> {
        let json = serde_json::to_vec(group).map_err(StoreError::backend)?;
        self.groups.insert(group_key(&group.id), json)?;
        Ok(())
    }

    fn group(&self, id: &str) -> Result<Option<Group>> {
        Self::json_at(&self.groups, &group_key(id), id, "group")
    }

    fn group_for_mapper(&self, mapper: &str, candidate: &Group) -> Result<Group> {
        let key = [b"m".as_slice(), mapper.as_bytes()].concat();
        match self.groups.compare_and_swap(
            &key,
            None as Option<&[u8]>,
            Some(candidate.id.as_bytes()),
        )? {
            Ok(()) => {
                self.put_group(candidate)?;
                Ok(candidate.clone())
            }
            Err(current) => {
                let id = current
                    .current
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_default();
                self.group(&id)?
                    .ok_or_else(|| corrupt(mapper, "group mapping names no group"))
            }
        }
    }

    fn groups(&self) -> Result<Vec<Group>> {
        self.groups
            .scan_prefix(b"g")
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(|e| corrupt("groups", &e.to_string())))
            .collect()
    }

    fn delete_group(&self, id: &str) -> Result<bool> {
        let Some(group) = self.group(id)? else {
            return Ok(false);
        };
        if let Some(mapper) = &group.mapper {
            self.groups
                .remove([b"m".as_slice(), mapper.as_bytes()].concat())?;
        }
        self.groups.remove(group_key(id))?;
        for session in self.sessions()? {
            if session.group_id == id {
                self.sessions.remove(session.id.as_bytes())?;
            }
        }
        Ok(true)
    }

    fn put_session(&self, session: &GroupSession) -> Result<()> {
        let json = serde_json::to_vec(session).map_err(StoreError::backend)?;
        self.sessions.insert(session.id.as_bytes(), json)?;
        Ok(())
    }

    fn session(&self, id: &str) -> Result<Option<GroupSession>> {
        Self::json_at(&self.sessions, id.as_bytes(), id, "session")
    }

    fn delete_session(&self, id: &str) -> Result<bool> {
        Ok(self.sessions.remove(id.as_bytes())?.is_some())
    }

    fn sessions(&self) -> Result<Vec<GroupSession>> {
        self.sessions
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(|e| corrupt("sessions", &e.to_string())))
            .collect()
    }

    fn set_public(&self, pad: &str, public: bool) -> Result<()> {
        if public {
            self.public.insert(pad_prefix(pad), &[1u8][..])?;
        } else {
            self.public.remove(pad_prefix(pad))?;
        }
        Ok(())
    }

    fn is_public(&self, pad: &str) -> Result<bool> {
        Ok(self.public.contains_key(pad_prefix(pad))?)
    }

    fn pad_of_read_only_id(&self, read_only_id: &str) -> Result<Option<String>> {
        match self.readonly.get(pad_by_ro(read_only_id))? {
            None => Ok(None),
            Some(pad) => String::from_utf8(pad.to_vec())
                .map(Some)
                .map_err(|_| corrupt(read_only_id, "read-only mapping")),
        }
    }

    fn shared_setting(&self, _name: &str, _candidate: &str) -> Result<Option<String>> {
        // One node owns this store, and its settings stay in its data directory's files
        // (APIKEY.txt), where an operator may edit them as before.
        Ok(None)
    }

    fn existing_read_only_id(&self, pad: &str) -> Result<Option<String>> {
        match self.readonly.get(ro_by_pad(pad))? {
            None => Ok(None),
            Some(ro) => String::from_utf8(ro.to_vec())
                .map(Some)
                .map_err(|_| corrupt(pad, "read-only id")),
        }
    }

    fn authors(&self) -> Result<Vec<Author>> {
        self.authors
            .iter()
            .values()
            .map(|v| {
                serde_json::from_slice(&v?)
                    .map_err(|e| corrupt("?", &format!("author record: {e}")))
            })
            .collect()
    }

    fn author_mappers(&self) -> Result<Vec<(String, String)>> {
        self.mappers
            .iter()
            .map(|kv| {
                let (mapper, author) = kv?;
                Ok((
                    String::from_utf8_lossy(&mapper).into_owned(),
                    String::from_utf8_lossy(&author).into_owned(),
                ))
            })
            .collect()
    }
}

/// Groups under `g` + id, beside their mappings under `m` + mapper.
fn group_key(id: &str) -> Vec<u8> {
    [b"g".as_slice(), id.as_bytes()].concat()
}

fn ro_by_pad(pad: &str) -> Vec<u8> {
    [b"p".as_slice(), pad.as_bytes()].concat()
}

fn pad_by_ro(read_only_id: &str) -> Vec<u8> {
    [b"r".as_slice(), read_only_id.as_bytes()].concat()
}

fn encode_entry(e: &LogEntry) -> Vec<u8> {
    let author = e.author.as_deref().unwrap_or("").as_bytes();
    let author = &author[..author.len().min(u8::MAX as usize)];
    let mut v = Vec::with_capacity(10 + author.len() + e.update.len());
    v.push(ENTRY_VERSION);
    v.extend_from_slice(&e.time_ms.to_be_bytes());
    v.push(author.len() as u8);
    v.extend_from_slice(author);
    v.extend_from_slice(&e.update);
    v
}

fn decode_entry(pad: &str, rev: u64, v: &[u8]) -> Result<LogEntry> {
    let bad = || corrupt(pad, &format!("log entry of revision {rev}"));
    let (&version, rest) = v.split_first().ok_or_else(bad)?;
    if version != ENTRY_VERSION || rest.len() < 9 {
        return Err(bad());
    }
    let time_ms = u64::from_be_bytes(rest[..8].try_into().map_err(|_| bad())?);
    let author_len = rest[8] as usize;
    let author = rest.get(9..9 + author_len).ok_or_else(bad)?;
    let author = std::str::from_utf8(author).map_err(|_| bad())?;
    Ok(LogEntry {
        pad: pad.to_owned(),
        rev,
        time_ms,
        author: (!author.is_empty()).then(|| author.to_owned()),
        update: bytes::Bytes::copy_from_slice(&rest[9 + author_len..]),
        new_clients: Vec::new(),
    })
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::backend(e)
    }
}

fn corrupt(pad: &str, what: &str) -> StoreError {
    StoreError::Corrupt {
        pad: pad.to_owned(),
        what: what.to_owned(),
    }
}

// The behaviour every backend shares is tested in `tests/conformance.rs`, against each.
#[cfg(test)]
mod tests {
    use super::*;
    use ypad_core::PadDoc;

    #[test]
    fn corrupt_entry_is_reported_for_that_pad_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let update = PadDoc::with_client_id(7).set_text("g").unwrap();
        store
            .append(&[LogEntry {
                pad: "good".into(),
                rev: 1,
                time_ms: 1,
                author: None,
                update: update.into(),
                new_clients: Vec::new(),
            }])
            .unwrap();
        store.create("bad", 1).unwrap();
        store
            .log
            .insert(numbered_key("bad", 1), &[9u8, 9][..])
            .unwrap();
        assert!(matches!(store.load("bad"), Err(StoreError::Corrupt { .. })));
        assert!(store.load("good").unwrap().is_some());
    }
}
