//! A bad frame closes its own connection with a fitting code; the pad and the others go on.

use tokio_tungstenite::tungstenite::Message;
use ypad_core::protocol::{encode_update, write_var};
use ypad_server::Config;
use ypad_tests::{Client, TestServer};

/// An update whose one struct comes from `client`, inserting "x" into the pad text.
fn update_from(client: u64) -> Vec<u8> {
    let mut u = vec![1, 1];
    write_var(&mut u, client);
    u.extend_from_slice(&[0, 4, 1, 4, b't', b'e', b'x', b't', 1, b'x', 0]);
    u
}

/// A case: what the frame is, the frame, the close code it must get.
fn check_frame(name: &str, frame: Message, code: u16) -> (String, Message, u16) {
    (name.to_owned(), frame, code)
}

#[tokio::test]
async fn bad_frames_close_only_their_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.max_message_bytes = 64 * 1024;
    let server = TestServer::start_with(config).await;
    let url = server.ws_url("target");
    let mut a = Client::connect(&url, 1).await;
    let mut b = Client::connect(&url, 2).await;

    let bin = |v: Vec<u8>| Message::Binary(v.into());
    let cases = [
        check_frame("text frame", Message::Text("hello".into()), 1003),
        check_frame("empty", bin(vec![]), 1007),
        check_frame("unknown type", bin(vec![9, 0]), 1007),
        check_frame("unknown sync type", bin(vec![0, 7, 0]), 1007),
        check_frame("truncated varint", bin(vec![0, 2, 0x80]), 1007),
        check_frame(
            "overlong varint",
            bin(vec![
                0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ]),
            1007,
        ),
        check_frame("length beyond frame", bin(vec![0, 2, 50, 1, 2]), 1007),
        check_frame(
            "garbage update",
            bin(encode_update(&[7, 7, 7, 7]).to_vec()),
            1007,
        ),
        check_frame(
            "client id 2^53",
            bin(encode_update(&update_from(1 << 53)).to_vec()),
            1007,
        ),
        check_frame(
            "client id u64::MAX",
            bin(encode_update(&update_from(u64::MAX)).to_vec()),
            1007,
        ),
        check_frame("bad state vector", bin(vec![0, 0, 3, 5, 0x80, 0x80]), 1007),
        check_frame(
            "awareness with bad utf-8",
            bin(vec![1, 5, 1, 1, 1, 1, 0xff]),
            1007,
        ),
        check_frame("too large", bin(vec![0; 100 * 1024]), 1009),
    ];
    for (i, (name, frame, code)) in cases.into_iter().enumerate() {
        let mut bad = Client::connect(&url, 100 + i as u64).await;
        bad.send(frame).await;
        assert_eq!(bad.wait_closed().await, Some(code), "{name}");
        // The pad and the other connections carry on.
        let at = a.text_len();
        a.insert(at, &i.to_string()).await;
        let expected = a.text();
        b.wait_text(&expected).await;
    }
    assert_eq!(server.text("target").await, Some(a.text()));
    server.stop().await;
}

#[tokio::test]
async fn valid_client_id_near_the_limit_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("limit");
    let mut a = Client::connect(&url, (1 << 53) - 1).await;
    a.insert(0, "edge").await;
    let mut b = Client::connect(&url, 5).await;
    b.wait_text("edge").await;
    server.stop().await;
}

#[tokio::test]
async fn hostile_pad_ids_and_requests_get_clear_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let long = "x".repeat(10_000);
    // (`..` itself is covered over WebSocket: HTTP clients resolve it before sending.)
    let ids = [
        "a%2Fb",
        "a%00b",
        "g.x%24y",
        "a%0Ab",
        "%C3%28",
        long.as_str(),
    ];
    let key = server.api_key();
    for id in ids {
        for path in [
            format!("/p/{id}"),
            format!("/p/{id}/export/txt"),
            format!("/p/{id}/timeslider"),
            format!("/p/{id}/present"),
            format!("/api/v1/pads/{id}"),
            format!("/api/v1/pads/{id}/text"),
            format!("/api/v1/pads/{id}/revisions/1"),
        ] {
            let resp = reqwest::get(server.http_url(&path)).await.unwrap();
            assert_eq!(resp.status(), 400, "{}", &path[..path.len().min(80)]);
        }
        let (status, body) = server
            .get_json(&format!("/api/1.2.13/createPad?apikey={key}&padID={id}"))
            .await;
        assert_eq!(
            (status, body["code"].as_i64()),
            (200, Some(1)),
            "createPad {}",
            &id[..id.len().min(20)]
        );
    }
    // A huge parameter is refused, not stored.
    let huge = "y".repeat(40 * 1024 * 1024);
    let resp = reqwest::Client::new()
        .post(server.http_url("/api/1.2.13/createPad"))
        .form(&[
            ("apikey", key.as_str()),
            ("padID", "big"),
            ("text", huge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], 1, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("length limit exceeded"),
        "{body}"
    );
    let (_, pads) = server
        .get_json(&format!("/api/1.2.13/listAllPads?apikey={key}"))
        .await;
    assert_eq!(pads["data"]["padIDs"], serde_json::json!([]));
    server.stop().await;
}
