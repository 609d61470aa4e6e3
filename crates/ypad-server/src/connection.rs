//! One WebSocket connection: greeting, then a loop over incoming frames, outbound frames and
//! the ping timer, in a single task so that a connection costs one task and one queue.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval_at};
use tracing::Instrument;
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
}

/// Runs one connection until either side closes it; every log line of it carries the pad and
/// the connection's number.
pub(crate) async fn serve(socket: WebSocket, pad: PadGuard, peer: Peer, state: AppState) {
    let span = tracing::info_span!("conn", pad = %pad.id, conn = tracing::field::Empty);
    run(socket, pad, peer, state, span.clone())
        .instrument(span)
        .await;
}

async fn run(socket: WebSocket, pad: PadGuard, peer: Peer, state: AppState, span: tracing::Span) {
    let _counted = state.count_connection();
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Bytes>(state.config.outbox_frames);
    let (outbox, dismissal) = Outbox::new(tx);
    let mut session = Session::new(peer.read_only);
    let (conn, greeting) = pad.join(&session, outbox, peer.author.clone());
    span.record("conn", conn);
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
        let session_ends = session_end(peer.session.as_ref());
        tokio::pin!(session_ends);
        let mut revoked = state.revoked.subscribe();
        loop {
            tokio::select! {
                // Shutdown and dismissal come first so a busy connection still stops promptly.
                biased;
                () = shutdown.cancelled() => break Some((CloseCode::GoingAway, "server shutting down")),
                why = dismissal.wait() => break Some(why),
                () = &mut session_ends => break Some((CloseCode::SessionEnded, "the session expired")),
                gone = revoked.recv(), if peer.session.is_some() => {
                    let ours = peer.session.as_ref().is_some_and(|s| match &gone {
                        Ok(id) => *id == s.id || *id == s.group_id,
                        // Missed some: check whether ours is still there.
                        Err(_) => true,
                    });
                    if ours && !session_alive(&state, peer.session.as_ref()).await {
                        break Some((CloseCode::SessionEnded, "the session was deleted"));
                    }
                }
                incoming = stream.next() => {
                    let message = match incoming {
                        None => break None,
                        Some(Ok(message)) => message,
                        Some(Err(err)) => {
                            if is_too_big(err) {
                                tracing::warn!("frame over the size limit; closing");
                                break Some((CloseCode::TooBig, "frame too large"));
                            }
                            break None;
                        }
                    };
                    last_heard = Instant::now();
                    if !budget.take(last_heard) {
                        tracing::warn!("frame rate over the limit; closing");
                        break Some((CloseCode::Policy, "too many messages"));
                    }
                    match message {
                        Message::Binary(frame) => match pad.receive(conn, &mut session, peer.author.as_ref(), &frame) {
                            Ok(replies) => {
                                if send_all(&mut sink, replies).await.is_err() {
                                    break None;
                                }
                            }
                            Err(err) => {
                                tracing::warn!(cause = %err, "frame refused; closing");
                                break Some((err.close_code(), refusal_reason(&err)));
                            }
                        },
                        Message::Text(_) => {
                            tracing::warn!("text frame; closing");
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
                        tracing::debug!("no pong; closing");
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

/// Resolves when the session's `validUntil` passes; never without a session.
async fn session_end(session: Option<&ypad_store::GroupSession>) {
    match session {
        None => std::future::pending().await,
        Some(session) => {
            let now = ypad_engine::wall_ms();
            let until = session.valid_until.saturating_mul(1000);
            tokio::time::sleep(std::time::Duration::from_millis(until.saturating_sub(now))).await;
        }
    }
}

/// Whether the session still exists (and so does its group).
async fn session_alive(state: &AppState, session: Option<&ypad_store::GroupSession>) -> bool {
    let Some(session) = session.cloned() else {
        return true;
    };
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
