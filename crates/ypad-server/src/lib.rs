//! ypad-server: the network edge of ypad.
//!
//! [`run`] serves the HTTP routes and the y-websocket endpoint on a listener until `shutdown`
//! resolves, then closes every socket, flushes every pad and returns. Everything about pads
//! (loading, live pads, group commit, history, export and import) lives in `ypad-engine`; this
//! crate turns sockets and requests into calls on it.

mod access;
mod admin;
mod api_v1;
mod changes;
mod cluster;
mod config;
mod connection;
mod error;
mod etherpad;
mod events;
mod identity;
mod listen;
mod metrics;
mod moderation;
mod pad_files;
mod state;
mod web;
mod webhooks;
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
use ypad_engine::Engine;
use ypad_store::{PgStore, SledStore, Store, StoreError};

pub use config::{Config, DEFAULT_DATA_DIR};
pub use etherpad::{API_KEY_SETTING, new_api_key};

use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the store in {}: {source}", path.display())]
    OpenStore {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error("cannot open the PostgreSQL store: {0}")]
    OpenDatabase(#[source] StoreError),
    #[error("cannot read or make the shared API key in the database: {0}")]
    SharedApiKey(#[source] StoreError),
    #[error("cannot read or make the API key in {}: {source}", path.display())]
    ApiKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The router, given its state.
fn app(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(web::start_page))
        .route("/p/{pad}", get(web::pad_page))
        .route("/p/{pad}/timeslider", get(web::timeslider_page))
        .route("/p/{pad}/present", get(web::present_page))
        .route("/p/{pad}/export/{kind}", get(pad_files::export_head))
        .route("/p/{pad}/{rev}/export/{kind}", get(pad_files::export_rev))
        .route(
            "/p/{pad}/import",
            axum::routing::post(pad_files::import)
                .layer(DefaultBodyLimit::max(pad_files::MAX_IMPORT_BYTES)),
        )
        .route("/static/{*path}", get(web::asset))
        .route("/api/v1/pads", get(api_v1::list))
        .route(
            "/api/v1/pads/{pad}",
            get(api_v1::meta).delete(moderation::delete_pad),
        )
        .route("/api/v1/pads/{pad}/event", get(events::of_pad))
        .route(
            "/api/v1/pads/{pad}/lock",
            get(moderation::get_lock).put(moderation::put_lock),
        )
        .route(
            "/api/v1/pads/{pad}/chat",
            axum::routing::post(moderation::post_chat),
        )
        .route("/api/v1/pads/{pad}/text", get(api_v1::text))
        .route("/api/v1/pads/{pad}/authorship", get(api_v1::authorship))
        .route("/api/v1/pads/{pad}/revisions", get(api_v1::revisions))
        .route("/api/v1/pads/{pad}/revisions/{rev}", get(api_v1::revision))
        .route(
            "/api/v1/pads/{pad}/revisions/{rev}/comments",
            get(api_v1::revision_comments),
        )
        .route(
            "/api/v1/pads/{pad}/saved",
            axum::routing::post(api_v1::save_revision),
        )
        .route("/api/v1/changes", get(changes::changes))
        .route("/e/{event}", get(events::page))
        .route("/api/v1/events", axum::routing::post(events::post))
        .route(
            "/api/v1/events/{event}",
            get(events::get).put(events::put).delete(events::delete),
        )
        .route("/api/v1/events/{event}/search", get(events::search))
        .route("/api/v1/me", get(identity::me).post(identity::update_me))
        .route("/sw.js", get(web::service_worker))
        .route("/admin", get(admin::dashboard))
        .route("/admin/sign-in", axum::routing::post(admin::sign_in))
        .route("/admin/sign-out", axum::routing::post(admin::sign_out))
        .route(
            "/admin/pads/{pad}/delete",
            get(admin::confirm_delete).post(admin::delete),
        )
        .route(
            "/admin/pads/{pad}/{action}",
            axum::routing::post(admin::set_lock),
        )
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
        .route("/metrics", get(metrics::metrics))
        .merge(pages)
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let healthy = state.engine.is_healthy();
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "pads": state.engine.loaded().len(),
        "connections": state.connections(),
        "feedWaiting": state.feed_waiting.load(std::sync::atomic::Ordering::Relaxed),
        "webhooks": state.webhooks.to_json(),
        "cluster": state.engine.cluster_status(),
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

/// Resolves on SIGINT or SIGTERM: what a binary gives [`run`] or [`Server::serve`] as its
/// `shutdown`.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// A server whose store and API key are ready; [`Server::serve`] runs it.
pub struct Server {
    config: Config,
    store: Arc<dyn Store>,
    api_key: String,
    api_key_path: PathBuf,
}

impl Server {
    /// Opens the store (the PostgreSQL database of `config.database_url`, else sled in
    /// `config.data_dir`) and reads (or makes) the API key.
    pub async fn open(config: Config) -> Result<Server, ServerError> {
        if let Some(url) = config.database_url.clone() {
            let store = tokio::task::spawn_blocking(move || PgStore::open(&url))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .map_err(ServerError::OpenDatabase)?;
            return Self::with_store(config, Arc::new(store)).await;
        }
        let dir = config.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || SledStore::open(&dir))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .map_err(|source| ServerError::OpenStore {
                path: config.data_dir.clone(),
                source,
            })?;
        Self::with_store(config, Arc::new(store)).await
    }

    /// A server over a given store (a test's fault-injecting wrapper, another backend). The
    /// API key is the store's shared one if it keeps one (every node of a cluster then has the
    /// same), else the one in `config.data_dir`; either way it is in `APIKEY.txt` there.
    pub async fn with_store(config: Config, store: Arc<dyn Store>) -> Result<Server, ServerError> {
        let dir = config.data_dir.clone();
        let key_store = store.clone();
        let (api_key, api_key_path) =
            tokio::task::spawn_blocking(move || etherpad::shared_api_key(&*key_store, &dir))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .map_err(|err| match err {
                    etherpad::ApiKeyError::Store(e) => ServerError::SharedApiKey(e),
                    etherpad::ApiKeyError::File(source) => ServerError::ApiKey {
                        path: config.data_dir.join("APIKEY.txt"),
                        source,
                    },
                })?;
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

    /// This node's place in the cluster its database makes: a new id, the address others reach
    /// it at, and the secret of the links between nodes.
    async fn cluster_node(
        &self,
        listener: &TcpListener,
    ) -> Result<(ypad_engine::ClusterNode, cluster::ClusterEdge), ServerError> {
        let advertise_url = match &self.config.advertise_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let secret = match &self.config.cluster_secret {
            Some(secret) => secret.clone(),
            None => {
                let store = self.store.clone();
                tokio::task::spawn_blocking(move || {
                    store.shared_setting(cluster::SECRET_SETTING, &new_api_key())
                })
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .map_err(ServerError::SharedApiKey)?
                .unwrap_or_else(new_api_key)
            }
        };
        let node = ypad_engine::ClusterNode {
            info: ypad_store::NodeInfo {
                id: cluster::new_node_id(),
                advertise_url,
            },
            lease_ttl: self.config.lease_ttl,
        };
        tracing::info!(node = %node.info.id, url = %node.info.advertise_url, "joining the cluster");
        let edge = cluster::ClusterEdge {
            secret: secret.into(),
            lease_ttl: self.config.lease_ttl,
        };
        Ok((node, edge))
    }

    /// Serves until `shutdown` resolves, then closes every socket and flushes every pad.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let mut settings = self.config.engine();
        let edge = match self.config.database_url {
            Some(_) => {
                let (node, edge) = self.cluster_node(&listener).await?;
                settings.cluster = Some(node);
                Some(edge)
            }
            None => None,
        };
        // Blocking: in a cluster the node registers its lease before it serves.
        let store = self.store.clone();
        let engine = tokio::task::spawn_blocking(move || Engine::start(store, &settings))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let sweep_every = self.config.sweep_every;
        let header_read_timeout = self.config.header_read_timeout;
        let webhooks = webhooks::WebhookSettings {
            urls: self.config.webhook_url.clone(),
            secret: (self.config.webhook_secret.clone()).unwrap_or_else(|| self.api_key.clone()),
            every: self.config.webhook_every,
            settle: self.config.webhook_settle,
        };
        let mut state = AppState::new(self.config, engine.clone(), self.api_key);
        state.webhooks = webhooks::start(webhooks, &engine, &state.shutdown, &state.tracker);
        if let Some(edge) = edge {
            state.cluster = Some(edge);
            engine.set_relay(cluster::relay_starter(state.clone()));
        }

        let sweeper = {
            let engine = engine.clone();
            let transfers = state.transfers.clone();
            let stop = state.shutdown.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(sweep_every);
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        _ = tick.tick() => {
                            engine.sweep();
                            transfers.retain_recent();
                        }
                    }
                }
            })
        };

        let token = state.shutdown.clone();
        let tracker = state.tracker.clone();
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
        engine.shutdown().await;
        tracing::info!("every pad flushed; bye");
        Ok(())
    }
}
