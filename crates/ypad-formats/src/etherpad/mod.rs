//! Etherpad's `.etherpad` format: Easysync changesets and attributed texts, reading a whole
//! export into revisions of Markdown, and writing ypad's history back out as one.
//!
//! Every length and position here counts UTF-16 code units, because Etherpad measures
//! JavaScript strings: "é" is 1, "😀" is 2.

mod atext;
mod changeset;
mod comments;
mod export;
mod import;
mod lines;
mod model;
mod ops;
mod palette;
mod pool;
mod txt;

#[cfg(test)]
mod tests;

pub use atext::{AText, ATextError, ApplyError};
pub use changeset::Changeset;
pub use export::export;
pub use import::{ImportError, import, import_with};
pub use model::{
    ChatMessage, Comment, CommentReply, ExportAuthor, ExportPad, ExportRevision, ImportedAuthor,
    ImportedPad, ImportedRevision, SavedRevision,
};
pub use ops::{Op, OpIter, OpKind, ParseError, ops};
pub use palette::PALETTE;
pub use pool::{AttributePool, PoolError};
pub use txt::to_txt;
