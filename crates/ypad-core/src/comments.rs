//! Comment threads live in the pad document, beside `text` and `chat`, so they sync, persist,
//! go offline and replay with the pad. The shape, which any Yjs client can read and write:
//!
//! ```text
//! comments: Y.Map  thread id → Y.Map {
//!   start:    Uint8Array   Y.encodeRelativePosition of a position in `text`, assoc 0
//!                          (sticks to the first commented character)
//!   end:      Uint8Array   the same, assoc -1 (sticks to the last commented character)
//!   quote:    string       the commented text when the thread was started
//!   resolved: boolean
//!   replies:  Y.Array of { id, text, name, color, time, authorId? } — the first is the comment
//! }
//! ```
//!
//! A thread whose text was deleted entirely resolves to an empty range: it is orphaned, and
//! kept. Entries a peer wrote in another shape are skipped, field by field.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use yrs::branch::BranchPtr;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Array, ArrayPrelim, ArrayRef, Assoc, IndexedSequence, Map, MapPrelim, MapRef, Out,
    ReadTxn, StickyIndex, TextRef, TransactionMut,
};

/// Name of the shared map that holds a pad's comment threads.
pub const COMMENTS_NAME: &str = "comments";

/// One comment or reply: the same fields as a chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    #[serde(default)]
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub color: Option<String>,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub time: u64,
    /// The server-side author id, when the comment came through an import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
}

/// A thread as it reads now: its anchor resolved to UTF-16 offsets in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: String,
    /// Where the commented text starts and ends now; `None` when the text is gone (or the
    /// anchor unreadable): the thread is orphaned.
    pub range: Option<(u32, u32)>,
    pub quote: String,
    pub resolved: bool,
    pub replies: Vec<Reply>,
}

impl Thread {
    pub fn orphaned(&self) -> bool {
        self.range.is_none()
    }

    /// When the thread was started (its first comment's time).
    pub fn time(&self) -> u64 {
        self.replies.first().map_or(0, |r| r.time)
    }
}

/// Every thread with at least one readable comment, in the order of the text (orphans last,
/// by time).
pub fn read<T: ReadTxn>(comments: &MapRef, text: &TextRef, txn: &T) -> Vec<Thread> {
    let text = BranchPtr::from(AsRef::<yrs::branch::Branch>::as_ref(text));
    let mut threads: Vec<Thread> = comments
        .iter(txn)
        .filter_map(|(id, value)| match value {
            Out::YMap(thread) => read_thread(id, &thread, text, txn),
            _ => None,
        })
        .collect();
    threads.sort_by_key(|t| (t.range.map_or((u32::MAX, u32::MAX), |r| r), t.time()));
    threads
}

fn read_thread<T: ReadTxn>(id: &str, thread: &MapRef, text: BranchPtr, txn: &T) -> Option<Thread> {
    let replies: Vec<Reply> = match thread.get(txn, "replies") {
        Some(Out::YArray(replies)) => replies
            .iter(txn)
            .filter_map(|item| match item {
                Out::Any(any) => serde_json::to_value(&any)
                    .ok()
                    .and_then(|v| serde_json::from_value(v).ok()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if replies.is_empty() {
        return None;
    }
    let start = offset(thread.get(txn, "start"), text, txn);
    let end = offset(thread.get(txn, "end"), text, txn);
    let range = match (start, end) {
        (Some(s), Some(e)) if s < e => Some((s, e)),
        _ => None,
    };
    let quote = match thread.get(txn, "quote") {
        Some(Out::Any(Any::String(s))) => s.to_string(),
        _ => String::new(),
    };
    let resolved = matches!(thread.get(txn, "resolved"), Some(Out::Any(Any::Bool(true))));
    Some(Thread {
        id: id.to_owned(),
        range,
        quote,
        resolved,
        replies,
    })
}

/// An encoded relative position resolved to an index in the text; `None` if it points
/// elsewhere (another shared type) or nowhere.
fn offset<T: ReadTxn>(value: Option<Out>, text: BranchPtr, txn: &T) -> Option<u32> {
    let Some(Out::Any(Any::Buffer(bytes))) = value else {
        return None;
    };
    // Decoding runs over bytes from any peer; yrs may assert on nonsense.
    let index = std::panic::catch_unwind(|| StickyIndex::decode_v1(&bytes))
        .ok()?
        .ok()?;
    let offset =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| index.get_offset(txn))).ok()??;
    (offset.branch == text).then_some(offset.index)
}

/// A new thread on `text[start..end]` (UTF-16 offsets), or on no text (`range` `None`: an
/// orphan from the start, as an imported comment whose text cannot be found).
#[derive(Debug, Clone)]
pub struct NewThread {
    pub id: String,
    pub range: Option<(u32, u32)>,
    /// The commented text; by default the text in `range`.
    pub quote: Option<String>,
    pub first: Reply,
    pub replies: Vec<Reply>,
    pub resolved: bool,
}

/// Writes `thread` into `comments`; `None` if its range is empty or outside the text.
pub fn add(
    comments: &MapRef,
    text: &TextRef,
    txn: &mut TransactionMut,
    thread: &NewThread,
) -> Option<()> {
    use yrs::GetString;
    let anchor = match thread.range {
        Some((start, end)) => {
            if start >= end {
                return None;
            }
            let whole: Vec<u16> = text.get_string(txn).encode_utf16().collect();
            let quote = String::from_utf16_lossy(whole.get(start as usize..end as usize)?);
            let start = text.sticky_index(txn, start, Assoc::After)?;
            let end = text.sticky_index(txn, end, Assoc::Before)?;
            Some((start, end, quote))
        }
        None => None,
    };
    let map = comments.insert(txn, thread.id.as_str(), MapPrelim::default());
    let mut quote = thread.quote.clone().unwrap_or_default();
    if let Some((start, end, text)) = anchor {
        map.insert(txn, "start", Any::Buffer(Arc::from(start.encode_v1())));
        map.insert(txn, "end", Any::Buffer(Arc::from(end.encode_v1())));
        if thread.quote.is_none() {
            quote = text;
        }
    }
    map.insert(txn, "quote", quote);
    map.insert(txn, "resolved", thread.resolved);
    let replies: ArrayRef = map.insert(txn, "replies", ArrayPrelim::default());
    for reply in std::iter::once(&thread.first).chain(&thread.replies) {
        replies.push_back(txn, to_any(reply));
    }
    Some(())
}

/// The reply as the JSON object stock clients push.
pub fn to_any(reply: &Reply) -> Any {
    let json = serde_json::to_value(reply).expect("a reply serializes");
    serde_json::from_value(json).expect("JSON converts to Any")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PadDoc;
    use yrs::Transact;

    fn reply(text: &str, time: u64) -> Reply {
        Reply {
            id: format!("r{time}"),
            text: text.into(),
            name: Some("Ada".into()),
            color: Some("#336699".into()),
            time,
            author_id: None,
        }
    }

    fn thread(id: &str, start: u32, end: u32) -> NewThread {
        NewThread {
            id: id.into(),
            range: Some((start, end)),
            quote: None,
            first: reply("why?", 1),
            replies: vec![reply("because", 2)],
            resolved: false,
        }
    }

    fn replica(of: &PadDoc) -> PadDoc {
        let mut other = PadDoc::with_client_id(77);
        other.apply_update(&of.encode_state()).unwrap();
        other
    }

    #[test]
    fn anchor_follows_edits_around_it() {
        let mut pad = PadDoc::new();
        pad.append_text("hello brave world").unwrap();
        pad.add_thread(&thread("t1", 6, 11)).unwrap();
        let mut other = replica(&pad);
        let read = other.comments();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].range, Some((6, 11)));
        assert_eq!(read[0].quote, "brave");
        assert_eq!(read[0].replies.len(), 2);
        other.insert(0, ">> ").unwrap();
        other.insert(14, "!").unwrap(); // right after "brave": outside the anchor
        assert_eq!(other.comments()[0].range, Some((9, 14)));
    }

    #[test]
    fn deleting_the_text_orphans_the_thread() {
        let mut pad = PadDoc::new();
        pad.append_text("keep this gone").unwrap();
        pad.add_thread(&thread("t1", 5, 9)).unwrap();
        pad.set_text("keep gone").unwrap();
        let threads = pad.comments();
        assert_eq!(threads.len(), 1);
        assert!(threads[0].orphaned());
        assert_eq!(threads[0].quote, "this");
    }

    #[test]
    fn empty_or_outside_ranges_are_refused() {
        let mut pad = PadDoc::new();
        pad.append_text("abc").unwrap();
        assert!(pad.add_thread(&thread("t", 2, 2)).is_none());
        assert!(pad.add_thread(&thread("t", 2, 9)).is_none());
        assert!(pad.comments().is_empty());
    }

    #[test]
    fn foreign_entries_are_skipped() {
        let mut pad = PadDoc::new();
        pad.append_text("abc").unwrap();
        pad.add_thread(&thread("good", 0, 1)).unwrap();
        let doc = pad.doc().clone();
        let map = doc.get_or_insert_map(COMMENTS_NAME);
        let chat = doc.get_or_insert_array(crate::chat::CHAT_NAME);
        let mut txn = doc.transact_mut();
        map.insert(&mut txn, "number", 3);
        let bad: MapRef = map.insert(&mut txn, "garbage", MapPrelim::default());
        bad.insert(
            &mut txn,
            "start",
            Any::Buffer(Arc::from(vec![255u8, 255, 255])),
        );
        let replies: ArrayRef = bad.insert(&mut txn, "replies", ArrayPrelim::default());
        replies.push_back(&mut txn, 17);
        replies.push_back(&mut txn, to_any(&reply("ok", 5)));
        // Positions in another shared type are no anchor in the text.
        chat.push_back(&mut txn, 1);
        chat.push_back(&mut txn, 2);
        let start = chat.sticky_index(&txn, 0, Assoc::After).unwrap();
        let end = chat.sticky_index(&txn, 2, Assoc::Before).unwrap();
        let elsewhere: MapRef = map.insert(&mut txn, "elsewhere", MapPrelim::default());
        elsewhere.insert(&mut txn, "start", Any::Buffer(Arc::from(start.encode_v1())));
        elsewhere.insert(&mut txn, "end", Any::Buffer(Arc::from(end.encode_v1())));
        let replies: ArrayRef = elsewhere.insert(&mut txn, "replies", ArrayPrelim::default());
        replies.push_back(&mut txn, to_any(&reply("chat?", 6)));
        drop(txn);
        let threads = pad.comments();
        let summary: Vec<_> = threads.iter().map(|t| (t.id.as_str(), t.range)).collect();
        assert_eq!(
            summary,
            [
                ("good", Some((0, 1))),
                ("garbage", None),
                ("elsewhere", None)
            ]
        );
        assert_eq!(threads[1].replies.len(), 1);
    }
}
