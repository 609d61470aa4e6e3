//! The compactor: a thread that extends a pad's positional history and CRDT checkpoint when the
//! persister says it passed another block's worth of revisions. It runs apart from the
//! persister so that replaying a block never delays a flush.

use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use ypad_store::Store;

use crate::history::HistoryIndex;

/// Starts the thread; it ends once every sender of the returned queue is gone and the queue is
/// drained.
pub(crate) fn start(
    store: Arc<dyn Store>,
    history: Arc<HistoryIndex>,
) -> (mpsc::Sender<String>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<String>();
    let thread = std::thread::Builder::new()
        .name("ypad-compact".into())
        .spawn(move || {
            while let Ok(pad) = rx.recv() {
                match history.advance(&*store, &pad) {
                    Ok(()) => tracing::debug!(pad = %pad, "history and checkpoint written"),
                    Err(err) => {
                        tracing::warn!(pad = %pad, cause = %err, "history and checkpoint failed")
                    }
                }
            }
        })
        .expect("spawn compactor thread");
    (tx, thread)
}
