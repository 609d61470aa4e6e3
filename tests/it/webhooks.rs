//! Webhooks: a receiver that fails twice and then answers gets the `pad.changed` notice of an
//! edit, signed with the HMAC-SHA256 of the body under the secret, and `/health` counts the
//! failed attempts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::mpsc;
use ypad_server::Config;
use ypad_tests::{Client, TestServer, within};

#[derive(Default)]
struct Receiver {
    attempts: usize,
}

/// A receiver on 127.0.0.1 that answers 500 to its first two POSTs and 200 after, passing the
/// accepted ones (signature header and body) on.
async fn flaky_receiver() -> (String, mpsc::UnboundedReceiver<(String, Bytes)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = Arc::new(Mutex::new(Receiver::default()));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (state, tx) = (state.clone(), tx.clone());
            async move {
                let attempt = {
                    let mut s = state.lock().unwrap();
                    s.attempts += 1;
                    s.attempts
                };
                if attempt <= 2 {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let signature = headers
                    .get("x-ypad-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let _ = tx.send((signature, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

#[tokio::test]
async fn a_failing_receiver_gets_the_signed_notice_after_retries() {
    let (url, mut received) = flaky_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.webhook_url = vec![url];
    config.webhook_secret = Some("s3cret".into());
    config.webhook_settle = Duration::from_millis(100);
    let server = TestServer::start_with(config).await;

    let mut c = Client::connect(&server.ws_url("hooked"), 1).await;
    c.insert(0, "hi").await;
    let (sig, body) = within("the notice after two failures", received.recv())
        .await
        .unwrap();
    assert_eq!(sig, signature("s3cret", &body));
    assert_ne!(sig, signature("another secret", &body));
    let notice: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(notice["event"], "pad.changed");
    assert_eq!(notice["pad"], "hooked");
    assert_eq!(notice["head"], 1);
    assert_eq!(notice["settled"], true);

    // The server counts the delivery once it has read the answer, just after the receiver
    // passed the notice on.
    let health = within("/health to count the delivery", async {
        loop {
            let (_, health) = server.get_json("/health").await;
            if health["webhooks"]["delivered"] == 1 {
                return health;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["webhooks"]["failedAttempts"], 2, "{health}");
    assert!(
        health["webhooks"]["lastError"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{health}"
    );
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn the_secret_is_the_api_key_unless_given() {
    let (url, mut received) = flaky_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.webhook_url = vec![url];
    config.webhook_settle = Duration::from_millis(100);
    let server = TestServer::start_with(config).await;
    let mut c = Client::connect(&server.ws_url("keyed"), 1).await;
    c.insert(0, "x").await;
    let (sig, body) = within("the notice", received.recv()).await.unwrap();
    assert_eq!(sig, signature(&server.api_key(), &body));
    drop(c);
    server.stop().await;
}

/// A receiver that takes requests and never answers: edits go on, and the server still stops
/// at once rather than after the POST's own timeout.
#[tokio::test]
async fn a_hanging_receiver_holds_up_neither_edits_nor_shutdown() {
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let arrived_tx = arrived_tx.clone();
            async move {
                let _ = arrived_tx.send(());
                std::future::pending::<StatusCode>().await
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.webhook_url = vec![url];
    config.webhook_settle = Duration::from_millis(50);
    let server = TestServer::start_with(config).await;
    let mut writer = Client::connect(&server.ws_url("stuck"), 1).await;
    let mut reader = Client::connect(&server.ws_url("stuck"), 2).await;
    writer.insert(0, "a").await;
    within("the POST to reach the receiver", arrived.recv()).await;
    writer.insert(1, "b").await;
    reader.wait_text("ab").await;
    // The POST times out after 10 s; shutdown must not wait for it.
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("the server stops while a webhook POST hangs");
}
