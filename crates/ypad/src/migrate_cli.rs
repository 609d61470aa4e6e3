//! `ypad migrate`: copies a whole store to another backend (a data directory to PostgreSQL,
//! or back) through the `Store` trait, so it moves exactly what a server would read.
//!
//! Every pad goes with its whole log, its checkpoint and history blocks, its Yjs client →
//! author map, saved revisions and read-only id; every author and external id mapping goes
//! too, events, and the API key where the destination keeps one. Copying is resumable: a pad already
//! at the source's head is left alone, a partly copied one continues from its destination head
//! (after checking that the copied part is the source's), and records that are set rather than
//! appended are written only when missing or different. Each pad is verified once copied:
//! revision count, head text (from a load, and from replaying the whole log), client map,
//! authors and saved revisions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ypad_core::PadDoc;
use ypad_store::{Author, LogEntry, PadMeta, PgStore, SledStore, Store};

use crate::transfer_cli::CliResult;

/// Revisions read and written at a time: one transaction each, so an interruption loses at
/// most one chunk of work.
const CHUNK: u64 = 1000;
/// How long opening a data directory waits for its lock: a server still running on it will not
/// let go, and saying so promptly is better than waiting.
const LOCK_GRACE: Duration = Duration::from_secs(1);

/// Where a store is: a data directory, or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    DataDir(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_owned())
        } else {
            Location::DataDir(PathBuf::from(s))
        }
    }

    /// For messages: a URL's password is not repeated on the terminal.
    fn describe(&self) -> String {
        match self {
            Location::DataDir(dir) => dir.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }

    fn open(&self, must_exist: bool) -> CliResult<Box<dyn Store>> {
        match self {
            Location::DataDir(dir) => {
                if must_exist && !dir.is_dir() {
                    return Err(format!("no data directory at {}", dir.display()).into());
                }
                let store = SledStore::open_with_grace(dir, LOCK_GRACE).map_err(|e| {
                    format!(
                        "cannot open the store in {}: {e} (is a server running on it? stop it first)",
                        dir.display()
                    )
                })?;
                Ok(Box::new(store))
            }
            Location::Postgres(url) => {
                let store =
                    PgStore::open(url).map_err(|e| format!("cannot open {}: {e}", redact(url)))?;
                Ok(Box::new(store))
            }
        }
    }
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or("");
            let masked = if credentials.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{masked}@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// What a run did, for its closing line.
#[derive(Default)]
struct Tally {
    pads: usize,
    copied_revisions: u64,
    present_revisions: u64,
}

pub fn migrate(from: &str, to: &str) -> CliResult {
    let (from, to) = (Location::parse(from), Location::parse(to));
    if same_place(&from, &to) {
        return Err("--from and --to are the same store".into());
    }
    let src = from.open(true)?;
    let dst = to.open(false)?;

    let authors = src.authors()?;
    for author in &authors {
        dst.put_author(author)?;
    }
    let mut conflicts = Vec::new();
    let mappers = src.author_mappers()?;
    for (mapper, id) in &mappers {
        let candidate = match src.author(id)? {
            Some(author) => author,
            None => Author {
                id: id.clone(),
                name: None,
                color: "#999999".into(),
                created_ms: 0,
            },
        };
        let mapped = dst.author_for_mapper(mapper, &candidate)?;
        if mapped.id != *id {
            conflicts.push(format!(
                "{mapper} is mapped to {} at the destination, {id} at the source",
                mapped.id
            ));
        }
    }
    copy_api_key(&from, &*src, &to, &*dst, ypad_server::API_KEY_SETTING)?;
    // Groups before their sessions; copying either again changes nothing.
    let groups = src.groups()?;
    for group in &groups {
        match &group.mapper {
            Some(mapper) => {
                dst.group_for_mapper(mapper, group)?;
            }
            None => dst.put_group(group)?,
        }
    }
    let sessions = src.sessions()?;
    for session in &sessions {
        dst.put_session(session)?;
    }

    // Events are whole records: written where missing or different.
    let events = src.events()?;
    for event in &events {
        if dst.event(&event.id)?.as_ref() != Some(event) {
            dst.put_event(event)?;
        }
    }

    let pads = src.list()?;
    let bar = progress(pads.iter().map(|m| m.revisions).sum());
    let mut tally = Tally::default();
    for meta in &pads {
        bar.set_message(meta.id.clone());
        copy_pad(&*src, &*dst, meta, &bar, &mut tally)
            .and_then(|()| verify_pad(&*src, &*dst, &meta.id))
            .map_err(|e| format!("pad {}: {e}", meta.id))?;
        tally.pads += 1;
    }
    dst.flush()?;
    bar.finish_and_clear();
    for conflict in &conflicts {
        eprintln!("ypad: warning: {conflict}; kept the destination's");
    }
    println!(
        "migrated {} pad(s) from {} to {}: {} revision(s) copied, {} already there; {} author(s), \
         {} author mapping(s), {} group(s), {} session(s), {} event(s); verified",
        tally.pads,
        from.describe(),
        to.describe(),
        tally.copied_revisions,
        tally.present_revisions,
        authors.len(),
        mappers.len(),
        groups.len(),
        sessions.len(),
        events.len(),
    );
    Ok(())
}

fn same_place(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::DataDir(a), Location::DataDir(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
        }
        (Location::Postgres(a), Location::Postgres(b)) => a == b,
        _ => false,
    }
}

/// The API key goes where the destination keeps it: a data directory's key into a database
/// that has none yet, a database's key into a data directory that has none yet. A key already
/// at the destination is kept, since its clients use it.
fn copy_api_key(
    from: &Location,
    src: &dyn Store,
    to: &Location,
    dst: &dyn Store,
    setting: &str,
) -> CliResult {
    match (from, to) {
        (Location::DataDir(dir), Location::Postgres(_)) => {
            if let Some(key) = read_key(dir)?
                && let Some(kept) = dst.shared_setting(setting, &key)?
                && kept != key
            {
                eprintln!(
                    "ypad: warning: the database already has another API key; servers on it use the database's"
                );
            }
        }
        // A database no server ran on yet has no key; it gets one now, as a server's first
        // start would.
        (Location::Postgres(_), Location::DataDir(dir)) if read_key(dir)?.is_none() => {
            if let Some(key) = src.shared_setting(setting, &ypad_server::new_api_key())? {
                std::fs::create_dir_all(dir)?;
                std::fs::write(dir.join("APIKEY.txt"), key)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn read_key(dir: &Path) -> CliResult<Option<String>> {
    match std::fs::read_to_string(dir.join("APIKEY.txt")) {
        Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn progress(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} revisions {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // indicatif draws only on a terminal, so scripts get clean output.
    bar
}

fn copy_pad(
    src: &dyn Store,
    dst: &dyn Store,
    meta: &PadMeta,
    bar: &ProgressBar,
    tally: &mut Tally,
) -> CliResult {
    let pad = meta.id.as_str();
    let head = meta.revisions;
    let done = match dst.meta(pad)? {
        None => {
            dst.create(pad, meta.created_ms)?;
            0
        }
        Some(there) => there.revisions,
    };
    if done > head {
        return Err(format!(
            "the destination has {done} revisions, the source only {head}: it is another pad"
        )
        .into());
    }
    if done > 0 && !same_entry(&src.log(pad, done, done)?, &dst.log(pad, done, done)?) {
        return Err(format!(
            "the destination's revision {done} differs from the source's: it is another pad"
        )
        .into());
    }
    tally.present_revisions += done;
    bar.inc(done);

    // Client ids the destination lacks, by the author who claimed them. Each rides on a copied
    // revision by that author, as it did when the source recorded it.
    let have: BTreeMap<u64, String> = dst.client_authors(pad)?.into_iter().collect();
    let mut pending: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (client, author) in src.client_authors(pad)? {
        if have.get(&client) != Some(&author) {
            pending.entry(author).or_default().push(client);
        }
    }

    let mut from = done + 1;
    while from <= head {
        let to = head.min(from + CHUNK - 1);
        let mut entries = src.log(pad, from, to)?;
        if entries.len() as u64 != to - from + 1 {
            return Err(format!("the source's log lacks revisions in {from}..={to}").into());
        }
        for entry in &mut entries {
            if let Some(author) = &entry.author
                && let Some(clients) = pending.remove(author)
            {
                entry.new_clients = clients;
            }
        }
        dst.append(&entries)?;
        dst.flush()?;
        bar.inc(entries.len() as u64);
        tally.copied_revisions += entries.len() as u64;
        from = to + 1;
    }
    // Clients whose author's revisions were all copied by an earlier, interrupted run: record
    // them with one of those revisions again (appending an existing revision changes nothing
    // else).
    for (author, clients) in pending {
        let Some(mut entry) = first_entry_by(src, pad, head, &author)? else {
            return Err(format!("client ids of {author}, who wrote no revision").into());
        };
        entry.new_clients = clients;
        dst.append(&[entry])?;
        dst.flush()?;
    }

    let saved = src.saved_revisions(pad)?;
    let saved_there = dst.saved_revisions(pad)?;
    if !saved.starts_with(&saved_there) {
        return Err("the destination's saved revisions differ from the source's".into());
    }
    for s in &saved[saved_there.len()..] {
        dst.save_revision(pad, s)?;
    }

    // Lock changes are kept in order like saved revisions; a group pad's public flag with them.
    let locks = src.pad_locks(pad)?;
    let locks_there = dst.pad_locks(pad)?;
    if !locks.starts_with(&locks_there) {
        return Err("the destination's lock history differs from the source's".into());
    }
    for lock in &locks[locks_there.len()..] {
        dst.put_pad_lock(pad, lock)?;
    }
    if src.is_public(pad)? {
        dst.set_public(pad, true)?;
    }

    if let Some(ro) = src.existing_read_only_id(pad)? {
        let there = dst.read_only_id(pad, &ro)?;
        if there != ro {
            return Err(
                format!("the destination's read-only id is {there}, the source's {ro}").into(),
            );
        }
    }

    if let Some((rev, state)) = src.checkpoint_at_or_before(pad, u64::MAX)?
        && dst
            .checkpoint_at_or_before(pad, u64::MAX)?
            .is_none_or(|(there, _)| there < rev)
    {
        dst.put_checkpoint(pad, rev, &state)?;
    }
    let mut at = u64::MAX;
    while let Some((start, block)) = src.history_block_at_or_before(pad, at)? {
        if dst.history_block_at_or_before(pad, start)?.as_ref() != Some(&(start, block.clone())) {
            dst.put_history_block(pad, start, &block)?;
        }
        let Some(before) = start.checked_sub(1) else {
            break;
        };
        at = before;
    }
    dst.flush()?;
    Ok(())
}

fn same_entry(a: &[LogEntry], b: &[LogEntry]) -> bool {
    match (a, b) {
        ([a], [b]) => a.time_ms == b.time_ms && a.author == b.author && a.update == b.update,
        _ => false,
    }
}

fn first_entry_by(
    store: &dyn Store,
    pad: &str,
    head: u64,
    author: &str,
) -> CliResult<Option<LogEntry>> {
    let mut from = 1;
    while from <= head {
        let to = head.min(from + CHUNK - 1);
        if let Some(entry) = store
            .log(pad, from, to)?
            .into_iter()
            .find(|e| e.author.as_deref() == Some(author))
        {
            return Ok(Some(entry));
        }
        from = to + 1;
    }
    Ok(None)
}

fn verify_pad(src: &dyn Store, dst: &dyn Store, pad: &str) -> CliResult {
    let fail = |what: String| -> CliResult { Err(format!("verification failed: {what}").into()) };
    let (Some(a), Some(b)) = (src.load(pad)?, dst.load(pad)?) else {
        return fail("the pad is missing at the destination".into());
    };
    if a.meta.revisions != b.meta.revisions {
        return fail(format!(
            "{} revisions at the source, {} at the destination",
            a.meta.revisions, b.meta.revisions
        ));
    }
    let text = |stored: &ypad_store::StoredPad| -> CliResult<String> {
        Ok(PadDoc::from_updates(stored.updates())
            .map_err(|e| format!("the stored updates do not apply: {e}"))?
            .text())
    };
    let head_text = text(&a)?;
    if text(&b)? != head_text {
        return fail("the head text differs".into());
    }
    if replay(dst, pad, b.meta.revisions)? != head_text {
        return fail("replaying the destination's log gives another text".into());
    }
    if src.client_authors(pad)? != dst.client_authors(pad)? {
        return fail("the Yjs client → author maps differ".into());
    }
    if src.authors_of_pad(pad)? != dst.authors_of_pad(pad)? {
        return fail("the pad's authors differ".into());
    }
    if src.pad_locks(pad)? != dst.pad_locks(pad)? {
        return Err("lock history differs after copying".into());
    }
    if src.saved_revisions(pad)? != dst.saved_revisions(pad)? {
        return fail("the saved revisions differ".into());
    }
    Ok(())
}

/// The text the whole log builds, without the checkpoint.
fn replay(store: &dyn Store, pad: &str, head: u64) -> CliResult<String> {
    let mut doc = PadDoc::new();
    let mut from = 1;
    while from <= head {
        let to = head.min(from + CHUNK - 1);
        for entry in store.log(pad, from, to)? {
            doc.apply_update(&entry.update)
                .map_err(|e| format!("revision {} does not apply: {e}", entry.rev))?;
        }
        from = to + 1;
    }
    Ok(doc.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_redaction() {
        assert_eq!(
            Location::parse("./ypad-data"),
            Location::DataDir("./ypad-data".into())
        );
        assert!(matches!(
            Location::parse("postgresql:///ypad?host=/run/postgresql"),
            Location::Postgres(_)
        ));
        assert_eq!(
            redact("postgres://ypad:s3cret@db.internal:5432/ypad?sslmode=disable"),
            "postgres://ypad:***@db.internal:5432/ypad?sslmode=disable"
        );
        assert_eq!(
            redact("postgresql://postgres@/ypad?host=/tmp/pg"),
            "postgresql://postgres@/ypad?host=/tmp/pg"
        );
    }
}
