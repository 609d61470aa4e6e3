//! ypad-server: the network edge of ypad.
//!
//! [`run`] serves the HTTP routes and the y-websocket endpoint on a listener until `shutdown`
//! resolves, then closes every socket, flushes every pad and returns. The document logic lives
//! in `ypad-core`; persistence in `ypad-store`.

mod api_v1;
mod authors;
pub mod clock;
pub mod config;
mod connection;
mod diff;
mod error;
mod etherpad;
pub mod history;
mod identity;
mod listen;
pub mod live;
mod pad_files;
pub mod persist;
pub mod registry;
pub mod state;
pub mod transfer;
mod web;
mod ws;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub use config::Config;
pub use state::AppState;
use ypad_store::{SledStore, Store};

use crate::persist::Persister;
use crate::registry::Registry;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the store in {path}: {cause}")]
    OpenStore { path: String, cause: String },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The router, given its state. Tests drive it directly or over a socket.
pub fn app(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(web::start_page))
        .route("/p/{pad}", get(web::pad_page))
        .route("/p/{pad}/timeslider", get(web::timeslider_page))
        .route("/p/{pad}/export/{kind}", get(pad_files::export_head))
        .route("/p/{pad}/{rev}/export/{kind}", get(pad_files::export_rev))
        .route(
            "/p/{pad}/import",
            axum::routing::post(pad_files::import)
                .layer(DefaultBodyLimit::max(pad_files::MAX_IMPORT_BYTES)),
        )
        .route("/static/{*path}", get(web::asset))
        .route("/api/v1/pads", get(api_v1::list))
        .route("/api/v1/pads/{pad}", get(api_v1::meta))
        .route("/api/v1/pads/{pad}/text", get(api_v1::text))
        .route("/api/v1/pads/{pad}/authorship", get(api_v1::authorship))
        .route("/api/v1/pads/{pad}/revisions", get(api_v1::revisions))
        .route("/api/v1/pads/{pad}/revisions/{rev}", get(api_v1::revision))
        .route(
            "/api/v1/pads/{pad}/saved",
            axum::routing::post(api_v1::save_revision),
        )
        .route("/api/v1/me", get(identity::me).post(identity::update_me))
        .route("/sw.js", get(web::service_worker))
        .route("/api", get(etherpad::current_version))
        .route(
            "/api/{version}/{function}",
            get(etherpad::call)
                .post(etherpad::call)
                .layer(DefaultBodyLimit::max(etherpad::MAX_BODY_BYTES)),
        )
        .layer(CompressionLayer::new());
    Router::new()
        .route("/ws/{pad}", get(ws::upgrade))
        .route("/health", get(health))
        .merge(pages)
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let healthy = state.persister.is_healthy();
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "pads": state.registry.loaded().len(),
        "connections": state.connections(),
    });
    (status, Json(body))
}

/// Opens the store in `config.data_dir` and serves on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    Server::open(config).await?.serve(listener, shutdown).await
}

/// A server whose store and API key are ready; [`Server::serve`] runs it.
pub struct Server {
    config: Config,
    store: Arc<dyn Store>,
    api_key: String,
    api_key_path: PathBuf,
}

impl Server {
    /// Opens the sled store in `config.data_dir` and reads (or makes) the API key.
    pub async fn open(config: Config) -> Result<Server, ServerError> {
        let dir = config.data_dir.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let store = SledStore::open(&dir).map_err(|e| e.to_string())?;
            let key = etherpad::load_or_create_api_key(&dir).map_err(|e| e.to_string())?;
            Ok::<_, String>((store, key))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        let (store, (api_key, api_key_path)) = opened.map_err(|cause| ServerError::OpenStore {
            path: config.data_dir.display().to_string(),
            cause,
        })?;
        Ok(Server {
            config,
            store: Arc::new(store),
            api_key,
            api_key_path,
        })
    }

    /// A server over a given store (a test's fault-injecting wrapper, a future networked
    /// store); the API key still lives in `config.data_dir`.
    pub async fn with_store(config: Config, store: Arc<dyn Store>) -> Result<Server, ServerError> {
        let dir = config.data_dir.clone();
        let (api_key, api_key_path) =
            tokio::task::spawn_blocking(move || etherpad::load_or_create_api_key(&dir))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))??;
        Ok(Server {
            config,
            store,
            api_key,
            api_key_path,
        })
    }

    /// Where the Etherpad API key is kept.
    pub fn api_key_path(&self) -> &Path {
        &self.api_key_path
    }

    /// Serves until `shutdown` resolves, then closes every socket and flushes every pad.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Server {
            config,
            store,
            api_key,
            ..
        } = self;
        serve_with(listener, config, store, api_key, shutdown).await
    }
}

async fn serve_with(
    listener: TcpListener,
    config: Config,
    store: Arc<dyn Store>,
    api_key: String,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let (persister, threads) = Persister::start(store.clone(), config.checkpoint_every);
    let registry = Arc::new(Registry::new(
        store.clone(),
        persister.clone(),
        config.idle_evict,
    ));
    let sweep_every = config.sweep_every;
    let header_read_timeout = config.header_read_timeout;
    let state = AppState::new(config, store, registry.clone(), persister, api_key);

    let sweeper = {
        let registry = registry.clone();
        let stop = state.shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(sweep_every);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = tick.tick() => registry.sweep(),
                }
            }
        })
    };

    let token = state.shutdown.clone();
    let tracker = state.tracker.clone();
    let persister = state.persister.clone();
    let router = app(state);
    let stop = token.clone();
    listen::serve(listener, router, header_read_timeout, async move {
        shutdown.await;
        tracing::info!("shutting down: closing connections and flushing pads");
        stop.cancel();
    })
    .await;
    // Connections were told to close when the token was cancelled; wait for them to finish.
    token.cancel();
    tracker.close();
    tracker.wait().await;
    let _ = sweeper.await;
    persister.barrier().await;
    drop(persister);
    drop(registry);
    tokio::task::spawn_blocking(move || threads.join())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    tracing::info!("every pad flushed; bye");
    Ok(())
}
