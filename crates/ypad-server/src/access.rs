//! Who is asking, as far as a request tells: the client's address (its own, or the one a
//! trusted proxy reports), whether it came over HTTPS, whether it holds the API key, and which
//! group sessions its `sessionID` cookie holds. Routes that hand out pad ids or bulk data take
//! these extractors, so the rule sits in the route's signature; every route that shows or
//! writes a pad opens it through [`open_pad`], the one place that says who may.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use ypad_core::PadId;
use ypad_store::GroupSession;

use crate::error::HttpError;
use crate::etherpad::key_matches;
use crate::state::AppState;

/// The client behind a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    /// The peer's address, or the client's as reported by a `--trusted-proxy`.
    pub ip: IpAddr,
    /// The request reached the server (or the trusted proxy in front of it) over HTTPS.
    pub https: bool,
    /// It carries the API key (`apikey` header or parameter, or `Authorization: Bearer`) or an
    /// admin sign-in: either may do everything.
    pub has_key: bool,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let proxied = state.config.trusted_proxy.contains(&peer);
        let forwarded = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|_| proxied)
        };
        // The proxy appends the address it saw: the last entry is the one it vouches for.
        let ip = forwarded("x-forwarded-for")
            .and_then(|list| list.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok())
            .unwrap_or(peer);
        let https = forwarded("x-forwarded-proto")
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        let has_key = given_key(&parts.headers, parts.uri.query())
            .is_some_and(|key| key_matches(&state.api_key, key))
            || crate::admin::signed_in(state, &parts.headers);
        Ok(Caller { ip, https, has_key })
    }
}

/// A request that must hold the API key; 401 otherwise.
pub(crate) struct KeyHolder;

impl FromRequestParts<AppState> for KeyHolder {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        if Caller::from_request_parts(parts, state).await?.has_key {
            Ok(KeyHolder)
        } else {
            Err(HttpError::Unauthorized(
                "this needs the API key (an `apikey` header or parameter)".into(),
            ))
        }
    }
}

/// The key a request offers, wherever it puts it.
fn given_key<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("apikey")
        .or_else(|| header("authorization").map(|v| v.strip_prefix("Bearer ").unwrap_or(v)))
        .or_else(|| {
            query?
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| matches!(*name, "apikey" | "api_key"))
                .map(|(_, value)| value)
        })
}

impl Caller {
    /// Takes one import or export from this caller's allowance; API-key holders (scripts
    /// archiving a whole event) are not counted.
    pub fn take_transfer(&self, state: &AppState) -> Result<(), HttpError> {
        if self.has_key || state.transfers.check_key(&self.ip).is_ok() {
            return Ok(());
        }
        Err(HttpError::TooManyRequests(
            "too many imports and exports from this address; wait a minute".into(),
        ))
    }
}

/// A pad a request may open: its id (a read-only id resolved), whether through a read-only
/// id, and the group session that let it in, if one did (its author writes).
pub(crate) struct Opened {
    pub id: PadId,
    pub read_only: bool,
    pub session: Option<GroupSession>,
}

/// Resolves `raw` (a pad id or read-only id) and checks that the request may open that pad: a
/// group pad needs the API key, its being public, or an unexpired session of its group in the
/// `sessionID` cookie; with `--require-session` nothing else opens in a browser.
pub(crate) async fn open_pad(
    state: &AppState,
    raw: &str,
    caller: &Caller,
    headers: &HeaderMap,
) -> Result<Opened, HttpError> {
    let (id, read_only) = crate::ws::resolve(state, raw).await?;
    if caller.has_key {
        return Ok(Opened {
            id,
            read_only,
            session: None,
        });
    }
    let Some(group) = id.group().map(str::to_owned) else {
        if state.config.require_session {
            return Err(HttpError::Forbidden(
                "This server serves group pads only, through a session from the site that links to them."
                    .into(),
            ));
        }
        return Ok(Opened {
            id,
            read_only,
            session: None,
        });
    };
    let key = id.to_string();
    let offered: Vec<String> = session_ids(headers);
    let now_secs = ypad_engine::wall_ms() / 1000;
    let (public, session) = state
        .engine
        .blocking(move |s| -> Result<_, ypad_store::StoreError> {
            if s.is_public(&key)? {
                return Ok((true, None));
            }
            for sid in offered {
                if let Some(session) = s.session(&sid)?
                    && session.group_id == group
                    && session.valid_until > now_secs
                {
                    return Ok((false, Some(session)));
                }
            }
            Ok((false, None))
        })
        .await?;
    if !public && session.is_none() {
        return Err(HttpError::Forbidden(
            "This pad belongs to a group: open it through the site that gave you access (no valid session)."
                .into(),
        ));
    }
    Ok(Opened {
        id,
        read_only,
        session,
    })
}

/// The values of the request's cookies named `name`, in the order sent.
pub(crate) fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// The session ids in the request's `sessionID` cookie (Etherpad's: several, comma-separated).
fn session_ids(headers: &HeaderMap) -> Vec<String> {
    cookies(headers, "sessionID")
        .flat_map(|value| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A request about one pad: who asks ([`Caller`]) and with which cookies.
pub(crate) struct Visitor {
    pub caller: Caller,
    headers: HeaderMap,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        Ok(Visitor {
            caller: Caller::from_request_parts(parts, state).await?,
            headers: parts.headers.clone(),
        })
    }
}

impl Visitor {
    /// [`open_pad`] for this request.
    pub async fn open(&self, state: &AppState, raw: &str) -> Result<Opened, HttpError> {
        open_pad(state, raw, &self.caller, &self.headers).await
    }

    /// Opens a pad by its writable id only: a read-only id is refused as `refusal` says.
    pub async fn open_writable(
        &self,
        state: &AppState,
        raw: &str,
        refusal: impl FnOnce() -> HttpError,
    ) -> Result<Opened, HttpError> {
        if PadId::parse(raw)?.is_read_only() {
            return Err(refusal());
        }
        self.open(state, raw).await
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The author this request writes to `opened` as: the group session's that let it in,
    /// else its browser identity's.
    pub async fn author(
        &self,
        state: &AppState,
        opened: &Opened,
    ) -> Result<Option<std::sync::Arc<str>>, HttpError> {
        match &opened.session {
            Some(session) => Ok(Some(session.author_id.as_str().into())),
            None => crate::identity::author_id(state, &self.headers).await,
        }
    }
}
