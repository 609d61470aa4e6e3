//! Running the real `ypad` binary in tests.

// Each test binary includes this module and uses its own part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub mod cluster;

/// The `ypad` binary this package builds.
pub fn ypad() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ypad"))
}

/// A real Etherpad export kept with the formats crate's tests.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ypad-formats/tests/fixtures/etherpad")
        .join(name)
}

/// Starts `ypad serve` on a loopback port over `data`; returns the process and its
/// `host:port`, read from the line it prints when it is listening.
pub fn serve(data: &Path) -> (Child, String) {
    serve_with(data, &[])
}

/// [`serve`] with more arguments (a database, cluster settings).
pub fn serve_with(data: &Path, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ypad"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(args)
        .stdout(Stdio::piped())
        // YPAD_TEST_LOGS=1 shows the servers' logs, to see why a test failed.
        .stderr(if std::env::var_os("YPAD_TEST_LOGS").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("ypad starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let addr = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("listening on http://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .map(str::to_owned)
        })
        .expect("ypad prints its URL");
    (child, addr)
}
