//! The cluster's database stops under load and starts again: `/health` says so on every node,
//! edits are refused meanwhile (1013), and nothing accepted before is lost.
//!
//! Alone in its test binary: it stops the test command's PostgreSQL, which no other test may
//! be using meanwhile (test binaries run one after another).

use std::time::Duration;

use ypad_tests::Client;

mod common;

use common::cluster::{Node, assert_nodes_agree, union, until};

/// Starts the database again when dropped, whatever the test did.
struct Outage;

impl Outage {
    fn begin() -> Outage {
        shell("YPAD_TEST_PG_STOP");
        Outage
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        shell("YPAD_TEST_PG_START");
    }
}

/// Runs the shell command the test command put in `var` (see `tests/pg.sh`).
fn shell(var: &str) {
    let command = std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run the tests through `bash tests/run.sh`"));
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{command}");
}

async fn healthy(node: &Node) -> bool {
    node.get("/health").await.0 == 200
}

#[tokio::test]
async fn a_database_outage_refuses_edits_and_loses_nothing_accepted() {
    const TTL_MS: u64 = 1000;
    let database = ypad_store::pg_testing::fresh_database();
    let a = Node::start(&database, TTL_MS);
    let b = Node::start(&database, TTL_MS);
    let mut on_a = Client::connect(&a.ws("outage"), 1).await;
    until("a to own the pad", Duration::from_secs(5), || {
        a.owns("outage")
    })
    .await;
    let mut on_b = Client::connect(&b.ws("outage"), 2).await;
    // Typed right up to the outage: the last of it may still be on its way to the database.
    for i in 0..30u32 {
        on_a.insert(i, "a").await;
        on_b.insert(0, "b").await;
    }
    let mut clients = vec![on_a, on_b];
    let accepted = union(&clients);
    for cl in &mut clients {
        cl.wait_text(&accepted).await;
    }

    let outage = Outage::begin();
    for node in [&a, &b] {
        until(
            "/health to say the database is gone",
            Duration::from_secs(10),
            || async { !healthy(node).await },
        )
        .await;
    }
    let (_, health) = a.get("/health").await;
    assert!(health.contains("\"leaseLive\":false"), "{health}");
    // An edit now is refused, not accepted and lost: the connection closes with 1013.
    clients[0].insert(0, "R").await;
    assert_eq!(clients[0].wait_closed().await, Some(1013));
    // Longer than the lease: every node's lease lapses while the database is away.
    tokio::time::sleep(Duration::from_millis(TTL_MS * 2)).await;
    drop(outage);

    for node in [&a, &b] {
        until("/health to recover", Duration::from_secs(15), || {
            healthy(node)
        })
        .await;
    }
    clients[0].reconnect(&a.ws("outage")).await;
    let expected = union(&clients);
    assert!(
        expected.contains('R'),
        "the refused edit stays with its client and syncs now"
    );
    for cl in &mut clients {
        cl.wait_text(&expected).await;
    }
    assert_nodes_agree(&database, &[&a, &b], "outage", &expected).await;
}
