//! Writing an `.etherpad` file that Etherpad 1.8+ imports: the pad record, one record per
//! revision with a one-splice changeset from the previous text, author and chat records, and
//! ep_comments_page's comment records.
//!
//! ypad's revisions map 1:1 onto Etherpad's, the first becoming revision 0. Etherpad's own
//! revision 0 is usually the initial text by the empty system author, but nothing requires
//! it: a pad made with `createPad(text, authorId)` starts the same way, and the 1:1 mapping
//! keeps revision numbers equal on both sides and `import(export(x))` exact. A pad with
//! comment threads gets one revision more, after its own: the one that puts the `comment`
//! attributes on the commented text, as ep_comments_page's editor does.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::atext::Attributed;
use super::changeset::Changeset;
use super::model::{ExportPad, ExportRevision};
use super::ops::base36;
use super::palette::{fallback, hex_color};
use super::pool::AttributePool;

/// Etherpad stores the attributed text and pool with every hundredth revision, and rebuilds
/// a revision from the nearest one below it.
const CHECKPOINT_EVERY: usize = 100;

/// Writes `pad` as an Etherpad export (one JSON object of database records).
pub fn export(pad: &ExportPad) -> String {
    let id = &pad.pad_id;
    let empty = [ExportRevision {
        author_id: String::new(),
        time_ms: pad.chat.iter().map(|m| m.time_ms).min().unwrap_or(0),
        text: String::new(),
    }];
    let revisions = if pad.revisions.is_empty() {
        &empty[..]
    } else {
        &pad.revisions[..]
    };

    // Etherpad's `Pad.check` wants exactly the revision authors in the pool.
    let mut pool = AttributePool::new();
    for rev in revisions.iter().filter(|r| !r.author_id.is_empty()) {
        pool.put("author", &rev.author_id);
    }

    let mut records = Map::new();
    let mut atext = Attributed::new();
    let mut previous = "\n".to_owned();
    for (n, rev) in revisions.iter().enumerate() {
        let text = etherpad_text(&rev.text);
        let attribs: Vec<u32> = pool.find("author", &rev.author_id).into_iter().collect();
        let changeset = Changeset::splice(&previous, &text, &attribs);
        atext
            .apply(&changeset, &pool)
            .expect("a splice made from the current text applies to it");
        let mut meta = json!({ "author": rev.author_id, "timestamp": rev.time_ms });
        if n % CHECKPOINT_EVERY == 0 {
            meta["pool"] = pool.to_meta_json();
            meta["atext"] = atext.to_atext(&pool).to_json();
        }
        records.insert(
            format!("pad:{id}:revs:{n}"),
            json!({ "changeset": changeset.to_string(), "meta": meta }),
        );
        previous = text;
    }
    // ep_comments_page marks commented text with an attribute, in a revision of its own.
    let mut head = revisions.len() - 1;
    if let Some(changeset) = super::comments::mark(&previous, &pad.comments, &mut pool) {
        atext
            .apply(&changeset, &pool)
            .expect("an attribute changeset over the whole text applies to it");
        head += 1;
        let time_ms = pad
            .comments
            .iter()
            .map(|c| c.time_ms)
            .chain(revisions.last().map(|r| r.time_ms))
            .max()
            .unwrap_or(0);
        let mut meta = json!({ "author": "", "timestamp": time_ms });
        if head % CHECKPOINT_EVERY == 0 {
            meta["pool"] = pool.to_meta_json();
            meta["atext"] = atext.to_atext(&pool).to_json();
        }
        records.insert(
            format!("pad:{id}:revs:{head}"),
            json!({ "changeset": changeset.to_string(), "meta": meta }),
        );
    }
    for (key, record) in super::comments::records(id, &pad.comments) {
        records.insert(key, record);
    }

    let saved: Vec<Value> = pad
        .saved_revisions
        .iter()
        .map(|s| {
            json!({
                "revNum": s.rev,
                "savedById": s.author_id,
                "label": s.label,
                "timestamp": s.time_ms,
                "id": saved_revision_id(s.rev, s.time_ms),
            })
        })
        .collect();
    records.insert(
        format!("pad:{id}"),
        json!({
            "atext": atext.to_atext(&pool).to_json(),
            "pool": pool.to_json(),
            "head": head,
            "chatHead": pad.chat.len() as i64 - 1,
            "publicStatus": false,
            "passwordHash": null,
            "savedRevisions": saved,
        }),
    );

    for (n, message) in pad.chat.iter().enumerate() {
        let mut record = json!({
            "text": message.text,
            "userId": message.author_id,
            "time": message.time_ms,
        });
        if let Some(name) = &message.author_name {
            record["userName"] = json!(name);
        }
        records.insert(format!("pad:{id}:chat:{n}"), record);
    }

    for (author, record) in author_records(pad, revisions) {
        records.insert(format!("globalAuthor:{author}"), record);
    }
    Value::Object(records).to_string()
}

/// Etherpad's text rules: `\n` line ends (as its own text import makes them) and a final
/// newline that every pad has.
fn etherpad_text(text: &str) -> String {
    let mut text = text.replace("\r\n", "\n").replace('\r', "\n");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// A `globalAuthor` record for every listed author and every other author the pad mentions,
/// with the time of their last activity here.
fn author_records(pad: &ExportPad, revisions: &[ExportRevision]) -> BTreeMap<String, Value> {
    let mut last_seen: BTreeMap<&str, u64> = BTreeMap::new();
    let activity = revisions
        .iter()
        .map(|r| (r.author_id.as_str(), r.time_ms))
        .chain(pad.chat.iter().map(|m| (m.author_id.as_str(), m.time_ms)))
        .chain(
            pad.saved_revisions
                .iter()
                .map(|s| (s.author_id.as_str(), s.time_ms)),
        )
        .chain(pad.authors.iter().map(|a| (a.id.as_str(), 0)));
    for (id, time) in activity.filter(|(id, _)| !id.is_empty()) {
        let seen = last_seen.entry(id).or_insert(0);
        *seen = (*seen).max(time);
    }
    last_seen
        .into_iter()
        .map(|(id, timestamp)| {
            let author = pad.authors.iter().find(|a| a.id == id);
            let color = author
                .and_then(|a| hex_color(&a.color))
                .unwrap_or_else(|| fallback(id));
            let name = author.and_then(|a| a.name.clone());
            let record = json!({
                "colorId": color,
                "name": name,
                "timestamp": timestamp,
                "padIDs": pad.pad_id,
            });
            (id.to_owned(), record)
        })
        .collect()
}

/// Etherpad gives each saved revision a random 10-character id; a derived one keeps exports
/// reproducible.
fn saved_revision_id(rev: u64, time_ms: u64) -> String {
    let mixed = (rev ^ time_ms.rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let id = base36(usize::try_from(mixed % 36u64.pow(10)).unwrap_or(0));
    format!("{id:0>10}")
}
