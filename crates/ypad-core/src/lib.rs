//! ypad-core: everything about a pad that can be decided from bytes alone.
//!
//! This crate does no IO: no sockets, no files, no clocks (time is passed in as milliseconds).
//! The server crate drives it; tests drive it with plain byte vectors.

mod awareness;
pub mod chat;
pub mod comments;
pub mod doc;
pub mod history;
mod pad_id;
pub mod protocol;
pub mod session;

pub use awareness::AwarenessTable;
pub use doc::{ApplyError, PadDoc};
pub use pad_id::{PadId, PadIdError};
pub use session::{Admission, Effects, Session, SessionError};
