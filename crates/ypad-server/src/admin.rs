//! `/admin`: the operator's pages, signed in with the API key. Server-rendered HTML with plain
//! forms (no script), so they work in any browser and under the pages' Content-Security-Policy.
//!
//! Signing in sets `ypad_admin`, an `HttpOnly`, `SameSite=Strict` cookie holding its expiry and
//! an HMAC of it under the API key: every node that shares the key accepts it, and changing the
//! key signs everyone out. Forms are POSTs; a POST whose `Origin` is another site is refused.

use std::time::Duration;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use ypad_core::PadId;
use ypad_engine::wall_ms;
use ypad_formats::markdown::escape_html as esc;
use ypad_store::PadLock;

use crate::access::Caller;
use crate::error::HttpError;
use crate::state::AppState;
use crate::web::CONTENT_SECURITY_POLICY;

const COOKIE: &str = "ypad_admin";
/// A sign-in lasts a working day.
const SIGNED_IN_FOR: Duration = Duration::from_secs(8 * 3600);
/// Pads listed on one page.
const LISTED: usize = 200;

type HmacSha256 = Hmac<Sha256>;

fn tag(api_key: &str, expires_ms: u64) -> String {
    let mut mac =
        HmacSha256::new_from_slice(api_key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("ypad-admin:{expires_ms}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether the request carries a valid, unexpired admin cookie.
pub(crate) fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(value) = crate::access::cookies(headers, COOKIE).next() else {
        return false;
    };
    let Some((expires, given)) = value.split_once('.') else {
        return false;
    };
    let Ok(expires_ms) = expires.parse::<u64>() else {
        return false;
    };
    let Ok(given) = hex::decode(given) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(state.api_key.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(format!("ypad-admin:{expires_ms}").as_bytes());
    expires_ms > wall_ms() && mac.verify_slice(&given).is_ok()
}

/// A POST from a page of another site (a forged form) has a foreign `Origin`.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\"><title>{} · ypad admin</title>\
         <style>{STYLE}</style></head><body><header><a href=\"/admin\" class=\"home\">ypad admin</a>{}</header>\
         <main>{body}</main></body></html>",
        esc(title),
        if title == "Sign in" {
            String::new()
        } else {
            "<form method=\"post\" action=\"/admin/sign-out\"><button>Sign out</button></form>"
                .into()
        },
    );
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
        ],
        html,
    )
        .into_response()
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2127;background:#f6f7f9}\
header{display:flex;justify-content:space-between;align-items:center;padding:10px 20px;background:#fff;border-bottom:1px solid #dde1e6}\
.home{font-weight:700;text-decoration:none;color:inherit}main{max-width:1100px;margin:20px auto;padding:0 20px}\
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e9ed;vertical-align:middle}\
th{font-size:13px;color:#5a6470}td form{display:inline}button{font:inherit;padding:3px 10px;border-radius:5px;border:1px solid #b9c1cb;background:#fff;cursor:pointer}\
button.danger{border-color:#c0392b;color:#c0392b}input{font:inherit;padding:5px 8px;border:1px solid #b9c1cb;border-radius:5px}\
.stats{display:flex;gap:24px;flex-wrap:wrap;margin:0 0 20px}.stats div{background:#fff;padding:10px 16px;border-radius:8px;border:1px solid #e6e9ed}\
.stats b{display:block;font-size:20px}.error{color:#c0392b}.locked{color:#c0392b;font-weight:600}h2{margin-top:28px}\
@media (prefers-color-scheme: dark){body{background:#15181c;color:#e3e6ea}header,table,.stats div{background:#1d2127;border-color:#2c3238}\
th,td{border-color:#2c3238}button,input{background:#262b31;color:inherit;border-color:#3a424b}}";

fn sign_in_page(status: StatusCode, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    page(
        status,
        "Sign in",
        &format!(
            "<h1>Sign in</h1><p>With the server's API key (<code>APIKEY.txt</code> in its data directory).</p>{error}\
             <form method=\"post\" action=\"/admin/sign-in\"><label>API key \
             <input type=\"password\" name=\"key\" autocomplete=\"current-password\" required autofocus></label> \
             <button>Sign in</button></form>"
        ),
    )
}

#[derive(Deserialize)]
pub(crate) struct DashboardQuery {
    #[serde(default)]
    prefix: String,
}

/// `GET /admin`: the sign-in form, or the pads, stats, groups and sessions.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, HttpError> {
    if !signed_in(&state, &headers) {
        return Ok(sign_in_page(StatusCode::OK, None));
    }
    state.engine.barrier().await;
    let mut pads = state.engine.blocking(|s| s.list()).await?;
    pads.retain(|m| m.id.starts_with(&q.prefix));
    pads.sort_by(|a, b| {
        b.last_edited_ms
            .cmp(&a.last_edited_ms)
            .then(a.id.cmp(&b.id))
    });
    let total = pads.len();
    pads.truncate(LISTED);
    let mut rows = String::new();
    for meta in &pads {
        let Ok(id) = PadId::parse(&meta.id) else {
            continue;
        };
        let live = state.engine.peek(&id);
        let connections = live.as_ref().map_or(0, |p| p.connections());
        let chars = match &live {
            Some(pad) => pad.text().encode_utf16().count(),
            None => state
                .engine
                .export(&id, id.as_str(), None, ypad_engine::Format::Text)
                .await
                .map_or(0, |b| String::from_utf8_lossy(&b).encode_utf16().count()),
        };
        let lock = state.engine.lock_in_force(&id).await?;
        let locked = lock.as_ref().is_some_and(|l| l.holds_at(wall_ms()));
        let scheduled = lock
            .as_ref()
            .and_then(|l| l.lock_at)
            .filter(|_| !locked)
            .map(|at| format!(" (locks at {})", iso(at)))
            .unwrap_or_default();
        let path =
            percent_encoding::utf8_percent_encode(id.as_str(), percent_encoding::NON_ALPHANUMERIC);
        let (lock_label, lock_action) = if locked {
            ("Unlock", "unlock")
        } else {
            ("Lock", "lock")
        };
        rows.push_str(&format!(
            "<tr><td><a href=\"/p/{path}\">{name}</a></td><td>{chars}</td><td>{revs}</td><td><time>{edited}</time></td>\
             <td>{connections}</td><td>{state}{scheduled}</td><td>\
             <form method=\"post\" action=\"/admin/pads/{path}/{lock_action}\"><button>{lock_label}</button></form> \
             <a href=\"/admin/pads/{path}/delete\">Delete…</a></td></tr>",
            name = esc(id.as_str()),
            revs = meta.revisions,
            edited = iso(meta.last_edited_ms),
            state = if locked { "<span class=\"locked\">locked</span>" } else { "open" },
        ));
    }
    let stats = stats(&state).await?;
    let groups = groups_table(&state).await?;
    let shown = if total > pads.len() {
        format!("{} of {total} pads, newest edit first", pads.len())
    } else {
        format!("{total} pads, newest edit first")
    };
    Ok(page(
        StatusCode::OK,
        "Pads",
        &format!(
            "<div class=\"stats\">{stats}</div>\
             <form method=\"get\" action=\"/admin\"><label>Pads whose id starts with \
             <input name=\"prefix\" value=\"{prefix}\" aria-label=\"Id prefix\"></label> <button>Search</button></form>\
             <h2>Pads</h2><p>{shown}</p><table><thead><tr><th>Pad</th><th>Characters</th><th>Revisions</th>\
             <th>Last edit (UTC)</th><th>Connections</th><th>State</th><th></th></tr></thead><tbody>{rows}</tbody></table>{groups}",
            prefix = esc(&q.prefix),
        ),
    ))
}

fn iso(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

async fn stats(state: &AppState) -> Result<String, HttpError> {
    let total = state.engine.blocking(|s| s.list()).await?.len();
    let loaded = state.engine.loaded();
    let active = loaded.iter().filter(|p| p.connections() > 0).count();
    let dir = state.config.data_dir.clone();
    let store_bytes = tokio::task::spawn_blocking(move || dir_size(&dir))
        .await
        .unwrap_or(0);
    let rss = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or("–".to_owned(), |pages| {
            format!("{} MiB", pages * 4096 / (1024 * 1024))
        });
    Ok(format!(
        "<div><b>{total}</b>pads</div><div><b>{}</b>loaded</div><div><b>{active}</b>with people in them</div>\
         <div><b>{}</b>connections</div><div><b>{rss}</b>memory (RSS)</div><div><b>{}</b>data directory</div>",
        loaded.len(),
        state.connections(),
        human_bytes(store_bytes),
    ))
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b => format!("{} KiB", b.div_ceil(1024)),
    }
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn groups_table(state: &AppState) -> Result<String, HttpError> {
    let (groups, sessions) = state
        .engine
        .blocking(|s| -> Result<_, ypad_store::StoreError> { Ok((s.groups()?, s.sessions()?)) })
        .await?;
    if groups.is_empty() {
        return Ok("<h2>Groups</h2><p>No groups.</p>".into());
    }
    let mut out = String::from(
        "<h2>Groups</h2><table><thead><tr><th>Group</th><th>Mapper</th><th>Sessions</th></tr></thead><tbody>",
    );
    for group in &groups {
        let of_group: Vec<String> = sessions
            .iter()
            .filter(|s| s.group_id == group.id)
            .map(|s| {
                format!(
                    "{} → {} until {}",
                    esc(&s.id),
                    esc(&s.author_id),
                    iso(s.valid_until * 1000)
                )
            })
            .collect();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&group.id),
            esc(group.mapper.as_deref().unwrap_or("")),
            if of_group.is_empty() {
                "none".into()
            } else {
                of_group.join("<br>")
            },
        ));
    }
    out.push_str("</tbody></table>");
    Ok(out)
}

#[derive(Deserialize)]
pub(crate) struct SignIn {
    key: String,
}

/// `POST /admin/sign-in`: a wrong key costs from the address's small allowance.
pub(crate) async fn sign_in(
    caller: Caller,
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    if !same_origin(&headers) {
        return sign_in_page(
            StatusCode::FORBIDDEN,
            Some("Sign in from this server's own page."),
        );
    }
    if state.sign_ins.check_key(&caller.ip).is_err() {
        return sign_in_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many attempts from this address; wait a minute."),
        );
    }
    if !crate::etherpad::key_matches(&state.api_key, &form.key) {
        return sign_in_page(StatusCode::UNAUTHORIZED, Some("That is not the API key."));
    }
    let expires = wall_ms() + SIGNED_IN_FOR.as_millis() as u64;
    let secure = if caller.https { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={expires}.{}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        tag(&state.api_key, expires),
        SIGNED_IN_FOR.as_secs()
    );
    (
        [(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static("")),
        )],
        Redirect::to("/admin"),
    )
        .into_response()
}

/// `POST /admin/sign-out`.
pub(crate) async fn sign_out() -> Response {
    (
        [(
            header::SET_COOKIE,
            HeaderValue::from_static("ypad_admin=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
        )],
        Redirect::to("/admin"),
    )
        .into_response()
}

/// The page refusing what only a signed-in admin may do, from this server's own pages; `None`
/// when the request may go ahead.
fn refusal(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    if !signed_in(state, headers) {
        return Some(sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some("Sign in first."),
        ));
    }
    if !same_origin(headers) {
        return Some(page(
            StatusCode::FORBIDDEN,
            "Refused",
            "<p>That form came from another site.</p>",
        ));
    }
    None
}

/// `POST /admin/pads/{pad}/lock` and `/unlock`.
pub(crate) async fn set_lock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((raw, action)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    if let Some(refused) = refusal(&state, &headers) {
        return Ok(refused);
    }
    let id = PadId::parse(&raw)?;
    let locked = match action.as_str() {
        "lock" => true,
        "unlock" => false,
        _ => return Err(HttpError::NotFound(format!("no admin action {action:?}"))),
    };
    let lock = PadLock {
        locked,
        lock_at: None,
        by: None,
        time_ms: wall_ms(),
        chat: false,
    };
    state.engine.set_lock(&id, lock).await?;
    Ok(Redirect::to("/admin").into_response())
}

/// `GET /admin/pads/{pad}/delete`: the confirmation, naming the pad.
pub(crate) async fn confirm_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    if !signed_in(&state, &headers) {
        return Ok(sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some("Sign in first."),
        ));
    }
    let id = PadId::parse(&raw)?;
    let path =
        percent_encoding::utf8_percent_encode(id.as_str(), percent_encoding::NON_ALPHANUMERIC);
    Ok(page(
        StatusCode::OK,
        "Delete a pad",
        &format!(
            "<h1>Delete the pad “{name}”?</h1><p>Its text, its whole history and its chat go for good.</p>\
             <form method=\"post\" action=\"/admin/pads/{path}/delete\"><button class=\"danger\">Delete “{name}”</button></form> \
             <a href=\"/admin\">Keep it</a>",
            name = esc(id.as_str()),
        ),
    ))
}

/// `POST /admin/pads/{pad}/delete`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    if let Some(refused) = refusal(&state, &headers) {
        return Ok(refused);
    }
    let id = PadId::parse(&raw)?;
    state.engine.delete(&id).await?;
    Ok(Redirect::to("/admin").into_response())
}
