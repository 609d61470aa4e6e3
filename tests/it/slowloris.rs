//! Slowloris: connections that never finish their request head are closed after the
//! header-read timeout, while other clients are served.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ypad_server::Config;
use ypad_tests::{Client, TestServer, within};

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// Reads until the server closes the connection (EOF or a reset); returns what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn unfinished_request_heads_are_closed_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.header_read_timeout = HEADER_TIMEOUT;
    let server = TestServer::start_with(config).await;
    let opened = Instant::now();

    // Connects and sends nothing at all.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    // Sends a request line and half a header, then stalls.
    let mut partial = TcpStream::connect(server.addr).await.unwrap();
    partial
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    // The start of an HTTP/2 preface, which a version sniffer would wait on.
    let mut preface = TcpStream::connect(server.addr).await.unwrap();
    preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    // Trickles a never-ending header, a byte every 50 ms: each byte is progress, but the
    // head is never complete.
    let mut trickle = TcpStream::connect(server.addr).await.unwrap();
    let trickler = tokio::spawn(async move {
        let head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        for sent in 0.. {
            tokio::select! {
                read = trickle.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                },
                _ = tick.tick() => {
                    let byte = head.get(sent).copied().unwrap_or(b'a');
                    // A failed write means the server closed; the read reports it.
                    let _ = trickle.write_all(&[byte]).await;
                }
            }
        }
        got
    });

    // Meanwhile the server works normally: HTTP and a WebSocket pad session.
    let (status, health) = server.get_json("/health").await;
    assert_eq!(status, 200, "{health}");
    let url = server.ws_url("slowloris");
    let mut a = Client::connect(&url, 1).await;
    let mut b = Client::connect(&url, 2).await;
    a.insert(0, "still served").await;
    b.wait_text("still served").await;

    for (what, stream) in [
        ("a silent connection", &mut silent),
        ("a half-sent header", &mut partial),
        ("a partial HTTP/2 preface", &mut preface),
    ] {
        let got = within(what, read_until_closed(stream)).await;
        let text = String::from_utf8_lossy(&got);
        assert!(
            !text.contains("200 OK"),
            "{what} was answered as if complete: {text}"
        );
    }
    let trickled = within("the trickling connection", trickler).await.unwrap();
    assert!(
        !String::from_utf8_lossy(&trickled).contains("200 OK"),
        "the trickled header was answered as if complete"
    );
    let elapsed = opened.elapsed();
    assert!(
        elapsed >= HEADER_TIMEOUT,
        "connections were closed before the timeout ({elapsed:?})"
    );
    assert!(
        elapsed < HEADER_TIMEOUT * 5,
        "connections outlived the timeout by far ({elapsed:?})"
    );

    // The WebSockets are upgraded connections, not subject to the header deadline.
    assert!(a.is_connected() && b.is_connected());
    b.insert(0, "and later: ").await;
    a.wait_text("and later: still served").await;
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_request_head_cannot_hold_up_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.header_read_timeout = HEADER_TIMEOUT;
    let server = TestServer::start_with(config).await;
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(b"GET /health HTTP/1.1\r\n")
        .await
        .unwrap();
    let mut whole = TcpStream::connect(server.addr).await.unwrap();
    whole
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = within("a complete request", read_until_closed(&mut whole)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    // Shutdown lets a request in progress finish, and a request head still arriving counts
    // as one; the header deadline is what ends it, so shutdown completes (within the
    // harness's bound) instead of waiting on the client forever.
    server.stop().await;
    within(
        "the stalled connection closing",
        read_until_closed(&mut stalled),
    )
    .await;
}
