//! The plain data an Etherpad import yields and an export takes: revisions, authors, chat
//! messages and saved revisions, free of Etherpad's record layout.

/// A pad read from an `.etherpad` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedPad {
    /// The id in the file's keys (an `r.…` id if it was exported through a read-only link).
    pub pad_id: String,
    /// Revisions 0 to head, in order.
    pub revisions: Vec<ImportedRevision>,
    pub authors: Vec<ImportedAuthor>,
    pub chat: Vec<ChatMessage>,
    pub saved_revisions: Vec<SavedRevision>,
    /// ep_comments_page's comments with their replies, anchored in `head_text`.
    pub comments: Vec<Comment>,
    /// The pad's text at its head revision, as Markdown.
    pub head_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedRevision {
    pub rev: u64,
    /// Empty for Etherpad's own edits (revision 0 of a pad created without an author).
    pub author_id: String,
    pub time_ms: u64,
    /// The whole pad as Markdown at this revision.
    pub markdown: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedAuthor {
    pub id: String,
    pub name: Option<String>,
    /// `#rrggbb`, lower case.
    pub color: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    pub text: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub time_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedRevision {
    pub rev: u64,
    pub label: String,
    pub author_id: String,
    pub time_ms: u64,
}

/// A pad to write as an `.etherpad` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportPad {
    pub pad_id: String,
    /// Oldest first; each becomes one Etherpad revision, the first being revision 0.
    pub revisions: Vec<ExportRevision>,
    pub authors: Vec<ExportAuthor>,
    pub chat: Vec<ChatMessage>,
    pub saved_revisions: Vec<SavedRevision>,
    /// Comment threads, anchored in the last revision's text; written as ep_comments_page's
    /// records and `comment` attributes.
    pub comments: Vec<Comment>,
}

/// A comment thread as ep_comments_page keeps it: the comment (record `comments:{pad}`), its
/// replies (`comment-replies:{pad}`) and the text carrying its id as the `comment` attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comment {
    /// `c-…`.
    pub id: String,
    pub author_id: String,
    pub name: Option<String>,
    pub text: String,
    pub time_ms: u64,
    /// Where the commented text is, in UTF-16 code units of the pad's text (the head revision's
    /// Markdown on import); `None` when no text carries the comment.
    pub range: Option<(u32, u32)>,
    /// The commented text.
    pub quote: String,
    /// Not in ep_comments_page: ypad writes it as an extra field, which Etherpad ignores.
    pub resolved: bool,
    pub replies: Vec<CommentReply>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommentReply {
    /// `c-reply-…`.
    pub id: String,
    pub author_id: String,
    pub name: Option<String>,
    pub text: String,
    pub time_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRevision {
    pub author_id: String,
    pub time_ms: u64,
    /// The whole text at this revision (Markdown, written as plain characters).
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportAuthor {
    pub id: String,
    pub name: Option<String>,
    /// `#rrggbb`.
    pub color: String,
}
