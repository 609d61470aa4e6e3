//! Authorship derived from the CRDT, revisions and their texts.

use serde_json::Value;
use ypad_core::protocol;
use ypad_tests::{Client, TestServer};
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Transact};

const ANN: &str = "t.0000000000000000000000000000000a";
const BOB: &str = "t.0000000000000000000000000000000b";

/// The author of every character of the text at `rev`.
async fn authors_at(server: &TestServer, pad: &str, rev: u64) -> (String, Vec<Option<String>>) {
    let (status, body) = server
        .get_json(&format!("/api/v1/pads/{pad}/revisions/{rev}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let text = body["text"].as_str().unwrap().to_owned();
    let mut per_unit = Vec::new();
    for span in body["spans"].as_array().unwrap() {
        let len = span[0].as_u64().unwrap();
        let author = span[1]
            .as_str()
            .map(|a| body["authors"][a]["name"].as_str().unwrap_or(a).to_owned());
        per_unit.extend(std::iter::repeat_n(author, len as usize));
    }
    assert_eq!(per_unit.len(), text.encode_utf16().count());
    (text, per_unit)
}

async fn name(server: &TestServer, token: &str, name: &str) {
    let resp = reqwest::Client::new()
        .post(server.http_url("/api/v1/me"))
        .header("cookie", format!("ypad_token={token}"))
        .json(&serde_json::json!({ "name": name, "color": "#123456" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn authorship_of_every_character_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    name(&server, ANN, "Ann").await;
    name(&server, BOB, "Bob").await;
    let url = server.ws_url("authors");
    let mut ann = Client::connect_as(&url, 101, ANN).await;
    let mut bob = Client::connect_as(&url, 202, BOB).await;
    ann.insert(0, "Hello world").await;
    bob.wait_text("Hello world").await;
    bob.insert(5, ", dear").await;
    ann.wait_text("Hello, dear world").await;
    ann.delete(0, 1).await;
    ann.insert(0, "J").await;
    bob.wait_text("Jello, dear world").await;

    let a = Some("Ann".to_owned());
    let b = Some("Bob".to_owned());
    let mut expected = vec![a.clone()];
    expected.extend(std::iter::repeat_n(a.clone(), 4));
    expected.extend(std::iter::repeat_n(b.clone(), 6));
    expected.extend(std::iter::repeat_n(a.clone(), 6));
    let (text, authors) = authors_at(&server, "authors", 4).await;
    assert_eq!(text, "Jello, dear world");
    assert_eq!(authors, expected);

    // A past revision, as the clients had it then.
    let (text, authors) = authors_at(&server, "authors", 1).await;
    assert_eq!(
        (text.as_str(), authors),
        ("Hello world", vec![a.clone(); 11])
    );

    drop((ann, bob));
    let server = server.restart().await;
    let (text, authors) = authors_at(&server, "authors", 4).await;
    assert_eq!(text, "Jello, dear world");
    assert_eq!(authors, expected);
    let (_, listing) = server.get_json("/api/v1/pads/authors/revisions").await;
    let revs: Vec<(u64, Value)> = listing["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rev"].as_u64().unwrap(), r["author"].clone()))
        .collect();
    assert_eq!(revs.len(), 4);
    assert!(
        revs.iter()
            .all(|(_, author)| author.as_str().is_some_and(|a| a.starts_with("a.")))
    );
    server.stop().await;
}

#[tokio::test]
async fn relayed_content_keeps_its_owner() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    name(&server, ANN, "Ann").await;
    name(&server, BOB, "Bob").await;
    let url = server.ws_url("relay");
    let mut ann = Client::connect_as(&url, 111, ANN).await;
    let mut bob = Client::connect_as(&url, 222, BOB).await;
    ann.insert(0, "a").await;
    bob.wait_text("a").await;

    // Ann keeps typing while cut off; only Bob's replica gets her edit, and he relays it.
    ann.disconnect();
    ann.insert(1, "nn").await;
    let bob_sv = bob.doc.transact().state_vector().encode_v1();
    bob.merge(&ann.diff(&bob_sv));
    let relay = bob.diff(&StateVector::default().encode_v1());
    bob.send_raw(protocol::encode_sync_step2(&relay).to_vec())
        .await;
    bob.insert(3, "!").await;
    let mut probe = Client::connect(&url, 9).await;
    probe.wait_text("ann!").await;

    let (text, authors) = authors_at(&server, "relay", 3).await;
    assert_eq!(text, "ann!");
    let (a, b) = (Some("Ann".to_owned()), Some("Bob".to_owned()));
    assert_eq!(authors, vec![a.clone(), a.clone(), a, b]);
    // Bob was never closed for relaying.
    assert!(bob.is_connected());
    server.stop().await;
}

/// The text of every revision as the clients had it, read back through the positional history:
/// across several stored blocks, the part not yet stored, a restart, and a pad deleted and
/// created again under the same name.
#[tokio::test]
async fn every_revision_reads_back_across_blocks_restarts_and_recreation() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ypad_server::Config::new(dir.path());
    config.history_block_len = 7;
    let server = TestServer::start_with(config.clone()).await;
    let url = server.ws_url("blocks");
    let mut ann = Client::connect(&url, 301).await;
    let mut bob = Client::connect(&url, 302).await;
    let mut seen = vec![String::new()];
    for i in 0..40u32 {
        let (writer, reader) = if i % 3 == 0 {
            (&mut bob, &mut ann)
        } else {
            (&mut ann, &mut bob)
        };
        let at = (i * 7) % (writer.text_len() + 1);
        if i % 5 == 4 {
            writer.delete(at.min(writer.text_len() - 1), 1).await;
        } else {
            writer
                .insert(at, &char::from(b'a' + (i % 26) as u8).to_string())
                .await;
        }
        let text = writer.text();
        reader.wait_text(&text).await;
        seen.push(text);
    }
    let check = |server: &TestServer, pad: &'static str, seen: Vec<String>| {
        let base = server.http_url("");
        async move {
            for (rev, expected) in seen.iter().enumerate() {
                let body: Value = reqwest::get(format!("{base}/api/v1/pads/{pad}/revisions/{rev}"))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(
                    body["text"].as_str(),
                    Some(expected.as_str()),
                    "revision {rev}"
                );
                let units: u64 = body["spans"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s[0].as_u64().unwrap())
                    .sum();
                assert_eq!(units as usize, expected.encode_utf16().count());
            }
        }
    };
    check(&server, "blocks", seen.clone()).await;
    let export = reqwest::get(server.http_url("/p/blocks/13/export/txt"))
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert_eq!(export.text().await.unwrap(), seen[13]);

    drop((ann, bob));
    let server = server.restart().await;
    check(&server, "blocks", seen.clone()).await;

    // Deleted and written again: nothing of the old history may show through.
    server.api_ok("deletePad", &[("padID", "blocks")]).await;
    let mut carl = Client::connect(&server.ws_url("blocks"), 303).await;
    let mut again = vec![String::new()];
    for i in 0..20u32 {
        carl.insert(i, "x").await;
        again.push(carl.text());
    }
    let mut probe = Client::connect(&server.ws_url("blocks"), 304).await;
    probe.wait_text(&"x".repeat(20)).await;
    check(&server, "blocks", again).await;
    server.stop().await;
}
