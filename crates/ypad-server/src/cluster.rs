//! The cluster at the network edge: this node's identity, the links between nodes, and the
//! relay.
//!
//! A node that does not own a pad serves its browsers from a replica (see `ypad_engine`'s
//! `live`) and keeps one link per pad to the owner's `/ws/{pad}`: the y-websocket protocol
//! itself, as a client, with the cluster secret in a header. Down the link come the owner's
//! updates and awareness, fanned out to this node's connections; up it go their writes, each
//! with its author (ypad's authored update, accepted only on such a link), and their awareness.
//! So the owner sends each update once per node, not once per browser.
//!
//! The link ends when the owner goes away (its socket closes, or a periodic claim finds its
//! lease lapsed or the pad claimed by another); the relay then claims the pad itself (and the
//! replica becomes the owner in place) or links to the new owner, and both sides resync with
//! sync steps 1 and 2. Browsers on this node keep their sockets throughout.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};
use ypad_core::Session;
use ypad_engine::{LivePad, Located, RelayStarter};
use ypad_store::NodeInfo;

use crate::state::AppState;

/// The header a node's link carries the cluster secret in.
pub(crate) const SECRET_HEADER: &str = "x-ypad-cluster-secret";
/// The shared setting that keeps the cluster secret when none is configured.
pub(crate) const SECRET_SETTING: &str = "cluster_secret";

/// Waits between attempts to reach an owner: short, since an owner that just died is replaced
/// as soon as its lease lapses, and a node that left released its pads at once.
const RETRY_MIN: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_millis(400);
/// Frames written to the link before one flush.
const FRAMES_PER_FLUSH: usize = 256;

/// What the edge knows of the cluster.
#[derive(Clone)]
pub(crate) struct ClusterEdge {
    pub secret: Arc<str>,
    pub lease_ttl: Duration,
}

impl ClusterEdge {
    /// Whether a request carries the cluster secret (compared in constant time).
    pub(crate) fn authenticates(&self, headers: &axum::http::HeaderMap) -> bool {
        headers
            .get(SECRET_HEADER)
            .is_some_and(|v| bool::from(v.as_bytes().ct_eq(self.secret.as_bytes())))
    }
}

/// This node's id: new at every start, so a restarted node never mistakes an old claim for
/// its own.
pub(crate) fn new_node_id() -> String {
    format!("n-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// The relay the engine starts for each replica it loads.
pub(crate) fn relay_starter(state: AppState) -> RelayStarter {
    Box::new(move |pad: Arc<LivePad>| {
        let state = state.clone();
        tokio::spawn(async move {
            let closed = pad.closed();
            let shutdown = state.shutdown.clone();
            tokio::select! {
                () = relay(&state, &pad) => {}
                () = closed => {}
                () = shutdown.cancelled() => {}
            }
        });
    })
}

/// Keeps the replica linked to its owner until it is promoted or leaves memory.
async fn relay(state: &AppState, pad: &Arc<LivePad>) {
    let mut retry = RETRY_MIN;
    loop {
        if pad.is_owner() || pad.is_poisoned() {
            return;
        }
        match state.engine.locate(pad).await {
            Ok(Located::Mine) => return,
            Ok(Located::Theirs { owner, fence }) => match link(state, pad, &owner, fence).await {
                Ok(()) => {
                    retry = RETRY_MIN;
                    continue;
                }
                Err(err) => {
                    tracing::debug!(pad = %pad.id, owner = %owner.id, cause = %err, "cannot reach the pad's owner; retrying");
                }
            },
            Err(err) => {
                tracing::warn!(pad = %pad.id, cause = %err, "cannot locate the pad's owner; retrying");
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(RETRY_MAX);
    }
}

#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("bad owner address: {0}")]
    Address(String),
    #[error("no answer in time")]
    Timeout,
    #[error(transparent)]
    WebSocket(#[from] tungstenite::Error),
}

/// One link to the owner, from connecting until it ends. `Ok` when it ran (reconnect at once),
/// `Err` when it could not be made.
async fn link(
    state: &AppState,
    pad: &Arc<LivePad>,
    owner: &NodeInfo,
    fence: u64,
) -> Result<(), LinkError> {
    let Some(edge) = state.cluster.clone() else {
        return Ok(());
    };
    let base = owner
        .advertise_url
        .trim_end_matches('/')
        .replacen("http", "ws", 1);
    let mut request = format!("{base}/ws/{}", pad.id)
        .into_client_request()
        .map_err(|e| LinkError::Address(e.to_string()))?;
    request.headers_mut().insert(
        SECRET_HEADER,
        edge.secret
            .parse()
            .map_err(|_| LinkError::Address("the cluster secret is not a header value".into()))?,
    );
    // An owner that is paused accepts the connection but never answers it.
    let connect_timeout = edge.lease_ttl.min(Duration::from_secs(2));
    let (socket, _) = tokio::time::timeout(
        connect_timeout,
        tokio_tungstenite::connect_async_with_config(request, None, true),
    )
    .await
    .map_err(|_| LinkError::Timeout)??;
    tracing::debug!(pad = %pad.id, owner = %owner.id, fence, "linked to the pad's owner");
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    let mut session = Session::upstream();
    let greeting = pad.attach_upstream(&session, tx);
    let mut check = tokio::time::interval(edge.lease_ttl / 2);
    check.reset();
    let result: Result<(), LinkError> = async {
        for frame in greeting {
            sink.feed(Message::Binary(frame)).await?;
        }
        sink.flush().await?;
        loop {
            tokio::select! {
                incoming = stream.next() => {
                    let frame = match incoming {
                        Some(Ok(Message::Binary(frame))) => frame,
                        Some(Ok(Message::Close(_))) | None => return Ok(()),
                        Some(Ok(_)) => continue,
                        Some(Err(err)) => return Err(err.into()),
                    };
                    match pad.receive_upstream(&mut session, &frame) {
                        Ok(replies) => {
                            for reply in replies {
                                sink.feed(Message::Binary(reply)).await?;
                            }
                            sink.flush().await?;
                        }
                        Err(err) => {
                            tracing::warn!(pad = %pad.id, cause = %err, "the owner sent a frame this replica refused; relinking");
                            return Ok(());
                        }
                    }
                }
                Some(frame) = rx.recv() => {
                    sink.feed(Message::Binary(frame)).await?;
                    let mut n = 1;
                    while n < FRAMES_PER_FLUSH && let Ok(frame) = rx.try_recv() {
                        sink.feed(Message::Binary(frame)).await?;
                        n += 1;
                    }
                    sink.flush().await?;
                }
                _ = check.tick() => {
                    // A paused owner keeps its sockets open: ask the database who owns the pad.
                    match state.engine.locate(pad).await {
                        Ok(Located::Theirs { owner: now, fence: f }) if now.id == owner.id && f == fence => {}
                        Ok(_) => return Ok(()),
                        Err(err) => tracing::warn!(pad = %pad.id, cause = %err, "cannot check the pad's owner"),
                    }
                }
            }
        }
    }
    .await;
    pad.detach_upstream(&mut session);
    let _ = sink.close().await;
    result
}
