//! Events over HTTP: `/api/v1/events` (made, changed and removed with the API key), the public
//! JSON of an event with each session's live state, search across its pads, the event page
//! `/e/{event}` and its calendar `/e/{event}.ics`. What an event does to its pads is the
//! engine's (`ypad_engine::events`); this module reads requests and writes responses.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use ypad_engine::EventError;
use ypad_engine::events::{self, pad_url};
use ypad_formats::schedule::{self, CalendarEntry};
use ypad_formats::search;
use ypad_store::Event;

use crate::access::{Caller, KeyHolder, Visitor};
use crate::error::HttpError;
use crate::state::AppState;

impl From<EventError> for HttpError {
    fn from(e: EventError) -> Self {
        match e {
            EventError::Store(e) => HttpError::Store(e),
            EventError::Transfer(e) => e.into(),
            EventError::History(e) => HttpError::History(e),
            other => HttpError::BadRequest(other.to_string()),
        }
    }
}

/// Where this server is reached, as the request names it: the base of `{{url}}` in templates
/// and of the calendar's links.
fn base_url(headers: &HeaderMap, caller: &Caller) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if caller.https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// `POST /api/v1/events` and `PUT /api/v1/events/{event}`: the fields given replace the stored
/// ones (so `{"freezeAfterEnd": false}` alone thaws an event); `schedule` (CSV, JSON or
/// iCalendar text) replaces the sessions.
pub(crate) async fn post(
    _: KeyHolder,
    caller: Caller,
    headers: HeaderMap,
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> Result<Response, HttpError> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| HttpError::BadRequest("the event needs an `id`".into()))?
        .to_owned();
    put_event(&state, &id, body, &base_url(&headers, &caller)).await
}

pub(crate) async fn put(
    _: KeyHolder,
    caller: Caller,
    headers: HeaderMap,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, HttpError> {
    if body
        .get("id")
        .is_some_and(|given| given.as_str() != Some(&id))
    {
        return Err(HttpError::BadRequest(format!(
            "the body's `id` differs from the address's {id:?}"
        )));
    }
    put_event(&state, &id, body, &base_url(&headers, &caller)).await
}

async fn put_event(
    state: &AppState,
    id: &str,
    mut body: Value,
    base: &str,
) -> Result<Response, HttpError> {
    let Value::Object(patch) = &mut body else {
        return Err(HttpError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    schedule::check_event_id(id).map_err(|e| HttpError::BadRequest(e.to_string()))?;
    let old = state.engine.event(id).await?;
    let event = events::merge(id, old.as_ref(), std::mem::take(patch))?;
    let applied = state.engine.put_event(event, base).await?;
    let stored = state.engine.event(id).await?;
    let status = if old.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!({ "event": stored, "applied": applied }))).into_response())
}

fn bad_json(e: serde_json::Error) -> HttpError {
    HttpError::BadRequest(format!("not an event: {e}"))
}

/// `DELETE /api/v1/events/{event}`: the event goes, its pads stay (unlisted again).
pub(crate) async fn delete(
    _: KeyHolder,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    if state.engine.delete_event(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

fn not_found(id: &str) -> HttpError {
    HttpError::NotFound(format!("event {id} does not exist"))
}

async fn existing(state: &AppState, id: &str) -> Result<Event, HttpError> {
    state.engine.event(id).await?.ok_or_else(|| not_found(id))
}

/// `GET /api/v1/events/{event}`: public, as the organiser listed the pads. The stored record,
/// each session with its pad's `url`, `present` (connections now), `lastEditedMs` and `chars`.
pub(crate) async fn get(
    caller: Caller,
    headers: HeaderMap,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let event = existing(&state, &id).await?;
    let live = state
        .engine
        .sessions_live(&event, &state.event_texts)
        .await?;
    let base = base_url(&headers, &caller);
    let mut body = serde_json::to_value(&event).map_err(bad_json)?;
    if let Some(sessions) = body.get_mut("sessions").and_then(Value::as_array_mut) {
        for ((json, session), live) in sessions.iter_mut().zip(&event.sessions).zip(live) {
            json["url"] = json!(pad_url(&base, &session.pad));
            json["present"] = json!(live.present);
            json["lastEditedMs"] = json!(live.last_edited_ms);
            json["chars"] = json!(live.chars);
        }
    }
    body["nowMs"] = json!(ypad_engine::wall_ms());
    // Live counts: a reader polls this, so no cache may hold it.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /api/v1/events/{event}/search?q=…`: the event's pads ranked, with marked snippets.
pub(crate) async fn search(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, HttpError> {
    // Snippets show the pads' text: only to those who could open the pads. Event pads are never
    // group pads, so with `--require-session` browsers open none of them.
    if state.config.require_session && !caller.has_key {
        return Err(HttpError::Forbidden(
            "This server serves group pads only; an event's pads are not open to browsers.".into(),
        ));
    }
    let event = existing(&state, &id).await?;
    let Some(parsed) = search::Query::parse(&query.q) else {
        return Err(HttpError::BadRequest(
            "`q` has no word to search for".into(),
        ));
    };
    let hits = state
        .engine
        .search_event(&event, &parsed, &state.event_texts)
        .await?;
    Ok(Json(
        json!({ "query": query.q, "terms": parsed.terms(), "results": hits }),
    ))
}

/// `GET /api/v1/pads/{pad}/event`: the event whose schedule lists the pad and its session, for
/// the pad page's link back. Not through a read-only id: the event's page names the writable pad.
pub(crate) async fn of_pad(
    visitor: Visitor,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let not_listed = || HttpError::NotFound(format!("pad {raw} is in no event's schedule"));
    let opened = visitor.open_writable(&state, &raw, not_listed).await?;
    let Some((event, session)) = state.engine.event_of_pad(opened.id.as_str()).await? else {
        return Err(not_listed());
    };
    Ok(Json(json!({
        "id": event.id,
        "title": event.title,
        "timeZone": event.time_zone,
        "session": {
            "title": session.title,
            "startsMs": session.starts_ms,
            "endsMs": session.ends_ms,
            "room": session.room,
        },
    })))
}

/// `GET /e/{event}` (the page) and `/e/{event}.ics` (its calendar).
pub(crate) async fn page(
    caller: Caller,
    headers: HeaderMap,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    if let Some(id) = raw.strip_suffix(".ics") {
        return calendar(&state, id, &base_url(&headers, &caller)).await;
    }
    let mut response = crate::web::page("event.html", &headers, &caller);
    if state.engine.event(&raw).await?.is_none() {
        // The page says so itself, from the JSON's 404.
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    Ok(response)
}

async fn calendar(state: &AppState, id: &str, base: &str) -> Result<Response, HttpError> {
    let event = existing(state, id).await?;
    let urls: Vec<String> = event
        .sessions
        .iter()
        .map(|s| pad_url(base, &s.pad))
        .collect();
    let entries: Vec<CalendarEntry<'_>> = event
        .sessions
        .iter()
        .zip(&urls)
        .map(|(s, url)| CalendarEntry {
            uid: &s.pad,
            title: &s.title,
            starts_ms: s.starts_ms,
            ends_ms: s.ends_ms,
            room: s.room.as_deref(),
            description: s.description.as_deref(),
            url,
        })
        .collect();
    let ics = schedule::calendar(&event.title, &entries);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        ics,
    )
        .into_response())
}
