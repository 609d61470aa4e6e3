// The timeslider's comments: the threads as they were at the revision on screen, asked of the
// server once the slider rests (`/api/v1/pads/{pad}/revisions/{rev}/comments`), their text marked
// in the revision's text and the threads beside it, read-only.

import { h } from "../dom";
import { field, num, str } from "../json";
import { Card } from "./cards";
import { readReply, type Thread } from "./model";

interface ThreadAt {
  thread: Thread;
  range: [number, number] | null;
}

function readThreadsAt(json: unknown): ThreadAt[] {
  const list = field(json, "threads");
  if (!Array.isArray(list)) return [];
  return list.flatMap((t): ThreadAt[] => {
    const id = str(field(t, "id"));
    const replies = field(t, "replies");
    if (id === null || !Array.isArray(replies)) return [];
    const r = field(t, "range");
    const from = Array.isArray(r) ? num(r[0]) : null;
    const to = Array.isArray(r) ? num(r[1]) : null;
    const thread: Thread = {
      id,
      start: null,
      end: null,
      quote: str(field(t, "quote")) ?? "",
      resolved: field(t, "resolved") === true,
      replies: replies.flatMap((x) => readReply(x) ?? []),
    };
    return thread.replies.length > 0 ? [{ thread, range: from !== null && to !== null && from < to ? [from, to] : null }] : [];
  });
}

/** Wraps the text between two offsets of `root`'s text in `<mark>`s (one per text node). */
function markRange(root: HTMLElement, from: number, to: number, id: string): HTMLElement | null {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const parts: Array<[Text, number, number]> = [];
  let pos = 0;
  for (let n = walker.nextNode(); n !== null && pos < to; n = walker.nextNode()) {
    const text = n as Text;
    const len = text.data.length;
    const a = Math.max(from, pos);
    const b = Math.min(to, pos + len);
    if (a < b) parts.push([text, a - pos, b - pos]);
    pos += len;
  }
  let first: HTMLElement | null = null;
  for (const [text, a, b] of parts) {
    const range = document.createRange();
    range.setStart(text, a);
    range.setEnd(text, b);
    const mark = h("mark", { class: "cm-comment-anchor", "data-thread": id });
    range.surroundContents(mark);
    first ??= mark;
  }
  return first;
}

const noActions = { reply: () => {}, resolve: () => {}, focus: () => {} };

/** Shows, beside `text` (the revision's text), the threads at each revision it draws. */
export function timesliderComments(padId: string, text: HTMLElement, onRender: (listener: (t: { rev: number }) => void) => void): void {
  const list = h("div", { class: "comments-list" });
  const margin = h(
    "aside",
    { class: "comments-margin comments-readonly ts-comments", id: "comments-margin", "aria-label": "Comments" },
    list,
  );
  margin.hidden = true;
  text.closest(".pad")?.after(margin);
  let inFlight: AbortController | null = null;

  const show = (threads: ThreadAt[]): void => {
    margin.hidden = threads.length === 0;
    const placed: Array<{ el: HTMLElement; at: HTMLElement | null }> = [];
    for (const { thread, range } of threads) {
      const card = new Card(thread.id, noActions);
      card.update(thread, range === null);
      const at = range ? markRange(text, range[0], range[1], thread.id) : null;
      placed.push({ el: card.el, at });
    }
    placed.sort((a, b) => (a.at ? 0 : 1) - (b.at ? 0 : 1));
    list.replaceChildren(...placed.map((p) => p.el));
    // Beside their text, each pushed below the one above.
    const top = margin.getBoundingClientRect().top;
    let next = 0;
    for (const p of placed) {
      const want = p.at ? p.at.getBoundingClientRect().top - top : next;
      const y = Math.max(want, next);
      p.el.style.top = `${y}px`;
      next = y + p.el.offsetHeight + 8;
    }
    list.style.height = `${next}px`;
  };

  onRender((t) => {
    inFlight?.abort();
    const ctl = new AbortController();
    inFlight = ctl;
    fetch(`/api/v1/pads/${encodeURIComponent(padId)}/revisions/${t.rev}/comments`, {
      headers: { Accept: "application/json" },
      signal: ctl.signal,
    })
      .then((res) => (res.ok ? res.json() : { threads: [] }))
      .then((json: unknown) => {
        // The text on screen is still this revision's: mark it.
        if (ctl.signal.aborted || text.dataset.rev !== String(t.rev)) return;
        show(readThreadsAt(json));
      })
      .catch(() => {
        /* aborted by a newer revision, or offline: the text shows without comments */
      });
  });
}
