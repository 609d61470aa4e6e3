//! Export and import of whole pads, as blocking functions over a [`Store`], so that the HTTP
//! routes (after a persister barrier) and the command line (on a stopped server's data
//! directory) share one implementation.

use std::collections::BTreeMap;

use bytes::Bytes;
use ypad_core::PadDoc;
use ypad_core::chat::ChatMessage;
use ypad_formats::etherpad::{self, ExportAuthor, ExportPad, ExportRevision, ImportedPad};
use ypad_store::{Author, LogEntry, SavedRevision, Store};

use crate::clock::wall_ms;
use crate::history::doc_at_in;
use crate::registry::LoadError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Text,
    Html,
    Etherpad,
}

impl Format {
    /// The export type in a URL or a `--format` flag.
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "markdown" | "md" => Some(Format::Markdown),
            "txt" | "text" => Some(Format::Text),
            "html" => Some(Format::Html),
            "etherpad" => Some(Format::Etherpad),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Text => "txt",
            Format::Html => "html",
            Format::Etherpad => "etherpad",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Etherpad => "application/json; charset=utf-8",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("pad {0} does not exist")]
    NoSuchPad(String),
    #[error("revision {rev} is beyond the head revision {head}")]
    RevisionTooHigh { rev: u64, head: u64 },
    #[error("{0}")]
    BadFile(String),
    #[error("pad {0} already has content; an .etherpad file imports into a new pad")]
    PadNotEmpty(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Store(#[from] ypad_store::StoreError),
}

/// Renders `pad` at `rev` (default: head) in `format`.
pub fn export(
    store: &dyn Store,
    pad: &str,
    rev: Option<u64>,
    format: Format,
) -> Result<Bytes, TransferError> {
    let meta = store
        .meta(pad)?
        .ok_or_else(|| TransferError::NoSuchPad(pad.to_owned()))?;
    let rev = rev.unwrap_or(meta.revisions);
    if rev > meta.revisions {
        return Err(TransferError::RevisionTooHigh {
            rev,
            head: meta.revisions,
        });
    }
    if format == Format::Etherpad {
        return Ok(etherpad_export(store, pad, rev)?.into());
    }
    let text = doc_at_in(store, pad, rev)?.text();
    Ok(match format {
        Format::Html => ypad_formats::markdown::to_html_document(&text, pad).into(),
        _ => text.into(),
    })
}

/// Every revision up to `rev` as text, with authors, chat and saved revisions, in Etherpad's
/// export format.
fn etherpad_export(store: &dyn Store, pad: &str, rev: u64) -> Result<String, TransferError> {
    let mut doc = PadDoc::new();
    let mut revisions = Vec::with_capacity(rev as usize);
    // Replays in chunks so that a long history is never held in memory at once.
    const CHUNK: u64 = 1024;
    let mut from = 1;
    while from <= rev {
        let to = (from + CHUNK - 1).min(rev);
        for entry in store.log(pad, from, to)? {
            doc.apply_update(&entry.update).map_err(LoadError::from)?;
            revisions.push(ExportRevision {
                author_id: entry.author.unwrap_or_default(),
                time_ms: entry.time_ms,
                text: doc.text(),
            });
        }
        from = to + 1;
    }
    let mut authors = Vec::new();
    for id in store.authors_of_pad(pad)? {
        if let Some(a) = store.author(&id)? {
            authors.push(ExportAuthor {
                id: a.id,
                name: a.name,
                color: a.color,
            });
        }
    }
    let chat = doc
        .chat()
        .into_iter()
        .map(|m| etherpad::ChatMessage {
            text: m.text,
            author_id: m.author_id.unwrap_or_default(),
            author_name: m.name,
            time_ms: m.time,
        })
        .collect();
    let saved_revisions = store
        .saved_revisions(pad)?
        .into_iter()
        .filter(|s| s.rev <= rev)
        .map(|s| etherpad::SavedRevision {
            // ypad's revision n is Etherpad's n - 1 (see ypad_formats::etherpad::export).
            rev: s.rev.saturating_sub(1),
            label: s.label,
            author_id: s.author.unwrap_or_default(),
            time_ms: s.time_ms,
        })
        .collect();
    Ok(etherpad::export(&ExportPad {
        pad_id: pad.to_owned(),
        revisions,
        authors,
        chat,
        saved_revisions,
    }))
}

/// What a file turned into.
pub enum Import {
    /// New text for the pad, as one revision.
    Text(String),
    /// A whole Etherpad pad with its history.
    Etherpad(Box<ImportedPad>),
}

/// Reads an uploaded file by its name's extension (Markdown, text, HTML or `.etherpad`).
pub fn read_file(filename: &str, bytes: &[u8]) -> Result<Import, TransferError> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let text = || {
        std::str::from_utf8(bytes)
            .map_err(|e| TransferError::BadFile(format!("{filename} is not UTF-8 text: {e}")))
    };
    match ext.as_str() {
        "md" | "markdown" | "txt" | "text" | "" => Ok(Import::Text(text()?.replace("\r\n", "\n"))),
        "html" | "htm" => Ok(Import::Text(ypad_formats::html::to_markdown(text()?))),
        "etherpad" | "json" => etherpad::import(text()?)
            .map(|pad| Import::Etherpad(Box::new(pad)))
            .map_err(|e| TransferError::BadFile(format!("{filename}: {e}"))),
        other => Err(TransferError::BadFile(format!(
            "{filename}: unsupported file type .{other} (use .md, .txt, .html or .etherpad)"
        ))),
    }
}

/// Writes an Etherpad pad's whole history into `pad`, which must have no revisions. Each
/// Etherpad author edits through a client id of its own, so authorship stays in the CRDT.
/// Returns the new head revision.
pub fn import_etherpad(
    store: &dyn Store,
    pad: &str,
    imported: &ImportedPad,
) -> Result<u64, TransferError> {
    if store.meta(pad)?.is_some_and(|m| m.revisions > 0) {
        return Err(TransferError::PadNotEmpty(pad.to_owned()));
    }
    let now = wall_ms();
    for a in &imported.authors {
        store.put_author(&Author {
            id: a.id.clone(),
            name: a.name.clone(),
            color: a.color.clone(),
            created_ms: now,
        })?;
    }
    // One replica per author, each brought up to date before its author's next edit.
    let mut replicas: BTreeMap<&str, PadDoc> = BTreeMap::new();
    let mut master = PadDoc::new();
    let mut chat = imported.chat.iter().peekable();
    let mut seen_authors: Vec<&str> = Vec::new();
    let mut entries = Vec::with_capacity(imported.revisions.len());
    let last = imported.revisions.len().saturating_sub(1);
    for (i, revision) in imported.revisions.iter().enumerate() {
        let replica = replicas
            .entry(revision.author_id.as_str())
            .or_insert_with(|| PadDoc::with_client_id(client_id_of(&revision.author_id)));
        let missing = master
            .encode_diff(&replica.state_vector())
            .map_err(LoadError::from)?;
        replica.apply_update(&missing).map_err(LoadError::from)?;
        let mut updates: Vec<Vec<u8>> = replica.set_text(&revision.markdown).into_iter().collect();
        // Chat messages join the revision during which they were written.
        while let Some(m) = chat.next_if(|m| m.time_ms <= revision.time_ms || i == last) {
            updates.push(
                replica.push_chat(&ChatMessage {
                    id: format!("etherpad-{}", m.time_ms),
                    text: m.text.clone(),
                    name: m.author_name.clone(),
                    color: imported
                        .authors
                        .iter()
                        .find(|a| a.id == m.author_id)
                        .map(|a| a.color.clone()),
                    time: m.time_ms,
                    author_id: Some(m.author_id.clone()).filter(|a| !a.is_empty()),
                }),
            );
        }
        let update = if updates.len() == 1 {
            updates.pop().unwrap_or_default()
        } else if updates.is_empty() {
            // An Etherpad revision that changed only attributes (bold on, bold off) may leave
            // the Markdown as it was; it is still a revision, with an empty update.
            ypad_core::doc::EMPTY_UPDATE.to_vec()
        } else {
            ypad_core::doc::merge_updates(&updates).map_err(LoadError::from)?
        };
        master.apply_update(&update).map_err(LoadError::from)?;
        let author = revision.author_id.as_str();
        let new_clients = if author.is_empty() || seen_authors.contains(&author) {
            Vec::new()
        } else {
            seen_authors.push(author);
            vec![client_id_of(author)]
        };
        entries.push(LogEntry {
            new_clients,
            pad: pad.to_owned(),
            rev: i as u64 + 1,
            time_ms: revision.time_ms,
            author: Some(revision.author_id.clone()).filter(|a| !a.is_empty()),
            update: update.into(),
        });
    }
    store.create(pad, imported.revisions.first().map_or(now, |r| r.time_ms))?;
    for chunk in entries.chunks(4096) {
        store.append(chunk)?;
    }
    for s in &imported.saved_revisions {
        store.save_revision(
            pad,
            &SavedRevision {
                rev: s.rev + 1,
                label: s.label.clone(),
                author: Some(s.author_id.clone()).filter(|a| !a.is_empty()),
                time_ms: s.time_ms,
            },
        )?;
    }
    store.flush()?;
    Ok(entries.len() as u64)
}

/// A stable Yjs client id for an Etherpad author: below 2^32 like browsers' random ids, never
/// the server's own.
pub fn client_id_of(author: &str) -> u64 {
    // FNV-1a: stable across releases, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in author.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & 0xffff_ffff).max(1)
}
