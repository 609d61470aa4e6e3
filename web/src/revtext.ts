// A revision's text drawn read-only with authorship colours and the editor's Markdown styling: the
// text is cut wherever the author or the style changes; a piece with an author is wrapped in a span
// marked like the editor's (`author-mark`, `data-author`, a title with the author's name), a piece
// with a style carries its `md-*` classes. Text only ever goes in as text nodes. The whole text is
// rebuilt off-document in a fragment and swapped in with one DOM operation.

import { type AuthorInfo, authorStyle, displayName } from "./authorcolors";
import { markdownRanges } from "./mdhighlight";
import type { RevisionText } from "./revisions";

/** Author runs as `[from, to, author]`, neighbours of one author merged, covering the text. */
function authorRuns(rev: RevisionText): Array<[number, number, string | null]> {
  const runs: Array<[number, number, string | null]> = [];
  let pos = 0;
  for (const [len, author] of rev.spans) {
    const to = Math.min(pos + len, rev.text.length);
    if (to <= pos) break;
    const last = runs[runs.length - 1];
    if (last && last[2] === author) last[1] = to;
    else runs.push([pos, to, author]);
    pos = to;
  }
  // Spans should cover the text; whatever they do not is shown without an author.
  if (pos < rev.text.length) runs.push([pos, rev.text.length, null]);
  return runs;
}

export function renderRevisionText(el: HTMLElement, rev: RevisionText): void {
  const frag = document.createDocumentFragment();
  const { text, authors } = rev;
  const runs = authorRuns(rev);
  const styles = markdownRanges(text);
  let s = 0;
  for (const [runFrom, runTo, author] of runs) {
    const info: AuthorInfo | undefined = author === null ? undefined : authors.get(author);
    let parent: Node = frag;
    if (author !== null && info) {
      const span = document.createElement("span");
      span.className = "author-mark";
      span.dataset.author = author;
      span.title = displayName(info);
      span.setAttribute("style", authorStyle(info.color));
      frag.appendChild(span);
      parent = span;
    }
    // Within the run: plain text between styled ranges, styled ranges cut at the run's ends.
    let pos = runFrom;
    while (s < styles.length && styles[s]!.to <= runFrom) s++;
    for (let i = s; i < styles.length && styles[i]!.from < runTo; i++) {
      const r = styles[i]!;
      const from = Math.max(r.from, runFrom);
      const to = Math.min(r.to, runTo);
      if (from > pos) parent.appendChild(document.createTextNode(text.slice(pos, from)));
      const styled = document.createElement("span");
      styled.className = r.cls;
      styled.textContent = text.slice(from, to);
      parent.appendChild(styled);
      pos = to;
    }
    if (pos < runTo) parent.appendChild(document.createTextNode(text.slice(pos, runTo)));
  }
  el.replaceChildren(frag);
}

/** The authors with text in this revision, in order of their first appearance. */
export function authorsInText(rev: RevisionText): Array<{ id: string; info: AuthorInfo }> {
  const seen = new Set<string>();
  const out: Array<{ id: string; info: AuthorInfo }> = [];
  for (const [, author] of rev.spans) {
    if (author === null || seen.has(author)) continue;
    seen.add(author);
    const info = rev.authors.get(author);
    if (info) out.push({ id: author, info });
  }
  return out;
}
