//! `/metrics`: the engine's counters in Prometheus's text format, for operators' scrapers.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::state::AppState;

pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.engine.metrics_text(state.connections());
    (
        [(header::CONTENT_TYPE, ypad_engine::metrics::CONTENT_TYPE)],
        body,
    )
}
