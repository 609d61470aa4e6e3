//! Pads survive restarts, eviction, and checkpoints.

use std::time::Duration;

use ypad_server::Config;
use ypad_tests::{Client, TestServer};

#[tokio::test]
async fn graceful_restart_keeps_every_pad() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    for (i, pad) in ["alpha", "beta", "gamma"].iter().enumerate() {
        let mut c = Client::connect(&server.ws_url(pad), i as u64 + 1).await;
        c.insert(0, &format!("{pad} notes")).await;
        c.insert(0, "* ").await;
        // Still connected at shutdown: the server must flush what it accepted before exiting.
    }
    let server = server.restart().await;
    for pad in ["alpha", "beta", "gamma"] {
        let c = Client::connect(&server.ws_url(pad), 50).await;
        assert_eq!(c.text(), format!("* {pad} notes"));
    }
    let (_, list) = server
        .get_json(&format!("/api/v1/pads?apikey={}", server.api_key()))
        .await;
    let ids: Vec<&str> = list["pads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let (_, meta) = server.get_json("/api/v1/pads/alpha").await;
    assert_eq!(meta["revisions"], 2);
    server.stop().await;
}

#[tokio::test]
async fn checkpoints_and_eviction_keep_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.history_block_len = 7;
    config.idle_evict = Duration::ZERO;
    config.sweep_every = Duration::from_millis(20);
    let server = TestServer::start_with(config).await;
    let url = server.ws_url("long");
    let mut c = Client::connect(&url, 1).await;
    let mut expected = String::new();
    for i in 0..50u32 {
        let ch = char::from(b'a' + (i % 26) as u8);
        c.insert(i, &ch.to_string()).await;
        expected.push(ch);
    }
    let mut probe = Client::connect(&url, 2).await;
    probe.wait_text(&expected).await;
    drop(c);
    drop(probe);
    // The pad is evicted once idle and durable; wait for that through /health.
    ypad_tests::within("eviction", async {
        loop {
            let (_, h) = server.get_json("/health").await;
            if h["pads"] == 0 && h["connections"] == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    let again = Client::connect(&url, 3).await;
    assert_eq!(again.text(), expected);
    let server = server.restart().await;
    let (_, meta) = server.get_json("/api/v1/pads/long").await;
    assert_eq!(meta["revisions"], 50);
    assert_eq!(
        server.text("long").await.as_deref(),
        Some(expected.as_str())
    );
    server.stop().await;
}
