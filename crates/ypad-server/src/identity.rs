//! Browser identities: an opaque token in a cookie, like Etherpad's, mapped server-side to an
//! author (`a.` + 16 characters) with a name and a colour. The same token means the same
//! author across reloads and pads.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ypad_store::Author;

use crate::access::Caller;
use crate::error::HttpError;
use crate::state::AppState;
use ypad_engine::new_author;

pub const COOKIE: &str = "ypad_token";

/// The token in the request's cookies, if it looks like one of ours.
pub fn token(headers: &HeaderMap) -> Option<String> {
    crate::access::cookies(headers, COOKIE)
        .next()
        .map(str::to_owned)
        .filter(|t| {
            t.len() == 34 && t.starts_with("t.") && t[2..].bytes().all(|b| b.is_ascii_hexdigit())
        })
}

/// A `Set-Cookie` for a fresh token when the request has none: out of scripts' reach
/// (`HttpOnly`), not sent by other sites' forms (`SameSite=Lax`), and only over HTTPS when
/// the page came over HTTPS (`Secure`).
pub fn cookie_for(headers: &HeaderMap, caller: &Caller) -> Option<HeaderValue> {
    if token(headers).is_some() {
        return None;
    }
    let token = format!("t.{}", uuid::Uuid::new_v4().simple());
    let secure = if caller.https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// The author behind the request's token, created on first use.
pub async fn author(state: &AppState, headers: &HeaderMap) -> Result<Option<Author>, HttpError> {
    let Some(token) = token(headers) else {
        return Ok(None);
    };
    let candidate = new_author(None);
    let author = state
        .engine
        .blocking(move |s| s.author_for_mapper(&format!("token:{token}"), &candidate))
        .await?;
    Ok(Some(author))
}

/// The author id a WebSocket connection writes as.
pub async fn author_id(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Arc<str>>, HttpError> {
    Ok(author(state, headers).await?.map(|a| Arc::from(a.id)))
}

fn me_json(author: &Author) -> serde_json::Value {
    serde_json::json!({ "authorId": author.id, "name": author.name, "color": author.color })
}

/// `GET /api/v1/me`: this browser's author.
pub async fn me(
    caller: Caller,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let mut response_headers = HeaderMap::new();
    let mut headers = headers;
    if let Some(cookie) = cookie_for(&headers, &caller) {
        // A first visit through the API: hand out the token and use it right away.
        let value = cookie.to_str().unwrap_or_default();
        let pair = value.split(';').next().unwrap_or_default().to_owned();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&pair).unwrap_or(HeaderValue::from_static("")),
        );
        response_headers.insert(header::SET_COOKIE, cookie);
    }
    let author = author(&state, &headers)
        .await?
        .ok_or_else(|| HttpError::BadRequest("no identity cookie".into()))?;
    Ok((response_headers, Json(me_json(&author))).into_response())
}

#[derive(Deserialize)]
pub struct MeUpdate {
    name: Option<String>,
    color: Option<String>,
}

/// `POST /api/v1/me` with `{"name", "color"}`: rename or recolour this browser's author.
pub async fn update_me(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(update): Json<MeUpdate>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let mut author = author(&state, &headers)
        .await?
        .ok_or_else(|| HttpError::BadRequest("no identity cookie".into()))?;
    if let Some(name) = update.name {
        let name = name.trim();
        if name.chars().count() > 100 {
            return Err(HttpError::BadRequest(
                "name is longer than 100 characters".into(),
            ));
        }
        author.name = (!name.is_empty()).then(|| name.to_owned());
    }
    if let Some(color) = update.color {
        let valid = color.len() == 7
            && color.starts_with('#')
            && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(HttpError::BadRequest("color must look like #rrggbb".into()));
        }
        author.color = color.to_ascii_lowercase();
    }
    let stored = author.clone();
    state
        .engine
        .blocking(move |s| s.put_author(&stored))
        .await?;
    Ok(Json(me_json(&author)))
}
