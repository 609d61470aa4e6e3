//! Past revisions: the text at any revision with who wrote each part, fast at any history size.
//!
//! The store keeps the pad's history twice: the log of CRDT updates (the record, never
//! rewritten) and, derived from it, blocks of positional history (`ypad_core::history`). Each
//! block holds the rendered text at its first revision and the deltas of up to `block_len`
//! revisions after it, so revision n is one read and at most `block_len` small splices.
//!
//! [`HistoryIndex::advance`] extends the blocks; the compactor calls it every `block_len`
//! revisions of a pad, and a request for a revision newer than the stored blocks calls it
//! first. It replays the log on a [`Recorder`], a document kept per pad in a small
//! least-recently-used set, and writes the pad's CRDT checkpoint alongside each block.

use std::sync::{Arc, Mutex, MutexGuard};

use ypad_core::ApplyError;
use ypad_core::history::{Block, BlockError, Recorder, Rendered, fingerprint};
use ypad_store::{LogEntry, Store, StoreError};

/// Why a past revision could not be read or the history not be extended.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("store failed: {0}")]
    Store(#[from] StoreError),
    #[error("a stored revision does not apply: {0}")]
    Update(#[from] ApplyError),
    #[error("a history block is malformed: {0}")]
    Block(#[from] BlockError),
    #[error("no history of pad {pad} covers revision {rev}")]
    Missing { pad: String, rev: u64 },
    #[error("history task failed: {0}")]
    Task(String),
}

/// How many pads keep their recorder in memory between uses.
const RECORDERS_KEPT: usize = 8;

/// Where the positional history of a pad stands in memory: the recorder at the newest replayed
/// revision and the block not yet stored.
struct Recording {
    recorder: Recorder,
    pending: Block,
    /// The text at `pending.end()`.
    current: Rendered,
    /// Fingerprint of the log entry at `pending.end()` (none at revision 0): a pad deleted and
    /// written again under the same name no longer matches it.
    seen: Option<u64>,
}

type Slot = Arc<Mutex<Option<Recording>>>;

pub struct HistoryIndex {
    block_len: u64,
    /// Most recently used last.
    slots: Mutex<Vec<(String, Slot)>>,
}

impl HistoryIndex {
    pub fn new(block_len: u64) -> Self {
        HistoryIndex {
            block_len: block_len.max(1),
            slots: Mutex::new(Vec::new()),
        }
    }

    /// The text at `rev` with its authors (Yjs client ids). Blocking.
    pub fn render(&self, store: &dyn Store, pad: &str, rev: u64) -> Result<Rendered, HistoryError> {
        if rev == 0 {
            return Ok(Rendered::new());
        }
        if let Some(block) = self.stored_block(store, pad, rev)?
            && block.end() >= rev
        {
            return Ok(block.render(rev)?);
        }
        let slot = self.slot(pad);
        let mut recording = lock(&slot);
        let recording = self.advance_locked(store, pad, &mut recording, Some(rev))?;
        if rev < recording.pending.start || rev > recording.pending.end() {
            return Err(HistoryError::Missing {
                pad: pad.to_owned(),
                rev,
            });
        }
        Ok(recording.pending.render(rev)?)
    }

    /// Replays the pad's stored revisions not yet in its history and stores full blocks.
    /// Blocking.
    pub fn advance(&self, store: &dyn Store, pad: &str) -> Result<(), HistoryError> {
        let slot = self.slot(pad);
        let mut recording = lock(&slot);
        self.advance_locked(store, pad, &mut recording, None)?;
        Ok(())
    }

    /// Drops what is held for a pad about to be deleted or replaced; waits for an advance in
    /// progress so that it cannot store a block after the pad is gone.
    pub fn forget(&self, pad: &str) {
        let slot = {
            let mut slots = lock(&self.slots);
            let at = slots.iter().position(|(p, _)| p == pad);
            at.map(|i| slots.remove(i).1)
        };
        if let Some(slot) = slot {
            *lock(&slot) = None;
        }
    }

    fn slot(&self, pad: &str) -> Slot {
        let mut slots = lock(&self.slots);
        let slot = match slots.iter().position(|(p, _)| p == pad) {
            Some(i) => slots.remove(i).1,
            None => Arc::default(),
        };
        slots.push((pad.to_owned(), slot.clone()));
        if slots.len() > RECORDERS_KEPT {
            slots.remove(0);
        }
        slot
    }

    /// The stored block covering `rev`'s start, if it belongs to the pad's current history.
    fn stored_block(
        &self,
        store: &dyn Store,
        pad: &str,
        rev: u64,
    ) -> Result<Option<Block>, HistoryError> {
        let Some((_, bytes)) = store.history_block_at_or_before(pad, rev)? else {
            return Ok(None);
        };
        let Ok(block) = Block::decode(&bytes) else {
            tracing::warn!(pad, rev, "history block does not decode; rebuilding it");
            return Ok(None);
        };
        let current = logged(store, pad, block.end())? == Some(block.fingerprint);
        Ok(current.then_some(block))
    }

    fn advance_locked<'a>(
        &self,
        store: &dyn Store,
        pad: &str,
        recording: &'a mut Option<Recording>,
        until: Option<u64>,
    ) -> Result<&'a Recording, HistoryError> {
        if let Some(r) = recording.as_ref()
            && !self.follows_log(store, pad, r)?
        {
            *recording = None;
        }
        let recording = match recording {
            Some(r) => r,
            None => recording.insert(self.start_recording(store, pad)?),
        };
        let from = recording.pending.end() + 1;
        let to = until.unwrap_or(u64::MAX);
        if from > to {
            return Ok(recording);
        }
        let entries = store.log(pad, from, to)?;
        let mut last: Option<&LogEntry> = None;
        for entry in &entries {
            let delta = recording.recorder.apply(&entry.update)?;
            recording.current.apply(&delta)?;
            recording.pending.deltas.push(delta);
            recording.seen = Some(entry_fingerprint(entry));
            last = Some(entry);
            if recording.pending.deltas.len() as u64 >= self.block_len {
                self.store_block(store, pad, recording, entry)?;
            }
        }
        if until.is_none()
            && let Some(entry) = last
            && !recording.pending.deltas.is_empty()
        {
            self.store_block(store, pad, recording, entry)?;
        }
        Ok(recording)
    }

    /// Whether the log still holds, at the recording's end, the revision it recorded there.
    fn follows_log(
        &self,
        store: &dyn Store,
        pad: &str,
        recording: &Recording,
    ) -> Result<bool, HistoryError> {
        Ok(logged(store, pad, recording.pending.end())? == recording.seen)
    }

    /// Stores the pending block (ending at `last`) and the checkpoint at its end, then starts
    /// the next block there.
    fn store_block(
        &self,
        store: &dyn Store,
        pad: &str,
        recording: &mut Recording,
        last: &LogEntry,
    ) -> Result<(), HistoryError> {
        recording.pending.fingerprint = entry_fingerprint(last);
        // The block first: should the checkpoint not follow, the older one still replays here.
        store.put_history_block(pad, recording.pending.start, &recording.pending.encode())?;
        store.put_checkpoint(pad, last.rev, &recording.recorder.encode_state())?;
        recording.pending = Block {
            start: last.rev,
            fingerprint: 0,
            keyframe: recording.current.clone(),
            deltas: Vec::new(),
        };
        Ok(())
    }

    /// A recording at the end of the newest stored block (or at the empty pad).
    fn start_recording(&self, store: &dyn Store, pad: &str) -> Result<Recording, HistoryError> {
        let newest = self.stored_block(store, pad, u64::MAX)?;
        let (at, current, seen) = match &newest {
            Some(block) => (
                block.end(),
                block.render(block.end())?,
                Some(block.fingerprint),
            ),
            None => (0, Rendered::new(), None),
        };
        let checkpoint = store.checkpoint_at_or_before(pad, at)?;
        let from = checkpoint.as_ref().map_or(1, |(rev, _)| rev + 1);
        let tail = store.log(pad, from, at)?;
        let recorder = Recorder::from_updates(
            checkpoint
                .iter()
                .map(|(_, state)| state.as_slice())
                .chain(tail.iter().map(|e| &e.update[..])),
        )?;
        Ok(Recording {
            recorder,
            pending: Block {
                start: at,
                fingerprint: 0,
                keyframe: current.clone(),
                deltas: Vec::new(),
            },
            current,
            seen,
        })
    }
}

/// Fingerprint of the log's entry at `rev`; none at revision 0 or past the head.
fn logged(store: &dyn Store, pad: &str, rev: u64) -> Result<Option<u64>, HistoryError> {
    Ok(store.log(pad, rev, rev)?.first().map(entry_fingerprint))
}

fn entry_fingerprint(entry: &LogEntry) -> u64 {
    fingerprint(entry.time_ms, &entry.update)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ypad_core::PadDoc;
    use ypad_store::SledStore;

    fn write(store: &SledStore, pad: &str, client: u64, text: &str, time_ms: u64) {
        let mut doc = PadDoc::with_client_id(client);
        let entries: Vec<LogEntry> = text
            .chars()
            .enumerate()
            .map(|(i, c)| LogEntry {
                pad: pad.into(),
                rev: i as u64 + 1,
                time_ms: time_ms + i as u64,
                author: None,
                update: doc.insert(i as u32, &c.to_string()).unwrap().into(),
                new_clients: Vec::new(),
            })
            .collect();
        store.append(&entries).unwrap();
    }

    #[test]
    fn a_recording_of_a_pad_written_again_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let history = HistoryIndex::new(4);
        write(&store, "p", 1, "abcdefghij", 1000);
        assert_eq!(
            history.render(&store, "p", 10).unwrap().text(),
            "abcdefghij"
        );
        // Deleted and written again behind the index's back, as a compaction racing a delete
        // would leave it.
        store.delete("p").unwrap();
        write(&store, "p", 2, "uvwxyz0123456", 5000);
        for rev in [3, 10, 13] {
            let expected: String = "uvwxyz0123456".chars().take(rev).collect();
            let rendered = history.render(&store, "p", rev as u64).unwrap();
            assert_eq!(rendered.text(), expected, "revision {rev}");
            assert!(rendered.spans().iter().all(|s| s.client == 2));
        }
    }
}
