//! Awareness bookkeeping for one pad: who is here, with which cursor, and since when.
//!
//! Follows y-protocols' rules (last writer wins per client id by clock; a `null` state at the
//! same clock removes) and adds what yrs' `Awareness` lacks: expiry of states not renewed for
//! [`OUTDATED_AFTER_MS`], driven by the caller's clock.

use std::collections::HashMap;
use std::sync::Arc;

use crate::protocol::{DecodeError, MAX_CLIENT_ID, Reader, write_buf, write_var};

/// Remote states not renewed for this long are dropped, as y-protocols clients do.
pub const OUTDATED_AFTER_MS: u64 = 30_000;
/// How long the clock of a removed client is remembered, so late stale updates do not revive it.
const FORGET_REMOVED_AFTER_MS: u64 = 5 * 60_000;

#[derive(Debug, Clone)]
struct Entry {
    clock: u64,
    /// `None` once the client left or expired.
    state: Option<Arc<str>>,
    last_updated_ms: u64,
    /// The connection (session id) that last set this state: only its closing removes it, so
    /// a client that reconnected before its old socket timed out stays present.
    owner: u64,
}

/// What applying an awareness update changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AwarenessChange {
    /// Clients whose state was set or renewed.
    pub updated: Vec<u64>,
    /// Clients whose state was removed.
    pub removed: Vec<u64>,
    /// True when every entry of the update was accepted, so the original bytes can be forwarded.
    pub accepted_all: bool,
}

impl AwarenessChange {
    pub fn is_empty(&self) -> bool {
        self.updated.is_empty() && self.removed.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct AwarenessTable {
    entries: HashMap<u64, Entry>,
}

impl AwarenessTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of clients with a live state.
    pub fn len(&self) -> usize {
        self.entries.values().filter(|e| e.state.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Live states as `(client id, JSON)`.
    pub fn states(&self) -> impl Iterator<Item = (u64, &str)> {
        self.entries
            .iter()
            .filter_map(|(&id, e)| e.state.as_deref().map(|s| (id, s)))
    }

    /// Applies an encoded awareness update received at `now_ms` from connection `owner`.
    pub fn apply(
        &mut self,
        update: &[u8],
        now_ms: u64,
        owner: u64,
    ) -> Result<AwarenessChange, DecodeError> {
        let parsed = parse(update)?;
        let mut change = AwarenessChange {
            accepted_all: true,
            ..Default::default()
        };
        for (client, clock, json) in parsed {
            let is_null = json == "null";
            let current = self.entries.get(&client);
            let current_clock = current.map_or(0, |e| e.clock);
            let has_state = current.is_some_and(|e| e.state.is_some());
            let newer = current_clock < clock || current.is_none();
            if !(newer || (current_clock == clock && is_null && has_state)) {
                change.accepted_all = false;
                continue;
            }
            if is_null {
                if has_state {
                    change.removed.push(client);
                }
            } else {
                change.updated.push(client);
            }
            self.entries.insert(
                client,
                Entry {
                    clock,
                    state: (!is_null).then(|| Arc::from(json)),
                    last_updated_ms: now_ms,
                    owner,
                },
            );
        }
        Ok(change)
    }

    /// Encodes every live state (the answer to a query, and the greeting of a new connection).
    pub fn encode_all(&self) -> Option<Vec<u8>> {
        let live: Vec<u64> = self.states().map(|(id, _)| id).collect();
        (!live.is_empty()).then(|| self.encode(&live))
    }

    /// Encodes the current entries of `clients`, a removed one as `null`.
    pub fn encode(&self, clients: &[u64]) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + clients.len() * 64);
        let known: Vec<(u64, &Entry)> = clients
            .iter()
            .filter_map(|id| self.entries.get(id).map(|e| (*id, e)))
            .collect();
        write_var(&mut out, known.len() as u64);
        for (id, e) in known {
            write_var(&mut out, id);
            write_var(&mut out, e.clock);
            write_buf(&mut out, e.state.as_deref().unwrap_or("null").as_bytes());
        }
        out
    }

    /// Removes the states of `clients` that connection `owner` set last (a closed connection's)
    /// and returns the update announcing it, or `None` when none of them had such a state.
    pub fn remove_owned(&mut self, clients: &[u64], now_ms: u64, owner: u64) -> Option<Vec<u8>> {
        let owned: Vec<u64> = clients
            .iter()
            .copied()
            .filter(|id| self.entries.get(id).is_some_and(|e| e.owner == owner))
            .collect();
        self.remove(&owned, now_ms)
    }

    /// Removes the states of `clients` and returns the update announcing it, or `None` when none
    /// of them had a state.
    fn remove(&mut self, clients: &[u64], now_ms: u64) -> Option<Vec<u8>> {
        let mut removed = Vec::new();
        for id in clients {
            if let Some(e) = self.entries.get_mut(id)
                && e.state.take().is_some()
            {
                e.last_updated_ms = now_ms;
                removed.push(*id);
            }
        }
        (!removed.is_empty()).then(|| self.encode(&removed))
    }

    /// Drops states not renewed within [`OUTDATED_AFTER_MS`] and returns the removal update.
    pub fn expire(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        self.entries.retain(|_, e| {
            e.state.is_some() || now_ms.saturating_sub(e.last_updated_ms) < FORGET_REMOVED_AFTER_MS
        });
        let stale: Vec<u64> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                e.state.is_some() && now_ms.saturating_sub(e.last_updated_ms) >= OUTDATED_AFTER_MS
            })
            .map(|(&id, _)| id)
            .collect();
        self.remove(&stale, now_ms)
    }
}

fn parse(update: &[u8]) -> Result<Vec<(u64, u64, &str)>, DecodeError> {
    let mut r = Reader::new(update);
    let n = r.read_var()?;
    // Each entry takes at least three bytes; a larger count is a lie, not an allocation to make.
    if n > update.len() as u64 / 3 {
        return Err(DecodeError::Truncated);
    }
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let client = r.read_var()?;
        if client > MAX_CLIENT_ID {
            return Err(DecodeError::ClientIdTooLarge(client));
        }
        let clock = r.read_var()?;
        let json = r.read_str()?;
        out.push((client, clock, json));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(entries: &[(u64, u64, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        write_var(&mut out, entries.len() as u64);
        for (id, clock, json) in entries {
            write_var(&mut out, *id);
            write_var(&mut out, *clock);
            write_buf(&mut out, json.as_bytes());
        }
        out
    }

    #[test]
    fn last_writer_wins_by_clock() {
        let mut t = AwarenessTable::new();
        let c = t.apply(&update(&[(7, 1, r#"{"a":1}"#)]), 0, 1).unwrap();
        assert_eq!(c.updated, vec![7]);
        let c = t.apply(&update(&[(7, 0, r#"{"a":0}"#)]), 0, 1).unwrap();
        assert!(c.is_empty() && !c.accepted_all);
        assert_eq!(t.states().collect::<Vec<_>>(), vec![(7, r#"{"a":1}"#)]);
        let c = t.apply(&update(&[(7, 1, "null")]), 0, 1).unwrap();
        assert_eq!(c.removed, vec![7]);
        assert!(t.is_empty());
    }

    #[test]
    fn renewal_counts_as_update() {
        let mut t = AwarenessTable::new();
        t.apply(&update(&[(1, 1, "{}")]), 0, 1).unwrap();
        let c = t.apply(&update(&[(1, 2, "{}")]), 10, 1).unwrap();
        assert_eq!(c.updated, vec![1]);
        assert!(c.accepted_all);
    }

    #[test]
    fn expiry_after_30s() {
        let mut t = AwarenessTable::new();
        t.apply(&update(&[(1, 1, "{}"), (2, 1, "{}")]), 0, 1)
            .unwrap();
        t.apply(&update(&[(2, 2, "{}")]), 20_000, 1).unwrap();
        assert_eq!(t.expire(29_999), None);
        let removal = t.expire(30_000).unwrap();
        assert_eq!(removal, update(&[(1, 1, "null")]));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn remove_on_close() {
        let mut t = AwarenessTable::new();
        t.apply(&update(&[(1, 3, "{}")]), 0, 1).unwrap();
        assert_eq!(
            t.remove_owned(&[1, 99], 5, 1),
            Some(update(&[(1, 3, "null")]))
        );
        assert_eq!(t.remove_owned(&[1], 6, 1), None);
        assert_eq!(t.encode_all(), None);
    }

    #[test]
    fn hostile_updates() {
        let mut t = AwarenessTable::new();
        assert_eq!(
            t.apply(&update(&[(1 << 53, 1, "{}")]), 0, 1),
            Err(DecodeError::ClientIdTooLarge(1 << 53))
        );
        assert_eq!(
            t.apply(&[0xff, 0xff, 0xff, 0x0f], 0, 1),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            t.apply(&[1, 1, 1, 5, b'x'], 0, 1),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            t.apply(&[1, 1, 1, 1, 0xff], 0, 1),
            Err(DecodeError::InvalidUtf8)
        );
        assert!(t.is_empty());
    }

    #[test]
    fn closing_an_old_connection_keeps_a_state_its_successor_set() {
        let mut t = AwarenessTable::new();
        t.apply(&update(&[(5, 1, r#"{"u":1}"#)]), 0, 1).unwrap();
        // The client reconnected on connection 2 before connection 1 timed out.
        t.apply(&update(&[(5, 2, r#"{"u":1}"#)]), 1, 2).unwrap();
        assert_eq!(t.remove_owned(&[5], 2, 1), None);
        assert_eq!(t.len(), 1);
        assert_eq!(t.remove_owned(&[5], 3, 2), Some(update(&[(5, 2, "null")])));
        assert!(t.is_empty());
    }
}
