//! The server over the PostgreSQL store: pads, their history and the API key live in the
//! database, so they survive a restart and a second node with its own data directory sees them.

use ypad_server::Config;
use ypad_tests::{Client, TestServer};

#[tokio::test]
async fn pads_history_and_api_key_survive_a_restart_onto_another_node() {
    let url = ypad_store::pg_testing::fresh_database();
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = |dir: &std::path::Path| {
        let mut config = Config::new(dir);
        config.database_url = Some(url.clone());
        // Small blocks, so that checkpoints and history blocks are written to the database too.
        config.history_block_len = 4;
        config
    };

    let server = TestServer::start_with(config(first_dir.path())).await;
    let key = server.api_key();
    let mut c = Client::connect(&server.ws_url("shared"), 1).await;
    let mut expected = String::new();
    for (i, ch) in "persisted".chars().enumerate() {
        c.insert(i as u32, &ch.to_string()).await;
        expected.push(ch);
    }
    // The server has every keystroke once another client sees them.
    Client::connect(&server.ws_url("shared"), 9)
        .await
        .wait_text(&expected)
        .await;
    server
        .api_ok(
            "createPad",
            &[("padID", "made-by-api"), ("text", "from the API")],
        )
        .await;
    let (_, meta) = server.get_json("/api/v1/pads/shared").await;
    let read_only_id = meta["readOnlyId"].clone();
    assert!(read_only_id.is_string(), "{meta}");
    // Still connected at shutdown: the server must commit what it accepted before exiting.
    server.stop().await;

    let server = TestServer::start_with(config(second_dir.path())).await;
    assert_eq!(
        server.api_key(),
        key,
        "every node shares the database's key"
    );
    let again = Client::connect(&server.ws_url("shared"), 2).await;
    assert_eq!(again.text(), expected);
    let (_, meta) = server.get_json("/api/v1/pads/shared").await;
    assert_eq!(meta["revisions"], 9);
    assert_eq!(meta["readOnlyId"], read_only_id);
    let (status, past) = server.get_json("/api/v1/pads/shared/revisions/3").await;
    assert_eq!(status, 200, "{past}");
    assert_eq!(past["text"], "per");
    let text = server.api_ok("getText", &[("padID", "made-by-api")]).await;
    assert!(
        text["text"].as_str().unwrap().starts_with("from the API"),
        "{text}"
    );
    server.stop().await;
}
