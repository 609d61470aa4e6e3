//! A ypad server running in the test's runtime.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use ypad_server::Config;

pub struct TestServer {
    pub addr: SocketAddr,
    data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on a fresh loopback port over the store in `data_dir`.
    pub async fn start(data_dir: &Path) -> TestServer {
        Self::start_with(Config::new(data_dir)).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let data_dir = config.data_dir.clone();
        let task = tokio::spawn(async move {
            ypad_server::run(listener, config, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs and shuts down cleanly");
        });
        TestServer {
            addr,
            data_dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn ws_url(&self, pad: &str) -> String {
        format!("ws://{}/ws/{}", self.addr, pad)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Graceful shutdown, as on SIGTERM: returns once every pad is flushed.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            crate::within("server shutdown", task).await.unwrap();
        }
    }

    /// Stops gracefully and starts again on the same data directory.
    pub async fn restart(mut self) -> TestServer {
        self.shutdown().await;
        TestServer::start(&self.data_dir).await
    }

    /// The pad's current text through the native API, or `None` if the pad does not exist.
    pub async fn text(&self, pad: &str) -> Option<String> {
        let resp = reqwest::get(self.http_url(&format!("/api/v1/pads/{pad}/text")))
            .await
            .unwrap();
        match resp.status().as_u16() {
            200 => Some(resp.text().await.unwrap()),
            404 => None,
            other => panic!("unexpected status {other} reading pad {pad}"),
        }
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = reqwest::get(self.http_url(path)).await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }
}
