//! The `ypad-bench` binary: `ypad-bench SCENARIO` runs the comparison and updates
//! BENCHMARKS.md; `ypad-bench relay --listen ADDR` is the bare relay the bench starts as one of
//! its targets.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use ypad_bench::bench::{self, BenchConfig};
use ypad_bench::relay::{self, RelayConfig};
use ypad_bench::scenario::{self, Scenario};
use ypad_bench::targets::{Paths, StartOptions, Target};

#[derive(Parser)]
#[command(
    name = "ypad-bench",
    about = "Load generator and comparison benchmark for y-websocket servers",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the bare relay (forwards every frame of a room; no CRDT, no store).
    Relay(RelayArgs),
    /// Run ypad under summit-day load for a long time, with clients and pads coming and going.
    Soak(SoakArgs),
    /// Three ypad nodes on one PostgreSQL database: the owner's CPU per keystroke with few and
    /// many readers on relaying nodes, and failover time after `kill -9` of the owner.
    Cluster(ClusterArgs),
}

#[derive(Args)]
struct ClusterArgs {
    /// Reader counts to compare, spread over the two relaying nodes.
    #[arg(long, value_delimiter = ',', default_value = "50,5000")]
    readers: Vec<usize>,
    /// Typists on the owner, 5 keystrokes/s each.
    #[arg(long, default_value_t = 20)]
    typists: usize,
    /// Seconds of the measured window of each fan-out run.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Failovers to time.
    #[arg(long, default_value_t = 10)]
    failovers: usize,
    /// The nodes' lease.
    #[arg(long, default_value_t = 2000)]
    lease_ttl_ms: u64,
    /// The ypad binary (default: target/release/ypad, built when missing).
    #[arg(long, env = "YPAD_BENCH_YPAD_BIN")]
    ypad_bin: Option<PathBuf>,
    /// The BENCHMARKS.md to update (default: the one at the workspace root).
    #[arg(long, env = "YPAD_BENCH_OUT")]
    out: Option<PathBuf>,
    /// Print only; do not touch BENCHMARKS.md.
    #[arg(long, env = "YPAD_BENCH_NO_WRITE")]
    no_write: bool,
}

#[derive(Args)]
struct SoakArgs {
    /// Minutes in all.
    #[arg(long, env = "YPAD_BENCH_SOAK_MINUTES", default_value_t = 10.0)]
    minutes: f64,
    /// Seconds per round; every round brings new clients to new pads.
    #[arg(long, env = "YPAD_BENCH_SOAK_ROUND", default_value_t = 30.0)]
    round: f64,
    /// The BENCHMARKS.md to append the figures to (default: the one at the workspace root).
    #[arg(long, env = "YPAD_BENCH_OUT")]
    out: Option<PathBuf>,
    /// Print only; do not touch BENCHMARKS.md.
    #[arg(long, env = "YPAD_BENCH_NO_WRITE")]
    no_write: bool,
}

#[derive(Args)]
struct RelayArgs {
    /// Loopback address to listen on.
    #[arg(
        long,
        env = "YPAD_BENCH_RELAY_LISTEN",
        default_value = "127.0.0.1:9002"
    )]
    listen: SocketAddr,
    /// Set TCP_NODELAY on accepted sockets (ypad does not, so neither does the relay by default).
    #[arg(long, env = "YPAD_BENCH_RELAY_NODELAY")]
    nodelay: bool,
}

#[derive(Args)]
struct RunArgs {
    /// session, keynote, summit-day, conference, stadium, or all (smoke: a seconds-long check).
    scenario: Option<String>,
    /// Seconds of the measured window.
    #[arg(long, env = "YPAD_BENCH_DURATION", default_value_t = 20.0)]
    duration: f64,
    /// Seconds of typing before the measured window.
    #[arg(long, env = "YPAD_BENCH_WARMUP", default_value_t = 3.0)]
    warmup: f64,
    /// Seconds after typing stops for in-flight updates to arrive before counting losses.
    #[arg(long, env = "YPAD_BENCH_DRAIN", default_value_t = 3.0)]
    drain: f64,
    /// Comma-separated targets, run in this order: relay, ypad, y-websocket, hocuspocus; and
    /// ypad-pg, ypad on PostgreSQL (under `source tests/pg.sh`).
    #[arg(
        long,
        env = "YPAD_BENCH_TARGETS",
        value_delimiter = ',',
        default_value = "relay,ypad,y-websocket,hocuspocus"
    )]
    targets: Vec<String>,
    /// Generator worker threads (default: one per core).
    #[arg(long, env = "YPAD_BENCH_THREADS")]
    threads: Option<usize>,
    /// Connections handshaking at once.
    #[arg(long, env = "YPAD_BENCH_CONNECT_CONCURRENCY", default_value_t = 128)]
    connect_concurrency: usize,
    /// Seconds to wait for all connections before starting without the stragglers.
    #[arg(long, env = "YPAD_BENCH_CONNECT_DEADLINE", default_value_t = 180.0)]
    connect_deadline: f64,
    /// The BENCHMARKS.md to update (default: the one at the workspace root).
    #[arg(long, env = "YPAD_BENCH_OUT")]
    out: Option<PathBuf>,
    /// Print only; do not touch BENCHMARKS.md.
    #[arg(long, env = "YPAD_BENCH_NO_WRITE")]
    no_write: bool,
    /// The ypad binary (default: target/release/ypad, built when missing).
    #[arg(long, env = "YPAD_BENCH_YPAD_BIN")]
    ypad_bin: Option<PathBuf>,
    /// Record every server with `perf record` (DWARF call graphs) during the measured window into this folder.
    #[arg(long, env = "YPAD_BENCH_PERF_DIR")]
    perf_dir: Option<PathBuf>,
    /// Run the relay target with TCP_NODELAY.
    #[arg(long, env = "YPAD_BENCH_RELAY_NODELAY")]
    relay_nodelay: bool,
    /// Before each target, wait up to this many seconds for other processes to leave the
    /// machine idle (0: do not wait).
    #[arg(long, env = "YPAD_BENCH_WAIT_QUIET", default_value_t = 0.0)]
    wait_quiet: f64,
    /// Seed of the typists' random positions and letters.
    #[arg(long, env = "YPAD_BENCH_SEED", default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Relay(args)) => relay_main(args),
        Some(Command::Soak(args)) => soak_main(args),
        Some(Command::Cluster(args)) => cluster_main(args),
        None => bench_main(cli.run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ypad-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn soak_main(args: SoakArgs) -> Result<(), String> {
    let paths = Paths::detect(None)?;
    let scenario = scenario::Scenario::by_name("summit-day").ok_or("no summit-day scenario")?;
    let config = ypad_bench::soak::SoakConfig {
        scenario,
        total: Duration::from_secs_f64(args.minutes * 60.0),
        round: Duration::from_secs_f64(args.round.max(8.0)),
        paths: paths.clone(),
        seed: 1,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let scratch = tempfile::Builder::new()
        .prefix("ypad-soak-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let report = runtime.block_on(ypad_bench::soak::run(&config, scratch.path()))?;
    let command = format!("just soak {}", args.minutes);
    let text = report.markdown(&config, &command, &ypad_bench::report::utc_now());
    println!("{text}");
    if !args.no_write {
        let out = args
            .out
            .unwrap_or_else(|| paths.workspace.join("BENCHMARKS.md"));
        let old = std::fs::read_to_string(&out).unwrap_or_default();
        let kept = match old.find("## Soak\n") {
            Some(at) => {
                let rest = &old[at + 1..];
                let end = rest.find("\n## ").map_or(old.len(), |e| at + 1 + e + 1);
                format!("{}{}", &old[..at], &old[end..])
            }
            None => old,
        };
        std::fs::write(&out, format!("{}\n{text}", kept.trim_end()))
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

fn cluster_main(args: ClusterArgs) -> Result<(), String> {
    let paths = Paths::detect(args.ypad_bin)?;
    let config = ypad_bench::cluster::ClusterConfig {
        out: (!args.no_write).then(|| {
            args.out
                .clone()
                .unwrap_or_else(|| paths.workspace.join("BENCHMARKS.md"))
        }),
        paths,
        readers: args.readers,
        typists: args.typists,
        keystrokes_per_second: 5.0,
        warmup: Duration::from_secs(3),
        duration: Duration::from_secs_f64(args.duration.clamp(1.0, 3600.0)),
        drain: Duration::from_secs(3),
        connect_concurrency: 128,
        connect_deadline: Duration::from_secs(180),
        failover_runs: args.failovers,
        lease_ttl_ms: args.lease_ttl_ms.max(100),
        seed: 1,
        command: format!(
            "just bench-cluster {}",
            std::env::args().skip(2).collect::<Vec<_>>().join(" ")
        ),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(ypad_bench::cluster::run(&config))
}

fn relay_main(args: RelayArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(relay::serve_forever(
        args.listen,
        RelayConfig {
            nodelay: args.nodelay,
        },
    ))
}

fn bench_main(args: RunArgs) -> Result<(), String> {
    let Some(name) = args.scenario.as_deref() else {
        let names: Vec<&str> = scenario::ALL.iter().map(|s| s.name).collect();
        return Err(format!(
            "name a scenario: {} or all (see --help)",
            names.join(", ")
        ));
    };
    let scenarios = if name == "all" {
        scenario::ALL.to_vec()
    } else {
        vec![Scenario::by_name(name).ok_or_else(|| format!("unknown scenario {name:?}"))?]
    };
    let targets = args
        .targets
        .iter()
        .map(|t| Target::by_name(t.trim()).ok_or_else(|| format!("unknown target {t:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let seconds = |s: f64, what: &str| {
        if s.is_finite() && (0.0..=3600.0).contains(&s) {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(format!("--{what} must be between 0 and 3600 seconds"))
        }
    };
    let paths = Paths::detect(args.ypad_bin)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let command = format!(
        "just bench {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let config = BenchConfig {
        scenarios,
        targets,
        warmup: seconds(args.warmup, "warmup")?,
        duration: seconds(args.duration, "duration")?,
        drain: seconds(args.drain, "drain")?,
        connect_concurrency: args.connect_concurrency.max(1),
        connect_deadline: seconds(args.connect_deadline, "connect-deadline")?,
        generator_threads: threads,
        out: (!args.no_write).then(|| {
            args.out
                .clone()
                .unwrap_or_else(|| paths.workspace.join("BENCHMARKS.md"))
        }),
        perf_dir: args.perf_dir,
        start: StartOptions {
            relay_args: if args.relay_nodelay {
                vec!["--nodelay".into()]
            } else {
                Vec::new()
            },
            ypad_args: Vec::new(),
        },
        paths,
        command,
        seed: args.seed,
        wait_quiet: seconds(args.wait_quiet, "wait-quiet")?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // On Ctrl-C or SIGTERM the bench future is dropped, and with it every server process
    // guard, which kills the servers it started.
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = bench::run(config) => r,
            () = ypad_bench::shutdown_signal() => Err("interrupted; servers stopped".into()),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    outcome
}
