//! Etherpad's pad file URLs: `GET /p/{pad}/export/{type}`, `GET /p/{pad}/{rev}/export/{type}`
//! and `POST /p/{pad}/import` (multipart field `file`). No API key, like Etherpad's links.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use ypad_engine::{ExportOptions, Format, TransferError};

use crate::access::Visitor;
use crate::error::HttpError;
use crate::moderation::Writing;
use crate::state::AppState;

/// What RFC 5987 leaves unencoded in `filename*` (its `attr-char`, less a few for simplicity).
const FILENAME_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'_').remove(b'-');

/// Import uploads larger than this are refused before they are read whole.
pub(crate) const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// An export URL's query: `?comments=1` adds the comment threads as footnotes.
#[derive(serde::Deserialize)]
pub(crate) struct ExportQuery {
    comments: Option<String>,
}

impl ExportQuery {
    fn comments(&self) -> Result<bool, HttpError> {
        match self.comments.as_deref() {
            None | Some("0" | "false" | "no") => Ok(false),
            Some("" | "1" | "true" | "yes") => Ok(true),
            Some(other) => Err(HttpError::BadRequest(format!(
                "comments={other:?}: use comments=1 or comments=0"
            ))),
        }
    }
}

pub(crate) async fn export_head(
    visitor: Visitor,
    State(state): State<AppState>,
    Path((pad, kind)): Path<(String, String)>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    visitor.caller.take_transfer(&state)?;
    export(&visitor, state, pad, None, kind, query.comments()?).await
}

pub(crate) async fn export_rev(
    visitor: Visitor,
    State(state): State<AppState>,
    Path((pad, rev, kind)): Path<(String, String, String)>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    visitor.caller.take_transfer(&state)?;
    let rev = rev
        .parse::<u64>()
        .map_err(|_| HttpError::BadRequest(format!("revision {rev:?} is not a number")))?;
    export(&visitor, state, pad, Some(rev), kind, query.comments()?).await
}

/// The pad behind `raw` at `rev` in the format `kind`. The file is named (and an `.etherpad`
/// file's pad, and an HTML page's title) after `raw` as given: a read-only id stays one.
async fn export(
    visitor: &Visitor,
    state: AppState,
    raw: String,
    rev: Option<u64>,
    kind: String,
    comments: bool,
) -> Result<Response, HttpError> {
    let format = Format::parse(&kind).ok_or_else(|| {
        HttpError::NotFound(format!(
            "no export type {kind:?} (markdown, md, txt, html, etherpad)"
        ))
    })?;
    let id = visitor.open(&state, &raw).await?.id;
    let options = ExportOptions { format, comments };
    let body = state.engine.export(&id, &raw, rev, options).await?;
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
    let encoded = utf8_percent_encode(filename, FILENAME_UNRESERVED);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

pub(crate) async fn import(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, HttpError> {
    visitor.caller.take_transfer(&state)?;
    let refused = || HttpError::BadRequest("a read-only pad cannot be imported into".into());
    let opened = visitor.open_writable(&state, &raw, refused).await?;
    crate::moderation::ensure_unlocked_for(&state, &opened, &visitor, Writing::Text).await?;
    let id = opened.id;
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
    let parsed = tokio::task::spawn_blocking(move || ypad_engine::read_file(&file, &bytes))
        .await
        .map_err(|e| HttpError::BadRequest(format!("unreadable upload: {e}")))??;
    let head = state
        .engine
        .import(&id, parsed)
        .await
        .map_err(|e| match e {
            TransferError::BadFile(why) => TransferError::BadFile(format!("{name}: {why}")),
            other => other,
        })?;
    Ok(
        axum::Json(
            serde_json::json!({ "code": 0, "message": "ok", "data": { "revisions": head } }),
        )
        .into_response(),
    )
}
