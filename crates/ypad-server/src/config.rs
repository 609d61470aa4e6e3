//! Server settings, each with its default, its flag and its environment variable in one place:
//! the binary parses them with clap, tests start from [`Config::new`] and change fields.

use std::path::PathBuf;
use std::time::Duration;

/// Where the store lives unless `--data-dir` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "./ypad-data";

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Directory of the embedded sled store (and of APIKEY.txt).
    #[arg(long, env = "YPAD_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Keep pads in this PostgreSQL database instead of the data directory
    /// (`postgres://user:password@host/db`): every node given the same URL shares the pads and
    /// the API key. The schema is created or upgraded at start.
    #[arg(long, env = "YPAD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Seconds a pad without connections stays in memory.
    #[arg(long = "idle-evict-secs", env = "YPAD_IDLE_EVICT_SECS", default_value = "60", value_parser = seconds)]
    pub idle_evict: Duration,
    /// Largest WebSocket message accepted, in bytes; larger ones close the connection (1009).
    #[arg(long, env = "YPAD_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Frames a connection may have waiting to be written; a reader that falls further behind
    /// is disconnected (1013) and resyncs on reconnect, so nothing is skipped.
    #[arg(long, env = "YPAD_OUTBOX_FRAMES", default_value_t = 4096)]
    pub outbox_frames: usize,
    /// Seconds between server pings.
    #[arg(long = "ping-every-secs", env = "YPAD_PING_EVERY_SECS", default_value = "30", value_parser = seconds)]
    pub ping_every: Duration,
    /// Seconds a connection may stay silent (no frame, no pong) before it is closed.
    #[arg(long = "idle-timeout-secs", env = "YPAD_IDLE_TIMEOUT_SECS", default_value = "75", value_parser = seconds)]
    pub idle_timeout: Duration,
    /// Seconds between sweeps that expire awareness states and evict idle pads.
    #[arg(long = "sweep-every-secs", env = "YPAD_SWEEP_EVERY_SECS", default_value = "5", value_parser = seconds)]
    pub sweep_every: Duration,
    /// Revisions per block of positional history; a pad's history and CRDT checkpoint are
    /// written every this many revisions.
    #[arg(long, env = "YPAD_HISTORY_BLOCK_LEN", default_value_t = ypad_engine::DEFAULT_HISTORY_BLOCK_LEN, value_parser = clap::value_parser!(u64).range(1..))]
    pub history_block_len: u64,
    /// Open WebSocket connections the server accepts; more get HTTP 503.
    #[arg(long, env = "YPAD_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,
    /// Open WebSocket connections one pad accepts; more get HTTP 503.
    #[arg(long, env = "YPAD_MAX_CONNECTIONS_PER_PAD", default_value_t = 5_000)]
    pub max_connections_per_pad: usize,
    /// Sustained messages per second one connection may send (bursts of 10× are allowed); a
    /// faster sender is closed (1008).
    #[arg(long, env = "YPAD_MAX_FRAMES_PER_SEC", default_value_t = 200)]
    pub max_frames_per_sec: u32,
    /// Largest pad, in characters (UTF-16 code units); an edit that could grow a pad past it
    /// is refused (1009).
    #[arg(long, env = "YPAD_MAX_PAD_CHARS", default_value_t = 8 * 1024 * 1024)]
    pub max_pad_chars: u64,
    /// Seconds an HTTP connection has to send a request's line and headers (from its opening,
    /// or from its previous response when kept alive) before it is closed: a client that
    /// trickles its headers cannot hold a connection forever.
    /// Addresses of reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are
    /// believed (comma-separated); from anyone else those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "YPAD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// Imports and exports one client address may make per minute (in bursts of as many);
    /// more get HTTP 429. Requests with the API key are not counted.
    #[arg(long, env = "YPAD_TRANSFERS_PER_MINUTE", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..))]
    pub transfers_per_minute: u32,
    /// Browsers open group pads only, each through a session of its group (Etherpad's
    /// `requireSession`); the API key still reaches everything.
    #[arg(long, env = "YPAD_REQUIRE_SESSION")]
    pub require_session: bool,
    /// Browsers may edit pads but not create them; only the API makes pads (Etherpad's
    /// `editOnly`).
    #[arg(long, env = "YPAD_EDIT_ONLY")]
    pub edit_only: bool,
    /// POST a signed `pad.changed` notice here when a pad changes (repeatable, or
    /// comma-separated in the variable); plain `http://` receivers only.
    #[arg(long = "webhook-url", env = "YPAD_WEBHOOK_URLS", value_delimiter = ',', value_parser = http_url)]
    pub webhook_url: Vec<String>,
    /// Key of the webhooks' HMAC-SHA256 signature (`X-Ypad-Signature: sha256=…`); the API key
    /// unless given.
    #[arg(long, env = "YPAD_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Seconds between a pad's webhook notices while it is being edited.
    #[arg(long = "webhook-every-secs", env = "YPAD_WEBHOOK_EVERY_SECS", default_value = "5", value_parser = positive_seconds)]
    pub webhook_every: Duration,
    /// Seconds a pad must be quiet before its last, `settled` notice.
    #[arg(long = "webhook-settle-secs", env = "YPAD_WEBHOOK_SETTLE_SECS", default_value = "2", value_parser = positive_seconds)]
    pub webhook_settle: Duration,
    #[arg(long = "header-read-timeout-secs", env = "YPAD_HEADER_READ_TIMEOUT_SECS", default_value = "10", value_parser = positive_seconds)]
    pub header_read_timeout: Duration,
    /// Cluster (with `--database-url`): milliseconds a node's lease lasts unless renewed. A
    /// node that stops renewing loses its pads to the others after this long.
    #[arg(long = "lease-ttl-ms", env = "YPAD_LEASE_TTL_MS", default_value = "5000", value_parser = milliseconds)]
    pub lease_ttl: Duration,
    /// Cluster: the address other nodes reach this one at (`http://host:port`); by default the
    /// address it listens on.
    #[arg(long, env = "YPAD_ADVERTISE_URL")]
    pub advertise_url: Option<String>,
    /// Cluster: the secret nodes authenticate their links to each other with; by default one
    /// made once and kept in the shared database, which every node reads.
    #[arg(long, env = "YPAD_CLUSTER_SECRET", hide_env_values = true)]
    pub cluster_secret: Option<String>,
}

/// Parses only the defaults (and the environment), as `ypad serve` with no flags would.
#[derive(clap::Parser)]
struct Defaults {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// The defaults, with the store in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        use clap::Parser;
        let mut config = match Defaults::try_parse_from(["ypad"]) {
            Ok(defaults) => defaults.config,
            // Only a malformed YPAD_* variable gets here; say which, as `ypad serve` would.
            Err(err) => err.exit(),
        };
        config.data_dir = data_dir.into();
        config
    }

    /// What the pad engine needs of these settings.
    pub(crate) fn engine(&self) -> ypad_engine::Settings {
        ypad_engine::Settings {
            history_block_len: self.history_block_len,
            idle_evict: self.idle_evict,
            max_pad_chars: self.max_pad_chars,
            cluster: None,
        }
    }
}

/// A duration in seconds; fractions allowed (`0.5`).
fn seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}

/// A webhook receiver's URL: `http://host…` (this build has no TLS client).
fn http_url(s: &str) -> Result<String, String> {
    match s.split_once("://") {
        Some(("http", rest)) if !rest.is_empty() => Ok(s.to_owned()),
        Some(("https", _)) => Err(format!(
            "{s}: https receivers are not supported; put the receiver behind an http address on a private network"
        )),
        _ => Err(format!("{s} is not an http:// URL")),
    }
}

/// A positive whole number of milliseconds.
fn milliseconds(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(format!("{s:?} is not a positive number of milliseconds")),
    }
}

fn positive_seconds(s: &str) -> Result<Duration, String> {
    let d = seconds(s)?;
    if d.is_zero() {
        return Err("must be more than 0 seconds".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_seconds_take_fractions() {
        let config = Config::new("/tmp/x");
        assert_eq!(config.idle_evict, Duration::from_secs(60));
        assert_eq!(
            config.history_block_len,
            ypad_engine::DEFAULT_HISTORY_BLOCK_LEN
        );
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
        assert!(seconds("-1").is_err());
        assert!(positive_seconds("0").is_err());
        assert!(http_url("http://127.0.0.1:9/hook").is_ok());
        assert!(http_url("https://example.org/hook").is_err());
        assert!(http_url("example.org").is_err());
        assert_eq!(config.lease_ttl, Duration::from_millis(5000));
        assert!(milliseconds("0").is_err());
    }
}
