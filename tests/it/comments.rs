//! Comment threads in the pad document: who may write them (not a read-only link, not a locked
//! pad's non-moderators), and how they leave and enter (footnotes in the Markdown and HTML
//! exports, ep_comments_page's records in `.etherpad` files), across a restart.

use serde_json::{Value, json};
use ypad_core::comments::{self, COMMENTS_NAME, NewThread, Reply, Thread};
use ypad_core::protocol;
use yrs::{GetString, Transact};

use ypad_tests::{Client, Event, TestServer, within};

const ALICE: &str = "t.a11ce000000000000000000000000000";
const BOB: &str = "t.b0b00000000000000000000000000000";

fn reply(name: &str, text: &str, time: u64) -> Reply {
    Reply {
        id: format!("{name}-{time}"),
        text: text.into(),
        name: Some(name.into()),
        color: Some("#336699".into()),
        time,
        author_id: None,
    }
}

/// Starts a thread on the first `quote` in the client's text, as a stock Yjs client would
/// write it, and sends the update.
async fn comment(client: &mut Client, id: &str, quote: &str, text: &str, more: &[Reply]) {
    let update = {
        let whole = client.text.get_string(&client.doc.transact());
        let at = whole.find(quote).expect("the quote is in the text");
        let start = whole[..at].encode_utf16().count() as u32;
        let end = start + quote.encode_utf16().count() as u32;
        let map = client.doc.get_or_insert_map(COMMENTS_NAME);
        let mut txn = client.doc.transact_mut();
        let thread = NewThread {
            id: id.into(),
            range: Some((start, end)),
            quote: None,
            first: reply("Ada", text, 1_700_000_000_000),
            replies: more.to_vec(),
            resolved: false,
        };
        comments::add(&map, &client.text, &mut txn, &thread).expect("a range in the text");
        txn.encode_update_v1()
    };
    client
        .send_raw(protocol::encode_update(&update).to_vec())
        .await;
}

fn threads(client: &Client) -> Vec<Thread> {
    let map = client.doc.get_or_insert_map(COMMENTS_NAME);
    comments::read(&map, &client.text, &client.doc.transact())
}

/// Pumps frames until the client holds `n` threads.
async fn wait_threads(client: &mut Client, n: usize) -> Vec<Thread> {
    within(&format!("{n} comment threads"), async {
        loop {
            let now = threads(client);
            if now.len() == n {
                return now;
            }
            if let Event::Closed(code) = client.next_event().await {
                panic!("closed ({code:?}) waiting for comments");
            }
        }
    })
    .await
}

async fn wait_denied(client: &mut Client) {
    within("writes refused", async {
        loop {
            match client.next_event().await {
                Event::Auth => return,
                Event::Closed(code) => panic!("closed ({code:?}) before the refusal"),
                _ => {}
            }
        }
    })
    .await;
}

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let resp = reqwest::get(server.http_url(path)).await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn import(server: &TestServer, pad: &str, file: &str, body: Vec<u8>) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(body).file_name(file.to_owned()),
    );
    let resp = reqwest::Client::new()
        .post(server.http_url(&format!("/p/{pad}/import")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn read_only_links_and_locked_pads_refuse_comments_as_they_refuse_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("review");
    let mut alice = Client::connect_as(&url, 1, ALICE).await;
    alice.insert(0, "agenda and notes").await;
    let mut probe = Client::connect(&url, 9).await;
    probe.wait_text("agenda and notes").await;
    let mut bob = Client::connect_as(&url, 2, BOB).await;

    // A read-only link's comment is dropped, and the reader told so.
    let ro = server.get_json("/api/v1/pads/review").await.1["readOnlyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut reader = Client::connect(&server.ws_url(&ro), 3).await;
    comment(&mut reader, "c-reader", "agenda", "reader was here", &[]).await;
    wait_denied(&mut reader).await;

    // Alice locks the pad: Bob's comment is refused, the moderator's goes through.
    let resp = reqwest::Client::new()
        .put(server.http_url("/api/v1/pads/review/lock"))
        .header("cookie", format!("ypad_token={ALICE}"))
        .json(&json!({ "locked": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    wait_denied(&mut bob).await;
    comment(&mut bob, "c-bob", "notes", "bob during the lock", &[]).await;
    comment(&mut alice, "c-alice", "notes", "the moderator's note", &[]).await;
    let seen = wait_threads(&mut probe, 1).await;
    assert_eq!(seen[0].id, "c-alice");

    let (_, md) = get(&server, "/p/review/export/markdown?comments=1").await;
    assert!(md.contains("the moderator's note"), "{md}");
    assert!(!md.contains("reader was here"), "{md}");
    assert!(!md.contains("bob during the lock"), "{md}");
    server.stop().await;
}

#[tokio::test]
async fn comments_export_as_footnotes_survive_a_restart_and_travel_in_etherpad_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("plan");
    let mut ada = Client::connect(&url, 1).await;
    ada.insert(0, "# Plan\n\nShip on Friday.\n").await;
    comment(
        &mut ada,
        "c-friday",
        "Friday",
        "Is <b>Friday</b> a holiday?",
        &[reply("Bob", "Monday then.", 1_700_000_060_000)],
    )
    .await;
    let mut probe = Client::connect(&url, 9).await;
    let seen = wait_threads(&mut probe, 1).await;
    assert_eq!(seen[0].range, Some((16, 22)));

    let server = server.restart().await;
    let (status, md) = get(&server, "/p/plan/export/markdown?comments=1").await;
    assert_eq!(status, 200);
    assert!(
        md.starts_with("# Plan\n\nShip on Friday[^comment-1].\n"),
        "{md}"
    );
    assert!(md.contains("[^comment-1]: On “Friday”:"), "{md}");
    assert!(
        md.contains("**Bob**, Tue, 14 Nov 2023 22:14:20 GMT:\n    Monday then."),
        "{md}"
    );
    let (_, plain) = get(&server, "/p/plan/export/markdown").await;
    assert_eq!(plain, "# Plan\n\nShip on Friday.\n");
    let (status, _) = get(&server, "/p/plan/export/markdown?comments=maybe").await;
    assert_eq!(status, 400);

    let (_, html) = get(&server, "/p/plan/export/html?comments=1").await;
    assert!(html.contains("footnote-reference"), "{html}");
    assert!(
        html.contains("Is &lt;b&gt;Friday&lt;/b&gt; a holiday?"),
        "{html}"
    );
    assert!(!html.contains("<b>Friday"), "{html}");

    // An .etherpad export carries the thread in ep_comments_page's records, and brings it
    // into another pad.
    let (_, file) = get(&server, "/p/plan/export/etherpad").await;
    let records: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(
        records["comments:plan"]["c-friday"]["text"],
        "Is <b>Friday</b> a holiday?"
    );
    let replies = records["comment-replies:plan"].as_object().unwrap();
    assert_eq!(replies.len(), 1);
    let (status, body) = import(&server, "plan-copy", "plan.etherpad", file.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    let (_, copy) = get(&server, "/p/plan-copy/export/markdown?comments=1").await;
    assert_eq!(copy, md);

    // Copied and moved with the pad, with or without its history.
    for (function, to) in [
        ("copyPad", "plan-2"),
        ("copyPadWithoutHistory", "plan-3"),
        ("movePad", "plan-4"),
    ] {
        server
            .api_ok(function, &[("sourceID", "plan"), ("destinationID", to)])
            .await;
        let (_, moved) = get(&server, &format!("/p/{to}/export/markdown?comments=1")).await;
        assert_eq!(moved, md, "{function}");
    }
    server.stop().await;
}

#[tokio::test]
async fn an_etherpad_file_with_ep_comments_page_records_imports_with_its_comments() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let file =
        include_bytes!("../../crates/ypad-formats/tests/fixtures/ep_comments_page/demo.etherpad");
    let (status, body) = import(&server, "moved", "demo.etherpad", file.to_vec()).await;
    assert_eq!(status, 200, "{body}");

    // A plain yrs client reads the threads, anchored where their text is.
    let probe = Client::connect(&server.ws_url("moved"), 9).await;
    assert_eq!(probe.text(), "Launch on Friday.\nBudget unchanged.\n");
    let threads = threads(&probe);
    let summary: Vec<_> = threads
        .iter()
        .map(|t| {
            (
                t.id.as_str(),
                t.range,
                t.replies
                    .iter()
                    .map(|r| (r.name.as_deref().unwrap_or(""), r.text.as_str()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "c-abc123",
                Some((10, 16)),
                vec![
                    ("Bob", "Is Friday a holiday somewhere?"),
                    ("Ada", "No, Friday works everywhere.")
                ]
            ),
            (
                "c-def456",
                Some((25, 34)),
                vec![("Ada", "Unchanged since March.")]
            ),
        ]
    );
    assert_eq!(
        threads[0].replies[0].author_id.as_deref(),
        Some("a.bob"),
        "the Etherpad author stays known"
    );
    server.stop().await;
}
