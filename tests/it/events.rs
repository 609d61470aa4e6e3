//! Events: made from each schedule format through `/api/v1/events`, made again from an edited
//! schedule without losing typed text, refused without the API key, listed publicly with live
//! counts, searched with ranked and marked results, frozen at their end and thawed.

use serde_json::{Value, json};
use ypad_server::Config;
use ypad_tests::{Client, TestServer, within};

/// A call to the events API, with the key or not.
async fn call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, server.http_url(path));
    if let Some(key) = key {
        request = request.header("apikey", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let resp = request.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post_event(server: &TestServer, body: Value) -> (u16, Value) {
    let key = server.api_key();
    call(
        server,
        reqwest::Method::POST,
        "/api/v1/events",
        Some(&key),
        Some(body),
    )
    .await
}

async fn text(server: &TestServer, pad: &str) -> String {
    server
        .text(pad)
        .await
        .unwrap_or_else(|| panic!("pad {pad} exists"))
}

const CSV: &str = "title,start,end,room,moderators,pad\n\
    Opening,2030-04-14 09:00,2030-04-14 09:40,Hall A,Ana; Bo,\n\
    \"Nova, planning\",2030-04-14 10:00,2030-04-14 11:00,Room 2,Cy,nova\n";

const JSON_SCHEDULE: &str = r#"[
    {"title": "Opening", "start": "2030-04-14 09:00", "end": "2030-04-14 09:40",
     "room": "Hall A", "moderators": ["Ana", "Bo"]},
    {"title": "Nova, planning", "start": "2030-04-14T08:00:00Z", "end": "2030-04-14T09:00:00Z",
     "room": "Room 2", "moderators": "Cy", "pad": "nova"}
]"#;

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
    BEGIN:VEVENT\r\nUID:opening\r\nDTSTAMP:20300101T000000Z\r\nSUMMARY:Opening\r\n\
    DTSTART;TZID=Europe/Berlin:20300414T090000\r\nDTEND;TZID=Europe/Berlin:20300414T094000\r\n\
    LOCATION:Hall A\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:nova\r\nDTSTAMP:20300101T000000Z\r\nSUMMARY:Nova\\, planning\r\n\
    DTSTART:20300414T080000Z\r\nDTEND:20300414T090000Z\r\nLOCATION:Room 2\r\n\
    DESCRIPTION:Release plans\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const TEMPLATE: &str =
    "# {{title}}\n\n{{starts}} in {{room}} with {{moderators}}\n\nPad: {{url}} of {{event}}\n";

#[tokio::test]
async fn each_schedule_format_makes_an_event_and_its_pads() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    for (id, schedule) in [("csv", CSV), ("json", JSON_SCHEDULE), ("ics", ICS)] {
        let (status, body) = post_event(
            &server,
            json!({ "id": id, "title": format!("Summit {id}"), "timeZone": "Europe/Berlin",
                    "template": TEMPLATE, "schedule": schedule }),
        )
        .await;
        assert_eq!(status, 201, "{id}: {body}");
        assert_eq!(
            body["applied"]["created"],
            json!([format!("{id}-opening"), format!("{id}-nova")]),
            "{id}: {body}"
        );
        let opening = text(&server, &format!("{id}-opening")).await;
        let expected = format!(
            "# Opening\n\nSun 14 Apr 2030, 09:00–09:40 Europe/Berlin in Hall A with {}\n\n\
             Pad: http://{}/p/{id}-opening of Summit {id}\n",
            if id == "ics" { "" } else { "Ana, Bo" },
            server.addr
        );
        assert_eq!(opening, expected, "{id}");
        let nova = text(&server, &format!("{id}-nova")).await;
        assert!(
            nova.starts_with("# Nova, planning\n\nSun 14 Apr 2030, 10:00–11:00"),
            "{id}: {nova}"
        );

        // The page's JSON: public, the record with each session's pad and live state.
        let (status, event) = server.get_json(&format!("/api/v1/events/{id}")).await;
        assert_eq!(status, 200, "{event}");
        assert_eq!(event["title"], json!(format!("Summit {id}")));
        assert_eq!(
            (&event["startDate"], &event["endDate"]),
            (&json!("2030-04-14"), &json!("2030-04-14"))
        );
        let sessions = event["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[1]["room"], json!("Room 2"));
        assert_eq!(sessions[1]["startsMs"], json!(1_902_384_000_000u64));
        assert_eq!(
            sessions[1]["url"],
            json!(format!("http://{}/p/{id}-nova", server.addr))
        );
        assert_eq!(sessions[0]["present"], json!(0));
        assert_eq!(sessions[0]["chars"], json!(expected.chars().count()));
        assert!(sessions[0]["lastEditedMs"].as_u64().is_some());
    }
    assert_eq!(
        text(&server, "ics-nova").await.lines().next(),
        Some("# Nova, planning")
    );

    // The calendar links each pad, and reads back as the same schedule.
    let ics = reqwest::get(server.http_url("/e/csv.ics")).await.unwrap();
    assert_eq!(ics.status(), 200);
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = ics.text().await.unwrap();
    assert!(
        ics.contains(&format!("URL:http://{}/p/csv-nova", server.addr)),
        "{ics}"
    );
    let (status, again) = post_event(&server, json!({ "id": "csv", "schedule": ics })).await;
    assert_eq!(status, 200, "{again}");
    // Same pads; the untouched ones are filled in again (a calendar has no moderators).
    assert_eq!(again["applied"]["created"], json!([]));
    assert_eq!(again["applied"]["dropped"], json!([]));
    assert_eq!(again["event"]["sessions"][1]["pad"], json!("csv-nova"));

    let page = reqwest::get(server.http_url("/e/csv")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("event-title"));
    let missing = reqwest::get(server.http_url("/e/nothing")).await.unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn making_again_adds_and_retitles_but_keeps_typed_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (status, body) = post_event(
        &server,
        json!({ "id": "ptg", "timeZone": "UTC", "template": TEMPLATE, "schedule": CSV }),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // Someone writes in the opening's pad.
    let mut writer = Client::connect(&server.ws_url("ptg-opening"), 11).await;
    let made = text(&server, "ptg-opening").await;
    assert!(made.starts_with("# Opening\n"), "{made}");
    writer.wait_text(&made).await;
    let end = writer.text_len();
    writer.insert(end, "- decided: ship it\n").await;
    let typed = writer.text();
    within("the typed text to be stored", async {
        while text(&server, "ptg-opening").await != typed {
            tokio::task::yield_now().await;
        }
    })
    .await;

    // The edited schedule retitles both sessions and adds one; Nova keeps its pad by name.
    let edited = "title,start,end,room,pad\n\
        Opening plenary,2030-04-14 09:00,2030-04-14 09:40,Hall A,opening\n\
        Nova: release planning,2030-04-14 10:00,2030-04-14 11:00,Room 3,nova\n\
        Cinder,2030-04-15 09:00,2030-04-15 10:00,Room 1,\n";
    let (status, body) = post_event(&server, json!({ "id": "ptg", "schedule": edited })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["applied"],
        json!({"created": ["ptg-cinder"], "refilled": ["ptg-nova"], "kept": ["ptg-opening"], "dropped": []})
    );
    assert_eq!(text(&server, "ptg-opening").await, typed);
    let nova = text(&server, "ptg-nova").await;
    assert!(
        nova.starts_with("# Nova: release planning\n") && nova.contains("in Room 3"),
        "{nova}"
    );
    assert!(text(&server, "ptg-cinder").await.starts_with("# Cinder\n"));
    let (_, event) = server.get_json("/api/v1/events/ptg").await;
    assert_eq!(event["sessions"][0]["title"], json!("Opening plenary"));
    assert_eq!(event["sessions"].as_array().unwrap().len(), 3);
    assert_eq!(event["template"], json!(TEMPLATE), "fields not given stay");

    // A schedule without a session drops it from the listing; its pad stays.
    let shorter = "title,start,end,pad\nCinder,2030-04-15 09:00,2030-04-15 10:00,cinder\n";
    let (_, body) = post_event(&server, json!({ "id": "ptg", "schedule": shorter })).await;
    assert_eq!(
        body["applied"]["dropped"],
        json!(["ptg-nova", "ptg-opening"])
    );
    assert_eq!(text(&server, "ptg-opening").await, typed);
    server.stop().await;
}

#[tokio::test]
async fn event_writes_need_the_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let body = json!({ "id": "summit", "schedule": CSV });
    for key in [None, Some("wrong-key")] {
        let (status, refused) = call(
            &server,
            reqwest::Method::POST,
            "/api/v1/events",
            key,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 401, "POST with {key:?}: {refused}");
        let (status, _) = call(
            &server,
            reqwest::Method::PUT,
            "/api/v1/events/summit",
            key,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 401, "PUT with {key:?}");
    }
    assert_eq!(server.get_json("/api/v1/events/summit").await.0, 404);
    assert_eq!(server.text("summit-opening").await, None, "no pad was made");

    let (status, _) = post_event(&server, body).await;
    assert_eq!(status, 201);
    for key in [None, Some("wrong-key")] {
        let (status, _) = call(
            &server,
            reqwest::Method::DELETE,
            "/api/v1/events/summit",
            key,
            None,
        )
        .await;
        assert_eq!(status, 401, "DELETE with {key:?}");
    }
    // Public to read, as the organiser listed it.
    assert_eq!(server.get_json("/api/v1/events/summit").await.0, 200);
    let key = server.api_key();
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        "/api/v1/events/summit",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(server.get_json("/api/v1/events/summit").await.0, 404);
    assert!(
        server.text("summit-opening").await.is_some(),
        "the pads stay"
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_events_are_refused_with_the_reason_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let cases = [
        (
            json!({ "id": "a/b", "schedule": CSV }),
            "event id \"a/b\" must be",
        ),
        (
            json!({ "id": "x", "timeZone": "Mars/Base", "schedule": CSV }),
            "unknown time zone",
        ),
        (
            json!({ "id": "x", "schedule": "title,start,end\nA,soon,later\n" }),
            "session 1: start \"soon\" is not a time",
        ),
        (
            json!({ "id": "x", "schedule": "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR" }),
            "not valid iCalendar",
        ),
        (
            json!({ "id": "x", "sessions": [{ "pad": "other-pad", "title": "T" }] }),
            "must start with the event's id",
        ),
        (json!({ "title": "no id" }), "needs an `id`"),
        (json!({ "id": "x", "sessions": "many" }), "not an event"),
    ];
    for (body, reason) in cases {
        let (status, refused) = post_event(&server, body.clone()).await;
        assert_eq!(status, 400, "{body}: {refused}");
        let error = refused["error"].as_str().unwrap_or_default();
        assert!(error.contains(reason), "{body}: {error:?} lacks {reason:?}");
    }
    assert_eq!(server.get_json("/api/v1/events/x").await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn the_event_json_counts_who_is_in_each_pad() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    post_event(&server, json!({ "id": "live", "schedule": CSV })).await;
    let present = |event: &Value| event["sessions"][1]["present"].as_u64();
    assert_eq!(
        present(&server.get_json("/api/v1/events/live").await.1),
        Some(0)
    );
    let a = Client::connect(&server.ws_url("live-nova"), 21).await;
    let b = Client::connect(&server.ws_url("live-nova"), 22).await;
    assert_eq!(
        present(&server.get_json("/api/v1/events/live").await.1),
        Some(2)
    );
    drop((a, b));
    within("the count to fall once both left", async {
        while present(&server.get_json("/api/v1/events/live").await.1) != Some(0) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn search_ranks_the_event_pads_with_marked_snippets() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let schedule = "title,start,end\nRelease,2030-01-01 09:00,2030-01-01 10:00\n\
        Docs,2030-01-01 10:00,2030-01-01 11:00\nSocial,2030-01-01 12:00,2030-01-01 13:00\n";
    post_event(
        &server,
        json!({ "id": "s", "template": "", "schedule": schedule }),
    )
    .await;
    // A pad outside the event mentions the words too, and must not be found.
    server
        .api_ok(
            "createPad",
            &[
                ("padID", "elsewhere"),
                ("text", "release notes release notes"),
            ],
        )
        .await;
    for (pad, text) in [
        (
            "s-release",
            "The release date is fixed. Release notes follow the release.",
        ),
        ("s-docs", "Write the release notes before the date."),
        ("s-social", "Dinner at eight."),
    ] {
        server
            .api_ok("setText", &[("padID", pad), ("text", text)])
            .await;
    }
    let search = |q: &str| {
        let path = format!(
            "/api/v1/events/s/search?q={}",
            q.replace(' ', "%20").replace('"', "%22")
        );
        let server = &server;
        async move { server.get_json(&path).await }
    };
    let (status, body) = search("release").await;
    assert_eq!(status, 200, "{body}");
    let pads: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pad"].as_str().unwrap())
        .collect();
    assert_eq!(
        pads,
        ["s-release", "s-docs"],
        "the title and three hits rank first"
    );
    let marks: Vec<&str> = body["results"][1]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mark"] == json!(true))
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(marks, ["release"]);

    let (_, body) = search("\"notes follow\"").await;
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["results"][0]["pad"], json!("s-release"));
    let (_, body) = search("release dinner").await;
    assert_eq!(body["results"], json!([]), "every term must occur");
    assert_eq!(search("  ").await.0, 400);
    assert_eq!(
        server.get_json("/api/v1/events/none/search?q=a").await.0,
        404
    );

    // Text typed a moment ago is found: search reads the pads' current text.
    server
        .api_ok(
            "setText",
            &[("padID", "s-social"), ("text", "Dinner, then karaoke.")],
        )
        .await;
    let (_, body) = search("karaoke").await;
    assert_eq!(body["results"][0]["pad"], json!("s-social"));
    server.stop().await;
}

#[tokio::test]
async fn a_frozen_event_locks_its_pads_at_its_end_and_thaws() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let key = server.api_key();
    let lock = |pad: &'static str| {
        let server = &server;
        async move { server.get_json(&format!("/api/v1/pads/{pad}/lock")).await.1 }
    };
    // An event that has ended: its pads lock at once.
    let past = "title,start,end\nA,2020-01-01 09:00,2020-01-01 10:00\nB,2020-01-01 11:00,2020-01-01 12:00\n";
    let (status, body) = post_event(
        &server,
        json!({ "id": "old", "freezeAfterEnd": true, "schedule": past }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let locked = lock("old-a").await;
    assert_eq!(locked["locked"], json!(true), "{locked}");
    assert_eq!(
        locked["lockAt"],
        json!(1_577_880_000_000u64),
        "the last session's end"
    );
    let mut editor = Client::connect(&server.ws_url("old-b"), 31).await;
    editor.wait_text(&text(&server, "old-b").await).await;
    // Thawing through the API: the freeze alone, the rest of the event kept.
    let (status, body) = call(
        &server,
        reqwest::Method::PUT,
        "/api/v1/events/old",
        Some(&key),
        Some(json!({ "freezeAfterEnd": false })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["event"]["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(lock("old-a").await["locked"], json!(false));
    assert_eq!(lock("old-b").await["locked"], json!(false));

    // A future event: the lock is scheduled for its end; a moderator's own lock is left alone.
    let future = "title,start,end\nA,2030-01-01 09:00,2030-01-01 10:00\n";
    post_event(&server, json!({ "id": "new", "schedule": future })).await;
    let (status, _) = call(
        &server,
        reqwest::Method::PUT,
        "/api/v1/pads/new-a/lock",
        Some(&key),
        Some(json!({ "locked": true })),
    )
    .await;
    assert_eq!(status, 200);
    post_event(&server, json!({ "id": "new", "freezeAfterEnd": true })).await;
    let kept = lock("new-a").await;
    assert_eq!(
        (kept["locked"].clone(), kept["lockAt"].clone()),
        (json!(true), Value::Null)
    );
    call(
        &server,
        reqwest::Method::PUT,
        "/api/v1/pads/new-a/lock",
        Some(&key),
        Some(json!({ "locked": false })),
    )
    .await;
    post_event(&server, json!({ "id": "new", "freezeAfterEnd": false })).await;
    post_event(&server, json!({ "id": "new", "freezeAfterEnd": true })).await;
    let scheduled = lock("new-a").await;
    assert_eq!(scheduled["locked"], json!(false), "{scheduled}");
    assert_eq!(scheduled["lockAt"], json!(1_893_492_000_000u64));
    // Removing the event lifts its freeze: no pad locks later for an event nobody lists.
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        "/api/v1/events/new",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(lock("new-a").await["lockAt"], Value::Null);
    drop(editor);
    server.stop().await;
}

#[tokio::test]
async fn search_shows_no_text_where_browsers_may_not_open_the_pads() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.require_session = true;
    let server = TestServer::start_with(config).await;
    post_event(&server, json!({ "id": "closed", "schedule": CSV })).await;
    let (status, body) = server
        .get_json("/api/v1/events/closed/search?q=opening")
        .await;
    assert_eq!(status, 403, "{body}");
    let key = server.api_key();
    let (status, body) = call(
        &server,
        reqwest::Method::GET,
        "/api/v1/events/closed/search?q=opening",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["pad"], json!("closed-opening"));
    server.stop().await;
}

#[tokio::test]
async fn an_event_made_on_one_node_is_served_searched_and_frozen_on_another() {
    let url = ypad_store::pg_testing::fresh_database();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = |dir: &std::path::Path| {
        let mut config = Config::new(dir);
        config.database_url = Some(url.clone());
        config
    };
    let a = TestServer::start_with(config(dir_a.path())).await;
    let b = TestServer::start_with(config(dir_b.path())).await;
    let past = "title,start,end\nNova,2020-01-01 09:00,2020-01-01 10:00\n";
    let (status, body) = post_event(
        &a,
        json!({ "id": "pg", "freezeAfterEnd": true, "template": "nova notes\n", "schedule": past }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, event) = b.get_json("/api/v1/events/pg").await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(event["sessions"][0]["pad"], json!("pg-nova"));
    let (_, found) = b.get_json("/api/v1/events/pg/search?q=notes").await;
    assert_eq!(found["results"][0]["pad"], json!("pg-nova"), "{found}");
    assert_eq!(
        b.get_json("/api/v1/pads/pg-nova/lock").await.1["locked"],
        json!(true)
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_pad_links_back_to_its_event_but_not_through_a_read_only_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (status, body) = post_event(
        &server,
        json!({ "id": "summit-2030", "title": "Summit 2030", "timeZone": "Europe/Berlin",
                "schedule": CSV }),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let (status, event) = server.get_json("/api/v1/pads/summit-2030-nova/event").await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(
        (&event["id"], &event["title"], &event["timeZone"]),
        (
            &json!("summit-2030"),
            &json!("Summit 2030"),
            &json!("Europe/Berlin")
        )
    );
    assert_eq!(event["session"]["title"], "Nova, planning");
    assert_eq!(event["session"]["room"], "Room 2");
    // 10:00 in Berlin on 14 April 2030 (summer time) is 08:00 UTC.
    assert_eq!(event["session"]["startsMs"], 1_902_384_000_000u64);

    // A pad named like the event's but not in its schedule belongs to no event.
    server
        .api_ok("createPad", &[("padID", "summit-2030-hallway")])
        .await;
    let (status, _) = server
        .get_json("/api/v1/pads/summit-2030-hallway/event")
        .await;
    assert_eq!(status, 404);

    // The event's page names the writable pad: a read-only id gets nothing from here.
    let ro = server.get_json("/api/v1/pads/summit-2030-nova").await.1["readOnlyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = server.get_json(&format!("/api/v1/pads/{ro}/event")).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.to_string().contains("summit-2030"), "{body}");
}
