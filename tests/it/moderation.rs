//! Moderators lock, unlock and delete pads: a lock reaches open editors at once and refuses
//! their writes, holds across a restart, can be scheduled, and only moderators may set it.

use std::time::Duration;

use serde_json::{Value, json};
use ypad_server::Config;

use ypad_tests::{Client, Event, TestServer, within};

const ALICE: &str = "t.a11ce000000000000000000000000000";
const BOB: &str = "t.b0b00000000000000000000000000000";

/// A native API call with a browser's identity cookie (or none).
async fn call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, server.http_url(path));
    if let Some(token) = token {
        request = request.header("cookie", format!("ypad_token={token}"));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let resp = request.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Pumps frames until the server says writes are refused.
async fn wait_denied(client: &mut Client) {
    within("the lock notice", async {
        loop {
            match client.next_event().await {
                Event::Auth => return,
                Event::Closed(code) => panic!("closed ({code:?}) before the lock notice"),
                _ => {}
            }
        }
    })
    .await;
}

/// Alice made the pad (her first revision makes her its moderator); Bob edits it too.
async fn alice_and_bob(server: &TestServer, pad: &str) -> (Client, Client, Client) {
    let mut alice = Client::connect_as(&server.ws_url(pad), 1, ALICE).await;
    alice.insert(0, "agenda").await;
    let mut probe = Client::connect(&server.ws_url(pad), 9).await;
    probe.wait_text("agenda").await;
    let mut bob = Client::connect_as(&server.ws_url(pad), 2, BOB).await;
    bob.insert(6, " and notes").await;
    probe.wait_text("agenda and notes").await;
    (alice, bob, probe)
}

#[tokio::test]
async fn a_lock_refuses_other_editors_at_once_and_holds_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (mut alice, mut bob, mut probe) = alice_and_bob(&server, "session-1").await;

    // Only the moderator may lock.
    let lock = json!({ "locked": true });
    for token in [None, Some(BOB)] {
        let (status, _) = call(
            &server,
            reqwest::Method::PUT,
            "/api/v1/pads/session-1/lock",
            token,
            Some(lock.clone()),
        )
        .await;
        assert_eq!(status, 403, "{token:?}");
    }
    let (_, state) = call(
        &server,
        reqwest::Method::GET,
        "/api/v1/pads/session-1/lock",
        Some(BOB),
        None,
    )
    .await;
    assert_eq!(
        (state["locked"].clone(), state["moderator"].clone()),
        (json!(false), json!(false))
    );
    let (status, state) = call(
        &server,
        reqwest::Method::PUT,
        "/api/v1/pads/session-1/lock",
        Some(ALICE),
        Some(lock),
    )
    .await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["locked"], json!(true));

    // Bob's open editor hears of it, and what he sends anyway is refused; Alice still writes.
    wait_denied(&mut bob).await;
    bob.insert(0, "BOB ").await;
    alice.insert(0, "# ").await;
    probe.wait_text("# agenda and notes").await;
    // The chat stays open over HTTP; locked with the pad, it closes to all but the moderator.
    let chat = |token: &'static str, text: &'static str| {
        call(
            &server,
            reqwest::Method::POST,
            "/api/v1/pads/session-1/chat",
            Some(token),
            Some(json!({ "text": text })),
        )
    };
    assert_eq!(chat(BOB, "can we reopen it?").await.0, 200);
    let (status, _) = call(
        &server,
        reqwest::Method::PUT,
        "/api/v1/pads/session-1/lock",
        Some(ALICE),
        Some(json!({ "locked": true, "chat": true })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(chat(BOB, "hello?").await.0, 403);
    assert_eq!(chat(ALICE, "after lunch").await.0, 200);
    let history = server
        .api_ok("getChatHistory", &[("padID", "session-1")])
        .await;
    let said: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(said, ["can we reopen it?", "after lunch"]);
    let (_, api) = server.api("getPadLock", &[("padID", "session-1")]).await;
    assert_eq!(api["data"]["locked"], json!(true));
    assert!(api["data"]["by"].as_str().unwrap().starts_with("a."));

    // The lock is stored: after a restart Bob is told at once and still refused.
    drop((alice, bob, probe));
    let server = server.restart().await;
    let mut bob = Client::connect_as(&server.ws_url("session-1"), 3, BOB).await;
    wait_denied(&mut bob).await;
    bob.insert(0, "again ").await;
    let mut alice = Client::connect_as(&server.ws_url("session-1"), 4, ALICE).await;
    alice.insert(0, "!").await;
    let mut probe = Client::connect(&server.ws_url("session-1"), 10).await;
    probe.wait_text("!# agenda and notes").await;

    // Unlocked: Bob is asked to reconnect, and then writes again.
    let (status, _) = call(
        &server,
        reqwest::Method::PUT,
        "/api/v1/pads/session-1/lock",
        Some(ALICE),
        Some(json!({ "locked": false })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bob.wait_closed().await, Some(4000));
    let mut bob = Client::connect_as(&server.ws_url("session-1"), 5, BOB).await;
    bob.insert(0, "ok ").await;
    probe.wait_text("ok !# agenda and notes").await;

    // Both changes show in the pad's history.
    let (_, revisions) = server.get_json("/api/v1/pads/session-1/revisions").await;
    let locks: Vec<bool> = revisions["locks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["locked"].as_bool().unwrap())
        .collect();
    assert_eq!(locks, vec![true, true, false]);
    server.stop().await;
}

#[tokio::test]
async fn a_scheduled_lock_takes_hold_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.sweep_every = Duration::from_millis(20);
    let server = TestServer::start_with(config).await;
    let (_alice, mut bob, mut probe) = alice_and_bob(&server, "keynote").await;
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 300;
    let at = at.to_string();
    let data = server
        .api_ok("lockPad", &[("padID", "keynote"), ("lockAt", &at)])
        .await;
    assert_eq!(data["locked"], json!(false));
    wait_denied(&mut bob).await;
    bob.insert(0, "late ").await;
    // A write accepted after this one would show it; the probe sees only the API's append.
    server
        .api_ok("appendText", &[("padID", "keynote"), ("text", "!")])
        .await;
    probe.wait_text("agenda and notes!").await;
    assert_eq!(
        server.api_ok("getPadLock", &[("padID", "keynote")]).await["locked"],
        json!(true)
    );
    server.stop().await;
}

#[tokio::test]
async fn only_moderators_import_into_a_locked_pad_or_delete_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (_alice, _bob, _probe) = alice_and_bob(&server, "retro").await;
    server.api_ok("lockPad", &[("padID", "retro")]).await;
    let import = |token: &'static str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"replaced".to_vec()).file_name("new.txt"),
        );
        reqwest::Client::new()
            .post(server.http_url("/p/retro/import"))
            .header("cookie", format!("ypad_token={token}"))
            .multipart(form)
            .send()
    };
    assert_eq!(import(BOB).await.unwrap().status(), 403);
    assert_eq!(
        server.text("retro").await.as_deref(),
        Some("agenda and notes")
    );
    assert_eq!(import(ALICE).await.unwrap().status(), 200);
    assert_eq!(server.text("retro").await.as_deref(), Some("replaced"));

    for token in [None, Some(BOB)] {
        let (status, _) = call(
            &server,
            reqwest::Method::DELETE,
            "/api/v1/pads/retro",
            token,
            None,
        )
        .await;
        assert_eq!(status, 403);
    }
    let meta = server.get_json("/api/v1/pads/retro").await.1;
    let ro = meta["readOnlyId"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        &format!("/api/v1/pads/{ro}"),
        Some(ALICE),
        None,
    )
    .await;
    assert_eq!(status, 403, "not through a read-only link");
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        "/api/v1/pads/retro",
        Some(ALICE),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(server.get_json("/api/v1/pads/retro").await.0, 404);
    server.stop().await;
}

/// The authorship map names the pad's creator, whose caret the presenter view follows: Alice's
/// client, not Bob's, even after Bob wrote last.
#[tokio::test]
async fn the_authorship_map_names_the_creator() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (_alice, _bob, _probe) = alice_and_bob(&server, "presented").await;
    let (status, map) = call(
        &server,
        reqwest::Method::GET,
        "/api/v1/pads/presented/authorship",
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let creator = map["creator"].as_str().expect("a creator");
    assert_eq!(map["clients"]["1"].as_str(), Some(creator), "{map}");
    assert_ne!(map["clients"]["2"].as_str(), Some(creator), "{map}");
    server.stop().await;
}
