//! The load generator: connects a scenario's typists, probes and readers to one server, runs
//! the phases (connect, warm-up, measured window, drain) and collects what happened.
//!
//! - A **typist** is a real yrs document that inserts one character at a random position per
//!   keystroke and applies what others type. Keystroke `k` of a typist is the item
//!   `(clientID, k)`, so its send instant is stored in that typist's slot `k` of a shared table.
//! - A **probe** is a real yrs document that applies every update it receives; the clocks by
//!   which its state vector advances are the keystrokes that just arrived, so their latency is
//!   now minus the stored send instant. At the end, whatever its state vector lacks is lost.
//! - A **reader** only counts update frames; it never decodes an update.
//!
//! Every connection is one task that owns its socket and returns its counters when it ends, so
//! the hot paths touch no shared state but the latency histogram (probes only).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use tokio::time::{Interval, MissedTickBehavior, interval_at, timeout};
use tokio_util::sync::CancellationToken;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, TextRef, Transact, Update};

use crate::procstat::{CpuSample, MachineCpu, Memory, Pid};
use crate::profile::PerfRecording;
use crate::scenario::Scenario;
use crate::wire::{Dialect, EMPTY_STATE_VECTOR, EMPTY_UPDATE, Incoming};
use crate::ws::{self, Endpoint, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, Reader, Writer};

/// The Y.Text every pad keeps its Markdown in.
const TEXT: &str = "text";
/// Client ids of probes start here; typists count up from 1.
const PROBE_CLIENT_BASE: u64 = 1 << 40;
/// Initial read buffer of a reader; it grows only for a large sync step 2.
const READER_BUFFER: usize = 2 * 1024;
/// Initial read buffer of a typist or probe, which see the same frames but decode them.
const DOC_BUFFER: usize = 16 * 1024;
/// How long one connection may take from its turn to connect until it is synced.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections per loopback source address (each address has its own ephemeral ports).
const CONNECTIONS_PER_SOURCE: usize = 4000;
/// A close frame is courtesy; a server that does not take it this fast just sees EOF.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(200);

/// How the generator addresses pads on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressing {
    /// The pad is the URL path after this prefix (`/ws/` for ypad, `/` for the others).
    Path(&'static str),
    /// Hocuspocus: one URL, the pad named inside every message.
    Hocuspocus,
}

impl Addressing {
    fn route(&self, pad: &str) -> (String, Dialect) {
        match self {
            Addressing::Path(prefix) => (format!("{prefix}{pad}"), Dialect::YWebsocket),
            Addressing::Hocuspocus => (
                "/".to_owned(),
                Dialect::Hocuspocus {
                    document: pad.to_owned(),
                },
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub scenario: Scenario,
    pub server: SocketAddr,
    pub addressing: Addressing,
    /// Typing before the measured window, so that caches, buffers and JITs are warm.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// After typing stops: time for every update still in flight to arrive.
    pub drain: Duration,
    /// Connections in the middle of their handshake at once.
    pub connect_concurrency: usize,
    /// Give up waiting for stragglers this long after connecting started.
    pub connect_deadline: Duration,
    /// Makes pad names unique per run and picks the loopback source addresses.
    pub run_id: u32,
    pub seed: u64,
    /// The server process, whose CPU and memory are sampled around the measured window.
    pub server_pid: Option<u32>,
    /// Record the server with `perf record` (DWARF call graphs) during the measured window into this file.
    pub perf_out: Option<std::path::PathBuf>,
    /// Spread the connections over several servers (a cluster's nodes) instead of `server`.
    pub placement: Option<Placement>,
}

/// Where each kind of connection goes in a cluster: the typists to one node (the pads'
/// owner), the probes and readers round-robin over others (relaying nodes).
#[derive(Debug, Clone)]
pub struct Placement {
    pub typists: SocketAddr,
    pub audience: Vec<SocketAddr>,
}

/// The name of a run's pad, so that a caller can place it before the run (claim it on a node).
pub fn pad_name(scenario: &Scenario, run_id: u32, index: usize) -> String {
    format!("bench-{}-r{run_id}-p{index}", scenario.name)
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub connections_requested: usize,
    pub connections_synced: usize,
    pub connect_failures: usize,
    /// The first few connection errors, for the notes.
    pub connect_errors: Vec<String>,
    /// From the first connection attempt until every connection was synced (or gave up).
    pub connect_time: Duration,
    /// Connections the server closed (or that broke) before the run ended.
    pub disconnects: u64,
    pub keystrokes_sent: u64,
    pub keystrokes_measured: u64,
    /// Update frames received by readers and probes during the measured window.
    pub delivered_measured: u64,
    pub measured: Duration,
    /// Probe × keystroke pairs: keystrokes of a probe's pad its document lacked at the end.
    pub lost: u64,
    /// Send-to-arrival latency of keystrokes sent in the measured window, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Share of one core, over the measured window.
    pub server_cpu: Option<f64>,
    pub server_memory: Option<Memory>,
    pub generator_cpu: f64,
    /// Busy cores of the whole machine over the measured window (every process).
    pub machine_busy: Option<f64>,
    /// How late a 10 ms timer in the generator fired during the measured window, in
    /// microseconds: a stalled generator (or a starved machine) shows here, not as server
    /// latency.
    pub generator_lag_us: Histogram<u64>,
}

impl LoadResult {
    pub fn delivered_per_second(&self) -> f64 {
        self.delivered_measured as f64 / self.measured.as_secs_f64().max(1e-9)
    }

    /// Server CPU microseconds per delivered update frame.
    pub fn server_cpu_us_per_delivery(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.delivered_measured > 0)
            .then(|| cpu * self.measured.as_secs_f64() * 1e6 / self.delivered_measured as f64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Phase {
    Connecting = 0,
    Warmup = 1,
    Measure = 2,
    Drain = 3,
}

/// State every connection task shares with the orchestrator.
struct Shared {
    /// Time zero for the send instants in the typists' tables.
    epoch: Instant,
    /// Read on every received frame (a relaxed load), written by the orchestrator only.
    phase: AtomicU8,
    /// The measured window in ns since `epoch`; a keystroke's latency counts if it was sent
    /// inside it. `u64::MAX` until known.
    window_start_ns: AtomicU64,
    window_end_ns: AtomicU64,
    /// Fired once everyone is connected: typists start.
    start_typing: CancellationToken,
    /// Fired at the end of the measured window: typists stop.
    stop_typing: CancellationToken,
    /// Fired after the drain: every task closes and returns its counters.
    stop: CancellationToken,
    /// Caps concurrent handshakes, so that 10,000 connections do not overflow the listen
    /// backlog and connect time measures the server rather than SYN retries.
    connecting: Semaphore,
    synced: AtomicUsize,
    failed: AtomicUsize,
    /// Probes record latencies here; a std mutex, held only to record one batch, never across
    /// an await. At most a few thousand records a second, so contention is negligible.
    latency_us: Mutex<Histogram<u64>>,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Connecting,
            1 => Phase::Warmup,
            2 => Phase::Measure,
            _ => Phase::Drain,
        }
    }

    fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    fn in_window(&self, sent_ns: u64) -> bool {
        sent_ns >= self.window_start_ns.load(Ordering::Relaxed)
            && sent_ns < self.window_end_ns.load(Ordering::Relaxed)
    }
}

/// One typist's keystrokes as the probes see them.
struct TypistLog {
    client: u64,
    /// Slot `k`: when keystroke `k` was handed to the socket (ns since epoch; 0 = not yet).
    sent_ns: Box<[AtomicU64]>,
    /// Keystrokes sent so far; the typist stops when the table is full.
    sent: AtomicU64,
}

#[derive(Debug, Default)]
struct ConnStats {
    synced: bool,
    error: Option<String>,
    disconnected: bool,
    delivered_measured: u64,
    keystrokes: u64,
    keystrokes_measured: u64,
    lost: u64,
}

enum Role {
    Reader,
    Probe {
        client: u64,
        typists: Arc<[Arc<TypistLog>]>,
    },
    Typist {
        log: Arc<TypistLog>,
        rate: f64,
        seed: u64,
    },
}

/// Runs one scenario against one server and returns what it measured.
pub async fn run(config: &LoadConfig) -> LoadResult {
    let scenario = config.scenario;
    let latency = Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds");
    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        phase: AtomicU8::new(Phase::Connecting as u8),
        window_start_ns: AtomicU64::new(u64::MAX),
        window_end_ns: AtomicU64::new(u64::MAX),
        start_typing: CancellationToken::new(),
        stop_typing: CancellationToken::new(),
        stop: CancellationToken::new(),
        connecting: Semaphore::new(config.connect_concurrency.max(1)),
        synced: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        latency_us: Mutex::new(latency),
    });
    // Enough slots for the whole typing time plus slack for timer jitter; a typist whose
    // table is full stops, which bounds both memory and the run.
    let typing = config.warmup + config.duration;
    let slots = (typing.as_secs_f64() * scenario.keystrokes_per_second * 1.2) as usize + 64;
    let sources = source_addresses(config.run_id, scenario.connections());

    let mut tasks = Vec::with_capacity(scenario.connections());
    let mut next_typist = 1u64;
    let mut next_probe = PROBE_CLIENT_BASE;
    for pad_index in 0..scenario.pads {
        let pad = pad_name(&scenario, config.run_id, pad_index);
        let (path, dialect) = config.addressing.route(&pad);
        let logs: Arc<[Arc<TypistLog>]> = (0..scenario.typists_per_pad)
            .map(|_| {
                let client = next_typist;
                next_typist += 1;
                Arc::new(TypistLog {
                    client,
                    sent_ns: (0..slots).map(|_| AtomicU64::new(0)).collect(),
                    sent: AtomicU64::new(0),
                })
            })
            .collect();
        // Probes first, so they are in the room before anyone types.
        let mut roles = Vec::with_capacity(scenario.connections_per_pad);
        for _ in 0..scenario.probes_per_pad {
            roles.push(Role::Probe {
                client: next_probe,
                typists: logs.clone(),
            });
            next_probe += 1;
        }
        for log in logs.iter() {
            roles.push(Role::Typist {
                log: log.clone(),
                rate: scenario.keystrokes_per_second,
                seed: config.seed ^ log.client.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            });
        }
        roles.extend((0..scenario.readers_per_pad()).map(|_| Role::Reader));
        for (i, role) in roles.into_iter().enumerate() {
            let server = match (&config.placement, &role) {
                (None, _) => config.server,
                (Some(p), Role::Typist { .. }) => p.typists,
                (Some(p), _) => p.audience[i % p.audience.len().max(1)],
            };
            let endpoint = Endpoint {
                server,
                source: Some(sources[tasks.len() % sources.len()]),
                path: path.clone(),
            };
            let shared = shared.clone();
            let dialect = dialect.clone();
            tasks.push(tokio::spawn(connection(shared, endpoint, dialect, role)));
        }
    }

    // Connect: wait until every connection is synced or has failed, within the deadline.
    let total = tasks.len();
    let deadline = Instant::now() + config.connect_deadline;
    loop {
        let done = shared.synced.load(Ordering::Acquire) + shared.failed.load(Ordering::Acquire);
        if done >= total || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_time = shared.epoch.elapsed();
    tracing::info!(
        synced = shared.synced.load(Ordering::Acquire),
        failed = shared.failed.load(Ordering::Acquire),
        total,
        secs = connect_time.as_secs_f64(),
        "connected"
    );

    shared.set_phase(Phase::Warmup);
    shared.start_typing.cancel();
    tokio::time::sleep(config.warmup).await;

    let server_pid = config.server_pid.map(Pid::Other);
    let server_before = server_pid.and_then(CpuSample::of);
    let me_before = CpuSample::of(Pid::Me);
    let machine_before = MachineCpu::sample();
    let lag = tokio::spawn(watch_lag(shared.stop_typing.clone()));
    shared
        .window_start_ns
        .store(shared.now_ns(), Ordering::Relaxed);
    shared.set_phase(Phase::Measure);
    let window_started = Instant::now();
    let perf = match (&config.perf_out, config.server_pid) {
        (Some(out), Some(pid)) => PerfRecording::start(pid, out, config.duration)
            .inspect_err(|why| tracing::warn!(%why, "not profiling"))
            .ok(),
        _ => None,
    };
    tokio::time::sleep(config.duration).await;
    shared.set_phase(Phase::Drain);
    shared
        .window_end_ns
        .store(shared.now_ns(), Ordering::Relaxed);
    let measured = window_started.elapsed();
    let server_after = server_pid.and_then(CpuSample::of);
    let me_after = CpuSample::of(Pid::Me);
    let machine_after = MachineCpu::sample();
    let server_memory = server_pid.and_then(Memory::of);
    shared.stop_typing.cancel();
    let generator_lag_us = lag.await.unwrap_or_else(|_| lag_histogram());
    tracing::info!("measured window over; draining");
    if let Some(perf) = perf {
        match tokio::task::spawn_blocking(move || perf.finish()).await {
            Ok(Ok(file)) => tracing::info!(file = %file.display(), "profile written"),
            Ok(Err(why)) => tracing::warn!(%why, "profile failed"),
            Err(e) => tracing::warn!(%e, "profile failed"),
        }
    }

    tokio::time::sleep(config.drain).await;
    shared.stop.cancel();

    let mut result = LoadResult {
        connections_requested: total,
        connections_synced: 0,
        connect_failures: 0,
        connect_errors: Vec::new(),
        connect_time,
        disconnects: 0,
        keystrokes_sent: 0,
        keystrokes_measured: 0,
        delivered_measured: 0,
        measured,
        lost: 0,
        latency_us: Histogram::new(3).expect("valid histogram"),
        server_cpu: match (server_before, server_after) {
            (Some(a), Some(b)) => Some(b.share_since(&a)),
            _ => None,
        },
        server_memory,
        generator_cpu: match (me_before, me_after) {
            (Some(a), Some(b)) => b.share_since(&a),
            _ => 0.0,
        },
        machine_busy: match (machine_before, machine_after) {
            (Some(a), Some(b)) => Some(b.cores_since(&a)),
            _ => None,
        },
        generator_lag_us,
    };
    // Every task ends within CLOSE_TIMEOUT of `stop` (one still handshaking gives up at once);
    // stragglers past one shared deadline are aborted rather than waited on.
    let give_up = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
    for task in tasks {
        let abort = task.abort_handle();
        let stats = match tokio::time::timeout_at(give_up, task).await {
            Ok(Ok(stats)) => stats,
            Ok(Err(join)) => ConnStats {
                error: Some(format!("task failed: {join}")),
                ..ConnStats::default()
            },
            Err(_) => {
                abort.abort();
                ConnStats {
                    error: Some("did not stop".into()),
                    ..ConnStats::default()
                }
            }
        };
        if stats.synced {
            result.connections_synced += 1;
        } else {
            result.connect_failures += 1;
        }
        if let Some(error) = stats.error
            && result.connect_errors.len() < 3
            && !result.connect_errors.contains(&error)
        {
            result.connect_errors.push(error);
        }
        result.disconnects += u64::from(stats.disconnected);
        result.delivered_measured += stats.delivered_measured;
        result.keystrokes_sent += stats.keystrokes;
        result.keystrokes_measured += stats.keystrokes_measured;
        result.lost += stats.lost;
    }
    result.latency_us = std::mem::replace(
        &mut *shared.latency_us.lock().unwrap_or_else(|e| e.into_inner()),
        Histogram::new(3).expect("valid histogram"),
    );
    result
}

fn lag_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 2).expect("valid histogram bounds")
}

/// Records how late a 10 ms sleep wakes up until `until` fires.
async fn watch_lag(until: CancellationToken) -> Histogram<u64> {
    const TICK: Duration = Duration::from_millis(10);
    let mut lag = lag_histogram();
    while !until.is_cancelled() {
        let asleep = Instant::now();
        tokio::select! {
            () = until.cancelled() => break,
            () = tokio::time::sleep(TICK) => {}
        }
        let late = asleep.elapsed().saturating_sub(TICK);
        lag.saturating_record((late.as_micros() as u64).max(1));
    }
    lag
}

/// Loopback source addresses for a run: a fresh `127.0.{run}.x` block per run, so that sockets
/// of an earlier run still in TIME_WAIT never collide with this run's ephemeral ports.
pub fn source_addresses(run_id: u32, connections: usize) -> Vec<IpAddr> {
    let block = (run_id % 250 + 1) as u8;
    let count = connections.div_ceil(CONNECTIONS_PER_SOURCE).clamp(1, 250) as u8;
    (1..=count)
        .map(|host| IpAddr::V4(Ipv4Addr::new(127, 0, block, host)))
        .collect()
}

/// A connection's whole life: wait for a turn, connect and sync, then play its role until
/// `stop`.
async fn connection(
    shared: Arc<Shared>,
    endpoint: Endpoint,
    dialect: Dialect,
    role: Role,
) -> ConnStats {
    let mut stats = ConnStats::default();
    let doc = match &role {
        Role::Reader => None,
        Role::Probe { client, .. } => Some(Doc::with_client_id(*client)),
        Role::Typist { log, .. } => Some(Doc::with_client_id(log.client)),
    };
    let handshake = async {
        let _turn = shared
            .connecting
            .acquire()
            .await
            .map_err(|e| e.to_string())?;
        timeout(HANDSHAKE_TIMEOUT, open(&endpoint, &dialect, doc.as_ref()))
            .await
            .map_err(|_| "handshake timed out".to_owned())?
    };
    let (reader, writer) = tokio::select! {
        () = shared.stop.cancelled() => {
            stats.error = Some("run ended before the handshake".into());
            shared.failed.fetch_add(1, Ordering::AcqRel);
            return stats;
        }
        opened = handshake => match opened {
            Ok(halves) => halves,
            Err(error) => {
                stats.error = Some(error);
                shared.failed.fetch_add(1, Ordering::AcqRel);
                return stats;
            }
        },
    };
    stats.synced = true;
    shared.synced.fetch_add(1, Ordering::AcqRel);
    let mut conn = Conn {
        shared: &shared,
        dialect: &dialect,
        reader,
        writer,
        out: Vec::with_capacity(128),
    };
    let outcome = match role {
        Role::Reader => conn.read_only(&mut stats).await,
        Role::Probe { typists, .. } => {
            let doc = doc.expect("probes have a document");
            conn.probe(&doc, &typists, &mut stats).await
        }
        Role::Typist { log, rate, seed } => {
            let doc = doc.expect("typists have a document");
            conn.type_along(&doc, &log, rate, seed, &mut stats).await
        }
    };
    match outcome {
        End::Stopped => {
            let _ = timeout(CLOSE_TIMEOUT, conn.writer.close()).await;
        }
        End::Lost(why) => {
            stats.disconnected = true;
            tracing::debug!(path = %endpoint.path, why, "connection lost");
        }
    }
    stats
}

/// Connects and completes the sync handshake: our step 1 out, the server's step 2 in (and the
/// server's step 1 answered). Returns once the connection is synced.
async fn open(
    endpoint: &Endpoint,
    dialect: &Dialect,
    doc: Option<&Doc>,
) -> Result<(Reader, Writer), String> {
    let capacity = if doc.is_some() {
        DOC_BUFFER
    } else {
        READER_BUFFER
    };
    let (mut reader, mut writer) = ws::connect(endpoint, capacity)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let sv = doc.map_or_else(
        || EMPTY_STATE_VECTOR.to_vec(),
        |d| d.transact().state_vector().encode_v1(),
    );
    for frame in dialect.hello(&sv) {
        writer
            .send_binary(&frame)
            .await
            .map_err(|e| format!("send hello: {e}"))?;
    }
    let mut out = Vec::new();
    loop {
        let frame = reader
            .next()
            .await
            .map_err(|e| format!("handshake read: {e}"))?
            .ok_or("closed during the handshake")?;
        match frame.opcode {
            OP_BINARY => {}
            OP_PING => {
                let payload = reader.payload(&frame).to_vec();
                writer
                    .send(OP_PONG, &payload)
                    .await
                    .map_err(|e| format!("pong: {e}"))?;
                continue;
            }
            OP_CLOSE => return Err("closed during the handshake".into()),
            _ => continue,
        }
        match dialect.classify(reader.payload(&frame)) {
            Incoming::Step1(sv) => {
                answer_step1(dialect, doc, sv, &mut out);
                writer
                    .send_binary(&out)
                    .await
                    .map_err(|e| format!("send step 2: {e}"))?;
            }
            Incoming::Step2(update) => {
                if let Some(doc) = doc {
                    apply(doc, update);
                }
                return Ok((reader, writer));
            }
            Incoming::Update(update) => {
                if let Some(doc) = doc {
                    apply(doc, update);
                }
            }
            Incoming::Other => {}
        }
    }
}

/// Step 2 for a server's step 1: the diff of our document, or an empty update for a reader.
fn answer_step1(dialect: &Dialect, doc: Option<&Doc>, sv: &[u8], out: &mut Vec<u8>) {
    let diff = doc.and_then(|d| {
        let sv = StateVector::decode_v1(sv).ok()?;
        Some(d.transact().encode_diff_v1(&sv))
    });
    dialect.step2(out, diff.as_deref().unwrap_or(EMPTY_UPDATE));
}

fn apply(doc: &Doc, update: &[u8]) {
    if let Ok(update) = Update::decode_v1(update) {
        let _ = doc.transact_mut().apply_update(update);
    }
}

enum End {
    /// The run ended.
    Stopped,
    /// The server closed the connection or it broke.
    Lost(&'static str),
}

/// A synced connection.
struct Conn<'a> {
    shared: &'a Shared,
    dialect: &'a Dialect,
    reader: Reader,
    writer: Writer,
    /// Reused for every outgoing message.
    out: Vec<u8>,
}

/// What the role-independent part of frame handling found.
enum Got<'f> {
    Update(&'f [u8]),
    Step2(&'f [u8]),
    Nothing,
}

impl Conn<'_> {
    /// Reads one frame and handles what every role handles alike: ping, close, step 1.
    async fn next(&mut self, doc: Option<&Doc>) -> Result<Got<'_>, End> {
        let frame = match self.reader.next().await {
            Ok(Some(frame)) => frame,
            Ok(None) => return Err(End::Lost("server closed the TCP stream")),
            Err(_) => return Err(End::Lost("read failed")),
        };
        match frame.opcode {
            OP_BINARY => {}
            OP_PING => {
                self.out.clear();
                self.out.extend_from_slice(self.reader.payload(&frame));
                let pong = std::mem::take(&mut self.out);
                let sent = self.writer.send(OP_PONG, &pong).await;
                self.out = pong;
                sent.map_err(|_| End::Lost("pong failed"))?;
                return Ok(Got::Nothing);
            }
            OP_CLOSE => return Err(End::Lost("server sent close")),
            _ => return Ok(Got::Nothing),
        }
        match self.dialect.classify(self.reader.payload(&frame)) {
            Incoming::Update(update) => Ok(Got::Update(update)),
            Incoming::Step2(update) => Ok(Got::Step2(update)),
            Incoming::Step1(sv) => {
                answer_step1(self.dialect, doc, sv, &mut self.out);
                self.writer
                    .send_binary(&self.out)
                    .await
                    .map_err(|_| End::Lost("write failed"))?;
                Ok(Got::Nothing)
            }
            Incoming::Other => Ok(Got::Nothing),
        }
    }

    async fn read_only(&mut self, stats: &mut ConnStats) -> End {
        let shared = self.shared;
        loop {
            tokio::select! {
                biased;
                () = shared.stop.cancelled() => return End::Stopped,
                got = self.next(None) => match got {
                    Ok(Got::Update(_)) => {
                        if shared.phase() == Phase::Measure {
                            stats.delivered_measured += 1;
                        }
                    }
                    Ok(_) => {}
                    Err(end) => return end,
                },
            }
        }
    }

    async fn probe(&mut self, doc: &Doc, typists: &[Arc<TypistLog>], stats: &mut ConnStats) -> End {
        let shared = self.shared;
        // Clock of each typist this probe's document has integrated so far.
        let mut seen: Vec<u32> = vec![0; typists.len()];
        let mut samples: Vec<u64> = Vec::with_capacity(16);
        let end = loop {
            tokio::select! {
                biased;
                () = shared.stop.cancelled() => break End::Stopped,
                got = self.next(Some(doc)) => {
                    let update = match got {
                        Ok(Got::Update(u)) => {
                            if shared.phase() == Phase::Measure {
                                stats.delivered_measured += 1;
                            }
                            u
                        }
                        Ok(Got::Step2(u)) => u,
                        Ok(Got::Nothing) => continue,
                        Err(end) => break end,
                    };
                    let arrived = shared.now_ns();
                    let Ok(update) = Update::decode_v1(update) else { continue };
                    let sv = {
                        let mut txn = doc.transact_mut();
                        if txn.apply_update(update).is_err() {
                            continue;
                        }
                        txn.state_vector()
                    };
                    samples.clear();
                    for (log, seen) in typists.iter().zip(seen.iter_mut()) {
                        let now = sv.get(&yrs::ClientID::new(log.client));
                        for clock in *seen..now {
                            let sent = log
                                .sent_ns
                                .get(clock as usize)
                                .map_or(0, |s| s.load(Ordering::Acquire));
                            if sent != 0 && shared.in_window(sent) {
                                samples.push(arrived.saturating_sub(sent) / 1000);
                            }
                        }
                        *seen = now.max(*seen);
                    }
                    if !samples.is_empty() {
                        let mut h = shared.latency_us.lock().unwrap_or_else(|e| e.into_inner());
                        for &us in &samples {
                            h.saturating_record(us.max(1));
                        }
                    }
                }
            }
        };
        stats.lost = typists
            .iter()
            .zip(&seen)
            .map(|(log, &seen)| {
                log.sent
                    .load(Ordering::Acquire)
                    .saturating_sub(u64::from(seen))
            })
            .sum();
        end
    }

    async fn type_along(
        &mut self,
        doc: &Doc,
        log: &TypistLog,
        rate: f64,
        seed: u64,
        stats: &mut ConnStats,
    ) -> End {
        let shared = self.shared;
        let text: TextRef = doc.get_or_insert_text(TEXT);
        let mut rng = SmallRng::seed_from_u64(seed);
        let period = Duration::from_secs_f64(1.0 / rate);
        let mut keys: Option<Interval> = None;
        let mut typing = true;
        let end = loop {
            tokio::select! {
                biased;
                () = shared.stop.cancelled() => break End::Stopped,
                () = shared.stop_typing.cancelled(), if typing => typing = false,
                // Each typist starts at a random point of its period, so keystrokes of
                // different typists do not arrive at the server in lockstep.
                () = shared.start_typing.cancelled(), if keys.is_none() => {
                    let offset = period.mul_f64(rng.random::<f64>());
                    let mut interval = interval_at(tokio::time::Instant::now() + offset, period);
                    // A missed keystroke is skipped, neither sent in a burst (which would
                    // distort latency) nor shifted (after a stall of the whole generator, every
                    // typist would then type in lockstep from then on).
                    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                    keys = Some(interval);
                }
                () = tick(&mut keys), if typing => {
                    let clock = log.sent.load(Ordering::Relaxed);
                    let Some(slot) = log.sent_ns.get(clock as usize) else {
                        typing = false;
                        continue;
                    };
                    let update = {
                        let mut txn = doc.transact_mut();
                        let at = rng.random_range(0..=text.len(&txn));
                        let letter = char::from(b'a' + rng.random_range(0..26u8));
                        text.insert(&mut txn, at, letter.encode_utf8(&mut [0; 4]));
                        txn.encode_update_v1()
                    };
                    self.dialect.update(&mut self.out, &update);
                    // Stored before the write, so no probe can see the update first.
                    slot.store(shared.now_ns(), Ordering::Release);
                    log.sent.store(clock + 1, Ordering::Release);
                    stats.keystrokes += 1;
                    if self.writer.send_binary(&self.out).await.is_err() {
                        break End::Lost("write failed");
                    }
                }
                got = self.next(Some(doc)) => match got {
                    Ok(Got::Update(u) | Got::Step2(u)) => apply(doc, u),
                    Ok(Got::Nothing) => {}
                    Err(end) => break end,
                },
            }
        };
        // Counted by send instant, exactly as the probes decide which latencies count.
        let sent = log.sent.load(Ordering::Acquire) as usize;
        stats.keystrokes_measured = log.sent_ns[..sent.min(log.sent_ns.len())]
            .iter()
            .filter(|t| shared.in_window(t.load(Ordering::Acquire)))
            .count() as u64;
        end
    }
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_blocks_differ_per_run_and_cover_the_connections() {
        let a = source_addresses(0, 10_000);
        let b = source_addresses(1, 10_000);
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|ip| !b.contains(ip)));
        assert!(a.iter().chain(&b).all(IpAddr::is_loopback));
        assert_eq!(source_addresses(7, 10).len(), 1);
    }
}

/// The generator against in-process servers: the relay and a real ypad over a temp-dir store.
#[cfg(test)]
mod end_to_end {
    use super::*;
    use crate::scenario::SMOKE;

    fn config(server: SocketAddr, addressing: Addressing) -> LoadConfig {
        LoadConfig {
            scenario: SMOKE,
            server,
            addressing,
            warmup: Duration::from_millis(300),
            duration: Duration::from_secs(1),
            drain: Duration::from_millis(500),
            connect_concurrency: 8,
            connect_deadline: Duration::from_secs(10),
            run_id: 200,
            seed: 7,
            server_pid: None,
            perf_out: None,
            placement: None,
        }
    }

    #[track_caller]
    fn check_clean(r: &LoadResult) {
        assert_eq!(r.connections_synced, SMOKE.connections(), "{r:?}");
        assert_eq!(r.disconnects, 0);
        assert_eq!(r.lost, 0);
        assert!(r.keystrokes_measured > 0);
        // Every measured keystroke reaches every reader and probe of its pad.
        let audience = (SMOKE.readers_per_pad() + SMOKE.probes_per_pad) as u64;
        assert!(r.delivered_measured >= r.keystrokes_measured * audience / 2);
        // Both probes of a pad time every keystroke of the window.
        assert_eq!(
            r.latency_us.len(),
            r.keystrokes_measured * SMOKE.probes_per_pad as u64
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn against_the_relay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let server = tokio::spawn(crate::relay::run(
            listener,
            crate::relay::RelayConfig::default(),
            stop.clone().cancelled_owned(),
        ));
        let result = run(&config(addr, Addressing::Path("/"))).await;
        stop.cancel();
        server.await.unwrap().unwrap();
        check_clean(&result);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn against_ypad() {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let server = tokio::spawn(ypad_server::run(
            listener,
            ypad_server::Config::new(dir.path()),
            stop.clone().cancelled_owned(),
        ));
        let result = run(&config(addr, Addressing::Path("/ws/"))).await;
        stop.cancel();
        server.await.unwrap().unwrap();
        check_clean(&result);
    }
}
