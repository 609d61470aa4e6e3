//! A summit written straight into a data directory's store: its event record, its authors and
//! its session pads, for the tests of `ypad export --event` (the CLI's and the browser's).

use std::path::Path;

use ypad_core::PadDoc;
use ypad_store::{Author, Event, EventSession, LogEntry, SledStore, Store};

pub const SUMMIT: &str = "summit-2026";
/// 2026-05-12 09:00 in Berlin (07:00 UTC).
pub const MAY_12_0900_BERLIN: u64 = 1_778_569_200_000;
const HOUR: u64 = 3_600_000;

/// One session as the test writes it.
struct Seed {
    pad: &'static str,
    title: &'static str,
    /// Hours after the first session's start.
    hours: u64,
    room: &'static str,
    author: &'static str,
    /// `None`: the pad was never made.
    notes: Option<&'static str>,
}

/// The summit's sessions, listed out of schedule order on purpose.
const SESSIONS: [Seed; 3] = [
    Seed {
        pad: "summit-2026-closing",
        title: "Closing & next steps",
        hours: 26,
        room: "Hall <B>",
        author: "a.bbbbbbbbbbbbbbbb",
        notes: Some(
            "# Closing\n\nSee the [keynote notes](https://example.org/keynote).\n\n- [x] done\n",
        ),
    },
    Seed {
        pad: "summit-2026-keynote",
        title: "Keynote",
        hours: 0,
        room: "Hall A",
        author: "a.aaaaaaaaaaaaaaaa",
        notes: Some(
            "# Keynote\n\n<script>window.__xss = 1</script>\n\n\
             <img src=x onerror=\"window.__xss = 2\">\n\n[click](javascript:window.__xss=3)\n\n\
             **Decisions**\n\n- ship the archive\n",
        ),
    },
    Seed {
        pad: "summit-2026-hallway",
        title: "Hallway track",
        hours: 2,
        room: "Lobby",
        author: "",
        notes: None,
    },
];

/// Writes the summit into the store in `data_dir` (which no server may hold).
pub fn seed_summit(data_dir: &Path) {
    let store = SledStore::open(data_dir).expect("the data directory opens");
    for (id, name) in [
        ("a.aaaaaaaaaaaaaaaa", "Ana"),
        ("a.bbbbbbbbbbbbbbbb", "Bo <b>"),
    ] {
        store
            .put_author(&Author {
                id: id.into(),
                name: Some(name.into()),
                color: "#336699".into(),
                created_ms: 1,
            })
            .unwrap();
    }
    let mut sessions = Vec::new();
    for (i, seed) in SESSIONS.into_iter().enumerate() {
        let starts_ms = MAY_12_0900_BERLIN + seed.hours * HOUR;
        if let Some(notes) = seed.notes {
            let mut doc = PadDoc::with_client_id(100 + i as u64);
            let update = doc.set_text(notes).expect("the text changes");
            store
                .append(&[LogEntry {
                    pad: seed.pad.into(),
                    rev: 1,
                    time_ms: starts_ms,
                    author: Some(seed.author.into()),
                    update: update.into(),
                    new_clients: vec![100 + i as u64],
                }])
                .unwrap();
        }
        sessions.push(EventSession {
            pad: seed.pad.into(),
            title: seed.title.into(),
            starts_ms,
            ends_ms: starts_ms + HOUR,
            room: Some(seed.room.into()),
            ..EventSession::default()
        });
    }
    store
        .put_event(&Event {
            id: SUMMIT.into(),
            title: "Summit 2026".into(),
            start_date: Some("2026-05-12".into()),
            end_date: Some("2026-05-13".into()),
            time_zone: "Europe/Berlin".into(),
            sessions,
            ..Event::default()
        })
        .unwrap();
    store.flush().unwrap();
}
