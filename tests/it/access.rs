//! Who may see and write what: listing needs the key, a read-only id never leads to the
//! writable one, every way in keeps the size limit, imports and exports are rate-limited per
//! address, identity cookies carry the right flags.

use serde_json::Value;
use ypad_server::Config;
use ypad_tests::{Client, TestServer};

const SECRET: &str = "secret-board-salaries-x7k2";

/// A client that typed `text` into `pad`, once the server has it (a second client saw it).
async fn typed(server: &TestServer, pad: &str, text: &str) -> Client {
    let mut writer = Client::connect(&server.ws_url(pad), 1).await;
    writer.insert(0, text).await;
    let mut probe = Client::connect(&server.ws_url(pad), 99).await;
    probe.wait_text(text).await;
    writer
}

async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(server.http_url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn listing_pads_needs_the_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let _writer = typed(&server, SECRET, "salaries").await;
    let key = server.api_key();
    for (path, headers) in [
        ("/api/v1/pads", vec![]),
        ("/api/v1/pads?prefix=secret", vec![]),
        ("/api/v1/pads?apikey=wrong", vec![]),
        ("/api/v1/pads", vec![("apikey", "wrong")]),
    ] {
        let resp = get(&server, path, &headers).await;
        assert_eq!(resp.status(), 401, "{path} {headers:?}");
        assert!(!resp.text().await.unwrap().contains(SECRET));
    }
    let bearer = format!("Bearer {key}");
    for (path, headers) in [
        (format!("/api/v1/pads?apikey={key}"), vec![]),
        ("/api/v1/pads".to_owned(), vec![("apikey", key.as_str())]),
        (
            "/api/v1/pads".to_owned(),
            vec![("authorization", bearer.as_str())],
        ),
    ] {
        let resp = get(&server, &path, &headers).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp.text().await.unwrap().contains(SECRET));
    }
    server.stop().await;
}

/// Everything a read-only link can reach, over HTTP and over its WebSocket, scanned for the
/// writable id.
#[tokio::test]
async fn a_read_only_id_never_leads_to_the_writable_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut writer = typed(&server, SECRET, "# Board\n\nsalaries").await;
    let meta = server.get_json(&format!("/api/v1/pads/{SECRET}")).await.1;
    let ro = meta["readOnlyId"].as_str().unwrap().to_owned();
    assert!(
        ro.len() == 34 && ro.starts_with("r.") && ro[2..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{ro}"
    );

    let mut reader = Client::new(2);
    reader.record();
    reader.reconnect(&server.ws_url(&ro)).await;
    reader.wait_text("# Board\n\nsalaries").await;
    writer
        .send_awareness(1, r##"{"user":{"name":"Moderator","color":"#336699"}}"##)
        .await;
    reader.wait_awareness().await;
    writer.insert(0, "x").await;
    reader.wait_text("x# Board\n\nsalaries").await;

    let mut paths: Vec<String> = [
        "",
        "/timeslider",
        "/present",
        "/export/etherpad",
        "/1/export/etherpad",
    ]
    .iter()
    .map(|p| format!("/p/{ro}{p}"))
    .collect();
    for kind in ["markdown", "md", "txt", "html"] {
        paths.push(format!("/p/{ro}/export/{kind}"));
        paths.push(format!("/p/{ro}/1/export/{kind}"));
    }
    for api in ["", "/text", "/authorship", "/revisions", "/revisions/1"] {
        paths.push(format!("/api/v1/pads/{ro}{api}"));
    }
    let mut reached = 0;
    for path in &paths {
        let resp = get(&server, path, &[]).await;
        let status = resp.status();
        let headers = format!("{:?}", resp.headers());
        let body = resp.text().await.unwrap();
        assert!(!headers.contains(SECRET), "{path} headers: {headers}");
        assert!(!body.contains(SECRET), "{path} body: {body}");
        if status == 200 {
            reached += 1;
        }
    }
    // The exports, the pages and the history are reachable; only the pad-metadata routes are not.
    assert!(reached >= paths.len() - 2, "{reached} of {}", paths.len());
    let etherpad = get(&server, &format!("/p/{ro}/export/etherpad"), &[]).await;
    let etherpad: Value = etherpad.json().await.unwrap();
    assert!(etherpad.get(format!("pad:{ro}")).is_some());

    let received = String::from_utf8_lossy(reader.recorded()).into_owned();
    assert!(received.contains("Moderator"), "the stream was recorded");
    assert!(!received.contains(SECRET));
    server.stop().await;
}

#[tokio::test]
async fn every_way_in_keeps_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.max_pad_chars = 100;
    let server = TestServer::start_with(config).await;
    let _writer = typed(&server, "limited", "fits").await;
    let big = "y".repeat(200);

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(big.clone().into_bytes()).file_name("big.txt"),
    );
    let resp = reqwest::Client::new()
        .post(server.http_url("/p/limited/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert!(resp.text().await.unwrap().contains("limit of 100"));

    for (function, params) in [
        (
            "setText",
            vec![("padID", "limited"), ("text", big.as_str())],
        ),
        (
            "appendText",
            vec![("padID", "limited"), ("text", big.as_str())],
        ),
        (
            "setHTML",
            vec![("padID", "limited"), ("html", big.as_str())],
        ),
    ] {
        let (status, body) = server.api(function, &params).await;
        assert_eq!(
            (status, &body["code"]),
            (200, &serde_json::json!(1)),
            "{function}: {body}"
        );
    }
    assert_eq!(server.text("limited").await.as_deref(), Some("fits"));
    // Within the limit, the same ways still work.
    server
        .api_ok("appendText", &[("padID", "limited"), ("text", " too")])
        .await;
    assert_eq!(server.text("limited").await.as_deref(), Some("fits too"));
    server.stop().await;
}

#[tokio::test]
async fn imports_and_exports_are_rate_limited_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.transfers_per_minute = 3;
    let server = TestServer::start_with(config).await;
    let _writer = typed(&server, "notes", "notes").await;
    for _ in 0..3 {
        assert_eq!(get(&server, "/p/notes/export/txt", &[]).await.status(), 200);
    }
    let refused = get(&server, "/p/notes/export/md", &[]).await;
    assert_eq!(refused.status(), 429);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"new".to_vec()).file_name("new.txt"),
    );
    let import = reqwest::Client::new()
        .post(server.http_url("/p/notes/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), 429);
    assert_eq!(server.text("notes").await.as_deref(), Some("notes"));
    // Scripts holding the key archive whole events without being counted.
    let key = server.api_key();
    for _ in 0..5 {
        let resp = get(&server, "/p/notes/export/txt", &[("apikey", key.as_str())]).await;
        assert_eq!(resp.status(), 200);
    }
    server.stop().await;
}

#[tokio::test]
async fn identity_cookies_are_http_only_and_secure_behind_a_trusted_https_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let set_cookie = |resp: &reqwest::Response| {
        resp.headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let server = TestServer::start(dir.path()).await;
    let plain = get(&server, "/", &[]).await;
    let cookie = set_cookie(&plain);
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
    // From an address that is not a trusted proxy, the header is not believed.
    let spoofed = get(&server, "/", &[("x-forwarded-proto", "https")]).await;
    assert!(!set_cookie(&spoofed).contains("Secure"));
    server.stop().await;

    let mut config = Config::new(dir.path());
    config.trusted_proxy = vec!["127.0.0.1".parse().unwrap()];
    let server = TestServer::start_with(config).await;
    let proxied = get(&server, "/p/notes", &[("x-forwarded-proto", "https")]).await;
    let cookie = set_cookie(&proxied);
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    server.stop().await;
}
