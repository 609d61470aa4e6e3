//! Etherpad's pad file URLs: `GET /p/{pad}/export/{type}`, `GET /p/{pad}/{rev}/export/{type}`
//! and `POST /p/{pad}/import` (multipart field `file`). No API key, like Etherpad's links.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ypad_core::PadId;

use crate::error::HttpError;
use crate::state::AppState;
use crate::transfer::{self, Format, Import, TransferError};

/// Import uploads larger than this are refused before they are read whole.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub async fn export_head(
    State(state): State<AppState>,
    Path((pad, kind)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    export(state, pad, None, kind).await
}

pub async fn export_rev(
    State(state): State<AppState>,
    Path((pad, rev, kind)): Path<(String, String, String)>,
) -> Result<Response, HttpError> {
    let rev = rev
        .parse::<u64>()
        .map_err(|_| HttpError::BadRequest(format!("revision {rev:?} is not a number")))?;
    export(state, pad, Some(rev), kind).await
}

async fn export(
    state: AppState,
    raw: String,
    rev: Option<u64>,
    kind: String,
) -> Result<Response, HttpError> {
    let format = Format::parse(&kind).ok_or_else(|| {
        HttpError::NotFound(format!(
            "no export type {kind:?} (markdown, md, txt, html, etherpad)"
        ))
    })?;
    let (id, _) = crate::ws::resolve(&state, &raw).await?;
    state.persister.barrier().await;
    let key = id.to_string();
    let history = state.persister.history().clone();
    let body = state
        .blocking(move |s| transfer::export(s, &history, &key, rev, format))
        .await?;
    let filename = format!("{raw}.{}", format.extension());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, content_disposition(&filename)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response())
}

/// `attachment` with an ASCII fallback name and the exact name in RFC 5987 form.
fn content_disposition(filename: &str) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

pub async fn import(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, HttpError> {
    let id = PadId::parse(&raw)?;
    if id.is_read_only() {
        return Err(HttpError::BadRequest(
            "a read-only pad cannot be imported into".into(),
        ));
    }
    let mut upload = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| HttpError::BadRequest(format!("malformed upload: {e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload.txt").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| HttpError::BadRequest(format!("malformed upload: {e}")))?;
            upload = Some((name, bytes));
            break;
        }
    }
    let (name, bytes) =
        upload.ok_or_else(|| HttpError::BadRequest("the upload has no `file` field".into()))?;
    let file = name.clone();
    let parsed = tokio::task::spawn_blocking(move || transfer::read_file(&file, &bytes))
        .await
        .map_err(|e| HttpError::BadRequest(format!("unreadable upload: {e}")))??;
    let head = match parsed {
        Import::Text(text) => {
            let pad = state.registry.checkout(&id).await?;
            pad.edit(None, |doc| doc.set_text(&text));
            pad.head_rev()
        }
        Import::Etherpad(json) => {
            if crate::history::head(&state, &id)
                .await?
                .is_some_and(|head| head > 0)
            {
                return Err(TransferError::PadNotEmpty(id.to_string()).into());
            }
            // The whole history is written straight to the store, so the pad must not be
            // live meanwhile; it loads afresh on its next connection.
            state.registry.retire(&id);
            state.persister.barrier().await;
            let key = id.to_string();
            state
                .blocking(move |s| transfer::import_etherpad(s, &key, &json))
                .await
                .map_err(|e| match e {
                    TransferError::BadFile(why) => TransferError::BadFile(format!("{name}: {why}")),
                    other => other,
                })?
        }
    };
    Ok(
        axum::Json(
            serde_json::json!({ "code": 0, "message": "ok", "data": { "revisions": head } }),
        )
        .into_response(),
    )
}

impl From<TransferError> for HttpError {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::NoSuchPad(_) | TransferError::RevisionTooHigh { .. } => {
                HttpError::NotFound(e.to_string())
            }
            TransferError::BadFile(_) | TransferError::PadNotEmpty(_) => {
                HttpError::BadRequest(e.to_string())
            }
            TransferError::Load(e) => HttpError::Load(e),
            TransferError::Store(e) => HttpError::Store(e),
        }
    }
}
