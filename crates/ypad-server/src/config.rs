//! Server settings. The binary fills them from flags and environment variables; tests build
//! them directly.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the sled store lives.
    pub data_dir: PathBuf,
    /// A pad with no connection for this long is flushed and dropped from memory.
    pub idle_evict: Duration,
    /// Frames larger than this close their connection with 1009.
    pub max_message_bytes: usize,
    /// Frames a connection may have waiting to be written before it is considered too slow
    /// and disconnected (it reconnects and resyncs; nothing is skipped).
    pub outbox_frames: usize,
    /// Time between server pings.
    pub ping_every: Duration,
    /// A connection from which nothing arrived for this long is closed.
    pub idle_timeout: Duration,
    /// How often awareness expiry and idle eviction run.
    pub sweep_every: Duration,
    /// Revisions per block of positional history; a pad's history and checkpoint are extended
    /// after this many revisions.
    pub checkpoint_every: u64,
    /// Open WebSocket connections the server accepts; more get HTTP 503.
    pub max_connections: usize,
    /// Open connections one pad accepts; more get HTTP 503.
    pub max_connections_per_pad: usize,
    /// Sustained frames per second one connection may send (with a burst of ten times as
    /// many); a faster sender is closed with 1008.
    pub max_frames_per_sec: u32,
    /// Largest pad text, in UTF-16 code units; an update that could grow a pad past it is
    /// refused and its connection closed with 1009.
    pub max_pad_chars: u64,
    /// An HTTP connection must deliver a request's line and headers within this long of being
    /// opened (or of its previous response, when kept alive), or it is closed: a client that
    /// trickles its headers cannot hold a connection forever.
    pub header_read_timeout: Duration,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            idle_evict: Duration::from_secs(60),
            max_message_bytes: 16 * 1024 * 1024,
            outbox_frames: 4096,
            ping_every: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            sweep_every: Duration::from_secs(5),
            checkpoint_every: crate::history::DEFAULT_BLOCK_LEN,
            max_connections: 20_000,
            max_connections_per_pad: 5_000,
            max_frames_per_sec: 200,
            max_pad_chars: 8 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}
