//! Stock-protocol behaviour: convergence, late joiners, awareness, read-only links.

use ypad_tests::{Client, Event, TestServer};

#[tokio::test]
async fn two_clients_converge() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("two");
    let mut a = Client::connect(&url, 1).await;
    let mut b = Client::connect(&url, 2).await;
    a.insert(0, "hello").await;
    b.wait_text("hello").await;
    b.insert(5, " world").await;
    a.wait_text("hello world").await;
    assert_eq!(server.text("two").await.as_deref(), Some("hello world"));
    server.stop().await;
}

#[tokio::test]
async fn late_joiner_receives_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("late");
    let mut a = Client::connect(&url, 1).await;
    a.insert(0, "notes so far").await;
    a.insert(0, "# ").await;
    // The handshake completing is what proves the server holds the text, not a timer.
    let mut probe = Client::connect(&url, 3).await;
    probe.wait_text("# notes so far").await;
    let late = Client::connect(&url, 2).await;
    assert_eq!(late.text(), "# notes so far");
    server.stop().await;
}

#[tokio::test]
async fn awareness_reaches_everyone_and_leaves_with_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("aw");
    let mut a = Client::connect(&url, 11).await;
    let mut b = Client::connect(&url, 12).await;
    a.send_awareness(1, r#"{"user":{"name":"Ann"}}"#).await;
    // Broadcast to every connection, the sender included.
    assert!(contains(&a.wait_awareness().await, "Ann"));
    assert!(contains(&b.wait_awareness().await, "Ann"));
    // A newcomer is greeted with the states already known.
    let mut c = Client::new(13);
    c.reconnect(&url).await;
    a.disconnect();
    let removal = b.wait_awareness().await;
    assert!(contains(&removal, "null"), "removal announced: {removal:?}");
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn query_awareness_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("q");
    let mut a = Client::connect(&url, 21).await;
    a.send_awareness(1, r#"{"user":{"name":"Q"}}"#).await;
    a.wait_awareness().await;
    a.send_raw(vec![3]).await;
    assert!(contains(&a.wait_awareness().await, "\"Q\""));
    server.stop().await;
}

#[tokio::test]
async fn read_only_link_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut writer = Client::connect(&server.ws_url("ro-pad"), 1).await;
    writer.insert(0, "moderator notes").await;
    let mut probe = Client::connect(&server.ws_url("ro-pad"), 9).await;
    probe.wait_text("moderator notes").await;
    let (status, meta) = server.get_json("/api/v1/pads/ro-pad").await;
    assert_eq!(status, 200);
    let ro = meta["readOnlyId"].as_str().unwrap().to_owned();
    assert!(ro.starts_with("r."));

    let mut reader = Client::connect(&server.ws_url(&ro), 2).await;
    assert_eq!(reader.text(), "moderator notes");
    reader.insert(0, "vandal ").await;
    assert_eq!(
        tokio::time::timeout(ypad_tests::WAIT, reader.next_event())
            .await
            .unwrap(),
        Event::Auth
    );
    // The writer's next edit arrives at the reader; the vandal's never reached the pad.
    writer.insert(15, "!").await;
    probe.wait_text("moderator notes!").await;
    assert_eq!(
        server.text("ro-pad").await.as_deref(),
        Some("moderator notes!")
    );
    server.stop().await;
}

#[tokio::test]
async fn invalid_pad_ids_are_refused_before_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let long = "x".repeat(51);
    for bad in [
        "a%2Fb",
        "g.x%24y",
        "a%00b",
        "..",
        long.as_str(),
        "r.unknown",
    ] {
        let err = tokio_tungstenite::connect_async(server.ws_url(bad))
            .await
            .expect_err(bad);
        let status = match err {
            tokio_tungstenite::tungstenite::Error::Http(resp) => resp.status().as_u16(),
            other => panic!("{bad}: {other}"),
        };
        let expected = if bad.starts_with("r.") { 404 } else { 400 };
        assert_eq!(status, expected, "{bad}");
    }
    // Percent-encoded names that are valid pad ids work.
    let mut ok = Client::connect(&server.ws_url("caf%C3%A9%20notes"), 1).await;
    ok.insert(0, "é").await;
    let mut probe = Client::connect(&server.ws_url("caf%C3%A9%20notes"), 2).await;
    probe.wait_text("é").await;
    assert_eq!(server.text("café notes").await.as_deref(), Some("é"));
    server.stop().await;
}

#[tokio::test]
async fn health_reports_pads_and_connections() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let _a = Client::connect(&server.ws_url("h1"), 1).await;
    let _b = Client::connect(&server.ws_url("h2"), 2).await;
    let (status, health) = server.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["pads"], 2);
    assert_eq!(health["connections"], 2);
    server.stop().await;
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
