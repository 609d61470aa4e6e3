//! Reading an attributed text's lines the way Etherpad's exporters do: the line-marker
//! character carrying `lmkr` holds the line's attributes (`list`, `heading`, `start`) and is
//! not text; the rest of the line is styled runs. From here a pad becomes Markdown lines
//! (for import) or Etherpad's own plain-text export (for comparing against it).

use super::atext::{Attributed, LineView};
use super::pool::AttributePool;
use crate::mdwrite::{self, Block, Line, Span, Style};

/// Etherpad's editor nests lists 8 deep (16 for indents); a file may claim any depth, and
/// each level costs indentation on every line.
const MAX_LEVEL: usize = 16;

/// What a line's marker says about the line.
#[derive(Default)]
pub(crate) struct LineAttrs<'a> {
    pub list: Option<(&'a str, usize)>,
    pub heading: Option<&'a str>,
    pub start: Option<u64>,
}

/// A line's attributes and its text runs with the marker removed.
pub(crate) struct Analyzed<'a> {
    pub attrs: LineAttrs<'a>,
    pub text: &'a [u16],
    pub runs: Vec<(usize, &'a [u32])>,
}

pub(crate) fn analyze<'a>(line: &LineView<'a>, pool: &'a AttributePool) -> Analyzed<'a> {
    let marker = line
        .runs
        .first()
        .map(|(_, attribs)| *attribs)
        .filter(|attribs| pool.value_of(attribs, "lmkr").is_some());
    let Some(marker) = marker else {
        return Analyzed {
            attrs: LineAttrs::default(),
            text: line.text,
            runs: line.runs.clone(),
        };
    };
    let list = pool.value_of(marker, "list").and_then(|v| {
        let split = v.find(|c: char| c.is_ascii_digit())?;
        let level: usize = v[split..].parse().ok()?;
        Some((&v[..split], level.min(MAX_LEVEL)))
    });
    let attrs = LineAttrs {
        list,
        heading: pool.value_of(marker, "heading"),
        start: pool.value_of(marker, "start").and_then(|s| s.parse().ok()),
    };
    let mut runs = line.runs.clone();
    match runs.first_mut() {
        Some((1, _)) => {
            runs.remove(0);
        }
        Some((len, _)) => *len -= 1,
        None => {}
    }
    Analyzed {
        attrs,
        text: &line.text[1.min(line.text.len())..],
        runs,
    }
}

/// The pad's lines in the Markdown line model.
pub(crate) fn to_lines(atext: &Attributed, pool: &AttributePool) -> Vec<Line> {
    atext
        .lines()
        .iter()
        .map(|view| {
            let line = analyze(view, pool);
            let spans = spans(&line, pool);
            let (quote, block) = match (line.attrs.list, line.attrs.heading) {
                // Markdown has no indented paragraph (leading spaces vanish, or make code
                // past three); a blockquote is its one indented block of plain text.
                (Some(("indent", level)), _) => (level, Block::Paragraph),
                (Some((kind, level)), _) => (
                    0,
                    Block::Item {
                        ordered: kind == "number",
                        level,
                        start: line.attrs.start,
                    },
                ),
                (None, Some("code")) => (
                    0,
                    Block::Code {
                        lang: String::new(),
                        in_item: false,
                    },
                ),
                (None, Some(h)) => match h.strip_prefix('h').and_then(|n| n.parse().ok()) {
                    Some(n @ 1..=6) => (0, Block::Heading(n)),
                    _ => (0, Block::Paragraph),
                },
                (None, None) => (0, Block::Paragraph),
            };
            Line::new(quote, block, spans)
        })
        .collect()
}

/// The pad as Markdown.
pub(crate) fn to_markdown(atext: &Attributed, pool: &AttributePool) -> String {
    mdwrite::write(&to_lines(atext, pool))
}

fn spans(line: &Analyzed<'_>, pool: &AttributePool) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (len, attribs) in &line.runs {
        end += len;
        // Never cut a surrogate pair, even if Etherpad's attributes do.
        if end < line.text.len() && is_high_surrogate(line.text[end - 1]) {
            end += 1;
        }
        if end <= start {
            continue;
        }
        let has = |key| pool.value_of(attribs, key).is_some();
        out.push(Span {
            text: String::from_utf16_lossy(&line.text[start..end.min(line.text.len())]),
            style: Style {
                bold: has("bold"),
                italic: has("italic"),
                strike: has("strikethrough"),
                code: false,
            },
            link: None,
            verbatim: false,
        });
        start = end;
    }
    out
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..0xDC00).contains(&unit)
}
