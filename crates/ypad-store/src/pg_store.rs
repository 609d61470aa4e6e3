//! The PostgreSQL backend: every node of a cluster shares one database.
//!
//! The tables mirror the embedded store's trees (see `migrations/`): `pads` (creation time),
//! `log` (one row a revision), `checkpoints`, `history_blocks`, `read_only_ids`, `authors`,
//! `author_mappers`, `pad_authors`, `client_authors`, `saved_revisions`, `pad_changes` (the changes feed, numbered by
//! `change_clock`), and `settings` for
//! what every node shares (the API key). As in the embedded store, a pad's head revision and
//! last-edited time are read from its log.
//!
//! **Blocking over an async client.** The [`Store`] trait blocks, and its callers are of two
//! kinds: plain OS threads (the persister, the compactor, the command line) and
//! `spawn_blocking` threads of the server's runtime. The synchronous `postgres` crate drives its
//! own runtime on the calling thread and refuses to run inside another runtime's context, so it
//! fits only the first kind. Instead `PgStore` owns a small tokio runtime of its own, where
//! `tokio-postgres` connections (pooled by `deadpool-postgres`) live; a call spawns its query on
//! that runtime and waits for the answer on a std channel. Waiting on a std channel is allowed
//! on any thread, so both kinds of caller work, and the server's runtime never runs database IO
//! on its worker threads.
//!
//! **Group commit.** [`Store::append`] writes its whole batch in one transaction and commits it;
//! [`Store::flush`] has nothing left to do. A commit returns once PostgreSQL has made it
//! durable (`synchronous_commit`, on by default), so "durable after `flush`" holds, and a batch
//! is all or nothing. Log rows are inserted with `ON CONFLICT DO NOTHING`: a batch retried
//! after a commit whose answer was lost does not fail on its own rows.
//!
//! **Schema.** Versioned migrations are embedded in the binary and applied at open under an
//! advisory lock, so nodes starting together migrate once. A database whose schema is newer
//! than this binary knows is refused rather than written with old assumptions.
//!
//! Connections are unencrypted (`NoTls`): the database is expected on a unix socket or a
//! private network. A URL asking for TLS (`sslmode=require`) fails to connect with a clear
//! error rather than silently connecting in the clear.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{GenericClient, NoTls, Row};

use crate::{
    Author, Event, Group, GroupSession, LogEntry, PadChange, PadLock, PadMeta, Result,
    SavedRevision, Store, StoreError, StoredPad,
};

/// Notified with the pad's id whenever a pad's lock changes (`pg_cluster` listens).
pub(crate) const LOCKS_CHANNEL: &str = "ypad_pad_locks";
/// Notified in every transaction that adds to the changes feed (`pg_cluster` listens).
pub(crate) const CHANGES_CHANNEL: &str = "ypad_changes";

/// The schema's versions, in order: each applied once, in its own transaction with the others.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_access.sql")),
    (3, include_str!("../migrations/0003_events.sql")),
    (4, include_str!("../migrations/0004_cluster.sql")),
    (5, include_str!("../migrations/0005_changes.sql")),
];

/// Advisory lock key held while migrating ("ypad" in ASCII), so concurrent starts migrate once.
const MIGRATION_LOCK: i64 = 0x7970_6164;

/// Connections per node: the persister, the compactor and a few concurrent requests.
const POOL_SIZE: usize = 8;
/// How long a call waits for a connection before failing (the persister then retries).
const POOL_WAIT: Duration = Duration::from_secs(30);
/// Milliseconds a session may sit in a transaction waiting for ypad before PostgreSQL ends it.
const IDLE_IN_TRANSACTION_MS: u32 = 1000;
/// How long opening a connection may take unless the URL says (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A database whose schema is newer than this binary.
#[derive(Debug, thiserror::Error)]
#[error(
    "the database's schema is version {found}, newer than this ypad knows (version {known}): \
     run a ypad at least as new as the one that upgraded it"
)]
pub struct SchemaTooNew {
    pub found: i32,
    pub known: i32,
}

/// A [`Store`] in a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    /// For connections of its own outside the pool (the cluster's `LISTEN`).
    pub(crate) config: tokio_postgres::Config,
    runtime: tokio::runtime::Handle,
    _runtime: OwnedRuntime,
}

/// Dropped without waiting: a store may be dropped inside an async context (a server's last
/// handle going away), where a blocking runtime shutdown would panic. Every call has completed
/// by then, so nothing is left to wait for.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db?…`, or libpq's
    /// `key=value` form) and brings its schema up to date.
    pub fn open(url: &str) -> Result<PgStore> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::backend(format!("the database URL is not valid: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("ypad");
        }
        // A node paused or cut off in the middle of a transaction (its group commit holds the
        // pad's ownership row) would hold up the claim of the node taking its pads over until
        // it came back: PostgreSQL ends such a session after this long, releasing its locks.
        // ypad's transactions never wait on their client between statements for anywhere near
        // as long.
        let options = format!(
            "{} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}",
            config.get_options().unwrap_or_default()
        );
        config.options(options.trim_start());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ypad-pg")
            .enable_all()
            .build()
            .map_err(StoreError::backend)?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(StoreError::backend)?;
        let store = PgStore {
            pool,
            config,
            runtime: runtime.handle().clone(),
            _runtime: OwnedRuntime(Some(runtime)),
        };
        store.run(|pool| async move {
            let mut client = pool.get().await?;
            migrate(&mut client).await
        })?;
        Ok(store)
    }

    /// The schema version this binary writes.
    pub fn schema_version() -> i32 {
        MIGRATIONS.last().map_or(0, |(v, _)| *v)
    }

    /// Runs `f`'s future on the store's runtime and waits for its answer.
    pub(crate) fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    pub(crate) fn run<T, F>(&self, f: impl FnOnce(Pool) -> F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        let future = f(self.pool.clone());
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        // The sender is dropped unanswered only if the query's task panicked or the runtime is
        // gone; either way the caller gets an error, not the panic.
        rx.recv().map_err(|_| {
            StoreError::backend("a PostgreSQL call ended without an answer".to_owned())
        })?
    }
}

async fn migrate(client: &mut deadpool_postgres::Object) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS ypad_schema (
             version    INTEGER PRIMARY KEY,
             applied_ms BIGINT NOT NULL
         )",
    )
    .await?;
    let found: Option<i32> = tx
        .query_one("SELECT max(version) FROM ypad_schema", &[])
        .await?
        .get(0);
    let found = found.unwrap_or(0);
    let known = PgStore::schema_version();
    if found > known {
        return Err(StoreError::backend(SchemaTooNew { found, known }));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO ypad_schema (version, applied_ms) VALUES ($1, $2)",
            &[version, &now_ms()],
        )
        .await?;
        tracing::info!(version, "PostgreSQL schema migrated");
    }
    tx.commit().await?;
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A u64 of the trait as a BIGINT: revisions and times are far below 2^63, and a bound of
/// `u64::MAX` ("the newest") saturates.
pub(crate) fn db(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn num(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn event_of(id: &str, body: &str) -> Result<Event> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        pad: id.to_owned(),
        what: format!("event record: {e}"),
    })
}

fn group_of(row: &Row) -> Group {
    Group {
        id: row.get(0),
        mapper: row.get(1),
        created_ms: num(row.get(2)),
    }
}

fn session_of(row: &Row) -> GroupSession {
    GroupSession {
        id: row.get(0),
        group_id: row.get(1),
        author_id: row.get(2),
        valid_until: num(row.get(3)),
    }
}

/// The metadata of the pads `filter` selects, in the order of [`Store::list`].
async fn metas(
    client: &impl GenericClient,
    filter: &str,
    pad: Option<&str>,
) -> Result<Vec<PadMeta>> {
    let sql = format!(
        "SELECT p.id, p.created_ms, h.rev, h.time_ms, c.rev
         FROM pads p
         LEFT JOIN LATERAL (
             SELECT rev, time_ms FROM log WHERE log.pad = p.id ORDER BY rev DESC LIMIT 1
         ) h ON true
         LEFT JOIN LATERAL (
             SELECT max(rev) AS rev FROM checkpoints WHERE checkpoints.pad = p.id
         ) c ON true
         {filter}
         ORDER BY octet_length(p.id), p.id"
    );
    let rows = match pad {
        Some(pad) => client.query(&sql, &[&pad]).await?,
        None => client.query(&sql, &[]).await?,
    };
    Ok(rows
        .iter()
        .map(|row| {
            let created_ms = num(row.get(1));
            let head: Option<i64> = row.get(2);
            let head_time: Option<i64> = row.get(3);
            let checkpoint: Option<i64> = row.get(4);
            PadMeta {
                id: row.get(0),
                created_ms,
                last_edited_ms: head_time.map_or(created_ms, num),
                revisions: head.map_or(0, num),
                checkpoint_rev: checkpoint.map_or(0, num),
            }
        })
        .collect())
}

async fn meta_of(client: &impl GenericClient, pad: &str) -> Result<Option<PadMeta>> {
    Ok(metas(client, "WHERE p.id = $1", Some(pad)).await?.pop())
}

/// `(number, bytes)` of the row of `table` with the greatest number at or before `rev`.
async fn newest_at_or_before(
    client: &impl GenericClient,
    table: &str,
    column: &str,
    value: &str,
    pad: &str,
    rev: u64,
) -> Result<Option<(u64, Vec<u8>)>> {
    let sql = format!(
        "SELECT {column}, {value} FROM {table} WHERE pad = $1 AND {column} <= $2
         ORDER BY {column} DESC LIMIT 1"
    );
    Ok(client
        .query_opt(&sql, &[&pad, &db(rev)])
        .await?
        .map(|row| (num(row.get(0)), row.get(1))))
}

/// Moves each pad's row of the changes feed to a new number, keeping the greater head (a
/// batch retried after a lost answer brings nothing newer). Call it last in a transaction:
/// the counter row stays locked until the commit (see `migrations/0005_changes.sql`).
async fn record_changes(
    tx: &impl GenericClient,
    pads: &[String],
    heads: &[i64],
    times: &[i64],
) -> Result<()> {
    if pads.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(pads.len()).unwrap_or(i64::MAX);
    // Every node's waiting readers of the feed hear of it at the commit (see `pg_cluster`).
    let first: i64 = tx
        .query_one(
            "WITH moved AS (UPDATE change_clock SET seq = seq + $1 RETURNING seq - $1 + 1 AS first)
             SELECT first, pg_notify($2, '') FROM moved",
            &[&n, &CHANGES_CHANNEL],
        )
        .await?
        .get(0);
    let seqs: Vec<i64> = (first..first + n).collect();
    tx.execute(
        "INSERT INTO pad_changes (pad, seq, head, time_ms)
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])
         ON CONFLICT (pad) DO UPDATE SET seq = EXCLUDED.seq,
             head = GREATEST(pad_changes.head, EXCLUDED.head), time_ms = EXCLUDED.time_ms",
        &[&pads, &seqs, &heads, &times],
    )
    .await?;
    Ok(())
}

fn log_entry(pad: &str, row: &Row) -> LogEntry {
    LogEntry {
        pad: pad.to_owned(),
        rev: num(row.get(0)),
        time_ms: num(row.get(1)),
        author: row.get(2),
        update: bytes::Bytes::from(row.get::<_, Vec<u8>>(3)),
        new_clients: Vec::new(),
    }
}

fn author_of(row: &Row) -> Author {
    Author {
        id: row.get(0),
        name: row.get(1),
        color: row.get(2),
        created_ms: num(row.get(3)),
    }
}

async fn put_author_in(client: &impl GenericClient, author: &Author) -> Result<()> {
    client
        .execute(
            "INSERT INTO authors (id, name, color, created_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE
             SET name = EXCLUDED.name, color = EXCLUDED.color, created_ms = EXCLUDED.created_ms",
            &[
                &author.id,
                &author.name,
                &author.color,
                &db(author.created_ms),
            ],
        )
        .await?;
    Ok(())
}

/// A group commit as column arrays for UNNEST: one statement a table, whatever its size.
pub(crate) struct Batch {
    new_pads: Vec<String>,
    new_times: Vec<i64>,
    pads: Vec<String>,
    revs: Vec<i64>,
    times: Vec<i64>,
    authors: Vec<Option<String>>,
    updates: Vec<Vec<u8>>,
    client_pads: Vec<String>,
    client_ids: Vec<i64>,
    client_authors: Vec<String>,
    author_pads: Vec<String>,
    author_ids: Vec<String>,
    /// Each pad's newest revision in the batch and its time, for the changes feed.
    head_pads: Vec<String>,
    head_revs: Vec<i64>,
    head_times: Vec<i64>,
}

impl Batch {
    pub(crate) fn of(entries: &[LogEntry]) -> Batch {
        let mut first_of_pad: BTreeMap<&str, i64> = BTreeMap::new();
        let (mut pads, mut revs, mut times, mut authors, mut updates) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut clients: BTreeMap<(&str, i64), &str> = BTreeMap::new();
        let mut authorship: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut heads: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for e in entries {
            first_of_pad.entry(&e.pad).or_insert(db(e.time_ms));
            let head = heads.entry(&e.pad).or_insert((db(e.rev), db(e.time_ms)));
            if head.0 < db(e.rev) {
                *head = (db(e.rev), db(e.time_ms));
            }
            pads.push(e.pad.clone());
            revs.push(db(e.rev));
            times.push(db(e.time_ms));
            authors.push(e.author.clone());
            updates.push(e.update.to_vec());
            if let Some(author) = e.author.as_deref() {
                authorship.insert((&e.pad, author));
                for client in &e.new_clients {
                    // Stored as the bit pattern; a later entry's claim wins, as in the log order.
                    clients.insert((&e.pad, *client as i64), author);
                }
            }
        }
        let (new_pads, new_times): (Vec<String>, Vec<i64>) = first_of_pad
            .into_iter()
            .map(|(p, t)| (p.to_owned(), t))
            .unzip();
        let (client_pads, client_ids, client_authors) = unzip3(
            clients
                .into_iter()
                .map(|((p, c), a)| (p.to_owned(), c, a.to_owned())),
        );
        let (author_pads, author_ids): (Vec<String>, Vec<String>) = authorship
            .into_iter()
            .map(|(p, a)| (p.to_owned(), a.to_owned()))
            .unzip();
        let (head_pads, head_revs, head_times) =
            unzip3(heads.into_iter().map(|(p, (r, t))| (p.to_owned(), r, t)));
        Batch {
            new_pads,
            new_times,
            pads,
            revs,
            times,
            authors,
            updates,
            client_pads,
            client_ids,
            client_authors,
            author_pads,
            author_ids,
            head_pads,
            head_revs,
            head_times,
        }
    }

    /// Writes the batch inside the caller's transaction.
    pub(crate) async fn insert(&self, tx: &tokio_postgres::Transaction<'_>) -> Result<()> {
        tx.execute(
            "INSERT INTO pads (id, created_ms)
             SELECT * FROM UNNEST($1::text[], $2::bigint[])
             ON CONFLICT (id) DO NOTHING",
            &[&self.new_pads, &self.new_times],
        )
        .await?;
        tx.execute(
            "INSERT INTO log (pad, rev, time_ms, author, update_v1)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bytea[])
             ON CONFLICT (pad, rev) DO NOTHING",
            &[
                &self.pads,
                &self.revs,
                &self.times,
                &self.authors,
                &self.updates,
            ],
        )
        .await?;
        if !self.client_ids.is_empty() {
            tx.execute(
                "INSERT INTO client_authors (pad, client, author)
                 SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[])
                 ON CONFLICT (pad, client) DO UPDATE SET author = EXCLUDED.author",
                &[&self.client_pads, &self.client_ids, &self.client_authors],
            )
            .await?;
        }
        if !self.author_ids.is_empty() {
            tx.execute(
                "INSERT INTO pad_authors (pad, author)
                 SELECT * FROM UNNEST($1::text[], $2::text[])
                 ON CONFLICT DO NOTHING",
                &[&self.author_pads, &self.author_ids],
            )
            .await?;
        }
        record_changes(tx, &self.head_pads, &self.head_revs, &self.head_times).await
    }
}

const AUTHOR_COLUMNS: &str = "id, name, color, created_ms";

impl Store for PgStore {
    fn load(&self, pad: &str) -> Result<Option<StoredPad>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            // One snapshot, so the checkpoint and the tail agree with the metadata even while
            // another node appends.
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let Some(meta) = meta_of(&*tx, &pad).await? else {
                tx.rollback().await?;
                return Ok(None);
            };
            let checkpoint =
                newest_at_or_before(&*tx, "checkpoints", "rev", "state", &pad, u64::MAX).await?;
            let from = checkpoint.as_ref().map_or(1, |(rev, _)| rev + 1);
            let tail = tx
                .query(
                    "SELECT update_v1 FROM log WHERE pad = $1 AND rev >= $2 AND rev <= $3
                     ORDER BY rev",
                    &[&pad, &db(from), &db(meta.revisions)],
                )
                .await?
                .iter()
                .map(|row| row.get(0))
                .collect();
            tx.commit().await?;
            Ok(Some(StoredPad {
                meta,
                checkpoint: checkpoint.map(|(_, state)| state),
                tail,
            }))
        })
    }

    fn meta(&self, pad: &str) -> Result<Option<PadMeta>> {
        let pad = pad.to_owned();
        self.run(|pool| async move { meta_of(&**pool.get().await?, &pad).await })
    }

    fn create(&self, pad: &str, time_ms: u64) -> Result<bool> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let n = pool
                .get()
                .await?
                .execute(
                    "INSERT INTO pads (id, created_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                    &[&pad, &db(time_ms)],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn append(&self, entries: &[LogEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let batch = Batch::of(entries);
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            batch.insert(&tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn flush(&self) -> Result<()> {
        // Each append committed its batch; a commit is durable when it returns.
        Ok(())
    }

    fn log(&self, pad: &str, from: u64, to: u64) -> Result<Vec<LogEntry>> {
        if from > to {
            return Ok(Vec::new());
        }
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT rev, time_ms, author, update_v1 FROM log
                     WHERE pad = $1 AND rev >= $2 AND rev <= $3 ORDER BY rev",
                    &[&pad, &db(from), &db(to)],
                )
                .await?;
            Ok(rows.iter().map(|row| log_entry(&pad, row)).collect())
        })
    }

    fn checkpoint_at_or_before(&self, pad: &str, rev: u64) -> Result<Option<(u64, Vec<u8>)>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            newest_at_or_before(
                &**pool.get().await?,
                "checkpoints",
                "rev",
                "state",
                &pad,
                rev,
            )
            .await
        })
    }

    fn put_checkpoint(&self, pad: &str, rev: u64, state: &[u8]) -> Result<()> {
        let (pad, state) = (pad.to_owned(), state.to_vec());
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute(
                "INSERT INTO checkpoints (pad, rev, state) VALUES ($1, $2, $3)
                 ON CONFLICT (pad, rev) DO UPDATE SET state = EXCLUDED.state",
                &[&pad, &db(rev), &state],
            )
            .await?;
            // Only the newest is read (to load the pad); the log keeps everything older.
            tx.execute(
                "DELETE FROM checkpoints WHERE pad = $1 AND rev < $2",
                &[&pad, &db(rev)],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn put_history_block(&self, pad: &str, start: u64, block: &[u8]) -> Result<()> {
        let (pad, block) = (pad.to_owned(), block.to_vec());
        self.run(|pool| async move {
            pool.get()
                .await?
                .execute(
                    "INSERT INTO history_blocks (pad, start_rev, block) VALUES ($1, $2, $3)
                     ON CONFLICT (pad, start_rev) DO UPDATE SET block = EXCLUDED.block",
                    &[&pad, &db(start), &block],
                )
                .await?;
            Ok(())
        })
    }

    fn history_block_at_or_before(&self, pad: &str, rev: u64) -> Result<Option<(u64, Vec<u8>)>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            newest_at_or_before(
                &**pool.get().await?,
                "history_blocks",
                "start_rev",
                "block",
                &pad,
                rev,
            )
            .await
        })
    }

    fn list(&self) -> Result<Vec<PadMeta>> {
        self.run(|pool| async move { metas(&**pool.get().await?, "", None).await })
    }

    fn delete(&self, pad: &str) -> Result<bool> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let existed = tx
                .execute("DELETE FROM pads WHERE id = $1", &[&pad])
                .await?
                > 0;
            for table in [
                "log",
                "checkpoints",
                "history_blocks",
                "saved_revisions",
                "client_authors",
                "pad_authors",
                "read_only_ids",
                "pad_locks",
                "public_pads",
                "pad_changes",
            ] {
                tx.execute(&format!("DELETE FROM {table} WHERE pad = $1"), &[&pad])
                    .await?;
            }
            tx.commit().await?;
            Ok(existed)
        })
    }

    fn read_only_id(&self, pad: &str, candidate: &str) -> Result<String> {
        let (pad, candidate) = (pad.to_owned(), candidate.to_owned());
        self.run(|pool| async move {
            let client = pool.get().await?;
            // Another node may record one at the same moment: whichever insert wins, both read
            // the winner's.
            client
                .execute(
                    "INSERT INTO read_only_ids (pad, read_only_id) VALUES ($1, $2)
                     ON CONFLICT (pad) DO NOTHING",
                    &[&pad, &candidate],
                )
                .await?;
            Ok(client
                .query_one(
                    "SELECT read_only_id FROM read_only_ids WHERE pad = $1",
                    &[&pad],
                )
                .await?
                .get(0))
        })
    }

    fn pad_of_read_only_id(&self, read_only_id: &str) -> Result<Option<String>> {
        let read_only_id = read_only_id.to_owned();
        self.run(|pool| async move {
            Ok(pool
                .get()
                .await?
                .query_opt(
                    "SELECT pad FROM read_only_ids WHERE read_only_id = $1",
                    &[&read_only_id],
                )
                .await?
                .map(|row| row.get(0)))
        })
    }

    fn copy(&self, from: &str, to: &str, time_ms: u64) -> Result<()> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute(
                "INSERT INTO pads (id, created_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                &[&to, &db(time_ms)],
            )
            .await?;
            for sql in [
                "INSERT INTO log (pad, rev, time_ms, author, update_v1)
                 SELECT $2, rev, time_ms, author, update_v1 FROM log WHERE pad = $1
                 ON CONFLICT DO NOTHING",
                "INSERT INTO checkpoints (pad, rev, state)
                 SELECT $2, rev, state FROM checkpoints WHERE pad = $1
                 ON CONFLICT DO NOTHING",
                "INSERT INTO history_blocks (pad, start_rev, block)
                 SELECT $2, start_rev, block FROM history_blocks WHERE pad = $1
                 ON CONFLICT DO NOTHING",
                "INSERT INTO client_authors (pad, client, author)
                 SELECT $2, client, author FROM client_authors WHERE pad = $1
                 ON CONFLICT DO NOTHING",
                "INSERT INTO pad_authors (pad, author)
                 SELECT $2, author FROM pad_authors WHERE pad = $1
                 ON CONFLICT DO NOTHING",
                "INSERT INTO saved_revisions (pad, rev, label, author, time_ms)
                 SELECT $2, rev, label, author, time_ms FROM saved_revisions WHERE pad = $1
                 ORDER BY seq",
            ] {
                tx.execute(sql, &[&from, &to]).await?;
            }
            if let Some(row) = tx
                .query_opt(
                    "SELECT rev, time_ms FROM log WHERE pad = $1 ORDER BY rev DESC LIMIT 1",
                    &[&to],
                )
                .await?
            {
                record_changes(
                    &*tx,
                    std::slice::from_ref(&to),
                    &[row.get(0)],
                    &[row.get(1)],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn put_author(&self, author: &Author) -> Result<()> {
        let author = author.clone();
        self.run(|pool| async move { put_author_in(&**pool.get().await?, &author).await })
    }

    fn author(&self, id: &str) -> Result<Option<Author>> {
        let id = id.to_owned();
        self.run(|pool| async move {
            Ok(pool
                .get()
                .await?
                .query_opt(
                    &format!("SELECT {AUTHOR_COLUMNS} FROM authors WHERE id = $1"),
                    &[&id],
                )
                .await?
                .map(|row| author_of(&row)))
        })
    }

    fn author_for_mapper(&self, mapper: &str, candidate: &Author) -> Result<Author> {
        let (mapper, candidate) = (mapper.to_owned(), candidate.clone());
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            // A concurrent mapping of the same id waits on the first one's row and then finds
            // it, so both callers get the same author.
            let mapped = tx
                .execute(
                    "INSERT INTO author_mappers (mapper, author) VALUES ($1, $2)
                     ON CONFLICT (mapper) DO NOTHING",
                    &[&mapper, &candidate.id],
                )
                .await?
                == 1;
            let author = if mapped {
                put_author_in(&*tx, &candidate).await?;
                candidate
            } else {
                let id: String = tx
                    .query_one(
                        "SELECT author FROM author_mappers WHERE mapper = $1",
                        &[&mapper],
                    )
                    .await?
                    .get(0);
                let found = tx
                    .query_opt(
                        &format!("SELECT {AUTHOR_COLUMNS} FROM authors WHERE id = $1"),
                        &[&id],
                    )
                    .await?;
                match found {
                    Some(row) => author_of(&row),
                    None => {
                        // The mapping outlived its author record; recreate it under the same id.
                        let author = Author { id, ..candidate };
                        put_author_in(&*tx, &author).await?;
                        author
                    }
                }
            };
            tx.commit().await?;
            Ok(author)
        })
    }

    fn authors_of_pad(&self, pad: &str) -> Result<Vec<String>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT author FROM pad_authors WHERE pad = $1 ORDER BY author",
                    &[&pad],
                )
                .await?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        })
    }

    fn pads_of_author(&self, author: &str) -> Result<Vec<String>> {
        let author = author.to_owned();
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT pad FROM pad_authors WHERE author = $1 ORDER BY pad",
                    &[&author],
                )
                .await?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        })
    }

    fn client_authors(&self, pad: &str) -> Result<Vec<(u64, String)>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT client, author FROM client_authors WHERE pad = $1 ORDER BY client",
                    &[&pad],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| (row.get::<_, i64>(0) as u64, row.get(1)))
                .collect())
        })
    }

    fn save_revision(&self, pad: &str, saved: &SavedRevision) -> Result<()> {
        let (pad, saved) = (pad.to_owned(), saved.clone());
        self.run(|pool| async move {
            pool.get()
                .await?
                .execute(
                    "INSERT INTO saved_revisions (pad, rev, label, author, time_ms)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &pad,
                        &db(saved.rev),
                        &saved.label,
                        &saved.author,
                        &db(saved.time_ms),
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn saved_revisions(&self, pad: &str) -> Result<Vec<SavedRevision>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT rev, label, author, time_ms FROM saved_revisions WHERE pad = $1
                     ORDER BY seq",
                    &[&pad],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| SavedRevision {
                    rev: num(row.get(0)),
                    label: row.get(1),
                    author: row.get(2),
                    time_ms: num(row.get(3)),
                })
                .collect())
        })
    }

    fn put_pad_lock(&self, pad: &str, lock: &PadLock) -> Result<()> {
        let (pad, lock) = (pad.to_owned(), lock.clone());
        self.run(|pool| async move {
            pool.get()
                .await?
                .execute(
                    // Every node with the pad in memory hears of it (see `pg_cluster`).
                    "WITH changed AS (
                         INSERT INTO pad_locks (pad, locked, lock_at, by_author, time_ms, chat)
                         VALUES ($1, $2, $3, $4, $5, $6)
                     )
                     SELECT pg_notify($7, $1)",
                    &[
                        &pad,
                        &lock.locked,
                        &lock.lock_at.map(db),
                        &lock.by,
                        &db(lock.time_ms),
                        &lock.chat,
                        &LOCKS_CHANNEL,
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn pad_locks(&self, pad: &str) -> Result<Vec<PadLock>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT locked, lock_at, by_author, time_ms, chat FROM pad_locks
                     WHERE pad = $1 ORDER BY seq",
                    &[&pad],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| PadLock {
                    locked: row.get(0),
                    lock_at: row.get::<_, Option<i64>>(1).map(num),
                    by: row.get(2),
                    time_ms: num(row.get(3)),
                    chat: row.get(4),
                })
                .collect())
        })
    }

    fn put_event(&self, event: &Event) -> Result<()> {
        let id = event.id.clone();
        let body = serde_json::to_string(event).map_err(StoreError::backend)?;
        self.run(|pool| async move {
            pool.get()
                .await?
                .execute(
                    "INSERT INTO events (id, body) VALUES ($1, $2)
                     ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
                    &[&id, &body],
                )
                .await?;
            Ok(())
        })
    }

    fn event(&self, id: &str) -> Result<Option<Event>> {
        let id = id.to_owned();
        self.run(|pool| async move {
            let row = pool
                .get()
                .await?
                .query_opt("SELECT body FROM events WHERE id = $1", &[&id])
                .await?;
            row.map(|row| event_of(&id, row.get(0))).transpose()
        })
    }

    fn events(&self) -> Result<Vec<Event>> {
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query("SELECT id, body FROM events ORDER BY id", &[])
                .await?;
            rows.iter()
                .map(|row| event_of(row.get(0), row.get(1)))
                .collect()
        })
    }

    fn delete_event(&self, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.run(|pool| async move {
            let n = pool
                .get()
                .await?
                .execute("DELETE FROM events WHERE id = $1", &[&id])
                .await?;
            Ok(n > 0)
        })
    }

    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<PadChange>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT seq, pad, head, time_ms FROM pad_changes
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[&db(cursor), &limit],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| PadChange {
                    seq: num(row.get(0)),
                    pad: row.get(1),
                    head: num(row.get(2)),
                    time_ms: num(row.get(3)),
                })
                .collect())
        })
    }

    fn put_group(&self, group: &Group) -> Result<()> {
        let group = group.clone();
        self.run(|pool| async move {
            pool.get()
                .await?
                .execute(
                    "INSERT INTO groups (id, mapper, created_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO NOTHING",
                    &[&group.id, &group.mapper, &db(group.created_ms)],
                )
                .await?;
            Ok(())
        })
    }

    fn group(&self, id: &str) -> Result<Option<Group>> {
        let id = id.to_owned();
        self.run(|pool| async move {
            let row = pool
                .get()
                .await?
                .query_opt(
                    "SELECT id, mapper, created_ms FROM groups WHERE id = $1",
                    &[&id],
                )
                .await?;
            Ok(row.map(|row| group_of(&row)))
        })
    }

    fn group_for_mapper(&self, mapper: &str, candidate: &Group) -> Result<Group> {
        let (mapper, candidate) = (mapper.to_owned(), candidate.clone());
        self.run(|pool| async move {
            let client = pool.get().await?;
            // Two nodes mapping the same portal id at once: the second insert finds the first's
            // row, and both answer with it.
            client
                .execute(
                    "INSERT INTO groups (id, mapper, created_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (mapper) DO NOTHING",
                    &[&candidate.id, &mapper, &db(candidate.created_ms)],
                )
                .await?;
            let row = client
                .query_one(
                    "SELECT id, mapper, created_ms FROM groups WHERE mapper = $1",
                    &[&mapper],
                )
                .await?;
            Ok(group_of(&row))
        })
    }

    fn groups(&self) -> Result<Vec<Group>> {
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query("SELECT id, mapper, created_ms FROM groups ORDER BY id", &[])
                .await?;
            Ok(rows.iter().map(group_of).collect())
        })
    }

    fn delete_group(&self, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let existed = tx
                .execute("DELETE FROM groups WHERE id = $1", &[&id])
                .await?
                > 0;
            tx.execute("DELETE FROM sessions WHERE group_id = $1", &[&id])
                .await?;
            tx.commit().await?;
            Ok(existed)
        })
    }

    fn put_session(&self, session: &GroupSession) -> Result<()> {
        let session = session.clone();
        self.run(|pool| async move {
            pool.get()
                .await?
                .execute(
                    "INSERT INTO sessions (id, group_id, author_id, valid_until)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET valid_until = EXCLUDED.valid_until",
                    &[
                        &session.id,
                        &session.group_id,
                        &session.author_id,
                        &db(session.valid_until),
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn session(&self, id: &str) -> Result<Option<GroupSession>> {
        let id = id.to_owned();
        self.run(|pool| async move {
            let row = pool
                .get()
                .await?
                .query_opt(
                    "SELECT id, group_id, author_id, valid_until FROM sessions WHERE id = $1",
                    &[&id],
                )
                .await?;
            Ok(row.map(|row| session_of(&row)))
        })
    }

    fn delete_session(&self, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.run(|pool| async move {
            Ok(pool
                .get()
                .await?
                .execute("DELETE FROM sessions WHERE id = $1", &[&id])
                .await?
                > 0)
        })
    }

    fn sessions(&self) -> Result<Vec<GroupSession>> {
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT id, group_id, author_id, valid_until FROM sessions ORDER BY id",
                    &[],
                )
                .await?;
            Ok(rows.iter().map(session_of).collect())
        })
    }

    fn set_public(&self, pad: &str, public: bool) -> Result<()> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            let client = pool.get().await?;
            if public {
                client
                    .execute(
                        "INSERT INTO public_pads (pad) VALUES ($1) ON CONFLICT DO NOTHING",
                        &[&pad],
                    )
                    .await?;
            } else {
                client
                    .execute("DELETE FROM public_pads WHERE pad = $1", &[&pad])
                    .await?;
            }
            Ok(())
        })
    }

    fn is_public(&self, pad: &str) -> Result<bool> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            Ok(pool
                .get()
                .await?
                .query_opt("SELECT 1 FROM public_pads WHERE pad = $1", &[&pad])
                .await?
                .is_some())
        })
    }

    fn shared_setting(&self, name: &str, candidate: &str) -> Result<Option<String>> {
        let (name, candidate) = (name.to_owned(), candidate.to_owned());
        self.run(|pool| async move {
            let client = pool.get().await?;
            // The first node to start records its candidate; every other node reads that one.
            client
                .execute(
                    "INSERT INTO settings (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO NOTHING",
                    &[&name, &candidate],
                )
                .await?;
            Ok(Some(
                client
                    .query_one("SELECT value FROM settings WHERE name = $1", &[&name])
                    .await?
                    .get(0),
            ))
        })
    }

    fn existing_read_only_id(&self, pad: &str) -> Result<Option<String>> {
        let pad = pad.to_owned();
        self.run(|pool| async move {
            Ok(pool
                .get()
                .await?
                .query_opt(
                    "SELECT read_only_id FROM read_only_ids WHERE pad = $1",
                    &[&pad],
                )
                .await?
                .map(|row| row.get(0)))
        })
    }

    fn authors(&self) -> Result<Vec<Author>> {
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    &format!("SELECT {AUTHOR_COLUMNS} FROM authors ORDER BY id"),
                    &[],
                )
                .await?;
            Ok(rows.iter().map(author_of).collect())
        })
    }

    fn author_mappers(&self) -> Result<Vec<(String, String)>> {
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT mapper, author FROM author_mappers ORDER BY mapper",
                    &[],
                )
                .await?;
            Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        })
    }

    fn cluster(&self) -> Option<&dyn crate::Cluster> {
        Some(self)
    }
}

fn unzip3<A, B, C>(items: impl Iterator<Item = (A, B, C)>) -> (Vec<A>, Vec<B>, Vec<C>) {
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for (x, y, z) in items {
        a.push(x);
        b.push(y);
        c.push(z);
    }
    (a, b, c)
}

// The client's errors say little on their own ("db error", "error connecting to server") and
// keep the cause in their source chain, which a one-line report would drop: the message carries
// the whole chain.
fn with_causes(err: &dyn std::error::Error) -> StoreError {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    StoreError::backend(message)
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        with_causes(&e)
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        with_causes(&e)
    }
}
