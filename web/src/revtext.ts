// A revision's text drawn read-only with authorship colours: one text node per run, runs with an
// author wrapped in a span marked like the editor's (`author-mark`, `data-author`, a title with
// the author's name). Text only ever goes in as text nodes. The whole text is rebuilt off-document
// in a fragment and swapped in with one DOM operation.

import { type AuthorInfo, authorStyle, displayName } from "./authorcolors";
import type { RevisionText } from "./revisions";

export function renderRevisionText(el: HTMLElement, rev: RevisionText): void {
  const frag = document.createDocumentFragment();
  const { text, spans, authors } = rev;
  let pos = 0;
  // Neighbouring runs of one author become one span.
  let runFrom = 0;
  let runAuthor: string | null = null;
  const flush = (to: number): void => {
    if (to <= runFrom) return;
    const piece = text.slice(runFrom, to);
    const info: AuthorInfo | undefined = runAuthor === null ? undefined : authors.get(runAuthor);
    if (runAuthor === null || !info) {
      frag.appendChild(document.createTextNode(piece));
    } else {
      const span = document.createElement("span");
      span.className = "author-mark";
      span.dataset.author = runAuthor;
      span.title = displayName(info);
      span.setAttribute("style", authorStyle(info.color));
      span.textContent = piece;
      frag.appendChild(span);
    }
    runFrom = to;
  };
  for (const [len, author] of spans) {
    if (author !== runAuthor) {
      flush(pos);
      runAuthor = author;
    }
    pos += len;
  }
  flush(Math.min(pos, text.length));
  // Spans should cover the text; whatever they do not is shown without an author.
  runAuthor = null;
  flush(text.length);
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
