//! ep_comments_page's comments in an `.etherpad` file: the records `comments:{pad}` (comment id
//! → `{author, name, text, timestamp, changeTo, changeFrom}`) and `comment-replies:{pad}` (reply
//! id → the same plus `commentId`), and the text a comment is on, which carries the comment's id
//! as the `comment` attribute.
//!
//! Etherpad's text is not ypad's Markdown (list markers, headings and bold are attributes there,
//! characters here), so on import a comment's text is found in the head revision's Markdown by
//! what it says: the same occurrence of the same words, else its first line; failing both, the
//! thread is kept without an anchor. On export ypad's text is Etherpad's text, character for
//! character, so the attribute goes exactly on the thread's range.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::atext::Attributed;
use super::changeset::Changeset;
use super::lines;
use super::model::{Comment, CommentReply};
use super::ops::{Assembler, OpKind, ops};
use super::pool::AttributePool;

/// The attribute ep_comments_page puts on commented text.
const ATTRIBUTE: &str = "comment";

fn time_ms(value: Option<&Value>) -> u64 {
    value
        .and_then(|v| {
            v.as_u64()
                .or_else(|| {
                    v.as_f64()
                        .filter(|t| t.is_finite() && *t >= 0.0)
                        .map(|t| t as u64)
                })
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(0)
}

fn string(record: &Value, key: &str) -> Option<String> {
    record
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The comments and replies of `pad_id`, anchored in `markdown` (the head revision's text) by
/// where `head` carries their ids. Records of another shape are skipped.
pub(crate) fn read(
    records: &Map<String, Value>,
    pad_id: &str,
    head: &Attributed,
    pool: &AttributePool,
    markdown: &str,
) -> Vec<Comment> {
    let Some(list) = records
        .get(&format!("comments:{pad_id}"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let spans = commented_spans(head, pool);
    let mut comments: Vec<Comment> = list
        .iter()
        .filter_map(|(id, record)| {
            let text = record.get("text").and_then(Value::as_str)?.to_owned();
            let span = spans.get(id.as_str());
            let quote = span.map(|s| s.quote.clone()).unwrap_or_default();
            Some(Comment {
                id: id.clone(),
                author_id: string(record, "author")
                    .filter(|a| a != "empty")
                    .unwrap_or_default(),
                name: string(record, "name"),
                text,
                time_ms: time_ms(record.get("timestamp")),
                range: span.and_then(|s| locate(markdown, &s.quote, s.occurrence)),
                quote,
                resolved: record.get("resolved").and_then(Value::as_bool) == Some(true),
                replies: Vec::new(),
            })
        })
        .collect();
    if let Some(replies) = records
        .get(&format!("comment-replies:{pad_id}"))
        .and_then(Value::as_object)
    {
        for (id, record) in replies {
            let (Some(of), Some(text)) = (
                record.get("commentId").and_then(Value::as_str),
                record.get("text").and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Some(comment) = comments.iter_mut().find(|c| c.id == of) {
                comment.replies.push(CommentReply {
                    id: id.clone(),
                    author_id: string(record, "author")
                        .filter(|a| a != "empty")
                        .unwrap_or_default(),
                    name: string(record, "name"),
                    text: text.to_owned(),
                    time_ms: time_ms(record.get("timestamp")),
                });
            }
        }
    }
    for c in &mut comments {
        c.replies.sort_by_key(|r| r.time_ms);
    }
    comments.sort_by_key(|c| (c.range.map_or(u32::MAX, |r| r.0), c.time_ms));
    comments
}

/// A comment's text in the pad's plain text (lines without their markers).
struct Span {
    quote: String,
    /// How many times the quote occurs in the plain text before this span.
    occurrence: usize,
}

fn commented_spans<'a>(head: &Attributed, pool: &'a AttributePool) -> BTreeMap<&'a str, Span> {
    let mut plain: Vec<u16> = Vec::new();
    let mut ranges: BTreeMap<&'a str, (usize, usize)> = BTreeMap::new();
    for (n, view) in head.lines().iter().enumerate() {
        if n > 0 {
            plain.push(u16::from(b'\n'));
        }
        let line = lines::analyze(view, pool);
        let mut at = plain.len();
        plain.extend_from_slice(line.text);
        for (len, attribs) in &line.runs {
            if let Some(id) = pool.value_of(attribs, ATTRIBUTE).filter(|v| !v.is_empty()) {
                let range = ranges.entry(id).or_insert((at, at + len));
                range.1 = at + len;
            }
            at += len;
        }
    }
    ranges
        .into_iter()
        .map(|(id, (start, end))| {
            let end = end.min(plain.len());
            let quote = String::from_utf16_lossy(&plain[start.min(end)..end]);
            let before = String::from_utf16_lossy(&plain[..start.min(end)]);
            let occurrence = if quote.is_empty() {
                0
            } else {
                before.matches(quote.as_str()).count()
            };
            (id, Span { quote, occurrence })
        })
        .collect()
}

/// The `occurrence`-th place of `quote` in `markdown` (else the first; else its first line's),
/// in UTF-16 code units.
fn locate(markdown: &str, quote: &str, occurrence: usize) -> Option<(u32, u32)> {
    let find = |needle: &str| -> Option<(usize, usize)> {
        if needle.trim().is_empty() {
            return None;
        }
        let places: Vec<usize> = markdown.match_indices(needle).map(|(i, _)| i).collect();
        let at = places.get(occurrence).or(places.first())?;
        Some((*at, at + needle.len()))
    };
    let (start, end) = find(quote).or_else(|| find(quote.lines().next()?))?;
    let units = |byte: usize| markdown[..byte].encode_utf16().count() as u32;
    Some((units(start), units(end)))
}

/// The attribute-only changeset that puts each comment's id on its range of `text` (an
/// Etherpad text), as ep_comments_page's editor does when a comment is added; `None` if no
/// comment has a range in it. Where ranges overlap, the later comment's id wins (an attribute
/// has one value).
pub(crate) fn mark(
    text: &str,
    comments: &[Comment],
    pool: &mut AttributePool,
) -> Option<Changeset> {
    let units: Vec<u16> = text.encode_utf16().collect();
    // The final newline is Etherpad's, never commented.
    let limit = units.len().saturating_sub(1);
    let mut owner: Vec<Option<u32>> = vec![None; units.len()];
    let mut any = false;
    for c in comments {
        let Some((start, end)) = c.range else {
            continue;
        };
        let (start, end) = (start as usize, (end as usize).min(limit));
        if start >= end {
            continue;
        }
        let attrib = pool.put(ATTRIBUTE, &c.id);
        owner[start..end].fill(Some(attrib));
        any = true;
    }
    if !any {
        return None;
    }
    let mut asm = Assembler::default();
    let mut at = 0;
    while at < units.len() {
        let who = owner[at];
        let run = owner[at..].iter().take_while(|o| **o == who).count();
        let attribs: Vec<u32> = who.into_iter().collect();
        asm.append_text(OpKind::Keep, &units[at..at + run], &attribs);
        at += run;
    }
    let body = asm.finish(true);
    Some(Changeset {
        old_len: units.len(),
        new_len: units.len(),
        ops: ops(&body).collect::<Result<_, _>>().ok()?,
        char_bank: String::new(),
    })
}

/// The `comments:{pad}` and `comment-replies:{pad}` records.
pub(crate) fn records(pad_id: &str, comments: &[Comment]) -> Vec<(String, Value)> {
    if comments.is_empty() {
        return Vec::new();
    }
    let author = |id: &str| {
        if id.is_empty() {
            "empty".to_owned()
        } else {
            id.to_owned()
        }
    };
    let mut list = Map::new();
    let mut replies = Map::new();
    for c in comments {
        list.insert(
            c.id.clone(),
            json!({
                "author": author(&c.author_id),
                "name": c.name,
                "text": c.text,
                "timestamp": c.time_ms,
                "changeTo": null,
                "changeFrom": null,
                "resolved": c.resolved,
            }),
        );
        for r in &c.replies {
            replies.insert(
                r.id.clone(),
                json!({
                    "commentId": c.id,
                    "author": author(&r.author_id),
                    "name": r.name,
                    "text": r.text,
                    "timestamp": r.time_ms,
                    "changeTo": null,
                    "changeFrom": null,
                }),
            );
        }
    }
    vec![
        (format!("comments:{pad_id}"), Value::Object(list)),
        (format!("comment-replies:{pad_id}"), Value::Object(replies)),
    ]
}
