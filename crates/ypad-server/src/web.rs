//! The browser client, embedded in the binary from `web/dist` at build time.
//!
//! Asset names carry a content hash, so they are cached forever; pages are revalidated on every
//! visit so a new release is picked up at once.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ypad_core::PadId;

use crate::access::{Caller, Visitor};
use crate::error::HttpError;
use crate::identity;
use crate::state::AppState;

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist/"]
struct Assets;

/// Pages run only the bundled scripts; pad content can never bring its own.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self' ws: wss:; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'self'";

/// A page, handing out an identity cookie on the first visit.
pub(crate) fn page(name: &str, headers: &HeaderMap, caller: &Caller) -> Response {
    let mut response = page_body(name);
    if let Some(cookie) = identity::cookie_for(headers, caller) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn page_body(name: &str) -> Response {
    match Assets::get(name) {
        None => (StatusCode::NOT_FOUND, "the web client is not built").into_response(),
        Some(file) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CONTENT_SECURITY_POLICY),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            file.data,
        )
            .into_response(),
    }
}

pub async fn start_page(caller: Caller, headers: HeaderMap) -> Response {
    page("index.html", &headers, &caller)
}

pub async fn pad_page(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Response {
    pad_scoped_page("pad.html", &raw, &visitor, &state).await
}

pub async fn timeslider_page(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Response {
    pad_scoped_page("timeslider.html", &raw, &visitor, &state).await
}

/// The presenter view for a room's projector: the pad rendered large and read-only, following
/// its moderator's caret. Opened under the same rules as the pad page (a read-only id works).
pub async fn present_page(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Response {
    pad_scoped_page("present.html", &raw, &visitor, &state).await
}

/// A page about one pad. A browser that followed a bad address (too long, a `/` in it) still
/// gets the page, with status 400: the page says what is wrong with the name and offers to
/// fix it, where a JSON error would leave a person with raw JSON. One the visitor may not open
/// (a group pad without a session) gets a plain page saying why.
async fn pad_scoped_page(name: &str, raw: &str, visitor: &Visitor, state: &AppState) -> Response {
    if PadId::parse(raw).is_err() {
        let mut response = page(name, visitor.headers(), &visitor.caller);
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return response;
    }
    match visitor.open(state, raw).await {
        Ok(_) => page(name, visitor.headers(), &visitor.caller),
        Err(err) => refusal_page(&err),
    }
}

/// A page with no script that says why the pad does not open.
fn refusal_page(err: &HttpError) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>This pad is not open to you</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}</style>\
         </head><body><h1>This pad is not open to you</h1><p id=\"why\">{}</p>\
         <p><a href=\"/\">Start page</a></p></body></html>",
        ypad_formats::markdown::escape_html(&err.to_string())
    );
    (
        err.status(),
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn asset(Path(path): Path<String>) -> Response {
    match Assets::get(&format!("static/{path}")) {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(file) => {
            let mime = file.metadata.mimetype().to_owned();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_str(&mime)
                            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                    ),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=31536000, immutable"),
                    ),
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                ],
                file.data,
            )
                .into_response()
        }
    }
}

/// `GET /sw.js`: the service worker that lets a pad page load while offline. Served from the
/// root so that it may control `/p/…` pages.
pub async fn service_worker() -> Response {
    match Assets::get("sw.js") {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(file) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/javascript; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    HeaderName::from_static("service-worker-allowed"),
                    HeaderValue::from_static("/"),
                ),
            ],
            file.data,
        )
            .into_response(),
    }
}
