//! Turning a run's [`LoadResult`] into the JSON line, the Markdown row, and the scenario's
//! section of BENCHMARKS.md (replaced in place, every other part of the file kept).

use std::fmt::Write as _;

use serde::Serialize;

use crate::load::LoadResult;
use crate::procstat::Machine;
use crate::scenario::{self, Scenario};

/// Generator CPU at or above this share of its worker threads means it, not the server, may
/// have set the pace.
const GENERATOR_SATURATED: f64 = 0.85;
/// Server plus generator CPU at or above this share of the machine's cores: they compete.
const MACHINE_SATURATED: f64 = 0.9;
/// CPU used by other processes during the window (in cores) worth a note.
const OTHERS_NOTICEABLE: f64 = 0.2;
/// A generator timer this late (ms) means its measurements include its own stalls.
const LAG_NOTICEABLE_MS: f64 = 20.0;

#[derive(Debug, Clone, Serialize)]
pub struct LatencyMs {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub samples: u64,
}

/// One target in one scenario: the JSON line and the Markdown row are both made from this.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: &'static str,
    pub target: &'static str,
    pub connections_requested: usize,
    pub connections_synced: usize,
    pub connect_s: f64,
    pub disconnects: u64,
    pub keystrokes_sent: u64,
    pub keystrokes_measured: u64,
    pub measured_s: f64,
    pub delivered_measured: u64,
    pub delivered_per_s: f64,
    pub expected_delivered_per_s: f64,
    pub lost: u64,
    pub latency_ms: Option<LatencyMs>,
    pub server_cpu: Option<f64>,
    pub server_rss_mib: Option<f64>,
    pub server_peak_rss_mib: Option<f64>,
    pub server_cpu_us_per_delivery: Option<f64>,
    /// Server CPU per delivered message divided by the relay's in the same scenario.
    pub cpu_per_delivery_vs_relay: Option<f64>,
    pub generator_cpu: f64,
    pub generator_threads: usize,
    /// Busy cores of the whole machine over the window, and the part neither the server nor
    /// the generator used (other processes: a shared machine makes every number noisier).
    pub machine_busy: Option<f64>,
    pub others_cpu: Option<f64>,
    /// How late the generator's own 10 ms timer fired: p99 and max, in ms.
    pub generator_lag_p99_ms: f64,
    pub generator_lag_max_ms: f64,
    pub notes: Vec<String>,
}

/// What a row needs to know besides the measurements.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    pub scenario: &'a Scenario,
    pub target: &'static str,
    pub generator_threads: usize,
    pub cores: usize,
    pub drain: std::time::Duration,
}

impl Row {
    pub fn new(ctx: RowContext<'_>, r: &LoadResult) -> Row {
        let RowContext {
            scenario,
            target,
            generator_threads,
            cores,
            drain,
        } = ctx;
        let latency_ms = (!r.latency_us.is_empty()).then(|| LatencyMs {
            p50: r.latency_us.value_at_quantile(0.50) as f64 / 1000.0,
            p95: r.latency_us.value_at_quantile(0.95) as f64 / 1000.0,
            p99: r.latency_us.value_at_quantile(0.99) as f64 / 1000.0,
            max: r.latency_us.max() as f64 / 1000.0,
            samples: r.latency_us.len(),
        });
        let mut notes = Vec::new();
        if r.connect_failures > 0 {
            notes.push(format!(
                "{} connection(s) failed: {}",
                r.connect_failures,
                r.connect_errors.join("; ")
            ));
        }
        if r.lost > 0 && r.latency_us.value_at_quantile(0.99) as f64 >= drain.as_secs_f64() * 1e6 {
            notes.push(
                "server fell behind: lost = still queued after the drain, latency above it".into(),
            );
        }
        if r.disconnects > 0 {
            notes.push(format!("{} connection(s) dropped", r.disconnects));
        }
        if r.generator_cpu >= GENERATOR_SATURATED * generator_threads as f64 {
            notes.push(format!(
                "generator saturated ({:.0}% CPU on {generator_threads} threads)",
                r.generator_cpu * 100.0
            ));
        }
        let total = r.generator_cpu + r.server_cpu.unwrap_or(0.0);
        if total >= MACHINE_SATURATED * cores as f64 {
            notes.push(format!(
                "machine saturated (server + generator {:.0}% of {cores} cores)",
                total * 100.0
            ));
        }
        let others_cpu = r.machine_busy.map(|busy| (busy - total).max(0.0));
        if let Some(others) = others_cpu
            && others >= OTHERS_NOTICEABLE
        {
            notes.push(format!(
                "other processes used {:.0}% CPU meanwhile",
                others * 100.0
            ));
        }
        let lag_max_ms = r.generator_lag_us.max() as f64 / 1000.0;
        if lag_max_ms >= LAG_NOTICEABLE_MS {
            notes.push(format!("generator stalled up to {lag_max_ms:.0} ms"));
        }
        Row {
            scenario: scenario.name,
            target,
            connections_requested: r.connections_requested,
            connections_synced: r.connections_synced,
            connect_s: r.connect_time.as_secs_f64(),
            disconnects: r.disconnects,
            keystrokes_sent: r.keystrokes_sent,
            keystrokes_measured: r.keystrokes_measured,
            measured_s: r.measured.as_secs_f64(),
            delivered_measured: r.delivered_measured,
            delivered_per_s: r.delivered_per_second(),
            expected_delivered_per_s: scenario.expected_delivery_rate(),
            lost: r.lost,
            latency_ms,
            server_cpu: r.server_cpu,
            server_rss_mib: r.server_memory.map(|m| m.rss_kib as f64 / 1024.0),
            server_peak_rss_mib: r.server_memory.map(|m| m.peak_rss_kib as f64 / 1024.0),
            server_cpu_us_per_delivery: r.server_cpu_us_per_delivery(),
            cpu_per_delivery_vs_relay: None,
            generator_cpu: r.generator_cpu,
            generator_threads,
            machine_busy: r.machine_busy,
            others_cpu,
            generator_lag_p99_ms: r.generator_lag_us.value_at_quantile(0.99) as f64 / 1000.0,
            generator_lag_max_ms: lag_max_ms,
            notes,
        }
    }

    /// Fills in the ratio to the relay's CPU per delivered message.
    pub fn compare_with_relay(&mut self, relay: Option<&Row>) {
        self.cpu_per_delivery_vs_relay = match (
            self.server_cpu_us_per_delivery,
            relay.and_then(|r| r.server_cpu_us_per_delivery),
        ) {
            (Some(mine), Some(relay)) if relay > 0.0 => Some(mine / relay),
            _ => None,
        };
    }

    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a row serializes")
    }

    pub const HEADER: &'static str = "| target | conns | connect | keystrokes | delivered/s | lost | p50 | p95 | p99 | max | server CPU | server RSS | CPU/msg | vs relay | gen CPU | notes |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|";

    pub fn markdown(&self) -> String {
        let ms = |f: fn(&LatencyMs) -> f64| {
            self.latency_ms
                .as_ref()
                .map_or("–".to_owned(), |l| fmt_ms(f(l)))
        };
        let conns = if self.connections_synced == self.connections_requested {
            self.connections_synced.to_string()
        } else {
            format!("{}/{}", self.connections_synced, self.connections_requested)
        };
        let delivered = format!(
            "{:.0} ({:.0}%)",
            self.delivered_per_s,
            100.0 * self.delivered_per_s / self.expected_delivered_per_s.max(1e-9)
        );
        format!(
            "| {} | {} | {:.1} s | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0}% | {} |",
            self.target,
            conns,
            self.connect_s,
            self.keystrokes_measured,
            delivered,
            self.lost,
            ms(|l| l.p50),
            ms(|l| l.p95),
            ms(|l| l.p99),
            ms(|l| l.max),
            self.server_cpu
                .map_or("–".to_owned(), |c| format!("{:.0}%", c * 100.0)),
            self.server_rss_mib
                .map_or("–".to_owned(), |m| format!("{m:.0} MiB")),
            self.server_cpu_us_per_delivery
                .map_or("–".to_owned(), |u| format!("{u:.1} µs")),
            self.cpu_per_delivery_vs_relay
                .map_or("–".to_owned(), |x| format!("{x:.2}×")),
            self.generator_cpu * 100.0,
            if self.notes.is_empty() {
                String::new()
            } else {
                self.notes.join("; ")
            },
        )
    }
}

fn fmt_ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// What a section of BENCHMARKS.md says besides its rows.
pub struct SectionInfo<'a> {
    pub scenario: &'a Scenario,
    pub command: &'a str,
    pub date: &'a str,
    pub machine: &'a Machine,
    pub node: Option<&'a str>,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub drain_s: f64,
    pub generator_threads: usize,
    pub targets: &'a [(String, &'static str)],
}

pub fn section(info: &SectionInfo<'_>, rows: &[Row]) -> String {
    let s = info.scenario;
    let mut out = String::new();
    let _ = writeln!(out, "{}", begin_marker(s.name));
    let _ = writeln!(out, "### {} — {}\n", s.name, s.shape());
    let _ = writeln!(
        out,
        "{}: {} connections in all ({} typists, {} probes, {} readers per pad), {:.0} keystrokes/s \
         in all; ideal delivery {:.0} updates/s to readers and probes.\n",
        capitalize(s.story),
        s.connections(),
        s.typists_per_pad,
        s.probes_per_pad,
        s.readers_per_pad(),
        s.keystroke_rate(),
        s.expected_delivery_rate()
    );
    let _ = writeln!(out, "- Command: `{}`", info.command);
    let _ = writeln!(
        out,
        "- Date: {}; measured {:.0} s after connecting and {:.0} s of warm-up, then {:.0} s of drain",
        info.date, info.duration_s, info.warmup_s, info.drain_s
    );
    let _ = writeln!(
        out,
        "- Machine: {}; generator on {} worker threads{}",
        info.machine.describe(),
        info.generator_threads,
        info.node.map_or(String::new(), |v| format!("; Node {v}"))
    );
    for (name, what) in info.targets {
        let _ = writeln!(out, "- `{name}`: {what}");
    }
    let _ = writeln!(out, "\n{}", Row::HEADER);
    for row in rows {
        let _ = writeln!(out, "{}", row.markdown());
    }
    let _ = write!(out, "{}", end_marker(s.name));
    out
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn begin_marker(name: &str) -> String {
    format!("<!-- bench:{name}:begin (generated by ypad-bench; edits inside are overwritten) -->")
}

fn end_marker(name: &str) -> String {
    format!("<!-- bench:{name}:end -->")
}

/// Where generated sections go in a new file, and before which marker new ones are added.
const RESULTS_END: &str = "<!-- bench:results:end -->";

/// The file as it starts when it does not exist yet.
pub const SKELETON: &str = "# Benchmarks\n\nGenerated by `just bench SCENARIO` (crates/ypad-bench).\n\n## Results\n\n<!-- bench:results:end -->\n";

/// Replaces the scenario's section in `doc`, or inserts it in scenario order; everything else
/// in the file stays as it is.
pub fn replace_section(doc: &str, scenario: &str, section: &str) -> String {
    let begin = begin_marker(scenario);
    let end = end_marker(scenario);
    if let Some(start) = doc.find(&begin)
        && let Some(stop) = doc[start..].find(&end).map(|i| start + i + end.len())
    {
        return format!("{}{}{}", &doc[..start], section, &doc[stop..]);
    }
    // Insert before the next scenario (in `all` order) that has a section, else before the
    // end-of-results marker, else at the end.
    let order: Vec<&str> = scenario::ALL.iter().map(|s| s.name).collect();
    let later = order
        .iter()
        .position(|n| *n == scenario)
        .map_or(&order[..0], |i| &order[i + 1..]);
    let at = later
        .iter()
        .filter_map(|n| doc.find(&begin_marker(n)))
        .min()
        .or_else(|| doc.find(RESULTS_END));
    match at {
        Some(at) => format!("{}{}\n\n{}", &doc[..at], section, &doc[at..]),
        None => {
            let sep = if doc.ends_with('\n') { "\n" } else { "\n\n" };
            format!("{doc}{sep}{section}\n")
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` from the system clock.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(name: &str, body: &str) -> String {
        format!("{}\n{body}\n{}", begin_marker(name), end_marker(name))
    }

    #[test]
    fn inserts_in_scenario_order_and_replaces_in_place() {
        let doc = format!("# B\n\nintro\n\n{SKELETON}\n## Profile\nkept\n");
        let doc = replace_section(&doc, "keynote", &sec("keynote", "k1"));
        let doc = replace_section(&doc, "session", &sec("session", "s1"));
        let doc = replace_section(&doc, "stadium", &sec("stadium", "x1"));
        let doc = replace_section(&doc, "keynote", &sec("keynote", "k2"));
        let s = doc.find("s1").unwrap();
        let k = doc.find("k2").unwrap();
        let x = doc.find("x1").unwrap();
        assert!(s < k && k < x, "{doc}");
        assert!(!doc.contains("k1"));
        assert!(doc.contains("intro") && doc.ends_with("## Profile\nkept\n"));
        assert!(doc.find(RESULTS_END).unwrap() > x);
    }

    #[test]
    fn appends_when_there_is_no_marker() {
        let doc = replace_section("# Mine\n", "smoke", &sec("smoke", "z"));
        assert!(doc.starts_with("# Mine\n\n<!-- bench:smoke:begin"));
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    }
}
