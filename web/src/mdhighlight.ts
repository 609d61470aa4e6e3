// Markdown styling outside CodeMirror (the timeslider's text): the same parser the editor uses
// (CommonMark with GitHub's extensions) run over a whole revision, giving ranges with classes
// (`md-h1`, `md-strong`, `md-mark`, …) that timeslider.css styles like the editor's highlighting.

import { GFM, parser } from "@lezer/markdown";
import { highlightTree, styleTags, Tag, tagHighlighter, tags as t } from "@lezer/highlight";

const listMark = Tag.define();
const taskMark = Tag.define();

const markdownParser = parser.configure([GFM, { props: [styleTags({ ListMark: listMark, TaskMarker: taskMark })] }]);

const highlighter = tagHighlighter([
  { tag: t.heading1, class: "md-h1" },
  { tag: t.heading2, class: "md-h2" },
  { tag: t.heading3, class: "md-h3" },
  { tag: [t.heading4, t.heading5, t.heading6], class: "md-h4" },
  { tag: t.strong, class: "md-strong" },
  { tag: t.emphasis, class: "md-em" },
  { tag: t.strikethrough, class: "md-strike" },
  { tag: t.link, class: "md-link" },
  { tag: t.url, class: "md-url" },
  { tag: t.monospace, class: "md-code" },
  { tag: t.quote, class: "md-quote" },
  { tag: [t.processingInstruction, t.contentSeparator, t.comment], class: "md-mark" },
  { tag: listMark, class: "md-list" },
  { tag: taskMark, class: "md-task" },
  { tag: [t.labelName, t.string], class: "md-url" },
]);

export interface StyledRange {
  from: number;
  to: number;
  cls: string;
}

/** The styled ranges of `text`, in order and not overlapping. */
export function markdownRanges(text: string): StyledRange[] {
  const out: StyledRange[] = [];
  highlightTree(markdownParser.parse(text), highlighter, (from, to, cls) => out.push({ from, to, cls }));
  return out;
}
