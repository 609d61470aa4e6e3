//! Import and export checked against real Etherpad 1.8.14 exports (`tests/fixtures/etherpad`)
//! and against each other.

use super::atext::Attributed;
use super::txt::attributed_to_txt;
use super::*;

struct Fixture {
    name: &'static str,
    etherpad: &'static str,
    txt: &'static str,
    html: &'static str,
}

macro_rules! fixture {
    ($name:literal) => {
        Fixture {
            name: $name,
            etherpad: include_str!(concat!(
                "../../tests/fixtures/etherpad/",
                $name,
                ".etherpad"
            )),
            txt: include_str!(concat!("../../tests/fixtures/etherpad/", $name, ".txt")),
            html: include_str!(concat!("../../tests/fixtures/etherpad/", $name, ".html")),
        }
    };
}

fn fixtures() -> [Fixture; 3] {
    [
        fixture!("YVR-S-release-goals"),
        fixture!("kilo-oslo-sessions"),
        fixture!("ocata-tripleo-summary"),
    ]
}

fn record<'a>(json: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    json.get(key)
        .unwrap_or_else(|| panic!("fixture has no `{key}`"))
}

#[test]
fn fixtures_replay_to_etherpads_text_export() {
    for f in fixtures() {
        let json: serde_json::Value = serde_json::from_str(f.etherpad).unwrap();
        let pad = record(&json, &format!("pad:{}", f.name));
        let pool = AttributePool::from_json(&pad["pool"]).unwrap();
        let head = pad["head"].as_u64().unwrap();
        let mut text = Attributed::new();
        for rev in 0..=head {
            let cs = record(&json, &format!("pad:{}:revs:{rev}", f.name))["changeset"]
                .as_str()
                .unwrap();
            text.apply(&Changeset::parse(cs).unwrap(), &pool).unwrap();
        }
        // The replay reproduces Etherpad's stored attributed text exactly, attributes
        // included, and its text export byte for byte.
        let stored = AText::from_json(&pad["atext"]).unwrap();
        assert_eq!(text.to_atext(&pool), stored, "{}", f.name);
        assert_eq!(attributed_to_txt(&text, &pool), f.txt, "{}", f.name);
        assert_eq!(to_txt(&stored, &pool).unwrap(), f.txt, "{}", f.name);
    }
}

/// A pad written by Etherpad's own Easysync library with random formatting, clearing of
/// formatting, list markers, deletes across lines and emoji (see its `generate.js`): the
/// replay must match Etherpad's attributed text after every revision, attributes included.
#[test]
fn replay_composes_attributes_as_etherpad_does() {
    let file = include_str!("../../tests/fixtures/etherpad-generated/random-formatting.etherpad");
    let json: serde_json::Value = serde_json::from_str(file).unwrap();
    let pad = &json["pad:gen"];
    let pool = AttributePool::from_json(&pad["pool"]).unwrap();
    let mut text = Attributed::new();
    for rev in 0..=pad["head"].as_u64().unwrap() {
        let record = &json[format!("pad:gen:revs:{rev}")];
        let cs = Changeset::parse(record["changeset"].as_str().unwrap()).unwrap();
        assert_eq!(cs.to_string(), record["changeset"].as_str().unwrap());
        text.apply(&cs, &pool).unwrap();
        let expected = AText::from_json(&record["meta"]["atext"]).unwrap();
        assert_eq!(text.to_atext(&pool), expected, "revision {rev}");
    }
    let imported = import(file).unwrap();
    assert_eq!(imported.revisions.len(), 121);
    let names: Vec<_> = imported.authors.iter().map(|a| a.name.as_deref()).collect();
    assert_eq!(names, [Some("generatedAuthor1"), Some("generatedAuthor2")]);
    assert_eq!(imported.authors[0].color, "#c7ffd5");
}

/// The Markdown of the head revision, for the "YVR" pad (the others differ in the title or
/// not at all): what an Etherpad user typed, quirks included ("irst", "nderlined").
const YVR_MARKDOWN: &str = "\
Stein release goals
Goals should be **operator facing and *fully baked***
- old upgrade support
- Python 3 first
  - nested point

Participant: what about upgrade checks?
1. irst numbered
2. second numbered and ~~struck~~

nderlined
Action: file a spec — ünïcödé
";

#[test]
fn fixtures_import_as_markdown() {
    for f in fixtures() {
        let pad = import(f.etherpad).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let json: serde_json::Value = serde_json::from_str(f.etherpad).unwrap();
        let head = json[format!("pad:{}", f.name)]["head"].as_u64().unwrap();
        assert_eq!(pad.pad_id, f.name);
        assert_eq!(pad.revisions.len() as u64, head + 1, "{}", f.name);
        assert!(
            pad.revisions
                .iter()
                .enumerate()
                .all(|(i, r)| r.rev == i as u64)
        );
        assert_eq!(pad.revisions.last().unwrap().markdown, pad.head_text);

        let title = f.txt.lines().next().unwrap();
        let expected = YVR_MARKDOWN.replacen("Stein release goals", title, 1);
        assert_eq!(pad.head_text, expected, "{}", f.name);

        // Line by line, the Markdown is Etherpad's text export without its markers.
        let plain: Vec<String> = pad
            .head_text
            .lines()
            .filter(|l| !l.is_empty())
            .map(strip_markdown)
            .collect();
        let txt: Vec<String> = f.txt.lines().map(strip_txt_list_prefix).collect();
        assert_eq!(plain, txt, "{}", f.name);

        // Revision 0 is Etherpad's DirtyDB warning, by the system author; 1 deletes it.
        assert_eq!(pad.revisions[0].author_id, "");
        assert!(
            pad.revisions[0]
                .markdown
                .contains("Warning: DirtyDB is used.")
        );
        assert_eq!(pad.revisions[1].markdown, "\n");
        assert!(pad.revisions[2].time_ms > pad.revisions[1].time_ms);
    }
}

#[test]
fn import_with_hands_over_the_same_revisions() {
    let f = &fixtures()[1];
    let whole = import(f.etherpad).unwrap();
    let mut handed = Vec::new();
    let pad = import_with(f.etherpad, |r| handed.push(r)).unwrap();
    assert!(pad.revisions.is_empty());
    assert_eq!(handed, whole.revisions);
    assert_eq!(
        ImportedPad {
            revisions: handed,
            ..pad
        },
        whole
    );
}

#[test]
fn fixtures_import_authors_and_chat() {
    let colours = [
        ("YVR-S-release-goals", "#c1e2e2", "#e9dcaf"),
        ("kilo-oslo-sessions", "#f8d2a0", "#edabbd"),
        ("ocata-tripleo-summary", "#e9afc2", "#99ffb3"),
    ];
    for (f, (name, moderator_colour, participant_colour)) in fixtures().iter().zip(colours) {
        assert_eq!(f.name, name);
        let pad = import(f.etherpad).unwrap();
        let names: Vec<_> = pad.authors.iter().map(|a| a.name.as_deref()).collect();
        assert_eq!(names, [Some("Moderator"), Some("Participant")], "{name}");
        let [moderator, participant] = &pad.authors[..] else {
            panic!("{name}: two authors expected");
        };
        assert_eq!(moderator.color, moderator_colour);
        assert_eq!(participant.color, participant_colour);
        assert!(moderator.id.starts_with("a."));
        // The Moderator wrote the title, the Participant the numbered list.
        assert_eq!(pad.revisions[2].author_id, moderator.id);
        assert!(pad.revisions.iter().any(|r| r.author_id == participant.id));

        let chat: Vec<_> = pad
            .chat
            .iter()
            .map(|m| {
                (
                    m.text.as_str(),
                    m.author_id.as_str(),
                    m.author_name.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            chat,
            [
                (
                    "Welcome to the session",
                    moderator.id.as_str(),
                    Some("Moderator")
                ),
                (
                    "Thanks, joining from the back row",
                    participant.id.as_str(),
                    Some("Participant")
                ),
            ]
        );
        assert!(pad.chat[0].time_ms > 1_700_000_000_000);
        assert!(pad.saved_revisions.is_empty());
    }
}

#[test]
fn fixture_revisions_show_typing_in_order() {
    let pad = import(fixtures()[0].etherpad).unwrap();
    let check = |rev: usize, expected: &str| {
        assert_eq!(pad.revisions[rev].markdown, expected, "revision {rev}");
    };
    check(2, "Stein relea\n");
    check(
        6,
        "Stein release goals\nGoals should be **operator facing**\n",
    );
    check(
        7,
        "Stein release goals\nGoals should be **operator facing and ful**\n",
    );
    // Revision 8 italicises "ful" and types "ly baked" in bold italic.
    check(
        8,
        "Stein release goals\nGoals should be **operator facing and *fully baked***\n",
    );
    // An empty bullet: the blank line keeps `-` from underlining the line above into a
    // heading.
    check(
        9,
        "Stein release goals\nGoals should be **operator facing and *fully baked***\n\n-\n",
    );
}

/// Removes the Markdown this crate writes (list markers, emphasis, headings) from a line.
fn strip_markdown(line: &str) -> String {
    let line = line.trim_start();
    let line = line.strip_prefix("- ").unwrap_or(line);
    let line = match line.split_once(". ") {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => line,
    };
    let line = line.trim_start_matches('#').trim_start();
    line.replace("**", "").replace("~~", "").replace('*', "")
}

fn strip_txt_list_prefix(line: &str) -> String {
    let line = line.trim_start_matches('\t');
    let line = line.strip_prefix("* ").unwrap_or(line);
    match line.split_once(". ") {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit() || c == '.') => rest.to_owned(),
        _ => line.to_owned(),
    }
}

#[test]
fn html_export_converts_to_the_same_markdown() {
    for f in fixtures() {
        let pad = import(f.etherpad).unwrap();
        assert_eq!(
            crate::html::to_markdown(f.html),
            pad.head_text,
            "{}",
            f.name
        );
    }
}

fn revision(author: &str, time_ms: u64, text: &str) -> ExportRevision {
    ExportRevision {
        author_id: author.into(),
        time_ms,
        text: text.into(),
    }
}

fn sample_pad(texts: &[&str]) -> ExportPad {
    ExportPad {
        pad_id: "notes".into(),
        revisions: texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let author = if i % 2 == 0 { "a.alice" } else { "a.bob" };
                revision(author, 1_000 + i as u64, t)
            })
            .collect(),
        authors: vec![
            ExportAuthor {
                id: "a.alice".into(),
                name: Some("Alice".into()),
                color: "#FFC7C7".into(),
            },
            ExportAuthor {
                id: "a.bob".into(),
                name: None,
                color: "#c7d5ff".into(),
            },
        ],
        chat: vec![
            ChatMessage {
                text: "hi <b>there</b> 😀".into(),
                author_id: "a.alice".into(),
                author_name: Some("Alice".into()),
                time_ms: 1_500,
            },
            ChatMessage {
                text: "hello".into(),
                author_id: "a.bob".into(),
                author_name: None,
                time_ms: 1_600,
            },
        ],
        saved_revisions: vec![SavedRevision {
            rev: 1,
            label: "Before the meeting".into(),
            author_id: "a.bob".into(),
            time_ms: 1_700,
        }],
        comments: Vec::new(),
    }
}

/// Exports texts as successive revisions, imports them back, and checks every revision.
fn check_round_trip(texts: &[&str]) {
    let pad = sample_pad(texts);
    let json = export(&pad);
    let back = import(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    let got: Vec<&str> = back.revisions.iter().map(|r| r.markdown.as_str()).collect();
    assert_eq!(got, texts, "{json}");
    for (exported, imported) in pad.revisions.iter().zip(&back.revisions) {
        assert_eq!(imported.author_id, exported.author_id);
        assert_eq!(imported.time_ms, exported.time_ms);
    }
    assert_eq!(back.head_text, *texts.last().unwrap());
}

#[test]
fn export_import_round_trips() {
    check_round_trip(&["hello\n", "hello world\n", "world\n"]);
    check_round_trip(&["# Title\n\n- a\n- b\n", "# Title\n\n- a\n  - nested\n- b\n"]);
    check_round_trip(&["\n", "a\n\n\nb\n", "\n"]);
    check_round_trip(&["**bold** and *it* ~~x~~\n", "1. one\n2. two\n"]);
}

#[test]
fn export_round_trips_non_ascii_in_utf16_lengths() {
    check_round_trip(&["é\n", "é😀\n", "😀😁é\nzß\n", "😁\n", "👩‍👩‍👧 family\n"]);
    let json = export(&sample_pad(&["é😀\n"]));
    // "é😀\n" is 1 + 2 + 1 = 4 code units; the insert is 3 of them (base 36 "3").
    assert!(json.contains(r#""changeset":"Z:1>3*0+3$é😀""#), "{json}");
}

#[test]
fn export_adds_etherpads_final_newline() {
    let pad = import(&export(&sample_pad(&[
        "",
        "no newline",
        "crlf\r\nline\r\n",
    ])))
    .unwrap();
    let got: Vec<&str> = pad.revisions.iter().map(|r| r.markdown.as_str()).collect();
    assert_eq!(got, ["\n", "no newline\n", "crlf\nline\n"]);
}

#[test]
fn export_round_trips_authors_chat_and_saved_revisions() {
    let pad = sample_pad(&["a\n", "ab\n"]);
    let back = import(&export(&pad)).unwrap();
    let authors: Vec<_> = back
        .authors
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_deref(), a.color.as_str()))
        .collect();
    assert_eq!(
        authors,
        [
            ("a.alice", Some("Alice"), "#ffc7c7"),
            ("a.bob", None, "#c7d5ff")
        ]
    );
    assert_eq!(back.chat[0], pad.chat[0]);
    assert_eq!(back.chat[1].text, "hello");
    assert_eq!(back.chat[1].author_id, "a.bob");
    assert_eq!(back.saved_revisions, pad.saved_revisions);
}

#[test]
fn export_writes_records_etherpad_expects() {
    let texts: Vec<String> = (0..=100).map(|i| format!("line {i}\n")).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let json: serde_json::Value = serde_json::from_str(&export(&sample_pad(&texts))).unwrap();
    let pad = &json["pad:notes"];
    assert_eq!(pad["head"], 100);
    assert_eq!(pad["chatHead"], 1);
    assert_eq!(pad["publicStatus"], false);
    assert!(pad["passwordHash"].is_null());
    assert_eq!(pad["atext"]["text"], "line 100\n");
    assert_eq!(
        pad["pool"]["numToAttrib"]["0"],
        serde_json::json!(["author", "a.alice"])
    );
    assert_eq!(pad["savedRevisions"][0]["revNum"], 1);
    assert_eq!(pad["savedRevisions"][0]["id"].as_str().unwrap().len(), 10);
    // Checkpoints on revisions 0 and 100 only.
    assert!(json["pad:notes:revs:0"]["meta"]["atext"].is_object());
    assert!(json["pad:notes:revs:1"]["meta"].get("atext").is_none());
    assert_eq!(
        json["pad:notes:revs:100"]["meta"]["atext"]["text"],
        "line 100\n"
    );
    assert_eq!(json["pad:notes:revs:100"]["meta"]["pool"]["nextNum"], 2);
    assert_eq!(json["pad:notes:revs:0"]["changeset"], "Z:1>6*0+6$line 0");
    assert_eq!(json["pad:notes:revs:1"]["changeset"], "Z:7>0=5-1*1+1$1");
    let alice = &json["globalAuthor:a.alice"];
    assert_eq!(alice["colorId"], "#ffc7c7");
    assert_eq!(alice["padIDs"], "notes");
    assert_eq!(json["pad:notes:chat:1"]["userId"], "a.bob");
}

#[test]
fn export_of_an_empty_pad_is_importable() {
    let pad = ExportPad {
        pad_id: "empty".into(),
        ..ExportPad::default()
    };
    let back = import(&export(&pad)).unwrap();
    assert_eq!(back.revisions.len(), 1);
    assert_eq!(back.head_text, "\n");
    assert!(back.authors.is_empty());
}

/// Imports a hand-made export and expects the error message.
fn check_error(json: &str, expected: &str) {
    assert_eq!(import(json).unwrap_err().to_string(), expected, "{json}");
}

const POOL: &str = r#""pool":{"numToAttrib":{"0":["author","a.x"]},"nextNum":1}"#;

fn pad_json(head: u64, text: &str, revs: &[&str]) -> String {
    let mut records = vec![format!(
        r#""pad:p":{{"atext":{{"text":{},"attribs":"|{}+{}"}},{POOL},"head":{head}}}"#,
        serde_json::json!(text),
        text.matches('\n').count(),
        ops::base36(text.encode_utf16().count()),
    )];
    for (n, cs) in revs.iter().enumerate() {
        records.push(format!(
            r#""pad:p:revs:{n}":{{"changeset":"{cs}","meta":{{"author":"a.x","timestamp":5}}}}"#
        ));
    }
    format!("{{{}}}", records.join(","))
}

#[test]
fn import_errors_name_the_problem() {
    check_error(
        "{",
        "not JSON: EOF while parsing an object at line 1 column 1",
    );
    check_error(
        "[]",
        "not an Etherpad export: the top level is not a JSON object",
    );
    check_error(
        r#"{"globalAuthor:a.x":{}}"#,
        "no pad record (key `pad:{id}`)",
    );
    check_error(
        r#"{"pad:a":{},"pad:b":{}}"#,
        "more than one pad record (`pad:a` and `pad:b`)",
    );
    check_error(
        r#"{"pad:a":{"pool":{}}}"#,
        "record `pad:a` is malformed: pool: `numToAttrib` is missing or not an object",
    );
    check_error(&pad_json(1, "\n", &["Z:1>0$"]), "revision 1 is missing");
    check_error(
        &pad_json(0, "\n", &["Z:1>1+1?$x"]),
        "revision 0 changeset is malformed: unexpected `?` at op offset 2",
    );
    check_error(
        &pad_json(1, "\n", &["Z:1>0$", "Z:2>1+1$x"]),
        "changeset of revision 1 does not apply: expected old length 2, text has 1",
    );
    check_error(
        &pad_json(0, "y\n", &["Z:1>1+1$x"]),
        "the pad's text differs from revision 0 rebuilt from the changesets",
    );
}

#[test]
fn import_checks_checkpoints() {
    let json = r#"{"pad:p":{"atext":{"text":"x\n","attribs":"|1+2"},"pool":{"numToAttrib":{}},"head":0},
        "pad:p:revs:0":{"changeset":"Z:1>1+1$x","meta":{"author":"","timestamp":1,
        "atext":{"text":"y\n","attribs":"|1+2"}}}}"#;
    check_error(
        json,
        "revision 0 rebuilt from the changesets differs from the text stored with it",
    );
}

#[test]
fn import_reads_read_only_exports_and_ignores_unknown_keys() {
    let json = pad_json(0, "hi\n", &["Z:1>2*0+2$hi"])
        .replace("pad:p", "pad:r.abc123")
        .replacen(
            '{',
            r#"{"plugin:thing":{"x":1},"readonly2pad:r.abc123":"p","#,
            1,
        );
    let pad = import(&json).unwrap();
    assert_eq!(pad.pad_id, "r.abc123");
    assert_eq!(pad.head_text, "hi\n");
    assert_eq!(pad.authors.len(), 1);
    assert_eq!(pad.authors[0].name, None);
}

/// Builds a one-revision pad from an atext and its pool, and checks the Markdown.
fn check_markdown(text: &str, attribs: &str, pool: &[(&str, &str)], expected: &str) {
    let mut p = AttributePool::new();
    for (k, v) in pool {
        p.put(k, v);
    }
    let atext = AText {
        text: text.into(),
        attribs: attribs.into(),
    };
    let working = Attributed::from_atext(&atext).unwrap();
    assert_eq!(lines::to_markdown(&working, &p), expected, "{text:?}");
}

const LIST_POOL: &[(&str, &str)] = &[
    ("lmkr", "1"),         // 0
    ("list", "bullet1"),   // 1
    ("list", "number1"),   // 2
    ("list", "indent1"),   // 3
    ("heading", "h2"),     // 4
    ("heading", "code"),   // 5
    ("list", "number2"),   // 6
    ("start", "3"),        // 7
    ("bold", "true"),      // 8
    ("underline", "true"), // 9
];

#[test]
fn line_attributes_become_markdown_blocks() {
    check_markdown("*Title\nx\n", "*0*4+1|1+6|1+2", LIST_POOL, "## Title\nx\n");
    check_markdown(
        "*a\n*b\n",
        "*0*2+1|1+2*0*6+1|1+2",
        LIST_POOL,
        "1. a\n   1. b\n",
    );
    check_markdown("*quote\n", "*0*3+1|1+6", LIST_POOL, "> quote\n");
    check_markdown(
        "*fn x()\n*  y\n",
        "*0*5+1|1+7*0*5+1|1+4",
        LIST_POOL,
        "```\nfn x()\n  y\n```\n",
    );
    check_markdown("*third\n", "*0*2*7+1|1+6", LIST_POOL, "3. third\n");
    // Bold and underline: underline has no Markdown, so only `**` remains.
    check_markdown(
        "*bold under\n",
        "*0*1+1*8+5*9+5|1+1",
        LIST_POOL,
        "- **bold** under\n",
    );
}

/// Random edits with newlines, emoji and Markdown-looking characters: every revision must
/// come back exactly, across the checkpoints at revisions 0, 100 and 200.
#[test]
fn random_histories_round_trip() {
    const ALPHABET: &[&str] = &[
        "a", "b ", "\n", "\n\n", "é", "😀", "ß", "*", "#", "- ", "\t", "$", "|", "+",
    ];
    for seed in 1..=5u64 {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut text: Vec<char> = Vec::new();
        let mut texts = Vec::new();
        for _ in 0..220 {
            let at = next(text.len() + 1);
            let removed = next(4).min(text.len() - at);
            text.drain(at..at + removed);
            for k in 0..next(4) {
                let piece: Vec<char> = ALPHABET[next(ALPHABET.len())].chars().collect();
                for (j, c) in piece.into_iter().enumerate() {
                    text.insert((at + k + j).min(text.len()), c);
                }
            }
            let mut s: String = text.iter().collect();
            s.push('\n');
            texts.push(s);
        }
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let json = export(&sample_pad(&texts));
        let back = import(&json).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for (i, (revision, text)) in back.revisions.iter().zip(&texts).enumerate() {
            assert_eq!(revision.markdown, *text, "seed {seed}, revision {i}");
        }
    }
}

#[test]
fn ep_comments_page_records_import_anchored_in_the_markdown() {
    let file = include_str!("../../tests/fixtures/ep_comments_page/demo.etherpad");
    let pad = import(file).unwrap();
    assert_eq!(pad.head_text, "Launch on Friday.\nBudget unchanged.\n");
    let units = |s: &str| s.encode_utf16().count() as u32;
    let at = |needle: &str| {
        let start = units(&pad.head_text[..pad.head_text.find(needle).unwrap()]);
        Some((start, start + units(needle)))
    };
    assert_eq!(pad.comments.len(), 2);
    let friday = &pad.comments[0];
    assert_eq!(friday.id, "c-abc123");
    assert_eq!(friday.author_id, "a.bob");
    assert_eq!(friday.name.as_deref(), Some("Bob"));
    assert_eq!(friday.text, "Is Friday a holiday somewhere?");
    assert_eq!(friday.quote, "Friday");
    assert_eq!(friday.range, at("Friday"));
    assert_eq!(friday.replies.len(), 1);
    assert_eq!(friday.replies[0].text, "No, Friday works everywhere.");
    assert_eq!(friday.replies[0].name.as_deref(), Some("Ada"));
    let budget = &pad.comments[1];
    assert_eq!(
        (budget.id.as_str(), budget.range),
        ("c-def456", at("unchanged"))
    );
    assert!(budget.replies.is_empty());
}

#[test]
fn comments_survive_export_and_import() {
    let mut pad = sample_pad(&["- one two\n- two\n", "- one two\n- two three\n"]);
    let reply = CommentReply {
        id: "c-reply-1".into(),
        author_id: "a.bob".into(),
        name: Some("Bob".into()),
        text: "agreed".into(),
        time_ms: 2_100,
    };
    pad.comments = vec![
        Comment {
            id: "c-1".into(),
            author_id: "a.alice".into(),
            name: Some("Alice".into()),
            text: "which two?".into(),
            time_ms: 2_000,
            // The second "two" (Markdown list markers are characters in ypad's text).
            range: Some((12, 15)),
            quote: "two".into(),
            resolved: true,
            replies: vec![reply],
        },
        Comment {
            id: "c-2".into(),
            author_id: String::new(),
            name: None,
            text: "on deleted text".into(),
            time_ms: 2_200,
            range: None,
            quote: "gone".into(),
            resolved: false,
            replies: Vec::new(),
        },
    ];
    let file = export(&pad);
    let value: serde_json::Value = serde_json::from_str(&file).unwrap();
    // One revision more than the pad's: the one that marks the commented text.
    assert_eq!(value["pad:notes"]["head"], 2);
    assert_eq!(value["comments:notes"]["c-1"]["author"], "a.alice");
    assert_eq!(value["comments:notes"]["c-2"]["author"], "empty");
    assert_eq!(
        value["comment-replies:notes"]["c-reply-1"]["commentId"],
        "c-1"
    );
    let back = import(&file).unwrap();
    assert_eq!(back.head_text, "- one two\n- two three\n");
    let c1 = back.comments.iter().find(|c| c.id == "c-1").unwrap();
    assert_eq!(
        (c1.range, c1.quote.as_str(), c1.resolved),
        (Some((12, 15)), "two", true)
    );
    assert_eq!(c1.replies, pad.comments[0].replies);
    let c2 = back.comments.iter().find(|c| c.id == "c-2").unwrap();
    assert_eq!(
        (c2.range, c2.text.as_str(), c2.author_id.as_str()),
        (None, "on deleted text", "")
    );
}
