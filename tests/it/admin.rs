//! `/admin`: nothing without signing in with the API key; wrong keys are rate-limited; signed
//! in, the pads with their state, and lock and delete (after a confirmation naming the pad).

use serde_json::json;
use ypad_tests::{Client, TestServer};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(server: &TestServer, key: &str) -> reqwest::Response {
    http()
        .post(server.http_url("/admin/sign-in"))
        .form(&[("key", key)])
        .send()
        .await
        .unwrap()
}

/// The `ypad_admin=…` pair a successful sign-in sets.
async fn admin_cookie(server: &TestServer) -> String {
    let resp = sign_in(server, &server.api_key()).await;
    assert_eq!(resp.status(), 303);
    let set = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

async fn post(
    server: &TestServer,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = http().post(server.http_url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

async fn page(server: &TestServer, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request = http().get(server.http_url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let resp = request.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn nothing_without_signing_in_and_wrong_keys_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut c = Client::connect(&server.ws_url("board-secret-pad"), 1).await;
    c.insert(0, "secret").await;
    let mut probe = Client::connect(&server.ws_url("board-secret-pad"), 2).await;
    probe.wait_text("secret").await;

    let (status, body) = page(&server, "/admin", None).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Sign in") && !body.contains("board-secret-pad"),
        "{body}"
    );
    for cookie in [
        "ypad_admin=99999999999999.00ff",
        "ypad_admin=1.abcd",
        "ypad_admin=junk",
    ] {
        let (_, body) = page(&server, "/admin", Some(cookie)).await;
        assert!(!body.contains("board-secret-pad"), "{cookie}");
    }
    // Actions without a sign-in change nothing.
    let resp = post(&server, "/admin/pads/board-secret-pad/lock", None, None).await;
    assert_eq!(resp.status(), 401);
    let resp = post(&server, "/admin/pads/board-secret-pad/delete", None, None).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        server
            .api_ok("getPadLock", &[("padID", "board-secret-pad")])
            .await["locked"],
        json!(false)
    );
    assert_eq!(
        server.text("board-secret-pad").await.as_deref(),
        Some("secret")
    );

    for _ in 0..5 {
        assert_eq!(sign_in(&server, "guess").await.status(), 401);
    }
    assert_eq!(sign_in(&server, "guess").await.status(), 429);
    // The limit holds for the right key too, so guessing gains nothing by waiting for it.
    assert_eq!(sign_in(&server, &server.api_key()).await.status(), 429);
    server.stop().await;
}

#[tokio::test]
async fn signed_in_the_admin_sees_locks_and_deletes_pads() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut c = Client::connect(&server.ws_url("summit-keynote"), 1).await;
    c.insert(0, "keynote notes").await;
    let mut probe = Client::connect(&server.ws_url("summit-keynote"), 2).await;
    probe.wait_text("keynote notes").await;
    let cookie = admin_cookie(&server).await;
    // Signed in, the admin may list pads as a key holder does; signed out, not.
    let (status, listing) = page(&server, "/api/v1/pads", Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(listing.contains("summit-keynote"));
    assert_eq!(page(&server, "/api/v1/pads", None).await.0, 401);

    let (status, body) = page(&server, "/admin", Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("summit-keynote") && body.contains("connections"),
        "{body}"
    );
    let (_, filtered) = page(&server, "/admin?prefix=other", Some(&cookie)).await;
    assert!(!filtered.contains(">summit-keynote<"));

    // A form posted from another site is refused.
    let forged = post(
        &server,
        "/admin/pads/summit-keynote/lock",
        Some(&cookie),
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(
        server
            .api_ok("getPadLock", &[("padID", "summit-keynote")])
            .await["locked"],
        json!(false)
    );

    let own_origin = format!("http://{}", server.addr);
    let locked = post(
        &server,
        "/admin/pads/summit-keynote/lock",
        Some(&cookie),
        Some(&own_origin),
    )
    .await;
    assert_eq!(locked.status(), 303);
    assert_eq!(
        server
            .api_ok("getPadLock", &[("padID", "summit-keynote")])
            .await["locked"],
        json!(true)
    );
    let (_, body) = page(&server, "/admin", Some(&cookie)).await;
    assert!(body.contains("locked"));

    let (status, confirm) = page(&server, "/admin/pads/summit-keynote/delete", Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(
        confirm.contains("Delete the pad “summit-keynote”?"),
        "{confirm}"
    );
    let deleted = post(
        &server,
        "/admin/pads/summit-keynote/delete",
        Some(&cookie),
        Some(&own_origin),
    )
    .await;
    assert_eq!(deleted.status(), 303);
    let (_, gone) = server.api("getText", &[("padID", "summit-keynote")]).await;
    assert_eq!(gone["message"], json!("padID does not exist"));

    let out = post(&server, "/admin/sign-out", Some(&cookie), None).await;
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    server.stop().await;
}
