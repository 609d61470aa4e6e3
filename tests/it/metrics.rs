//! `/metrics` serves Prometheus's text format, and editing a pad moves its counters.

use std::collections::HashMap;

use ypad_tests::{Client, TestServer};

/// Every sample of a scrape, by name (with its labels, if any).
async fn scrape(server: &TestServer) -> HashMap<String, f64> {
    let resp = reqwest::get(server.http_url("/metrics")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let body = resp.text().await.unwrap();
    body.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').expect("a sample line");
            (name.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

#[tokio::test]
async fn editing_a_pad_moves_the_counters() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let before = scrape(&server).await;
    assert_eq!(before["ypad_store_healthy"], 1.0);
    assert_eq!(before["ypad_connections"], 0.0);
    assert_eq!(before["ypad_pads_loaded"], 0.0);
    assert_eq!(before["ypad_commit_batch_seconds_count"], 0.0);

    let url = server.ws_url("counted");
    let mut alice = Client::connect(&url, 1).await;
    let mut bob = Client::connect(&url, 2).await;
    alice.insert(0, "hello").await;
    bob.wait_text("hello").await;
    alice.insert(5, " world").await;
    bob.wait_text("hello world").await;
    // Reading the pad's metadata waits until its revisions are durable: a group commit ran.
    let (status, _) = server.get_json("/api/v1/pads/counted").await;
    assert_eq!(status, 200);

    let after = scrape(&server).await;
    let moved = |name: &str| after[name] - before[name];
    assert_eq!(after["ypad_connections"], 2.0);
    assert_eq!(after["ypad_pads_loaded"], 1.0);
    assert_eq!(moved("ypad_updates_accepted_total"), 2.0);
    // Both updates went to bob; awareness, had there been any, would add to it.
    assert!(moved("ypad_fanout_frames_total") >= 2.0);
    assert!(moved("ypad_commit_batch_seconds_count") >= 1.0);
    assert!(after["ypad_commit_batch_seconds_sum"] > 0.0);
    assert_eq!(after["ypad_store_healthy"], 1.0);
    server.stop().await;
}
