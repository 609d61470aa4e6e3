//! Faults and limits: slow readers, floods, full pads, a failing store, a corrupt pad.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ypad_server::Config;
use ypad_store::{
    Author, LogEntry, PadMeta, SavedRevision, SledStore, Store, StoreError, StoredPad,
};
use ypad_tests::{Client, TestServer, within};

#[tokio::test]
async fn a_slow_reader_is_disconnected_never_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.outbox_frames = 16;
    config.max_frames_per_sec = 1_000_000;
    let server = TestServer::start_with(config).await;
    let url = server.ws_url("slow");
    let mut writer = Client::connect(&url, 1).await;
    // Handshake done, then it stops reading: its socket buffers fill, then its outbox.
    let mut slow = Client::connect(&url, 2).await;
    let chunk = "x".repeat(1024);
    let mut closed = None;
    for i in 0..40_000u32 {
        writer.insert(i * 1024, &chunk).await;
        if i % 500 == 0 {
            let (_, health) = server.get_json("/health").await;
            if health["connections"] == 1 {
                closed = Some(i);
                break;
            }
        }
    }
    assert!(closed.is_some(), "the slow reader was never disconnected");
    // Reading now, the slow client finds its stream ends in a 1013 close, not a gap.
    assert_eq!(slow.wait_closed().await, Some(1013));
    assert!(writer.is_connected(), "the fast writer was not affected");
    // It reconnects and resyncs to everything.
    slow.reconnect(&url).await;
    assert_eq!(slow.text(), writer.text());
    server.stop().await;
}

#[tokio::test]
async fn limits_close_with_clear_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.max_frames_per_sec = 20;
    config.max_connections_per_pad = 2;
    config.max_pad_chars = 100;
    let server = TestServer::start_with(config).await;
    let url = server.ws_url("limited");
    let mut a = Client::connect(&url, 1).await;
    let mut b = Client::connect(&url, 2).await;
    // A third connection to the pad is refused before the upgrade.
    let err = tokio_tungstenite::connect_async(&url)
        .await
        .expect_err("pad is full of connections");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 503),
        other => panic!("{other}"),
    }
    // A pad past its size limit.
    a.insert(0, "fits").await;
    b.wait_text("fits").await;
    a.insert(4, &"y".repeat(200)).await;
    assert_eq!(a.wait_closed().await, Some(1009));
    assert_eq!(server.text("limited").await.as_deref(), Some("fits"));
    // A flood of frames.
    for clock in 1..=400 {
        b.send_awareness(clock, "{}").await;
    }
    assert_eq!(b.wait_closed().await, Some(1008));
    server.stop().await;
}

/// A store whose writes fail while `failing` is set, as a full or read-only disk would.
struct FlakyStore {
    inner: SledStore,
    failing: Arc<AtomicBool>,
}

impl FlakyStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::backend(std::io::Error::other(
                "no space left on device",
            )));
        }
        Ok(())
    }
}

impl Store for FlakyStore {
    fn load(&self, pad: &str) -> Result<Option<StoredPad>, StoreError> {
        self.inner.load(pad)
    }
    fn meta(&self, pad: &str) -> Result<Option<PadMeta>, StoreError> {
        self.inner.meta(pad)
    }
    fn create(&self, pad: &str, time_ms: u64) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.create(pad, time_ms)
    }
    fn append(&self, entries: &[LogEntry]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.append(entries)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.check()?;
        self.inner.flush()
    }
    fn log(&self, pad: &str, from: u64, to: u64) -> Result<Vec<LogEntry>, StoreError> {
        self.inner.log(pad, from, to)
    }
    fn checkpoint_at_or_before(
        &self,
        pad: &str,
        rev: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.inner.checkpoint_at_or_before(pad, rev)
    }
    fn put_checkpoint(&self, pad: &str, rev: u64, state: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_checkpoint(pad, rev, state)
    }
    fn put_history_block(&self, pad: &str, start: u64, block: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_history_block(pad, start, block)
    }
    fn history_block_at_or_before(
        &self,
        pad: &str,
        rev: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.inner.history_block_at_or_before(pad, rev)
    }
    fn list(&self) -> Result<Vec<PadMeta>, StoreError> {
        self.inner.list()
    }
    fn delete(&self, pad: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.delete(pad)
    }
    fn read_only_id(&self, pad: &str, candidate: &str) -> Result<String, StoreError> {
        self.inner.read_only_id(pad, candidate)
    }
    fn pad_of_read_only_id(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.inner.pad_of_read_only_id(id)
    }
    fn copy(&self, from: &str, to: &str, time_ms: u64) -> Result<(), StoreError> {
        self.check()?;
        self.inner.copy(from, to, time_ms)
    }
    fn put_author(&self, author: &Author) -> Result<(), StoreError> {
        self.inner.put_author(author)
    }
    fn author(&self, id: &str) -> Result<Option<Author>, StoreError> {
        self.inner.author(id)
    }
    fn author_for_mapper(&self, mapper: &str, candidate: &Author) -> Result<Author, StoreError> {
        self.inner.author_for_mapper(mapper, candidate)
    }
    fn authors_of_pad(&self, pad: &str) -> Result<Vec<String>, StoreError> {
        self.inner.authors_of_pad(pad)
    }
    fn pads_of_author(&self, author: &str) -> Result<Vec<String>, StoreError> {
        self.inner.pads_of_author(author)
    }
    fn client_authors(&self, pad: &str) -> Result<Vec<(u64, String)>, StoreError> {
        self.inner.client_authors(pad)
    }
    fn save_revision(&self, pad: &str, saved: &SavedRevision) -> Result<(), StoreError> {
        self.check()?;
        self.inner.save_revision(pad, saved)
    }
    fn saved_revisions(&self, pad: &str) -> Result<Vec<SavedRevision>, StoreError> {
        self.inner.saved_revisions(pad)
    }
    fn put_event(&self, event: &ypad_store::Event) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_event(event)
    }
    fn event(&self, id: &str) -> Result<Option<ypad_store::Event>, StoreError> {
        self.inner.event(id)
    }
    fn events(&self) -> Result<Vec<ypad_store::Event>, StoreError> {
        self.inner.events()
    }
    fn delete_event(&self, id: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.delete_event(id)
    }
    fn changes_since(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<ypad_store::PadChange>, StoreError> {
        self.inner.changes_since(cursor, limit)
    }
    fn put_pad_lock(&self, pad: &str, lock: &ypad_store::PadLock) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_pad_lock(pad, lock)
    }
    fn pad_locks(&self, pad: &str) -> Result<Vec<ypad_store::PadLock>, StoreError> {
        self.inner.pad_locks(pad)
    }
    fn put_group(&self, group: &ypad_store::Group) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_group(group)
    }
    fn group(&self, id: &str) -> Result<Option<ypad_store::Group>, StoreError> {
        self.inner.group(id)
    }
    fn group_for_mapper(
        &self,
        mapper: &str,
        candidate: &ypad_store::Group,
    ) -> Result<ypad_store::Group, StoreError> {
        self.check()?;
        self.inner.group_for_mapper(mapper, candidate)
    }
    fn groups(&self) -> Result<Vec<ypad_store::Group>, StoreError> {
        self.inner.groups()
    }
    fn delete_group(&self, id: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.delete_group(id)
    }
    fn put_session(&self, session: &ypad_store::GroupSession) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_session(session)
    }
    fn session(&self, id: &str) -> Result<Option<ypad_store::GroupSession>, StoreError> {
        self.inner.session(id)
    }
    fn delete_session(&self, id: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.delete_session(id)
    }
    fn sessions(&self) -> Result<Vec<ypad_store::GroupSession>, StoreError> {
        self.inner.sessions()
    }
    fn set_public(&self, pad: &str, public: bool) -> Result<(), StoreError> {
        self.check()?;
        self.inner.set_public(pad, public)
    }
    fn is_public(&self, pad: &str) -> Result<bool, StoreError> {
        self.inner.is_public(pad)
    }
    fn shared_setting(&self, name: &str, candidate: &str) -> Result<Option<String>, StoreError> {
        self.inner.shared_setting(name, candidate)
    }
    fn existing_read_only_id(&self, pad: &str) -> Result<Option<String>, StoreError> {
        self.inner.existing_read_only_id(pad)
    }
    fn authors(&self) -> Result<Vec<Author>, StoreError> {
        self.inner.authors()
    }
    fn author_mappers(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.author_mappers()
    }
}

async fn wait_health(server: &TestServer, status: &str) {
    within(&format!("health {status}"), async {
        loop {
            let (_, h) = server.get_json("/health").await;
            if h["status"] == status {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_failing_store_refuses_writes_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let failing = Arc::new(AtomicBool::new(false));
    let store = FlakyStore {
        inner: SledStore::open(dir.path()).unwrap(),
        failing: failing.clone(),
    };
    let server = TestServer::start_with_store(Config::new(dir.path()), Arc::new(store)).await;
    let url = server.ws_url("disk");
    let mut a = Client::connect(&url, 1).await;
    a.insert(0, "stored").await;
    let mut probe = Client::connect(&url, 2).await;
    probe.wait_text("stored").await;

    failing.store(true, Ordering::SeqCst);
    a.insert(6, " pending").await;
    probe.wait_text("stored pending").await;
    wait_health(&server, "unhealthy").await;
    // Further writes are refused with 1013 while the store fails; reads still work.
    a.insert(0, "refused ").await;
    assert_eq!(a.wait_closed().await, Some(1013));
    assert_eq!(server.text("disk").await.as_deref(), Some("stored pending"));

    // The store recovers: the pending revision is written, nothing was lost.
    failing.store(false, Ordering::SeqCst);
    wait_health(&server, "ok").await;
    drop((a, probe));
    let server = server.restart().await;
    assert_eq!(server.text("disk").await.as_deref(), Some("stored pending"));
    server.stop().await;
}

#[tokio::test]
async fn a_corrupt_pad_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    for pad in ["good", "bad"] {
        let mut c = Client::connect(&server.ws_url(pad), 1).await;
        c.insert(0, pad).await;
        let mut probe = Client::connect(&server.ws_url(pad), 2).await;
        probe.wait_text(pad).await;
    }
    let data = server.data_dir().to_owned();
    server.stop().await;
    {
        // Overwrite the bad pad's first revision with garbage, as a torn write might.
        let db = sled::open(&data).unwrap();
        let log = db.open_tree("log").unwrap();
        let mut key = vec![3u8];
        key.extend_from_slice(b"bad");
        key.extend_from_slice(&1u64.to_be_bytes());
        assert!(log.insert(key, &[1u8, 0, 0][..]).unwrap().is_some());
        db.flush().unwrap();
    }
    let server = TestServer::start(&data).await;
    match tokio_tungstenite::connect_async(server.ws_url("bad")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 500),
        other => panic!("a corrupt pad must not open: {:?}", other.map(|_| ())),
    }
    let good = Client::connect(&server.ws_url("good"), 3).await;
    assert_eq!(good.text(), "good");
    let (status, _) = server.get_json("/health").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_flood_of_connection_attempts_leaves_editors_served() {
    const ATTEMPTS: usize = 20_000;
    const AT_ONCE: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.ws_url("flooded");
    let mut a = Client::connect(&url, 1).await;
    let mut b = Client::connect(&url, 2).await;
    let addr = server.addr;
    // Half open a socket and leave, half send a request that never finishes: both kinds are
    // what a flood of dying clients or a careless scanner sends.
    let flood = tokio::spawn(async move {
        let gate = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..ATTEMPTS {
            let permit = gate.clone().acquire_owned().await.unwrap();
            tasks.spawn(async move {
                if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await
                    && i % 2 == 0
                {
                    use tokio::io::AsyncWriteExt;
                    let _ = s
                        .write_all(b"GET /ws/flooded HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
                        .await;
                }
                drop(permit);
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    });
    // Editing goes on during the flood.
    let mut rounds = 0;
    while !flood.is_finished() {
        let at = a.text_len();
        a.insert(at, "a").await;
        let expected = a.text();
        b.wait_text(&expected).await;
        rounds += 1;
    }
    flood.await.unwrap();
    assert!(rounds > 0);
    // Afterwards the server takes new editors as usual.
    let late = Client::connect(&url, 3).await;
    assert_eq!(late.text(), a.text());
    let (status, health) = server.get_json("/health").await;
    assert_eq!((status, &health["status"]), (200, &serde_json::json!("ok")));
    server.stop().await;
}
