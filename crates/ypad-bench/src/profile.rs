//! Optional profiling of a server during the measured window with `perf record`, so that a
//! profile covers exactly the load the table reports.
//!
//! Call graphs are unwound from DWARF: release builds keep line tables but no frame pointers,
//! so `-g` alone would cut every Rust stack at its first frame.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `perf record`; it stops by itself after the window. Dropping it before that
/// interrupts it (SIGKILL would lose the data, so it is only a last resort).
pub struct PerfRecording {
    child: Child,
    pub out: PathBuf,
}

impl PerfRecording {
    /// Starts recording `pid` with call graphs for `window`, into `out`.
    pub fn start(pid: u32, out: &Path, window: Duration) -> Result<PerfRecording, String> {
        let child = Command::new("perf")
            .args(["record", "--call-graph", "dwarf,16384", "-F", "499"])
            .args(["-p", &pid.to_string(), "-o"])
            .arg(out)
            .args(["--", "sleep", &format!("{:.1}", window.as_secs_f64())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start perf (apt-get install linux-perf): {e}"))?;
        Ok(PerfRecording {
            child,
            out: out.to_path_buf(),
        })
    }

    /// Waits for perf to finish writing (it ends with its `sleep`).
    pub fn finish(mut self) -> Result<PathBuf, String> {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(self.out.clone())
        } else {
            Err(format!("perf record failed ({status})"))
        }
    }
}

impl Drop for PerfRecording {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
