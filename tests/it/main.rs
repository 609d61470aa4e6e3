//! The workspace's integration tests, in one binary (one link step).

mod access;
mod admin;
mod bad_input;
mod changes;
mod cluster;
mod comments;
mod convergence;
mod etherpad_api;
mod events;
mod faults;
mod groups;
mod history;
mod interop;
mod metrics;
mod moderation;
mod pad_files;
mod persistence;
mod postgres;
mod replicas;
mod slowloris;
mod sync;
mod webhooks;
