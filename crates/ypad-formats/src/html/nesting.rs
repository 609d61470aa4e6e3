//! Bounding how deeply a page nests before the HTML5 parser sees it. The tree builder checks
//! the stack of open elements for every tag, so ten thousand nested `<div>`s cost seconds and
//! a megabyte of them minutes; browsers cap nesting too (Blink at 512). Tags beyond the cap
//! are dropped and their text kept. The scan is approximate where HTML is: it only needs to
//! never let real nesting exceed the cap, and to leave ordinary pages untouched.

use std::borrow::Cow;

/// Deepest element nesting handed to the parser.
pub(super) const MAX_NESTING: usize = 512;

/// Elements with no content, which never nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements whose start tag closes an open one of their kind (`<li>a<li>b`), so that an
/// unclosed run of them does not nest.
const SELF_CLOSING_SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "tr", "td", "th", "rt", "rp", "optgroup",
];

/// `html` with start and end tags dropped wherever they would nest deeper than `max`.
pub(super) fn bound_nesting(html: &str, max: usize) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    // Depths at which tags were dropped; their end tags are dropped too.
    let mut dropped = 0usize;
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset;
        let rest = &html[start..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |e| start + e + 3);
            continue;
        }
        let closing = rest.starts_with("</");
        let name_at = start + if closing { 2 } else { 1 };
        let name_len = bytes[name_at.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || (!closing && !bytes[name_at].is_ascii_alphabetic()) {
            i = start + 1;
            continue;
        }
        let name = html[name_at..name_at + name_len].to_ascii_lowercase();
        let end = html[name_at..]
            .find('>')
            .map_or(html.len(), |e| name_at + e + 1);
        let self_closed = html[start..end].ends_with("/>");
        let mut drop = false;
        if closing {
            if dropped > 0 {
                dropped -= 1;
                drop = true;
            } else {
                depth = depth.saturating_sub(1);
            }
        } else if !VOID.contains(&name.as_str())
            && !self_closed
            && !SELF_CLOSING_SIBLINGS.contains(&name.as_str())
        {
            if depth >= max {
                dropped += 1;
                drop = true;
            } else {
                depth += 1;
            }
        }
        if drop {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied..start]);
            copied = end;
        }
        i = end;
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&html[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(html),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(html: &str, max: usize, expected: &str) {
        assert_eq!(bound_nesting(html, max), expected, "{html}");
    }

    #[test]
    fn ordinary_pages_pass_untouched() {
        let page = "<html><body><!-- <div><div> --><p>a<p>b<ul><li>x<li>y</ul><br><img src=x/></body></html>";
        check(page, 3, page);
        check("a < b, 1<2", 0, "a < b, 1<2");
    }

    #[test]
    fn deep_nesting_is_cut() {
        check(
            "<div><div><div>x</div></div></div>",
            2,
            "<div><div>x</div></div>",
        );
        check("<b><i><s>x</s></i></b>y", 1, "<b>x</b>y");
    }
}
