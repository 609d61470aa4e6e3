//! Export URLs and imports, including real `.etherpad` files written by Etherpad itself.

use std::path::PathBuf;

use serde_json::{Value, json};
use ypad_tests::{Client, TestServer};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/ypad-formats/tests/fixtures/etherpad")
        .join(name)
}

const FIXTURES: &[&str] = &[
    "YVR-S-release-goals",
    "kilo-oslo-sessions",
    "ocata-tripleo-summary",
];

async fn upload(server: &TestServer, pad: &str, filename: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let resp = reqwest::Client::new()
        .post(server.http_url(&format!("/p/{pad}/import")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn download(server: &TestServer, path: &str) -> (u16, String, String, String) {
    let resp = reqwest::get(server.http_url(path)).await.unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (ctype, disposition) = (header("content-type"), header("content-disposition"));
    let status = resp.status().as_u16();
    (status, ctype, disposition, resp.text().await.unwrap())
}

/// Etherpad's plain text with the Markdown markers an import adds taken out again.
fn without_markdown(md: &str) -> String {
    md.lines()
        .map(|l| {
            let t = l.trim_start();
            let t = t
                .strip_prefix("- ")
                .or_else(|| t.strip_prefix("* "))
                .unwrap_or(t);
            let t = t.trim_start_matches(|c: char| c.is_ascii_digit());
            let t = t.strip_prefix(". ").unwrap_or(t);
            t.trim_start_matches("# ")
                .replace("**", "")
                .replace("~~", "")
                .replace(['*', '_'], "")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn etherpad_files_import_with_history_authors_and_chat() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    for name in FIXTURES {
        let file = std::fs::read(fixture(&format!("{name}.etherpad"))).unwrap();
        let source: Value = serde_json::from_slice(&file).unwrap();
        let record = &source[format!("pad:{name}")];
        let (status, body) = upload(&server, name, &format!("{name}.etherpad"), file).await;
        assert_eq!(status, 200, "{name}: {body}");

        // Every Etherpad revision (0 to head) became a ypad revision.
        let head = record["head"].as_u64().unwrap();
        let revisions = server.api_ok("getRevisionsCount", &[("padID", name)]).await;
        assert_eq!(revisions["revisions"].as_u64(), Some(head + 1), "{name}");

        // The text is Etherpad's, line by line, once Markdown markers are set aside.
        let md = server.text(name).await.unwrap();
        let txt = std::fs::read_to_string(fixture(&format!("{name}.txt"))).unwrap();
        // Markdown separates blocks with blank lines that Etherpad's text does not have.
        let expected: Vec<String> = txt
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| without_markdown(l.trim_start_matches('\t')))
            .collect();
        let got: Vec<String> = md
            .lines()
            .filter(|l| !l.is_empty())
            .map(without_markdown)
            .collect();
        assert_eq!(got, expected, "{name}:\n{md}");
        // Rich text became Markdown.
        assert!(md.contains("**"), "{name}: bold\n{md}");
        assert!(md.contains("~~"), "{name}: strikethrough\n{md}");
        assert!(
            md.lines().any(|l| l.starts_with("- ")),
            "{name}: bullets\n{md}"
        );
        assert!(
            md.lines().any(|l| l.starts_with("  - ")),
            "{name}: nested bullet\n{md}"
        );
        assert!(
            md.lines().any(|l| l.starts_with("1. ")),
            "{name}: numbers\n{md}"
        );

        // Authors with names, and the chat.
        let authors =
            server.api_ok("listAuthorsOfPad", &[("padID", name)]).await["authorIDs"].clone();
        let mut names = Vec::new();
        for id in authors.as_array().unwrap() {
            let n = server
                .api_ok("getAuthorName", &[("authorID", id.as_str().unwrap())])
                .await;
            names.push(n.as_str().unwrap().to_owned());
        }
        names.sort();
        assert_eq!(names, ["Moderator", "Participant"], "{name}");
        let chat = server.api_ok("getChatHistory", &[("padID", name)]).await["messages"].clone();
        let chat_head = record["chatHead"].as_u64().unwrap() as usize;
        assert_eq!(chat.as_array().unwrap().len(), chat_head + 1, "{name}");
        for (i, m) in chat.as_array().unwrap().iter().enumerate() {
            let original = &source[format!("pad:{name}:chat:{i}")];
            assert_eq!(m["text"], original["text"], "{name} chat {i}");
            assert_eq!(m["time"], original["time"], "{name} chat {i}");
        }

        // Authorship survives the move: every character belongs to one of the two authors,
        // except the newline Etherpad itself puts in every new pad.
        let (_, at_head) = server
            .get_json(&format!("/api/v1/pads/{name}/revisions/{}", head + 1))
            .await;
        let text16: Vec<u16> = at_head["text"].as_str().unwrap().encode_utf16().collect();
        let mut at = 0;
        let mut span_authors = Vec::new();
        for span in at_head["spans"].as_array().unwrap() {
            let len = span[0].as_u64().unwrap() as usize;
            let part = String::from_utf16(&text16[at..at + len]).unwrap();
            at += len;
            match span[1].as_str() {
                Some(id) => {
                    span_authors.push(at_head["authors"][id]["name"].as_str().unwrap().to_owned())
                }
                None => assert_eq!(part, "\n", "{name}: unattributed text"),
            }
        }
        span_authors.sort();
        span_authors.dedup();
        assert_eq!(span_authors, ["Moderator", "Participant"], "{name}");

        // Playback: a middle revision is a prefix state of the typing, not the final text.
        let mid = server
            .api_ok(
                "getText",
                &[("padID", name), ("rev", &(head / 2).to_string())],
            )
            .await;
        assert_ne!(mid["text"].as_str().unwrap(), format!("{md}\n"));
    }
    server.stop().await;
}

#[tokio::test]
async fn exports_in_every_format_and_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    server.api_ok("createPad", &[("padID", "Summit Notes"), ("text", "# Notes\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold** <img src=x onerror=alert(1)>\n")]).await;
    server
        .api_ok(
            "appendText",
            &[("padID", "Summit Notes"), ("text", "- decision\n")],
        )
        .await;

    let (s, ctype, disposition, body) =
        download(&server, "/p/Summit%20Notes/export/markdown").await;
    assert_eq!((s, ctype.as_str()), (200, "text/markdown; charset=utf-8"));
    assert!(
        disposition.starts_with("attachment; filename=\"Summit_Notes.md\""),
        "{disposition}"
    );
    assert!(body.ends_with("- decision\n"));
    let (_, _, _, md) = download(&server, "/p/Summit%20Notes/export/md").await;
    assert_eq!(md, body);
    let (s, ctype, _, txt) = download(&server, "/p/Summit%20Notes/export/txt").await;
    assert_eq!(
        (s, ctype.as_str(), txt.as_str()),
        (200, "text/plain; charset=utf-8", body.as_str())
    );
    let (s, ctype, _, html) = download(&server, "/p/Summit%20Notes/export/html").await;
    assert_eq!((s, ctype.as_str()), (200, "text/html; charset=utf-8"));
    assert!(
        html.contains("<h1>Notes</h1>") && html.contains("<strong>bold</strong>"),
        "{html}"
    );
    assert!(
        !html.contains("<script>")
            && !html.contains("href=\"javascript:")
            && !html.contains("<img"),
        "pad markup is escaped: {html}"
    );
    // A past revision.
    let (s, _, _, old) = download(&server, "/p/Summit%20Notes/1/export/txt").await;
    assert_eq!(s, 200);
    assert!(!old.contains("decision"));
    assert_eq!(
        download(&server, "/p/Summit%20Notes/9/export/txt").await.0,
        404
    );
    assert_eq!(download(&server, "/p/nothing-here/export/txt").await.0, 404);
    assert_eq!(
        download(&server, "/p/Summit%20Notes/export/docx").await.0,
        404
    );

    // An .etherpad export imports back with its history.
    let (s, ctype, _, dump) = download(&server, "/p/Summit%20Notes/export/etherpad").await;
    assert_eq!(
        (s, ctype.as_str()),
        (200, "application/json; charset=utf-8")
    );
    let parsed: Value = serde_json::from_str(&dump).unwrap();
    assert!(parsed["pad:Summit Notes"]["atext"]["text"].is_string());
    let (s, body) = upload(
        &server,
        "restored",
        "Summit Notes.etherpad",
        dump.into_bytes(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(server.text("restored").await.as_deref(), Some(md.as_str()));
    assert_eq!(
        server
            .api_ok("getRevisionsCount", &[("padID", "restored")])
            .await,
        json!({"revisions": 2})
    );
    server.stop().await;
}

#[tokio::test]
async fn imports_replace_text_and_bad_files_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut browser = Client::connect(&server.ws_url("imp"), 3).await;
    let (s, _) = upload(&server, "imp", "notes.md", b"# Imported\n".to_vec()).await;
    assert_eq!(s, 200);
    browser.wait_text("# Imported\n").await;
    let (s, _) = upload(
        &server,
        "imp",
        "page.html",
        b"<h2>Agenda</h2><ul><li><em>one</em></li></ul>".to_vec(),
    )
    .await;
    assert_eq!(s, 200);
    let text = server.text("imp").await.unwrap();
    assert!(
        text.contains("## Agenda") && (text.contains("- *one*") || text.contains("- _one_")),
        "{text}"
    );

    let broken = FIXTURES
        .iter()
        .map(|n| std::fs::read_to_string(fixture(&format!("{n}.etherpad"))).unwrap())
        .next()
        .unwrap();
    let truncated = broken[..broken.len() / 2].to_owned();
    let cases: &[(&str, &[u8], &str)] = &[
        ("a.etherpad", b"not json", "a.etherpad"),
        ("b.etherpad", truncated.as_bytes(), "b.etherpad"),
        ("c.etherpad", b"{\"unrelated\": 1}", "c.etherpad"),
        ("d.docx", b"PK\x03\x04", "unsupported file type"),
        ("e.md", b"\xff\xfe\xfa", "not UTF-8"),
    ];
    for (filename, bytes, needle) in cases {
        // Into a new pad, where an .etherpad file may go: the file itself is what is wrong.
        let (s, body) = upload(&server, "fresh", filename, bytes.to_vec()).await;
        assert_eq!(s, 400, "{filename}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{filename}: {body}"
        );
        let (s, body) = upload(&server, "imp", filename, bytes.to_vec()).await;
        assert_eq!(s, 400, "{filename}: {body}");
    }
    assert_eq!(server.text("imp").await, Some(text));
    assert_eq!(server.text("fresh").await, None);
    // An .etherpad file goes into a new pad only.
    let (s, body) = upload(
        &server,
        "imp",
        "x.etherpad",
        std::fs::read(fixture("kilo-oslo-sessions.etherpad")).unwrap(),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    server.stop().await;
}
