//! Helpers for the tests of a cluster of real `ypad` processes.

// Each test binary uses its own part of it.
#![allow(dead_code)]

use std::process::Child;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::rngs::StdRng;
use ypad_store::{PgStore, Store};
use ypad_tests::Client;

/// A `ypad serve` process of the cluster; killed on drop.
pub struct Node {
    child: Child,
    pub addr: String,
    _data: tempfile::TempDir,
}

impl Node {
    pub fn start(database: &str, ttl_ms: u64) -> Node {
        let data = tempfile::tempdir().unwrap();
        let ttl = ttl_ms.to_string();
        let (child, addr) = super::serve_with(
            data.path(),
            &["--database-url", database, "--lease-ttl-ms", &ttl],
        );
        Node {
            child,
            addr,
            _data: data,
        }
    }

    pub fn ws(&self, pad: &str) -> String {
        format!("ws://{}/ws/{pad}", self.addr)
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = reqwest::get(format!("http://{}{path}", self.addr))
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn health(&self) -> serde_json::Value {
        serde_json::from_str(&self.get("/health").await.1).unwrap()
    }

    pub async fn owns(&self, pad: &str) -> bool {
        self.health().await["cluster"]["ownedPads"]
            .as_array()
            .is_some_and(|pads| pads.iter().any(|p| p == pad))
    }

    pub fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // kill(1): the workspace forbids the unsafe code libc's kill(2) would need.
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "kill -{signal} {pid}");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `check` holds, polling; panics with `what` after `limit`.
pub async fn until<F: std::future::Future<Output = bool>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// One random keystroke by one of `clients`.
pub async fn type_one(rng: &mut StdRng, clients: &mut [Client]) {
    let i = rng.random_range(0..clients.len());
    let c = &mut clients[i];
    let at = rng.random_range(0..=c.text_len());
    c.insert(at, &char::from(rng.random_range(b'a'..=b'z')).to_string())
        .await;
}

/// The text every replica must reach: all of their edits merged.
pub fn union(clients: &[Client]) -> String {
    let mut all = Client::new(1);
    for c in clients {
        all.merge(&c.diff(&[0]));
    }
    all.text()
}

/// A counter or gauge from the node's `/metrics`.
pub async fn metric(node: &Node, name: &str) -> f64 {
    let text = node.get("/metrics").await.1;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// The pad's stored revisions are 1..=n, each once.
pub fn assert_dense(database: &str, pad: &str) -> u64 {
    let store = PgStore::open(database).unwrap();
    let revs: Vec<u64> = store
        .log(pad, 1, u64::MAX)
        .unwrap()
        .iter()
        .map(|e| e.rev)
        .collect();
    assert_eq!(
        revs,
        (1..=revs.len() as u64).collect::<Vec<_>>(),
        "pad {pad}"
    );
    revs.len() as u64
}

/// Every node exports `text` as Markdown and counts as many revisions as the database's dense
/// log holds, once the owner's last commit is in.
pub async fn assert_nodes_agree(database: &str, nodes: &[&Node], pad: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stored = assert_dense(database, pad);
        let mut seen = Vec::new();
        for node in nodes {
            let (_, md) = node.get(&format!("/p/{pad}/export/md")).await;
            let (_, meta) = node.get(&format!("/api/v1/pads/{pad}")).await;
            let meta: serde_json::Value = serde_json::from_str(&meta).unwrap_or_default();
            seen.push((node.addr.clone(), md, meta["revisions"].clone()));
        }
        if seen
            .iter()
            .all(|(_, md, revs)| md.trim_end() == text.trim_end() && *revs == stored)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "nodes disagree on {pad}: {seen:?}, expected {text:?} at {stored} revisions"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
