//! Export and import of whole pads, as blocking functions over a [`Store`]. The engine runs them
//! after a persister barrier, for the HTTP routes and the command line alike.

use std::collections::BTreeMap;

use bytes::Bytes;
use ypad_core::PadDoc;
use ypad_core::chat::ChatMessage;
use ypad_core::comments::{NewThread, Reply, Thread};
use ypad_formats::etherpad::{self, ExportAuthor, ExportPad, ExportRevision, ImportedRevision};
use ypad_store::{Author, LogEntry, SavedRevision, Store};

use crate::clock::wall_ms;
use crate::history::{HistoryError, HistoryIndex};
use crate::load::{LoadError, load_doc};

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

/// What an export asks for: the format, and whether the comment threads come with the text
/// (as footnotes in Markdown, text and HTML; an `.etherpad` file always carries them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    pub format: Format,
    pub comments: bool,
}

impl From<Format> for ExportOptions {
    fn from(format: Format) -> Self {
        ExportOptions {
            format,
            comments: false,
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
    /// In a cluster: another node has the pad open, and a whole history cannot be written
    /// beside it.
    #[error("pad {pad} is open on another node ({url}); import it there")]
    OpenElsewhere { pad: String, url: String },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    TooLarge(#[from] crate::live::EditError),
    #[error(transparent)]
    Store(#[from] ypad_store::StoreError),
}

/// Renders `pad` at `rev` (default: head) in `format`; past revisions come from `history`.
pub fn export(
    store: &dyn Store,
    history: &HistoryIndex,
    pad: &str,
    shown_as: &str,
    rev: Option<u64>,
    options: ExportOptions,
) -> Result<Bytes, TransferError> {
    let format = options.format;
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
        return Ok(etherpad_export(store, pad, shown_as, rev)?.into());
    }
    if options.comments {
        let doc = if rev == meta.revisions {
            load_doc(store, pad)?.0
        } else {
            doc_at(store, pad, rev, |_, _| ())?
        };
        let text = doc.text();
        let comments: Vec<_> = doc.comments().iter().map(comment_of).collect();
        use ypad_formats::comments::with_footnotes;
        return Ok(match format {
            Format::Html => {
                ypad_formats::markdown::to_html_document_with_comments(&text, shown_as, &comments)
                    .into()
            }
            _ => with_footnotes(&text, &comments).into(),
        });
    }
    let text = if rev == meta.revisions {
        load_doc(store, pad)?.0.text()
    } else {
        history.render(store, pad, rev)?.text()
    };
    Ok(match format {
        Format::Html => ypad_formats::markdown::to_html_document(&text, shown_as).into(),
        _ => text.into(),
    })
}

/// The comment threads as they were at `rev`, anchored in that revision's text. The head comes
/// from the stored state; an earlier revision is replayed from the log, unless the pad has no
/// threads at all.
pub fn comments_at(store: &dyn Store, pad: &str, rev: u64) -> Result<Vec<Thread>, TransferError> {
    let meta = store
        .meta(pad)?
        .ok_or_else(|| TransferError::NoSuchPad(pad.to_owned()))?;
    if rev > meta.revisions {
        return Err(TransferError::RevisionTooHigh {
            rev,
            head: meta.revisions,
        });
    }
    let head = load_doc(store, pad)?.0.comments();
    // The editor never deletes a thread: a pad without threads now had none before, and needs
    // no replay (which costs every revision up to `rev`).
    if rev == meta.revisions {
        return Ok(head);
    }
    if head.is_empty() {
        return Ok(Vec::new());
    }
    Ok(doc_at(store, pad, rev, |_, _| ())?.comments())
}

/// A thread as the exports write it.
fn comment_of(thread: &Thread) -> ypad_formats::comments::Comment {
    ypad_formats::comments::Comment {
        range: thread.range,
        quote: thread.quote.clone(),
        resolved: thread.resolved,
        notes: thread
            .replies
            .iter()
            .map(|r| ypad_formats::comments::Note {
                name: r.name.clone(),
                time_ms: r.time,
                text: r.text.clone(),
            })
            .collect(),
    }
}

/// The document at `rev`, replayed from the log; `each` sees it after every revision.
fn doc_at(
    store: &dyn Store,
    pad: &str,
    rev: u64,
    mut each: impl FnMut(&PadDoc, LogEntry),
) -> Result<PadDoc, TransferError> {
    let mut doc = PadDoc::new();
    // Replays in chunks so that a long history is never held in memory at once.
    const CHUNK: u64 = 1024;
    let mut from = 1;
    while from <= rev {
        let to = (from + CHUNK - 1).min(rev);
        for entry in store.log(pad, from, to)? {
            doc.apply_update(&entry.update).map_err(LoadError::from)?;
            each(&doc, entry);
        }
        from = to + 1;
    }
    Ok(doc)
}

/// Every revision up to `rev` as text, with authors, chat, saved revisions and comment threads,
/// in Etherpad's export format.
fn etherpad_export(
    store: &dyn Store,
    pad: &str,
    shown_as: &str,
    rev: u64,
) -> Result<String, TransferError> {
    let mut revisions = Vec::with_capacity(rev as usize);
    let doc = doc_at(store, pad, rev, |doc, entry| {
        revisions.push(ExportRevision {
            author_id: entry.author.unwrap_or_default(),
            time_ms: entry.time_ms,
            text: doc.text(),
        });
    })?;
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
    let comments = doc.comments().iter().map(etherpad_comment).collect();
    Ok(etherpad::export(&ExportPad {
        pad_id: shown_as.to_owned(),
        revisions,
        authors,
        chat,
        saved_revisions,
        comments,
    }))
}

/// A thread as ep_comments_page keeps it: the first comment, and the rest as its replies.
fn etherpad_comment(thread: &Thread) -> etherpad::Comment {
    let first = thread.replies.first();
    let id = if thread.id.starts_with("c-") {
        thread.id.clone()
    } else {
        format!("c-{}", thread.id)
    };
    etherpad::Comment {
        author_id: first.and_then(|r| r.author_id.clone()).unwrap_or_default(),
        name: first.and_then(|r| r.name.clone()),
        text: first.map(|r| r.text.clone()).unwrap_or_default(),
        time_ms: first.map_or(0, |r| r.time),
        range: thread.range,
        quote: thread.quote.clone(),
        resolved: thread.resolved,
        replies: thread
            .replies
            .iter()
            .enumerate()
            .skip(1)
            .map(|(n, r)| etherpad::CommentReply {
                id: format!("c-reply-{}-{n}", id.trim_start_matches("c-")),
                author_id: r.author_id.clone().unwrap_or_default(),
                name: r.name.clone(),
                text: r.text.clone(),
                time_ms: r.time,
            })
            .collect(),
        id,
    }
}

/// What a file turned into.
pub enum Import {
    /// New text for the pad, as one revision.
    Text(String),
    /// An Etherpad export (its JSON), to be replayed revision by revision.
    Etherpad(String),
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
        "etherpad" | "json" => Ok(Import::Etherpad(text()?.to_owned())),
        other => Err(TransferError::BadFile(format!(
            "{filename}: unsupported file type .{other} (use .md, .txt, .html or .etherpad)"
        ))),
    }
}

/// Turns an Etherpad history into ypad revisions. Each Etherpad author edits through a Yjs
/// client id of its own (and chats through another), so authorship stays in the CRDT.
struct Replayer {
    pad: String,
    /// One replica per author, each brought up to date before its author's next edit.
    replicas: BTreeMap<u64, PadDoc>,
    master: PadDoc,
    entries: Vec<LogEntry>,
    seen_clients: Vec<u64>,
    failed: Option<LoadError>,
}

impl Replayer {
    /// Makes an edit as `client`, on that client's replica brought up to date first.
    fn edit(
        &mut self,
        client: u64,
        f: impl FnOnce(&mut PadDoc) -> Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, LoadError> {
        let replica = self
            .replicas
            .entry(client)
            .or_insert_with(|| PadDoc::with_client_id(client));
        let missing = self.master.encode_diff(&replica.state_vector())?;
        replica.apply_update(&missing)?;
        let Some(update) = f(replica) else {
            return Ok(None);
        };
        self.master.apply_update(&update)?;
        Ok(Some(update))
    }

    fn new_clients(&mut self, author: &str, client: u64) -> Vec<u64> {
        if author.is_empty() || self.seen_clients.contains(&client) {
            return Vec::new();
        }
        self.seen_clients.push(client);
        vec![client]
    }

    fn revision(&mut self, revision: ImportedRevision) {
        if self.failed.is_some() {
            return;
        }
        let author = revision.author_id.as_str();
        let client = client_id_of(author);
        let update = match self.edit(client, |doc| doc.set_text(&revision.markdown)) {
            Ok(update) => update,
            Err(e) => {
                self.failed = Some(e);
                return;
            }
        };
        let new_clients = if update.is_some() {
            self.new_clients(author, client)
        } else {
            Vec::new()
        };
        self.entries.push(LogEntry {
            pad: self.pad.clone(),
            rev: self.entries.len() as u64 + 1,
            time_ms: revision.time_ms,
            author: Some(revision.author_id).filter(|a| !a.is_empty()),
            // An Etherpad revision that only changed attributes (bold on, bold off) may leave
            // the Markdown as it was; it is still a revision, with an empty update.
            update: update
                .unwrap_or_else(|| ypad_core::doc::EMPTY_UPDATE.to_vec())
                .into(),
            new_clients,
        });
    }

    /// Adds a comment thread to the last revision: its anchor is in the head revision's text.
    fn comment(&mut self, thread: NewThread) -> Result<(), LoadError> {
        let author = thread.first.author_id.clone().unwrap_or_default();
        // Comments have a client id of their own per author, as chat has.
        let client = client_id_of(&author) ^ (1 << 33);
        let Some(update) = self.edit(client, |doc| doc.add_thread(&thread))? else {
            return Ok(());
        };
        let new_clients = self.new_clients(&author, client);
        let entry = self
            .entries
            .last_mut()
            .expect("comments are added after the revisions");
        entry.update = ypad_core::doc::merge_updates(&[entry.update.to_vec(), update])?.into();
        if !new_clients.is_empty() && entry.author.as_deref() == Some(author.as_str()) {
            entry.new_clients.extend(new_clients);
        } else if !new_clients.is_empty() {
            self.seen_clients.retain(|c| *c != client);
        }
        Ok(())
    }

    /// Adds a chat message to the revision during which it was written (the last one with a
    /// time at or before it).
    fn chat(&mut self, message: ChatMessage) -> Result<(), LoadError> {
        let author = message.author_id.clone().unwrap_or_default();
        // Chat has its own client id per author, so its clocks never wait on text edits that
        // come later in the history.
        let client = client_id_of(&author) ^ (1 << 32);
        let update = self
            .edit(client, |doc| Some(doc.push_chat(&message)))?
            .unwrap_or_default();
        let index = self
            .entries
            .iter()
            .rposition(|e| e.time_ms <= message.time)
            .unwrap_or(0);
        let new_clients = self.new_clients(&author, client);
        let entry = &mut self.entries[index];
        entry.update = ypad_core::doc::merge_updates(&[entry.update.to_vec(), update])?.into();
        if !new_clients.is_empty() && entry.author.as_deref() == Some(author.as_str()) {
            entry.new_clients.extend(new_clients);
        } else if !new_clients.is_empty() {
            // The owner of a client id is recorded with a revision by that author; chat by
            // someone who made no revision stays unattributed, as in Etherpad's history.
            self.seen_clients.retain(|c| *c != client);
        }
        Ok(())
    }
}

/// Writes an Etherpad pad's whole history into `pad`, which must have no revisions, and
/// returns the new head revision. Nothing is written unless the whole file imports.
pub fn import_etherpad(
    store: &dyn Store,
    history: &HistoryIndex,
    pad: &str,
    json: &str,
    max_pad_chars: u64,
) -> Result<u64, TransferError> {
    if store.meta(pad)?.is_some_and(|m| m.revisions > 0) {
        return Err(TransferError::PadNotEmpty(pad.to_owned()));
    }
    let mut replayer = Replayer {
        pad: pad.to_owned(),
        replicas: BTreeMap::new(),
        master: PadDoc::new(),
        entries: Vec::new(),
        seen_clients: Vec::new(),
        failed: None,
    };
    let imported = etherpad::import_with(json, |rev| replayer.revision(rev))
        .map_err(|e| TransferError::BadFile(e.to_string()))?;
    if let Some(e) = replayer.failed.take() {
        return Err(e.into());
    }
    if replayer.entries.is_empty() {
        return Err(TransferError::BadFile("the file has no revisions".into()));
    }
    // The same limit as an edit: a pad no editor could have typed is not made by an import.
    if u64::from(replayer.master.text_len()) > max_pad_chars {
        return Err(crate::live::EditError::TooLarge {
            limit: max_pad_chars,
        }
        .into());
    }
    for m in &imported.chat {
        let color = imported
            .authors
            .iter()
            .find(|a| a.id == m.author_id)
            .map(|a| a.color.clone());
        replayer.chat(ChatMessage {
            id: format!("etherpad-{}", m.time_ms),
            text: m.text.clone(),
            name: m.author_name.clone(),
            color,
            time: m.time_ms,
            author_id: Some(m.author_id.clone()).filter(|a| !a.is_empty()),
        })?;
    }
    let color_of = |author: &str| {
        imported
            .authors
            .iter()
            .find(|a| a.id == author)
            .map(|a| a.color.clone())
    };
    for c in &imported.comments {
        let reply = |id: &str, author: &str, name: &Option<String>, text: &str, time: u64| Reply {
            id: id.to_owned(),
            text: text.to_owned(),
            name: name.clone().or_else(|| {
                imported
                    .authors
                    .iter()
                    .find(|a| a.id == author)
                    .and_then(|a| a.name.clone())
            }),
            color: color_of(author),
            time,
            author_id: Some(author.to_owned()).filter(|a| !a.is_empty()),
        };
        replayer.comment(NewThread {
            id: c.id.clone(),
            range: c.range,
            quote: c.range.is_none().then(|| c.quote.clone()),
            first: reply(&c.id, &c.author_id, &c.name, &c.text, c.time_ms),
            replies: c
                .replies
                .iter()
                .map(|r| reply(&r.id, &r.author_id, &r.name, &r.text, r.time_ms))
                .collect(),
            resolved: c.resolved,
        })?;
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
    store.create(pad, replayer.entries[0].time_ms)?;
    for chunk in replayer.entries.chunks(4096) {
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
    // The positional history and a checkpoint at the head, so that the pad opens and its
    // revisions read back without replaying the whole imported log.
    history.advance(store, pad)?;
    store.flush()?;
    Ok(replayer.entries.len() as u64)
}

/// A stable Yjs client id for an Etherpad author: below 2^32 like browsers' random ids, never
/// the server's own.
fn client_id_of(author: &str) -> u64 {
    // FNV-1a: stable across releases, unlike std's hasher.
    let mut hasher = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut hasher, author.as_bytes());
    (std::hash::Hasher::finish(&hasher) & 0xffff_ffff).max(1)
}
