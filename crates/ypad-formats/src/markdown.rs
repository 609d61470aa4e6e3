//! Markdown to HTML for readers: the `/export/html` page and the fragment that Etherpad's
//! `getHTML` API wraps. A pad is written by anyone with its link and read by others, so the
//! output must never run script in a reader's browser: raw HTML in the pad is shown as text,
//! never passed through, and link and image URLs with script-capable schemes are defused.
//!
//! Two rendering choices differ from plain CommonMark, both so that a pad reads as its
//! writers typed it, as in Etherpad: a line break in the text is a line break on the page
//! (CommonMark allows rendering soft breaks as hard ones), and bare `http(s)://` URLs become
//! links, as Etherpad makes them.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

/// Where a neutralised link or image points instead.
const DEFUSED_URL: &str = "#";

/// The style of the standalone page: readable width, the elements Markdown produces.
pub(crate) const STYLE: &str = "\
body{max-width:46rem;margin:2rem auto;padding:0 1rem;font:16px/1.6 system-ui,sans-serif;color:#1f2328}
h1,h2,h3,h4,h5,h6{line-height:1.25;margin:1.5em 0 .5em}
pre,code{font-family:ui-monospace,monospace;font-size:.9em;background:#f6f8fa;border-radius:4px}
code{padding:.1em .3em}pre{padding:.8em;overflow:auto}pre code{padding:0}
blockquote{margin:0;padding:0 1em;color:#59636e;border-left:.25em solid #d1d9e0}
table{border-collapse:collapse}th,td{border:1px solid #d1d9e0;padding:.3em .8em}
img{max-width:100%}a{color:#0969da}
";

/// A standalone HTML page (`<!DOCTYPE html>`) showing `markdown`, titled `title`.
pub fn to_html_document(markdown: &str, title: &str) -> String {
    document(&to_html_body(markdown), title)
}

/// The page with the pad's comment threads as footnotes at their text.
pub fn to_html_document_with_comments(
    markdown: &str,
    title: &str,
    comments: &[crate::comments::Comment],
) -> String {
    let markdown = crate::comments::with_footnotes(markdown, comments);
    document(
        &body(&markdown, BASE_OPTIONS | Options::ENABLE_FOOTNOTES),
        title,
    )
}

fn document(body: &str, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape_html(title),
        body
    )
}

const BASE_OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS);

/// The HTML fragment for `markdown`: what goes inside `<body>`.
pub fn to_html_body(markdown: &str) -> String {
    body(markdown, BASE_OPTIONS)
}

fn body(markdown: &str, options: Options) -> String {
    let events = TextMergeStream::new(Parser::new_ext(markdown, options));
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, safe_events(events));
    html
}

/// Rewrites the event stream so that nothing in it is active content.
fn safe_events<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    // Inside links, code and images a URL is not re-linked.
    let mut no_linkify = 0usize;
    let mut html_block_lines = 0usize;
    events.flat_map(move |event| -> Vec<Event<'a>> {
        match event {
            // Raw HTML is text: a pad can show `<script>` but never run it. An HTML block
            // becomes a paragraph of its lines.
            Event::Html(html) => {
                let mut out = Vec::new();
                for line in html.trim_end_matches('\n').split('\n') {
                    if html_block_lines > 0 {
                        out.push(Event::HardBreak);
                    }
                    html_block_lines += 1;
                    out.push(Event::Text(CowStr::from(line.to_owned())));
                }
                out
            }
            Event::InlineHtml(html) => vec![Event::Text(html)],
            Event::Start(Tag::HtmlBlock) => {
                html_block_lines = 0;
                vec![Event::Start(Tag::Paragraph)]
            }
            Event::End(TagEnd::HtmlBlock) => vec![Event::End(TagEnd::Paragraph)],
            Event::SoftBreak => vec![Event::HardBreak],
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                no_linkify += 1;
                vec![Event::Start(Tag::Link {
                    link_type,
                    dest_url: safe_url(dest_url, false),
                    title,
                    id,
                })]
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                no_linkify += 1;
                vec![Event::Start(Tag::Image {
                    link_type,
                    dest_url: safe_url(dest_url, true),
                    title,
                    id,
                })]
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                no_linkify += 1;
                vec![Event::Start(Tag::CodeBlock(kind))]
            }
            Event::End(end @ (TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock)) => {
                no_linkify = no_linkify.saturating_sub(1);
                vec![Event::End(end)]
            }
            Event::Text(text) if no_linkify == 0 => linkify(text),
            other => vec![other],
        }
    })
}

/// `url`, or [`DEFUSED_URL`] if a browser would run it as script.
fn safe_url(url: CowStr<'_>, image: bool) -> CowStr<'_> {
    if is_script_url(&url, image) {
        CowStr::Borrowed(DEFUSED_URL)
    } else {
        url
    }
}

/// True for URLs a browser would run as script: `javascript:`, `vbscript:`, and `data:`
/// except `data:image/…` (an SVG image runs script when opened as a page, but not as an
/// `<img>`, so it is kept only for images).
pub(crate) fn is_script_url(url: &str, image: bool) -> bool {
    // Browsers drop leading control characters and spaces and ignore tabs and newlines
    // anywhere in a URL, so "\x01java\tscript:" is still `javascript:`.
    let scheme: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .skip_while(|c| c.is_ascii_control() || *c == ' ')
        .take_while(|c| !matches!(c, ':' | '/' | '?' | '#'))
        .collect::<String>()
        .to_ascii_lowercase();
    if scheme.is_empty() || !url.contains(':') {
        return false;
    }
    match scheme.as_str() {
        "javascript" | "vbscript" => true,
        "data" => match data_image_type(url) {
            Some(kind) => !image && kind.starts_with("svg"),
            None => true,
        },
        _ => false,
    }
}

/// The subtype of a `data:image/…` URL (`png;base64,…`), lower case.
fn data_image_type(url: &str) -> Option<String> {
    let compact: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase();
    compact.strip_prefix("data:image/").map(str::to_owned)
}

/// Splits text so that bare `http://`/`https://` URLs become links.
fn linkify(text: CowStr<'_>) -> Vec<Event<'_>> {
    let found = find_urls(&text);
    if found.is_empty() {
        return vec![Event::Text(text)];
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end) in found {
        if start > at {
            out.push(Event::Text(CowStr::from(text[at..start].to_owned())));
        }
        let url = text[start..end].to_owned();
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: CowStr::from(url.clone()),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        out.push(Event::Text(CowStr::from(url)));
        out.push(Event::End(TagEnd::Link));
        at = end;
    }
    if at < text.len() {
        out.push(Event::Text(CowStr::from(text[at..].to_owned())));
    }
    out
}

/// Byte ranges of bare URLs, with trailing punctuation and unbalanced `)` left out as
/// GitHub's autolinker does ("see https://x.org/a." links `https://x.org/a`).
fn find_urls(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(found) = ["https://", "http://"]
        .iter()
        .filter_map(|p| text[search..].find(p).map(|i| search + i))
        .min()
    {
        let starts_word = text[..found]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let mut end = text[found..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .map_or(text.len(), |i| found + i);
        loop {
            let url = &text[found..end];
            let Some(last) = url.chars().next_back() else {
                break;
            };
            let unbalanced = last == ')' && url.matches('(').count() < url.matches(')').count();
            if matches!(
                last,
                '.' | ',' | ':' | ';' | '!' | '?' | '\'' | '*' | '_' | '~'
            ) || unbalanced
            {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let scheme_len = if text[found..].starts_with("https://") {
            8
        } else {
            7
        };
        if starts_word && end > found + scheme_len {
            out.push((found, end));
        }
        search = end.max(found + scheme_len);
    }
    out
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(markdown: &str, expected: &str) {
        assert_eq!(to_html_body(markdown), expected, "{markdown:?}");
    }

    /// Checks that the rendered HTML holds only the tags and attributes Markdown makes, and
    /// no script URL.
    fn check_inert(markdown: &str) {
        const TAGS: &[&str] = &[
            "p",
            "a",
            "img",
            "strong",
            "em",
            "del",
            "code",
            "pre",
            "ul",
            "ol",
            "li",
            "br",
            "blockquote",
            "hr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "input",
        ];
        const ATTRS: &[&str] = &[
            "href", "src", "alt", "title", "type", "checked", "disabled", "start", "style", "class",
        ];
        let html = to_html_body(markdown);
        for tag in html.split('<').skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            let tag = tag.trim_start_matches('/').trim_end_matches('/');
            let mut parts = tag.split_whitespace();
            let name = parts.next().unwrap_or("");
            assert!(
                TAGS.contains(&name),
                "{markdown:?} made <{tag}> in {html:?}"
            );
            for attr in parts {
                let (key, value) = attr.split_once('=').unwrap_or((attr, ""));
                assert!(ATTRS.contains(&key), "{markdown:?} made {attr} in {html:?}");
                let value = value.trim_matches('"').to_ascii_lowercase();
                assert!(
                    !value.starts_with("javascript")
                        && !value.starts_with("vbscript")
                        && !value.starts_with("data:text"),
                    "{markdown:?} made {attr} in {html:?}"
                );
            }
        }
    }

    #[test]
    fn renders_commonmark_and_extensions() {
        check("# Title\n", "<h1>Title</h1>\n");
        check(
            "**b** *i* ~~s~~ `c`\n",
            "<p><strong>b</strong> <em>i</em> <del>s</del> <code>c</code></p>\n",
        );
        check(
            "- a\n  - b\n",
            "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n",
        );
        check(
            "- [x] done\n",
            "<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\ndone</li>\n</ul>\n",
        );
        check(
            "| a | b |\n| - | - |\n| 1 | 2 |\n",
            "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>\n<tr><td>1</td><td>2</td></tr>\n</tbody></table>\n",
        );
    }

    #[test]
    fn line_breaks_are_kept() {
        check("one\ntwo\n", "<p>one<br />\ntwo</p>\n");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        check(
            "<script>alert(1)</script>\n",
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
        );
        check(
            "a <b onclick=x>b</b>\n",
            "<p>a &lt;b onclick=x&gt;b&lt;/b&gt;</p>\n",
        );
        check(
            "<div>\nx\n</div>\n",
            "<p>&lt;div&gt;<br />\nx<br />\n&lt;/div&gt;</p>\n",
        );
        check("<!-- c -->\n", "<p>&lt;!-- c --&gt;</p>\n");
    }

    #[test]
    fn script_urls_are_defused() {
        check("[x](javascript:alert(1))\n", "<p><a href=\"#\">x</a></p>\n");
        check(
            "[x]( JaVaScRiPt:alert(1))\n",
            "<p><a href=\"#\">x</a></p>\n",
        );
        check(
            "[x](java&#9;script:alert(1))\n",
            "<p><a href=\"#\">x</a></p>\n",
        );
        check("[x](vbscript:msgbox)\n", "<p><a href=\"#\">x</a></p>\n");
        check(
            "[x](data:text/html,<script>)\n",
            "<p><a href=\"#\">x</a></p>\n",
        );
        check("[x](<data:text/html,x>)\n", "<p><a href=\"#\">x</a></p>\n");
        check(
            "![i](data:image/png;base64,AAAA)\n",
            "<p><img src=\"data:image/png;base64,AAAA\" alt=\"i\" /></p>\n",
        );
        check(
            "[i](data:image/png;base64,AAAA)\n",
            "<p><a href=\"data:image/png;base64,AAAA\">i</a></p>\n",
        );
        check(
            "[i](data:image/svg+xml,<svg>)\n",
            "<p><a href=\"#\">i</a></p>\n",
        );
        check(
            "![i](data:image/svg+xml;base64,AAAA)\n",
            "<p><img src=\"data:image/svg+xml;base64,AAAA\" alt=\"i\" /></p>\n",
        );
        check(
            "![i](javascript:x)\n",
            "<p><img src=\"#\" alt=\"i\" /></p>\n",
        );
        check(
            "<javascript:alert(1)>\n",
            "<p><a href=\"#\">javascript:alert(1)</a></p>\n",
        );
        check(
            "[x][r]\n\n[r]: javascript:alert(1)\n",
            "<p><a href=\"#\">x</a></p>\n",
        );
        check(
            "[ok](https://example.org/a?b=1)\n",
            "<p><a href=\"https://example.org/a?b=1\">ok</a></p>\n",
        );
        check("[rel](/p/other)\n", "<p><a href=\"/p/other\">rel</a></p>\n");
    }

    #[test]
    fn nothing_gets_through() {
        for attack in [
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)>",
            "<iframe src=\"javascript:alert(1)\"></iframe>",
            "<style>body{}</style>",
            "[a](javascript:alert(1) \"t\")",
            "![a](\"onerror=\"alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[a](\u{1}javascript:alert(1))",
            "[a](&#x6A;avascript:alert(1))",
            "```\n<script>\n```",
            "<details open ontoggle=alert(1)>",
        ] {
            check_inert(attack);
        }
    }

    #[test]
    fn bare_urls_become_links() {
        check(
            "see https://example.org/a_b.\n",
            "<p>see <a href=\"https://example.org/a_b\">https://example.org/a_b</a>.</p>\n",
        );
        check(
            "(http://x.org/wiki/A_(b))\n",
            "<p>(<a href=\"http://x.org/wiki/A_(b)\">http://x.org/wiki/A_(b)</a>)</p>\n",
        );
        check("`https://x.org`\n", "<p><code>https://x.org</code></p>\n");
        check(
            "[https://x.org](https://y.org)\n",
            "<p><a href=\"https://y.org\">https://x.org</a></p>\n",
        );
        check(
            "xhttps://x.org https://\n",
            "<p>xhttps://x.org https://</p>\n",
        );
    }

    #[test]
    fn survives_hostile_nesting() {
        for attack in [
            "> ".repeat(50_000),
            "[".repeat(50_000),
            "*a".repeat(50_000),
            (0..2_000)
                .map(|i| format!("{}- x\n", "  ".repeat(i)))
                .collect(),
            "<div>".repeat(50_000),
        ] {
            let html = to_html_body(&attack);
            assert!(!html.contains("<div"), "{}", &html[..80]);
        }
    }

    #[test]
    fn document_has_escaped_title_and_style() {
        let doc = to_html_document("# Hi\n", "a <b> & \"c\"");
        assert!(doc.starts_with("<!DOCTYPE html>\n"));
        assert!(doc.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"));
        assert!(doc.contains("<style>"));
        assert!(doc.contains("<body>\n<h1>Hi</h1>\n</body>"));
    }
}
