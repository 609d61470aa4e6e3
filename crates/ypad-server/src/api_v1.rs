//! The native JSON API for new scripts, under `/api/v1/pads`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use ypad_core::PadId;
use ypad_store::PadMeta;

use crate::access::{KeyHolder, Visitor};
use crate::error::HttpError;
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    /// Only pads whose id starts with this.
    prefix: Option<String>,
    /// At most this many, newest edit first.
    limit: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PadSummary {
    id: String,
    revisions: u64,
    last_edited: u64,
    created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_only_id: Option<String>,
}

impl From<PadMeta> for PadSummary {
    fn from(m: PadMeta) -> Self {
        PadSummary {
            id: m.id,
            revisions: m.revisions,
            last_edited: m.last_edited_ms,
            created_at: m.created_ms,
            read_only_id: None,
        }
    }
}

/// `GET /api/v1/pads`: every pad's id, so only for holders of the API key.
pub(crate) async fn list(
    _: KeyHolder,
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, HttpError> {
    state.engine.barrier().await;
    let mut pads = state.engine.blocking(|store| store.list()).await?;
    if let Some(prefix) = &q.prefix {
        pads.retain(|m| m.id.starts_with(prefix.as_str()));
    }
    pads.sort_by(|a, b| {
        b.last_edited_ms
            .cmp(&a.last_edited_ms)
            .then(a.id.cmp(&b.id))
    });
    if let Some(limit) = q.limit {
        pads.truncate(limit);
    }
    let pads: Vec<PadSummary> = pads.into_iter().map(PadSummary::from).collect();
    Ok(Json(serde_json::json!({ "pads": pads })))
}

pub(crate) async fn meta(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<PadSummary>, HttpError> {
    // Through a read-only id this would name the writable pad: as if it did not exist.
    let not_found = || HttpError::NotFound(format!("pad {raw} does not exist"));
    let id = visitor.open_writable(&state, &raw, not_found).await?.id;
    // Revisions accepted a moment ago may still be on their way to the store.
    state.engine.barrier().await;
    let key = id.to_string();
    let stored = state.engine.blocking(move |store| store.meta(&key)).await?;
    let live = state.engine.peek(&id);
    let mut summary = match (stored, &live) {
        (Some(meta), _) => PadSummary::from(meta),
        // On a relaying node the owner may not have stored the edits its replica shows yet.
        (None, Some(live)) if live.holds_edits() => {
            let now = ypad_engine::wall_ms();
            PadSummary {
                id: id.to_string(),
                revisions: 0,
                last_edited: now,
                created_at: now,
                read_only_id: None,
            }
        }
        _ => return Err(not_found()),
    };
    if let Some(live) = &live {
        summary.revisions = summary.revisions.max(live.head_rev());
    }
    let read_only_id = state.engine.read_only_id(&id).await?;
    summary.read_only_id = Some(read_only_id);
    Ok(Json(summary))
}

pub(crate) async fn text(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let not_found = || HttpError::NotFound(format!("pad {raw} does not exist"));
    let id = visitor.open_writable(&state, &raw, not_found).await?.id;
    let exists = state.engine.peek(&id).is_some() || {
        let key = id.to_string();
        state
            .engine
            .blocking(move |store| store.meta(&key))
            .await?
            .is_some()
    };
    if !exists {
        return Err(HttpError::NotFound(format!("pad {id} does not exist")));
    }
    let pad = state.engine.checkout(&id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        pad.text(),
    )
        .into_response())
}

/// Names and colours of `ids`, as `{id: {name, color}}`.
async fn author_table(
    state: &AppState,
    ids: Vec<String>,
) -> Result<serde_json::Map<String, serde_json::Value>, HttpError> {
    let authors = state
        .engine
        .blocking(move |store| -> Result<Vec<_>, ypad_store::StoreError> {
            let mut out = Vec::new();
            for id in ids {
                if let Some(a) = store.author(&id)? {
                    out.push(a);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(authors
        .into_iter()
        .map(|a| {
            (
                a.id,
                serde_json::json!({ "name": a.name, "color": a.color }),
            )
        })
        .collect())
}

/// Client id → author of a pad: the live map if loaded, else the stored one.
async fn client_map(state: &AppState, id: &PadId) -> Result<HashMap<u64, String>, HttpError> {
    if let Some(pad) = state.engine.peek(id) {
        return Ok(pad
            .client_authors()
            .into_iter()
            .map(|(c, a)| (c, a.to_string()))
            .collect());
    }
    let key = id.to_string();
    Ok(state
        .engine
        .blocking(move |store| store.client_authors(&key))
        .await?
        .into_iter()
        .collect())
}

/// `GET /api/v1/pads/{pad}/authorship`: which author each Yjs client id belongs to, with the
/// authors' names and colours, for authorship colours in the editor.
pub(crate) async fn authorship(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let id = visitor.open(&state, &raw).await?.id;
    let clients = client_map(&state, &id).await?;
    let mut ids: Vec<String> = clients.values().cloned().collect();
    ids.sort();
    ids.dedup();
    let authors = author_table(&state, ids).await?;
    let clients: serde_json::Map<String, serde_json::Value> = clients
        .into_iter()
        .map(|(c, a)| (c.to_string(), serde_json::Value::String(a)))
        .collect();
    // The pad's creator (its moderator): the presenter view follows the caret of this author's
    // clients. Their author id is already among `clients`, so this tells a reader nothing new.
    let creator = state.engine.creator(&id).await?;
    Ok(Json(
        serde_json::json!({ "clients": clients, "authors": authors, "creator": creator }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct RangeQuery {
    from: Option<u64>,
    to: Option<u64>,
}

/// At most this many revisions per listing; the timeslider pages through the rest.
const MAX_LISTED: u64 = 2000;

/// The pad behind `raw` (a read-only id resolved) with its head revision; 404 if it does not
/// exist.
async fn existing(
    visitor: &Visitor,
    state: &AppState,
    raw: &str,
) -> Result<(PadId, u64), HttpError> {
    let id = visitor.open(state, raw).await?.id;
    match state.engine.head(&id).await? {
        Some(head) => Ok((id, head)),
        None => Err(HttpError::NotFound(format!("pad {id} does not exist"))),
    }
}

/// [`existing`], with `rev` at or before the pad's head revision (else 404).
async fn existing_at(
    visitor: &Visitor,
    state: &AppState,
    raw: &str,
    rev: u64,
) -> Result<(PadId, u64), HttpError> {
    let (id, head) = existing(visitor, state, raw).await?;
    if rev > head {
        return Err(HttpError::NotFound(format!(
            "revision {rev} is beyond the head revision {head}"
        )));
    }
    Ok((id, head))
}

/// `GET /api/v1/pads/{pad}/revisions?from=&to=`: revision times and authors, and the saved
/// revisions.
pub(crate) async fn revisions(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let (id, head) = existing(&visitor, &state, &raw).await?;
    let to = q.to.unwrap_or(head).min(head);
    let from = q.from.unwrap_or(to.saturating_sub(MAX_LISTED - 1)).max(1);
    let to = to.min(from.saturating_add(MAX_LISTED - 1));
    let entries = state.engine.entries(&id, from, to).await?;
    let listed: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| serde_json::json!({ "rev": e.rev, "time": e.time_ms, "author": e.author }))
        .collect();
    let key = id.to_string();
    let saved = state
        .engine
        .blocking(move |s| s.saved_revisions(&key))
        .await?;
    // Lock changes are events of the pad's history too.
    let locks = state.engine.locks(&id).await?;
    Ok(Json(
        serde_json::json!({ "head": head, "revisions": listed, "saved": saved, "locks": locks }),
    ))
}

/// `GET /api/v1/pads/{pad}/revisions/{rev}`: the text at a revision with who wrote each part.
pub(crate) async fn revision(
    visitor: Visitor,
    State(state): State<AppState>,
    Path((raw, rev)): Path<(String, u64)>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let (id, head) = existing_at(&visitor, &state, &raw, rev).await?;
    let rendered = state.engine.render(&id, rev).await?;
    let entry = state.engine.entries(&id, rev, rev).await?.pop();
    let clients = client_map(&state, &id).await?;
    let spans: Vec<serde_json::Value> = rendered
        .spans()
        .into_iter()
        .map(|s| serde_json::json!([s.len, clients.get(&s.client)]))
        .collect();
    let mut ids: Vec<String> = clients.values().cloned().collect();
    ids.sort();
    ids.dedup();
    let authors = author_table(&state, ids).await?;
    Ok(Json(serde_json::json!({
        "rev": rev,
        "head": head,
        "time": entry.as_ref().map(|e| e.time_ms),
        "author": entry.and_then(|e| e.author),
        "text": rendered.text(),
        "spans": spans,
        "authors": authors,
    })))
}

/// `GET /api/v1/pads/{pad}/revisions/{rev}/comments`: the comment threads as they were at a
/// revision, anchored in its text (UTF-16 offsets; `range` null for a thread whose text is gone).
pub(crate) async fn revision_comments(
    visitor: Visitor,
    State(state): State<AppState>,
    Path((raw, rev)): Path<(String, u64)>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let (id, _) = existing_at(&visitor, &state, &raw, rev).await?;
    let threads = state.engine.comments_at(&id, rev).await?;
    Ok(Json(serde_json::json!({ "rev": rev, "threads": threads })))
}

#[derive(Deserialize)]
pub(crate) struct SaveRequest {
    rev: Option<u64>,
    label: Option<String>,
}

/// `POST /api/v1/pads/{pad}/saved` with `{"rev", "label"}`: star a revision (default: the
/// head) as this browser's author.
pub(crate) async fn save_revision(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Json(req): Json<SaveRequest>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let refused = || HttpError::BadRequest("a read-only link cannot save revisions".into());
    let opened = visitor.open_writable(&state, &raw, refused).await?;
    let id = opened.id.clone();
    let head = state
        .engine
        .head(&id)
        .await?
        .ok_or_else(|| HttpError::NotFound(format!("pad {id} does not exist")))?;
    let rev = req.rev.unwrap_or(head);
    if rev > head {
        return Err(HttpError::BadRequest(format!(
            "revision {rev} is beyond the head revision {head}"
        )));
    }
    let label = req.label.unwrap_or_else(|| format!("Revision {rev}"));
    if label.chars().count() > 200 {
        return Err(HttpError::BadRequest(
            "label is longer than 200 characters".into(),
        ));
    }
    let author = visitor.author(&state, &opened).await?;
    let saved = ypad_store::SavedRevision {
        rev,
        label,
        author: author.map(|a| a.to_string()),
        time_ms: ypad_engine::wall_ms(),
    };
    let key = id.to_string();
    let record = saved.clone();
    state
        .engine
        .blocking(move |s| s.save_revision(&key, &record))
        .await?;
    Ok(Json(serde_json::to_value(saved).unwrap_or_default()))
}
