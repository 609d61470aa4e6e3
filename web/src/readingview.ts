// The reading view of a read-only pad: the same CodeMirror text with the Markdown markers hidden,
// so a watcher reads a document rather than source — `# `, `**`, `_`, `~~`, the backticks of inline
// code, `> ` and a link's `](url)` vanish, bullets become "•" and task boxes become check boxes.
// The styling itself (heading sizes, bold, links) is the editor's highlighting, unchanged.

import { syntaxTree } from "@codemirror/language";
import { type EditorState, RangeSetBuilder } from "@codemirror/state";
import { Decoration, type DecorationSet, type EditorView, ViewPlugin, type ViewUpdate, WidgetType } from "@codemirror/view";

class TextWidget extends WidgetType {
  constructor(
    private readonly text: string,
    private readonly className: string,
  ) {
    super();
  }
  eq(other: TextWidget): boolean {
    return other.text === this.text && other.className === this.className;
  }
  toDOM(): HTMLElement {
    const span = document.createElement("span");
    span.className = this.className;
    span.textContent = this.text;
    return span;
  }
}

const hide = Decoration.replace({});
const bullet = Decoration.replace({ widget: new TextWidget("•", "rv-bullet") });
const boxOpen = Decoration.replace({ widget: new TextWidget("☐", "rv-task") });
const boxDone = Decoration.replace({ widget: new TextWidget("☑", "rv-task rv-task-done") });

/** Markers hidden outright, with the spaces that follow them (`# `, `> `). */
const HIDDEN = new Set(["HeaderMark", "EmphasisMark", "StrikethroughMark", "QuoteMark", "LinkMark", "LinkTitle"]);

function build(view: EditorView): DecorationSet {
  const state: EditorState = view.state;
  const marks: Array<{ from: number; to: number; deco: Decoration }> = [];
  for (const { from, to } of view.visibleRanges) {
    syntaxTree(state).iterate({
      from,
      to,
      enter: (node) => {
        const name = node.name;
        let end = node.to;
        if (name === "HeaderMark" || name === "QuoteMark") {
          const line = state.doc.lineAt(node.to);
          while (end < line.to && /[ \t]/.test(state.sliceDoc(end, end + 1))) end++;
        }
        if (HIDDEN.has(name)) {
          marks.push({ from: node.from, to: end, deco: hide });
        } else if (name === "URL" && node.node.parent?.name === "Link") {
          marks.push({ from: node.from, to: node.to, deco: hide });
        } else if (name === "CodeMark" && node.node.parent?.name === "InlineCode") {
          marks.push({ from: node.from, to: node.to, deco: hide });
        } else if (name === "ListMark" && /^[-*+]$/.test(state.sliceDoc(node.from, node.to))) {
          marks.push({ from: node.from, to: node.to, deco: bullet });
        } else if (name === "TaskMarker") {
          const done = /x/i.test(state.sliceDoc(node.from, node.to));
          marks.push({ from: node.from, to: node.to, deco: done ? boxDone : boxOpen });
        }
      },
    });
  }
  // The tree is walked once per visible range; ranges may touch, and the builder wants order.
  marks.sort((a, b) => a.from - b.from || a.to - b.to);
  const builder = new RangeSetBuilder<Decoration>();
  let last = -1;
  for (const m of marks) {
    if (m.from < last) continue;
    builder.add(m.from, m.to, m.deco);
    last = m.to;
  }
  return builder.finish();
}

export const readingView = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = build(view);
    }
    update(u: ViewUpdate): void {
      if (u.docChanged || u.viewportChanged || syntaxTree(u.startState) !== syntaxTree(u.state)) this.decorations = build(u.view);
    }
  },
  { decorations: (v) => v.decorations },
);
