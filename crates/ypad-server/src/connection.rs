//! One WebSocket connection: greeting, then a loop over incoming frames, outbound frames and
//! the ping timer, in a single task so that a connection costs one task and one queue.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval_at};
use tokio_util::sync::CancellationToken;
use ypad_core::Session;

use crate::live::Outbox;
use crate::registry::PadGuard;
use crate::state::AppState;

/// Outbound frames written before one flush, so a burst costs few syscalls yet a flood from
/// the queue cannot starve reading.
const FRAMES_PER_FLUSH: usize = 256;

pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_POLICY: u16 = 1008;
pub const CLOSE_UNSUPPORTED: u16 = 1003;
pub const CLOSE_TOO_BIG: u16 = 1009;
pub const CLOSE_INTERNAL: u16 = 1011;
pub const CLOSE_TRY_LATER: u16 = 1013;

/// Who is on the other end of a connection.
pub struct Peer {
    pub read_only: bool,
    /// The author this connection writes as, when the browser has an identity.
    pub author: Option<Arc<str>>,
}

pub async fn serve(socket: WebSocket, pad: PadGuard, peer: Peer, state: AppState) {
    let _counted = state.count_connection();
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Bytes>(state.config.outbox_frames);
    let kill = CancellationToken::new();
    let mut session = Session::new(peer.read_only);
    let (conn, greeting) = pad.join(
        &session,
        Outbox {
            frames: tx,
            kill: kill.clone(),
        },
    );
    let shutdown = state.shutdown.clone();
    let config = &state.config;

    let close: Option<(u16, &'static str)> = 'conn: {
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
        loop {
            tokio::select! {
                // Shutdown and kill come first so a busy connection still stops promptly.
                biased;
                () = shutdown.cancelled() => break Some((CLOSE_GOING_AWAY, "server shutting down")),
                () = kill.cancelled() => {
                    if pad.is_poisoned() {
                        break Some((CLOSE_INTERNAL, "pad is being reloaded"));
                    }
                    break Some((CLOSE_TRY_LATER, "too slow: outbound queue overflowed"));
                }
                incoming = stream.next() => {
                    let message = match incoming {
                        None => break None,
                        Some(Ok(message)) => message,
                        Some(Err(err)) => {
                            if is_too_big(err) {
                                tracing::warn!(pad = %pad.id, conn, "frame over the size limit; closing");
                                break Some((CLOSE_TOO_BIG, "frame too large"));
                            }
                            break None;
                        }
                    };
                    last_heard = Instant::now();
                    if !budget.take(last_heard) {
                        tracing::warn!(pad = %pad.id, conn, "frame rate over the limit; closing");
                        break Some((CLOSE_POLICY, "too many messages"));
                    }
                    if let Message::Binary(frame) = &message
                        && is_write(frame)
                    {
                        if !state.persister.is_healthy() {
                            tracing::warn!(pad = %pad.id, conn, "storage unavailable; refusing a write");
                            break Some((CLOSE_TRY_LATER, "storage unavailable"));
                        }
                        if pad.text_len() + frame.len() as u64 > config.max_pad_chars {
                            tracing::warn!(pad = %pad.id, conn, "pad size limit reached; refusing a write");
                            break Some((CLOSE_TOO_BIG, "pad is full"));
                        }
                    }
                    match message {
                        Message::Binary(frame) => match pad.receive(conn, &mut session, peer.author.as_ref(), &frame) {
                            Ok(replies) => {
                                if send_all(&mut sink, replies).await.is_err() {
                                    break None;
                                }
                            }
                            Err(err) => {
                                tracing::warn!(pad = %pad.id, conn, cause = %err, "bad frame; closing");
                                break Some((err.close_code(), "malformed frame"));
                            }
                        },
                        Message::Text(_) => {
                            tracing::warn!(pad = %pad.id, conn, "text frame; closing");
                            break Some((CLOSE_UNSUPPORTED, "text frames are not part of the protocol"));
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
                        tracing::debug!(pad = %pad.id, conn, "no pong; closing");
                        break Some((CLOSE_GOING_AWAY, "no pong"));
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
            code,
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
}

/// A sync step 2 or update: a frame that writes to the pad.
fn is_write(frame: &[u8]) -> bool {
    frame.len() >= 2 && frame[0] == 0 && (frame[1] == 1 || frame[1] == 2)
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
