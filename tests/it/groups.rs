//! Etherpad's groups and sessions: a group pad opens only with a live session of its group (or
//! when public), on every route; a deleted or expired session stops working at once, even on an
//! open WebSocket; `--require-session` and `--edit-only` as in Etherpad.

use serde_json::{Value, json};
use ypad_server::Config;
use ypad_tests::{Client, TestServer};

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// GET `path` with `cookie`; the status and body.
async fn get(server: &TestServer, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(server.http_url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let resp = request.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The status of a WebSocket upgrade to `pad` with `cookie`.
async fn upgrade_status(server: &TestServer, pad: &str, cookie: Option<&str>) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = server.ws_url(pad).into_client_request().unwrap();
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(other) => panic!("{other}"),
    }
}

/// A group with a pad holding `text`, an author and a session of the group for them.
struct Portal {
    group: String,
    pad: String,
    author: String,
    session: String,
}

async fn portal(server: &TestServer, valid_for_secs: u64) -> Portal {
    let group = server
        .api_ok("createGroupIfNotExistsFor", &[("groupMapper", "course-42")])
        .await["groupID"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = server
        .api_ok("createGroupIfNotExistsFor", &[("groupMapper", "course-42")])
        .await;
    assert_eq!(again["groupID"], json!(group));
    let pad = server
        .api_ok(
            "createGroupPad",
            &[
                ("groupID", &group),
                ("padName", "minutes"),
                ("text", "minutes"),
            ],
        )
        .await["padID"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(pad, format!("{group}$minutes"));
    let author = server.api_ok("createAuthor", &[("name", "Student")]).await["authorID"]
        .as_str()
        .unwrap()
        .to_owned();
    let until = (now_secs() + valid_for_secs).to_string();
    let session = server
        .api_ok(
            "createSession",
            &[
                ("groupID", &group),
                ("authorID", &author),
                ("validUntil", &until),
            ],
        )
        .await["sessionID"]
        .as_str()
        .unwrap()
        .to_owned();
    Portal {
        group,
        pad,
        author,
        session,
    }
}

fn encoded(pad: &str) -> String {
    pad.replace('$', "%24")
}

#[tokio::test]
async fn the_group_and_session_functions_answer_as_etherpads_do() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let p = portal(&server, 3600).await;
    assert!(
        p.group.starts_with("g.") && p.group.len() == 18,
        "{}",
        p.group
    );
    assert!(
        p.session.starts_with("s.") && p.session.len() == 34,
        "{}",
        p.session
    );
    assert_eq!(
        server.api_ok("listPads", &[("groupID", &p.group)]).await,
        json!({ "padIDs": [p.pad] })
    );
    assert_eq!(
        server.api_ok("listAllGroups", &[]).await,
        json!({ "groupIDs": [p.group] })
    );
    let info = server
        .api_ok("getSessionInfo", &[("sessionID", &p.session)])
        .await;
    assert_eq!(
        (&info["groupID"], &info["authorID"]),
        (&json!(p.group), &json!(p.author))
    );
    for (function, key) in [
        ("listSessionsOfGroup", ("groupID", &p.group)),
        ("listSessionsOfAuthor", ("authorID", &p.author)),
    ] {
        let listed = server.api_ok(function, &[(key.0, key.1.as_str())]).await;
        assert_eq!(
            listed[&p.session]["authorID"],
            json!(p.author),
            "{function}"
        );
    }
    assert_eq!(
        server.api_ok("getPublicStatus", &[("padID", &p.pad)]).await,
        json!({ "publicStatus": false })
    );
    assert_eq!(
        server
            .api_ok("isPasswordProtected", &[("padID", &p.pad)])
            .await,
        json!({ "isPasswordProtected": false })
    );
    let past = (now_secs() - 10).to_string();
    for (function, params, message) in [
        (
            "createSession",
            vec![
                ("groupID", p.group.as_str()),
                ("authorID", p.author.as_str()),
                ("validUntil", past.as_str()),
            ],
            "validUntil is in the past",
        ),
        (
            "createSession",
            vec![
                ("groupID", "g.0000000000000000"),
                ("authorID", p.author.as_str()),
                ("validUntil", "9999999999"),
            ],
            "groupID does not exist",
        ),
        (
            "createGroupPad",
            vec![("groupID", p.group.as_str()), ("padName", "minutes")],
            "padName does already exist",
        ),
        (
            "createPad",
            vec![("padID", p.pad.as_str())],
            "use createGroupPad to create group pads",
        ),
        (
            "deleteSession",
            vec![("sessionID", "s.nope")],
            "sessionID does not exist",
        ),
    ] {
        let (_, body) = server.api(function, &params).await;
        assert_eq!(
            (&body["code"], &body["message"]),
            (&json!(1), &json!(message)),
            "{function}"
        );
    }
    server.api_ok("deleteGroup", &[("groupID", &p.group)]).await;
    assert_eq!(
        server.api_ok("listAllGroups", &[]).await,
        json!({ "groupIDs": [] })
    );
    assert_eq!(
        server
            .api_ok("listSessionsOfAuthor", &[("authorID", &p.author)])
            .await,
        Value::Null
    );
    let (_, gone) = server.api("getRevisionsCount", &[("padID", &p.pad)]).await;
    assert_eq!(gone["message"], json!("padID does not exist"));
    server.stop().await;
}

#[tokio::test]
async fn a_group_pad_opens_only_through_a_live_session_of_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let p = portal(&server, 3600).await;
    let pad = encoded(&p.pad);
    let with_session = format!("sessionID={}", p.session);
    let other_group = server.api_ok("createGroup", &[]).await["groupID"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = server.api_ok("createAuthor", &[]).await["authorID"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = server
        .api_ok(
            "createSession",
            &[
                ("groupID", &other_group),
                ("authorID", &stranger),
                ("validUntil", "9999999999"),
            ],
        )
        .await["sessionID"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong_group = format!("sessionID={other}");
    let routes = [
        format!("/p/{pad}"),
        format!("/p/{pad}/timeslider"),
        format!("/p/{pad}/present"),
        format!("/p/{pad}/export/txt"),
        format!("/p/{pad}/1/export/md"),
        format!("/api/v1/pads/{pad}/revisions"),
        format!("/api/v1/pads/{pad}/text"),
    ];
    for cookie in [
        None,
        Some(wrong_group.as_str()),
        Some("sessionID=s.made-up"),
    ] {
        for route in &routes {
            let (status, body) = get(&server, route, cookie).await;
            assert_eq!(status, 403, "{route} with {cookie:?}");
            assert!(
                !body.contains("minutes") || body.contains("open it through"),
                "{route}: {body}"
            );
        }
        assert_eq!(upgrade_status(&server, &pad, cookie).await, 403);
    }
    let page = get(&server, &format!("/p/{pad}"), None).await.1;
    assert!(
        page.contains("not open to you") && page.contains("no valid session"),
        "{page}"
    );

    // With the session (among others, as portals set them), everything opens.
    let cookies = format!("sessionID={other}%2C{}", p.session);
    for route in &routes {
        assert_eq!(get(&server, route, Some(&cookies)).await.0, 200, "{route}");
    }
    let mut student = Client::connect_with_cookie(&server.ws_url(&pad), 1, &with_session).await;
    assert_eq!(student.text(), "minutes");
    student.insert(7, " of the meeting").await;
    let mut probe = Client::connect_with_cookie(&server.ws_url(&pad), 2, &with_session).await;
    probe.wait_text("minutes of the meeting").await;
    // What the browser writes is the session's author's.
    let authors = server
        .api_ok("listAuthorsOfPad", &[("padID", &p.pad)])
        .await;
    assert!(
        authors["authorIDs"]
            .as_array()
            .unwrap()
            .contains(&json!(p.author)),
        "{authors}"
    );

    // Deleted: the open sockets close at once, and nothing opens any more.
    server
        .api_ok("deleteSession", &[("sessionID", &p.session)])
        .await;
    assert_eq!(student.wait_closed().await, Some(4001));
    assert_eq!(probe.wait_closed().await, Some(4001));
    assert_eq!(
        upgrade_status(&server, &pad, Some(&with_session)).await,
        403
    );
    assert_eq!(
        get(
            &server,
            &format!("/p/{pad}/export/txt"),
            Some(&with_session)
        )
        .await
        .0,
        403
    );

    // Public: open to everyone.
    server
        .api_ok(
            "setPublicStatus",
            &[("padID", &p.pad), ("publicStatus", "true")],
        )
        .await;
    assert_eq!(
        get(&server, &format!("/p/{pad}/export/txt"), None).await,
        (200, "minutes of the meeting".to_owned())
    );
    assert_eq!(upgrade_status(&server, &pad, None).await, 101);
    server.stop().await;
}

#[tokio::test]
async fn an_expiring_session_closes_its_open_socket() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let p = portal(&server, 2).await;
    let pad = encoded(&p.pad);
    let cookie = format!("sessionID={}", p.session);
    let mut student = Client::connect_with_cookie(&server.ws_url(&pad), 1, &cookie).await;
    assert_eq!(student.wait_closed().await, Some(4001));
    assert_eq!(upgrade_status(&server, &pad, Some(&cookie)).await, 403);
    server.stop().await;
}

#[tokio::test]
async fn require_session_and_edit_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.require_session = true;
    let server = TestServer::start_with(config).await;
    server
        .api_ok("createPad", &[("padID", "plain"), ("text", "plain")])
        .await;
    assert_eq!(upgrade_status(&server, "plain", None).await, 403);
    assert_eq!(get(&server, "/p/plain/export/txt", None).await.0, 403);
    // The pad page and its presenter view refuse alike.
    for page in ["/p/plain", "/p/plain/present"] {
        assert_eq!(get(&server, page, None).await.0, 403, "{page}");
    }
    let key = server.api_key();
    assert_eq!(
        get(&server, &format!("/p/plain/export/txt?apikey={key}"), None)
            .await
            .0,
        200
    );
    let p = portal(&server, 3600).await;
    let cookie = format!("sessionID={}", p.session);
    assert_eq!(
        upgrade_status(&server, &encoded(&p.pad), Some(&cookie)).await,
        101
    );
    server.stop().await;

    let mut config = Config::new(dir.path());
    config.edit_only = true;
    let server = TestServer::start_with(config).await;
    assert_eq!(upgrade_status(&server, "brand-new", None).await, 403);
    assert_eq!(upgrade_status(&server, "plain", None).await, 101);
    server.stop().await;
}
