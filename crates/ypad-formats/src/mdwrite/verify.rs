//! Checks rendered inline Markdown against a real CommonMark parser: every visible
//! character must come back with the bold, italic and strikethrough it was written with.
//! Used to catch the mid-word cases where CommonMark's flanking rules ignore a marker.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::tokens::{Mark, Tok};

type Styled = (char, bool, bool, bool);

pub(super) fn parses_back(markdown: &str, toks: &[Tok]) -> bool {
    expected(toks) == parsed(markdown)
}

fn expected(toks: &[Tok]) -> Vec<Styled> {
    let (mut bold, mut italic, mut strike) = (0i32, 0i32, 0i32);
    let mut out = Vec::new();
    for tok in toks {
        match tok {
            Tok::Open(m) | Tok::Close(m) => {
                let delta = if matches!(tok, Tok::Open(_)) { 1 } else { -1 };
                match m {
                    Mark::Bold => bold += delta,
                    Mark::Italic => italic += delta,
                    Mark::Strike => strike += delta,
                    Mark::Link(_) => {}
                }
            }
            Tok::Text(t) => out.extend(
                t.chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| (c, bold > 0, italic > 0, strike > 0)),
            ),
            Tok::Atom(_) => {}
        }
    }
    out
}

fn parsed(markdown: &str) -> Vec<Styled> {
    // A leading word keeps the line a paragraph ("- x" is not a list here) and, like the
    // start of a line, is followed by whitespace.
    let source = format!("x {markdown}");
    let (mut bold, mut italic, mut strike, mut image) = (0i32, 0i32, 0i32, 0i32);
    let mut out = Vec::new();
    for event in Parser::new_ext(&source, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Strong) => bold += 1,
            Event::End(TagEnd::Strong) => bold -= 1,
            Event::Start(Tag::Emphasis) => italic += 1,
            Event::End(TagEnd::Emphasis) => italic -= 1,
            Event::Start(Tag::Strikethrough) => strike += 1,
            Event::End(TagEnd::Strikethrough) => strike -= 1,
            Event::Start(Tag::Image { .. }) => image += 1,
            Event::End(TagEnd::Image) => image -= 1,
            Event::Text(t) if image == 0 => out.extend(
                t.chars()
                    .filter(|c| !c.is_whitespace() && *c != '\u{200b}')
                    .map(|c| (c, bold > 0, italic > 0, strike > 0)),
            ),
            _ => {}
        }
    }
    if !out.is_empty() {
        out.remove(0);
    }
    out
}
