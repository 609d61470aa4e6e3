//! Styled spans to inline Markdown. Formatting that overlaps freely in Etherpad or HTML must
//! nest in Markdown, and CommonMark only honours a `**` or `*` that hugs its text
//! (`**bold** ` renders, `** bold**` does not), so markers are nested by how far each style
//! reaches and whitespace is moved outside them.

use super::tokens::{Mark, Tok};
use super::{Span, Style, longest_run, verify};

/// Renders spans as one line of inline Markdown.
pub(crate) fn render(spans: &[Span]) -> String {
    let segments = merge(spans);
    let marks: Vec<Vec<Mark>> = segments.iter().map(marks_of).collect();
    let mut toks = Vec::new();
    let mut stack: Vec<Mark> = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let wanted = &marks[i];
        let keep = stack.iter().take_while(|m| wanted.contains(m)).count();
        while stack.len() > keep {
            toks.push(Tok::Close(stack.pop().unwrap_or(Mark::Bold)));
        }
        // Open the style that lasts longest outermost, so it need not be closed and
        // reopened when a shorter one ends.
        let mut opening: Vec<&Mark> = wanted.iter().filter(|m| !stack.contains(m)).collect();
        let reach = |m: &Mark| marks[i..].iter().take_while(|ms| ms.contains(m)).count();
        opening.sort_by_key(|m| std::cmp::Reverse(reach(m)));
        for m in opening {
            toks.push(Tok::Open(m.clone()));
            stack.push(m.clone());
        }
        push_content(&mut toks, seg);
    }
    while let Some(m) = stack.pop() {
        toks.push(Tok::Close(m));
    }
    hug(&mut toks);
    let markdown = write(&toks);
    if !toks.iter().any(is_marker) || verify::parses_back(&markdown, &toks) {
        return markdown;
    }
    // Mid-word, CommonMark lets `**` open only after whitespace or punctuation and close
    // only before it, so a style that changes inside a word gets an invisible zero-width
    // space (as an entity, which counts as punctuation) beside its markers. Should that not
    // parse back either (the pad's own text looks like Markdown, or markers squeezed
    // between punctuation can both open and close), the plain rendering stays.
    let split = split_mid_word(&toks);
    let fixed = write(&split);
    if verify::parses_back(&fixed, &split) {
        fixed
    } else {
        markdown
    }
}

const ZERO_WIDTH_SPACE: &str = "&#8203;";

fn split_mid_word(toks: &[Tok]) -> Vec<Tok> {
    let edge = |tok: Option<&Tok>, last: bool| -> Option<char> {
        let s = match tok? {
            Tok::Text(t) | Tok::Atom(t) => t.as_str(),
            Tok::Open(Mark::Link(_)) => "[",
            Tok::Close(Mark::Link(_)) => ")",
            _ => return None,
        };
        if last {
            s.chars().next_back()
        } else {
            s.chars().next()
        }
    };
    let mut out = Vec::with_capacity(toks.len() + 4);
    let mut i = 0;
    while i < toks.len() {
        if !is_marker(&toks[i]) {
            out.push(toks[i].clone());
            i += 1;
            continue;
        }
        let end = i + toks[i..].iter().take_while(|t| is_marker(t)).count();
        let group = &toks[i..end];
        let before = edge(i.checked_sub(1).and_then(|j| toks.get(j)), true);
        let after = edge(toks.get(end), false);
        let mid_word = before
            .zip(after)
            .is_some_and(|(b, a)| !b.is_whitespace() && !a.is_whitespace());
        let closes = group
            .iter()
            .take_while(|t| matches!(t, Tok::Close(_)))
            .count();
        for (k, tok) in group.iter().enumerate() {
            if mid_word && k == closes {
                out.push(Tok::Atom(ZERO_WIDTH_SPACE.to_owned()));
            }
            out.push(tok.clone());
        }
        if mid_word && closes == group.len() {
            out.push(Tok::Atom(ZERO_WIDTH_SPACE.to_owned()));
        }
        i = end;
    }
    out
}

/// Joins neighbouring spans of the same style so that markers are not split needlessly.
fn merge(spans: &[Span]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for span in spans.iter().filter(|s| !s.text.is_empty()) {
        match out.last_mut() {
            Some(last)
                if !last.verbatim
                    && !span.verbatim
                    && last.style == span.style
                    && last.link == span.link =>
            {
                last.text.push_str(&span.text);
            }
            _ => out.push(span.clone()),
        }
    }
    out
}

fn marks_of(span: &Span) -> Vec<Mark> {
    let Style {
        bold,
        italic,
        strike,
        ..
    } = span.style;
    let mut marks = Vec::new();
    if let Some(href) = &span.link {
        marks.push(Mark::Link(href.clone()));
    }
    for (on, mark) in [
        (bold, Mark::Bold),
        (italic, Mark::Italic),
        (strike, Mark::Strike),
    ] {
        if on {
            marks.push(mark);
        }
    }
    marks
}

fn push_content(toks: &mut Vec<Tok>, seg: &Span) {
    if seg.verbatim {
        toks.push(Tok::Atom(seg.text.clone()));
    } else if seg.style.code {
        let trimmed = seg.text.trim();
        let lead = &seg.text[..seg.text.len() - seg.text.trim_start().len()];
        let tail = &seg.text[seg.text.trim_end().len()..];
        toks.push(Tok::Text(lead.to_owned()));
        if !trimmed.is_empty() {
            toks.push(Tok::Atom(code_span(trimmed)));
        }
        if !tail.is_empty() && !trimmed.is_empty() {
            toks.push(Tok::Text(tail.to_owned()));
        }
    } else {
        toks.push(Tok::Text(seg.text.clone()));
    }
}

fn code_span(code: &str) -> String {
    let fence = "`".repeat(longest_run(code, '`') + 1);
    if code.starts_with('`') || code.ends_with('`') {
        format!("{fence} {code} {fence}")
    } else {
        format!("{fence}{code}{fence}")
    }
}

/// Moves whitespace out of markers until none is left inside an edge, and drops marker
/// pairs left with nothing between them.
fn hug(toks: &mut Vec<Tok>) {
    loop {
        let mut changed = merge_text(toks);
        let mut i = 0;
        while i < toks.len() {
            match (&toks[i], toks.get(i + 1)) {
                (Tok::Open(_), Some(Tok::Text(t))) if t.starts_with(char::is_whitespace) => {
                    let rest = t.trim_start().to_owned();
                    let ws = t[..t.len() - rest.len()].to_owned();
                    toks[i + 1] = Tok::Text(rest);
                    toks.insert(i, Tok::Text(ws));
                    changed = true;
                }
                (Tok::Text(t), Some(Tok::Close(_))) if t.ends_with(char::is_whitespace) => {
                    let rest = t.trim_end().to_owned();
                    let ws = t[rest.len()..].to_owned();
                    toks[i] = Tok::Text(rest);
                    toks.insert(i + 2, Tok::Text(ws));
                    changed = true;
                }
                (Tok::Open(a), Some(Tok::Close(b))) if a == b => {
                    toks.drain(i..i + 2);
                    changed = true;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        if !changed {
            break;
        }
    }
}

/// Merges adjacent text tokens and drops empty ones; true if anything changed.
fn merge_text(toks: &mut Vec<Tok>) -> bool {
    let before = toks.len();
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    for tok in toks.drain(..) {
        match (out.last_mut(), tok) {
            (_, Tok::Text(t)) if t.is_empty() => {}
            (Some(Tok::Text(last)), Tok::Text(t)) => last.push_str(&t),
            (_, tok) => out.push(tok),
        }
    }
    *toks = out;
    toks.len() != before
}

fn write(toks: &[Tok]) -> String {
    let mut out = String::new();
    let mut in_link = 0usize;
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Open(Mark::Link(_)) => {
                in_link += 1;
                out.push('[');
            }
            Tok::Close(Mark::Link(href)) => {
                in_link = in_link.saturating_sub(1);
                out.push_str("](");
                out.push_str(&link_destination(href));
                out.push(')');
            }
            Tok::Open(m) | Tok::Close(m) => out.push_str(marker(m)),
            Tok::Text(t) => {
                let t = escape_next_to_markers(
                    t,
                    i > 0 && is_marker(&toks[i - 1]),
                    toks.get(i + 1).is_some_and(is_marker),
                );
                if in_link > 0 {
                    out.push_str(&t.replace('[', "\\[").replace(']', "\\]"));
                } else {
                    out.push_str(&t);
                }
            }
            Tok::Atom(t) => out.push_str(t),
        }
    }
    out
}

pub(super) fn is_marker(tok: &Tok) -> bool {
    matches!(tok, Tok::Open(m) | Tok::Close(m) if !matches!(m, Mark::Link(_)))
}

/// The pad's own `*`, `_` and `~` are left as typed (Etherpad users type Markdown-ish text
/// on purpose), except right against a marker of ours, where they would merge into it.
fn escape_next_to_markers(text: &str, after_marker: bool, before_marker: bool) -> String {
    let special = |c: char| matches!(c, '*' | '_' | '~');
    let mut out = String::with_capacity(text.len() + 2);
    let last = text.char_indices().next_back().map(|(i, _)| i);
    for (i, c) in text.char_indices() {
        if special(c) && ((i == 0 && after_marker) || (Some(i) == last && before_marker)) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn marker(mark: &Mark) -> &'static str {
    match mark {
        Mark::Bold => "**",
        Mark::Italic => "*",
        Mark::Strike => "~~",
        Mark::Link(_) => "",
    }
}

/// A link destination that survives any characters: bare when safe, else in `<…>`.
pub(crate) fn link_destination(href: &str) -> String {
    let href = href.replace('\n', "%0A").replace('\r', "%0D");
    let unsafe_bare = href.is_empty()
        || href
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>'));
    if unsafe_bare {
        format!("<{}>", href.replace('<', "%3C").replace('>', "%3E"))
    } else {
        href
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, style: &str) -> Span {
        Span {
            text: text.into(),
            style: Style {
                bold: style.contains('b'),
                italic: style.contains('i'),
                strike: style.contains('s'),
                code: style.contains('c'),
            },
            link: None,
            verbatim: false,
        }
    }

    fn link(text: &str, style: &str, href: &str) -> Span {
        Span {
            link: Some(href.into()),
            ..span(text, style)
        }
    }

    fn check(spans: &[Span], expected: &str) {
        assert_eq!(render(spans), expected);
    }

    #[test]
    fn markers_hug_their_text() {
        check(
            &[span("a ", ""), span("bold ", "b"), span("c", "")],
            "a **bold** c",
        );
        check(&[span(" x ", "i")], " *x* ");
        check(&[span("   ", "b"), span("t", "")], "   t");
        check(&[span("gone", "s")], "~~gone~~");
    }

    #[test]
    fn typed_markdown_stays_but_not_against_markers() {
        check(&[span("*typed* 2*3", "")], "*typed* 2*3");
        // Bold "*" then "x": the closing `**` sits between punctuation and a letter, where
        // CommonMark would not close it, so a zero-width space entity follows it.
        check(&[span("*", "b"), span("x*", "")], "**\\***&#8203;x*");
        check(&[span("a*", "i"), span("~b", "s")], "*a\\**~~\\~b~~");
    }

    #[test]
    fn longer_styles_nest_outside() {
        check(
            &[
                span("Goals ", ""),
                span("operator and ", "b"),
                span("fully baked", "bi"),
            ],
            "Goals **operator and *fully baked***",
        );
        check(&[span("a", "bi"), span("b", "i")], "***a**b*");
        check(
            &[span("x ", "i"), span("y", "bi"), span(" z", "i")],
            "*x **y** z*",
        );
    }

    #[test]
    fn code_and_links() {
        check(&[span("use ", ""), span(" x`y ", "c")], "use  ``x`y`` ");
        check(&[span("`a", "c")], "`` `a ``");
        check(
            &[link("site", "", "https://e.org/a(b)")],
            "[site](<https://e.org/a(b)>)",
        );
        check(
            &[
                span("see ", "b"),
                link("here", "b", "/x"),
                span(" now", "b"),
            ],
            "**see [here](/x) now**",
        );
        check(&[link("a [b]", "", "/x")], "[a \\[b\\]](/x)");
    }
}

/// Renders random styled spans to Markdown and back to HTML with pulldown-cmark, and checks
/// that every visible character comes back with the style it had.
#[cfg(test)]
mod render_back {
    use super::*;

    /// Words as people format them: whole words and phrases, punctuation attached.
    const WORDS: &[&str] = &[
        "a", "bc", "é", "😀", "x.", "(z)", "w!", "Note:", "#1", "it's",
    ];

    /// Characters with (bold, italic, strike), whitespace left out (it may move out of spans).
    fn styled_chars(html: &str) -> Vec<(char, bool, bool, bool)> {
        let (mut b, mut i, mut s) = (0, 0, 0);
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(c) = rest.chars().next() {
            if c == '<' {
                let end = rest.find('>').unwrap();
                match &rest[..=end] {
                    "<strong>" => b += 1,
                    "</strong>" => b -= 1,
                    "<em>" => i += 1,
                    "</em>" => i -= 1,
                    "<del>" => s += 1,
                    "</del>" => s -= 1,
                    _ => {}
                }
                rest = &rest[end + 1..];
                continue;
            }
            let c = if rest.starts_with("&amp;") { '&' } else { c };
            if !c.is_whitespace() && c != '\u{200b}' {
                out.push((c, b > 0, i > 0, s > 0));
            }
            rest = &rest[if rest.starts_with("&amp;") {
                5
            } else {
                c.len_utf8()
            }..];
        }
        out
    }

    /// Styles changing mid-word next to punctuation on both sides (emoji count as such) can
    /// leave a marker that CommonMark may read as opening or closing, and no invisible
    /// character resolves every such case; this harsh generator hits a handful in 2000.
    const KNOWN_UNREPRESENTABLE: usize = 10;

    #[test]
    fn styles_survive_a_markdown_parser() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut failures = Vec::new();
        for case in 0..2000 {
            let spans: Vec<Span> = (0..1 + next(5))
                .map(|i| {
                    let style = next(8);
                    let space = [" ", "", "  "][next(3)];
                    let (before, after) = if i % 2 == 0 { (space, "") } else { ("", space) };
                    Span {
                        text: format!("{before}{}{after}", WORDS[next(WORDS.len())]),
                        style: Style {
                            bold: style & 1 != 0,
                            italic: style & 2 != 0,
                            strike: style & 4 != 0,
                            code: false,
                        },
                        link: None,
                        verbatim: false,
                    }
                })
                .collect();
            let expected: Vec<_> = spans
                .iter()
                .flat_map(|s| {
                    s.text
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .map(|c| (c, s.style.bold, s.style.italic, s.style.strike))
                })
                .collect();
            let markdown = render(&spans);
            let html = crate::markdown::to_html_body(&markdown);
            if styled_chars(&html) != expected {
                // Formatting on whole words, the common case, must always come through.
                let spaced = spans
                    .windows(2)
                    .all(|w| w[0].text.ends_with(' ') || w[1].text.starts_with(' '));
                assert!(!spaced, "case {case}: {markdown:?} -> {html:?}");
                failures.push(format!("case {case}: {markdown:?} -> {html:?}"));
            }
        }
        assert!(
            failures.len() <= KNOWN_UNREPRESENTABLE,
            "{} of 2000:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
