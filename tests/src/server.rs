//! A ypad server running in the test's runtime.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
        let server = ypad_server::Server::open(config.clone())
            .await
            .expect("store opens");
        Self::serve(server, config).await
    }

    /// A server over `store` (a fault-injecting wrapper).
    pub async fn start_with_store(config: Config, store: Arc<dyn ypad_store::Store>) -> TestServer {
        let server = ypad_server::Server::with_store(config.clone(), store)
            .await
            .expect("server opens");
        Self::serve(server, config).await
    }

    async fn serve(server: ypad_server::Server, config: Config) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let data_dir = config.data_dir.clone();
        let task = tokio::spawn(async move {
            server
                .serve(listener, async {
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

    /// The API key the server made in its data directory.
    pub fn api_key(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("APIKEY.txt"))
            .expect("the server wrote APIKEY.txt")
            .trim()
            .to_owned()
    }

    /// Calls an Etherpad API function with the key and `params` as a form body.
    pub async fn api(&self, function: &str, params: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let key = self.api_key();
        let mut form: Vec<(&str, &str)> = vec![("apikey", key.as_str())];
        form.extend_from_slice(params);
        let resp = reqwest::Client::new()
            .post(self.http_url(&format!("/api/1.3.0/{function}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Calls the API and asserts success; returns `data`.
    pub async fn api_ok(&self, function: &str, params: &[(&str, &str)]) -> serde_json::Value {
        let (status, body) = self.api(function, params).await;
        assert_eq!(
            (status, &body["code"]),
            (200, &serde_json::json!(0)),
            "{function} {params:?}: {body}"
        );
        body["data"].clone()
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = reqwest::get(self.http_url(path)).await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }
}
