//! `ypad-bench cluster`: ypad as a cluster of three nodes on one PostgreSQL database.
//!
//! **Fan-out.** One pad, owned by one node (a holder connection claims it there first); its
//! typists on the owner, its readers and probes spread over the two other nodes, which relay
//! the pad over one link each. The owner's CPU per keystroke is measured with few readers and
//! with many: since the owner sends each update once per relaying node, not once per reader,
//! the two should be close. The probes time each keystroke from its typist to a relay's reader.
//!
//! **Failover.** A typist on one relaying node types steadily, a probe on the other watches;
//! the owner is killed (`SIGKILL`) and the time until a keystroke typed after the kill reaches
//! the probe (a new owner accepted it and both relays follow it) is measured, then every
//! keystroke the typist made must reach the probe: none lost.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact, Update};

use crate::load::{self, Addressing, LoadConfig, Placement};
use crate::procstat::Machine;
use crate::scenario::Scenario;
use crate::targets::{self, Paths, ServerProcess, StartOptions, Target};
use crate::wire::{Dialect, EMPTY_STATE_VECTOR, Incoming};
use crate::ws::{self, Endpoint, OP_BINARY, OP_PING, OP_PONG, Reader, Writer};

/// The failover's typist types this often.
const TYPE_EVERY: Duration = Duration::from_millis(20);
/// How long typing goes on before the kill, and after the pad moved.
const TYPE_AROUND_KILL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct ClusterConfig {
    pub paths: Paths,
    /// Reader counts to compare (the first is the baseline).
    pub readers: Vec<usize>,
    pub typists: usize,
    pub keystrokes_per_second: f64,
    pub warmup: Duration,
    pub duration: Duration,
    pub drain: Duration,
    pub connect_concurrency: usize,
    pub connect_deadline: Duration,
    pub failover_runs: usize,
    pub lease_ttl_ms: u64,
    pub seed: u64,
    /// BENCHMARKS.md to update; `None` prints only.
    pub out: Option<PathBuf>,
    pub command: String,
}

/// One fan-out run's figures.
struct FanOut {
    readers: usize,
    owner_cpu_us_per_keystroke: Option<f64>,
    p50_ms: f64,
    p99_ms: f64,
    lost: u64,
    disconnects: u64,
    synced: usize,
    requested: usize,
}

/// One failover's figures.
struct Failover {
    to_first_edit: Duration,
    lost: u64,
}

pub async fn run(config: &ClusterConfig) -> Result<(), String> {
    // Every run makes its own database on the server the test command starts.
    if std::env::var_os(ypad_store::pg_testing::URL_VAR).is_none() {
        return Err(format!(
            "{} is not set: run `just bench-cluster`, which starts a private PostgreSQL",
            ypad_store::pg_testing::URL_VAR
        ));
    }
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    targets::prepare(Target::Ypad, &config.paths)?;
    let scratch = tempfile::Builder::new()
        .prefix("ypad-bench-cluster-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let mut fan_outs = Vec::new();
    for (i, readers) in config.readers.iter().enumerate() {
        fan_outs.push(fan_out(config, scratch.path(), *readers, 200 + i as u32).await?);
    }
    let mut failovers = Vec::new();
    for i in 0..config.failover_runs {
        let run = failover(config, scratch.path(), i).await?;
        tracing::info!(
            run = i,
            ms = run.to_first_edit.as_millis() as u64,
            lost = run.lost,
            "failover"
        );
        failovers.push(run);
    }
    let text = report(config, &fan_outs, &failovers);
    println!("{text}");
    if let Some(out) = &config.out {
        let old = std::fs::read_to_string(out).unwrap_or_default();
        std::fs::write(out, replace_cluster_section(&old, &text))
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

/// Three nodes on a fresh database of `config`'s server.
fn start_nodes(config: &ClusterConfig, scratch: &Path) -> Result<Vec<ServerProcess>, String> {
    let url = ypad_store::pg_testing::fresh_database();
    let options = StartOptions {
        ypad_args: vec![
            "--database-url".into(),
            url,
            "--lease-ttl-ms".into(),
            config.lease_ttl_ms.to_string(),
        ],
        ..StartOptions::default()
    };
    (0..3)
        .map(|_| targets::start(Target::Ypad, &config.paths, scratch, &options))
        .collect()
}

async fn fan_out(
    config: &ClusterConfig,
    scratch: &Path,
    readers: usize,
    run_id: u32,
) -> Result<FanOut, String> {
    let nodes = start_nodes(config, scratch)?;
    let (owner, relays) = (&nodes[0], &nodes[1..]);
    let scenario = Scenario {
        name: "cluster",
        pads: 1,
        connections_per_pad: config.typists + 2 + readers,
        typists_per_pad: config.typists,
        keystrokes_per_second: config.keystrokes_per_second,
        probes_per_pad: 2,
        story: "one pad: typists on its owner, readers on two relaying nodes",
    };
    // The holder claims the pad on the owner before anyone else opens it.
    let pad = load::pad_name(&scenario, run_id, 0);
    let holder = Client::connect(owner.addr, &pad, u64::MAX >> 12).await?;
    tracing::info!(readers, pad, "fan-out run");
    let result = load::run(&LoadConfig {
        scenario,
        server: owner.addr,
        addressing: Addressing::Path("/ws/"),
        warmup: config.warmup,
        duration: config.duration,
        drain: config.drain,
        connect_concurrency: config.connect_concurrency,
        connect_deadline: config.connect_deadline,
        run_id,
        seed: config.seed,
        server_pid: Some(owner.pid),
        perf_out: None,
        placement: Some(Placement {
            typists: owner.addr,
            audience: relays.iter().map(|r| r.addr).collect(),
        }),
    })
    .await;
    drop(holder);
    let ms = |q: f64| result.latency_us.value_at_quantile(q) as f64 / 1000.0;
    Ok(FanOut {
        readers,
        owner_cpu_us_per_keystroke: result.server_cpu.and_then(|cpu| {
            (result.keystrokes_measured > 0).then(|| {
                cpu * result.measured.as_secs_f64() * 1e6 / result.keystrokes_measured as f64
            })
        }),
        p50_ms: ms(0.5),
        p99_ms: ms(0.99),
        lost: result.lost,
        disconnects: result.disconnects,
        synced: result.connections_synced,
        requested: result.connections_requested,
    })
}

async fn failover(config: &ClusterConfig, scratch: &Path, run: usize) -> Result<Failover, String> {
    let mut nodes = start_nodes(config, scratch)?;
    let pad = format!("failover-{run}");
    let holder = Client::connect(nodes[0].addr, &pad, 3).await?;
    let typist = Client::connect(nodes[1].addr, &pad, 1).await?;
    let probe = Client::connect(nodes[2].addr, &pad, 2).await?;
    let seen = probe.watch(1);
    let sent = Arc::new(AtomicU64::new(0));
    let stop = CancellationToken::new();
    let typing = tokio::spawn(typist.type_until(sent.clone(), stop.clone()));
    tokio::time::sleep(TYPE_AROUND_KILL).await;
    let before = sent.load(Ordering::Acquire);
    wait_for(&seen, before, Duration::from_secs(10))
        .await
        .ok_or("the probe never saw the typist before the kill")?;

    let killed = Instant::now();
    drop(nodes.remove(0));
    drop(holder);
    let typed_before_kill = sent.load(Ordering::Acquire);
    let limit = Duration::from_millis(config.lease_ttl_ms) + Duration::from_secs(20);
    wait_for(&seen, typed_before_kill + 1, limit)
        .await
        .ok_or("no edit was accepted again after the kill")?;
    let to_first_edit = killed.elapsed();
    tokio::time::sleep(TYPE_AROUND_KILL).await;
    stop.cancel();
    let typed = typing.await.map_err(|e| e.to_string())??;
    let got = wait_for(&seen, typed, Duration::from_secs(10))
        .await
        .unwrap_or_else(|| seen.load(Ordering::Acquire));
    Ok(Failover {
        to_first_edit,
        lost: typed.saturating_sub(got),
    })
}

/// Waits until `seen` reaches `at_least`; returns it, or `None` after `limit`.
async fn wait_for(seen: &AtomicU64, at_least: u64, limit: Duration) -> Option<u64> {
    let deadline = Instant::now() + limit;
    loop {
        let now = seen.load(Ordering::Acquire);
        if now >= at_least {
            return Some(now);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A y-websocket client with a real document: the failover's typist, probe and holder.
struct Client {
    doc: Doc,
    reader: Reader,
    writer: Writer,
}

impl Client {
    /// Connects and syncs (its sync step 2 arrived).
    async fn connect(server: SocketAddr, pad: &str, client_id: u64) -> Result<Client, String> {
        let endpoint = Endpoint {
            server,
            source: None,
            path: format!("/ws/{pad}"),
        };
        let (reader, mut writer) = ws::connect(&endpoint, 4096)
            .await
            .map_err(|e| format!("cannot connect to {server}: {e}"))?;
        for frame in Dialect::YWebsocket.hello(EMPTY_STATE_VECTOR) {
            writer
                .send_binary(&frame)
                .await
                .map_err(|e| e.to_string())?;
        }
        let mut client = Client {
            doc: Doc::with_client_id(client_id),
            reader,
            writer,
        };
        let synced = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(kind) = client.pump().await? {
                if kind == Pumped::Synced {
                    return Ok(());
                }
            }
            Err("closed before syncing".to_owned())
        })
        .await;
        synced.map_err(|_| format!("no sync from {server}"))??;
        Ok(client)
    }

    /// Reads one frame and acts on it as a stock client does.
    async fn pump(&mut self) -> Result<Option<Pumped>, String> {
        let Some(frame) = self.reader.next().await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let payload = self.reader.payload(&frame).to_vec();
        match frame.opcode {
            OP_PING => {
                let _ = self.writer.send(OP_PONG, &payload).await;
                return Ok(Some(Pumped::Other));
            }
            OP_BINARY => {}
            _ => return Ok(Some(Pumped::Other)),
        }
        let dialect = Dialect::YWebsocket;
        Ok(Some(match dialect.classify(&payload) {
            Incoming::Step1(sv) => {
                let sv = StateVector::decode_v1(sv).map_err(|e| e.to_string())?;
                let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                let mut out = Vec::new();
                dialect.step2(&mut out, &diff);
                self.writer
                    .send_binary(&out)
                    .await
                    .map_err(|e| e.to_string())?;
                Pumped::Other
            }
            Incoming::Step2(update) => {
                self.apply(update)?;
                Pumped::Synced
            }
            Incoming::Update(update) => {
                self.apply(update)?;
                Pumped::Other
            }
            Incoming::Other => Pumped::Other,
        }))
    }

    fn apply(&mut self, update: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(update).map_err(|e| e.to_string())?;
        self.doc
            .transact_mut()
            .apply_update(update)
            .map_err(|e| e.to_string())
    }

    /// Keeps reading; `seen` follows how much of `client`'s content this document holds.
    fn watch(mut self, client: u64) -> Arc<AtomicU64> {
        let seen = Arc::new(AtomicU64::new(0));
        let out = seen.clone();
        tokio::spawn(async move {
            while let Ok(Some(_)) = self.pump().await {
                let clock = self
                    .doc
                    .transact()
                    .state_vector()
                    .get(&yrs::block::ClientID::new(client));
                out.store(u64::from(clock), Ordering::Release);
            }
        });
        seen
    }

    /// Types one character every [`TYPE_EVERY`] until `stop`, answering the server meanwhile;
    /// returns how many it typed.
    async fn type_until(
        mut self,
        sent: Arc<AtomicU64>,
        stop: CancellationToken,
    ) -> Result<u64, String> {
        let text = self.doc.get_or_insert_text(ypad_core::doc::TEXT_NAME);
        let mut tick = tokio::time::interval(TYPE_EVERY);
        let mut typed = 0;
        loop {
            tokio::select! {
                () = stop.cancelled() => return Ok(typed),
                _ = tick.tick() => {
                    let update = {
                        let mut txn = self.doc.transact_mut();
                        text.insert(&mut txn, 0, "k");
                        txn.encode_update_v1()
                    };
                    typed += 1;
                    sent.store(typed, Ordering::Release);
                    let mut out = Vec::new();
                    Dialect::YWebsocket.update(&mut out, &update);
                    // The typist's node survives the kill: its socket stays open.
                    self.writer.send_binary(&out).await.map_err(|e| e.to_string())?;
                }
                pumped = self.pump() => {
                    if pumped?.is_none() {
                        return Err("the typist's node closed its socket".into());
                    }
                }
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Pumped {
    Synced,
    Other,
}

fn report(config: &ClusterConfig, fan_outs: &[FanOut], failovers: &[Failover]) -> String {
    let machine = Machine::detect();
    let mut text = format!(
        "## Cluster\n\nThree ypad nodes on one PostgreSQL database (the test command's private \
         server, a unix socket, fsync off), on {}; `{}`, {}. One pad: {} typists × {} \
         keystrokes/s on its owner, 2 probes and the readers spread over the two relaying \
         nodes. The owner's CPU per keystroke should barely grow with the readers (target: \
         at most 1.5× from the first row to the last), since it sends each update once per \
         relaying node.\n\n\
         | readers | connected | owner CPU µs / keystroke | × first row | p50 via relay (ms) | p99 via relay (ms) | lost | disconnects |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
        machine.describe(),
        config.command,
        crate::report::utc_now(),
        config.typists,
        config.keystrokes_per_second,
    );
    let base = fan_outs.first().and_then(|f| f.owner_cpu_us_per_keystroke);
    for f in fan_outs {
        let cpu = f
            .owner_cpu_us_per_keystroke
            .map_or("n/a".into(), |c| format!("{c:.0}"));
        let ratio = match (f.owner_cpu_us_per_keystroke, base) {
            (Some(c), Some(b)) if b > 0.0 => format!("{:.2}", c / b),
            _ => "n/a".into(),
        };
        text.push_str(&format!(
            "| {} | {}/{} | {cpu} | {ratio} | {:.1} | {:.1} | {} | {} |\n",
            f.readers, f.synced, f.requested, f.p50_ms, f.p99_ms, f.lost, f.disconnects
        ));
    }
    let mut times: Vec<Duration> = failovers.iter().map(|f| f.to_first_edit).collect();
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let worst = times.last().copied().unwrap_or_default();
    let lost: u64 = failovers.iter().map(|f| f.lost).sum();
    text.push_str(&format!(
        "\nFailover, {} runs with `--lease-ttl-ms {}` (target: at most the TTL + 1 s, nothing \
         lost): from `kill -9` of the owner to the first keystroke typed after it reaching a \
         reader on another node, median {} ms, worst {} ms; keystrokes lost: {lost}.\n",
        failovers.len(),
        config.lease_ttl_ms,
        median.as_millis(),
        worst.as_millis(),
    ));
    text
}

/// `doc` with its `## Cluster` section replaced by `section` (or `section` appended).
fn replace_cluster_section(doc: &str, section: &str) -> String {
    match doc.find("## Cluster\n") {
        Some(at) => {
            let rest = &doc[at + 1..];
            let end = rest.find("\n## ").map_or(doc.len(), |e| at + 1 + e + 1);
            format!("{}{}{}", &doc[..at], section, &doc[end..])
        }
        None => format!("{}\n\n{section}", doc.trim_end()),
    }
}
