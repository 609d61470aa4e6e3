//! The native JSON API for new scripts, under `/api/v1/pads`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use ypad_core::PadId;
use ypad_store::PadMeta;

use crate::error::HttpError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    /// Only pads whose id starts with this.
    prefix: Option<String>,
    /// At most this many, newest edit first.
    limit: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PadSummary {
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

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, HttpError> {
    state.persister.barrier().await;
    let mut pads = state.blocking(|store| store.list()).await?;
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

pub async fn meta(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<PadSummary>, HttpError> {
    let id = PadId::parse(&raw)?;
    // Revisions accepted a moment ago may still be on their way to the store.
    state.persister.barrier().await;
    let key = id.to_string();
    let candidate = format!("r.{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let (meta, read_only_id) = state
        .blocking(move |store| -> Result<_, ypad_store::StoreError> {
            let Some(meta) = store.meta(&key)? else {
                return Ok((None, String::new()));
            };
            let ro = store.read_only_id(&key, &candidate)?;
            Ok((Some(meta), ro))
        })
        .await?;
    let meta = meta.ok_or_else(|| HttpError::NotFound(format!("pad {id} does not exist")))?;
    let mut summary = PadSummary::from(meta);
    if let Some(live) = state.registry.peek(&id) {
        summary.revisions = summary.revisions.max(live.head_rev());
    }
    summary.read_only_id = Some(read_only_id);
    Ok(Json(summary))
}

pub async fn text(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let id = PadId::parse(&raw)?;
    let exists = state.registry.peek(&id).is_some() || {
        let key = id.to_string();
        state
            .blocking(move |store| store.meta(&key))
            .await?
            .is_some()
    };
    if !exists {
        return Err(HttpError::NotFound(format!("pad {id} does not exist")));
    }
    let pad = state.registry.checkout(&id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        pad.text(),
    )
        .into_response())
}
