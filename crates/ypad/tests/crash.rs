//! `kill -9` under load: what clients saw from the server survives, and clients that
//! reconnect converge with nothing lost or doubled.

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ypad_tests::Client;

mod common;

/// Revisions are durable within this long of being accepted (the group commit's bound).
const DURABLE_WITHIN: Duration = Duration::from_millis(100);

fn start(data: &Path) -> (Child, String) {
    common::serve(data)
}

#[tokio::test]
async fn kill_9_loses_nothing_clients_had_seen() {
    let seed: u64 = rand::random();
    println!("crash seed: {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let data = tempfile::tempdir().unwrap();
    let (mut server, addr) = start(data.path());
    let url = format!("ws://{addr}/ws/crash");
    let mut typists = Vec::new();
    for i in 0..3 {
        typists.push(Client::connect(&url, 500 + i).await);
    }
    let mut probe = Client::connect(&url, 999).await;
    // A first burst, fully seen by the probe: it must survive the kill.
    for _ in 0..150 {
        let t = &mut typists[rng.random_range(0..3)];
        let at = rng.random_range(0..=t.text_len());
        t.insert(at, &char::from(rng.random_range(b'a'..=b'z')).to_string())
            .await;
    }
    let mut union = Client::new(1);
    for t in &typists {
        union.merge(&t.diff(&[0]));
    }
    let seen = union.text();
    probe.wait_text(&seen).await;
    tokio::time::sleep(DURABLE_WITHIN + Duration::from_millis(50)).await;
    // A second burst still in flight when the server dies.
    for _ in 0..50 {
        let t = &mut typists[rng.random_range(0..3)];
        let at = rng.random_range(0..=t.text_len());
        t.insert(at, "Z").await;
    }
    // SIGKILL: no flush, no goodbye.
    server.kill().unwrap();
    server.wait().unwrap();

    let (mut server, addr) = start(data.path());
    let url = format!("ws://{addr}/ws/crash");
    let fresh = Client::connect(&url, 1234).await;
    let restored = fresh.text();
    // Everything seen before the kill is there, in order (later edits only add "Z"s).
    assert_eq!(restored.replace('Z', ""), seen, "seed {seed}");

    // The typists reconnect and resync: every replica converges on the union of all edits.
    let mut expected = Client::new(2);
    for t in &typists {
        expected.merge(&t.diff(&[0]));
    }
    let expected = expected.text();
    for t in &mut typists {
        t.reconnect(&url).await;
    }
    for t in &mut typists {
        t.wait_text(&expected).await;
    }
    assert_eq!(
        expected.matches('Z').count(),
        50,
        "nothing doubled, nothing lost"
    );
    let mut last = Client::connect(&url, 4321).await;
    last.wait_text(&expected).await;
    server.kill().unwrap();
    server.wait().unwrap();
}
