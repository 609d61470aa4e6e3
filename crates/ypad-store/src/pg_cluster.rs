//! [`Cluster`] over PostgreSQL: the `nodes` and `pad_owners` tables of migration 4.
//!
//! Every decision reads PostgreSQL's clock (`clock_timestamp()`), never a node's. A claim
//! locks the pad's ownership row, and a fenced commit locks the same row before it checks the
//! fence, so a claim and a commit of the old owner are serialised: either the commit lands
//! first and the new owner's load sees it, or the claim does and the commit is refused.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cluster::{Claim, Cluster, NodeInfo};
use crate::pg_store::{Batch, CHANGES_CHANNEL, LOCKS_CHANNEL, PgStore, db, num};
use crate::{LogEntry, Result, StoreError};

/// Wait before listening again after the listening connection broke.
const LISTEN_RETRY: Duration = Duration::from_millis(500);

impl Cluster for PgStore {
    fn renew_lease(&self, node: &NodeInfo, ttl: Duration) -> Result<bool> {
        let node = node.clone();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let was_live: bool = tx
                .query_opt(
                    "SELECT lease_until > clock_timestamp() FROM nodes WHERE node_id = $1
                     FOR UPDATE",
                    &[&node.id],
                )
                .await?
                .is_some_and(|row| row.get(0));
            tx.execute(
                "INSERT INTO nodes (node_id, advertise_url, lease_until)
                 VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3::float8 / 1000.0))
                 ON CONFLICT (node_id) DO UPDATE
                 SET advertise_url = EXCLUDED.advertise_url, lease_until = EXCLUDED.lease_until",
                &[&node.id, &node.advertise_url, &(ttl_ms as f64)],
            )
            .await?;
            tx.commit().await?;
            Ok(was_live)
        })
    }

    fn claim(&self, pad: &str, node: &str) -> Result<Claim> {
        let (pad, node) = (pad.to_owned(), node.to_owned());
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            loop {
                let tx = client.transaction().await?;
                if !lease_live(&tx, &node).await? {
                    tx.rollback().await?;
                    return Err(StoreError::LeaseLapsed);
                }
                // The ownership row is locked on its own: joined to `nodes` under FOR UPDATE, a
                // claim that waited for another would recheck the new owner against the old
                // owner's lease (PostgreSQL re-reads only the locked row).
                let current = tx
                    .query_opt(
                        "SELECT node_id, fence FROM pad_owners WHERE pad = $1 FOR UPDATE",
                        &[&pad],
                    )
                    .await?;
                let Some(row) = current else {
                    let inserted = tx
                        .execute(
                            "INSERT INTO pad_owners (pad, node_id, fence, claimed_at)
                             VALUES ($1, $2, 1, clock_timestamp())
                             ON CONFLICT (pad) DO NOTHING",
                            &[&pad, &node],
                        )
                        .await?;
                    if inserted == 1 {
                        tx.commit().await?;
                        return Ok(Claim::Mine {
                            fence: 1,
                            took_over: false,
                        });
                    }
                    // Another node made the row meanwhile: look again, now that it exists.
                    continue;
                };
                let owner: Option<String> = row.get(0);
                let fence = num(row.get(1));
                if let Some(owner) = owner.as_ref().filter(|o| **o != node) {
                    let live = tx
                        .query_opt(
                            "SELECT advertise_url FROM nodes
                             WHERE node_id = $1 AND lease_until > clock_timestamp()",
                            &[owner],
                        )
                        .await?;
                    if let Some(live) = live {
                        // Ended here, not when dropped: the row's lock goes before the answer.
                        tx.rollback().await?;
                        return Ok(Claim::Theirs {
                            owner: NodeInfo {
                                id: owner.clone(),
                                advertise_url: live.get(0),
                            },
                            fence,
                        });
                    }
                }
                let fence = fence + 1;
                tx.execute(
                    "UPDATE pad_owners SET node_id = $2, fence = $3, claimed_at = clock_timestamp()
                     WHERE pad = $1",
                    &[&pad, &node, &db(fence)],
                )
                .await?;
                tx.commit().await?;
                return Ok(Claim::Mine {
                    fence,
                    took_over: owner.is_some_and(|o| o != node),
                });
            }
        })
    }

    fn owned_pads(&self, node: &str) -> Result<Vec<(String, u64)>> {
        let node = node.to_owned();
        self.run(|pool| async move {
            let rows = pool
                .get()
                .await?
                .query(
                    "SELECT pad, fence FROM pad_owners WHERE node_id = $1 ORDER BY pad",
                    &[&node],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| (row.get(0), num(row.get(1))))
                .collect())
        })
    }

    fn release_pad(&self, pad: &str, node: &str, fence: u64) -> Result<()> {
        let (pad, node) = (pad.to_owned(), node.to_owned());
        self.run(|pool| async move {
            pool.get()
                .await?
                .execute(
                    "UPDATE pad_owners SET node_id = NULL
                     WHERE pad = $1 AND node_id = $2 AND fence = $3",
                    &[&pad, &node, &db(fence)],
                )
                .await?;
            Ok(())
        })
    }

    fn leave(&self, node: &str) -> Result<()> {
        let node = node.to_owned();
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute(
                "UPDATE pad_owners SET node_id = NULL WHERE node_id = $1",
                &[&node],
            )
            .await?;
            tx.execute("DELETE FROM nodes WHERE node_id = $1", &[&node])
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn watch_locks(&self) -> std::sync::mpsc::Receiver<Option<String>> {
        self.watch(LOCKS_CHANNEL)
    }

    fn watch_changes(&self) -> std::sync::mpsc::Receiver<Option<String>> {
        self.watch(CHANGES_CHANNEL)
    }

    fn append_fenced(
        &self,
        node: &str,
        fences: &BTreeMap<String, u64>,
        entries: &[LogEntry],
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        // Each pad's first and last revision in this batch.
        let mut spans: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for e in entries {
            let span = spans.entry(e.pad.clone()).or_insert((e.rev, e.rev));
            span.0 = span.0.min(e.rev);
            span.1 = span.1.max(e.rev);
        }
        let pads: Vec<String> = spans.keys().cloned().collect();
        let node = node.to_owned();
        let fences = fences.clone();
        let batch = Batch::of(entries);
        self.run(|pool| async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            // Locks the ownership rows: a claim waits until this commit is done.
            let held: BTreeMap<String, u64> = tx
                .query(
                    "SELECT pad, fence FROM pad_owners WHERE pad = ANY($1) AND node_id = $2
                     ORDER BY pad FOR UPDATE",
                    &[&pads, &node],
                )
                .await?
                .iter()
                .map(|row| (row.get(0), num(row.get(1))))
                .collect();
            if !lease_live(&tx, &node).await? {
                tx.rollback().await?;
                return Err(StoreError::LeaseLapsed);
            }
            let heads: BTreeMap<String, u64> = tx
                .query(
                    "SELECT pad, max(rev) FROM log WHERE pad = ANY($1) GROUP BY pad",
                    &[&pads],
                )
                .await?
                .iter()
                .map(|row| (row.get(0), num(row.get(1))))
                .collect();
            let fenced: Vec<String> = spans
                .iter()
                .filter(|(pad, (first, last))| {
                    let holds = held.get(*pad).is_some_and(|f| fences.get(*pad) == Some(f));
                    let head = heads.get(*pad).copied().unwrap_or(0);
                    // A head at or past the batch's end is this very batch, retried after a
                    // commit whose answer was lost: its rows are skipped as they conflict.
                    let in_place = head + 1 == *first || head >= *last;
                    !(holds && in_place)
                })
                .map(|(pad, _)| pad.clone())
                .collect();
            if !fenced.is_empty() {
                tx.rollback().await?;
                return Err(StoreError::Fenced { pads: fenced });
            }
            batch.insert(&tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

impl PgStore {
    /// Each notification on `channel` as `Some(payload)`, and `None` whenever some may have
    /// been missed (the listening connection was made again), for as long as the receiver lives.
    fn watch(&self, channel: &'static str) -> std::sync::mpsc::Receiver<Option<String>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let config = self.config.clone();
        self.runtime().spawn(async move {
            loop {
                if listen(&config, channel, &tx).await.is_err() {
                    return; // Nobody listens any more.
                }
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        });
        rx
    }
}

/// Whether `node`'s lease is live by PostgreSQL's clock.
async fn lease_live(tx: &tokio_postgres::Transaction<'_>, node: &str) -> Result<bool> {
    Ok(tx
        .query_opt(
            "SELECT lease_until > clock_timestamp() FROM nodes WHERE node_id = $1",
            &[&node],
        )
        .await?
        .is_some_and(|row| row.get(0)))
}

/// One listening connection, until it breaks (`Ok`) or the receiver is gone (`Err`).
async fn listen(
    config: &tokio_postgres::Config,
    channel: &str,
    tx: &std::sync::mpsc::Sender<Option<String>>,
) -> std::result::Result<(), ()> {
    let Ok((client, mut connection)) = config.connect(tokio_postgres::NoTls).await else {
        return Ok(());
    };
    let (notes, mut heard) = tokio::sync::mpsc::unbounded_channel();
    // The connection's messages are read by its own task, so that the LISTEN below can run.
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if let tokio_postgres::AsyncMessage::Notification(note) = message
                && notes.send(note.payload().to_owned()).is_err()
            {
                return;
            }
        }
    });
    if client
        .batch_execute(&format!("LISTEN {channel}"))
        .await
        .is_err()
    {
        reader.abort();
        return Ok(());
    }
    // Whatever changed before the LISTEN took effect is read again.
    tx.send(None).map_err(|_| ())?;
    while let Some(pad) = heard.recv().await {
        tx.send(Some(pad)).map_err(|_| ())?;
    }
    Ok(())
}
