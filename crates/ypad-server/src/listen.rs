//! The accept loop: HTTP/1.1 connections with a deadline for the request head, WebSocket
//! upgrades, and the graceful shutdown `serve_with` relies on.
//!
//! ypad serves HTTP/1.1 only (as `axum::serve` did with axum's default features), so
//! connections go straight to hyper's HTTP/1 server rather than through hyper-util's `auto`
//! builder: that one first reads the start of the stream to tell HTTP/1 from HTTP/2 with no
//! deadline, so a client that connects and sends nothing, or dribbles out an HTTP/2 preface,
//! would hold its connection forever. Here the header-read timer runs from the moment a
//! connection is accepted, and again while a kept-alive connection waits for its next request.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, asks every
/// open HTTP connection to finish its request in flight and close, and returns once they have.
/// Upgraded WebSockets are no longer HTTP connections and close through the server's own
/// shutdown token.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let closing = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    if !survive_accept_error(&err, &mut shutdown).await {
                        break;
                    }
                    continue;
                }
            },
        };
        // Handlers learn the peer's address as axum's `ConnectInfo`.
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        ));
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let closing = closing.clone();
        connections.spawn(async move {
            let mut conn = pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = closing.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(err) = result {
                // Header timeouts, resets and malformed requests end here; none is the
                // server's fault.
                tracing::debug!(%err, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    closing.cancel();
    connections.close();
    connections.wait().await;
}

/// After a failed accept: true to keep accepting, false if shutdown came first. A peer that
/// gave up before being accepted is no reason to wait; anything else (out of file descriptors,
/// typically) is logged and retried after a pause, so that the loop does not spin while
/// connections are being closed.
async fn survive_accept_error(
    err: &std::io::Error,
    shutdown: &mut (impl Future<Output = ()> + Unpin),
) -> bool {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return true;
    }
    tracing::error!(%err, "accept failed");
    tokio::select! {
        () = shutdown => false,
        () = tokio::time::sleep(Duration::from_secs(1)) => true,
    }
}
