//! Errors of the HTTP surface, turned into responses in one place. Client errors are not
//! logged as errors; internal ones are logged once, with context, and not leaked.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ypad_core::PadIdError;
use ypad_engine::{HistoryError, LoadError, TransferError};
use ypad_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("invalid pad id: {0}")]
    BadPadId(#[from] PadIdError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// Another node of the cluster asked this one for a pad it does not own.
    #[error("{0}")]
    Misdirected(String),
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
    #[error("pad could not be loaded")]
    Load(#[from] LoadError),
    #[error("history could not be read")]
    History(#[from] HistoryError),
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::BadPadId(_) | HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            HttpError::Misdirected(_) => StatusCode::MISDIRECTED_REQUEST,
            HttpError::Store(_) | HttpError::Load(_) | HttpError::History(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            let cause: &dyn std::error::Error = match &self {
                HttpError::Store(e) => e,
                HttpError::Load(e) => e,
                HttpError::History(e) => e,
                other => other,
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

impl From<TransferError> for HttpError {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::NoSuchPad(_) | TransferError::RevisionTooHigh { .. } => {
                HttpError::NotFound(e.to_string())
            }
            TransferError::BadFile(_) | TransferError::PadNotEmpty(_) => {
                HttpError::BadRequest(e.to_string())
            }
            TransferError::OpenElsewhere { .. } => HttpError::Misdirected(e.to_string()),
            TransferError::Load(e) => HttpError::Load(e),
            TransferError::History(e) => HttpError::History(e),
            TransferError::TooLarge(e) => HttpError::TooLarge(e.to_string()),
            TransferError::Store(e) => HttpError::Store(e),
        }
    }
}
