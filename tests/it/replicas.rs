//! A participant cannot split a pad: updates that reuse a client's clocks with other content,
//! or that yrs would integrate in a way its encoding does not reproduce, close their
//! connection with 1007 and leave the pad as it was, so the live pad, a late joiner, a restarted
//! server and a peer still in its first sync all show the same text.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use ypad_core::protocol::{self, Message as Y};
use ypad_tests::{Client, TestServer};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, TextRef, Transact, Update};

/// A document of its own with the Yjs client id `client`, holding `updates`.
fn doc_with(client: u64, updates: &[&[u8]]) -> (Doc, TextRef) {
    let doc = Doc::with_client_id(client);
    let text = doc.get_or_insert_text(ypad_core::doc::TEXT_NAME);
    for u in updates {
        doc.transact_mut()
            .apply_update(Update::decode_v1(u).unwrap())
            .unwrap();
    }
    (doc, text)
}

fn insert(doc: &Doc, text: &TextRef, at: u32, s: &str) -> Vec<u8> {
    let mut txn = doc.transact_mut();
    text.insert(&mut txn, at, s);
    txn.encode_update_v1()
}

fn state(client: &Client) -> Vec<u8> {
    client
        .doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// Sends `update` on a connection of its own, which must be closed with 1007.
async fn refused(url: &str, update: &[u8]) {
    let mut mallory = Client::connect(url, 666).await;
    mallory
        .send_raw(protocol::encode_update(update).to_vec())
        .await;
    assert_eq!(mallory.wait_closed().await, Some(1007));
}

#[tokio::test]
async fn crafted_updates_are_refused_and_every_replica_shows_the_live_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("split");
    let mut alice = Client::connect(&url, 1).await;
    let mut bob = Client::connect(&url, 2).await;
    alice.insert(0, "hello").await;
    bob.wait_text("hello").await;
    let hello = state(&alice);

    // Client 1's clocks 0..5 again, with other text (and one new character).
    let (forger, forged_text) = doc_with(1, &[]);
    refused(&url, &insert(&forger, &forged_text, 0, "EVIL!x")).await;

    // Client 1 typing " world" and then "X" into "hello", sent without " world": yrs would
    // integrate "X" behind a hole at clocks 5..11.
    let (ahead, ahead_text) = doc_with(1, &[&hello]);
    insert(&ahead, &ahead_text, 5, " world");
    refused(&url, &insert(&ahead, &ahead_text, 1, "X")).await;

    // Client 1's clocks 5..11 written after content of client 9 that the pad never got: yrs
    // would keep them pending, and encode them in one run with whatever came past the hole.
    let (nine, nine_text) = doc_with(9, &[&hello]);
    let z = insert(&nine, &nine_text, 5, "Z");
    let (after_nine, after_nine_text) = doc_with(1, &[&hello, &z]);
    refused(&url, &insert(&after_nine, &after_nine_text, 6, " world")).await;

    // The pad takes edits, and every replica shows what the live connections show.
    alice.insert(5, "!").await;
    let live = alice.text();
    bob.wait_text(&live).await;
    assert_eq!(server.text("split").await.as_deref(), Some(live.as_str()));
    let late = Client::connect(&url, 3).await;
    assert_eq!(late.text(), live);
    drop((alice, bob, late));

    let server = server.restart().await;
    assert_eq!(server.text("split").await.as_deref(), Some(live.as_str()));
    let after_restart = Client::connect(&server.ws_url("split"), 4).await;
    assert_eq!(after_restart.text(), live);
    // And it is the text as it was before the crafted updates, plus alice's edit.
    assert_eq!(live, "hello!");
    server.stop().await;
}

#[tokio::test]
async fn a_peer_still_in_its_first_sync_gets_no_other_version_of_known_clocks() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("first-sync");
    let mut alice = Client::connect(&url, 1).await;
    alice.insert(0, "hello").await;
    let mut bob = Client::connect(&url, 2).await;
    bob.wait_text("hello").await;

    // A stock client sends its sync step 1 when its socket opens; until the answer arrives it
    // applies whatever updates are forwarded to it. This peer holds its step 1 back.
    let (mut peer, _) = connect_async(url.as_str()).await.unwrap();
    let (peer_doc, peer_text) = doc_with(5, &[]);
    // The greeting (sync step 1) comes once the server has registered the connection.
    loop {
        let Some(Ok(Message::Binary(frame))) = peer.next().await else {
            panic!("the server closed the peer's connection");
        };
        if matches!(protocol::decode(&frame).unwrap(), Y::SyncStep1(_)) {
            break;
        }
    }

    let (forger, forged_text) = doc_with(1, &[]);
    refused(&url, &insert(&forger, &forged_text, 0, "EVIL!x")).await;

    let marker = insert(&alice.doc, &alice.text, 5, "!");
    alice
        .send_raw(protocol::encode_update(&marker).to_vec())
        .await;
    // Everything forwarded before alice's marker, and the marker, as the peer gets them.
    loop {
        let Some(Ok(Message::Binary(frame))) = peer.next().await else {
            panic!("the server closed the peer's connection");
        };
        if let Y::Update(u) = protocol::decode(&frame).unwrap() {
            peer_doc
                .transact_mut()
                .apply_update(Update::decode_v1(u).unwrap())
                .unwrap();
            if u == &marker[..] {
                break;
            }
        }
    }
    let sv = peer_doc.transact().state_vector().encode_v1();
    peer.send(Message::Binary(
        protocol::encode_sync_step1(&sv).to_vec().into(),
    ))
    .await
    .unwrap();
    loop {
        let Some(Ok(Message::Binary(frame))) = peer.next().await else {
            panic!("the server closed the peer's connection");
        };
        if let Y::SyncStep2(u) = protocol::decode(&frame).unwrap() {
            peer_doc
                .transact_mut()
                .apply_update(Update::decode_v1(u).unwrap())
                .unwrap();
            break;
        }
    }
    let live = alice.text();
    bob.wait_text(&live).await;
    assert_eq!(peer_text.get_string(&peer_doc.transact()), live);
    assert_eq!(
        server.text("first-sync").await.as_deref(),
        Some(live.as_str())
    );
    assert_eq!(live, "hello!");
    server.stop().await;
}
