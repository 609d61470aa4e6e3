//! The `Store` contract: one suite, run against every backend. Each test gets a fresh store —
//! a temp dir for sled, a new database on the test command's private PostgreSQL — and may
//! reopen it to check what survives.
//!
//! The PostgreSQL half needs `YPAD_TEST_DATABASE_URL`, which `bash tests/run.sh` sets after
//! starting its private server; without it those tests fail and say so.

use ypad_core::PadDoc;
use ypad_store::{
    Author, Event, EventSession, Group, GroupSession, LogEntry, PadLock, PgStore, SavedRevision,
    SledStore, Store, pg_testing,
};

/// A place a store lives, which can be opened again after the previous handle is dropped.
trait Backend {
    fn open(&self) -> Box<dyn Store>;
}

struct Sled(tempfile::TempDir);

impl Backend for Sled {
    fn open(&self) -> Box<dyn Store> {
        Box::new(SledStore::open(self.0.path()).unwrap())
    }
}

struct Pg(String);

impl Backend for Pg {
    fn open(&self) -> Box<dyn Store> {
        Box::new(PgStore::open(&self.0).unwrap())
    }
}

macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod sled {
            $(#[test]
            fn $test() {
                super::$test(&super::Sled(tempfile::tempdir().unwrap()));
            })*
        }
        mod postgres {
            $(#[test]
            fn $test() {
                super::$test(&super::Pg(ypad_store::pg_testing::fresh_database()));
            })*
        }
    };
}

conformance!(
    append_load_checkpoint_reload,
    newest_checkpoint_replaces_older_and_history_blocks_are_found_by_revision,
    pads_are_separate_and_listed,
    authors_saved_revisions_and_copies,
    read_only_ids_are_stable,
    one_batch_spans_pads_and_later_client_claims_win,
    authors_and_mappers_are_listed,
    lock_changes_are_kept_in_order_and_go_with_the_pad,
    groups_sessions_and_public_pads,
    events_are_replaced_whole_listed_and_deleted,
    changes_feed_keeps_one_entry_a_pad_at_its_head,
);

fn entry(pad: &str, rev: u64, update: Vec<u8>) -> LogEntry {
    LogEntry {
        pad: pad.into(),
        rev,
        time_ms: 1000 + rev,
        author: Some("a.x".into()),
        update: update.into(),
        new_clients: Vec::new(),
    }
}

/// Updates typing `text` one character at a time.
fn keystrokes(text: &str) -> Vec<Vec<u8>> {
    let mut doc = PadDoc::with_client_id(7);
    let mut typed = String::new();
    text.chars()
        .map(|c| {
            typed.push(c);
            doc.set_text(&typed).unwrap()
        })
        .collect()
}

fn author(id: &str, name: &str) -> Author {
    Author {
        id: id.into(),
        name: Some(name.into()),
        color: "#ff0000".into(),
        created_ms: 1,
    }
}

fn append_load_checkpoint_reload(backend: &dyn Backend) {
    let store = backend.open();
    let ups = keystrokes("hello");
    let entries: Vec<_> = ups
        .iter()
        .enumerate()
        .map(|(i, u)| entry("p", i as u64 + 1, u.clone()))
        .collect();
    store.append(&entries[..3]).unwrap();
    let merged = ypad_core::doc::merge_updates(&ups[..3]).unwrap();
    store.put_checkpoint("p", 3, &merged).unwrap();
    store.append(&entries[3..]).unwrap();
    store.flush().unwrap();
    drop(store);

    let store = backend.open();
    let loaded = store.load("p").unwrap().unwrap();
    assert_eq!(loaded.meta.revisions, 5);
    assert_eq!(loaded.meta.checkpoint_rev, 3);
    assert_eq!(loaded.meta.last_edited_ms, 1005);
    assert_eq!(loaded.meta.created_ms, 1001);
    assert_eq!(loaded.tail.len(), 2);
    let doc = PadDoc::from_updates(loaded.updates()).unwrap();
    assert_eq!(doc.text(), "hello");
    assert_eq!(store.log("p", 2, 3).unwrap(), entries[1..3].to_vec());
    assert_eq!(store.log("p", 4, u64::MAX).unwrap(), entries[3..].to_vec());
    assert!(store.log("p", 3, 2).unwrap().is_empty());
    assert_eq!(store.checkpoint_at_or_before("p", 2).unwrap(), None);
    assert_eq!(store.meta("p").unwrap().unwrap(), loaded.meta);
    assert!(store.meta("nope").unwrap().is_none());
}

fn newest_checkpoint_replaces_older_and_history_blocks_are_found_by_revision(
    backend: &dyn Backend,
) {
    let store = backend.open();
    store.put_checkpoint("p", 10, b"ten").unwrap();
    store.put_checkpoint("p", 20, b"twenty").unwrap();
    store.put_checkpoint("q", 5, b"other pad").unwrap();
    assert_eq!(store.checkpoint_at_or_before("p", 15).unwrap(), None);
    assert_eq!(
        store.checkpoint_at_or_before("p", 99).unwrap(),
        Some((20, b"twenty".to_vec()))
    );
    assert!(store.checkpoint_at_or_before("q", 5).unwrap().is_some());

    store.put_history_block("p", 0, b"first").unwrap();
    store.put_history_block("p", 7, b"second").unwrap();
    store.put_history_block("pq", 0, b"neighbour").unwrap();
    let at = |rev| store.history_block_at_or_before("p", rev).unwrap();
    assert_eq!(at(6), Some((0, b"first".to_vec())));
    assert_eq!(at(7), Some((7, b"second".to_vec())));
    assert_eq!(at(u64::MAX), Some((7, b"second".to_vec())));
    // A block recorded again (its end did not match the log) replaces the old one.
    store.put_history_block("p", 7, b"second again").unwrap();
    assert_eq!(at(8), Some((7, b"second again".to_vec())));
    store.copy("p", "copy", 1).unwrap();
    assert_eq!(
        store.history_block_at_or_before("copy", 9).unwrap(),
        Some((7, b"second again".to_vec()))
    );
    store.delete("p").unwrap();
    assert_eq!(at(u64::MAX), None);
    assert!(store.history_block_at_or_before("pq", 0).unwrap().is_some());
}

fn pads_are_separate_and_listed(backend: &dyn Backend) {
    let store = backend.open();
    assert!(store.load("a").unwrap().is_none());
    assert!(store.create("a", 5).unwrap());
    assert!(!store.create("a", 6).unwrap());
    store
        .append(&[entry("ab", 1, keystrokes("x")[0].clone())])
        .unwrap();
    // Shorter ids first, then byte order whatever the database's collation: upper case sorts
    // before lower.
    store.create("Z", 7).unwrap();
    store.create("aa", 7).unwrap();
    store.create("b", 7).unwrap();
    let list = store.list().unwrap();
    let ids: Vec<_> = list.iter().map(|m| (m.id.as_str(), m.revisions)).collect();
    assert_eq!(
        ids,
        vec![("Z", 0), ("a", 0), ("b", 0), ("aa", 0), ("ab", 1)]
    );
    assert_eq!(list[1].created_ms, 5);
    assert_eq!(list[1].last_edited_ms, 5);
    assert_eq!(store.load("a").unwrap().unwrap().tail.len(), 0);
    assert!(store.delete("ab").unwrap());
    assert!(!store.delete("ab").unwrap());
    assert!(store.load("ab").unwrap().is_none());
    assert!(store.log("ab", 1, 10).unwrap().is_empty());
}

fn authors_saved_revisions_and_copies(backend: &dyn Backend) {
    let store = backend.open();
    let ann = author("a.ann", "Ann");
    assert_eq!(store.author_for_mapper("ext-1", &ann).unwrap(), ann);
    let other = Author {
        id: "a.other".into(),
        ..ann.clone()
    };
    assert_eq!(
        store.author_for_mapper("ext-1", &other).unwrap().id,
        "a.ann"
    );
    let renamed = author("a.ann", "Annie");
    store.put_author(&renamed).unwrap();
    assert_eq!(store.author("a.ann").unwrap(), Some(renamed.clone()));
    assert_eq!(store.author_for_mapper("ext-1", &other).unwrap(), renamed);
    assert_eq!(store.author("a.nobody").unwrap(), None);

    let ups = keystrokes("ab");
    let with_client = |rev: u64, update: Vec<u8>| LogEntry {
        new_clients: vec![rev],
        ..entry("p", rev, update)
    };
    store
        .append(&[
            with_client(1, ups[0].clone()),
            with_client(2, ups[1].clone()),
        ])
        .unwrap();
    assert_eq!(store.authors_of_pad("p").unwrap(), vec!["a.x"]);
    assert_eq!(
        store.client_authors("p").unwrap(),
        vec![(1, "a.x".to_owned()), (2, "a.x".to_owned())]
    );
    assert_eq!(store.pads_of_author("a.x").unwrap(), vec!["p"]);
    let saved = SavedRevision {
        rev: 2,
        label: "v1".into(),
        author: None,
        time_ms: 5,
    };
    store.save_revision("p", &saved).unwrap();
    store
        .save_revision(
            "p",
            &SavedRevision {
                rev: 1,
                author: Some("a.ann".into()),
                ..saved.clone()
            },
        )
        .unwrap();
    assert_eq!(
        store
            .saved_revisions("p")
            .unwrap()
            .iter()
            .map(|s| (s.rev, s.author.as_deref()))
            .collect::<Vec<_>>(),
        vec![(2, None), (1, Some("a.ann"))]
    );
    let state = PadDoc::from_updates(store.load("p").unwrap().unwrap().updates())
        .unwrap()
        .encode_state();
    store.put_checkpoint("p", 2, &state).unwrap();
    store.copy("p", "q", 9).unwrap();
    let copied = store.load("q").unwrap().unwrap();
    assert_eq!(copied.meta.revisions, 2);
    assert_eq!(copied.meta.created_ms, 9);
    assert_eq!(PadDoc::from_updates(copied.updates()).unwrap().text(), "ab");
    assert_eq!(store.saved_revisions("q").unwrap().len(), 2);
    assert_eq!(store.client_authors("q").unwrap().len(), 2);
    assert_eq!(store.pads_of_author("a.x").unwrap(), vec!["p", "q"]);
    store.delete("p").unwrap();
    assert_eq!(store.pads_of_author("a.x").unwrap(), vec!["q"]);
    assert!(store.saved_revisions("p").unwrap().is_empty());
    assert!(store.client_authors("p").unwrap().is_empty());
    assert!(store.authors_of_pad("p").unwrap().is_empty());
}

fn read_only_ids_are_stable(backend: &dyn Backend) {
    let store = backend.open();
    assert_eq!(store.existing_read_only_id("p").unwrap(), None);
    assert_eq!(store.read_only_id("p", "r.1").unwrap(), "r.1");
    assert_eq!(store.read_only_id("p", "r.2").unwrap(), "r.1");
    assert_eq!(
        store.existing_read_only_id("p").unwrap().as_deref(),
        Some("r.1")
    );
    assert_eq!(
        store.pad_of_read_only_id("r.1").unwrap().as_deref(),
        Some("p")
    );
    assert_eq!(store.pad_of_read_only_id("r.2").unwrap(), None);
    store.delete("p").unwrap();
    assert_eq!(store.pad_of_read_only_id("r.1").unwrap(), None);
    assert_eq!(store.existing_read_only_id("p").unwrap(), None);
}

fn one_batch_spans_pads_and_later_client_claims_win(backend: &dyn Backend) {
    let store = backend.open();
    let (one, two) = (keystrokes("one"), keystrokes("two"));
    let claim = |pad: &str, rev: u64, update: &[u8], author: &str, clients: Vec<u64>| LogEntry {
        author: Some(author.into()),
        new_clients: clients,
        ..entry(pad, rev, update.to_vec())
    };
    store
        .append(&[
            claim("one", 1, &one[0], "a.ann", vec![7, 1 << 40]),
            claim("two", 1, &two[0], "a.bob", vec![7]),
            claim("one", 2, &one[1], "a.bob", vec![7]),
            LogEntry {
                author: None,
                ..entry("one", 3, one[2].clone())
            },
        ])
        .unwrap();
    store.flush().unwrap();
    drop(store);
    let store = backend.open();
    let metas = store.list().unwrap();
    assert_eq!(
        metas
            .iter()
            .map(|m| (m.id.as_str(), m.revisions, m.created_ms))
            .collect::<Vec<_>>(),
        vec![("one", 3, 1001), ("two", 1, 1001)]
    );
    assert_eq!(store.log("one", 3, 3).unwrap()[0].author, None);
    assert_eq!(
        store.client_authors("one").unwrap(),
        vec![(7, "a.bob".to_owned()), (1 << 40, "a.ann".to_owned())]
    );
    assert_eq!(store.authors_of_pad("one").unwrap(), vec!["a.ann", "a.bob"]);
    assert_eq!(store.pads_of_author("a.bob").unwrap(), vec!["one", "two"]);
    let text = |pad| {
        PadDoc::from_updates(store.load(pad).unwrap().unwrap().updates())
            .unwrap()
            .text()
    };
    assert_eq!(text("one"), "one");
    assert_eq!(text("two"), "t");
}

fn authors_and_mappers_are_listed(backend: &dyn Backend) {
    let store = backend.open();
    assert!(store.authors().unwrap().is_empty());
    assert!(store.author_mappers().unwrap().is_empty());
    store.put_author(&author("a.zed", "Zed")).unwrap();
    store
        .author_for_mapper("t.browser", &author("a.ann", "Ann"))
        .unwrap();
    store
        .author_for_mapper("api-user-7", &author("a.bob", "Bob"))
        .unwrap();
    assert_eq!(
        store
            .authors()
            .unwrap()
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        vec!["a.ann", "a.bob", "a.zed"]
    );
    assert_eq!(
        store.author_mappers().unwrap(),
        vec![
            ("api-user-7".to_owned(), "a.bob".to_owned()),
            ("t.browser".to_owned(), "a.ann".to_owned()),
        ]
    );
}

// What only one backend does.

fn lock_changes_are_kept_in_order_and_go_with_the_pad(backend: &dyn Backend) {
    let store = backend.open();
    assert_eq!(store.pad_locks("p").unwrap(), vec![]);
    let locked = PadLock {
        locked: true,
        lock_at: None,
        by: Some("a.1".into()),
        time_ms: 10,
        chat: true,
    };
    let scheduled = PadLock {
        locked: false,
        lock_at: Some(500),
        by: None,
        time_ms: 20,
        chat: false,
    };
    store.put_pad_lock("p", &locked).unwrap();
    store.put_pad_lock("p", &scheduled).unwrap();
    store.put_pad_lock("q", &locked).unwrap();
    drop(store);
    let store = backend.open();
    assert_eq!(
        store.pad_locks("p").unwrap(),
        vec![locked.clone(), scheduled.clone()]
    );
    assert!(!scheduled.holds_at(499) && scheduled.holds_at(500));
    store.delete("p").unwrap();
    assert_eq!(store.pad_locks("p").unwrap(), vec![]);
    assert_eq!(store.pad_locks("q").unwrap(), vec![locked]);
}

fn groups_sessions_and_public_pads(backend: &dyn Backend) {
    let store = backend.open();
    let group = |id: &str, mapper: Option<&str>| Group {
        id: id.into(),
        mapper: mapper.map(Into::into),
        created_ms: 1,
    };
    store.put_group(&group("g.aaaaaaaaaaaaaaaa", None)).unwrap();
    let mapped = store
        .group_for_mapper("course-1", &group("g.bbbbbbbbbbbbbbbb", Some("course-1")))
        .unwrap();
    let again = store
        .group_for_mapper("course-1", &group("g.cccccccccccccccc", Some("course-1")))
        .unwrap();
    assert_eq!(
        (mapped.id.as_str(), again.id.as_str()),
        ("g.bbbbbbbbbbbbbbbb", "g.bbbbbbbbbbbbbbbb")
    );
    let session = |id: &str, group: &str| GroupSession {
        id: id.into(),
        group_id: group.into(),
        author_id: "a.1".into(),
        valid_until: 2_000_000_000,
    };
    store
        .put_session(&session("s.1", "g.aaaaaaaaaaaaaaaa"))
        .unwrap();
    store
        .put_session(&session("s.2", "g.bbbbbbbbbbbbbbbb"))
        .unwrap();
    store.set_public("g.aaaaaaaaaaaaaaaa$notes", true).unwrap();
    drop(store);
    let store = backend.open();
    let ids: Vec<String> = store.groups().unwrap().into_iter().map(|g| g.id).collect();
    assert_eq!(ids, ["g.aaaaaaaaaaaaaaaa", "g.bbbbbbbbbbbbbbbb"]);
    assert_eq!(
        store.session("s.1").unwrap(),
        Some(session("s.1", "g.aaaaaaaaaaaaaaaa"))
    );
    assert!(store.is_public("g.aaaaaaaaaaaaaaaa$notes").unwrap());
    assert!(!store.is_public("g.aaaaaaaaaaaaaaaa$other").unwrap());
    store.set_public("g.aaaaaaaaaaaaaaaa$notes", false).unwrap();
    assert!(!store.is_public("g.aaaaaaaaaaaaaaaa$notes").unwrap());
    // Deleting a group takes its sessions and its mapping with it.
    assert!(store.delete_group("g.bbbbbbbbbbbbbbbb").unwrap());
    assert!(!store.delete_group("g.bbbbbbbbbbbbbbbb").unwrap());
    assert_eq!(store.session("s.2").unwrap(), None);
    let remapped = store
        .group_for_mapper("course-1", &group("g.dddddddddddddddd", Some("course-1")))
        .unwrap();
    assert_eq!(remapped.id, "g.dddddddddddddddd");
    assert!(store.delete_session("s.1").unwrap());
    assert_eq!(store.sessions().unwrap(), vec![]);
}

fn events_are_replaced_whole_listed_and_deleted(backend: &dyn Backend) {
    let store = backend.open();
    let session = EventSession {
        pad: "summit-2026-keynote".into(),
        title: "Keynote".into(),
        starts_ms: 1_790_000_000_000,
        ends_ms: 1_790_003_600_000,
        room: Some("Hall A".into()),
        moderators: vec!["Ana".into()],
        description: None,
    };
    let mut event = Event {
        id: "summit-2026".into(),
        title: "Summit".into(),
        time_zone: "Europe/Berlin".into(),
        sessions: vec![session.clone()],
        ..Event::default()
    };
    store.put_event(&event).unwrap();
    store
        .put_event(&Event {
            id: "ptg-2026".into(),
            ..Event::default()
        })
        .unwrap();
    event.title = "Summit 2026".into();
    event.sessions.push(EventSession {
        pad: "summit-2026-closing".into(),
        ..session
    });
    store.put_event(&event).unwrap();
    drop(store);
    let store = backend.open();
    assert_eq!(store.event("summit-2026").unwrap(), Some(event));
    assert_eq!(store.event("nope").unwrap(), None);
    let ids: Vec<String> = store.events().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["ptg-2026", "summit-2026"]);
    assert!(store.delete_event("ptg-2026").unwrap());
    assert!(!store.delete_event("ptg-2026").unwrap());
    assert_eq!(store.events().unwrap().len(), 1);
}

#[test]
fn sled_settings_stay_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.shared_setting("api_key", "k1").unwrap(), None);
}

#[test]
fn postgres_shared_setting_is_the_first_nodes() {
    let url = pg_testing::fresh_database();
    let (first, second) = (PgStore::open(&url).unwrap(), PgStore::open(&url).unwrap());
    assert_eq!(
        first.shared_setting("api_key", "k1").unwrap().as_deref(),
        Some("k1")
    );
    assert_eq!(
        second.shared_setting("api_key", "k2").unwrap().as_deref(),
        Some("k1")
    );
    assert_eq!(
        second.shared_setting("other", "v").unwrap().as_deref(),
        Some("v")
    );
}

/// A group commit is one transaction: a batch the database refuses leaves nothing behind, so
/// the persister's retry starts from a clean slate.
#[test]
fn postgres_batch_is_all_or_nothing() {
    let store = PgStore::open(&pg_testing::fresh_database()).unwrap();
    let ups = keystrokes("ok");
    let refused = LogEntry {
        // PostgreSQL text cannot hold NUL, so this row fails after the first one went in.
        author: Some("a.\0".into()),
        new_clients: vec![3],
        ..entry("q", 1, ups[1].clone())
    };
    let err = store
        .append(&[entry("p", 1, ups[0].clone()), refused])
        .unwrap_err();
    assert!(format!("{err}").contains("0x00"), "{err}");
    assert!(store.meta("p").unwrap().is_none());
    assert!(store.meta("q").unwrap().is_none());
    assert!(store.log("p", 1, 1).unwrap().is_empty());
    assert!(store.pads_of_author("a.x").unwrap().is_empty());
    store.append(&[entry("p", 1, ups[0].clone())]).unwrap();
    assert_eq!(store.meta("p").unwrap().unwrap().revisions, 1);
}

#[test]
fn postgres_refuses_a_newer_schema_and_reopens_an_equal_one() {
    let url = pg_testing::fresh_database();
    drop(PgStore::open(&url).unwrap());
    // Opening again finds its own version and applies nothing.
    let store = PgStore::open(&url).unwrap();
    assert!(store.create("kept", 1).unwrap());
    drop(store);
    let newer = PgStore::schema_version() + 1;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .execute(
                "INSERT INTO ypad_schema (version, applied_ms) VALUES ($1, 0)",
                &[&newer],
            )
            .await
            .unwrap();
    });
    let err = PgStore::open(&url)
        .err()
        .expect("a newer schema is refused");
    let message = format!("{err}");
    assert!(
        message.contains(&format!("schema is version {newer}")),
        "{message}"
    );
}

#[test]
fn postgres_bad_urls_and_unreachable_servers_are_errors() {
    let err = PgStore::open("postgres://host:notaport/db").err().unwrap();
    assert!(
        format!("{err}").contains("database URL is not valid"),
        "{err}"
    );
    let missing = tempfile::tempdir().unwrap();
    let url = format!(
        "postgresql://postgres@/postgres?host={}&connect_timeout=2",
        missing.path().display()
    );
    let err = PgStore::open(&url).err().unwrap();
    // The cause is in the message, not only in the error's source chain.
    assert!(
        format!("{err}").contains("error connecting to server: "),
        "{err}"
    );
}

/// The server calls the store from `spawn_blocking` threads and drops it inside its runtime;
/// the persister calls it from a plain thread.
#[test]
fn postgres_store_works_from_runtime_threads_and_plain_threads() {
    let url = pg_testing::fresh_database();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(PgStore::open(&url).unwrap());
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                let ups = keystrokes("hi");
                store
                    .append(&[entry("p", 1, ups[0].clone()), entry("p", 2, ups[1].clone())])
                    .unwrap();
                store.flush().unwrap();
            })
        };
        writer.join().unwrap();
        let reader = store.clone();
        let revisions = tokio::task::spawn_blocking(move || reader.meta("p"))
            .await
            .unwrap()
            .unwrap()
            .unwrap()
            .revisions;
        assert_eq!(revisions, 2);
        drop(store);
    });
}

/// The feed a script follows: each pad once, at its head, in the order of its newest change;
/// a cursor sees only what changed after it, whatever the store's restarts.
fn changes_feed_keeps_one_entry_a_pad_at_its_head(backend: &dyn Backend) {
    let store = backend.open();
    assert_eq!(store.changes_since(0, 100).unwrap(), vec![]);
    let ups = keystrokes("abcd");
    store
        .append(&[
            entry("a", 1, ups[0].clone()),
            entry("b", 1, ups[0].clone()),
            entry("a", 2, ups[1].clone()),
        ])
        .unwrap();
    store.flush().unwrap();
    let first = store.changes_since(0, 100).unwrap();
    let seen: Vec<(&str, u64, u64)> = first
        .iter()
        .map(|c| (c.pad.as_str(), c.head, c.time_ms))
        .collect();
    assert_eq!(seen.len(), 2, "{first:?}");
    assert!(seen.contains(&("a", 2, 1002)) && seen.contains(&("b", 1, 1001)));
    assert!(first[0].seq < first[1].seq);
    let cursor = first[1].seq;
    assert_eq!(store.changes_since(cursor, 100).unwrap(), vec![]);

    // `a` changes again: it moves past `b`, once, at its new head.
    store.append(&[entry("a", 3, ups[2].clone())]).unwrap();
    store.flush().unwrap();
    drop(store);
    let store = backend.open();
    let after = store.changes_since(cursor, 100).unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!((after[0].pad.as_str(), after[0].head), ("a", 3));
    assert!(after[0].seq > cursor);
    let all: Vec<String> = store
        .changes_since(0, 100)
        .unwrap()
        .into_iter()
        .map(|c| c.pad)
        .collect();
    assert_eq!(all, ["b", "a"]);
    // The limit cuts the page; the last entry's number is where the next page starts.
    let page = store.changes_since(0, 1).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(store.changes_since(page[0].seq, 1).unwrap()[0].pad, "a");

    // A copy is a change of its new pad; a deleted pad leaves the feed.
    store.copy("a", "c", 5000).unwrap();
    let copied = store.changes_since(after[0].seq, 100).unwrap();
    assert_eq!(copied.len(), 1, "{copied:?}");
    assert_eq!((copied[0].pad.as_str(), copied[0].head), ("c", 3));
    assert!(store.delete("a").unwrap());
    let left: Vec<String> = store
        .changes_since(0, 100)
        .unwrap()
        .into_iter()
        .map(|c| c.pad)
        .collect();
    assert_eq!(left, ["b", "c"]);
}

/// Two nodes commit at once while a reader follows the feed: since numbers become visible in
/// the order they were taken, a reader's cursor never passes a change still to be committed,
/// so it sees every pad (each changed once here) exactly once.
#[test]
fn postgres_changes_feed_misses_nothing_under_concurrent_commits() {
    const BATCHES: usize = 150;
    let url = pg_testing::fresh_database();
    let update = keystrokes("x").remove(0);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = ["n1", "n2"]
        .into_iter()
        .map(|node| {
            let (store, update, done) =
                (PgStore::open(&url).unwrap(), update.clone(), done.clone());
            std::thread::spawn(move || {
                for i in 0..BATCHES {
                    store
                        .append(&[entry(&format!("{node}-{i}"), 1, update.clone())])
                        .unwrap();
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    let reader = PgStore::open(&url).unwrap();
    let (mut cursor, mut seen) = (0, Vec::new());
    loop {
        // Read whether the writers were done before the page: a page read after both finished
        // holds everything they committed.
        let finished = done.load(std::sync::atomic::Ordering::SeqCst) == 2;
        let page = reader.changes_since(cursor, 50).unwrap();
        if let Some(last) = page.last() {
            cursor = last.seq;
        }
        let empty = page.is_empty();
        seen.extend(page.into_iter().map(|c| c.pad));
        if finished && empty {
            break;
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a pad was seen twice");
    assert_eq!(seen.len(), 2 * BATCHES, "the reader missed changes");
}
