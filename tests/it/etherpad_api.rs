//! Etherpad's HTTP API: envelope, codes, key handling, versions, and each function's errors.

use serde_json::{Value, json};
use ypad_tests::{Client, TestServer};

/// API parameters, as name and value.
type Params<'a> = &'a [(&'a str, &'a str)];

async fn get(server: &TestServer, path: &str) -> (u16, Value) {
    server.get_json(path).await
}

#[tokio::test]
async fn versions_keys_and_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let key = server.api_key();
    assert_eq!(key.len(), 64);
    assert_eq!(
        get(&server, "/api").await,
        (200, json!({"currentVersion": "1.3.1"}))
    );

    let cases: &[(&str, u16, i64)] = &[
        // (path and query, HTTP status, code)
        ("/api/1.2.1/listAllPads", 401, 4),
        ("/api/1.2.1/listAllPads?apikey=wrong", 401, 4),
        // listAllPads arrived in 1.2.1.
        ("/api/1/listAllPads", 404, 3),
        ("/api/9.9/listAllPads", 404, 3),
        ("/api/1/noSuchFunction", 404, 3),
        // copyPad arrived in 1.2.9: older versions do not know it.
        ("/api/1.2.8/copyPad", 404, 3),
    ];
    for (path, status, code) in cases {
        let (s, body) = get(&server, path).await;
        assert_eq!(
            (s, body["code"].as_i64()),
            (*status, Some(*code)),
            "{path}: {body}"
        );
        assert!(
            body["data"].is_null() && body["message"].is_string(),
            "{path}: {body}"
        );
    }
    for version in ["1.2.1", "1.2.9", "1.2.15", "1.3.0", "1.3.1"] {
        for param in ["apikey", "api_key", "authorization"] {
            let (s, body) = get(
                &server,
                &format!("/api/{version}/listAllPads?{param}={key}"),
            )
            .await;
            assert_eq!(
                (s, &body["code"]),
                (200, &json!(0)),
                "{version} {param}: {body}"
            );
        }
    }
    // The key as an `apikey` header, as old clients send it.
    let resp = reqwest::Client::new()
        .get(server.http_url("/api/1.2.1/listAllPads"))
        .header("apikey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A multipart body, and a body field winning over the query.
    let form = reqwest::multipart::Form::new()
        .text("apikey", key.clone())
        .text("padID", "multi");
    let resp = reqwest::Client::new()
        .post(server.http_url("/api/1/createPad?padID=from-query"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], 0);
    assert_eq!(
        server.api_ok("listAllPads", &[]).await,
        json!({"padIDs": ["multi"]})
    );
    server.stop().await;
}

#[tokio::test]
async fn pad_lifecycle_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    server
        .api_ok(
            "createPad",
            &[("padID", "notes"), ("text", "# Title\nfirst line")],
        )
        .await;
    let (_, dup) = server.api("createPad", &[("padID", "notes")]).await;
    assert_eq!(
        (dup["code"].as_i64(), dup["message"].as_str()),
        (Some(1), Some("padID does already exist"))
    );
    assert_eq!(
        server.api_ok("getText", &[("padID", "notes")]).await,
        json!({"text": "# Title\nfirst line\n"})
    );
    assert_eq!(
        server
            .api_ok("getRevisionsCount", &[("padID", "notes")])
            .await,
        json!({"revisions": 1})
    );

    // A change through the API reaches a connected client as a CRDT update.
    let mut browser = Client::connect(&server.ws_url("notes"), 5).await;
    server
        .api_ok(
            "setText",
            &[("padID", "notes"), ("text", "# Title\nsecond line\n")],
        )
        .await;
    browser.wait_text("# Title\nsecond line\n").await;
    server
        .api_ok("appendText", &[("padID", "notes"), ("text", "- item\n")])
        .await;
    browser.wait_text("# Title\nsecond line\n- item\n").await;
    assert_eq!(
        server
            .api_ok("getRevisionsCount", &[("padID", "notes")])
            .await["revisions"],
        3
    );

    // Past revisions.
    assert_eq!(
        server
            .api_ok("getText", &[("padID", "notes"), ("rev", "1")])
            .await["text"],
        "# Title\nfirst line\n"
    );
    assert_eq!(
        server
            .api_ok("getText", &[("padID", "notes"), ("rev", "0")])
            .await["text"],
        "\n"
    );
    let html = server.api_ok("getHTML", &[("padID", "notes")]).await["html"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        html.starts_with("<!DOCTYPE HTML><html><body>")
            && html.contains("<h1>Title</h1>")
            && html.contains("<li>item</li>"),
        "{html}"
    );
    let diff = server
        .api_ok(
            "createDiffHTML",
            &[("padID", "notes"), ("startRev", "1"), ("endRev", "2")],
        )
        .await;
    let diff_html = diff["html"].as_str().unwrap();
    assert!(
        diff_html.contains("<del class=\"removed\">first</del>")
            && diff_html.contains("<ins class=\"added\">second</ins>"),
        "{diff_html}"
    );
    let changeset = server
        .api_ok("getRevisionChangeset", &[("padID", "notes"), ("rev", "3")])
        .await;
    assert!(changeset.as_str().unwrap().starts_with("Z:"), "{changeset}");

    server
        .api_ok("restoreRevision", &[("padID", "notes"), ("rev", "1")])
        .await;
    browser.wait_text("# Title\nfirst line").await;
    assert_eq!(
        server
            .api_ok("getRevisionsCount", &[("padID", "notes")])
            .await["revisions"],
        4
    );

    server
        .api_ok(
            "setHTML",
            &[
                ("padID", "notes"),
                ("html", "<h2>From HTML</h2><p><strong>bold</strong></p>"),
            ],
        )
        .await;
    let text = server.api_ok("getText", &[("padID", "notes")]).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("## From HTML") && text.contains("**bold**"),
        "{text}"
    );

    // Saved revisions.
    server
        .api_ok("saveRevision", &[("padID", "notes"), ("rev", "2")])
        .await;
    server.api_ok("saveRevision", &[("padID", "notes")]).await;
    assert_eq!(
        server
            .api_ok("getSavedRevisionsCount", &[("padID", "notes")])
            .await,
        json!({"savedRevisions": 2})
    );
    assert_eq!(
        server
            .api_ok("listSavedRevisions", &[("padID", "notes")])
            .await,
        json!({"savedRevisions": [2, 5]})
    );

    // Read-only ids.
    let ro = server.api_ok("getReadOnlyID", &[("padID", "notes")]).await["readOnlyID"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server.api_ok("getPadID", &[("roID", &ro)]).await,
        json!({"padID": "notes"})
    );
    assert!(
        server.api_ok("getLastEdited", &[("padID", "notes")]).await["lastEdited"]
            .as_u64()
            .unwrap()
            > 1_600_000_000_000
    );
    assert_eq!(
        server.api_ok("padUsersCount", &[("padID", "notes")]).await,
        json!({"padUsersCount": 1})
    );

    // Copy, move, delete.
    server
        .api_ok(
            "copyPad",
            &[("sourceID", "notes"), ("destinationID", "copy")],
        )
        .await;
    assert_eq!(
        server
            .api_ok("getRevisionsCount", &[("padID", "copy")])
            .await["revisions"],
        5
    );
    let (_, exists) = server
        .api(
            "copyPad",
            &[("sourceID", "notes"), ("destinationID", "copy")],
        )
        .await;
    assert_eq!(exists["message"], "destinationID does already exist");
    server
        .api_ok(
            "copyPad",
            &[
                ("sourceID", "notes"),
                ("destinationID", "copy"),
                ("force", "true"),
            ],
        )
        .await;
    server
        .api_ok(
            "copyPadWithoutHistory",
            &[("sourceID", "notes"), ("destinationID", "flat")],
        )
        .await;
    assert_eq!(
        server
            .api_ok("getRevisionsCount", &[("padID", "flat")])
            .await["revisions"],
        1
    );
    assert_eq!(
        server.api_ok("getText", &[("padID", "flat")]).await,
        server.api_ok("getText", &[("padID", "notes")]).await
    );
    server
        .api_ok(
            "movePad",
            &[("sourceID", "flat"), ("destinationID", "moved")],
        )
        .await;
    assert_eq!(
        server.api_ok("listAllPads", &[]).await,
        json!({"padIDs": ["copy", "moved", "notes"]})
    );
    server.api_ok("deletePad", &[("padID", "copy")]).await;
    let (_, gone) = server.api("getText", &[("padID", "copy")]).await;
    assert_eq!(gone["message"], "padID does not exist");
    let stats = server.api_ok("getStats", &[]).await;
    assert_eq!(
        (stats["totalPads"].as_u64(), stats["totalSessions"].as_u64()),
        (Some(2), Some(1))
    );
    server.api_ok("checkToken", &[]).await;
    server.stop().await;
}

#[tokio::test]
async fn authors_and_chat() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let author = server
        .api_ok("createAuthor", &[("name", "Moderator")])
        .await["authorID"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(author.starts_with("a.") && author.len() == 18, "{author}");
    assert_eq!(
        server
            .api_ok("getAuthorName", &[("authorID", &author)])
            .await,
        json!("Moderator")
    );
    let mapped = server
        .api_ok(
            "createAuthorIfNotExistsFor",
            &[("authorMapper", "sso-7"), ("name", "Par")],
        )
        .await["authorID"]
        .clone();
    assert_eq!(
        server
            .api_ok("createAuthorIfNotExistsFor", &[("authorMapper", "sso-7")])
            .await["authorID"],
        mapped
    );

    server
        .api_ok(
            "createPad",
            &[("padID", "talk"), ("text", "hi"), ("authorId", &author)],
        )
        .await;
    assert_eq!(
        server
            .api_ok("listAuthorsOfPad", &[("padID", "talk")])
            .await,
        json!({"authorIDs": [author]})
    );
    assert_eq!(
        server
            .api_ok("listPadsOfAuthor", &[("authorID", &author)])
            .await,
        json!({"padIDs": ["talk"]})
    );
    assert_eq!(
        server.api_ok("getChatHead", &[("padID", "talk")]).await,
        json!({"chatHead": -1})
    );
    server
        .api_ok(
            "appendChatMessage",
            &[
                ("padID", "talk"),
                ("text", "<script>x</script>"),
                ("authorID", &author),
                ("time", "1700000000000"),
            ],
        )
        .await;
    server
        .api_ok(
            "appendChatMessage",
            &[("padID", "talk"), ("text", "second"), ("authorID", &author)],
        )
        .await;
    assert_eq!(
        server.api_ok("getChatHead", &[("padID", "talk")]).await,
        json!({"chatHead": 1})
    );
    let history = server
        .api_ok(
            "getChatHistory",
            &[("padID", "talk"), ("start", "0"), ("end", "0")],
        )
        .await;
    assert_eq!(
        history,
        json!({"messages": [{"text": "<script>x</script>", "userId": author, "time": 1_700_000_000_000u64, "userName": "Moderator"}]})
    );
    assert_eq!(
        server.api_ok("getChatHistory", &[("padID", "talk")]).await["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    server.stop().await;
}

#[tokio::test]
async fn error_cases() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    server
        .api_ok("createPad", &[("padID", "p"), ("text", "x")])
        .await;
    let long = "y".repeat(51);
    let cases: &[(&str, Params, &str)] = &[
        ("getText", &[("padID", "nope")], "padID does not exist"),
        ("getText", &[], "padID is missing"),
        (
            "getText",
            &[("padID", "p"), ("rev", "9")],
            "rev is higher than the head revision of the pad",
        ),
        (
            "getText",
            &[("padID", "p"), ("rev", "x")],
            "rev is not a number",
        ),
        (
            "getHTML",
            &[("padID", "p"), ("rev", "2")],
            "rev is higher than the head revision of the pad",
        ),
        ("setText", &[("padID", "p")], "text is missing"),
        (
            "setText",
            &[("padID", "nope"), ("text", "t")],
            "padID does not exist",
        ),
        (
            "createPad",
            &[("padID", "a/b")],
            "padID: pad id contains a forbidden character '/'",
        ),
        (
            "createPad",
            &[("padID", long.as_str())],
            "padID: pad id is longer than 50 characters",
        ),
        (
            "createPad",
            &[("padID", "g.x$y")],
            "padID: pad id contains a forbidden character '$'",
        ),
        ("deletePad", &[("padID", "nope")], "padID does not exist"),
        (
            "getAuthorName",
            &[("authorID", "a.nobody")],
            "authorID does not exist",
        ),
        ("getPadID", &[("roID", "r.nothing")], "padID does not exist"),
        (
            "copyPad",
            &[("sourceID", "nope"), ("destinationID", "q")],
            "padID does not exist",
        ),
        (
            "createDiffHTML",
            &[("padID", "p"), ("startRev", "1"), ("endRev", "0")],
            "startRev is higher than endRev",
        ),
        (
            "getChatHistory",
            &[("padID", "p"), ("start", "0"), ("end", "3")],
            "start is higher or equal to the current chatHead",
        ),
        (
            "restoreRevision",
            &[("padID", "p"), ("rev", "5")],
            "rev is higher than the head revision of the pad",
        ),
    ];
    for (function, params, message) in cases {
        let (status, body) = server.api(function, params).await;
        assert_eq!(
            (status, body["code"].as_i64(), body["message"].as_str()),
            (200, Some(1), Some(*message)),
            "{function} {params:?}"
        );
    }
    // Nothing was written by any of them.
    assert_eq!(
        server.api_ok("listAllPads", &[]).await,
        json!({"padIDs": ["p"]})
    );
    assert_eq!(
        server.api_ok("getRevisionsCount", &[("padID", "p")]).await["revisions"],
        1
    );
    server.stop().await;
}
