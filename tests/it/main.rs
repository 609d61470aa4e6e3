//! The workspace's integration tests, in one binary (one link step).

mod bad_input;
mod convergence;
mod etherpad_api;
mod faults;
mod history;
mod interop;
mod pad_files;
mod persistence;
mod postgres;
mod slowloris;
mod sync;
