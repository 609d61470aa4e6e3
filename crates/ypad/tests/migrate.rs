//! `ypad migrate` both ways between a data directory and the test command's private
//! PostgreSQL: the Etherpad fixtures and a 10,000-revision pad, compared record by record with
//! the source; a second run copies nothing; a partial copy is resumed without duplicates.

use std::process::Command;

mod common;

use common::{fixture, ypad};
use ypad_core::PadDoc;
use ypad_store::{Author, LogEntry, PgStore, SavedRevision, SledStore, Store, pg_testing};

/// Runs the command, asserts it succeeded, returns stdout and stderr together.
#[track_caller]
fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("ypad runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

#[track_caller]
fn run_err(cmd: &mut Command) -> String {
    let out = cmd.output().expect("ypad runs");
    assert!(!out.status.success(), "{cmd:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn migrate(from: impl AsRef<std::ffi::OsStr>, to: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = ypad();
    cmd.arg("migrate")
        .arg("--from")
        .arg(from)
        .arg("--to")
        .arg(to);
    cmd
}

fn entry(pad: &str, rev: u64, author: &str, update: Vec<u8>, new_clients: Vec<u64>) -> LogEntry {
    LogEntry {
        pad: pad.into(),
        rev,
        time_ms: 1_700_000_000_000 + rev,
        author: Some(author.into()),
        update: update.into(),
        new_clients,
    }
}

/// A pad typed by two authors taking turns, each with their own Yjs client.
fn two_typists(pad: &str, revisions: u64) -> Vec<LogEntry> {
    let mut docs = [PadDoc::with_client_id(11), PadDoc::with_client_id(22)];
    let authors = ["a.ann", "a.bob"];
    (1..=revisions)
        .map(|rev| {
            let who = (rev % 2) as usize;
            let update = docs[who]
                .append_text(&format!("{} ", rev))
                .expect("text appended");
            docs[1 - who].apply_update(&update).unwrap();
            let clients = if rev <= 2 {
                vec![[11, 22][who]]
            } else {
                vec![]
            };
            entry(pad, rev, authors[who], update, clients)
        })
        .collect()
}

fn author(id: &str, name: &str) -> Author {
    Author {
        id: id.into(),
        name: Some(name.into()),
        color: "#336699".into(),
        created_ms: 5,
    }
}

/// Everything a server reads of the store, pad by pad, must be the same in both.
fn assert_same(a: &dyn Store, b: &dyn Store) {
    let (pads_a, pads_b) = (a.list().unwrap(), b.list().unwrap());
    let summary = |pads: &[ypad_store::PadMeta]| -> Vec<(String, u64, u64, u64)> {
        pads.iter()
            .map(|m| (m.id.clone(), m.revisions, m.created_ms, m.last_edited_ms))
            .collect()
    };
    assert_eq!(summary(&pads_a), summary(&pads_b));
    for meta in &pads_a {
        let pad = meta.id.as_str();
        let text = |s: &dyn Store| {
            PadDoc::from_updates(s.load(pad).unwrap().unwrap().updates())
                .unwrap()
                .text()
        };
        assert_eq!(text(a), text(b), "head text of {pad}");
        assert_eq!(
            a.log(pad, 1, u64::MAX).unwrap(),
            b.log(pad, 1, u64::MAX).unwrap(),
            "log of {pad}"
        );
        assert_eq!(
            a.client_authors(pad).unwrap(),
            b.client_authors(pad).unwrap()
        );
        assert_eq!(
            a.authors_of_pad(pad).unwrap(),
            b.authors_of_pad(pad).unwrap()
        );
        assert_eq!(
            a.saved_revisions(pad).unwrap(),
            b.saved_revisions(pad).unwrap()
        );
        assert_eq!(
            a.existing_read_only_id(pad).unwrap(),
            b.existing_read_only_id(pad).unwrap()
        );
        assert_eq!(a.pad_locks(pad).unwrap(), b.pad_locks(pad).unwrap());
        assert_eq!(a.is_public(pad).unwrap(), b.is_public(pad).unwrap());
        assert_eq!(
            a.checkpoint_at_or_before(pad, u64::MAX).unwrap(),
            b.checkpoint_at_or_before(pad, u64::MAX).unwrap(),
            "checkpoint of {pad}"
        );
        assert_eq!(
            a.history_block_at_or_before(pad, u64::MAX).unwrap(),
            b.history_block_at_or_before(pad, u64::MAX).unwrap(),
            "newest history block of {pad}"
        );
    }
    assert_eq!(a.authors().unwrap(), b.authors().unwrap());
    assert_eq!(a.author_mappers().unwrap(), b.author_mappers().unwrap());
    assert_eq!(a.groups().unwrap(), b.groups().unwrap());
    assert_eq!(a.sessions().unwrap(), b.sessions().unwrap());
    assert_eq!(a.events().unwrap(), b.events().unwrap());
}

#[test]
fn fixtures_and_a_long_pad_go_to_postgres_and_back() {
    let source = tempfile::tempdir().unwrap();
    run_ok(
        ypad()
            .arg("import")
            .arg(fixture("kilo-oslo-sessions.etherpad"))
            .arg(fixture("ocata-tripleo-summary.etherpad"))
            .arg(fixture("YVR-S-release-goals.etherpad"))
            .arg("--data-dir")
            .arg(source.path()),
    );
    {
        let store = SledStore::open(source.path()).unwrap();
        let long = two_typists("long", 10_000);
        for chunk in long.chunks(2000) {
            store.append(chunk).unwrap();
        }
        let halfway = PadDoc::from_updates(long[..5000].iter().map(|e| &e.update[..]))
            .unwrap()
            .encode_state();
        store.put_checkpoint("long", 5000, &halfway).unwrap();
        store
            .save_revision(
                "long",
                &SavedRevision {
                    rev: 9999,
                    label: "nearly".into(),
                    author: Some("a.ann".into()),
                    time_ms: 9,
                },
            )
            .unwrap();
        store.read_only_id("long", "r.longpad").unwrap();
        store
            .author_for_mapper("t.browser-token", &author("a.ann", "Ann"))
            .unwrap();
        store.put_author(&author("a.bob", "Bob")).unwrap();
        let lock = ypad_store::PadLock {
            locked: true,
            lock_at: None,
            by: Some("a.ann".into()),
            time_ms: 7,
            chat: false,
        };
        store.put_pad_lock("long", &lock).unwrap();
        let group = ypad_store::Group {
            id: "g.aaaaaaaaaaaaaaaa".into(),
            mapper: Some("course-1".into()),
            created_ms: 1,
        };
        store.group_for_mapper("course-1", &group).unwrap();
        store
            .put_session(&ypad_store::GroupSession {
                id: "s.1".into(),
                group_id: group.id.clone(),
                author_id: "a.ann".into(),
                valid_until: 2_000_000_000,
            })
            .unwrap();
        store.set_public("long", true).unwrap();
        store
            .put_event(&ypad_store::Event {
                id: "summit".into(),
                title: "Summit".into(),
                time_zone: "Europe/Berlin".into(),
                sessions: vec![ypad_store::EventSession {
                    pad: "summit-opening".into(),
                    title: "Opening".into(),
                    starts_ms: 1_000,
                    ends_ms: 2_000,
                    ..Default::default()
                }],
                freeze_after_end: true,
                ..Default::default()
            })
            .unwrap();
        store.flush().unwrap();
    }
    std::fs::write(source.path().join("APIKEY.txt"), "key-of-the-data-dir\n").unwrap();

    let url = pg_testing::fresh_database();
    let out = run_ok(&mut migrate(source.path(), &url));
    assert!(out.contains("migrated 4 pad(s)"), "{out}");
    assert!(out.contains("1 event(s)"), "{out}");
    {
        let (src, pg) = (
            SledStore::open(source.path()).unwrap(),
            PgStore::open(&url).unwrap(),
        );
        assert_eq!(pg.meta("long").unwrap().unwrap().revisions, 10_000);
        assert!(
            pg.history_block_at_or_before("kilo-oslo-sessions", u64::MAX)
                .unwrap()
                .is_some(),
            "the import recorded history, and it was copied"
        );
        assert_same(&src, &pg);
        assert_eq!(
            pg.shared_setting("api_key", "another").unwrap().as_deref(),
            Some("key-of-the-data-dir")
        );
    }

    // Again: everything is there already, and nothing is added twice.
    let out = run_ok(&mut migrate(source.path(), &url));
    assert!(out.contains(" 0 revision(s) copied"), "{out}");
    {
        let (src, pg) = (
            SledStore::open(source.path()).unwrap(),
            PgStore::open(&url).unwrap(),
        );
        assert_same(&src, &pg);
    }

    let back = tempfile::tempdir().unwrap();
    let back_dir = back.path().join("data");
    let out = run_ok(&mut migrate(&url, &back_dir));
    assert!(out.contains("migrated 4 pad(s)"), "{out}");
    let (src, dst) = (
        SledStore::open(source.path()).unwrap(),
        SledStore::open(&back_dir).unwrap(),
    );
    assert_same(&src, &dst);
    assert_eq!(
        std::fs::read_to_string(back_dir.join("APIKEY.txt")).unwrap(),
        "key-of-the-data-dir"
    );
}

#[test]
fn an_interrupted_copy_resumes_without_duplicates() {
    let source = tempfile::tempdir().unwrap();
    let entries = two_typists("p", 30);
    let saved = |rev| SavedRevision {
        rev,
        label: format!("at {rev}"),
        author: None,
        time_ms: rev,
    };
    {
        let store = SledStore::open(source.path()).unwrap();
        store.append(&entries).unwrap();
        store.save_revision("p", &saved(5)).unwrap();
        store.save_revision("p", &saved(25)).unwrap();
        store.flush().unwrap();
    }
    // What an interrupted run leaves: the first revisions (here without their client ids, as
    // if those were lost with the rest), the first saved revision.
    let url = pg_testing::fresh_database();
    {
        let pg = PgStore::open(&url).unwrap();
        pg.create("p", entries[0].time_ms).unwrap();
        let partial: Vec<LogEntry> = entries[..10]
            .iter()
            .map(|e| LogEntry {
                new_clients: Vec::new(),
                ..e.clone()
            })
            .collect();
        pg.append(&partial).unwrap();
        pg.save_revision("p", &saved(5)).unwrap();
    }
    let out = run_ok(&mut migrate(source.path(), &url));
    assert!(
        out.contains("20 revision(s) copied, 10 already there"),
        "{out}"
    );
    let (src, pg) = (
        SledStore::open(source.path()).unwrap(),
        PgStore::open(&url).unwrap(),
    );
    assert_same(&src, &pg);
    assert_eq!(pg.saved_revisions("p").unwrap().len(), 2);
    assert_eq!(
        pg.client_authors("p").unwrap(),
        vec![(11, "a.ann".to_owned()), (22, "a.bob".to_owned())]
    );
}

#[test]
fn a_different_pad_at_the_destination_or_no_source_is_refused() {
    let source = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(source.path()).unwrap();
        store.append(&two_typists("p", 3)).unwrap();
        store.flush().unwrap();
    }
    let url = pg_testing::fresh_database();
    {
        let pg = PgStore::open(&url).unwrap();
        let other = PadDoc::with_client_id(99)
            .append_text("not the same")
            .unwrap();
        pg.append(&[entry("p", 1, "a.zed", other, vec![])]).unwrap();
    }
    let err = run_err(&mut migrate(source.path(), &url));
    assert!(
        err.contains("pad p: the destination's revision 1 differs"),
        "{err}"
    );

    let missing = source.path().join("nothing-here");
    let err = run_err(&mut migrate(&missing, &url));
    assert!(err.contains("no data directory at"), "{err}");
    let err = run_err(&mut migrate(source.path(), source.path()));
    assert!(err.contains("the same store"), "{err}");
}
