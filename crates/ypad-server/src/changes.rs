//! `GET /api/v1/changes`: the pads changed since a cursor, for scripts that archive
//! incrementally. The feed lives in the store (`Store::changes_since`), so every node of a
//! cluster serves the same one; a request with `timeout` waits for the next commit of any
//! node when nothing is new, instead of making the script poll.

use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use ypad_store::PadChange;

use crate::access::KeyHolder;
use crate::error::HttpError;
use crate::state::{AppState, Counted};

/// Pads in one answer unless `limit` says fewer.
const DEFAULT_LIMIT: usize = 100;
/// Most pads in one answer: a page stays small however far behind a script is.
const MAX_LIMIT: usize = 1000;
/// Longest wait a request may ask for; proxies commonly cut idle requests at a minute.
const MAX_WAIT: Duration = Duration::from_secs(55);

#[derive(Deserialize)]
pub(crate) struct ChangesQuery {
    /// The `next` of the previous answer; 0 (or none) for every pad's latest change.
    since: Option<u64>,
    limit: Option<usize>,
    /// Seconds to wait for a change when there is none yet (fractions allowed).
    timeout: Option<f64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Changes {
    /// Pads in the order of their newest change, each once, at its head.
    changes: Vec<PadChange>,
    /// The cursor to pass as `since` next time.
    next: u64,
}

pub(crate) async fn changes(
    _: KeyHolder,
    State(state): State<AppState>,
    Query(q): Query<ChangesQuery>,
) -> Result<Json<Changes>, HttpError> {
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let wait = match q.timeout {
        None => Duration::ZERO,
        Some(secs) => Duration::try_from_secs_f64(secs)
            .map_err(|_| HttpError::BadRequest(format!("timeout {secs} is not a duration")))?
            .min(MAX_WAIT),
    };
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribed before the first read: a commit landing between the read and the wait
    // still wakes it.
    let mut commits = state.engine.subscribe_commits();
    let mut elsewhere = state.engine.subscribe_feed_elsewhere();
    loop {
        let page = state
            .engine
            .blocking(move |store| store.changes_since(since, limit))
            .await?;
        if !page.is_empty() || tokio::time::Instant::now() >= deadline {
            let next = page.last().map_or(since, |c| c.seq);
            return Ok(Json(Changes {
                changes: page,
                next,
            }));
        }
        // This node's commits, or another node's (heard through the store); a lagging
        // receiver only means there is more to read.
        let _waiting = Counted::enter(&state.feed_waiting);
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            () = state.shutdown.cancelled() => return Ok(Json(Changes { changes: Vec::new(), next: since })),
            got = commits.recv() => if matches!(got, Err(RecvError::Closed)) {
                return Ok(Json(Changes { changes: Vec::new(), next: since }));
            },
            got = elsewhere.recv() => if matches!(got, Err(RecvError::Closed)) {
                return Ok(Json(Changes { changes: Vec::new(), next: since }));
            },
        }
    }
}
