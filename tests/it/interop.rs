//! A stock JS Yjs client (yjs + y-websocket under Node) and a Rust yrs client co-edit a pad.
//! Needs `node` and `npm ci` in tests/js, which the test command runs first.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use ypad_tests::{Client, TestServer, within};

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

#[tokio::test]
async fn js_and_rust_clients_converge() {
    assert!(
        js_dir().join("node_modules/y-websocket").exists(),
        "tests/js/node_modules is missing: run `npm ci` in tests/js (the test command does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut rust = Client::connect(&server.ws_url("interop"), 77).await;

    let mut node = Command::new("node")
        .arg(js_dir().join("peer.mjs"))
        .arg(format!("ws://{}/ws", server.addr))
        .arg("interop")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let first = within("the JS peer to type", lines.next_line())
        .await
        .unwrap();
    assert_eq!(first.as_deref(), Some("typed"));

    rust.wait_text("js ").await;
    rust.insert(3, "rust").await;
    let last = within("the JS peer to see the Rust edit", lines.next_line())
        .await
        .unwrap();
    assert_eq!(last.as_deref(), Some("text:js rust"));
    let status = within("the JS peer to exit", node.wait()).await.unwrap();
    assert!(status.success());
    assert_eq!(server.text("interop").await.as_deref(), Some("js rust"));
    server.stop().await;
}
