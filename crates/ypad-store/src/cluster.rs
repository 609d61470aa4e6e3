//! What the nodes of a cluster coordinate through their shared store: leases, pad ownership
//! under a fencing token, and commits conditional on both.
//!
//! A node registers with a lease it renews. A pad is owned by one node at a time: a claim takes
//! it when nobody owns it or its owner's lease lapsed, and raises the pad's fence. Every group
//! commit names the fence each of its pads was claimed with and is refused
//! ([`StoreError::Fenced`](crate::StoreError::Fenced)) unless the node still holds that fence,
//! its lease is live and the log's head is where the commit expects, so no revision number is
//! ever given twice. Only [`PgStore`](crate::PgStore) is a cluster's store; the embedded store
//! belongs to one node, which owns every pad.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::{LogEntry, Result};

/// A node as the others see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: String,
    /// Where other nodes reach it: `http://host:port`.
    pub advertise_url: String,
}

/// The outcome of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The pad is this node's under `fence`. `took_over` when it was taken from another node
    /// whose lease had lapsed (a failover).
    Mine { fence: u64, took_over: bool },
    /// Another node with a live lease owns it.
    Theirs { owner: NodeInfo, fence: u64 },
}

/// A cluster's coordination, implemented by a store every node shares.
pub trait Cluster: Send + Sync {
    /// Registers `node` or renews its lease for `ttl`. Returns whether a lease was live before
    /// this call (`false` for a new node, or one whose lease lapsed: its claims may be gone).
    fn renew_lease(&self, node: &NodeInfo, ttl: Duration) -> Result<bool>;
    /// Claims `pad` for `node` unless another node with a live lease owns it. Fails with
    /// [`StoreError::LeaseLapsed`](crate::StoreError::LeaseLapsed) when `node`'s own lease is
    /// not live.
    fn claim(&self, pad: &str, node: &str) -> Result<Claim>;
    /// The pads `node` owns now, with their fences.
    fn owned_pads(&self, node: &str) -> Result<Vec<(String, u64)>>;
    /// Gives up `pad` if `node` still owns it under `fence`: the next node that needs it claims
    /// it at once instead of waiting for the lease to lapse.
    fn release_pad(&self, pad: &str, node: &str, fence: u64) -> Result<()>;
    /// Gives up every pad of `node` and its lease (a graceful shutdown).
    fn leave(&self, node: &str) -> Result<()>;
    /// Appends like [`Store::append`](crate::Store::append), in one transaction, if `node`'s
    /// lease is live, it still owns each pad under the fence `fences` names for it, and each
    /// pad's log ends just before the batch's first revision of that pad. Otherwise nothing is
    /// written: `StoreError::LeaseLapsed` when the lease is not live (the batch may be tried
    /// again once it is renewed), else the pads that failed in `StoreError::Fenced` (their
    /// revisions can never be written under that fence).
    fn append_fenced(
        &self,
        node: &str,
        fences: &BTreeMap<String, u64>,
        entries: &[LogEntry],
    ) -> Result<()>;
    /// Tells of every change of a pad's lock made by any node ([`Store::put_pad_lock`]), for
    /// as long as the receiver lives: `Some(pad)`, or `None` when changes may have been missed
    /// (the listening connection was made again) and every pad's lock should be read again.
    ///
    /// [`Store::put_pad_lock`]: crate::Store::put_pad_lock
    fn watch_locks(&self) -> std::sync::mpsc::Receiver<Option<String>>;
    /// Tells of every commit by any node that adds to the changes feed
    /// ([`Store::changes_since`]), for as long as the receiver lives: `Some(_)` once it is
    /// committed, or `None` when some may have been missed (read the feed again).
    ///
    /// [`Store::changes_since`]: crate::Store::changes_since
    fn watch_changes(&self) -> std::sync::mpsc::Receiver<Option<String>>;
}
