//! The pad document: a yrs `Doc` whose `Y.Text` named `text` holds the pad's Markdown.
//!
//! Every update from the network goes through [`PadDoc::apply_update`], which never panics:
//! yrs asserts on some malformed input (client ids of 2^53 and above, among others), so decoding
//! runs under `catch_unwind` and a rejected update leaves the document as it was.
//!
//! A document also never holds content it could not encode faithfully. yrs 0.28 integrates a
//! block that arrives before its client's earlier blocks behind a hole, and keeps blocks whose
//! dependencies are missing as pending; what it encodes for such a document is not what it
//! shows (the pending blocks and the blocks past the hole come out in one run that a replica
//! cannot integrate, and overlapping pending content is merged one way or the other). Nodes,
//! late joiners and restarts all build on the encoding, so an update from the network must
//! integrate completely, at each client's next clock, or it is refused before it touches the
//! document ([`check_integrates`]). What it resends of content the document has must be that
//! content ([`check_overlaps`]): the frame is forwarded as it came.

use std::cell::OnceCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use fnv::FnvHashMap;
use yrs::block::{BLOCK_GC_REF_NUMBER, BLOCK_SKIP_REF_NUMBER, HAS_ORIGIN, HAS_PARENT_SUB};
use yrs::block::{ClientID, HAS_RIGHT_ORIGIN, ItemContent};
use yrs::encoding::read::{Cursor, Read};
use yrs::updates::decoder::{Decode, Decoder, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Array, ArrayRef, Doc, GetString, ID, IdSet, MapRef, OffsetKind, Options, Out, ReadTxn,
    Snapshot, StateVector, Text, TextRef, Transact, Update,
};

use crate::chat::{self, CHAT_NAME, ChatMessage};
use crate::comments::{self, COMMENTS_NAME, NewThread, Thread};

/// Name of the shared text that holds a pad's body.
pub const TEXT_NAME: &str = "text";

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("update could not be decoded: {0}")]
    Decode(String),
    #[error("state vector could not be decoded: {0}")]
    StateVector(String),
    #[error("update was rejected: {0}")]
    Rejected(String),
    /// yrs panicked while integrating: the in-memory document can no longer be trusted and must
    /// be rebuilt from the store.
    #[error("document is poisoned by an update that made yrs panic")]
    Poisoned,
}

/// Whether an applied update changed anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The update brought new content, deletions or pending parts: it is a revision.
    /// `inserted_by` lists the client ids whose content it inserted.
    Changed { inserted_by: Vec<u64> },
    /// Everything in it was already known.
    Unchanged,
}

impl Applied {
    pub fn is_changed(&self) -> bool {
        matches!(self, Applied::Changed { .. })
    }
}

/// A run of text inserted by one client: `len` UTF-16 code units by client `client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    pub len: u32,
    pub client: u64,
}

pub struct PadDoc {
    doc: Doc,
    text: TextRef,
    chat: ArrayRef,
    comments: MapRef,
}

impl Default for PadDoc {
    fn default() -> Self {
        Self::new()
    }
}

impl PadDoc {
    pub fn new() -> Self {
        Self::with_client_id(server_client_id())
    }

    /// A document whose own edits (server-side text changes) carry `client_id`.
    pub fn with_client_id(client_id: u64) -> Self {
        let mut options = Options::with_client_id(ClientID::new(client_id));
        // Browser editors count UTF-16 code units; server-side edits must agree with them.
        options.offset_kind = OffsetKind::Utf16;
        let doc = Doc::with_options(options);
        let text = doc.get_or_insert_text(TEXT_NAME);
        let chat = doc.get_or_insert_array(CHAT_NAME);
        let comments = doc.get_or_insert_map(COMMENTS_NAME);
        PadDoc {
            doc,
            text,
            chat,
            comments,
        }
    }

    /// Rebuilds a document from stored updates (a snapshot first, then the log after it).
    ///
    /// Stored updates were accepted when they were written, and are replayed as they are: a
    /// log written before updates were checked for how they integrate must still load.
    pub fn from_updates<'a>(
        updates: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<PadDoc, ApplyError> {
        Self::from_updates_as(server_client_id(), updates)
    }

    /// [`PadDoc::from_updates`] for a document whose own edits carry `client_id`: a replica of
    /// the pad on another node of a cluster, whose server-side edits must not reuse the
    /// owner's client id (two nodes would write the same clocks).
    pub fn from_updates_as<'a>(
        client_id: u64,
        updates: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<PadDoc, ApplyError> {
        let mut pad = PadDoc::with_client_id(client_id);
        for update in updates {
            pad.integrate(decode_update(update)?)?;
        }
        Ok(pad)
    }

    /// The client id this document's own edits carry.
    pub fn client_id(&self) -> u64 {
        self.doc.client_id().get()
    }

    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    /// Length of the text in UTF-16 code units.
    pub fn text_len(&self) -> u32 {
        self.text.len(&self.doc.transact())
    }

    /// Whether no edit ever reached this document.
    pub fn is_blank(&self) -> bool {
        self.doc.transact().state_vector().is_empty()
    }

    pub fn state_vector(&self) -> Vec<u8> {
        self.doc.transact().state_vector().encode_v1()
    }

    /// The whole document as one update.
    pub fn encode_state(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// What a peer with the encoded `state_vector` is missing.
    pub fn encode_diff(&self, state_vector: &[u8]) -> Result<Vec<u8>, ApplyError> {
        let sv = guarded(|| StateVector::decode_v1(state_vector))
            .map_err(ApplyError::StateVector)?
            .map_err(|e| ApplyError::StateVector(e.to_string()))?;
        Ok(self.doc.transact().encode_state_as_update_v1(&sv))
    }

    /// Applies a v1 update from a peer. It is refused, leaving the document as it was, unless
    /// it integrates completely: see [`check_integrates`].
    pub fn apply_update(&mut self, update: &[u8]) -> Result<Applied, ApplyError> {
        let decoded = decode_update(update)?;
        let sections = guarded(|| read_sections(update))
            .map_err(ApplyError::Decode)?
            .map_err(|e| ApplyError::Decode(e.to_string()))?;
        let had_pending = {
            let txn = self.doc.transact();
            let known = txn.state_vector();
            check_integrates(&sections, &known).map_err(ApplyError::Rejected)?;
            check_overlaps(&sections, decoded.delete_set(), &txn, &known)
                .map_err(ApplyError::Rejected)?;
            txn.store().pending_update().is_some()
        };
        let applied = self.integrate(decoded)?;
        if !had_pending && self.doc.transact().store().pending_update().is_some() {
            // The check above is meant to make this impossible; should it ever miss a case, the
            // document can no longer be encoded faithfully and is rebuilt from the store.
            return Err(ApplyError::Poisoned);
        }
        Ok(applied)
    }

    fn integrate(&mut self, decoded: Update) -> Result<Applied, ApplyError> {
        let doc = &self.doc;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            txn.apply_update(decoded)?;
            let inserted_by: Vec<u64> = txn.insert_set().client_ids().map(|c| c.get()).collect();
            let changed = !inserted_by.is_empty()
                || !txn.delete_set().is_empty()
                || txn.store().pending_update().is_some()
                || txn.store().pending_ds().is_some();
            Ok::<_, yrs::error::UpdateError>(changed.then_some(inserted_by))
        }));
        match outcome {
            Ok(Ok(Some(inserted_by))) => Ok(Applied::Changed { inserted_by }),
            Ok(Ok(None)) => Ok(Applied::Unchanged),
            Ok(Err(e)) => Err(ApplyError::Rejected(e.to_string())),
            Err(_) => Err(ApplyError::Poisoned),
        }
    }

    /// Whether `update` inserts anything this document lacks (deletions aside): a refused write
    /// that holds nothing new leaves the sender's replica as the pad is.
    pub fn lacks_content_of(&self, update: &[u8]) -> bool {
        let Ok(update) = decode_update(update) else {
            return false;
        };
        let known = self.doc.transact().state_vector();
        update
            .state_vector()
            .iter()
            .any(|(client, clock)| known.get(client) < *clock)
    }

    /// Replaces the whole text with `new_text` by the smallest single splice (common prefix and
    /// suffix kept), so unchanged text keeps its authorship. Returns the update, if any.
    pub fn set_text(&mut self, new_text: &str) -> Option<Vec<u8>> {
        let old = self.text();
        let (start, old_mid, new_mid) = splice(&old, new_text);
        if old_mid == 0 && new_mid.is_empty() {
            return None;
        }
        let mut txn = self.doc.transact_mut();
        if old_mid > 0 {
            self.text.remove_range(&mut txn, start, old_mid);
        }
        if !new_mid.is_empty() {
            self.text.insert(&mut txn, start, new_mid);
        }
        Some(txn.encode_update_v1())
    }

    /// Who inserted each part of the visible text, in order.
    pub fn authorship(&self) -> Vec<Span> {
        let mut txn = self.doc.transact_mut();
        let now = txn.snapshot();
        // Against an empty snapshot every visible item counts as added, which makes yrs report
        // each item's id, and so the client that inserted it.
        let chunks = self
            .text
            .diff_range(&mut txn, Some(&now), Some(&Snapshot::default()), |c| {
                c.id.client.get()
            });
        let mut spans: Vec<Span> = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let len = match &chunk.insert {
                Out::Any(Any::String(s)) => utf16_len(s),
                _ => 1,
            };
            let client = chunk.ychange.unwrap_or(0);
            match spans.last_mut() {
                Some(last) if last.client == client => last.len += len,
                _ => spans.push(Span { len, client }),
            }
        }
        spans
    }

    pub fn chat(&self) -> Vec<ChatMessage> {
        chat::read(&self.chat, &self.doc.transact())
    }

    /// Appends a chat message. Returns the update.
    pub fn push_chat(&mut self, message: &ChatMessage) -> Vec<u8> {
        let mut txn = self.doc.transact_mut();
        self.chat.push_back(&mut txn, chat::to_any(message));
        txn.encode_update_v1()
    }

    /// The comment threads, anchors resolved against the text as it is now.
    pub fn comments(&self) -> Vec<Thread> {
        comments::read(&self.comments, &self.text, &self.doc.transact())
    }

    /// Starts a comment thread on a range of the text. Returns the update, or `None` if the
    /// range is empty or outside the text.
    pub fn add_thread(&mut self, thread: &NewThread) -> Option<Vec<u8>> {
        let mut txn = self.doc.transact_mut();
        comments::add(&self.comments, &self.text, &mut txn, thread)?;
        Some(txn.encode_update_v1())
    }

    /// Inserts `text` at `index` (UTF-16 code units, clamped to the end). Returns the update.
    pub fn insert(&mut self, index: u32, text: &str) -> Option<Vec<u8>> {
        if text.is_empty() {
            return None;
        }
        let mut txn = self.doc.transact_mut();
        let index = index.min(self.text.len(&txn));
        self.text.insert(&mut txn, index, text);
        Some(txn.encode_update_v1())
    }

    /// Appends `text` at the end of the pad. Returns the update.
    pub fn append_text(&mut self, text: &str) -> Option<Vec<u8>> {
        if text.is_empty() {
            return None;
        }
        let mut txn = self.doc.transact_mut();
        let len = self.text.len(&txn);
        self.text.insert(&mut txn, len, text);
        Some(txn.encode_update_v1())
    }
}

/// An update that changes nothing.
pub const EMPTY_UPDATE: &[u8] = Update::EMPTY_V1;

/// Merges several updates into one, without a document.
pub fn merge_updates(updates: &[Vec<u8>]) -> Result<Vec<u8>, ApplyError> {
    guarded(|| yrs::merge_updates_v1(updates))
        .map_err(ApplyError::Decode)?
        .map_err(|e| ApplyError::Decode(e.to_string()))
}

/// Decodes a v1 update from the network or the store; yrs asserts on some malformed input, so
/// a panic becomes an error too.
pub(crate) fn decode_update(update: &[u8]) -> Result<Update, ApplyError> {
    guarded(|| Update::decode_v1(update))
        .map_err(ApplyError::Decode)?
        .map_err(|e| ApplyError::Decode(e.to_string()))
}

/// One client's run of blocks in an update: they take consecutive clocks from `start`.
struct Section {
    client: u64,
    start: u32,
    blocks: Vec<Block>,
}

impl Section {
    fn end(&self) -> u32 {
        self.start + self.blocks.iter().map(|b| b.len).sum::<u32>()
    }
}

struct Block {
    len: u32,
    kind: BlockKind,
}

enum BlockKind {
    Item(Box<ItemBlock>),
    /// Collected content: its position and content are gone.
    Gc,
    /// A range the update says nothing about.
    Skip,
}

struct ItemBlock {
    origin: Option<ID>,
    right: Option<ID>,
    /// Given only when neither origin is (otherwise it is the neighbours').
    parent: Parent,
    content: ItemContent,
    /// The content's UTF-16 units, for comparing parts of strings; only computed when the
    /// item is compared, which keystrokes never are.
    units: OnceCell<Vec<u16>>,
}

#[derive(PartialEq)]
enum Parent {
    FromOrigins,
    Root(String, Option<String>),
    Item(ID, Option<String>),
}

impl ItemBlock {
    /// What must be integrated before this item; without its left origin when it is cut (the
    /// remainder's left origin is then the unit before the cut).
    fn dependencies(&self, cut: bool) -> impl Iterator<Item = &ID> {
        let parent = match &self.parent {
            Parent::Item(id, _) => Some(id),
            _ => None,
        };
        let origin = self.origin.as_ref().filter(|_| !cut);
        origin.into_iter().chain(self.right.iter()).chain(parent)
    }

    fn units(&self) -> &[u16] {
        self.units.get_or_init(|| match &self.content {
            ItemContent::String(s) => s.encode_utf16().collect(),
            _ => Vec::new(),
        })
    }

    fn is_deleted(&self) -> bool {
        matches!(self.content, ItemContent::Deleted(_))
    }

    /// Unit `i`'s left origin: within a block, each unit follows the one before it.
    fn origin_of(&self, id: ID, i: u32) -> Option<ID> {
        if i == 0 {
            self.origin
        } else {
            Some(ID::new(id.client, id.clock - 1))
        }
    }

    /// Whether unit `i` of this item holds the same content as unit `j` of `other`.
    fn same_unit(&self, i: u32, other: &ItemBlock, j: u32) -> bool {
        let (i, j) = (i as usize, j as usize);
        match (&self.content, &other.content) {
            (ItemContent::String(_), ItemContent::String(_)) => {
                self.units().get(i) == other.units().get(j)
            }
            (ItemContent::Any(a), ItemContent::Any(b)) => a.get(i) == b.get(j),
            (ItemContent::JSON(a), ItemContent::JSON(b)) => a.get(i) == b.get(j),
            (ItemContent::Type(a), ItemContent::Type(b)) => a.type_ref() == b.type_ref(),
            (a @ ItemContent::Binary(_), b @ ItemContent::Binary(_))
            | (a @ ItemContent::Embed(_), b @ ItemContent::Embed(_))
            | (a @ ItemContent::Format(..), b @ ItemContent::Format(..))
            | (a @ ItemContent::Doc(..), b @ ItemContent::Doc(..)) => a == b,
            _ => false,
        }
    }
}

/// Reads the blocks of a v1 update as yrs's decoder does (same readers, same lengths).
fn read_sections(update: &[u8]) -> Result<Vec<Section>, yrs::encoding::read::Error> {
    use yrs::encoding::read::Error;
    let mut d = DecoderV1::new(Cursor::new(update));
    let clients: u32 = d.read_var()?;
    let mut sections = Vec::with_capacity(clients.min(64) as usize);
    for _ in 0..clients {
        let count: u32 = d.read_var()?;
        let client = d.read_client()?.get();
        let start: u32 = d.read_var()?;
        let mut blocks = Vec::with_capacity(count.min(64) as usize);
        let mut end = start;
        for _ in 0..count {
            let info = d.read_info()?;
            let block = match info {
                BLOCK_SKIP_REF_NUMBER => Block {
                    len: d.read_var()?,
                    kind: BlockKind::Skip,
                },
                BLOCK_GC_REF_NUMBER => Block {
                    len: d.read_len()?,
                    kind: BlockKind::Gc,
                },
                info => {
                    let origin = (info & HAS_ORIGIN != 0)
                        .then(|| d.read_left_id())
                        .transpose()?;
                    let right = (info & HAS_RIGHT_ORIGIN != 0)
                        .then(|| d.read_right_id())
                        .transpose()?;
                    let mut parent = Parent::FromOrigins;
                    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
                        let root = d.read_parent_info()?;
                        let name = root.then(|| d.read_string().map(str::to_owned));
                        let id = (!root).then(|| d.read_left_id());
                        let sub = (info & HAS_PARENT_SUB != 0)
                            .then(|| d.read_string().map(str::to_owned))
                            .transpose()?;
                        parent = match (name, id) {
                            (Some(name), _) => Parent::Root(name?, sub),
                            (_, Some(id)) => Parent::Item(id?, sub),
                            _ => return Err(Error::UnexpectedValue),
                        };
                    }
                    let content = ItemContent::decode(&mut d, info)?;
                    let len = content.len_utf16();
                    if len == 0 {
                        // yrs drops empty items without advancing the clock.
                        continue;
                    }
                    Block {
                        len,
                        kind: BlockKind::Item(Box::new(ItemBlock {
                            origin,
                            right,
                            parent,
                            content,
                            units: OnceCell::new(),
                        })),
                    }
                }
            };
            end = end
                .checked_add(block.len)
                .filter(|_| block.len > 0)
                .ok_or(Error::UnexpectedValue)?;
            blocks.push(block);
        }
        sections.push(Section {
            client,
            start,
            blocks,
        });
    }
    Ok(sections)
}

/// Whether an update decoded into `sections` integrates completely into a document whose
/// state vector is `known`, so that the document stays one that encodes as it shows:
///
/// - each client appears once (yrs integrates a client's repeated run over its first one);
/// - a client's new blocks start at the document's next clock for it, so no hole is left;
/// - every new block's dependencies are in the document or come earlier in the update, so
///   nothing is left pending.
///
/// A keystroke is one client's run starting at its next clock with dependencies in the
/// document: one pass.
fn check_integrates(sections: &[Section], known: &StateVector) -> Result<(), String> {
    let clock_of = |clocks: &FnvHashMap<u64, u32>, client: u64| {
        clocks
            .get(&client)
            .copied()
            .unwrap_or_else(|| known.get(&ClientID::new(client)))
    };
    // Clocks this update has brought so far, over `known`.
    let mut clocks: FnvHashMap<u64, u32> = FnvHashMap::default();
    // Per section: the next block to integrate and its clock.
    let mut cursors: Vec<(usize, u32)> = Vec::with_capacity(sections.len());
    for (i, section) in sections.iter().enumerate() {
        if sections[..i].iter().any(|s| s.client == section.client) {
            return Err(format!("client {} appears twice", section.client));
        }
        let have = clock_of(&clocks, section.client);
        if section.start > have {
            return Err(format!(
                "client {} starts at clock {} but the pad has it up to {have}",
                section.client, section.start
            ));
        }
        cursors.push((0, section.start));
    }
    loop {
        let mut progress = false;
        let mut left = false;
        for (section, (next, clock)) in sections.iter().zip(cursors.iter_mut()) {
            while let Some(block) = section.blocks.get(*next) {
                let have = clock_of(&clocks, section.client);
                let end = *clock + block.len;
                if end <= have {
                    // Known already: skipped by integration.
                    *next += 1;
                    *clock = end;
                    continue;
                }
                let ready = match &block.kind {
                    BlockKind::Skip => {
                        return Err(format!(
                            "client {} leaves clocks {}..{end} out",
                            section.client, *clock
                        ));
                    }
                    BlockKind::Gc => true,
                    // A block that starts below the document's clock is cut there, and the
                    // remainder's left origin is the document's last unit of that client.
                    BlockKind::Item(item) => item
                        .dependencies(*clock < have)
                        .all(|dep| dep.clock < clock_of(&clocks, dep.client.get())),
                };
                if !ready {
                    left = true;
                    break;
                }
                clocks.insert(section.client, end);
                *next += 1;
                *clock = end;
                progress = true;
            }
        }
        if !left {
            return Ok(());
        }
        if !progress {
            return Err("the update depends on content the pad does not have".to_owned());
        }
    }
}

/// Whether the blocks of `sections` that the document already has (below `known`) are the
/// document's: same position (origins, parent) and, where the document's unit is not deleted,
/// same content. yrs skips them, so this document would not notice; but the frame is forwarded
/// as it is, and a peer that has not finished its first sync would integrate the other
/// version, keep it, and show other text than the pad from then on.
///
/// A peer's resend may hold content the document has since deleted and collected (compared by
/// position only), and may say deleted what the document still shows as long as its delete set
/// deletes it too.
fn check_overlaps(
    sections: &[Section],
    delete_set: &IdSet,
    txn: &impl ReadTxn,
    known: &StateVector,
) -> Result<(), String> {
    let overlapping = sections
        .iter()
        .filter(|s| s.start < known.get(&ClientID::new(s.client)));
    if overlapping.clone().next().is_none() {
        return Ok(());
    }
    let mut from = known.clone();
    for section in overlapping.clone() {
        from.set_min(ClientID::new(section.client), section.start);
    }
    let ours = txn.encode_state_as_update_v1(&from);
    let our_deletes = Update::decode_v1(&ours)
        .map(|u| u.delete_set().clone())
        .map_err(|e| e.to_string())?;
    let ours = read_sections(&ours).map_err(|e| e.to_string())?;
    for theirs in overlapping {
        let have = known.get(&ClientID::new(theirs.client));
        let Some(mine) = ours.iter().find(|s| s.client == theirs.client) else {
            return Err(format!(
                "client {} is not in the pad's state",
                theirs.client
            ));
        };
        let mismatch = || {
            format!(
                "client {} clocks {}..{} differ from the pad's",
                theirs.client,
                theirs.start,
                theirs.end().min(have)
            )
        };
        let mut mine_blocks = units(mine);
        for (id, their_block, i) in units(theirs) {
            if id.clock >= have {
                break;
            }
            let Some((my_id, my_block, j)) =
                mine_blocks.find(|(my_id, ..)| my_id.clock >= id.clock)
            else {
                return Err(mismatch());
            };
            if my_id != id {
                return Err(mismatch());
            }
            let (BlockKind::Item(mine), their_kind) = (&my_block.kind, &their_block.kind) else {
                // Collected or unknown on our side: nothing left to compare.
                continue;
            };
            let mine_shown = !mine.is_deleted() && !our_deletes.contains(&id);
            let theirs_item = match their_kind {
                BlockKind::Item(item) => item,
                BlockKind::Skip => continue,
                BlockKind::Gc if mine_shown && !delete_set.contains(&id) => {
                    return Err(mismatch());
                }
                BlockKind::Gc => continue,
            };
            let same_place = theirs_item.origin_of(id, i) == mine.origin_of(id, j)
                && theirs_item.right == mine.right
                && (theirs_item.origin_of(id, i).is_some()
                    || theirs_item.right.is_some()
                    || theirs_item.parent == mine.parent);
            let same_content = if !mine_shown {
                true
            } else if theirs_item.is_deleted() {
                delete_set.contains(&id)
            } else {
                theirs_item.same_unit(i, mine, j)
            };
            if !same_place || !same_content {
                return Err(mismatch());
            }
        }
    }
    Ok(())
}

/// Every unit of a section: its id, its block, and its offset in the block.
fn units(section: &Section) -> impl Iterator<Item = (ID, &Block, u32)> {
    let client = ClientID::new(section.client);
    let mut clock = section.start;
    section.blocks.iter().flat_map(move |block| {
        let first = clock;
        clock += block.len;
        (0..block.len).map(move |i| (ID::new(client, first + i), block, i))
    })
}

/// The client id of server-side edits. A fixed value keeps server edits from minting a new
/// client id on every load; it is below 2^53 like every Yjs client id.
pub fn server_client_id() -> u64 {
    // "ypad" in ASCII, far from the random 32-bit ids browsers pick.
    0x7970_6164 << 20
}

/// Runs `f`, turning a panic into an error string.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "malformed input".to_owned())
    })
}

/// Common prefix and suffix of two strings in UTF-16 units: `(start, removed_len, inserted)`.
fn splice<'a>(old: &str, new: &'a str) -> (u32, u32, &'a str) {
    let prefix_bytes: usize = old
        .chars()
        .zip(new.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    let old_rest = &old[prefix_bytes..];
    let new_rest = &new[prefix_bytes..];
    let suffix_bytes: usize = old_rest
        .chars()
        .rev()
        .zip(new_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    let old_mid = &old_rest[..old_rest.len() - suffix_bytes];
    let new_mid = &new_rest[..new_rest.len() - suffix_bytes];
    (utf16_len(&old[..prefix_bytes]), utf16_len(old_mid), new_mid)
}

fn utf16_len(s: &str) -> u32 {
    s.encode_utf16().count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_doc(client: u64) -> (Doc, TextRef) {
        let doc = Doc::with_client_id(client);
        let text = doc.get_or_insert_text(TEXT_NAME);
        (doc, text)
    }

    fn edit(doc: &Doc, text: &TextRef, at: u32, s: &str) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, at, s);
        txn.encode_update_v1()
    }

    #[test]
    fn applies_and_detects_duplicates() {
        let (doc, text) = client_doc(1);
        let u = edit(&doc, &text, 0, "hello");
        let mut pad = PadDoc::new();
        assert_eq!(
            pad.apply_update(&u).unwrap(),
            Applied::Changed {
                inserted_by: vec![1]
            }
        );
        assert_eq!(pad.apply_update(&u).unwrap(), Applied::Unchanged);
        assert_eq!(pad.text(), "hello");
    }

    #[test]
    fn diff_brings_a_peer_up_to_date() {
        let mut pad = PadDoc::new();
        let (doc, text) = client_doc(1);
        pad.apply_update(&edit(&doc, &text, 0, "abc")).unwrap();
        let (peer, peer_text) = client_doc(2);
        let sv = peer.transact().state_vector().encode_v1();
        let diff = pad.encode_diff(&sv).unwrap();
        peer.transact_mut()
            .apply_update(Update::decode_v1(&diff).unwrap())
            .unwrap();
        assert_eq!(peer_text.get_string(&peer.transact()), "abc");
    }

    #[test]
    fn garbage_is_rejected_without_panic() {
        let mut pad = PadDoc::new();
        for bad in [
            &[][..],
            &[1],
            &[0xff, 0xff, 0xff],
            &[
                1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 4, 0,
            ],
        ] {
            assert!(pad.apply_update(bad).is_err(), "{bad:?}");
        }
        assert!(pad.encode_diff(&[5, 1]).is_err());
        assert_eq!(pad.text(), "");
    }

    #[test]
    fn client_id_beyond_2_pow_53_is_rejected() {
        // One struct from client 2^53: [clients=1][structs=1][client][clock=0][info=4 (string)]
        // [parent is a root key: 1]["text"][content "x"].
        let mut u = vec![1, 1];
        crate::protocol::write_var(&mut u, 1 << 53);
        u.extend_from_slice(&[0, 4, 1, 4, b't', b'e', b'x', b't', 1, b'x', 0]);
        let mut pad = PadDoc::new();
        assert!(pad.apply_update(&u).is_err());
        assert_eq!(pad.text(), "");
    }

    #[test]
    fn set_text_keeps_common_parts_and_counts_utf16() {
        let mut pad = PadDoc::new();
        pad.set_text("héllo 😀 world\n");
        let update = pad.set_text("héllo 😀 brave world\n").unwrap();
        assert_eq!(pad.text(), "héllo 😀 brave world\n");
        let mut other = PadDoc::with_client_id(5);
        other.apply_update(&pad.encode_state()).unwrap();
        assert_eq!(other.text(), pad.text());
        assert!(update.len() < 40, "a small splice, not a rewrite");
        assert_eq!(pad.set_text("héllo 😀 brave world\n"), None);
        pad.append_text("more");
        assert_eq!(pad.text(), "héllo 😀 brave world\nmore");
    }

    #[test]
    fn chat_roundtrip_and_foreign_entries() {
        let mut pad = PadDoc::new();
        let msg = ChatMessage {
            id: "m1".into(),
            text: "<b>hi</b>".into(),
            name: Some("Ann".into()),
            color: Some("#ff0000".into()),
            time: 42,
            author_id: None,
        };
        let update = pad.push_chat(&msg);
        let mut other = PadDoc::with_client_id(3);
        other.apply_update(&update).unwrap();
        {
            let chat = other.doc().get_or_insert_array(CHAT_NAME);
            let mut txn = other.doc().transact_mut();
            chat.push_back(&mut txn, 17);
        }
        assert_eq!(other.chat(), vec![msg]);
    }

    #[test]
    fn authorship_follows_clients() {
        let (a, at) = client_doc(11);
        let (b, bt) = client_doc(22);
        let mut pad = PadDoc::new();
        pad.apply_update(&edit(&a, &at, 0, "hello")).unwrap();
        let sv = b.transact().state_vector().encode_v1();
        b.transact_mut()
            .apply_update(Update::decode_v1(&pad.encode_diff(&sv).unwrap()).unwrap())
            .unwrap();
        pad.apply_update(&edit(&b, &bt, 2, "ÜÜ😀")).unwrap();
        let spans = pad.authorship();
        assert_eq!(
            spans,
            vec![
                Span { len: 2, client: 11 },
                Span { len: 4, client: 22 },
                Span { len: 3, client: 11 }
            ]
        );
        assert_eq!(pad.text(), "heÜÜ😀llo");
    }

    /// The parts of a v1 update without deletions: its client sections, after the count.
    fn sections_of(update: &[u8]) -> &[u8] {
        assert_eq!(update[0], 1, "one client");
        assert_eq!(update.last(), Some(&0), "no deletions");
        &update[1..update.len() - 1]
    }

    fn refused(pad: &mut PadDoc, update: &[u8]) -> String {
        let (text, sv, state) = (pad.text(), pad.state_vector(), pad.encode_state());
        let err = pad.apply_update(update).unwrap_err();
        assert!(matches!(err, ApplyError::Rejected(_)), "{err}");
        assert_eq!(pad.text(), text);
        assert_eq!(pad.state_vector(), sv);
        assert_eq!(pad.encode_state(), state);
        err.to_string()
    }

    #[test]
    fn reusing_a_clients_clocks_with_other_content_is_refused() {
        let (a, at) = client_doc(1);
        let mut pad = PadDoc::new();
        pad.apply_update(&edit(&a, &at, 0, "hello")).unwrap();
        // Another document claiming to be client 1 writes other text over the same clocks,
        // and one new character so that the update would be forwarded.
        let (forger, ft) = client_doc(1);
        let forged = edit(&forger, &ft, 0, "EVIL!x");
        assert!(refused(&mut pad, &forged).contains("differ"));
        // The same clocks and content at another position: "B" after the "h" instead of
        // where client 2 put it.
        let (b, bt) = client_doc(2);
        pad.apply_update(&edit(&b, &bt, 0, "B")).unwrap();
        let (mover, mt) = client_doc(2);
        let hello = a
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        mover
            .transact_mut()
            .apply_update(Update::decode_v1(&hello).unwrap())
            .unwrap();
        let moved = edit(&mover, &mt, 1, "Bx");
        assert!(refused(&mut pad, &moved).contains("differ"));
        assert_eq!(pad.text(), "helloB");
    }

    #[test]
    fn a_clients_repeated_run_in_one_update_is_refused() {
        let (a, at) = client_doc(1);
        let first = edit(&a, &at, 0, "abc");
        let (forger, ft) = client_doc(1);
        let second = edit(&forger, &ft, 0, "xyz");
        let mut twice = vec![2];
        twice.extend_from_slice(sections_of(&first));
        twice.extend_from_slice(sections_of(&second));
        twice.push(0);
        let mut pad = PadDoc::new();
        assert!(refused(&mut pad, &twice).contains("twice"));
    }

    #[test]
    fn updates_that_would_leave_a_hole_or_stay_pending_are_refused() {
        let (a, at) = client_doc(1);
        let hello = edit(&a, &at, 0, "hello");
        let world = edit(&a, &at, 5, " world");
        let bang = edit(&a, &at, 11, "!");
        let mut pad = PadDoc::new();
        pad.apply_update(&hello).unwrap();
        // yrs would integrate "!" behind a hole where " world" belongs.
        assert!(refused(&mut pad, &bang).contains("starts at clock"));
        // Client 2 types after content of client 1 that the pad lacks.
        let (b, bt) = client_doc(2);
        let everything = a
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        b.transact_mut()
            .apply_update(Update::decode_v1(&everything).unwrap())
            .unwrap();
        let after = edit(&b, &bt, 11, "?");
        assert!(refused(&mut pad, &after).contains("does not have"));
        pad.apply_update(&world).unwrap();
        pad.apply_update(&bang).unwrap();
        pad.apply_update(&after).unwrap();
        assert_eq!(pad.text(), "hello world?!");
    }

    #[test]
    fn resends_of_known_content_are_accepted() {
        let (a, at) = client_doc(1);
        let mut pad = PadDoc::new();
        pad.apply_update(&edit(&a, &at, 0, "hello world")).unwrap();
        // The pad deletes a word (its content is collected); the client, which has not seen
        // that yet, types and then resends everything it has, as a reconnecting client does.
        pad.set_text("hello");
        edit(&a, &at, 11, "!");
        let everything = a
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert!(pad.apply_update(&everything).unwrap().is_changed());
        assert_eq!(pad.text(), "hello!");
        assert_eq!(pad.apply_update(&everything).unwrap(), Applied::Unchanged);
        // A client that deleted what it resends says so in the same update.
        let (b, bt) = client_doc(2);
        b.transact_mut()
            .apply_update(Update::decode_v1(&pad.encode_state()).unwrap())
            .unwrap();
        {
            let mut txn = b.transact_mut();
            bt.remove_range(&mut txn, 0, 2);
        }
        edit(&b, &bt, 0, "J");
        let resend = b
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        pad.apply_update(&resend).unwrap();
        assert_eq!(pad.text(), "Jllo!");
        let mut replica = PadDoc::with_client_id(9);
        replica.apply_update(&pad.encode_state()).unwrap();
        assert_eq!(replica.text(), pad.text());
    }

    #[test]
    fn splice_bounds() {
        assert_eq!(splice("abc", "abc"), (3, 0, ""));
        assert_eq!(splice("aXc", "aYc"), (1, 1, "Y"));
        assert_eq!(splice("aa", "aaa"), (2, 0, "a"));
        assert_eq!(splice("😀", ""), (0, 2, ""));
    }
}
