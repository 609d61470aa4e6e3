//! The tokens inline Markdown is built from: text, atoms, and the opening and closing of a
//! style. The renderer (`inline`) makes them; the checker (`verify`) reads them back.

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Mark {
    Link(String),
    Bold,
    Italic,
    Strike,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    Open(Mark),
    Close(Mark),
    Text(String),
    /// Markdown that must be written as is and is never empty or whitespace at its edges.
    Atom(String),
}
