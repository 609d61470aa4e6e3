//! A pad's moderators and what they may do: lock it (now or at a set time), unlock it, delete
//! it. The pad's creator (the author of its first revision, by their browser identity) and
//! holders of the API key are its moderators.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use ypad_engine::wall_ms;
use ypad_store::PadLock;

use crate::access::{Opened, Visitor};
use crate::error::HttpError;
use crate::state::AppState;

/// The lock as the API shows it (`{locked, lockAt, by}`); unlocked when none was ever set.
pub(crate) fn lock_json(lock: Option<&PadLock>) -> Value {
    let now = wall_ms();
    json!({
        "locked": lock.is_some_and(|l| l.holds_at(now)),
        "lockAt": lock.and_then(|l| l.lock_at),
        "by": lock.and_then(|l| l.by.clone()),
        "chat": lock.is_some_and(|l| l.chat),
    })
}

/// Who moderates: `Some(author)` for the pad's creator (by cookie or group session),
/// `Some(None)` for the API key, `None` for anyone else.
async fn moderator(
    state: &AppState,
    opened: &Opened,
    visitor: &Visitor,
) -> Result<Option<Option<String>>, HttpError> {
    if visitor.caller.has_key {
        return Ok(Some(None));
    }
    let author = visitor.author(state, opened).await?;
    let creator = state.engine.creator(&opened.id).await?;
    Ok(match (author, creator) {
        (Some(author), Some(creator)) if *author == *creator => Some(Some(creator)),
        _ => None,
    })
}

/// What an HTTP request writes to a pad, for the lock's sake: a lock holds text always, chat
/// only when the moderator locked it too.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writing {
    Text,
    Chat,
}

/// Refuses a write through HTTP (an import, a chat message) while a lock holds it, unless the
/// caller moderates.
pub(crate) async fn ensure_unlocked_for(
    state: &AppState,
    opened: &Opened,
    visitor: &Visitor,
    writing: Writing,
) -> Result<(), HttpError> {
    let lock = state.engine.lock_in_force(&opened.id).await?;
    let holds = lock.is_some_and(|l| l.holds_at(wall_ms()) && (writing == Writing::Text || l.chat));
    if holds && moderator(state, opened, visitor).await?.is_none() {
        return Err(HttpError::Forbidden(match writing {
            Writing::Text => "the pad is locked".into(),
            Writing::Chat => "the chat is locked".into(),
        }));
    }
    Ok(())
}

/// The pad behind `raw`, which must exist and which the visitor may open.
async fn existing(state: &AppState, raw: &str, visitor: &Visitor) -> Result<Opened, HttpError> {
    let opened = visitor.open(state, raw).await?;
    if state.engine.head(&opened.id).await?.is_none() {
        return Err(HttpError::NotFound(format!("pad {raw} does not exist")));
    }
    Ok(opened)
}

/// `GET /api/v1/pads/{pad}/lock`: the lock in force, and whether the caller may change it.
pub(crate) async fn get_lock(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let opened = existing(&state, &raw, &visitor).await?;
    let lock = state.engine.lock_in_force(&opened.id).await?;
    let mut body = lock_json(lock.as_ref());
    let may_change = !opened.read_only && moderator(&state, &opened, &visitor).await?.is_some();
    body["moderator"] = json!(may_change);
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LockRequest {
    /// Lock now (`true`) or lift the lock (`false`).
    #[serde(default)]
    locked: bool,
    /// Lock at this time (ms since the epoch) instead; `null` cancels a scheduled lock.
    #[serde(default)]
    lock_at: Option<u64>,
    /// Lock the chat with the pad.
    #[serde(default)]
    chat: bool,
}

/// `PUT /api/v1/pads/{pad}/lock` with `{"locked", "lockAt"}`: for the pad's moderators.
pub(crate) async fn put_lock(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Json(request): Json<LockRequest>,
) -> Result<Json<Value>, HttpError> {
    let opened = existing(&state, &raw, &visitor).await?;
    let by = match moderator(&state, &opened, &visitor).await? {
        Some(by) if !opened.read_only => by,
        _ => {
            return Err(HttpError::Forbidden(
                "only the pad's moderators may lock or unlock it".into(),
            ));
        }
    };
    let lock = PadLock {
        locked: request.locked,
        lock_at: request.lock_at,
        by,
        time_ms: wall_ms(),
        chat: request.chat,
    };
    state.engine.set_lock(&opened.id, lock.clone()).await?;
    let mut body = lock_json(Some(&lock));
    body["moderator"] = json!(true);
    Ok(Json(body))
}

/// `DELETE /api/v1/pads/{pad}`: for the pad's moderators. The page asks for confirmation,
/// naming the pad, before it calls this.
pub(crate) async fn delete_pad(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let opened = existing(&state, &raw, &visitor).await?;
    let id = &opened.id;
    if opened.read_only || moderator(&state, &opened, &visitor).await?.is_none() {
        return Err(HttpError::Forbidden(
            "only the pad's moderators may delete it".into(),
        ));
    }
    state.engine.delete(id).await?;
    Ok(Json(json!({ "deleted": id.as_str() })))
}

#[derive(Deserialize)]
pub(crate) struct ChatRequest {
    text: String,
}

/// `POST /api/v1/pads/{pad}/chat` with `{"text"}`: a chat message as the caller's author. While
/// a lock holds, the WebSocket refuses every write, chat included; this way people go on
/// chatting about a locked pad unless its moderator locked the chat too.
pub(crate) async fn post_chat(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Json(request): Json<ChatRequest>,
) -> Result<Json<Value>, HttpError> {
    let refused = || HttpError::Forbidden("a read-only link cannot chat".into());
    let opened = visitor.open_writable(&state, &raw, refused).await?;
    if state.engine.head(&opened.id).await?.is_none() {
        return Err(HttpError::NotFound(format!("pad {raw} does not exist")));
    }
    let text = request.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(HttpError::BadRequest(
            "a chat message has 1 to 2000 characters".into(),
        ));
    }
    ensure_unlocked_for(&state, &opened, &visitor, Writing::Chat).await?;
    let author = visitor
        .author(&state, &opened)
        .await?
        .map(|a| a.to_string());
    let message = state
        .engine
        .chat_message(author.clone(), text.to_owned(), wall_ms())
        .await?;
    let pad = state.engine.checkout(&opened.id).await?;
    pad.apply(author.as_deref(), ypad_engine::Edit::Chat(message))
        .map_err(|e| HttpError::BadRequest(e.to_string()))?;
    Ok(Json(json!({ "sent": true })))
}
