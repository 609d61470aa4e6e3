// Small habits of a notes editor that CodeMirror does not have by itself:
// - undo goes back a word at a time, not over everything typed without a pause;
// - Enter on an empty quote line leaves the quote (one Enter, not three);
// - each line takes its direction from its own text (a Hebrew line is right-aligned);
// - Alt-F10 / Alt-F9 (Etherpad's) move the focus from the text to the toolbar, since Tab indents.

import { type Extension, Prec } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, keymap, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import type * as Y from "yjs";

/** After a word or line is finished, the next keystroke starts a new undo step. */
function undoByWords(undoManager: Y.UndoManager): Extension {
  return EditorView.updateListener.of((u) => {
    if (!u.docChanged) return;
    for (const tr of u.transactions) {
      if (!tr.isUserEvent("input.type")) continue;
      let boundary = false;
      tr.changes.iterChanges((_fa, _ta, _fb, _tb, inserted) => {
        if (/\s/.test(inserted.toString())) boundary = true;
      });
      if (boundary) undoManager.stopCapturing();
    }
  });
}

/** Enter on a line that is nothing but a quote marker ends the quote, leaving a blank line. */
const leaveEmptyQuote = Prec.high(
  keymap.of([
    {
      key: "Enter",
      run: (view) => {
        const { state } = view;
        if (state.readOnly || state.selection.ranges.length !== 1 || !state.selection.main.empty) return false;
        const line = state.doc.lineAt(state.selection.main.head);
        if (!/^\s*(>\s?)+$/.test(line.text) || state.selection.main.head !== line.to) return false;
        // A blank line, so the next line is not read as part of the quote (a lazy continuation).
        view.dispatch({
          changes: { from: line.from, to: line.to, insert: "\n" },
          selection: { anchor: line.from + 1 },
          userEvent: "input",
        });
        return true;
      },
    },
  ]),
);

const autoDirection = Decoration.line({ attributes: { dir: "auto" } });

/** `dir="auto"` on every visible line, so each takes the direction of its first strong letter. */
const perLineDirection = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = this.build(view);
    }
    update(u: ViewUpdate): void {
      if (u.docChanged || u.viewportChanged) this.decorations = this.build(u.view);
    }
    build(view: EditorView): DecorationSet {
      const ranges = [];
      for (const { from, to } of view.visibleRanges) {
        for (let pos = from; pos <= to; ) {
          const line = view.state.doc.lineAt(pos);
          ranges.push(autoDirection.range(line.from));
          pos = line.to + 1;
        }
      }
      return Decoration.set(ranges);
    }
  },
  { decorations: (v) => v.decorations },
);

function toToolbar(toolbar: HTMLElement): () => boolean {
  return () => {
    const first = toolbar.querySelector<HTMLElement>("button:not(:disabled):not([hidden]), a[href]");
    if (!first) return false;
    first.focus();
    return true;
  };
}

/** Each line laid out in its own direction; for the reading view as for the editor. */
export const lineDirection: Extension = [perLineDirection, EditorView.perLineTextDirection.of(true)];

export function editingHabits(opts: { undoManager: Y.UndoManager; toolbar: HTMLElement }): Extension {
  return [
    undoByWords(opts.undoManager),
    leaveEmptyQuote,
    keymap.of([
      { key: "Alt-F9", run: toToolbar(opts.toolbar) },
      { key: "Alt-F10", run: toToolbar(opts.toolbar) },
    ]),
  ];
}
