//! ypad-bench: a y-websocket load generator and the comparison it drives.
//!
//! [`load`] runs one scenario against one server; [`bench`] starts each target server in turn
//! ([`targets`]), runs the scenario against it, and reports ([`report`]) to stdout and
//! BENCHMARKS.md. [`relay`] is the bare relay the servers are compared with; [`ws`] and
//! [`wire`] are the lean client side of WebSocket and y-websocket framing.

pub mod bench;
pub mod cluster;
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

pub use ypad_server::shutdown_signal;
