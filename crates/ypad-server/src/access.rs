//! Who is asking, as far as a request tells: the client's address (its own, or the one a
//! trusted proxy reports), whether it came over HTTPS, and whether it holds the API key. Routes
//! that hand out pad ids or bulk data take these extractors, so the rule sits in the route's
//! signature rather than in its body.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

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
    /// It carries the API key (`apikey` header or parameter, or `Authorization: Bearer`).
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
            .is_some_and(|key| key_matches(&state.api_key, key));
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
