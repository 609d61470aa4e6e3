//! `GET /api/v1/changes`: a script following the feed during a burst of edits sees each pad
//! once per answer, never twice at one head, and ends at every pad's head; a waiting request
//! wakes on the next commit; the feed needs the API key. Over sled and over a two-node
//! PostgreSQL cluster.

use std::collections::HashMap;

use ypad_server::Config;
use ypad_tests::{Client, TestServer, within};

/// Pads edited in the burst, and keystrokes into each.
const PADS: [&str; 3] = ["burst-a", "burst-b", "burst-c"];
const KEYSTROKES: usize = 40;

async fn changes(server: &TestServer, since: u64, timeout: f64) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .get(server.http_url(&format!(
            "/api/v1/changes?since={since}&timeout={timeout}&limit=2"
        )))
        .header("apikey", server.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

/// Two nodes on one fresh PostgreSQL database, each with its data directory (kept by the caller).
async fn two_postgresql_nodes() -> ([tempfile::TempDir; 2], [TestServer; 2]) {
    let url = ypad_store::pg_testing::fresh_database();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let start = |dir: &tempfile::TempDir| {
        let mut config = Config::new(dir.path());
        config.database_url = Some(url.clone());
        TestServer::start_with(config)
    };
    let nodes = [start(&dirs[0]).await, start(&dirs[1]).await];
    (dirs, nodes)
}

/// Until a request waits on `server`'s feed.
async fn until_waiting(server: &TestServer) {
    within("a request to wait on the feed", async {
        while server.get_json("/health").await.1["feedWaiting"] != 1 {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// Follows the feed from `since` until every pad of `heads` was seen at its head; checks that
/// no answer lists a pad twice and no pad is seen twice at one head. Returns the cursor.
async fn follow_until(server: &TestServer, mut since: u64, heads: &HashMap<String, u64>) -> u64 {
    let mut seen: HashMap<String, u64> = HashMap::new();
    while heads.iter().any(|(pad, head)| seen.get(pad) != Some(head)) {
        let page = changes(server, since, 1.0).await;
        let mut in_page = Vec::new();
        for change in page["changes"].as_array().unwrap() {
            let pad = change["pad"].as_str().unwrap().to_owned();
            let head = change["head"].as_u64().unwrap();
            assert!(!in_page.contains(&pad), "{pad} twice in one answer: {page}");
            if let Some(before) = seen.insert(pad.clone(), head) {
                assert!(before < head, "{pad} seen again at {head} after {before}");
            }
            in_page.push(pad);
        }
        let next = page["next"].as_u64().unwrap();
        assert!(next >= since);
        since = next;
    }
    since
}

/// Types into each pad through `nodes` (pad i on node i mod n) while a follower reads the feed
/// from `nodes[0]`.
async fn burst_is_seen_once_at_its_head(nodes: &[TestServer]) {
    let follower_node = &nodes[0];
    let start = changes(follower_node, 0, 0.0).await["next"]
        .as_u64()
        .unwrap();

    let mut typists = Vec::new();
    for (i, pad) in PADS.iter().enumerate() {
        let url = nodes[i % nodes.len()].ws_url(pad);
        typists.push(tokio::spawn(async move {
            let mut c = Client::connect(&url, 10 + i as u64).await;
            for k in 0..KEYSTROKES {
                c.insert(k as u32, "x").await;
            }
            // A second connection seeing every keystroke means the server has them all.
            Client::connect(&url, 90 + i as u64)
                .await
                .wait_text(&"x".repeat(KEYSTROKES))
                .await;
        }));
    }
    for t in typists {
        within("typing", t).await.unwrap();
    }
    let mut heads = HashMap::new();
    for (i, pad) in PADS.iter().enumerate() {
        let (_, meta) = nodes[i % nodes.len()]
            .get_json(&format!("/api/v1/pads/{pad}"))
            .await;
        heads.insert(pad.to_string(), meta["revisions"].as_u64().unwrap());
    }
    assert_eq!(heads["burst-a"], KEYSTROKES as u64);

    let cursor = within("the feed to reach every head", async {
        follow_until(follower_node, start, &heads).await
    })
    .await;
    // Caught up: nothing more to tell.
    let rest = changes(follower_node, cursor, 0.0).await;
    assert_eq!(rest["changes"], serde_json::json!([]), "{rest}");
    assert_eq!(rest["next"].as_u64(), Some(cursor));

    // A request waiting on an idle feed wakes for the next commit, long before its timeout
    // (the `within` bound is shorter than the timeout asked for).
    let waiting = changes(follower_node, cursor, 55.0);
    let edit = async {
        let mut c = Client::connect(&follower_node.ws_url("burst-a"), 77).await;
        c.insert(0, "y").await;
        // Held open until the answer came, so the edit is not lost to a closed socket.
        c
    };
    let (woken, _client) = within("the long poll to wake", async {
        tokio::join!(waiting, edit)
    })
    .await;
    let list = woken["changes"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{woken}");
    assert_eq!(list[0]["pad"], "burst-a");
    assert_eq!(list[0]["head"].as_u64(), Some(KEYSTROKES as u64 + 1));
}

#[tokio::test]
async fn a_follower_sees_a_burst_once_at_its_head_over_sled() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    burst_is_seen_once_at_its_head(std::slice::from_ref(&server)).await;
    server.stop().await;
}

#[tokio::test]
async fn a_follower_sees_both_nodes_of_a_postgresql_cluster() {
    let (_dirs, nodes) = two_postgresql_nodes().await;
    burst_is_seen_once_at_its_head(&nodes).await;
    for node in nodes {
        node.stop().await;
    }
}

/// A reader waiting on one node wakes for a commit on another: each commit to the feed is
/// announced through PostgreSQL, so the wait ends with the change, not with its timeout.
#[tokio::test]
async fn a_waiting_reader_wakes_for_another_nodes_commit() {
    let (_dirs, [reader_node, writer_node]) = two_postgresql_nodes().await;
    let since = changes(&reader_node, 0, 0.0).await["next"]
        .as_u64()
        .unwrap();
    // Longer than `within` allows: only a wake-up ends it in time.
    let waiting = changes(&reader_node, since, 55.0);
    let write = async {
        // Written once the reader waits, so that the wait has to end for it.
        until_waiting(&reader_node).await;
        writer_node
            .api_ok("createPad", &[("padID", "elsewhere"), ("text", "hi")])
            .await
    };
    let (page, _) = within(
        "the waiting reader to hear of the other node's commit",
        async { tokio::join!(waiting, write) },
    )
    .await;
    assert_eq!(page["changes"][0]["pad"], "elsewhere", "{page}");
    reader_node.stop().await;
    writer_node.stop().await;
}

#[tokio::test]
async fn the_feed_needs_the_api_key_and_a_sane_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (status, body) = server.get_json("/api/v1/changes?since=0").await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = server
        .get_json(&format!(
            "/api/v1/changes?since=0&apikey={}&timeout=-1",
            server.api_key()
        ))
        .await;
    assert_eq!(status, 400);
    let (status, body) = server
        .get_json(&format!("/api/v1/changes?apikey={}", server.api_key()))
        .await;
    assert_eq!((status, &body["changes"]), (200, &serde_json::json!([])));
    server.stop().await;
}

/// Revisions written to the store directly, not through group commit (a copy), are changes
/// too, and wake a waiting request.
#[tokio::test]
async fn a_copy_is_a_change_and_wakes_a_waiting_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    server
        .api_ok("createPad", &[("padID", "original"), ("text", "hello")])
        .await;
    let cursor = within("the pad in the feed", async {
        loop {
            let page = changes(&server, 0, 5.0).await;
            if let Some(c) = page["changes"].as_array().unwrap().first() {
                assert_eq!(c["pad"], "original");
                return page["next"].as_u64().unwrap();
            }
        }
    })
    .await;
    let waiting = changes(&server, cursor, 55.0);
    let copy = async {
        until_waiting(&server).await;
        server
            .api_ok(
                "copyPad",
                &[("sourceID", "original"), ("destinationID", "copied")],
            )
            .await
    };
    let (woken, _) = within("the copy to wake the request", async {
        tokio::join!(waiting, copy)
    })
    .await;
    let list = woken["changes"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{woken}");
    assert_eq!(list[0]["pad"], "copied");
    server.stop().await;
}
