//! `GET /ws/{pad}`: validate the pad id, load the pad, then upgrade.
//!
//! Everything that can fail is checked before the upgrade, so a bad id is an HTTP 400 and a
//! pad that cannot load is an HTTP 500, not a socket that opens and dies.

use axum::extract::{Path, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use ypad_core::PadId;

use crate::access::Visitor;
use crate::error::HttpError;
use crate::state::AppState;
use crate::{cluster, connection};

/// Small buffers: most frames are keystrokes, and per-connection memory is what limits how
/// many connections a server holds. Larger frames still work; the buffers grow as needed.
const READ_BUFFER: usize = 4 * 1024;
const WRITE_BUFFER: usize = 8 * 1024;

pub(crate) async fn upgrade(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    if headers.contains_key(cluster::SECRET_HEADER) {
        return node_link(state, &raw, &headers, ws).await;
    }
    let opened = visitor.open(&state, &raw).await?;
    let pad_id = opened.id.clone();
    if state.connections() >= state.config.max_connections {
        return Err(HttpError::Busy(
            "the server has too many connections".into(),
        ));
    }
    if state.config.edit_only && state.engine.head(&pad_id).await?.is_none() {
        return Err(HttpError::Forbidden(
            "pads are made through the API on this server".into(),
        ));
    }
    let author = visitor.author(&state, &opened).await?;
    let pad = state.engine.checkout(&pad_id).await?;
    if pad.connections() >= state.config.max_connections_per_pad {
        return Err(HttpError::Busy(format!(
            "pad {pad_id} has too many connections"
        )));
    }
    let peer = connection::Peer {
        read_only: opened.read_only,
        author,
        session: opened.session,
        node_link: false,
    };
    let max = state.config.max_message_bytes;
    let tracker = state.tracker.clone();
    Ok(ws
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| tracker.track_future(connection::serve(socket, pad, peer, state)))
        .into_response())
}

/// Another node's link to a pad this node owns: authenticated by the cluster secret, it is
/// held to none of a browser's limits (it carries many browsers' writes), and refused when
/// this node does not own the pad (the other node then asks the database again).
async fn node_link(
    state: AppState,
    raw: &str,
    headers: &axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    if !state
        .cluster
        .as_ref()
        .is_some_and(|edge| edge.authenticates(headers))
    {
        return Err(HttpError::Forbidden("wrong cluster secret".into()));
    }
    let pad_id = PadId::parse(raw)?;
    let pad = state.engine.checkout(&pad_id).await?;
    if !pad.is_owner() {
        return Err(HttpError::Misdirected(format!(
            "this node does not own pad {pad_id}"
        )));
    }
    let peer = connection::Peer {
        read_only: false,
        author: None,
        session: None,
        node_link: true,
    };
    let tracker = state.tracker.clone();
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| tracker.track_future(connection::serve(socket, pad, peer, state)))
        .into_response())
}

/// A pad id from a URL, or a read-only id (`r.…`) resolved to its pad; `true` when read-only.
/// Every route that shows a pad (its socket, exports, history) takes read-only ids too.
pub(crate) async fn resolve(state: &AppState, raw: &str) -> Result<(PadId, bool), HttpError> {
    let id = PadId::parse(raw)?;
    if !id.is_read_only() {
        return Ok((id, false));
    }
    let ro = id.to_string();
    let pad = state
        .engine
        .blocking(move |s| s.pad_of_read_only_id(&ro))
        .await?
        .ok_or_else(|| HttpError::NotFound(format!("no pad has read-only id {id}")))?;
    Ok((PadId::parse(&pad)?, true))
}
