//! One WebSocket connection: greeting, then a loop over incoming frames, outbound frames and
//! the ping timer, in a single task so that a connection costs one task and one queue.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval_at};
use ypad_core::protocol::CloseCode;
use ypad_core::{Session, SessionError};
use ypad_engine::{Outbox, PadGuard};

use crate::state::AppState;

/// Outbound frames written before one flush, so a burst costs few syscalls yet a flood from
/// the queue cannot starve reading.
const FRAMES_PER_FLUSH: usize = 256;

/// Who is on the other end of a connection.
pub(crate) struct Peer {
    pub read_only: bool,
    /// The author this connection writes as, when the browser has an identity.
    pub author: Option<Arc<str>>,
    /// The group session that let it in: the connection closes when it expires or is deleted.
    pub session: Option<ypad_store::GroupSession>,
    /// Another node of the cluster relaying its browsers: it names each write's author, and a
    /// browser's limits (frame rate, outbox size) do not apply to it.
    pub node_link: bool,
}

/// A node link's outbox: in effect unbounded, since cutting it would cut every browser behind
/// it; the owner's memory is bounded by the nodes, not their browsers.
const NODE_LINK_OUTBOX: usize = 1 << 20;

/// Runs one connection until either side closes it. Its log lines share one span naming the pad
/// and the connection's number; the span is their parent rather than entered around every poll,
/// which a busy connection would pay for on each frame.
pub(crate) async fn serve(socket: WebSocket, pad: PadGuard, peer: Peer, state: AppState) {
    let _counted = state.count_connection();
    let (mut sink, mut stream) = socket.split();
    let outbox_frames = if peer.node_link {
        NODE_LINK_OUTBOX
    } else {
        state.config.outbox_frames
    };
    let (tx, mut rx) = mpsc::channel::<Bytes>(outbox_frames);
    let (outbox, dismissal) = Outbox::new(tx);
    let mut session = if peer.node_link {
        Session::node_link()
    } else {
        Session::new(peer.read_only)
    };
    let (conn, greeting) = pad.join(&session, outbox, peer.author.clone());
    let span = tracing::info_span!("conn", pad = %pad.id, conn);
    let shutdown = state.shutdown.clone();
    let config = &state.config;

    let close: Option<(CloseCode, &'static str)> = 'conn: {
        for frame in greeting {
            if sink.feed(Message::Binary(frame)).await.is_err() {
                break 'conn None;
            }
        }
        if sink.flush().await.is_err() {
            break 'conn None;
        }
        let mut ping = interval_at(Instant::now() + config.ping_every, config.ping_every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let mut budget = RateLimit::new(config.max_frames_per_sec);
        // Boxed, and only for a session connection: every connection's task would otherwise
        // carry the timer and the subscription in its own state.
        let mut session_over: std::pin::Pin<Box<dyn Future<Output = &'static str> + Send + '_>> =
            match &peer.session {
                Some(s) => Box::pin(session_over(&state, s)),
                None => Box::pin(std::future::pending()),
            };
        loop {
            tokio::select! {
                // Shutdown and dismissal come first so a busy connection still stops promptly.
                biased;
                () = shutdown.cancelled() => break Some((CloseCode::GoingAway, "server shutting down")),
                why = dismissal.wait() => break Some(why),
                why = &mut session_over => break Some((CloseCode::SessionEnded, why)),
                incoming = stream.next() => {
                    let message = match incoming {
                        None => break None,
                        Some(Ok(message)) => message,
                        Some(Err(err)) => {
                            if is_too_big(err) {
                                tracing::warn!(parent: &span, "frame over the size limit; closing");
                                break Some((CloseCode::TooBig, "frame too large"));
                            }
                            break None;
                        }
                    };
                    last_heard = Instant::now();
                    if !peer.node_link && !budget.take(last_heard) {
                        tracing::warn!(parent: &span, "frame rate over the limit; closing");
                        break Some((CloseCode::Policy, "too many messages"));
                    }
                    match message {
                        Message::Binary(frame) => match pad.receive(conn, &mut session, peer.author.as_ref(), &frame) {
                            Ok(replies) => {
                                if send_all(&mut sink, replies).await.is_err() {
                                    break None;
                                }
                            }
                            // A node resends what it holds after a failover; a write that
                            // does not integrate here reaches the pad with its sync step 2.
                            Err(ypad_core::SessionError::Update(ypad_core::ApplyError::Rejected(why))) if peer.node_link => {
                                tracing::debug!(parent: &span, cause = %why, "a relayed write did not integrate; its sync brings it");
                            }
                            Err(err) => {
                                tracing::warn!(parent: &span, cause = %err, "frame refused; closing");
                                break Some((err.close_code(), refusal_reason(&err)));
                            }
                        },
                        Message::Text(_) => {
                            tracing::warn!(parent: &span, "text frame; closing");
                            break Some((CloseCode::Unsupported, "text frames are not part of the protocol"));
                        }
                        Message::Close(_) => break None,
                        Message::Ping(_) | Message::Pong(_) => {}
                    }
                }
                Some(frame) = rx.recv() => {
                    let mut batch = Vec::with_capacity(8);
                    batch.push(frame);
                    while batch.len() < FRAMES_PER_FLUSH {
                        match rx.try_recv() {
                            Ok(frame) => batch.push(frame),
                            Err(_) => break,
                        }
                    }
                    if send_all(&mut sink, batch).await.is_err() {
                        break None;
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > config.idle_timeout {
                        tracing::debug!(parent: &span, "no pong; closing");
                        break Some((CloseCode::GoingAway, "no pong"));
                    }
                    if sink.send(Message::Ping(Bytes::new())).await.is_err() {
                        break None;
                    }
                }
            }
        }
    };
    pad.leave(conn, &mut session);
    drop(pad);
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code: code.code(),
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
}

/// Resolves, saying why, when the group session that let the connection in expires or is
/// deleted (with its group).
async fn session_over(state: &AppState, session: &ypad_store::GroupSession) -> &'static str {
    let mut revoked = state.revoked.subscribe();
    let until_ms = session.valid_until.saturating_mul(1000);
    let expiry = tokio::time::sleep(std::time::Duration::from_millis(
        until_ms.saturating_sub(ypad_engine::wall_ms()),
    ));
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = &mut expiry => return "the session expired",
            gone = revoked.recv() => {
                let ours = match &gone {
                    Ok(id) => *id == session.id || *id == session.group_id,
                    // Missed some: check whether ours is still there.
                    Err(_) => true,
                };
                if ours && !session_alive(state, session).await {
                    return "the session was deleted";
                }
            }
        }
    }
}

/// Whether the session still exists (and so does its group).
async fn session_alive(state: &AppState, session: &ypad_store::GroupSession) -> bool {
    let session = session.clone();
    state
        .engine
        .blocking(move |s| -> Result<bool, ypad_store::StoreError> {
            Ok(s.session(&session.id)?.is_some() && s.group(&session.group_id)?.is_some())
        })
        .await
        .unwrap_or(false)
}

/// The close frame's reason: short, and the same for every refusal of one kind.
fn refusal_reason(err: &SessionError) -> &'static str {
    match err {
        SessionError::Malformed(_) | SessionError::Update(_) => "malformed frame",
        SessionError::PadFull => "pad is full",
        SessionError::StoreUnavailable => "storage unavailable",
    }
}

/// A token bucket over incoming frames: `rate` a second, bursts of ten seconds' worth.
struct RateLimit {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        RateLimit {
            rate,
            burst: rate * 10.0,
            tokens: rate * 10.0,
            at: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn send_all<S>(sink: &mut S, frames: Vec<Bytes>) -> Result<(), S::Error>
where
    S: futures_util::Sink<Message> + Unpin,
{
    if frames.is_empty() {
        return Ok(());
    }
    for frame in frames {
        sink.feed(Message::Binary(frame)).await?;
    }
    sink.flush().await
}

fn is_too_big(err: axum::Error) -> bool {
    err.into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)))
}
