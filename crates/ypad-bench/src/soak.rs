//! The soak: one ypad server under summit-day load for a long time, in rounds. Every round
//! connects a new crowd to new pads and lets it leave, so clients and pads keep joining,
//! leaving and being evicted. Reports per round and in total: lost updates, unexpected
//! disconnects and the server's RSS, whose growth over the second half says whether memory
//! stops growing after warm-up.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::load::{self, LoadConfig};
use crate::procstat::{Memory, Pid};
use crate::scenario::Scenario;
use crate::targets::{self, Paths, StartOptions, Target};

pub struct SoakConfig {
    pub scenario: Scenario,
    pub total: Duration,
    pub round: Duration,
    pub paths: Paths,
    pub seed: u64,
}

/// One round's figures.
pub struct Round {
    pub at: Duration,
    pub lost: u64,
    pub disconnects: u64,
    pub p99_ms: f64,
    pub rss_kib: u64,
}

pub struct SoakReport {
    pub rounds: Vec<Round>,
    /// RSS growth from the middle of the run to its end, in percent.
    pub growth_second_half: f64,
}

impl SoakReport {
    pub fn lost(&self) -> u64 {
        self.rounds.iter().map(|r| r.lost).sum()
    }

    pub fn disconnects(&self) -> u64 {
        self.rounds.iter().map(|r| r.disconnects).sum()
    }

    pub fn markdown(&self, config: &SoakConfig, command: &str, date: &str) -> String {
        let mut out = format!(
            "## Soak\n\n- Command: `{command}`\n- Date: {date}\n- {} rounds of {} s of `{}` load \
             ({}), each with new clients on new pads\n\n| round end | lost | disconnects | p99 | server RSS |\n|--:|--:|--:|--:|--:|\n",
            self.rounds.len(),
            config.round.as_secs(),
            config.scenario.name,
            config.scenario.shape(),
        );
        for r in &self.rounds {
            out.push_str(&format!(
                "| {:.0} s | {} | {} | {:.1} ms | {:.1} MiB |\n",
                r.at.as_secs_f64(),
                r.lost,
                r.disconnects,
                r.p99_ms,
                r.rss_kib as f64 / 1024.0
            ));
        }
        out.push_str(&format!(
            "\nIn all: {} lost updates, {} unexpected disconnects; server RSS grew {:.1}% over the second half (target: under 10%).\n",
            self.lost(),
            self.disconnects(),
            self.growth_second_half
        ));
        out
    }
}

pub async fn run(config: &SoakConfig, scratch: &Path) -> Result<SoakReport, String> {
    let paths = config.paths.clone();
    tokio::task::spawn_blocking(move || targets::prepare(Target::Ypad, &paths))
        .await
        .map_err(|e| e.to_string())??;
    let paths = config.paths.clone();
    let scratch_dir = scratch.to_path_buf();
    let server = tokio::task::spawn_blocking(move || {
        targets::start(Target::Ypad, &paths, &scratch_dir, &StartOptions::default())
    })
    .await
    .map_err(|e| e.to_string())??;
    let started = Instant::now();
    let mut rounds = Vec::new();
    let mut run_id = 0;
    while started.elapsed() + config.round <= config.total + Duration::from_secs(1) {
        run_id += 1;
        let load = LoadConfig {
            scenario: config.scenario,
            server: server.addr,
            addressing: Target::Ypad.addressing(),
            warmup: Duration::from_secs(2),
            duration: config.round.saturating_sub(Duration::from_secs(4)),
            drain: Duration::from_secs(2),
            connect_concurrency: 128,
            connect_deadline: Duration::from_secs(60),
            run_id,
            seed: config.seed + u64::from(run_id),
            server_pid: Some(server.pid),
            perf_out: None,
            placement: None,
        };
        let result = load::run(&load).await;
        let rss_kib = Memory::of(Pid::Other(server.pid)).map_or(0, |m| m.rss_kib);
        let round = Round {
            at: started.elapsed(),
            lost: result.lost,
            disconnects: result.disconnects,
            p99_ms: result.latency_us.value_at_quantile(0.99) as f64 / 1000.0,
            rss_kib,
        };
        tracing::info!(
            round = run_id,
            lost = round.lost,
            disconnects = round.disconnects,
            p99_ms = round.p99_ms,
            rss_mib = rss_kib as f64 / 1024.0,
            "soak round"
        );
        rounds.push(round);
    }
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .map_err(|e| e.to_string())?;
    let mid = rounds.len() / 2;
    let growth_second_half = match (rounds.get(mid.saturating_sub(1)), rounds.last()) {
        (Some(m), Some(end)) if m.rss_kib > 0 => {
            (end.rss_kib as f64 - m.rss_kib as f64) / m.rss_kib as f64 * 100.0
        }
        _ => 0.0,
    };
    Ok(SoakReport {
        rounds,
        growth_second_half,
    })
}
