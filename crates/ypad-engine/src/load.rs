//! Loading a pad: its document at the head revision, from its newest checkpoint and the log
//! after it. The one loader behind the registry, exports at the head and the command line.

use ypad_core::{ApplyError, PadDoc};
use ypad_store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("store failed: {0}")]
    Store(#[from] StoreError),
    #[error("stored history does not apply: {0}")]
    Corrupt(#[from] ApplyError),
    #[error("load task failed: {0}")]
    Task(String),
}

/// A pad's document at its head revision and that revision; an empty document at revision 0
/// for a pad never written. Blocking.
pub(crate) fn load_doc(store: &dyn Store, pad: &str) -> Result<(PadDoc, u64), LoadError> {
    load_doc_as(store, pad, ypad_core::doc::server_client_id())
}

/// [`load_doc`] for a document whose server-side edits carry `client_id`.
pub(crate) fn load_doc_as(
    store: &dyn Store,
    pad: &str,
    client_id: u64,
) -> Result<(PadDoc, u64), LoadError> {
    match store.load(pad)? {
        None => Ok((PadDoc::with_client_id(client_id), 0)),
        Some(stored) => Ok((
            PadDoc::from_updates_as(client_id, stored.updates())?,
            stored.meta.revisions,
        )),
    }
}
