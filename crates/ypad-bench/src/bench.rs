//! The comparison: for each scenario, start each target server in turn, run the load against
//! it, kill it, and report a JSON line and a Markdown row per target; then rewrite the
//! scenario's section of BENCHMARKS.md.

use std::path::PathBuf;
use std::time::Duration;

use crate::load::{self, LoadConfig};
use crate::procstat::{Machine, MachineCpu};
use crate::report::{self, Row, RowContext, SectionInfo};
use crate::scenario::Scenario;
use crate::targets::{self, Paths, StartOptions, Target};

/// File descriptors the bench keeps for itself besides one per connection.
const SPARE_FDS: u64 = 256;
/// Pause between two targets, so that the previous server's sockets are gone.
const BETWEEN_TARGETS: Duration = Duration::from_secs(1);
/// The machine counts as quiet below this many busy cores.
pub const QUIET_CORES: f64 = 0.25;

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub scenarios: Vec<Scenario>,
    pub targets: Vec<Target>,
    pub warmup: Duration,
    pub duration: Duration,
    pub drain: Duration,
    pub connect_concurrency: usize,
    pub connect_deadline: Duration,
    pub generator_threads: usize,
    /// BENCHMARKS.md to update; `None` prints only.
    pub out: Option<PathBuf>,
    /// Record each server with `perf record` (DWARF call graphs) during the measured window into this folder.
    pub perf_dir: Option<PathBuf>,
    pub paths: Paths,
    pub start: StartOptions,
    /// The command line, as the report shows it.
    pub command: String,
    pub seed: u64,
    /// Before each target, wait up to this long for the machine to be idle (other processes
    /// below [`QUIET_CORES`]), so that a shared machine disturbs the numbers less.
    pub wait_quiet: Duration,
}

pub async fn run(config: BenchConfig) -> Result<(), String> {
    let most = config
        .scenarios
        .iter()
        .map(Scenario::connections)
        .max()
        .unwrap_or(0) as u64;
    raise_fd_limit(most + SPARE_FDS)?;
    let machine = Machine::detect();
    let needs_node = config
        .targets
        .iter()
        .any(|t| matches!(t, Target::YWebsocket | Target::Hocuspocus));
    let node = if needs_node {
        targets::node_version()
    } else {
        None
    };
    let mut unavailable: Vec<(Target, String)> = Vec::new();
    for &target in &config.targets {
        let paths = config.paths.clone();
        let prepared = tokio::task::spawn_blocking(move || targets::prepare(target, &paths))
            .await
            .map_err(|e| e.to_string())?;
        if let Err(why) = prepared {
            tracing::warn!(target = target.name(), %why, "target unavailable; skipping it");
            unavailable.push((target, why));
        }
    }
    if let Some(dir) = &config.perf_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let scratch = tempfile::Builder::new()
        .prefix("ypad-bench-")
        .tempdir()
        .map_err(|e| e.to_string())?;

    let mut run_id = 0u32;
    for scenario in &config.scenarios {
        tracing::info!(scenario = scenario.name, shape = %scenario.shape(), "scenario");
        let mut rows: Vec<Row> = Vec::new();
        let mut failures: Vec<(Target, String)> = unavailable.clone();
        for &target in &config.targets {
            if unavailable.iter().any(|(t, _)| *t == target) {
                continue;
            }
            run_id += 1;
            match run_one(&config, scenario, target, run_id, scratch.path()).await {
                Ok(mut row) => {
                    row.compare_with_relay(rows.iter().find(|r| r.target == "relay"));
                    println!("{}", row.json());
                    println!("{}", row.markdown());
                    rows.push(row);
                }
                Err(why) => {
                    tracing::error!(target = target.name(), %why, "run failed");
                    failures.push((target, why));
                }
            }
            tokio::time::sleep(BETWEEN_TARGETS).await;
        }
        let date = report::utc_now();
        let described: Vec<(String, &'static str)> = config
            .targets
            .iter()
            .map(|t| (t.name().to_owned(), t.describe()))
            .collect();
        let mut section = report::section(
            &SectionInfo {
                scenario,
                command: &config.command,
                date: &date,
                machine: &machine,
                node: node.as_deref(),
                warmup_s: config.warmup.as_secs_f64(),
                duration_s: config.duration.as_secs_f64(),
                drain_s: config.drain.as_secs_f64(),
                generator_threads: config.generator_threads,
                targets: &described,
            },
            &rows,
        );
        if !failures.is_empty() {
            let end = section.rfind("<!--").unwrap_or(section.len());
            let mut lines = String::from("\n");
            for (target, why) in &failures {
                let why = why.lines().next().unwrap_or_default();
                lines.push_str(&format!("- `{}` did not run: {why}\n", target.name()));
            }
            section.insert_str(end, &lines);
        }
        println!("\n{section}\n");
        if let Some(out) = &config.out {
            let doc = std::fs::read_to_string(out).unwrap_or_else(|_| report::SKELETON.to_owned());
            let doc = report::replace_section(&doc, scenario.name, &section);
            std::fs::write(out, doc).map_err(|e| format!("{}: {e}", out.display()))?;
            tracing::info!(file = %out.display(), scenario = scenario.name, "section written");
        }
    }
    Ok(())
}

async fn run_one(
    config: &BenchConfig,
    scenario: &Scenario,
    target: Target,
    run_id: u32,
    scratch: &std::path::Path,
) -> Result<Row, String> {
    if !config.wait_quiet.is_zero() {
        wait_until_quiet(config.wait_quiet).await;
    }
    let server = {
        let paths = config.paths.clone();
        let scratch = scratch.to_path_buf();
        let start = config.start.clone();
        tokio::task::spawn_blocking(move || targets::start(target, &paths, &scratch, &start))
            .await
            .map_err(|e| e.to_string())??
    };
    let load_config = LoadConfig {
        scenario: *scenario,
        server: server.addr,
        addressing: target.addressing(),
        warmup: config.warmup,
        duration: config.duration,
        drain: config.drain,
        connect_concurrency: config.connect_concurrency,
        connect_deadline: config.connect_deadline,
        run_id,
        seed: config.seed,
        server_pid: Some(server.pid),
        perf_out: config
            .perf_dir
            .as_ref()
            .map(|d| d.join(format!("{}-{}.perf.data", scenario.name, target.name()))),
        placement: None,
    };
    tracing::info!(
        target = target.name(),
        pid = server.pid,
        connections = scenario.connections(),
        "running"
    );
    let result = load::run(&load_config).await;
    let mut server = server;
    let survived = server.is_running();
    let tail = server.log_tail();
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .map_err(|e| e.to_string())?;
    let mut row = Row::new(
        RowContext {
            scenario,
            target: target.name(),
            generator_threads: config.generator_threads,
            cores: Machine::detect().cores,
            drain: config.drain,
        },
        &result,
    );
    if !survived {
        row.notes.push("server exited during the run".into());
        tracing::error!(target = target.name(), output = %tail, "server exited during the run");
    }
    Ok(row)
}

/// Samples the machine's busy cores each second until they drop below [`QUIET_CORES`] or
/// `patience` has passed.
async fn wait_until_quiet(patience: Duration) {
    let started = std::time::Instant::now();
    loop {
        let Some(before) = MachineCpu::sample() else {
            return;
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(after) = MachineCpu::sample() else {
            return;
        };
        let busy = after.cores_since(&before);
        if busy < QUIET_CORES {
            return;
        }
        if started.elapsed() >= patience {
            tracing::warn!(busy_cores = busy, "machine still busy; running anyway");
            return;
        }
        tracing::info!(busy_cores = busy, "waiting for the machine to be quiet");
    }
}

/// Raises the soft RLIMIT_NOFILE as far as the hard limit allows; errors if that is below
/// what the largest scenario needs. Children (the servers) inherit the raised limit.
fn raise_fd_limit(needed: u64) -> Result<(), String> {
    let got = rlimit::increase_nofile_limit(u64::MAX)
        .map_err(|e| format!("cannot raise the open-file limit: {e}"))?;
    if got < needed {
        return Err(format!(
            "open-file limit is {got} but this run needs {needed}; raise the hard limit \
             (ulimit -Hn) or run a smaller scenario"
        ));
    }
    tracing::debug!(limit = got, "open-file limit");
    Ok(())
}
