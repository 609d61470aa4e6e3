//! Errors of the HTTP surface, turned into responses in one place. Client errors are not
//! logged as errors; internal ones are logged once, with context, and not leaked.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ypad_core::PadIdError;
use ypad_store::StoreError;

use crate::registry::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("invalid pad id: {0}")]
    BadPadId(#[from] PadIdError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Busy(String),
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
    #[error("pad could not be loaded")]
    Load(#[from] LoadError),
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::BadPadId(_) | HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Store(_) | HttpError::Load(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            let cause = match &self {
                HttpError::Store(e) => e.to_string(),
                HttpError::Load(e) => e.to_string(),
                other => other.to_string(),
            };
            tracing::error!(cause = %cause, "request failed");
        }
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}
