//! Revisions as positions: what each revision did to the text (retain, insert by a client,
//! delete, in UTF-16 code units), and a text-with-authors that applies those changes quickly.
//!
//! Rebuilding a past revision from CRDT state means decoding every item the pad ever had, which
//! costs tens of milliseconds on a pad of 100,000 keystrokes. The timeslider and the `rev`
//! parameters only need the text and who wrote each part, so the server keeps that history in
//! positional form: a [`Block`] holds the rendered text at its first revision (a keyframe) and
//! the [`Delta`] of every revision after it. Revision n is the keyframe plus at most one block's
//! deltas, applied to a chunked buffer so that each costs about a chunk's length, not the
//! text's.
//!
//! [`Recorder`] derives the deltas by replaying updates on its own document. A keystroke (one
//! client's new run of text) is read from its encoding and positioned from its item; other
//! updates carrying a single client's content use yrs's text event, which gives positions but
//! not who inserted; updates mixing clients are diffed exactly between snapshots.

use std::sync::{Arc, Mutex};

use yrs::{Any, Doc, GetString, Observable, OffsetKind, Options, Out, ReadTxn, Text};
use yrs::{TextRef, Transact, Update};

use crate::doc::{ApplyError, Span, TEXT_NAME, decode_update};
use crate::protocol::{Reader, write_buf, write_var};

/// One step of a revision's change to the text, in UTF-16 code units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Retain(u32),
    /// Text inserted by a Yjs client.
    Insert(String, u64),
    Delete(u32),
}

/// What one revision did to the text; empty when it changed only other parts (chat).
pub type Delta = Vec<Op>;

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("history record is malformed: {0}")]
    Malformed(&'static str),
    #[error("a revision's change reaches past the end of the text")]
    OutOfRange,
}

/// Units per chunk before it splits; small enough that an insert's memmove is cheap, large
/// enough that finding a position scans few chunks.
const CHUNK_MAX: usize = 2048;

#[derive(Clone, Default)]
struct Chunk {
    units: Vec<u16>,
    /// Index into [`Rendered::clients`] for every unit.
    authors: Vec<u32>,
}

/// The text at one revision with the client that inserted each UTF-16 code unit.
#[derive(Clone, Default)]
pub struct Rendered {
    chunks: Vec<Chunk>,
    clients: Vec<u64>,
    len: usize,
}

impl Rendered {
    pub fn new() -> Self {
        Self::default()
    }

    /// The text `text` whose parts were written as `spans` say.
    pub fn from_spans(text: &str, spans: &[Span]) -> Result<Self, BlockError> {
        let units: Vec<u16> = text.encode_utf16().collect();
        if spans.iter().map(|s| s.len as usize).sum::<usize>() != units.len() {
            return Err(BlockError::Malformed("authorship does not cover the text"));
        }
        let mut rendered = Rendered::new();
        let mut authors = Vec::with_capacity(units.len());
        for span in spans {
            let author = rendered.author_index(span.client);
            authors.extend(std::iter::repeat_n(author, span.len as usize));
        }
        rendered.len = units.len();
        rendered.chunks = units
            .chunks(CHUNK_MAX / 2)
            .zip(authors.chunks(CHUNK_MAX / 2))
            .map(|(u, a)| Chunk {
                units: u.to_vec(),
                authors: a.to_vec(),
            })
            .collect();
        Ok(rendered)
    }

    /// Length in UTF-16 code units.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn text(&self) -> String {
        let mut units = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            units.extend_from_slice(&chunk.units);
        }
        String::from_utf16_lossy(&units)
    }

    /// Who wrote each part, in order, adjacent parts by one client merged.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        for chunk in &self.chunks {
            for &author in &chunk.authors {
                let client = self.clients[author as usize];
                match spans.last_mut() {
                    Some(last) if last.client == client => last.len += 1,
                    _ => spans.push(Span { len: 1, client }),
                }
            }
        }
        spans
    }

    /// Applies one revision's change. On error the text may be partly changed; callers drop it.
    pub fn apply(&mut self, delta: &[Op]) -> Result<(), BlockError> {
        let mut at = 0usize;
        for op in delta {
            match op {
                Op::Retain(n) => {
                    at += *n as usize;
                    if at > self.len {
                        return Err(BlockError::OutOfRange);
                    }
                }
                Op::Insert(text, client) => {
                    let author = self.author_index(*client);
                    let units: Vec<u16> = text.encode_utf16().collect();
                    self.insert(at, &units, author)?;
                    at += units.len();
                }
                Op::Delete(n) => self.delete(at, *n as usize)?,
            }
        }
        Ok(())
    }

    fn author_index(&mut self, client: u64) -> u32 {
        // Few distinct clients write a pad; a linear search beats hashing at this size.
        match self.clients.iter().position(|&c| c == client) {
            Some(i) => i as u32,
            None => {
                self.clients.push(client);
                (self.clients.len() - 1) as u32
            }
        }
    }

    /// The chunk holding position `at` and the offset in it; at the very end, the last chunk.
    fn locate(&mut self, mut at: usize) -> Result<(usize, usize), BlockError> {
        if at > self.len {
            return Err(BlockError::OutOfRange);
        }
        if self.chunks.is_empty() {
            self.chunks.push(Chunk::default());
        }
        let last = self.chunks.len() - 1;
        for (i, chunk) in self.chunks.iter().enumerate() {
            if at < chunk.units.len() || i == last {
                return Ok((i, at));
            }
            at -= chunk.units.len();
        }
        unreachable!("the last chunk always answers")
    }

    fn insert(&mut self, at: usize, units: &[u16], author: u32) -> Result<(), BlockError> {
        let (i, offset) = self.locate(at)?;
        let chunk = &mut self.chunks[i];
        chunk.units.splice(offset..offset, units.iter().copied());
        chunk
            .authors
            .splice(offset..offset, std::iter::repeat_n(author, units.len()));
        self.len += units.len();
        if chunk.units.len() > CHUNK_MAX {
            let half = chunk.units.len() / 2;
            let tail = Chunk {
                units: chunk.units.split_off(half),
                authors: chunk.authors.split_off(half),
            };
            self.chunks.insert(i + 1, tail);
        }
        Ok(())
    }

    fn delete(&mut self, at: usize, mut n: usize) -> Result<(), BlockError> {
        if at + n > self.len {
            return Err(BlockError::OutOfRange);
        }
        self.len -= n;
        let (mut i, mut offset) = self.locate(at)?;
        while n > 0 {
            let chunk = &mut self.chunks[i];
            let take = n.min(chunk.units.len() - offset);
            chunk.units.drain(offset..offset + take);
            chunk.authors.drain(offset..offset + take);
            n -= take;
            if chunk.units.is_empty() && self.chunks.len() > 1 {
                self.chunks.remove(i);
            } else {
                i += 1;
            }
            offset = 0;
        }
        Ok(())
    }
}

/// A keyframe (the text and its authors at revision `start`) and the deltas of the revisions
/// `start + 1 ..= start + deltas.len()`.
#[derive(Clone, Default)]
pub struct Block {
    pub start: u64,
    /// Identifies the stored revision at [`Block::end`], so that a block left behind by a pad
    /// that was deleted and created again is recognised as stale.
    pub fingerprint: u64,
    pub keyframe: Rendered,
    pub deltas: Vec<Delta>,
}

const BLOCK_VERSION: u64 = 1;

impl Block {
    /// The last revision this block covers.
    pub fn end(&self) -> u64 {
        self.start + self.deltas.len() as u64
    }

    /// The text at `rev`, which must lie in `start..=end()`.
    pub fn render(&self, rev: u64) -> Result<Rendered, BlockError> {
        let steps = rev
            .checked_sub(self.start)
            .filter(|&n| n <= self.deltas.len() as u64)
            .ok_or(BlockError::OutOfRange)?;
        let mut rendered = self.keyframe.clone();
        for delta in &self.deltas[..steps as usize] {
            rendered.apply(delta)?;
        }
        Ok(rendered)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_var(&mut out, BLOCK_VERSION);
        write_var(&mut out, self.start);
        write_var(&mut out, self.fingerprint);
        write_buf(&mut out, self.keyframe.text().as_bytes());
        let spans = self.keyframe.spans();
        write_var(&mut out, spans.len() as u64);
        for span in spans {
            write_var(&mut out, span.len.into());
            write_var(&mut out, span.client);
        }
        write_var(&mut out, self.deltas.len() as u64);
        for delta in &self.deltas {
            write_var(&mut out, delta.len() as u64);
            for op in delta {
                match op {
                    Op::Retain(n) => {
                        write_var(&mut out, 0);
                        write_var(&mut out, (*n).into());
                    }
                    Op::Insert(text, client) => {
                        write_var(&mut out, 1);
                        write_var(&mut out, *client);
                        write_buf(&mut out, text.as_bytes());
                    }
                    Op::Delete(n) => {
                        write_var(&mut out, 2);
                        write_var(&mut out, (*n).into());
                    }
                }
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Block, BlockError> {
        let bad = |what| move |_| BlockError::Malformed(what);
        let mut r = Reader::new(bytes);
        if r.read_var().map_err(bad("version"))? != BLOCK_VERSION {
            return Err(BlockError::Malformed("unknown version"));
        }
        let start = r.read_var().map_err(bad("start"))?;
        let fingerprint = r.read_var().map_err(bad("fingerprint"))?;
        let text = r.read_str().map_err(bad("keyframe text"))?;
        let count = r.read_var().map_err(bad("span count"))?;
        let mut spans = Vec::new();
        for _ in 0..count {
            let len = r.read_var().map_err(bad("span"))?;
            let client = r.read_var().map_err(bad("span"))?;
            let len = u32::try_from(len).map_err(|_| BlockError::Malformed("span length"))?;
            spans.push(Span { len, client });
        }
        let keyframe = Rendered::from_spans(text, &spans)?;
        let count = r.read_var().map_err(bad("delta count"))?;
        let mut deltas = Vec::new();
        for _ in 0..count {
            let ops = r.read_var().map_err(bad("op count"))?;
            let mut delta = Vec::new();
            for _ in 0..ops {
                let small = |r: &mut Reader| -> Result<u32, BlockError> {
                    let n = r.read_var().map_err(bad("op length"))?;
                    u32::try_from(n).map_err(|_| BlockError::Malformed("op length"))
                };
                delta.push(match r.read_var().map_err(bad("op"))? {
                    0 => Op::Retain(small(&mut r)?),
                    1 => {
                        let client = r.read_var().map_err(bad("op client"))?;
                        let text = r.read_str().map_err(bad("op text"))?;
                        Op::Insert(text.to_owned(), client)
                    }
                    2 => Op::Delete(small(&mut r)?),
                    _ => return Err(BlockError::Malformed("op kind")),
                });
            }
            deltas.push(delta);
        }
        Ok(Block {
            start,
            fingerprint,
            keyframe,
            deltas,
        })
    }
}

/// Replays a pad's updates in order, yielding each one's [`Delta`]. Its document keeps deleted
/// content (no garbage collection) so that updates mixing several clients can be diffed exactly.
pub struct Recorder {
    doc: Doc,
    text: TextRef,
    captured: Arc<Mutex<Capture>>,
}

/// What the text observer saw of the last transaction.
#[derive(Default)]
struct Capture {
    /// Whether to compute the delta; yrs's delta walks the whole text, so a single insertion
    /// is positioned another way.
    want_delta: bool,
    changed: bool,
    delta: Delta,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        let mut options = Options::with_client_id(yrs::block::ClientID::new(1));
        options.offset_kind = OffsetKind::Utf16;
        options.skip_gc = true;
        let doc = Doc::with_options(options);
        let text = doc.get_or_insert_text(TEXT_NAME);
        let captured: Arc<Mutex<Capture>> = Arc::default();
        let sink = captured.clone();
        text.observe("ypad-history", move |txn, event| {
            let Ok(mut sink) = sink.lock() else {
                return;
            };
            sink.changed = true;
            if sink.want_delta {
                sink.delta = event
                    .delta(txn)
                    .iter()
                    .map(|d| match d {
                        yrs::types::Delta::Retain(n, _) => Op::Retain(*n),
                        yrs::types::Delta::Deleted(n) => Op::Delete(*n),
                        yrs::types::Delta::Inserted(value, _) => Op::Insert(content_text(value), 0),
                    })
                    .collect();
            }
        });
        Recorder {
            doc,
            text,
            captured,
        }
    }

    /// A recorder positioned after `updates` (a checkpoint, then the log after it).
    pub fn from_updates<'a>(
        updates: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Recorder, ApplyError> {
        let recorder = Recorder::new();
        for update in updates {
            recorder.integrate(update)?;
        }
        recorder.take_captured();
        Ok(recorder)
    }

    /// Applies the next revision's update and returns what it did to the text.
    pub fn apply(&mut self, update: &[u8]) -> Result<Delta, ApplyError> {
        let decoded = decode_update(update)?;
        let clients: Vec<u64> = decoded
            .state_vector_lower()
            .iter()
            .map(|(c, _)| c.get())
            .collect();
        // Content waiting for its predecessors may be integrated by this update too, under
        // another client.
        let waiting = {
            let txn = self.doc.transact();
            txn.store().pending_update().is_some() || txn.store().pending_ds().is_some()
        };
        if clients.len() > 1 || waiting {
            return self.apply_mixed(decoded);
        }
        if let Some(insert) = single_insert(update)
            && self.next_clock(insert.client) == insert.clock
        {
            return self.apply_insert(decoded, insert);
        }
        self.expect_delta(true);
        self.integrate_decoded(decoded)?;
        let mut delta = self.take_captured();
        let client = clients.first().copied().unwrap_or(0);
        for op in &mut delta {
            if let Op::Insert(_, c) = op {
                *c = client;
            }
        }
        Ok(delta)
    }

    /// One run of text typed or pasted: its position is found by walking left from the new
    /// item, about half the work of yrs's delta over the whole text and without its lookups.
    fn apply_insert(&mut self, update: Update, insert: SingleInsert) -> Result<Delta, ApplyError> {
        self.expect_delta(false);
        self.integrate_decoded(update)?;
        let changed = std::mem::take(&mut lock(&self.captured).changed);
        if !changed {
            return Ok(Vec::new());
        }
        let id = yrs::ID::new(yrs::block::ClientID::new(insert.client), insert.clock);
        let index = yrs::StickyIndex::new(yrs::IndexScope::Relative(id), yrs::Assoc::After)
            .get_offset(&self.doc.transact())
            .map(|offset| offset.index)
            .ok_or_else(|| ApplyError::Rejected("inserted text is not in the document".into()))?;
        let mut delta = Vec::new();
        if index > 0 {
            delta.push(Op::Retain(index));
        }
        delta.push(Op::Insert(insert.text, insert.client));
        Ok(delta)
    }

    /// The clock `client`'s next new content will carry here. An update that starts anywhere
    /// else holds content this document already has (a relay) or lacks the content before it.
    fn next_clock(&self, client: u64) -> u32 {
        let sv = self.doc.transact().state_vector();
        sv.get(&yrs::block::ClientID::new(client))
    }

    fn expect_delta(&self, want: bool) {
        let mut captured = lock(&self.captured);
        captured.want_delta = want;
        captured.changed = false;
        captured.delta.clear();
    }

    /// An update with several clients' content: compare the text before and after, item by
    /// item, so that every inserted part keeps its own client.
    fn apply_mixed(&mut self, update: Update) -> Result<Delta, ApplyError> {
        let before = self.doc.transact().snapshot();
        self.expect_delta(false);
        self.integrate_decoded(update)?;
        self.take_captured();
        let mut txn = self.doc.transact_mut();
        let after = txn.snapshot();
        let diff = self
            .text
            .diff_range(&mut txn, Some(&after), Some(&before), |change| change);
        let mut delta: Delta = Vec::new();
        for chunk in diff {
            let text = content_text(&chunk.insert);
            let len = text.encode_utf16().count() as u32;
            let op = match chunk.ychange {
                None => Op::Retain(len),
                Some(change) => match change.kind {
                    yrs::types::text::ChangeKind::Added => Op::Insert(text, change.id.client.get()),
                    yrs::types::text::ChangeKind::Removed => Op::Delete(len),
                },
            };
            push_op(&mut delta, op);
        }
        if let Some(Op::Retain(_)) = delta.last() {
            delta.pop();
        }
        Ok(delta)
    }

    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    /// The whole document, deleted content included, as one update: a checkpoint.
    pub fn encode_state(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default())
    }

    fn integrate(&self, update: &[u8]) -> Result<(), ApplyError> {
        self.integrate_decoded(decode_update(update)?)
    }

    fn integrate_decoded(&self, update: Update) -> Result<(), ApplyError> {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.doc.transact_mut().apply_update(update)
        }));
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ApplyError::Rejected(e.to_string())),
            Err(_) => Err(ApplyError::Poisoned),
        }
    }

    fn take_captured(&self) -> Delta {
        let mut captured = lock(&self.captured);
        captured.changed = false;
        let mut delta = std::mem::take(&mut captured.delta);
        if let Some(Op::Retain(_)) = delta.last() {
            delta.pop();
        }
        delta
    }
}

/// Identifies one stored revision by its time and update bytes (FNV-1a, stable on disk).
pub fn fingerprint(time_ms: u64, update: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::with_key(fnv::FnvHasher::default().finish() ^ time_ms);
    hasher.write(update);
    hasher.finish()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct SingleInsert {
    client: u64,
    clock: u32,
    text: String,
}

/// The v1 update of one client inserting one run of text and deleting nothing, read straight
/// from the encoding (lib0): anything else is `None` and takes the general path.
fn single_insert(update: &[u8]) -> Option<SingleInsert> {
    const HAS_ORIGIN: u8 = 0x80;
    const HAS_RIGHT_ORIGIN: u8 = 0x40;
    const HAS_PARENT_SUB: u8 = 0x20;
    const CONTENT_STRING: u8 = 4;
    let mut r = Reader::new(update);
    if r.read_var().ok()? != 1 || r.read_var().ok()? != 1 {
        return None;
    }
    let client = r.read_var().ok()?;
    let clock = u32::try_from(r.read_var().ok()?).ok()?;
    let info = r.read_u8().ok()?;
    if info & 0x1f != CONTENT_STRING || info & HAS_PARENT_SUB != 0 {
        return None;
    }
    if info & HAS_ORIGIN != 0 {
        r.read_var().ok()?;
        r.read_var().ok()?;
    }
    if info & HAS_RIGHT_ORIGIN != 0 {
        r.read_var().ok()?;
        r.read_var().ok()?;
    }
    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        // No neighbours: the parent is named, and must be the pad's text.
        if r.read_var().ok()? != 1 || r.read_str().ok()? != TEXT_NAME {
            return None;
        }
    }
    let text = r.read_str().ok()?.to_owned();
    // An empty delete set, and nothing after it.
    if r.read_var().ok()? != 0 || !r.is_empty() || text.is_empty() {
        return None;
    }
    Some(SingleInsert {
        client,
        clock,
        text,
    })
}

/// Text content as a string; an embedded object counts as one object-replacement character,
/// matching the one unit it occupies in the text's length.
fn content_text(value: &Out) -> String {
    match value {
        Out::Any(Any::String(s)) => s.to_string(),
        _ => "\u{FFFC}".to_owned(),
    }
}

fn push_op(delta: &mut Delta, op: Op) {
    match (delta.last_mut(), op) {
        (Some(Op::Retain(a)), Op::Retain(b)) => *a += b,
        (Some(Op::Delete(a)), Op::Delete(b)) => *a += b,
        (Some(Op::Insert(a, ca)), Op::Insert(b, cb)) if *ca == cb => a.push_str(&b),
        (_, op) => delta.push(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::PadDoc;

    fn spans_of(r: &Rendered) -> Vec<(u32, u64)> {
        r.spans().iter().map(|s| (s.len, s.client)).collect()
    }

    #[test]
    fn rendered_applies_inserts_and_deletes_across_chunks() {
        let mut r = Rendered::from_spans("abc", &[Span { len: 3, client: 1 }]).unwrap();
        r.apply(&[Op::Retain(1), Op::Insert("XY".into(), 2)])
            .unwrap();
        assert_eq!(r.text(), "aXYbc");
        r.apply(&[Op::Retain(2), Op::Delete(2)]).unwrap();
        assert_eq!(r.text(), "aXc");
        assert_eq!(spans_of(&r), vec![(1, 1), (1, 2), (1, 1)]);
        let long = "z".repeat(CHUNK_MAX * 3);
        r.apply(&[Op::Retain(3), Op::Insert(long.clone(), 3)])
            .unwrap();
        assert!(r.chunks.len() > 1);
        r.apply(&[Op::Retain(2), Op::Delete(CHUNK_MAX as u32 * 2)])
            .unwrap();
        assert_eq!(r.len(), 3 + CHUNK_MAX);
        assert!(r.apply(&[Op::Retain(100_000), Op::Delete(1)]).is_err());
        assert!(r.apply(&[Op::Delete(100_000)]).is_err());
    }

    proptest::proptest! {
        /// Against a plain vector of (unit, client): inserts and deletes large enough to split
        /// chunks and to empty them.
        #[test]
        fn rendered_matches_a_plain_vector(
            ops in proptest::collection::vec((0.0..1.0f64, 0usize..3000, proptest::bool::ANY, 1u64..4), 1..40)
        ) {
            let mut model: Vec<(u16, u64)> = Vec::new();
            let mut r = Rendered::new();
            for (at, n, insert, client) in ops {
                let pos = (model.len() as f64 * at) as usize;
                let delta = if insert {
                    let text: String = (0..n.max(1)).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
                    for (i, unit) in text.encode_utf16().enumerate() {
                        model.insert(pos + i, (unit, client));
                    }
                    vec![Op::Retain(pos as u32), Op::Insert(text, client)]
                } else {
                    let n = n.min(model.len() - pos);
                    model.drain(pos..pos + n);
                    vec![Op::Retain(pos as u32), Op::Delete(n as u32)]
                };
                r.apply(&delta).unwrap();
                proptest::prop_assert_eq!(r.len(), model.len());
            }
            let units: Vec<u16> = model.iter().map(|(u, _)| *u).collect();
            proptest::prop_assert_eq!(r.text(), String::from_utf16_lossy(&units));
            let mut spans: Vec<(u32, u64)> = Vec::new();
            for (_, c) in &model {
                match spans.last_mut() {
                    Some(last) if last.1 == *c => last.0 += 1,
                    _ => spans.push((1, *c)),
                }
            }
            proptest::prop_assert_eq!(spans_of(&r), spans);
        }
    }

    #[test]
    fn block_roundtrips_and_renders_every_revision() {
        let mut a = PadDoc::with_client_id(7);
        let mut b = PadDoc::with_client_id(8);
        let mut recorder = Recorder::new();
        let mut block = Block::default();
        let mut texts = vec![String::new()];
        let mut steps = vec![a.insert(0, "hello world").unwrap()];
        b.apply_update(&steps[0]).unwrap();
        steps.push(b.insert(5, ", dear").unwrap());
        a.apply_update(&steps[1]).unwrap();
        steps.push(a.set_text("hello, dear").unwrap());
        for step in &steps {
            block.deltas.push(recorder.apply(step).unwrap());
            texts.push(recorder.text());
        }
        let decoded = Block::decode(&block.encode()).unwrap();
        for (rev, text) in texts.iter().enumerate() {
            assert_eq!(&decoded.render(rev as u64).unwrap().text(), text);
        }
        let head = decoded.render(3).unwrap();
        assert_eq!(spans_of(&head), vec![(5, 7), (6, 8)]);
        assert!(decoded.render(4).is_err());
        assert!(Block::decode(&[1, 0, 5]).is_err());
    }

    #[test]
    fn a_keystroke_is_read_from_its_encoding() {
        let mut doc = PadDoc::with_client_id(9);
        let first = doc.insert(0, "hé😀").unwrap();
        let second = doc.insert(1, "x").unwrap();
        let read = single_insert(&first).unwrap();
        assert_eq!(
            (read.client, read.clock, read.text.as_str()),
            (9, 0, "hé😀")
        );
        let read = single_insert(&second).unwrap();
        assert_eq!((read.client, read.clock, read.text.as_str()), (9, 4, "x"));
        assert!(single_insert(&doc.set_text("hx").unwrap()).is_none());
        let chat = doc.push_chat(&crate::chat::ChatMessage {
            id: "1".into(),
            text: "hi".into(),
            name: None,
            color: None,
            time: 1,
            author_id: None,
        });
        assert!(single_insert(&chat).is_none());
        assert!(single_insert(&first[..first.len() - 1]).is_none());

        let mut recorder = Recorder::new();
        assert_eq!(
            recorder.apply(&first).unwrap(),
            vec![Op::Insert("hé😀".into(), 9)]
        );
        assert_eq!(
            recorder.apply(&second).unwrap(),
            vec![Op::Retain(1), Op::Insert("x".into(), 9)]
        );
    }

    #[test]
    fn a_relay_of_partly_known_text_inserts_only_the_new_part() {
        let mut ann = PadDoc::with_client_id(11);
        let first = ann.insert(0, "a").unwrap();
        ann.insert(1, "nn").unwrap();
        // One squashed item "ann" from clock 0, of which the recorder knows "a".
        let relay = ann.encode_state();
        assert!(single_insert(&relay).is_some());
        let mut recorder = Recorder::new();
        let mut r = Rendered::new();
        r.apply(&recorder.apply(&first).unwrap()).unwrap();
        r.apply(&recorder.apply(&relay).unwrap()).unwrap();
        assert_eq!(r.text(), "ann");
        assert_eq!(r.text(), recorder.text());
    }

    #[test]
    fn an_update_with_two_clients_keeps_both_authors() {
        let mut a = PadDoc::with_client_id(7);
        let mut b = PadDoc::with_client_id(8);
        let ua = a.insert(0, "aaa").unwrap();
        b.apply_update(&ua).unwrap();
        let ub = b.insert(3, "bbb").unwrap();
        let merged = crate::doc::merge_updates(&[ua, ub]).unwrap();
        let mut recorder = Recorder::new();
        let mut r = Rendered::new();
        r.apply(&recorder.apply(&merged).unwrap()).unwrap();
        assert_eq!(r.text(), "aaabbb");
        assert_eq!(spans_of(&r), vec![(3, 7), (3, 8)]);
    }
}
