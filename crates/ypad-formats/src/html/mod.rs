//! HTML to Markdown, for `POST /p/{pad}/import` of an HTML file and the `setHTML` API.
//!
//! The page is parsed by a browser-grade HTML5 parser and walked like Etherpad's own HTML
//! import does: `<br>` and block elements end a line, lists become list items by depth,
//! inline elements become styles. The lines then go through the same Markdown writer as an
//! `.etherpad` import, so an Etherpad pad's HTML export and its `.etherpad` export give the
//! same Markdown. Underline has no Markdown, so underlined text stays plain; links with
//! script-capable URLs keep only their text.

mod nesting;

use scraper::{ElementRef, Html, Node};

use crate::markdown::is_script_url;
use crate::mdwrite::{self, Block, Line, Span, Style};

/// Converts an HTML document or fragment into Markdown.
pub fn to_markdown(html: &str) -> String {
    let document = Html::parse_document(&nesting::bound_nesting(html, nesting::MAX_NESTING));
    let mut walker = Walker::default();
    walker.children(document.root_element());
    walker.end_line(false);
    let mut lines = walker.lines;
    while lines.last().is_some_and(is_blank) {
        lines.pop();
    }
    mdwrite::write(&lines)
}

/// How deep the walk recurses; deeper content is kept as plain text of the element at this
/// depth, so that no page can exhaust the stack (nesting is bounded before parsing too, but
/// the parser may still nest more than the tags say).
const MAX_DEPTH: usize = 256;

/// Elements whose content is not page text.
const SKIPPED: &[&str] = &[
    "head", "script", "style", "template", "noscript", "title", "iframe", "object", "embed",
    "canvas", "svg", "math", "select", "textarea", "audio", "video",
];

/// Elements that start and end a line but are not paragraphs of their own.
const LINE_BLOCKS: &[&str] = &[
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "aside",
    "figure",
    "figcaption",
    "address",
    "dl",
    "dt",
    "dd",
    "details",
    "summary",
    "form",
    "fieldset",
    "legend",
    "center",
    "caption",
    "hgroup",
    "search",
    "dialog",
    "body",
    "html",
];

#[derive(Clone, Copy)]
struct List {
    ordered: bool,
    /// Etherpad's `<ul class="indent">`: indentation without bullets.
    indent: bool,
    start: Option<u64>,
}

#[derive(Default)]
struct Walker {
    lines: Vec<Line>,
    spans: Vec<Span>,
    /// The block kind of the line being collected, when not a plain paragraph.
    block: Option<Block>,
    bold: usize,
    italic: usize,
    strike: usize,
    code: usize,
    links: Vec<Option<String>>,
    lists: Vec<List>,
    /// List items (not indent lists) the walk is inside.
    items: usize,
    quote: usize,
    pre: usize,
    pre_lang: String,
    /// Collapsed whitespace waiting for the next visible character.
    space: bool,
    /// A blank line is due before the next line (paragraph break).
    blank_before: bool,
    /// Table cells of the row being read, and whether the walk is inside a cell.
    row: Option<Vec<Vec<Span>>>,
    in_cell: bool,
    depth: usize,
}

fn is_blank(line: &Line) -> bool {
    line.block == Block::Paragraph && line.spans.iter().all(|s| s.text.trim().is_empty())
}

impl Walker {
    fn children(&mut self, element: ElementRef<'_>) {
        if self.depth >= MAX_DEPTH {
            for text in element.text() {
                self.text(text);
            }
            return;
        }
        self.depth += 1;
        for child in element.children() {
            match child.value() {
                Node::Text(text) => self.text(text),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.element(child);
                    }
                }
                _ => {}
            }
        }
        self.depth -= 1;
    }

    fn element(&mut self, element: ElementRef<'_>) {
        let name = element.value().name();
        if SKIPPED.contains(&name) {
            return;
        }
        if self.in_cell && is_block(name) {
            self.space = true;
            self.children(element);
            self.space = true;
            return;
        }
        match name {
            "br" => self.end_line(true),
            "p" if self.items > 0 => self.block_of_lines(element),
            "p" => {
                self.paragraph_break();
                self.children(element);
                self.paragraph_break();
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.end_line(false);
                self.block = Some(Block::Heading(usize::from(name.as_bytes()[1] - b'0')));
                self.children(element);
                self.end_line(false);
            }
            "ul" | "ol" | "menu" => self.list(element, name == "ol"),
            "li" => self.item(element),
            "blockquote" => {
                self.paragraph_break();
                self.quote += 1;
                self.children(element);
                self.end_line(false);
                self.quote -= 1;
                self.paragraph_break();
            }
            "pre" => self.pre(element),
            "hr" => {
                self.paragraph_break();
                self.push_line(Block::Rule, Vec::new());
                self.paragraph_break();
            }
            "table" => {
                self.paragraph_break();
                self.children(element);
                self.paragraph_break();
            }
            "tr" => self.table_row(element),
            "td" | "th" => self.table_cell(element),
            "b" | "strong" => styled(self, element, |w| &mut w.bold),
            "i" | "em" | "cite" | "var" | "dfn" => styled(self, element, |w| &mut w.italic),
            "s" | "del" | "strike" => styled(self, element, |w| &mut w.strike),
            "code" | "kbd" | "samp" | "tt" => {
                if self.pre > 0 {
                    if let Some(lang) = element
                        .value()
                        .classes()
                        .find_map(|c| c.strip_prefix("language-"))
                    {
                        self.pre_lang = lang.to_owned();
                    }
                    self.children(element);
                } else {
                    styled(self, element, |w| &mut w.code);
                }
            }
            "a" => self.link(element),
            "img" => self.image(element),
            "input" => {
                if element.value().attr("type") == Some("checkbox") {
                    let checked = element.value().attr("checked").is_some();
                    self.push_text(if checked { "[x]" } else { "[ ]" });
                    self.space = true;
                }
            }
            _ if LINE_BLOCKS.contains(&name) => self.block_of_lines(element),
            _ => self.children(element),
        }
    }

    fn block_of_lines(&mut self, element: ElementRef<'_>) {
        self.end_line(false);
        self.children(element);
        self.end_line(false);
    }

    fn list(&mut self, element: ElementRef<'_>, ordered: bool) {
        self.end_line(false);
        let indent = element.value().classes().any(|c| c == "indent");
        let start = element
            .value()
            .attr("start")
            .and_then(|s| s.trim().parse().ok());
        self.lists.push(List {
            ordered,
            indent,
            start,
        });
        if indent {
            self.quote += 1;
        }
        self.children(element);
        self.end_line(false);
        if indent {
            self.quote -= 1;
        }
        self.lists.pop();
    }

    fn item(&mut self, element: ElementRef<'_>) {
        self.end_line(false);
        let Some(list) = self.lists.last().copied() else {
            return self.block_of_lines(element);
        };
        if list.indent {
            return self.block_of_lines(element);
        }
        let level = self.lists.iter().filter(|l| !l.indent).count();
        let block = Block::Item {
            ordered: list.ordered,
            level,
            start: list.start,
        };
        // Only the first item carries the list's start number.
        if let Some(last) = self.lists.last_mut() {
            last.start = None;
        }
        let lines_before = self.lines.len();
        self.block = Some(block.clone());
        self.items += 1;
        self.children(element);
        self.end_line(false);
        self.items -= 1;
        if self.lines.len() == lines_before {
            // An empty item is still an item.
            self.block = Some(block);
            self.end_line(true);
        }
        self.block = None;
    }

    fn pre(&mut self, element: ElementRef<'_>) {
        // Inside a list item a blank line would make the list loose; the fence separates.
        let separate = |w: &mut Self| {
            if w.items > 0 {
                w.end_line(false);
            } else {
                w.paragraph_break();
            }
        };
        separate(self);
        self.pre += 1;
        self.children(element);
        if !self.spans.is_empty() {
            self.end_line(true);
        }
        self.pre -= 1;
        self.pre_lang.clear();
        separate(self);
    }

    fn table_row(&mut self, element: ElementRef<'_>) {
        self.end_line(false);
        self.row = Some(Vec::new());
        self.children(element);
        if let Some(cells) = self.row.take().filter(|c| !c.is_empty()) {
            self.push_line(Block::TableRow(cells), Vec::new());
        }
    }

    fn table_cell(&mut self, element: ElementRef<'_>) {
        if self.row.is_none() {
            return self.block_of_lines(element);
        }
        let outside = std::mem::take(&mut self.spans);
        self.in_cell = true;
        self.space = false;
        self.children(element);
        self.in_cell = false;
        let mut cell = std::mem::replace(&mut self.spans, outside);
        trim_end(&mut cell);
        if let Some(row) = &mut self.row {
            row.push(cell);
        }
        self.space = false;
    }

    fn link(&mut self, element: ElementRef<'_>) {
        let href = element
            .value()
            .attr("href")
            .map(str::trim)
            .filter(|h| !h.is_empty() && !is_script_url(h, false))
            .map(str::to_owned);
        let (first_span, lines_before) = (self.spans.len(), self.lines.len());
        self.links.push(href.clone());
        self.children(element);
        self.links.pop();
        // Etherpad links every URL in a pad's text; such a link is just the URL, and
        // stays bare text in Markdown, where the renderer links it again.
        if let Some(href) = href
            && self.lines.len() == lines_before
        {
            let text: String = self.spans[first_span.min(self.spans.len())..]
                .iter()
                .filter(|s| s.link.as_deref() == Some(&href))
                .map(|s| s.text.as_str())
                .collect();
            let text = text.trim();
            let bare_url = href.starts_with("http://") || href.starts_with("https://");
            if bare_url && text == href {
                for span in &mut self.spans[first_span..] {
                    if span.link.as_deref() == Some(&href) {
                        span.link = None;
                    }
                }
            }
        }
    }

    fn image(&mut self, element: ElementRef<'_>) {
        let Some(src) = element
            .value()
            .attr("src")
            .map(str::trim)
            .filter(|s| !s.is_empty() && !is_script_url(s, true))
        else {
            return;
        };
        let alt = element.value().attr("alt").unwrap_or("");
        let alt = alt.replace('[', "\\[").replace(']', "\\]");
        let markdown = format!("![{alt}]({})", mdwrite::link_destination(src));
        self.flush_space();
        self.spans.push(Span {
            text: markdown,
            style: self.style(),
            link: self.link_href(),
            verbatim: true,
        });
    }

    fn text(&mut self, text: &str) {
        if self.pre > 0 {
            let mut parts = text.split('\n');
            if let Some(first) = parts.next() {
                self.push_raw(first);
            }
            for part in parts {
                self.end_line(true);
                self.push_raw(part);
            }
            return;
        }
        let mut word = String::new();
        for c in text.chars() {
            // HTML collapses runs of ASCII whitespace; a no-break space is a real space.
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
                if !word.is_empty() {
                    self.push_text(&std::mem::take(&mut word));
                }
                self.space = true;
            } else {
                word.push(if c == '\u{a0}' { ' ' } else { c });
            }
        }
        if !word.is_empty() {
            self.push_text(&word);
        }
    }

    fn style(&self) -> Style {
        Style {
            bold: self.bold > 0,
            italic: self.italic > 0,
            strike: self.strike > 0,
            code: self.code > 0,
        }
    }

    fn link_href(&self) -> Option<String> {
        self.links.last().cloned().flatten()
    }

    fn flush_space(&mut self) {
        if std::mem::take(&mut self.space) && !self.spans.is_empty() {
            self.push_raw(" ");
        }
    }

    fn push_text(&mut self, text: &str) {
        self.flush_space();
        self.push_raw(text);
    }

    fn push_raw(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let (style, link) = (self.style(), self.link_href());
        match self.spans.last_mut() {
            Some(last) if !last.verbatim && last.style == style && last.link == link => {
                last.text.push_str(text);
            }
            _ => self.spans.push(Span {
                text: text.to_owned(),
                style,
                link,
                verbatim: false,
            }),
        }
    }

    /// Ends the line being collected; an empty one only if `force` (a `<br>`).
    fn end_line(&mut self, force: bool) {
        self.space = false;
        if self.in_cell {
            self.space = true;
            return;
        }
        let mut spans = std::mem::take(&mut self.spans);
        if self.pre == 0 {
            trim_end(&mut spans);
        }
        let has_text = spans.iter().any(|s| !s.text.trim().is_empty());
        if !has_text && !force {
            return;
        }
        let block = match self.block.take() {
            Some(block) => block,
            None if self.pre > 0 => Block::Code {
                lang: self.pre_lang.clone(),
                in_item: self.items > 0,
            },
            None if self.items > 0 => Block::Continuation,
            None => Block::Paragraph,
        };
        self.push_line(block, spans);
    }

    fn paragraph_break(&mut self) {
        self.end_line(false);
        self.blank_before = !self.lines.is_empty();
    }

    fn push_line(&mut self, block: Block, spans: Vec<Span>) {
        if std::mem::take(&mut self.blank_before) && self.lines.last().is_some_and(|l| !is_blank(l))
        {
            self.lines
                .push(Line::new(self.quote, Block::Paragraph, Vec::new()));
        }
        self.lines.push(Line::new(self.quote, block, spans));
    }
}

fn styled(w: &mut Walker, element: ElementRef<'_>, counter: fn(&mut Walker) -> &mut usize) {
    *counter(w) += 1;
    w.children(element);
    *counter(w) -= 1;
}

fn is_block(name: &str) -> bool {
    LINE_BLOCKS.contains(&name)
        || matches!(
            name,
            "p" | "br"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "ul"
                | "ol"
                | "menu"
                | "li"
                | "blockquote"
                | "pre"
                | "hr"
                | "table"
        )
}

fn trim_end(spans: &mut Vec<Span>) {
    while let Some(last) = spans.last_mut() {
        if last.verbatim {
            break;
        }
        let trimmed = last.text.trim_end().len();
        last.text.truncate(trimmed);
        if last.text.is_empty() {
            spans.pop();
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(html: &str, expected: &str) {
        assert_eq!(to_markdown(html), expected, "{html}");
    }

    #[test]
    fn inline_styles() {
        check(
            "<b>bold</b> <i>it</i> <u>under</u> <s>gone</s>",
            "**bold** *it* under ~~gone~~\n",
        );
        check("a<strong> b </strong>c", "a **b** c\n");
        check("<em>x <strong>y</strong></em>", "*x **y***\n");
        check("use <code>a|b</code> here", "use `a|b` here\n");
        check("<del>x</del><ins>y</ins>", "~~x~~y\n");
    }

    #[test]
    fn line_breaks_and_paragraphs() {
        check("one<br>two<br>", "one\ntwo\n");
        check("one<br><br>two", "one\n\ntwo\n");
        check("<p>one\n  two</p><p>three</p>", "one two\n\nthree\n");
        check(
            "<div>a</div><div>b</div><div><br></div><div>c</div>",
            "a\nb\n\nc\n",
        );
        check("<p>&nbsp;&nbsp;x &amp; &lt;y&gt;</p>", "  x & <y>\n");
    }

    #[test]
    fn headings() {
        check("<h1>Title</h1><p>text</p>", "# Title\n\ntext\n");
        check("<h3>Sub <em>it</em></h3>", "### Sub *it*\n");
    }

    #[test]
    fn lists() {
        check(
            "<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>",
            "- a\n- b\n  - c\n",
        );
        check(
            "<ol start=\"3\"><li>x</li><li>y</li></ol>after",
            "3. x\n4. y\n\nafter\n",
        );
        check("<ol><li>x<ol><li>y</li></ol></li></ol>", "1. x\n   1. y\n");
        check("<ul><li><p>a</p><p>b</p></li></ul>", "- a\n  b\n");
        check("<ul><li>a<br>b</li></ul>", "- a\n  b\n");
        check("<ul><li></li><li>x</li></ul>", "-\n- x\n");
        check("<ul><li><ul><li>skip</li></ul></li></ul>", "- skip\n");
        check(
            "<ul class=\"indent\"><li>moved in</li></ul>",
            "> moved in\n",
        );
        check(
            "<ul><li><input type=checkbox checked> done</li></ul>",
            "- [x] done\n",
        );
    }

    #[test]
    fn links_and_images() {
        check(
            "<a href=\"https://e.org\">site</a>",
            "[site](https://e.org)\n",
        );
        check(
            "<a href=\"https://e.org/x\">https://e.org/x</a>",
            "https://e.org/x\n",
        );
        check("<a href=\"javascript:alert(1)\">x</a>", "x\n");
        check("<a>anchor</a>", "anchor\n");
        check(
            "<img src=\"/i.png\" alt=\"a [b]\">",
            "![a \\[b\\]](/i.png)\n",
        );
        check("<img src=\"javascript:x\">", "");
    }

    #[test]
    fn code_in_a_list_item_stays_in_it() {
        check(
            "<ol><li>Run:<pre><code>a\n\nb</code></pre></li><li>Done</li></ol>",
            "1. Run:\n   ```\n   a\n   \n   b\n   ```\n2. Done\n",
        );
    }

    #[test]
    fn blocks() {
        check(
            "<pre><code class=\"language-rust\">fn x() {\n    y\n}\n</code></pre>",
            "```rust\nfn x() {\n    y\n}\n```\n",
        );
        check(
            "<blockquote><p>a</p><p>b</p></blockquote>c",
            "> a\n>\n> b\n\nc\n",
        );
        check("a<hr>b", "a\n\n---\n\nb\n");
        check(
            "<table><tr><th>h1</th><th>h2</th></tr><tr><td>a<br>b</td><td>|</td></tr></table>",
            "| h1 | h2 |\n| --- | --- |\n| a b | \\| |\n",
        );
    }

    #[test]
    fn survives_hostile_nesting() {
        let deep = format!(
            "{}x{}",
            "<div><b>".repeat(50_000),
            "</b></div>".repeat(50_000)
        );
        assert_eq!(to_markdown(&deep), "**x**\n");
        let lists = format!("{}y", "<ul><li>".repeat(5_000));
        assert!(to_markdown(&lists).ends_with("- y\n"));
    }

    #[test]
    fn skips_what_is_not_text() {
        check(
            "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script>hi</body></html>",
            "hi\n",
        );
        check("", "");
    }
}
