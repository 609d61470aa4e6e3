//! Reading an `.etherpad` file: find the pad record, replay every revision's changeset from
//! Etherpad's empty pad, check the replay against the texts Etherpad stored alongside, and
//! hand back each revision as Markdown with the pad's authors, chat and saved revisions.

use serde_json::{Map, Value};

use super::atext::{AText, ApplyError, Attributed};
use super::changeset::Changeset;
use super::lines;
use super::model::{ChatMessage, ImportedAuthor, ImportedPad, ImportedRevision, SavedRevision};
use super::ops::ParseError;
use super::palette::color_of;
use super::pool::AttributePool;

/// Why an `.etherpad` file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an Etherpad export: the top level is not a JSON object")]
    NotObject,
    #[error("no pad record (key `pad:{{id}}`)")]
    NoPadRecord,
    #[error("more than one pad record (`pad:{0}` and `pad:{1}`)")]
    SeveralPads(String, String),
    #[error("record `{key}` is malformed: {problem}")]
    BadRecord { key: String, problem: String },
    #[error("revision {0} is missing")]
    MissingRevision(u64),
    #[error("revision {rev} changeset is malformed: {source}")]
    BadChangeset { rev: u64, source: ParseError },
    #[error("changeset of revision {rev} does not apply: {source}")]
    DoesNotApply { rev: u64, source: ApplyError },
    #[error("revision {rev} rebuilt from the changesets differs from the text stored with it")]
    CheckpointMismatch { rev: u64 },
    #[error("the pad's text differs from revision {head} rebuilt from the changesets")]
    HeadMismatch { head: u64 },
}

fn bad(key: &str, problem: impl Into<String>) -> ImportError {
    ImportError::BadRecord {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

/// Reads an `.etherpad` export (Etherpad 1.8 and later) into revisions of Markdown.
pub fn import(json: &str) -> Result<ImportedPad, ImportError> {
    let mut revisions = Vec::new();
    let pad = import_with(json, |revision| revisions.push(revision))?;
    Ok(ImportedPad { revisions, ..pad })
}

/// Like [`import`], but hands each revision to `on_revision` as soon as it is rebuilt rather
/// than keeping them all: every revision is the whole pad, so a long history adds up (20 000
/// revisions of a 150 kB pad are 1.5 GB). The returned pad's `revisions` is empty. Errors can
/// come after some revisions were handed over; those must then be discarded.
pub fn import_with(
    json: &str,
    on_revision: impl FnMut(ImportedRevision),
) -> Result<ImportedPad, ImportError> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let records = value.as_object().ok_or(ImportError::NotObject)?;
    let pad_id = find_pad_id(records)?;
    let pad_key = format!("pad:{pad_id}");
    let pad = &records[&pad_key];
    let pool = AttributePool::from_json(pad.get("pool").unwrap_or(&Value::Null))
        .map_err(|e| bad(&pad_key, format!("pool: {e}")))?;
    let head = pad
        .get("head")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad(&pad_key, "no numeric `head`"))?;
    let stored_head = pad
        .get("atext")
        .and_then(AText::from_json)
        .ok_or_else(|| bad(&pad_key, "no `atext` with `text` and `attribs`"))
        .and_then(|atext| {
            Attributed::from_atext(&atext).map_err(|e| bad(&pad_key, format!("atext: {e}")))
        })?;

    let replayed = replay(records, &pad_id, head, &pool, on_revision, &stored_head)?;
    let comments =
        super::comments::read(records, &pad_id, &stored_head, &pool, &replayed.head_text);
    let saved_revisions = saved_revisions(pad);
    let chat_records = chat_records(records, &pad_id);
    let authors = authors(
        records,
        &pool,
        &replayed.authors,
        &chat_records,
        &saved_revisions,
    );
    let chat = chat_records
        .into_iter()
        .map(|mut message| {
            if message.author_name.is_none() {
                message.author_name = authors
                    .iter()
                    .find(|a| a.id == message.author_id)
                    .and_then(|a| a.name.clone());
            }
            message
        })
        .collect();
    Ok(ImportedPad {
        pad_id,
        revisions: Vec::new(),
        authors,
        chat,
        saved_revisions,
        comments,
        head_text: replayed.head_text,
    })
}

/// The id of the one `pad:{id}` record (ids never contain `:`, Etherpad replaces it).
fn find_pad_id(records: &Map<String, Value>) -> Result<String, ImportError> {
    let mut ids = records
        .keys()
        .filter_map(|k| k.strip_prefix("pad:"))
        .filter(|id| !id.is_empty() && !id.contains(':'));
    let first = ids.next().ok_or(ImportError::NoPadRecord)?;
    if let Some(second) = ids.next() {
        return Err(ImportError::SeveralPads(
            first.to_owned(),
            second.to_owned(),
        ));
    }
    Ok(first.to_owned())
}

/// What a replay leaves besides the revisions it handed over.
struct Replayed {
    head_text: String,
    /// Revision authors in order of first appearance.
    authors: Vec<String>,
}

/// Replays revisions 0..=head from Etherpad's empty pad (`"\n"`), handing each one over as
/// Markdown, and checks the result against the pad record's text.
fn replay(
    records: &Map<String, Value>,
    pad_id: &str,
    head: u64,
    pool: &AttributePool,
    mut on_revision: impl FnMut(ImportedRevision),
    stored_head: &Attributed,
) -> Result<Replayed, ImportError> {
    let mut text = Attributed::new();
    let mut authors: Vec<String> = Vec::new();
    // Held back one step: the head revision may still change below.
    let mut pending: Option<ImportedRevision> = None;
    for rev in 0..=head {
        let key = format!("pad:{pad_id}:revs:{rev}");
        let record = records.get(&key).ok_or(ImportError::MissingRevision(rev))?;
        let changeset = record
            .get("changeset")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&key, "no `changeset` string"))?;
        let changeset = Changeset::parse(changeset)
            .map_err(|source| ImportError::BadChangeset { rev, source })?;
        text.apply(&changeset, pool)
            .map_err(|source| ImportError::DoesNotApply { rev, source })?;
        let meta = record.get("meta");
        if let Some(stored) = meta.and_then(|m| m.get("atext")).and_then(AText::from_json) {
            let stored = Attributed::from_atext(&stored)
                .map_err(|e| bad(&key, format!("meta.atext: {e}")))?;
            if !stored.same_text(&text) {
                return Err(ImportError::CheckpointMismatch { rev });
            }
            // Etherpad rebuilds the revisions after a checkpoint from the checkpoint, so its
            // attributes are the ones Etherpad's users saw.
            text = stored;
        }
        let field = |name| meta.and_then(|m| m.get(name));
        let author_id = field("author").and_then(Value::as_str).unwrap_or("");
        if !author_id.is_empty() && !authors.iter().any(|a| a == author_id) {
            authors.push(author_id.to_owned());
        }
        if let Some(previous) = pending.take() {
            on_revision(previous);
        }
        pending = Some(ImportedRevision {
            rev,
            author_id: author_id.to_owned(),
            time_ms: field("timestamp").and_then(time_ms).unwrap_or(0),
            markdown: lines::to_markdown(&text, pool),
        });
    }
    if !text.same_text(stored_head) {
        return Err(ImportError::HeadMismatch { head });
    }
    let Some(mut last) = pending else {
        return Err(ImportError::MissingRevision(0));
    };
    // The pad record is what Etherpad shows; should its attributes differ from the replay's,
    // it wins.
    if text != *stored_head {
        last.markdown = lines::to_markdown(stored_head, pool);
    }
    let head_text = last.markdown.clone();
    on_revision(last);
    Ok(Replayed { head_text, authors })
}

/// Etherpad writes times as JavaScript numbers: milliseconds, occasionally fractional.
fn time_ms(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(|t| t as u64)
    })
}

fn text_field<'a>(record: &'a Value, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|name| record.get(*name).and_then(Value::as_str))
}

fn saved_revisions(pad: &Value) -> Vec<SavedRevision> {
    let Some(list) = pad.get("savedRevisions").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|saved| {
            let rev = saved.get("revNum")?.as_u64()?;
            Some(SavedRevision {
                rev,
                label: text_field(saved, &["label"])
                    .map_or_else(|| format!("Revision {rev}"), str::to_owned),
                author_id: text_field(saved, &["savedById"]).unwrap_or("").to_owned(),
                time_ms: saved.get("timestamp").and_then(time_ms).unwrap_or(0),
            })
        })
        .collect()
}

/// Chat messages in order of their number; names are filled in from authors afterwards.
fn chat_records(records: &Map<String, Value>, pad_id: &str) -> Vec<ChatMessage> {
    let prefix = format!("pad:{pad_id}:chat:");
    let mut numbered: Vec<(u64, ChatMessage)> = records
        .iter()
        .filter_map(|(key, record)| {
            let n = key.strip_prefix(&prefix)?.parse().ok()?;
            Some((
                n,
                ChatMessage {
                    text: text_field(record, &["text"])?.to_owned(),
                    author_id: text_field(record, &["userId", "authorId"])
                        .unwrap_or("")
                        .to_owned(),
                    author_name: text_field(record, &["userName", "displayName"])
                        .map(str::to_owned),
                    time_ms: record.get("time").and_then(time_ms).unwrap_or(0),
                },
            ))
        })
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    numbered.into_iter().map(|(_, m)| m).collect()
}

/// Every author the pad mentions, in order of first appearance: revision authors, then
/// authors only in the pool, chat or saved revisions, then any other author records.
fn authors(
    records: &Map<String, Value>,
    pool: &AttributePool,
    revision_authors: &[String],
    chat: &[ChatMessage],
    saved: &[SavedRevision],
) -> Vec<ImportedAuthor> {
    let mut ids: Vec<&str> = Vec::new();
    let mentioned = revision_authors
        .iter()
        .map(String::as_str)
        .chain(
            pool.iter()
                .filter(|(_, k, _)| *k == "author")
                .map(|(_, _, v)| v),
        )
        .chain(chat.iter().map(|m| m.author_id.as_str()))
        .chain(saved.iter().map(|s| s.author_id.as_str()))
        .chain(
            records
                .keys()
                .filter_map(|k| k.strip_prefix("globalAuthor:")),
        );
    for id in mentioned {
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids.into_iter()
        .map(|id| {
            let record = records.get(&format!("globalAuthor:{id}"));
            ImportedAuthor {
                id: id.to_owned(),
                name: record
                    .and_then(|r| text_field(r, &["name"]))
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
                color: color_of(record.and_then(|r| r.get("colorId")), id),
            }
        })
        .collect()
}
