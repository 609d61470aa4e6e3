//! The pad document: a yrs `Doc` whose `Y.Text` named `text` holds the pad's Markdown.
//!
//! Every update from the network goes through [`PadDoc::apply_update`], which never panics:
//! yrs asserts on some malformed input (client ids of 2^53 and above, among others), so decoding
//! runs under `catch_unwind` and a rejected update leaves the document as it was.

use std::panic::{AssertUnwindSafe, catch_unwind};

use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Array, ArrayRef, Doc, GetString, OffsetKind, Options, Out, ReadTxn, Snapshot, StateVector,
    Text, TextRef, Transact, Update,
};

use crate::chat::{self, CHAT_NAME, ChatMessage};

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
        let mut options = Options::with_client_id(yrs::block::ClientID::new(client_id));
        // Browser editors count UTF-16 code units; server-side edits must agree with them.
        options.offset_kind = OffsetKind::Utf16;
        let doc = Doc::with_options(options);
        let text = doc.get_or_insert_text(TEXT_NAME);
        let chat = doc.get_or_insert_array(CHAT_NAME);
        PadDoc { doc, text, chat }
    }

    /// Rebuilds a document from stored updates (a snapshot first, then the log after it).
    pub fn from_updates<'a>(
        updates: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<PadDoc, ApplyError> {
        let mut pad = PadDoc::new();
        for update in updates {
            pad.apply_update(update)?;
        }
        Ok(pad)
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

    /// Applies a v1 update received from a peer or read from the store.
    pub fn apply_update(&mut self, update: &[u8]) -> Result<Applied, ApplyError> {
        let decoded = decode_update(update)?;
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

    #[test]
    fn splice_bounds() {
        assert_eq!(splice("abc", "abc"), (3, 0, ""));
        assert_eq!(splice("aXc", "aYc"), (1, 1, "Y"));
        assert_eq!(splice("aa", "aaa"), (2, 0, "a"));
        assert_eq!(splice("😀", ""), (0, 2, ""));
    }
}
