//! Etherpad's HTTP API (`/api/{version}/{function}`), so tools written for Etherpad work
//! unchanged: the same versions, parameter sources, JSON envelope, codes and API key.

mod apikey;
mod functions;
mod params;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub use apikey::load_or_create as load_or_create_api_key;
pub use params::MAX_BODY_BYTES;
use params::Params;

use crate::state::AppState;

pub const CURRENT_VERSION: &str = "1.3.1";

/// Every API version Etherpad accepts, oldest first.
pub const VERSIONS: &[&str] = &[
    "1", "1.1", "1.2", "1.2.1", "1.2.7", "1.2.8", "1.2.9", "1.2.10", "1.2.11", "1.2.12", "1.2.13",
    "1.2.14", "1.2.15", "1.3.0", "1.3.1",
];

/// An API failure, in Etherpad's terms.
#[derive(Debug)]
pub struct ApiError {
    pub code: u8,
    pub message: String,
}

impl ApiError {
    /// Code 1: the caller's parameters are wrong.
    pub fn bad(message: impl Into<String>) -> Self {
        ApiError {
            code: 1,
            message: message.into(),
        }
    }

    /// Code 2: ours. The cause is logged; the caller sees only "internal error".
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(cause = %cause, "API call failed");
        ApiError {
            code: 2,
            message: "internal error".into(),
        }
    }

    fn no_function() -> Self {
        ApiError {
            code: 3,
            message: "no such function".into(),
        }
    }

    fn no_version() -> Self {
        ApiError {
            code: 3,
            message: "no such api version".into(),
        }
    }

    fn bad_key() -> Self {
        ApiError {
            code: 4,
            message: "no or wrong API Key".into(),
        }
    }
}

impl From<ypad_store::StoreError> for ApiError {
    fn from(e: ypad_store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::registry::LoadError> for ApiError {
    fn from(e: crate::registry::LoadError) -> Self {
        ApiError::internal(e)
    }
}

fn envelope(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(data) => Json(json!({ "code": 0, "message": "ok", "data": data })).into_response(),
        Err(err) => {
            let status = match err.code {
                1 => StatusCode::OK,
                3 => StatusCode::NOT_FOUND,
                4 => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (
                status,
                Json(json!({ "code": err.code, "message": err.message, "data": null })),
            )
                .into_response()
        }
    }
}

/// `GET /api`
pub async fn current_version() -> Json<Value> {
    Json(json!({ "currentVersion": CURRENT_VERSION }))
}

/// `GET|POST /api/{version}/{function}`
pub async fn call(
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
        return Err(ApiError::no_version());
    };
    let Some(since) = functions::since(function) else {
        return Err(ApiError::no_function());
    };
    if VERSIONS.iter().position(|v| *v == since) > Some(version_index) {
        return Err(ApiError::no_function());
    }
    let params = Params::from_request(request).await?;
    let key = params
        .get("apikey")
        .or_else(|| params.get("api_key"))
        .or_else(|| params.get("authorization"))
        .or_else(|| headers.get("apikey").and_then(|v| v.to_str().ok()));
    if !key.is_some_and(|k| apikey::matches(&state.api_key, k)) {
        return Err(ApiError::bad_key());
    }
    // Scripts read what they (or editors) just wrote: let accepted revisions reach the store.
    state.persister.barrier().await;
    functions::call(state, function, &params).await
}
