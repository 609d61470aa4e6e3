//! ypad-formats: every file format ypad reads or writes, as pure functions over strings.
//!
//! It renders a pad's Markdown to a standalone, script-free HTML page or fragment
//! ([`markdown`]), turns HTML (Etherpad's export or any page) into Markdown ([`html`]), and
//! reads and writes Etherpad's `.etherpad` export with its full revision history, authors
//! and chat ([`etherpad`]), including the Easysync changeset format underneath, and marks what
//! changed between two texts as HTML ([`diff`]), turns comment threads into footnotes
//! ([`comments`]), reads event schedules (CSV, JSON, iCalendar) and writes an event's calendar
//! feed ([`schedule`]), and writes an event's archive (its schedule with each session's notes) as
//! Markdown files or a static site ([`archive`]). It does no
//! IO and knows nothing of the server, the store or Yjs: callers pass text and get text
//! back, and tests drive it with plain strings and the real Etherpad exports in
//! `tests/fixtures/etherpad`.

pub mod archive;
pub mod comments;
pub mod diff;
pub mod etherpad;
pub mod html;
pub mod markdown;
mod mdwrite;
pub mod schedule;
pub mod search;
