//! Test harness: a real ypad server in-process on 127.0.0.1 with a temp-dir sled store, and a
//! y-websocket client built on a real yrs document.

mod client;
mod event;
mod server;

pub use client::{Client, Event};
pub use event::{MAY_12_0900_BERLIN, SUMMIT, seed_summit};
pub use server::TestServer;

use std::future::Future;
use std::time::Duration;

/// Upper bound for any single wait in a test; a wait that runs out fails the test.
pub const WAIT: Duration = Duration::from_secs(15);

/// Awaits `f`, failing the test with `what` if it takes longer than [`WAIT`].
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}
