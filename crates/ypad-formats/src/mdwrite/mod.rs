//! Writing Markdown from a line model. Etherpad pads and HTML pages are both read into
//! [`Line`]s (a block kind, a blockquote depth, styled spans), and this module alone decides
//! how they look as Markdown: list markers and nesting, fences, tables, and the blank lines
//! that CommonMark needs to keep blocks apart. One writer keeps an `.etherpad` import and an
//! HTML import of the same pad identical.

mod inline;
mod tokens;
mod verify;

pub(crate) use inline::{link_destination, render as render_inline};

/// One line of output.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Line {
    /// Blockquote depth (`> ` prefixes).
    pub quote: usize,
    pub block: Block,
    pub spans: Vec<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Block {
    /// Plain text; with no visible text, a blank line.
    Paragraph,
    Heading(usize),
    /// A list item at `level` (1 = outermost); `start` is the number a numbered list asks
    /// to begin at, honoured on the list's first item.
    Item {
        ordered: bool,
        level: usize,
        start: Option<u64>,
    },
    /// More text of the list item above, after a line break inside it.
    Continuation,
    /// One line of a code block; consecutive ones share a fence. `in_item` code belongs to
    /// the list item above (HTML `<li>…<pre>`), indented under it.
    Code {
        lang: String,
        in_item: bool,
    },
    Rule,
    TableRow(Vec<Vec<Span>>),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Style {
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub code: bool,
}

/// A stretch of text with one style. `verbatim` text is already Markdown (an image).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Span {
    pub text: String,
    pub style: Style,
    pub link: Option<String>,
    pub verbatim: bool,
}

impl Line {
    pub fn new(quote: usize, block: Block, spans: Vec<Span>) -> Self {
        Self {
            quote,
            block,
            spans,
        }
    }

    fn is_blank(&self) -> bool {
        self.block == Block::Paragraph && self.spans.iter().all(|s| s.text.trim().is_empty())
    }

    fn code_text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// What the previous emitted line was, for the blank-line rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    Blank,
    /// A line holding paragraph text that a following plain line would lazily join:
    /// a paragraph, a list item, a continuation.
    Text {
        in_list: bool,
    },
    Closed,
    Table,
}

const MAX_NUMBER: u64 = 999_999_999;

struct Frame {
    ordered: bool,
    width: usize,
    number: u64,
}

#[derive(Default)]
struct Writer {
    out: String,
    lists: Vec<Frame>,
    /// The open code fence, its quote depth and its indentation.
    fence: Option<(String, usize, String)>,
    table_cols: usize,
    prev_quote: usize,
    prev: Option<Prev>,
}

/// Writes `lines` as Markdown, one `\n`-terminated line each (plus separating blank lines).
pub(crate) fn write(lines: &[Line]) -> String {
    let mut w = Writer::default();
    for (i, line) in lines.iter().enumerate() {
        w.line(line, &lines[i + 1..]);
    }
    w.close_fence();
    w.out
}

fn quote_prefix(depth: usize) -> String {
    "> ".repeat(depth)
}

impl Writer {
    fn prev(&self) -> Prev {
        self.prev.unwrap_or(Prev::Start)
    }

    fn emit(&mut self, quote: usize, body: &str, prev: Prev) {
        self.out.push_str(&quote_prefix(quote));
        self.out.push_str(body);
        self.out.push('\n');
        self.prev_quote = quote;
        self.prev = Some(prev);
    }

    fn blank(&mut self, quote: usize) {
        let q = quote.min(self.prev_quote);
        self.out.push_str(quote_prefix(q).trim_end());
        self.out.push('\n');
        self.prev = Some(Prev::Blank);
    }

    fn blank_unless_fresh(&mut self, quote: usize) {
        if !matches!(self.prev(), Prev::Start | Prev::Blank) {
            self.blank(quote);
        }
    }

    fn close_fence(&mut self) {
        if let Some((fence, quote, indent)) = self.fence.take() {
            self.emit(quote, &format!("{indent}{fence}"), Prev::Closed);
        }
    }

    fn line(&mut self, line: &Line, rest: &[Line]) {
        if let Some((_, quote, _)) = &self.fence
            && (!matches!(line.block, Block::Code { .. }) || *quote != line.quote)
        {
            self.close_fence();
        }
        if self.prev() == Prev::Table
            && !matches!(line.block, Block::TableRow(_))
            && !line.is_blank()
        {
            self.blank(line.quote);
        }
        let q = line.quote;
        match &line.block {
            Block::Paragraph if line.is_blank() => {
                // Whitespace the writer typed on an empty line is kept, so that plain text
                // passes through unchanged.
                let text = line.code_text();
                if text.is_empty() {
                    self.blank(q);
                } else {
                    self.emit(q, &text, Prev::Blank);
                }
            }
            Block::Paragraph => {
                // A plain line right after a list item or a deeper quote would be swallowed
                // into it ("lazy continuation"); a blank line ends those first.
                let lazy = match self.prev() {
                    Prev::Text { in_list } => in_list || self.prev_quote > q,
                    _ => false,
                };
                if lazy {
                    self.blank(q);
                }
                self.lists.clear();
                let body = render_inline(&line.spans);
                self.emit(q, &body, Prev::Text { in_list: false });
            }
            Block::Heading(level) => {
                self.lists.clear();
                let body = render_inline(&line.spans);
                let hashes = "#".repeat((*level).clamp(1, 6));
                self.emit(q, format!("{hashes} {body}").trim_end(), Prev::Closed);
            }
            Block::Item {
                ordered,
                level,
                start,
            } => self.item(line, *ordered, *level, *start),
            Block::Continuation => {
                if self.lists.is_empty() {
                    let para = Line::new(q, Block::Paragraph, line.spans.clone());
                    return self.line(&para, rest);
                }
                let indent: usize = self.lists.iter().map(|f| f.width).sum();
                let body = format!("{}{}", " ".repeat(indent), render_inline(&line.spans));
                self.emit(q, &body, Prev::Text { in_list: true });
            }
            Block::Code { lang, in_item } => {
                if self.fence.is_none() {
                    if !in_item {
                        self.lists.clear();
                    }
                    let indent = " ".repeat(self.lists.iter().map(|f| f.width).sum());
                    let fence = fence_for(line, rest);
                    self.emit(q, &format!("{indent}{fence}{lang}"), Prev::Closed);
                    self.fence = Some((fence, q, indent));
                }
                let indent = self.fence.as_ref().map_or("", |(_, _, i)| i.as_str());
                let text = format!("{indent}{}", line.code_text());
                self.emit(q, &text, Prev::Closed);
            }
            Block::Rule => {
                self.lists.clear();
                self.blank_unless_fresh(q);
                self.emit(q, "---", Prev::Closed);
            }
            Block::TableRow(cells) => self.table_row(line, cells, rest),
        }
    }

    fn item(&mut self, line: &Line, ordered: bool, level: usize, start: Option<u64>) {
        let q = line.quote;
        // Markdown cannot skip a nesting level: an item two levels deeper than its
        // predecessor nests one level deeper.
        let depth = level.clamp(1, self.lists.len() + 1);
        self.lists.truncate(depth);
        let continues = self.lists.len() == depth && self.lists[depth - 1].ordered == ordered;
        if !continues {
            self.lists.truncate(depth - 1);
        }
        // CommonMark list numbers have at most nine digits.
        let number = if continues {
            (self.lists[depth - 1].number + 1).min(MAX_NUMBER)
        } else {
            start.filter(|n| (1..=MAX_NUMBER).contains(n)).unwrap_or(1)
        };
        let body = render_inline(&line.spans);
        // A list may interrupt a paragraph only when it starts at 1 and its first item is
        // not empty (an empty `-` there would even underline the paragraph into a heading).
        if !continues
            && matches!(self.prev(), Prev::Text { .. })
            && (body.is_empty() || (ordered && number != 1))
        {
            self.blank(q);
        }
        let marker = if ordered {
            format!("{number}. ")
        } else {
            "- ".to_owned()
        };
        let indent: usize = self.lists[..depth - 1].iter().map(|f| f.width).sum();
        let frame = Frame {
            ordered,
            width: marker.len(),
            number,
        };
        if continues {
            self.lists[depth - 1] = frame;
        } else {
            self.lists.push(frame);
        }
        let text = format!("{}{marker}{body}", " ".repeat(indent));
        self.emit(q, text.trim_end(), Prev::Text { in_list: true });
    }

    fn table_row(&mut self, line: &Line, cells: &[Vec<Span>], rest: &[Line]) {
        let q = line.quote;
        let first = self.prev() != Prev::Table;
        if first {
            self.lists.clear();
            self.blank_unless_fresh(q);
            self.table_cols = std::iter::once(line)
                .chain(
                    rest.iter()
                        .take_while(|l| matches!(l.block, Block::TableRow(_)) && l.quote == q),
                )
                .filter_map(|l| match &l.block {
                    Block::TableRow(c) => Some(c.len()),
                    _ => None,
                })
                .max()
                .unwrap_or(1)
                .max(1);
        }
        let mut row = String::from("|");
        for i in 0..self.table_cols {
            let cell = cells.get(i).map(|c| render_inline(c)).unwrap_or_default();
            if !cell.is_empty() {
                row.push(' ');
                row.push_str(&cell.replace('|', "\\|"));
            }
            row.push_str(" |");
        }
        self.emit(q, &row, Prev::Table);
        if first {
            let rule = format!("|{}", " --- |".repeat(self.table_cols));
            self.emit(q, &rule, Prev::Table);
        }
    }
}

/// A backtick fence longer than any backtick run in the code block starting at `line`.
fn fence_for(line: &Line, rest: &[Line]) -> String {
    let longest = std::iter::once(line)
        .chain(
            rest.iter()
                .take_while(|l| matches!(l.block, Block::Code { .. }) && l.quote == line.quote),
        )
        .map(|l| longest_run(&l.code_text(), '`'))
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

pub(crate) fn longest_run(text: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
impl Span {
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> Line {
        Line::new(0, Block::Paragraph, vec![Span::plain(text)])
    }

    fn bullet(level: usize, text: &str) -> Line {
        Line::new(
            0,
            Block::Item {
                ordered: false,
                level,
                start: None,
            },
            vec![Span::plain(text)],
        )
    }

    fn number(level: usize, start: Option<u64>, text: &str) -> Line {
        Line::new(
            0,
            Block::Item {
                ordered: true,
                level,
                start,
            },
            vec![Span::plain(text)],
        )
    }

    fn code(text: &str) -> Line {
        Line::new(
            0,
            Block::Code {
                lang: String::new(),
                in_item: false,
            },
            vec![Span::plain(text)],
        )
    }

    fn check(lines: &[Line], expected: &str) {
        assert_eq!(write(lines), expected);
    }

    #[test]
    fn plain_lines_stay_one_per_line() {
        check(&[para("a"), para("b"), para(""), para("c")], "a\nb\n\nc\n");
        check(&[para(" \t"), para("  x  ")], " \t\n  x  \n");
    }

    #[test]
    fn lists_nest_and_number() {
        check(
            &[bullet(1, "a"), bullet(2, "b"), bullet(1, "c")],
            "- a\n  - b\n- c\n",
        );
        check(
            &[
                number(1, None, "a"),
                number(1, None, "b"),
                bullet(2, "c"),
                number(1, None, "d"),
            ],
            "1. a\n2. b\n   - c\n3. d\n",
        );
        check(&[bullet(3, "deep")], "- deep\n");
        check(
            &[number(1, Some(4), "d"), number(1, Some(9), "e")],
            "4. d\n5. e\n",
        );
    }

    #[test]
    fn blank_lines_keep_blocks_apart() {
        // A plain line after a list would otherwise join the last item.
        check(&[bullet(1, "a"), para("b")], "- a\n\nb\n");
        check(&[bullet(1, "a"), para(""), para("b")], "- a\n\nb\n");
        // Only `1.` and non-empty items may interrupt a paragraph.
        check(&[para("a"), number(1, None, "b")], "a\n1. b\n");
        check(&[para("a"), number(1, Some(3), "b")], "a\n\n3. b\n");
        check(&[para("a"), bullet(1, "")], "a\n\n-\n");
        let quoted = Line::new(1, Block::Paragraph, vec![Span::plain("q")]);
        check(&[quoted.clone(), para("p")], "> q\n\np\n");
        check(&[para("p"), quoted], "p\n> q\n");
    }

    #[test]
    fn code_lines_share_a_fence() {
        check(
            &[para("a"), code("x = 1"), code("```"), para("b")],
            "a\n````\nx = 1\n```\n````\nb\n",
        );
    }

    #[test]
    fn tables_get_a_header_rule() {
        let row = |cells: &[&str]| {
            Line::new(
                0,
                Block::TableRow(cells.iter().map(|c| vec![Span::plain(*c)]).collect()),
                vec![],
            )
        };
        check(
            &[para("t"), row(&["a", "b"]), row(&["c|d"]), para("after")],
            "t\n\n| a | b |\n| --- | --- |\n| c\\|d | |\n\nafter\n",
        );
    }

    #[test]
    fn headings_and_rules() {
        let h = Line::new(0, Block::Heading(2), vec![Span::plain("Title")]);
        check(
            &[h, para("a"), Line::new(0, Block::Rule, vec![])],
            "## Title\na\n\n---\n",
        );
    }
}
