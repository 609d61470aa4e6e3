//! The API functions. Each reads its parameters, checks them the way Etherpad does (with its
//! error messages, which scripts match on), and acts through the registry so that every
//! change reaches connected clients as an ordinary CRDT update.

use serde_json::{Value, json};
use ypad_core::PadId;
use ypad_core::chat::ChatMessage;
use ypad_store::{Author, SavedRevision};

use ypad_engine::{CopyMode, Edit, new_author, wall_ms};

use super::ApiError;
use super::params::Params;
use crate::state::AppState;

/// The version that introduced each function.
const FUNCTIONS: &[(&str, &str)] = &[
    ("createPad", "1"),
    ("getRevisionsCount", "1"),
    ("getLastEdited", "1"),
    ("deletePad", "1"),
    ("getReadOnlyID", "1"),
    ("listAuthorsOfPad", "1"),
    ("padUsersCount", "1"),
    ("getText", "1"),
    ("setText", "1"),
    ("getHTML", "1"),
    ("setHTML", "1"),
    ("createAuthor", "1"),
    ("createAuthorIfNotExistsFor", "1"),
    ("listPadsOfAuthor", "1"),
    ("padUsers", "1.1"),
    ("sendClientsMessage", "1.1"),
    ("getAuthorName", "1.1"),
    ("checkToken", "1.2"),
    ("listAllPads", "1.2.1"),
    ("createDiffHTML", "1.2.7"),
    ("getChatHistory", "1.2.7"),
    ("getChatHead", "1.2.7"),
    ("getRevisionChangeset", "1.2.8"),
    ("getAttributePool", "1.2.8"),
    ("copyPad", "1.2.9"),
    ("movePad", "1.2.9"),
    ("getPadID", "1.2.10"),
    ("saveRevision", "1.2.11"),
    ("getSavedRevisionsCount", "1.2.11"),
    ("listSavedRevisions", "1.2.11"),
    ("restoreRevision", "1.2.11"),
    ("appendChatMessage", "1.2.12"),
    ("appendText", "1.2.13"),
    ("getStats", "1.2.14"),
    ("copyPadWithoutHistory", "1.2.15"),
    // ypad's own, in every version: moderators lock a pad after its session.
    ("lockPad", "1"),
    ("unlockPad", "1"),
    ("getPadLock", "1"),
];

/// The version that introduced `function`, if it exists.
pub fn since(function: &str) -> Option<&'static str> {
    FUNCTIONS
        .iter()
        .chain(super::groups::FUNCTIONS)
        .find(|(name, _)| *name == function)
        .map(|(_, v)| *v)
}

pub async fn call(state: &AppState, function: &str, p: &Params) -> Result<Value, ApiError> {
    match function {
        "createPad" => create_pad(state, p).await,
        "getRevisionsCount" => {
            let (_, head) = existing(state, p, "padID").await?;
            Ok(json!({ "revisions": head }))
        }
        "getLastEdited" => get_last_edited(state, p).await,
        "deletePad" => delete_pad(state, p).await,
        "getReadOnlyID" => get_read_only_id(state, p).await,
        "getPadID" => get_pad_id(state, p).await,
        "listAuthorsOfPad" => {
            let (id, _) = existing(state, p, "padID").await?;
            let key = id.to_string();
            let ids = state
                .engine
                .blocking(move |s| s.authors_of_pad(&key))
                .await?;
            Ok(json!({ "authorIDs": ids }))
        }
        "padUsersCount" => {
            let id = pad_id(p, "padID")?;
            let n = state.engine.peek(&id).map_or(0, |pad| pad.connections());
            Ok(json!({ "padUsersCount": n }))
        }
        "padUsers" => pad_users(state, p),
        "getText" => {
            let (id, rev) = pad_at(state, p).await?;
            Ok(json!({ "text": etherpad_text(&text_at(state, &id, rev).await?) }))
        }
        "setText" => {
            let text = p.required("text")?.to_owned();
            edit(state, p, Edit::Replace(text)).await
        }
        "appendText" => {
            let text = p.required("text")?.to_owned();
            edit(state, p, Edit::Append(text)).await
        }
        "getHTML" => {
            let (id, rev) = pad_at(state, p).await?;
            let body = ypad_formats::markdown::to_html_body(&text_at(state, &id, rev).await?);
            Ok(json!({ "html": format!("<!DOCTYPE HTML><html><body>{body}</body></html>") }))
        }
        "setHTML" => {
            let markdown = ypad_formats::html::to_markdown(p.required("html")?);
            edit(state, p, Edit::Replace(markdown)).await
        }
        "createDiffHTML" => create_diff_html(state, p).await,
        "restoreRevision" => {
            let (id, rev) = pad_at(state, p).await?;
            let old = text_at(state, &id, rev).await?;
            edit(state, p, Edit::Replace(old)).await
        }
        "getRevisionChangeset" => {
            let (id, rev) = pad_at(state, p).await?;
            let before = text_at(state, &id, rev.saturating_sub(1)).await?;
            let after = text_at(state, &id, rev).await?;
            let changeset = ypad_formats::etherpad::Changeset::splice(
                &etherpad_text(&before),
                &etherpad_text(&after),
                &[],
            );
            Ok(json!(changeset.to_string()))
        }
        "getAttributePool" => {
            let (id, _) = existing(state, p, "padID").await?;
            let key = id.to_string();
            let authors = state
                .engine
                .blocking(move |s| s.authors_of_pad(&key))
                .await?;
            let num_to_attrib: serde_json::Map<String, Value> = authors
                .iter()
                .enumerate()
                .map(|(i, a)| (i.to_string(), json!(["author", a])))
                .collect();
            Ok(json!({ "pool": { "numToAttrib": num_to_attrib, "nextNum": authors.len() } }))
        }
        "saveRevision" => save_revision(state, p).await,
        "getSavedRevisionsCount" => {
            let saved = saved_revisions(state, p).await?;
            Ok(json!({ "savedRevisions": saved.len() }))
        }
        "listSavedRevisions" => {
            let saved = saved_revisions(state, p).await?;
            let revs: Vec<u64> = saved.iter().map(|s| s.rev).collect();
            Ok(json!({ "savedRevisions": revs }))
        }
        "copyPad" => copy_pad(state, p, CopyMode::WithHistory).await,
        "copyPadWithoutHistory" => copy_pad(state, p, CopyMode::WithoutHistory).await,
        "movePad" => copy_pad(state, p, CopyMode::Move).await,
        "listAllPads" => {
            let mut ids: Vec<String> = state
                .engine
                .blocking(|s| s.list())
                .await?
                .into_iter()
                .map(|m| m.id)
                .collect();
            ids.sort();
            Ok(json!({ "padIDs": ids }))
        }
        "getStats" => get_stats(state).await,
        "lockPad" | "unlockPad" => {
            let (id, _) = existing(state, p, "padID").await?;
            let lock = ypad_store::PadLock {
                locked: function == "lockPad" && p.number("lockAt")?.is_none(),
                lock_at: if function == "lockPad" {
                    p.number("lockAt")?
                } else {
                    None
                },
                by: p
                    .get("authorID")
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned),
                time_ms: wall_ms(),
                chat: function == "lockPad" && p.flag("lockChat"),
            };
            state.engine.set_lock(&id, lock.clone()).await?;
            Ok(crate::moderation::lock_json(Some(&lock)))
        }
        "getPadLock" => {
            let (id, _) = existing(state, p, "padID").await?;
            let lock = state.engine.lock_in_force(&id).await?;
            Ok(crate::moderation::lock_json(lock.as_ref()))
        }
        "checkToken" => Ok(Value::Null),
        "sendClientsMessage" => {
            existing(state, p, "padID").await?;
            p.required("msg")?;
            Ok(json!({}))
        }
        "getChatHistory" => get_chat_history(state, p).await,
        "getChatHead" => {
            let messages = chat_of(state, p).await?;
            Ok(json!({ "chatHead": messages.len() as i64 - 1 }))
        }
        "appendChatMessage" => append_chat_message(state, p).await,
        "createAuthor" => {
            let author = new_author(p.get("name").map(str::to_owned));
            let stored = author.clone();
            state
                .engine
                .blocking(move |s| s.put_author(&stored))
                .await?;
            Ok(json!({ "authorID": author.id }))
        }
        "createAuthorIfNotExistsFor" => {
            let mapper = p.required("authorMapper")?.to_owned();
            let name = p.get("name").map(str::to_owned);
            let candidate = new_author(name.clone());
            let author = state
                .engine
                .blocking(move |s| -> Result<Author, ypad_store::StoreError> {
                    let mut author = s.author_for_mapper(&mapper, &candidate)?;
                    if name.is_some() && author.name != name {
                        author.name = name;
                        s.put_author(&author)?;
                    }
                    Ok(author)
                })
                .await?;
            Ok(json!({ "authorID": author.id }))
        }
        "getAuthorName" => {
            let id = p.required("authorID")?.to_owned();
            let author = state.engine.blocking(move |s| s.author(&id)).await?;
            let author = author.ok_or_else(|| ApiError::bad("authorID does not exist"))?;
            Ok(json!(author.name))
        }
        "listPadsOfAuthor" => {
            let id = p.required("authorID")?.to_owned();
            let key = id.clone();
            let (author, pads) = state
                .engine
                .blocking(move |s| -> Result<_, ypad_store::StoreError> {
                    Ok((s.author(&key)?, s.pads_of_author(&key)?))
                })
                .await?;
            if author.is_none() && pads.is_empty() {
                return Err(ApiError::bad("authorID does not exist"));
            }
            Ok(json!({ "padIDs": pads }))
        }
        _ => match super::groups::call(state, function, p).await {
            Some(result) => result,
            None => Err(ApiError::NoFunction),
        },
    }
}

/// Etherpad's texts always end in a newline; scripts rely on it.
fn etherpad_text(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

fn pad_id(p: &Params, name: &str) -> Result<PadId, ApiError> {
    let raw = p.required(name)?;
    PadId::parse(raw).map_err(|e| ApiError::bad(format!("{name}: {e}")))
}

/// The pad named by parameter `name`, which must exist, with its head revision.
async fn existing(state: &AppState, p: &Params, name: &str) -> Result<(PadId, u64), ApiError> {
    let id = pad_id(p, name)?;
    match state.engine.head(&id).await? {
        Some(head) => Ok((id, head)),
        None => Err(ApiError::bad("padID does not exist")),
    }
}

/// The pad and the revision asked for by `rev` (default: the head).
async fn pad_at(state: &AppState, p: &Params) -> Result<(PadId, u64), ApiError> {
    let (id, head) = existing(state, p, "padID").await?;
    match p.number("rev")? {
        None => Ok((id, head)),
        Some(rev) if rev > head => Err(ApiError::bad(
            "rev is higher than the head revision of the pad",
        )),
        Some(rev) => Ok((id, rev)),
    }
}

async fn text_at(state: &AppState, id: &PadId, rev: u64) -> Result<String, ApiError> {
    Ok(state.engine.text_at(id, rev).await?)
}

/// Applies a server-side edit to an existing pad, attributed to `authorId` when given.
async fn edit(state: &AppState, p: &Params, edit: Edit) -> Result<Value, ApiError> {
    let (id, _) = existing(state, p, "padID").await?;
    let author = p
        .get("authorId")
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let pad = state.engine.checkout(&id).await?;
    pad.apply(author.as_deref(), edit)?;
    Ok(Value::Null)
}

async fn create_pad(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let id = pad_id(p, "padID")?;
    if id.is_read_only() {
        return Err(ApiError::bad("padID may not start with r."));
    }
    if id.group().is_some() {
        return Err(ApiError::bad("use createGroupPad to create group pads"));
    }
    if state.engine.head(&id).await?.is_some() {
        return Err(ApiError::bad("padID does already exist"));
    }
    let key = id.to_string();
    let created = state
        .engine
        .blocking(move |s| s.create(&key, wall_ms()))
        .await?;
    if !created {
        return Err(ApiError::bad("padID does already exist"));
    }
    if let Some(text) = p.get("text").filter(|t| !t.is_empty()) {
        let author = p
            .get("authorId")
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        let pad = state.engine.checkout(&id).await?;
        pad.apply(author.as_deref(), Edit::Replace(text.to_owned()))?;
    }
    Ok(Value::Null)
}

async fn get_last_edited(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let (id, _) = existing(state, p, "padID").await?;
    state.engine.barrier().await;
    let key = id.to_string();
    let meta = state.engine.blocking(move |s| s.meta(&key)).await?;
    let last = meta.map_or(0, |m| m.last_edited_ms);
    Ok(json!({ "lastEdited": last }))
}

async fn delete_pad(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let (id, _) = existing(state, p, "padID").await?;
    remove(state, &id).await?;
    Ok(Value::Null)
}

/// Closes the pad's connections, lets its last revisions reach the disk, then deletes it.
async fn remove(state: &AppState, id: &PadId) -> Result<(), ApiError> {
    state.engine.delete(id).await?;
    Ok(())
}

async fn get_read_only_id(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let (id, _) = existing(state, p, "padID").await?;
    let ro = state.engine.read_only_id(&id).await?;
    Ok(json!({ "readOnlyID": ro }))
}

async fn get_pad_id(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let ro = p.required("roID")?.to_owned();
    let pad = state
        .engine
        .blocking(move |s| s.pad_of_read_only_id(&ro))
        .await?;
    let pad = pad.ok_or_else(|| ApiError::bad("padID does not exist"))?;
    Ok(json!({ "padID": pad }))
}

fn pad_users(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let id = pad_id(p, "padID")?;
    let users: Vec<Value> = state
        .engine
        .peek(&id)
        .map(|pad| pad.awareness_states())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(client, json)| {
            let state: Value = serde_json::from_str(&json).ok()?;
            let user = state.get("user")?;
            Some(json!({
                "id": user.get("id").cloned().unwrap_or_else(|| json!(format!("y.{client}"))),
                "name": user.get("name").cloned().unwrap_or(Value::Null),
                "colorId": user.get("color").cloned().unwrap_or(Value::Null),
                "timestamp": Value::Null,
            }))
        })
        .collect();
    Ok(json!({ "padUsers": users }))
}

async fn create_diff_html(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let (id, head) = existing(state, p, "padID").await?;
    let start = p.number("startRev")?.unwrap_or(0);
    let end = p.number("endRev")?.unwrap_or(head);
    if start > head || end > head {
        return Err(ApiError::bad(
            "rev is higher than the head revision of the pad",
        ));
    }
    if start > end {
        return Err(ApiError::bad("startRev is higher than endRev"));
    }
    let before = text_at(state, &id, start).await?;
    let after = text_at(state, &id, end).await?;
    let mut authors: Vec<String> = state
        .engine
        .entries(&id, start + 1, end)
        .await?
        .into_iter()
        .filter_map(|e| e.author)
        .collect();
    authors.sort();
    authors.dedup();
    Ok(json!({ "html": ypad_formats::diff::html(&before, &after), "authors": authors }))
}

async fn save_revision(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let (id, rev) = pad_at(state, p).await?;
    let saved = SavedRevision {
        rev,
        label: format!("Revision {rev}"),
        author: p.get("authorId").map(str::to_owned),
        time_ms: wall_ms(),
    };
    let key = id.to_string();
    state
        .engine
        .blocking(move |s| s.save_revision(&key, &saved))
        .await?;
    Ok(Value::Null)
}

async fn saved_revisions(state: &AppState, p: &Params) -> Result<Vec<SavedRevision>, ApiError> {
    let (id, _) = existing(state, p, "padID").await?;
    let key = id.to_string();
    Ok(state
        .engine
        .blocking(move |s| s.saved_revisions(&key))
        .await?)
}

async fn copy_pad(state: &AppState, p: &Params, mode: CopyMode) -> Result<Value, ApiError> {
    let (source, _) = existing(state, p, "sourceID").await?;
    let destination = pad_id(p, "destinationID")?;
    if destination.is_read_only() {
        return Err(ApiError::bad("destinationID may not start with r."));
    }
    if source == destination {
        return Err(ApiError::bad("sourceID and destinationID are the same"));
    }
    if state.engine.head(&destination).await?.is_some() {
        if !p.flag("force") {
            return Err(ApiError::bad("destinationID does already exist"));
        }
        remove(state, &destination).await?;
    }
    state.engine.copy(&source, &destination, mode).await?;
    Ok(Value::Null)
}

async fn get_stats(state: &AppState) -> Result<Value, ApiError> {
    let total = state.engine.blocking(|s| s.list()).await?.len();
    let active = state
        .engine
        .loaded()
        .iter()
        .filter(|p| p.connections() > 0)
        .count();
    Ok(json!({
        "totalPads": total,
        "totalSessions": state.connections(),
        "totalActivePads": active,
    }))
}

async fn chat_of(state: &AppState, p: &Params) -> Result<Vec<ChatMessage>, ApiError> {
    let (id, _) = existing(state, p, "padID").await?;
    let pad = state.engine.checkout(&id).await?;
    Ok(pad.with_doc(|doc| doc.chat()))
}

async fn get_chat_history(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let messages = chat_of(state, p).await?;
    let (start, end) = (p.number("start")?, p.number("end")?);
    let range = match (start, end) {
        (None, None) => 0..messages.len(),
        (Some(start), Some(end)) => {
            let head = messages.len() as u64;
            if start >= head {
                return Err(ApiError::bad(
                    "start is higher or equal to the current chatHead",
                ));
            }
            if end >= head {
                return Err(ApiError::bad(
                    "end is higher or equal to the current chatHead",
                ));
            }
            if end < start {
                return Err(ApiError::bad("end is lower than start"));
            }
            start as usize..end as usize + 1
        }
        _ => {
            return Err(ApiError::bad(
                "start and end must both be given, or neither",
            ));
        }
    };
    let messages: Vec<Value> = messages[range]
        .iter()
        .map(|m| {
            json!({
                "text": m.text,
                "userId": m.author_id.clone().unwrap_or_default(),
                "time": m.time,
                "userName": m.name,
            })
        })
        .collect();
    Ok(json!({ "messages": messages }))
}

async fn append_chat_message(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let (id, _) = existing(state, p, "padID").await?;
    let text = p.required("text")?.to_owned();
    let author_id = p.required("authorID")?.to_owned();
    let time = p.number("time")?.unwrap_or_else(wall_ms);
    let message = state
        .engine
        .chat_message(Some(author_id.clone()), text, time)
        .await?;
    let pad = state.engine.checkout(&id).await?;
    pad.apply(Some(&author_id), Edit::Chat(message))?;
    Ok(Value::Null)
}
