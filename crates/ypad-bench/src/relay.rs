//! The bare relay: the hardware ceiling the servers are compared with.
//!
//! It runs on the same stack as ypad (axum 0.8 WebSockets on a multi-threaded tokio runtime,
//! one task and one bounded outbox per connection, the same buffer sizes and flush batching)
//! and forwards every binary frame of a room to the room's other connections. It keeps no
//! document and no store: a sync step 1 is answered with an empty step 2, so clients consider
//! themselves synced, and everything else is forwarded as is. What ypad costs above this relay
//! is the price of its CRDT, its store and its bookkeeping.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ws::{Message, WebSocket};
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc::{self, error::TrySendError};
use ypad_core::protocol::{self, Message as Y};

/// The same sizes as ypad's WebSocket route and connection loop, so that the comparison is
/// about what each does with a frame, not about buffering.
const READ_BUFFER: usize = 4 * 1024;
const WRITE_BUFFER: usize = 8 * 1024;
const OUTBOX_FRAMES: usize = 4096;
const FRAMES_PER_FLUSH: usize = 256;

#[derive(Debug, Clone, Copy, Default)]
pub struct RelayConfig {
    /// Set TCP_NODELAY on accepted sockets. Off by default because ypad's listener does not
    /// set it either; turn it on to see what Nagle's algorithm costs in latency.
    pub nodelay: bool,
}

type Outbox = mpsc::Sender<Bytes>;
/// Each room's connections, by connection id.
type RoomMap = HashMap<String, Vec<(u64, Outbox)>>;

#[derive(Clone, Default)]
struct Rooms {
    /// A std mutex: held only to clone the outbox list or to add/remove one, never across an
    /// await.
    inner: Arc<Mutex<RoomMap>>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

impl Rooms {
    fn join(&self, room: &str, outbox: Outbox) -> u64 {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut rooms = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        rooms.entry(room.to_owned()).or_default().push((id, outbox));
        id
    }

    fn leave(&self, room: &str, id: u64) {
        let mut rooms = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = rooms.get_mut(room) {
            conns.retain(|(c, _)| *c != id);
            if conns.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Queues the frame for every other connection of the room. Like ypad, a full outbox is
    /// not skipped: that connection's sender is dropped, which ends it.
    fn forward(&self, room: &str, from: u64, frame: &Bytes) {
        let mut rooms = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = rooms.get_mut(room) {
            conns.retain(|(id, outbox)| {
                *id == from
                    || match outbox.try_send(frame.clone()) {
                        Ok(()) => true,
                        Err(TrySendError::Full(_) | TrySendError::Closed(_)) => false,
                    }
            });
        }
    }
}

pub fn app() -> Router {
    Router::new()
        .route("/{*room}", get(upgrade))
        .with_state(Rooms::default())
}

async fn upgrade(
    State(rooms): State<Rooms>,
    Path(room): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| serve(socket, room, rooms))
}

async fn serve(socket: WebSocket, room: String, rooms: Rooms) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Bytes>(OUTBOX_FRAMES);
    let id = rooms.join(&room, tx);
    let synced = protocol::encode_sync_step2(&[0, 0]);
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let frame = match incoming {
                    Some(Ok(Message::Binary(frame))) => frame,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => continue,
                };
                if let Ok(Y::SyncStep1(_)) = protocol::decode(&frame) {
                    if sink.send(Message::Binary(synced.clone())).await.is_err() {
                        break;
                    }
                } else {
                    rooms.forward(&room, id, &frame);
                }
            }
            frame = rx.recv() => {
                // `None`: the outbox overflowed and the room dropped our sender.
                let Some(frame) = frame else { break };
                if sink.feed(Message::Binary(frame)).await.is_err() {
                    break;
                }
                let mut batched = 1;
                while batched < FRAMES_PER_FLUSH {
                    let Ok(frame) = rx.try_recv() else { break };
                    if sink.feed(Message::Binary(frame)).await.is_err() {
                        break;
                    }
                    batched += 1;
                }
                if sink.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    rooms.leave(&room, id);
}

/// Serves the relay on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let nodelay = config.nodelay;
    let listener = listener.tap_io(move |tcp| {
        if nodelay {
            let _ = tcp.set_nodelay(true);
        }
    });
    axum::serve(listener, app())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `addr` (loopback only) and serves until Ctrl-C or SIGTERM.
pub async fn serve_forever(addr: SocketAddr, config: RelayConfig) -> Result<(), String> {
    if !addr.ip().is_loopback() {
        return Err(format!("the relay listens on loopback only, not {addr}"));
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    // The bench waits for this line (and scripts can read the port from it).
    println!("relay listening on ws://{local}/");
    run(listener, config, crate::shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
