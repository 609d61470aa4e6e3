//! What `/proc` says about a process (CPU time, resident memory) and about the machine (CPU
//! model, cores, memory), for the server under test and for the generator itself.

use std::time::{Duration, Instant};

use serde::Serialize;

/// `/proc/*/stat` counts CPU time in clock ticks of `USER_HZ`, which Linux fixes at 100 on
/// every architecture for user space, whatever the kernel's own tick rate.
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system CPU time of a process (all its threads), with the moment it was read.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    pub cpu: Duration,
    pub at: Instant,
}

impl CpuSample {
    /// Reads `/proc/{pid}/stat`; `None` when the process is gone.
    pub fn of(pid: Pid) -> Option<CpuSample> {
        let text = std::fs::read_to_string(pid.proc_path("stat")).ok()?;
        let ticks = parse_stat_cpu_ticks(&text)?;
        Some(CpuSample {
            cpu: Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND),
            at: Instant::now(),
        })
    }

    /// CPU time used since `earlier`, as a share of one core (1.0 = one core fully busy).
    pub fn share_since(&self, earlier: &CpuSample) -> f64 {
        let wall = self.at.duration_since(earlier.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        self.cpu.saturating_sub(earlier.cpu).as_secs_f64() / wall
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pid {
    Me,
    Other(u32),
}

impl Pid {
    fn proc_path(self, file: &str) -> String {
        match self {
            Pid::Me => format!("/proc/self/{file}"),
            Pid::Other(pid) => format!("/proc/{pid}/{file}"),
        }
    }
}

/// Busy CPU time of the whole machine (every process, the kernel and steal), from the first
/// line of `/proc/stat`: how much the server and the generator had to share the cores.
#[derive(Debug, Clone, Copy)]
pub struct MachineCpu {
    busy: Duration,
    at: Instant,
}

impl MachineCpu {
    pub fn sample() -> Option<MachineCpu> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        Some(MachineCpu {
            busy: Duration::from_secs_f64(parse_proc_stat_busy(&text)? as f64 / TICKS_PER_SECOND),
            at: Instant::now(),
        })
    }

    /// Busy cores on average since `earlier` (2.0 = two cores fully busy).
    pub fn cores_since(&self, earlier: &MachineCpu) -> f64 {
        let wall = self.at.duration_since(earlier.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        self.busy.saturating_sub(earlier.busy).as_secs_f64() / wall
    }
}

/// `cpu user nice system idle iowait irq softirq steal ...`: everything but idle and iowait.
fn parse_proc_stat_busy(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    if fields.len() < 8 {
        return None;
    }
    Some(fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7])
}

/// Resident memory of a process, now and at its peak, from `/proc/{pid}/status`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
}

impl Memory {
    pub fn of(pid: Pid) -> Option<Memory> {
        let text = std::fs::read_to_string(pid.proc_path("status")).ok()?;
        Some(Memory {
            rss_kib: status_field_kib(&text, "VmRSS:")?,
            peak_rss_kib: status_field_kib(&text, "VmHWM:").unwrap_or(0),
        })
    }
}

/// utime + stime: fields 14 and 15 of `stat`, counted after the parenthesised command name
/// (which may itself contain spaces and parentheses, hence the search from the right).
fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    // After the name come state (field 3) ... utime is field 14, i.e. the 12th from here.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn status_field_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// The machine a run happened on, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_gib = status_field_kib(&meminfo, "MemTotal:").unwrap_or(0) as f64 / 1048576.0;
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Machine {
            cpu_model,
            cores,
            memory_gib,
            kernel,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{}, {} cores, {:.0} GiB memory, Linux {}",
            self.cpu_model, self.cores, self.memory_gib, self.kernel
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_ticks_survive_odd_command_names() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 \
                    3 0 12345 1000000 500 18446744073709551615";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(325));
        assert_eq!(parse_stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn machine_busy_leaves_out_idle_and_iowait() {
        let stat = "cpu  100 2 30 5000 40 1 3 7 0 0\ncpu0 50 1 15 2500 20 0 1 3 0 0\n";
        assert_eq!(parse_proc_stat_busy(stat), Some(100 + 2 + 30 + 1 + 3 + 7));
        assert_eq!(parse_proc_stat_busy("cpu 1 2\n"), None);
    }

    #[test]
    fn status_fields_in_kib() {
        let status = "Name:\typad\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(status_field_kib(status, "VmRSS:"), Some(10240));
        assert_eq!(status_field_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(status_field_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn reads_this_process() {
        let a = CpuSample::of(Pid::Me).expect("/proc/self/stat");
        let mut x = 0u64;
        for i in 0..3_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = CpuSample::of(Pid::Me).unwrap();
        assert!(b.cpu >= a.cpu);
        assert!(Memory::of(Pid::Me).unwrap().rss_kib > 0);
    }
}
