//! Past revisions: the document at revision n is the newest checkpoint at or before n plus the
//! log entries after it, so rebuilding replays at most one checkpoint interval.

use ypad_core::{PadDoc, PadId};
use ypad_store::{LogEntry, Store, StoreError};

use crate::registry::LoadError;
use crate::state::AppState;

/// The pad's head revision: the live one if loaded (it may be ahead of the disk by one group
/// commit), else the stored one; `None` if the pad does not exist.
pub async fn head(state: &AppState, id: &PadId) -> Result<Option<u64>, StoreError> {
    let live = state.registry.peek(id).map(|p| p.head_rev());
    let key = id.to_string();
    let stored = state
        .blocking(move |store| store.meta(&key))
        .await?
        .map(|m| m.revisions);
    Ok(match (live, stored) {
        (Some(l), Some(s)) => Some(l.max(s)),
        (Some(l), None) if l > 0 => Some(l),
        (_, s) => s,
    })
}

/// The document as it was at `rev` (0 is the empty pad).
pub async fn doc_at(state: &AppState, id: &PadId, rev: u64) -> Result<PadDoc, LoadError> {
    // Revisions the live pad accepted may still be on their way to the disk.
    state.persister.barrier().await;
    let key = id.to_string();
    state
        .blocking(move |store| doc_at_in(store, &key, rev))
        .await
}

/// [`doc_at`] straight from a store (blocking).
pub fn doc_at_in(store: &dyn Store, pad: &str, rev: u64) -> Result<PadDoc, LoadError> {
    if rev == 0 {
        return Ok(PadDoc::new());
    }
    let checkpoint = store.checkpoint_at_or_before(pad, rev)?;
    let from = checkpoint.as_ref().map_or(1, |(r, _)| r + 1);
    let tail = store.log(pad, from, rev)?;
    let updates = checkpoint
        .iter()
        .map(|(_, state)| state.as_slice())
        .chain(tail.iter().map(|e| &e.update[..]));
    Ok(PadDoc::from_updates(updates)?)
}

/// Log entries `from..=to` (their times and authors).
pub async fn entries(
    state: &AppState,
    id: &PadId,
    from: u64,
    to: u64,
) -> Result<Vec<LogEntry>, StoreError> {
    state.persister.barrier().await;
    let key = id.to_string();
    state.blocking(move |store| store.log(&key, from, to)).await
}
