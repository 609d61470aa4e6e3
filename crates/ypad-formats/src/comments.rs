//! A pad's comment threads in its Markdown and HTML exports: a footnote reference at the end of
//! each thread's text and, after the text, each thread as a footnote: the quoted text, then every
//! comment with its author and time. Threads whose text was deleted follow, referenced from a
//! closing line, so that nothing said is lost from the export.

use std::time::{Duration, UNIX_EPOCH};

/// One thread, its place given in UTF-16 code units of the text (as the pad counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Where the commented text is; `None` once that text was deleted.
    pub range: Option<(u32, u32)>,
    pub quote: String,
    pub resolved: bool,
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub name: Option<String>,
    /// Milliseconds since the Unix epoch; 0 when unknown.
    pub time_ms: u64,
    pub text: String,
}

/// Footnote labels: distinct from the `[^1]` a writer would type.
fn label(n: usize) -> String {
    format!("comment-{n}")
}

/// `markdown` with a footnote for every thread (in the order given, which callers make the
/// text's). Without threads the text comes back as it was.
pub fn with_footnotes(markdown: &str, comments: &[Comment]) -> String {
    if comments.is_empty() {
        return markdown.to_owned();
    }
    // Byte offsets of the UTF-16 positions, found in one pass.
    let mut ends: Vec<(usize, usize)> = comments
        .iter()
        .enumerate()
        .filter_map(|(n, c)| c.range.map(|(_, end)| (end as usize, n)))
        .collect();
    ends.sort();
    let mut out = String::with_capacity(markdown.len() + comments.len() * 64);
    let mut units = 0usize;
    let mut next = ends.iter().peekable();
    for ch in markdown.chars() {
        while let Some(&&(end, n)) = next.peek() {
            if end > units {
                break;
            }
            out.push_str(&format!("[^{}]", label(n + 1)));
            next.next();
        }
        out.push(ch);
        units += ch.len_utf16();
    }
    for &(_, n) in next {
        out.push_str(&format!("[^{}]", label(n + 1)));
    }
    let orphans: Vec<usize> = (0..comments.len())
        .filter(|n| comments[*n].range.is_none())
        .collect();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if !orphans.is_empty() {
        out.push_str("\nComments on deleted text:");
        for n in &orphans {
            out.push_str(&format!(" [^{}]", label(n + 1)));
        }
        out.push('\n');
    }
    for (n, c) in comments.iter().enumerate() {
        out.push('\n');
        out.push_str(&format!("[^{}]: ", label(n + 1)));
        let mut first = true;
        let mut line = |text: &str, out: &mut String| {
            if !first {
                out.push_str("\n    ");
            }
            first = false;
            out.push_str(text);
        };
        let quote = c.quote.split_whitespace().collect::<Vec<_>>().join(" ");
        let status = if c.resolved { " (resolved)" } else { "" };
        line(
            &format!("On “{}”{status}:", escape_inline(&quote)),
            &mut out,
        );
        for note in &c.notes {
            line("", &mut out);
            let who = note.name.as_deref().unwrap_or("Anonymous");
            let when = when(note.time_ms);
            line(&format!("**{}**{when}:", escape_inline(who)), &mut out);
            for text_line in note.text.lines() {
                line(text_line, &mut out);
            }
        }
        out.push('\n');
    }
    out
}

fn when(time_ms: u64) -> String {
    if time_ms == 0 {
        return String::new();
    }
    let at = UNIX_EPOCH + Duration::from_millis(time_ms);
    format!(", {}", httpdate::fmt_http_date(at))
}

/// Names and quotes are shown as written: Markdown's inline marks in them are escaped.
fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>#|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(name: &str, text: &str) -> Note {
        Note {
            name: Some(name.into()),
            time_ms: 1_700_000_000_000,
            text: text.into(),
        }
    }

    #[test]
    fn references_at_anchors_and_notes_after_the_text() {
        let md = "Ship on Friday.\nBudget 😀 ok\n";
        let comments = [
            Comment {
                range: Some((8, 14)),
                quote: "Friday".into(),
                resolved: false,
                notes: vec![note("Ada", "Monday?"), note("Bob", "Yes.\nMonday.")],
            },
            Comment {
                // "😀" counts two UTF-16 units.
                range: Some((16, 25)),
                quote: "Budget 😀".into(),
                resolved: true,
                notes: vec![note("Cy*", "fine")],
            },
            Comment {
                range: None,
                quote: "gone".into(),
                resolved: false,
                notes: vec![note("Di", "lost?")],
            },
        ];
        let out = with_footnotes(md, &comments);
        assert!(
            out.starts_with("Ship on Friday[^comment-1].\nBudget 😀[^comment-2] ok\n"),
            "{out}"
        );
        assert!(out.contains("\nComments on deleted text: [^comment-3]\n"));
        assert!(out.contains("[^comment-1]: On “Friday”:\n    \n    **Ada**, Tue, 14 Nov 2023 22:13:20 GMT:\n    Monday?\n"));
        assert!(
            out.contains("    **Bob**, Tue, 14 Nov 2023 22:13:20 GMT:\n    Yes.\n    Monday.\n")
        );
        assert!(out.contains("[^comment-2]: On “Budget 😀” (resolved):"));
        assert!(out.contains("**Cy\\***"));
        assert!(out.contains("[^comment-3]: On “gone”:"));
    }

    #[test]
    fn an_anchor_at_the_very_end_is_referenced() {
        let comments = [Comment {
            range: Some((0, 3)),
            quote: "abc".into(),
            resolved: false,
            notes: vec![note("A", "x")],
        }];
        assert!(with_footnotes("abc", &comments).starts_with("abc[^comment-1]\n"));
        assert_eq!(with_footnotes("abc", &[]), "abc");
    }
}
