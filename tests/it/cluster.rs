//! Two nodes on one PostgreSQL database, in this process: a pad is owned by the node that first
//! loads it, and the other relays it to its own clients over one link.

use std::time::Duration;

use ypad_server::Config;
use ypad_store::{PgStore, Store};
use ypad_tests::{Client, TestServer, within};

fn node_config(url: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.database_url = Some(url.to_owned());
    config.lease_ttl = Duration::from_millis(2000);
    (dir, config)
}

/// Polls `/health` until `check` holds of it.
async fn health_until(node: &TestServer, what: &str, check: impl Fn(&serde_json::Value) -> bool) {
    within(what, async {
        loop {
            let (_, health) = node.get_json("/health").await;
            if check(&health) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// Pumps `client` until an awareness frame naming `who` arrives.
async fn awaits_awareness(client: &mut Client, who: &str) {
    loop {
        let frame = client.wait_awareness().await;
        if String::from_utf8_lossy(&frame).contains(who) {
            return;
        }
    }
}

fn lists(health: &serde_json::Value, key: &str, pad: &str) -> bool {
    health["cluster"][key]
        .as_array()
        .is_some_and(|pads| pads.iter().any(|p| p == pad))
}

#[tokio::test]
async fn a_relaying_node_serves_its_clients_over_one_link_to_the_owner() {
    let url = ypad_store::pg_testing::fresh_database();
    let (_d1, c1) = node_config(&url);
    let (_d2, c2) = node_config(&url);
    let owner = TestServer::start_with(c1).await;
    let relay = TestServer::start_with(c2).await;

    let mut alice = Client::connect_as(
        &owner.ws_url("shared"),
        11,
        "t.0000000000000000000000000000000a",
    )
    .await;
    alice.insert(0, "owner ").await;
    let mut bobs = Vec::new();
    for i in 0..3 {
        bobs.push(
            Client::connect_as(
                &relay.ws_url("shared"),
                20 + i,
                "t.0000000000000000000000000000000b",
            )
            .await,
        );
    }
    health_until(&owner, "the owner to own the pad", |h| {
        lists(h, "ownedPads", "shared")
    })
    .await;
    health_until(&relay, "the relay to relay the pad", |h| {
        lists(h, "relayedPads", "shared")
    })
    .await;
    for bob in &mut bobs {
        bob.wait_text("owner ").await;
    }
    bobs[0].insert(6, "relay").await;
    alice.wait_text("owner relay").await;
    for bob in &mut bobs[1..] {
        bob.wait_text("owner relay").await;
    }
    alice.insert(0, "> ").await;
    for bob in &mut bobs {
        bob.wait_text("> owner relay").await;
    }

    // Awareness is merged both ways: each side sees the other's browsers.
    bobs[0]
        .send_awareness(1, r#"{"user":{"name":"Bob on the relay"}}"#)
        .await;
    awaits_awareness(&mut alice, "Bob on the relay").await;
    alice
        .send_awareness(1, r#"{"user":{"name":"Alice on the owner"}}"#)
        .await;
    awaits_awareness(&mut bobs[1], "Alice on the owner").await;

    // An HTTP write on the relaying node is applied by the owner and reaches everyone.
    let (status, meta) = relay.get_json("/api/v1/pads/shared").await;
    assert_eq!(
        status, 200,
        "the relaying node reads the pad from the database: {meta}"
    );
    relay
        .api_ok("appendText", &[("padID", "shared"), ("text", " via HTTP")])
        .await;
    alice.wait_text("> owner relay via HTTP").await;
    bobs[2].wait_text("> owner relay via HTTP").await;
    // Server-side edits on both nodes at once: each node's edits have a client id of their own,
    // so neither refuses the other's and every replica ends the same.
    let (on_owner, on_relay) = tokio::join!(
        owner.api("appendText", &[("padID", "shared"), ("text", " [owner]")]),
        relay.api("appendText", &[("padID", "shared"), ("text", " [relay]")]),
    );
    assert_eq!(
        (on_owner.1["code"].clone(), on_relay.1["code"].clone()),
        (0.into(), 0.into())
    );
    within("every replica to hold both edits", async {
        loop {
            let texts: Vec<String> = std::iter::once(&alice)
                .chain(&bobs)
                .map(|c| c.text())
                .collect();
            if texts
                .iter()
                .all(|t| t == &texts[0] && t.contains("[owner]") && t.contains("[relay]"))
            {
                break;
            }
            for c in std::iter::once(&mut alice).chain(&mut bobs) {
                let _ = tokio::time::timeout(Duration::from_millis(20), c.next_event()).await;
            }
        }
    })
    .await;

    // The owner serves alice and one link, however many clients the relay has.
    let (_, owner_health) = owner.get_json("/health").await;
    assert_eq!(owner_health["connections"], 2, "{owner_health}");
    let (_, relay_health) = relay.get_json("/health").await;
    assert_eq!(relay_health["connections"], 3, "{relay_health}");
    assert_ne!(
        owner_health["cluster"]["nodeId"],
        relay_health["cluster"]["nodeId"]
    );

    // The relay's client's write was numbered by the owner, with its author.
    owner.stop().await;
    let store = PgStore::open(&url).unwrap();
    let log = store.log("shared", 1, 100).unwrap();
    let revs: Vec<u64> = log.iter().map(|e| e.rev).collect();
    assert_eq!(revs, (1..=revs.len() as u64).collect::<Vec<_>>());
    let clients = store.client_authors("shared").unwrap();
    let author_of = |client: u64| {
        clients
            .iter()
            .find(|(c, _)| *c == client)
            .map(|(_, a)| a.clone())
    };
    assert!(author_of(20).is_some(), "{clients:?}");
    assert_ne!(author_of(20), author_of(11), "{clients:?}");
    relay.stop().await;
}

#[tokio::test]
async fn a_link_without_the_cluster_secret_is_refused() {
    let url = ypad_store::pg_testing::fresh_database();
    let (_d1, c1) = node_config(&url);
    let owner = TestServer::start_with(c1).await;
    Client::connect(&owner.ws_url("secret"), 1).await;
    let request = |secret: &str| {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = owner.ws_url("secret").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("x-ypad-cluster-secret", secret.parse().unwrap());
        request
    };
    let refused = tokio_tungstenite::connect_async(request("not the secret")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403)
        }
        other => panic!("a wrong secret must be refused: {:?}", other.map(|_| ())),
    }
    let store = PgStore::open(&url).unwrap();
    let secret = store
        .shared_setting("cluster_secret", "unused")
        .unwrap()
        .unwrap();
    assert!(
        tokio_tungstenite::connect_async(request(&secret))
            .await
            .is_ok()
    );
}

/// Pumps frames until the server says writes are refused (or allowed again).
async fn wait_auth(client: &mut Client) {
    within("a lock notice", async {
        loop {
            match client.next_event().await {
                ypad_tests::Event::Auth => return,
                ypad_tests::Event::Closed(code) => panic!("closed ({code:?}) before a lock notice"),
                _ => {}
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_lock_set_through_any_node_holds_on_every_node() {
    const ALICE: &str = "t.a11ce000000000000000000000000000";
    const CAROL: &str = "t.ca2010000000000000000000000000000";
    let url = ypad_store::pg_testing::fresh_database();
    let (_d1, c1) = node_config(&url);
    let (_d2, c2) = node_config(&url);
    let owner = TestServer::start_with(c1).await;
    let relay = TestServer::start_with(c2).await;
    // Alice made the pad on the owner: she moderates it.
    let mut alice = Client::connect_as(&owner.ws_url("locked"), 1, ALICE).await;
    alice.insert(0, "agenda").await;
    let mut carol_on_owner = Client::connect_as(&owner.ws_url("locked"), 2, CAROL).await;
    let mut carol_on_relay = Client::connect_as(&relay.ws_url("locked"), 3, CAROL).await;
    let mut alice_on_relay = Client::connect_as(&relay.ws_url("locked"), 4, ALICE).await;
    for c in [
        &mut carol_on_owner,
        &mut carol_on_relay,
        &mut alice_on_relay,
    ] {
        c.wait_text("agenda").await;
    }

    // The relaying node reads the pad from the database, once the owner's first commit is in.
    let store = PgStore::open(&url).unwrap();
    within("the pad's first commit", async {
        while store.meta("locked").unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    relay.api_ok("lockPad", &[("padID", "locked")]).await;
    // Both nodes tell their browsers at once.
    wait_auth(&mut carol_on_owner).await;
    wait_auth(&mut carol_on_relay).await;
    // Carol's writes are refused on either node; the moderator's pass through the relay.
    carol_on_relay.insert(0, "X").await;
    carol_on_owner.insert(0, "Y").await;
    alice_on_relay.insert(6, "!").await;
    alice.wait_text("agenda!").await;
    within("the moderator's write to be stored", async {
        while !store
            .log("locked", 1, u64::MAX)
            .unwrap()
            .iter()
            .any(|e| e.author.is_some() && e.rev > 1)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(owner.text("locked").await.as_deref(), Some("agenda!"));
    owner.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn an_etherpad_file_is_not_imported_beside_the_node_that_has_the_pad_open() {
    let url = ypad_store::pg_testing::fresh_database();
    let (_d1, c1) = node_config(&url);
    let (_d2, c2) = node_config(&url);
    let owner = TestServer::start_with(c1).await;
    let relay = TestServer::start_with(c2).await;
    // Open but still empty on the owner.
    let _reader = Client::connect(&owner.ws_url("open"), 1).await;
    let file = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/ypad-formats/tests/fixtures/etherpad/YVR-S-release-goals.etherpad"),
    )
    .unwrap();
    let upload = |node: &TestServer, pad: &str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(file.clone()).file_name("goals.etherpad"),
        );
        reqwest::Client::new()
            .post(node.http_url(&format!("/p/{pad}/import")))
            .multipart(form)
            .send()
    };
    let refused = upload(&relay, "open").await.unwrap();
    assert_eq!(refused.status().as_u16(), 421, "{:?}", refused.text().await);
    // A pad nobody has open imports through any node.
    let imported = upload(&relay, "closed").await.unwrap();
    assert_eq!(
        imported.status().as_u16(),
        200,
        "{:?}",
        imported.text().await
    );
    assert!(owner.text("closed").await.is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn a_pad_deleted_through_another_node_is_dropped_by_its_owner_at_its_next_commit() {
    let url = ypad_store::pg_testing::fresh_database();
    let (_d1, c1) = node_config(&url);
    let (_d2, c2) = node_config(&url);
    let owner = TestServer::start_with(c1).await;
    let relay = TestServer::start_with(c2).await;
    let mut alice = Client::connect(&owner.ws_url("doomed"), 1).await;
    alice.insert(0, "soon gone").await;
    let store = PgStore::open(&url).unwrap();
    within("the pad's first commit", async {
        while store.meta("doomed").unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    relay.api_ok("deletePad", &[("padID", "doomed")]).await;
    // The owner's next commit finds the log gone: the pad is dropped and its browsers told to
    // reconnect, and the node goes on taking edits elsewhere.
    alice.insert(0, "!").await;
    assert_eq!(alice.wait_closed().await, Some(4000));
    let (status, health) = owner.get_json("/health").await;
    assert_eq!(status, 200, "{health}");
    let mut other = Client::connect(&owner.ws_url("other"), 2).await;
    other.insert(0, "fine").await;
    Client::connect(&relay.ws_url("other"), 3)
        .await
        .wait_text("fine")
        .await;
}

#[tokio::test]
async fn a_relaying_node_shows_edits_its_owner_has_not_stored_yet() {
    let url = ypad_store::pg_testing::fresh_database();
    let (_d1, c1) = node_config(&url);
    let (_d2, c2) = node_config(&url);
    let owner = TestServer::start_with(c1).await;
    let relay = TestServer::start_with(c2).await;
    let mut alice = Client::connect(&owner.ws_url("unsaved"), 11).await;
    health_until(&owner, "the owner to own the pad", |h| {
        lists(h, "ownedPads", "unsaved")
    })
    .await;
    let mut bob = Client::connect(&relay.ws_url("unsaved"), 20).await;
    health_until(&relay, "the relay to relay the pad", |h| {
        lists(h, "relayedPads", "unsaved")
    })
    .await;

    // Holding the pad's ownership row holds every commit of the owner's for it.
    let (db, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    db.batch_execute("BEGIN; SELECT * FROM pad_owners WHERE pad = 'unsaved' FOR UPDATE")
        .await
        .unwrap();
    alice.insert(0, "not stored yet").await;
    bob.wait_text("not stored yet").await;
    let stored = PgStore::open(&url).unwrap().meta("unsaved").unwrap();
    assert!(stored.is_none(), "the owner stored it already: {stored:?}");

    let (status, meta) = relay.get_json("/api/v1/pads/unsaved").await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["id"], "unsaved");
    let text = relay.api_ok("getText", &[("padID", "unsaved")]).await;
    assert_eq!(text["text"], "not stored yet\n");

    db.batch_execute("COMMIT").await.unwrap();
    owner.stop().await;
    let stored = PgStore::open(&url).unwrap().meta("unsaved").unwrap();
    assert!(stored.is_some_and(|m| m.revisions >= 1));
    relay.stop().await;
}
