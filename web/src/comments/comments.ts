// Comments on the pad page: select text and press "Comment" (or Ctrl+Alt+M), write, post; replies
// make a thread, which can be resolved and reopened. Threads sit in a margin beside their text on a
// wide screen and in a drawer on a narrow one; the toolbar counts the open ones. The threads live in
// the pad's Y.Map `comments` (model.ts), their places in the editor in anchors.ts.
//
// Costs: a change to the text maps the anchors (a handful of ranges) and asks for one layout in
// CodeMirror's measure phase, which reads one line height per open thread and writes their offsets.
// Relative positions are resolved against Yjs only when the threads change, through the editor's
// binding (markers near the edits, not a walk from the start of the text).

import * as Y from "yjs";
import { StateEffect } from "@codemirror/state";
import { EditorView, keymap, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import { h } from "../dom";
import { icon } from "../icons";
import type { Identity } from "../presence";
import { bindingFacet } from "../editor";
import type { RelPos } from "../ysync";
import {
  type AnchorRange,
  activeThread,
  anchorCount,
  anchorField,
  currentAnchors,
  currentDraft,
  setActive,
  setAnchors,
  setDraft,
  threadAt,
} from "./anchors";
import { Card, composer } from "./cards";
import { addReply, addThread, COMMENTS_NAME, readThreads, setResolved, type Thread } from "./model";

/** Below this width the margin becomes a drawer (as the side column does). */
const NARROW = "(max-width: 860px)";
/** Space between cards stacked in the margin. */
const GAP_PX = 8;

export interface Comments {
  /** The pad was locked or unlocked for you: comments can be written or not. */
  setWritable(writable: boolean): void;
}

function relPos(p: Y.RelativePosition | null): RelPos | null {
  if (!p) return null;
  return { item: p.item ? { client: p.item.client, clock: p.item.clock } : null, tname: p.tname, assoc: p.assoc };
}

export function setupComments(
  doc: Y.Doc,
  view: EditorView,
  opts: { readOnly: boolean; me: () => Identity; toolbar: HTMLElement; before: HTMLElement | null },
): Comments {
  const map = doc.getMap<unknown>(COMMENTS_NAME);
  const binding = view.state.facet(bindingFacet);
  let writable = !opts.readOnly;
  const narrowScreen = window.matchMedia(NARROW);
  // Beside the reading view the sheet is too narrow for a margin too: threads go to the drawer.
  const narrow = {
    get matches(): boolean {
      return narrowScreen.matches || document.body.classList.contains("reading-on");
    },
  };
  /**
   * Whether you asked for the comments shown or hidden (the margin on a wide screen, the drawer on
   * a narrow one); null: as the layout has it, the margin when there are threads, no drawer.
   */
  let shown: boolean | null = null;

  // Toolbar: "Comment" on the selection, and the open-thread count that shows or hides them.
  const addButton = h(
    "button",
    {
      type: "button",
      class: "tool comment-add",
      id: "comment-add",
      title: "Comment on the selection (Ctrl+Alt+M)",
      "aria-label": "Comment",
      disabled: true,
    },
    icon("comment"),
  );
  const count = h("span", { class: "badge", id: "comments-count", "aria-hidden": "true" }, "0");
  const toggle = h(
    "button",
    {
      type: "button",
      class: "tool with-badge",
      id: "comments-toggle",
      title: "Comments",
      "aria-label": "Comments",
      "aria-pressed": "false",
    },
    icon("comments"),
    count,
  );
  opts.toolbar.insertBefore(addButton, opts.before);
  opts.toolbar.insertBefore(toggle, opts.before);

  // The margin beside the sheet (a drawer on a narrow screen).
  const list = h("div", { class: "comments-list" });
  const closeButton = h("button", { type: "button", class: "tool comments-close", "aria-label": "Close comments" }, icon("close"));
  const margin = h(
    "aside",
    { class: "comments-margin", id: "comments-margin", "aria-label": "Comments" },
    h("div", { class: "comments-head" }, h("h2", {}, "Comments"), closeButton),
    list,
  );
  const empty = h("p", { class: "comments-empty" }, "No comments yet. Select text and press Comment.");
  view.dom.closest(".pad")?.after(margin);

  let threads: Thread[] = [];
  const cards = new Map<string, Card>();
  let draftCard: HTMLElement | null = null;

  const canWrite = (): boolean => writable;
  const cardActions = {
    reply: (id: string, text: string) => {
      if (canWrite()) addReply(map, id, text, opts.me());
    },
    resolve: (id: string, resolved: boolean) => {
      if (canWrite()) setResolved(map, id, resolved);
    },
    focus: (id: string) => {
      const at = currentAnchors(view.state).get(id);
      const effects: StateEffect<unknown>[] = [setActive.of(id)];
      if (at) effects.push(EditorView.scrollIntoView(at.from, { y: "center" }));
      view.dispatch({ effects, selection: at ? { anchor: at.from, head: at.to } : undefined });
    },
  };

  const render = (): void => {
    threads = readThreads(map);
    const anchors = currentAnchors(view.state);
    const seen = new Set<string>();
    for (const t of threads) {
      seen.add(t.id);
      let card = cards.get(t.id);
      if (!card) {
        card = new Card(t.id, cardActions);
        cards.set(t.id, card);
      }
      card.update(t, !t.resolved && !anchors.has(t.id));
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.el.remove();
        cards.delete(id);
      }
    }
    const active = activeThread(view.state);
    for (const card of cards.values()) card.el.classList.toggle("active", card.id === active);
    const open = threads.filter((t) => !t.resolved).length;
    count.textContent = String(open);
    count.hidden = open === 0;
    toggle.title = `Comments: ${open} open`;
    order();
    showMargin();
  };

  /** Cards in the order of their text; orphans, then resolved threads, after. */
  const order = (): void => {
    const anchors = currentAnchors(view.state);
    const rank = (t: Thread): [number, number] => {
      const at = anchors.get(t.id);
      if (t.resolved) return [2, t.replies[0]?.time ?? 0];
      if (!at) return [1, t.replies[0]?.time ?? 0];
      return [0, at.from];
    };
    const sorted = [...threads].sort((a, b) => {
      const [ga, pa] = rank(a);
      const [gb, pb] = rank(b);
      return ga - gb || pa - pb;
    });
    const els: HTMLElement[] = sorted.flatMap((t) => cards.get(t.id)?.el ?? []);
    if (draftCard) {
      const draft = currentDraft(view.state);
      const at = sorted.findIndex((t) => rank(t)[0] > 0 || (anchors.get(t.id)?.from ?? 0) > (draft?.from ?? 0));
      els.splice(at < 0 ? els.length : at, 0, draftCard);
    }
    if (els.length === 0) els.push(empty);
    // Only when the order changed: moving a focused text box out and back would blur it.
    const current = [...list.children];
    if (current.length !== els.length || current.some((el, i) => el !== els[i])) list.replaceChildren(...els);
    layout();
  };

  const showMargin = (): void => {
    const any = threads.length > 0 || draftCard !== null;
    // A wide screen shows the margin when there is something in it; a narrow one on request.
    const visible = shown ?? (!narrow.matches && any);
    margin.hidden = !visible;
    margin.classList.toggle("comments-drawer", narrow.matches);
    toggle.setAttribute("aria-pressed", String(visible));
    layout();
  };

  // Anchors from the relative positions: when threads change, and after a change emptied one.
  let resolveQueued = false;
  const resolveAnchors = (): void => {
    if (resolveQueued) return;
    resolveQueued = true;
    // After the transaction: the editor has its text by then (the binding dispatches it in the
    // same transaction's observers), and no editor update is running.
    queueMicrotask(() => {
      resolveQueued = false;
      if (!binding || view.state.doc.length !== binding.ytext.length) {
        setTimeout(resolveAnchors, 50);
        return;
      }
      const ranges: AnchorRange[] = [];
      for (const t of readThreads(map)) {
        if (t.resolved) continue;
        const s = relPos(t.start);
        const e = relPos(t.end);
        const from = s && binding.posOf(s);
        const to = e && binding.posOf(e);
        if (from !== null && to !== null && from < to) ranges.push({ id: t.id, from, to });
      }
      view.dispatch({ effects: setAnchors.of({ ranges, active: activeThread(view.state), draft: currentDraft(view.state) }) });
      render();
    });
  };
  map.observeDeep(resolveAnchors);

  // Layout in the margin: each card beside its text's line, pushed down past the one above.
  let layoutQueued = false;
  const layout = (): void => {
    if (layoutQueued || margin.hidden || narrow.matches) return;
    layoutQueued = true;
    view.requestMeasure({
      key: layout,
      read: () => {
        layoutQueued = false;
        const top = margin.getBoundingClientRect().top;
        const anchors = currentAnchors(view.state);
        const draft = currentDraft(view.state);
        const wanted = (el: Element): number | null => {
          const id = el instanceof HTMLElement ? el.dataset.thread : undefined;
          const at = el === draftCard ? draft : id ? anchors.get(id) : undefined;
          if (!at) return null;
          return view.lineBlockAt(at.from).top + view.documentTop - top;
        };
        return [...list.children].map((el) => ({ el: el as HTMLElement, y: wanted(el), height: (el as HTMLElement).offsetHeight }));
      },
      write: (cardsNow) => {
        let next = 0;
        for (const c of cardsNow) {
          const y = Math.max(c.y ?? next, next);
          c.el.style.top = `${y}px`;
          next = y + c.height + GAP_PX;
        }
        list.style.height = `${next}px`;
      },
    });
  };

  // Starting a comment: the selection becomes the draft, marked in the text, with a "Comment" box.
  const startDraft = (): boolean => {
    if (!canWrite()) return false;
    const sel = view.state.selection.main;
    if (sel.empty) return false;
    if (draftCard) draftCard.remove();
    const { form, input } = composer("Comment", post, cancelDraft);
    draftCard = h(
      "article",
      { class: "comment-thread comment-draft", "aria-label": "New comment" },
      h("blockquote", { class: "comment-quote" }, view.state.sliceDoc(sel.from, Math.min(sel.to, sel.from + 300))),
      form,
    );
    view.dispatch({ effects: setDraft.of({ from: sel.from, to: sel.to }) });
    shown = true;
    order();
    showMargin();
    input.focus();
    return true;
  };
  function cancelDraft(): void {
    draftCard?.remove();
    draftCard = null;
    view.dispatch({ effects: setDraft.of(null) });
    order();
    showMargin();
    view.focus();
  }
  function post(text: string): void {
    const draft = currentDraft(view.state);
    if (!binding || !draft || !canWrite()) return;
    const start = binding.relAt(draft.from);
    const last = binding.relAt(draft.to - 1);
    const end = new Y.RelativePosition(last.type, last.tname, last.item, -1);
    const id = addThread(map, { start, end, quote: view.state.sliceDoc(draft.from, draft.to) }, text, opts.me());
    draftCard?.remove();
    draftCard = null;
    view.dispatch({ effects: [setDraft.of(null), setActive.of(id)] });
    view.focus();
  }

  addButton.addEventListener("mousedown", (e) => e.preventDefault()); // keep the selection
  addButton.addEventListener("click", () => void startDraft());
  toggle.addEventListener("click", () => {
    shown = margin.hidden;
    showMargin();
  });
  closeButton.addEventListener("click", () => {
    shown = false;
    showMargin();
  });
  let wasNarrow = narrow.matches;
  const narrowChanged = (): void => {
    if (narrow.matches === wasNarrow) return;
    wasNarrow = narrow.matches;
    shown = null;
    for (const el of list.children) (el as HTMLElement).style.top = "";
    list.style.height = "";
    showMargin();
  };
  narrowScreen.addEventListener("change", narrowChanged);
  new MutationObserver(narrowChanged).observe(document.body, { attributes: true, attributeFilter: ["class"] });

  const updateButton = (): void => {
    addButton.hidden = !writable;
    addButton.disabled = !writable || view.state.selection.main.empty;
  };

  let anchorsBefore = 0;
  view.dispatch({
    effects: StateEffect.appendConfig.of([
      anchorField,
      keymap.of([{ key: "Mod-Alt-m", run: startDraft }]),
      ViewPlugin.define(() => ({
        update(u: ViewUpdate) {
          if (u.selectionSet) {
            updateButton();
            const id = threadAt(u.state, u.state.selection.main.head);
            if (id !== activeThread(u.state) && (id !== null || u.docChanged === false))
              queueMicrotask(() => view.dispatch({ effects: setActive.of(id) }));
          }
          const count = anchorCount(u.state);
          if (u.docChanged && count < anchorsBefore) resolveAnchors();
          anchorsBefore = count;
          if (u.docChanged || u.geometryChanged || u.viewportChanged || u.transactions.some((t) => t.effects.length > 0)) {
            if (u.transactions.some((t) => t.effects.some((e) => e.is(setAnchors) || e.is(setActive)))) {
              for (const card of cards.values()) card.el.classList.toggle("active", card.id === activeThread(u.state));
            }
            layout();
          }
        },
      })),
    ]),
  });
  margin.classList.toggle("comments-readonly", !writable);
  updateButton();
  resolveAnchors();
  render();

  return {
    setWritable(w: boolean): void {
      writable = !opts.readOnly && w;
      margin.classList.toggle("comments-readonly", !writable);
      if (!writable && draftCard) cancelDraft();
      updateButton();
    },
  };
}
