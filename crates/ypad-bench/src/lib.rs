//! ypad-bench: a y-websocket load generator and the comparison it drives.
//!
//! [`load`] runs one scenario against one server; [`bench`] starts each target server in turn
//! ([`targets`]), runs the scenario against it, and reports ([`report`]) to stdout and
//! BENCHMARKS.md. [`relay`] is the bare relay the servers are compared with; [`ws`] and
//! [`wire`] are the lean client side of WebSocket and y-websocket framing.

pub mod bench;
pub mod load;
pub mod procstat;
pub mod profile;
pub mod relay;
pub mod report;
pub mod scenario;
pub mod soak;
pub mod targets;
pub mod wire;
pub mod ws;

/// Resolves on SIGINT or SIGTERM.
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
