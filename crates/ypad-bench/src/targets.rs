//! The servers under test: how each is installed, started on a free loopback port, found ready,
//! and killed. A [`ServerProcess`] kills its process when dropped, so the bench leaves nothing
//! running when a run ends, fails or is interrupted.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::Addressing;

/// How long a server may take from spawn to accepting connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The servers' own output, kept in the run's temp dir; this much of its end is shown on error.
const LOG_TAIL: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The bare relay: the hardware ceiling. Run first, so the others can be compared to it.
    Relay,
    Ypad,
    /// ypad on a PostgreSQL store: a fresh database on the test command's private server.
    YpadPg,
    YWebsocket,
    Hocuspocus,
}

impl Target {
    pub const ALL: [Target; 5] = [
        Target::Relay,
        Target::Ypad,
        Target::YpadPg,
        Target::YWebsocket,
        Target::Hocuspocus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Relay => "relay",
            Target::Ypad => "ypad",
            Target::YpadPg => "ypad-pg",
            Target::YWebsocket => "y-websocket",
            Target::Hocuspocus => "hocuspocus",
        }
    }

    pub fn by_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn addressing(self) -> Addressing {
        match self {
            Target::Ypad | Target::YpadPg => Addressing::Path("/ws/"),
            Target::Relay | Target::YWebsocket => Addressing::Path("/"),
            Target::Hocuspocus => Addressing::Hocuspocus,
        }
    }

    /// What exactly ran, for the table.
    pub fn describe(self) -> &'static str {
        match self {
            Target::Relay => "relay (ypad-bench relay: axum 0.8 ws, no CRDT, no store)",
            Target::Ypad => "ypad (release build, sled store)",
            Target::YpadPg => "ypad-pg (release build, PostgreSQL store on a unix socket)",
            Target::YWebsocket => "y-websocket 1.5.4 bin/server.js (in memory)",
            Target::Hocuspocus => "@hocuspocus/server 3.4.4 (in memory)",
        }
    }

    fn needs_node(self) -> bool {
        matches!(self, Target::YWebsocket | Target::Hocuspocus)
    }
}

/// Where the bench finds what it starts.
#[derive(Debug, Clone)]
pub struct Paths {
    pub workspace: PathBuf,
    /// The ypad binary; built with `cargo build --release -p ypad` when missing.
    pub ypad_bin: PathBuf,
    /// `crates/ypad-bench/peers`: package.json, package-lock.json and the Hocuspocus script.
    pub peers: PathBuf,
    /// The running bench binary, started again as `relay`.
    pub bench_bin: PathBuf,
}

impl Paths {
    pub fn detect(ypad_bin: Option<PathBuf>) -> Result<Paths, String> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let workspace = manifest
            .parent()
            .and_then(Path::parent)
            .ok_or("cannot find the workspace root")?
            .to_path_buf();
        let target_dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));
        Ok(Paths {
            ypad_bin: ypad_bin.unwrap_or_else(|| target_dir.join("release").join("ypad")),
            peers: manifest.join("peers"),
            bench_bin: std::env::current_exe().map_err(|e| e.to_string())?,
            workspace,
        })
    }
}

/// Makes sure `target` can be started: the ypad binary exists, the npm peers are installed.
pub fn prepare(target: Target, paths: &Paths) -> Result<(), String> {
    match target {
        Target::Relay => Ok(()),
        Target::YpadPg if std::env::var_os(ypad_store::pg_testing::URL_VAR).is_none() => {
            Err(format!(
                "ypad-pg needs a PostgreSQL server: run under `source tests/pg.sh` (it sets {})",
                ypad_store::pg_testing::URL_VAR
            ))
        }
        Target::Ypad | Target::YpadPg => {
            if paths.ypad_bin.exists() {
                if let Some(newer) = newer_source(paths) {
                    tracing::warn!(
                        bin = %paths.ypad_bin.display(),
                        source = %newer.display(),
                        "the ypad binary is older than its sources; `cargo build --release -p ypad` to bench the current code"
                    );
                }
                return Ok(());
            }
            tracing::info!(bin = %paths.ypad_bin.display(), "ypad binary missing; building it");
            run_quietly(
                Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                    .args(["build", "--release", "-p", "ypad"])
                    .current_dir(&paths.workspace),
                "cargo build --release -p ypad",
            )?;
            if paths.ypad_bin.exists() {
                Ok(())
            } else {
                Err(format!(
                    "{} still missing after the build",
                    paths.ypad_bin.display()
                ))
            }
        }
        Target::YWebsocket | Target::Hocuspocus => {
            if paths.peers.join("node_modules/.package-lock.json").exists() {
                return Ok(());
            }
            tracing::info!(dir = %paths.peers.display(), "installing the npm peers (npm ci)");
            // Install scripts are skipped: the only one builds leveldown for y-leveldb, which
            // the reference server loads only when YPERSISTENCE is set, and the bench keeps
            // every peer in memory.
            run_quietly(
                Command::new("npm")
                    .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
                    .current_dir(&paths.peers),
                "npm ci",
            )
        }
    }
}

/// The server crates whose sources make up the ypad binary.
const YPAD_CRATES: [&str; 6] = [
    "ypad",
    "ypad-server",
    "ypad-engine",
    "ypad-core",
    "ypad-store",
    "ypad-formats",
];

/// A source file of the ypad binary modified after the binary was built, if any.
fn newer_source(paths: &Paths) -> Option<PathBuf> {
    let built = std::fs::metadata(&paths.ypad_bin).ok()?.modified().ok()?;
    let mut stack: Vec<PathBuf> = YPAD_CRATES
        .iter()
        .map(|c| paths.workspace.join("crates").join(c).join("src"))
        .collect();
    // A bounded walk: these are a few small source trees.
    let mut visited = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            visited += 1;
            if visited > 10_000 {
                return None;
            }
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.modified().is_ok_and(|m| m > built) {
                return Some(path);
            }
        }
    }
    None
}

fn run_quietly(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// A server under test. Dropping it kills the process and removes its data.
pub struct ServerProcess {
    pub target: Target,
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
    log: PathBuf,
    /// The ypad store; removed after the process is gone.
    _data: Option<tempfile::TempDir>,
}

/// Options for [`start`] beyond the target itself.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Extra arguments for the relay (e.g. `--nodelay`).
    pub relay_args: Vec<String>,
    /// Extra arguments for ypad (a cluster's database and lease).
    pub ypad_args: Vec<String>,
}

/// Starts `target` on a free loopback port and waits until it accepts connections.
pub fn start(
    target: Target,
    paths: &Paths,
    scratch: &Path,
    options: &StartOptions,
) -> Result<ServerProcess, String> {
    let port = free_port()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let log = scratch.join(format!("{}-{port}.log", target.name()));
    let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
    let mut data = None;
    let mut command = match target {
        Target::Ypad | Target::YpadPg => {
            let dir = tempfile::Builder::new()
                .prefix("ypad-bench-data-")
                .tempdir_in(scratch)
                .map_err(|e| e.to_string())?;
            let mut c = Command::new(&paths.ypad_bin);
            c.arg("serve")
                .arg("--listen")
                .arg(addr.to_string())
                .arg("--data-dir")
                .arg(dir.path())
                .args(&options.ypad_args)
                .env("RUST_LOG", "warn");
            if target == Target::YpadPg {
                c.arg("--database-url")
                    .arg(ypad_store::pg_testing::fresh_database());
            }
            data = Some(dir);
            c
        }
        Target::Relay => {
            let mut c = Command::new(&paths.bench_bin);
            c.arg("relay")
                .arg("--listen")
                .arg(addr.to_string())
                .args(&options.relay_args)
                .env("RUST_LOG", "warn");
            c
        }
        Target::YWebsocket => {
            let mut c = Command::new("node");
            c.arg("node_modules/y-websocket/bin/server.js");
            c
        }
        Target::Hocuspocus => {
            let mut c = Command::new("node");
            c.arg("hocuspocus.mjs");
            c
        }
    };
    if target.needs_node() {
        command
            .current_dir(&paths.peers)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string());
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", target.name()))?;
    let mut server = ServerProcess {
        target,
        addr,
        pid: child.id(),
        child,
        log,
        _data: data,
    };
    server.wait_ready()?;
    tracing::info!(target = target.name(), pid = server.pid, %addr, "server ready");
    Ok(server)
}

impl ServerProcess {
    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited before accepting connections ({status}); its output:\n{}",
                    self.target.name(),
                    self.log_tail()
                ));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "{} did not accept connections within {START_TIMEOUT:?}; its output:\n{}",
            self.target.name(),
            self.log_tail()
        ))
    }

    /// Whether the process is still running (it might have crashed under load).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let cut = text.len().saturating_sub(LOG_TAIL);
        let cut = (cut..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        text[cut..].to_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGKILL: nothing a server does at shutdown matters to the bench, and its data dir
        // is deleted right after.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the kernel just handed out on 127.0.0.1 and that nobody listens on now.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// `node --version`, for the report.
pub fn node_version() -> Option<String> {
    let out = Command::new("node").arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
