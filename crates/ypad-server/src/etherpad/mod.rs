//! Etherpad's HTTP API (`/api/{version}/{function}`), so tools written for Etherpad work
//! unchanged: the same versions, parameter sources, JSON envelope, codes and API key.

mod apikey;
mod functions;
mod groups;
mod params;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(crate) use apikey::{ApiKeyError, matches as key_matches, shared as shared_api_key};
pub use apikey::{SETTING as API_KEY_SETTING, new_key as new_api_key};
pub(crate) use params::MAX_BODY_BYTES;
use params::Params;

use crate::state::AppState;

pub const CURRENT_VERSION: &str = "1.3.1";

/// Every API version Etherpad accepts, oldest first.
pub const VERSIONS: &[&str] = &[
    "1", "1.1", "1.2", "1.2.1", "1.2.7", "1.2.8", "1.2.9", "1.2.10", "1.2.11", "1.2.12", "1.2.13",
    "1.2.14", "1.2.15", "1.3.0", "1.3.1",
];

/// An API failure, in Etherpad's terms: each kind has its code and HTTP status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// Code 1: the caller's parameters are wrong; the message says how, in Etherpad's words.
    #[error("{0}")]
    Bad(String),
    /// Code 2: ours. The cause is logged where the envelope is written; the caller sees only
    /// "internal error".
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Code 3.
    #[error("no such function")]
    NoFunction,
    /// Code 3.
    #[error("no such api version")]
    NoVersion,
    /// Code 4.
    #[error("no or wrong API Key")]
    BadKey,
}

impl ApiError {
    pub fn bad(message: impl Into<String>) -> Self {
        ApiError::Bad(message.into())
    }

    pub fn code(&self) -> u8 {
        match self {
            ApiError::Bad(_) => 1,
            ApiError::Internal(_) => 2,
            ApiError::NoFunction | ApiError::NoVersion => 3,
            ApiError::BadKey => 4,
        }
    }

    /// Etherpad answers code 1 with HTTP 200; scripts look at the envelope's code.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Bad(_) => StatusCode::OK,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NoFunction | ApiError::NoVersion => StatusCode::NOT_FOUND,
            ApiError::BadKey => StatusCode::UNAUTHORIZED,
        }
    }
}

macro_rules! internal_from {
    ($($error:ty),*) => {$(
        impl From<$error> for ApiError {
            fn from(e: $error) -> Self {
                ApiError::Internal(Box::new(e))
            }
        }
    )*};
}

internal_from!(
    ypad_store::StoreError,
    ypad_engine::LoadError,
    ypad_engine::HistoryError
);

/// Refused by the pad's rules (its size limit): the caller's to fix, as Etherpad reports a bad
/// parameter.
impl From<ypad_engine::EditError> for ApiError {
    fn from(e: ypad_engine::EditError) -> Self {
        ApiError::Bad(e.to_string())
    }
}

fn envelope(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(data) => Json(json!({ "code": 0, "message": "ok", "data": data })).into_response(),
        Err(err) => {
            if let ApiError::Internal(cause) = &err {
                tracing::error!(cause = %cause, "API call failed");
            }
            (
                err.status(),
                Json(json!({ "code": err.code(), "message": err.to_string(), "data": null })),
            )
                .into_response()
        }
    }
}

/// `GET /api`
pub(crate) async fn current_version() -> Json<Value> {
    Json(json!({ "currentVersion": CURRENT_VERSION }))
}

/// `GET|POST /api/{version}/{function}`
pub(crate) async fn call(
    State(state): State<AppState>,
    Path((version, function)): Path<(String, String)>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    envelope(dispatch(&state, &version, &function, &headers, request).await)
}

async fn dispatch(
    state: &AppState,
    version: &str,
    function: &str,
    headers: &HeaderMap,
    request: Request,
) -> Result<Value, ApiError> {
    let Some(version_index) = VERSIONS.iter().position(|v| *v == version) else {
        return Err(ApiError::NoVersion);
    };
    let Some(since) = functions::since(function) else {
        return Err(ApiError::NoFunction);
    };
    if VERSIONS.iter().position(|v| *v == since) > Some(version_index) {
        return Err(ApiError::NoFunction);
    }
    let params = Params::from_request(request).await?;
    let key = params
        .get("apikey")
        .or_else(|| params.get("api_key"))
        .or_else(|| params.get("authorization"))
        .or_else(|| headers.get("apikey").and_then(|v| v.to_str().ok()));
    if !key.is_some_and(|k| key_matches(&state.api_key, k)) {
        return Err(ApiError::BadKey);
    }
    // Scripts read what they (or editors) just wrote: let accepted revisions reach the store.
    state.engine.barrier().await;
    functions::call(state, function, &params).await
}
