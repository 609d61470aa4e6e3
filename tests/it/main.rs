//! The workspace's integration tests, in one binary (one link step).

mod bad_input;
mod convergence;
mod interop;
mod persistence;
mod sync;
