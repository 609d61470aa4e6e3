// The text editor: CodeMirror 6 bound to the pad's Y.Text `text` (ysync.ts: sync and undo/redo of
// your own edits only; carets.ts: the others' carets with names), with Markdown highlighting and a
// light live style: larger headings, bold bold, italic italic, list items that wrap under their text.

import type * as Y from "yjs";
import { Compartment, EditorState, type Extension, Facet, RangeSetBuilder } from "@codemirror/state";
import {
  Decoration,
  type DecorationSet,
  drawSelection,
  dropCursor,
  EditorView,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
  ViewPlugin,
  type ViewUpdate,
} from "@codemirror/view";
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { markdown, markdownLanguage } from "@codemirror/lang-markdown";
import { styleTags, Tag, tags as t } from "@lezer/highlight";
import type { Awareness } from "y-protocols/awareness";
import { loadLocal, storeLocal } from "./dom";
import { YBinding, undoKeymap, ySync } from "./ysync";
import { remoteCarets } from "./carets";

const LINE_NUMBERS_KEY = "ypad:lineNumbers";

/** List bullets and task boxes get their own tags so they can be styled apart from other marks. */
const listMark = Tag.define();
const taskMark = Tag.define();

const markdownStyle = HighlightStyle.define([
  { tag: t.heading1, fontSize: "1.6em", fontWeight: "700", lineHeight: "1.3" },
  { tag: t.heading2, fontSize: "1.35em", fontWeight: "700", lineHeight: "1.3" },
  { tag: t.heading3, fontSize: "1.15em", fontWeight: "700" },
  { tag: [t.heading4, t.heading5, t.heading6], fontWeight: "700" },
  { tag: t.strong, fontWeight: "700" },
  { tag: t.emphasis, fontStyle: "italic" },
  { tag: t.strikethrough, textDecoration: "line-through" },
  { tag: [t.link], color: "var(--md-link)" },
  { tag: t.url, color: "var(--md-url)", textDecoration: "underline" },
  { tag: t.monospace, fontFamily: "var(--font-mono)", fontSize: "0.92em", backgroundColor: "var(--md-code-bg)" },
  { tag: t.quote, color: "var(--md-quote)", fontStyle: "italic" },
  { tag: t.processingInstruction, color: "var(--md-mark)" },
  { tag: listMark, color: "var(--md-list)", fontWeight: "700" },
  { tag: taskMark, color: "var(--md-list)", fontFamily: "var(--font-mono)" },
  { tag: t.contentSeparator, color: "var(--md-mark)" },
  { tag: [t.labelName, t.string], color: "var(--md-url)" },
  { tag: t.comment, color: "var(--md-mark)" },
]);

/** Leading list marker of a line: indentation, bullet or number, spacing, optional task box. */
const LIST_PREFIX = /^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)(\[[ xX]\][ \t]+)?/;

/**
 * Hanging indent for list items: a wrapped list item continues under its text, not under its
 * bullet. The prefix is measured in the editor's own (proportional) font and kept in a cache.
 */
const listHangingIndent = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    private widths = new Map<string, number>();
    private font = "";
    private canvas = document.createElement("canvas").getContext("2d");

    constructor(view: EditorView) {
      this.decorations = this.build(view, true);
    }

    update(u: ViewUpdate): void {
      // Changes above the screen shift the viewport's positions, so this is true on most remote
      // changes; the font is read again only when the layout changed without a change of text.
      if (u.viewportChanged || u.geometryChanged) this.decorations = this.build(u.view, u.geometryChanged && !u.docChanged);
      else if (u.docChanged) {
        // Others type all over a busy pad: only a change on screen can change what is drawn.
        let onScreen = false;
        u.changes.iterChangedRanges((_fa, _ta, from, to) => {
          for (const r of u.view.visibleRanges) if (from <= r.to && to >= r.from) onScreen = true;
        });
        this.decorations = onScreen ? this.build(u.view, false) : this.decorations.map(u.changes);
      }
    }

    private width(prefix: string): number {
      let w = this.widths.get(prefix);
      if (w === undefined) {
        w = this.canvas ? this.canvas.measureText(prefix.replace(/\t/g, "    ")).width : prefix.length * 8;
        this.widths.set(prefix, w);
      }
      return w;
    }

    private build(view: EditorView, restyled: boolean): DecorationSet {
      // Reading the computed font forces a style recalculation: only when the layout changed.
      const font = restyled || !this.font ? getComputedStyle(view.contentDOM).font : this.font;
      if (font !== this.font && this.canvas) {
        this.font = font;
        this.canvas.font = font;
        this.widths.clear();
      }
      const builder = new RangeSetBuilder<Decoration>();
      for (const { from, to } of view.visibleRanges) {
        for (let pos = from; pos <= to; ) {
          const line = view.state.doc.lineAt(pos);
          const m = LIST_PREFIX.exec(line.text);
          if (m) {
            const w = Math.round(this.width(m[0]) * 10) / 10;
            builder.add(
              line.from,
              line.from,
              Decoration.line({ attributes: { style: `padding-left: calc(${w}px + 6px); text-indent: -${w}px` } }),
            );
          }
          pos = line.to + 1;
        }
      }
      return builder.finish();
    }
  },
  { decorations: (v) => v.decorations },
);

const editorTheme = EditorView.theme({
  "&": { color: "var(--ed-fg)", backgroundColor: "transparent", fontSize: "16px" },
  ".cm-scroller": { fontFamily: "var(--font-text)", lineHeight: "1.6" },
  ".cm-content": { padding: "24px 0 40vh", caretColor: "var(--ed-caret)" },
  ".cm-line": { padding: "0 28px 0 6px" },
  "&.cm-focused": { outline: "none" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--ed-caret)", borderLeftWidth: "2px" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--ed-selection)",
  },
  ".cm-gutters": {
    backgroundColor: "transparent",
    color: "var(--ed-gutter)",
    border: "none",
    fontFamily: "var(--font-mono)",
    fontSize: "12px",
  },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 8px 0 12px", lineHeight: "inherit" },
  ".cm-placeholder": { color: "var(--ed-gutter)", fontStyle: "italic" },
  // Remote carets: the author's name above the caret, in the page's font, shown on hover and for a
  // moment after they typed (carets.ts) so a dozen names do not cover the text.
  ".cm-ySelectionInfo": {
    opacity: "0",
    fontFamily: "var(--font-ui)",
    fontSize: "11px",
    fontWeight: "600",
    lineHeight: "1.3",
    top: "-1.35em",
    padding: "0 4px",
    borderRadius: "3px 3px 3px 0",
    textIndent: "0",
  },
  ".cm-ySelectionCaret:hover > .cm-ySelectionInfo, .cm-ySelectionActive > .cm-ySelectionInfo": { opacity: "1" },
  ".cm-ySelectionCaret": { borderLeftWidth: "2px", borderRightWidth: "0" },
});

export interface EditorOptions {
  readOnly: boolean;
  undoManager: Y.UndoManager;
  /** Extra extensions from other modules (the toolbar's keyboard shortcuts). */
  extensions?: Extension[];
}

/** The editor's binding to its Y.Text, for modules added after the editor (comments). */
export const bindingFacet = Facet.define<YBinding, YBinding | null>({ combine: (v) => v[0] ?? null });

const lineNumbersSlot = new Compartment();
/** Whether the text can be edited now: a moderator's lock turns it off and back on. */
const editableSlot = new Compartment();

export function createEditor(parent: HTMLElement, ytext: Y.Text, awareness: Awareness, opts: EditorOptions): EditorView {
  const showNumbers = loadLocal(LINE_NUMBERS_KEY) === "1";
  const binding = new YBinding(ytext, opts.undoManager);
  const state = EditorState.create({
    doc: ytext.toString(),
    extensions: [
      opts.extensions ?? [],
      keymap.of([...undoKeymap(binding), ...defaultKeymap, indentWithTab]),
      ySync(binding),
      bindingFacet.of(binding),
      remoteCarets(binding, awareness),
      markdown({
        base: markdownLanguage,
        extensions: [{ props: [styleTags({ ListMark: listMark, TaskMarker: taskMark })] }],
      }),
      syntaxHighlighting(markdownStyle),
      lineNumbersSlot.of(showNumbers ? lineNumbers() : []),
      EditorView.lineWrapping,
      highlightSpecialChars(),
      drawSelection(),
      dropCursor(),
      listHangingIndent,
      editorTheme,
      EditorView.contentAttributes.of({ "aria-label": "Pad text", spellcheck: "true" }),
      editableSlot.of(opts.readOnly ? notEditable : []),
      opts.readOnly ? [] : placeholder("Start writing. Markdown works: # heading, **bold**, - list, - [ ] task"),
    ],
  });
  return new EditorView({ state, parent });
}

const notEditable = [EditorState.readOnly.of(true), EditorView.editable.of(false)];

/** Lets the text be edited or not (a lock came or went). */
export function setEditable(view: EditorView, editable: boolean): void {
  view.dispatch({ effects: editableSlot.reconfigure(editable ? [] : notEditable) });
}

export function lineNumbersShown(view: EditorView): boolean {
  const ext = lineNumbersSlot.get(view.state);
  return ext !== undefined && !(Array.isArray(ext) && ext.length === 0);
}

/** Show or hide line numbers; the choice is remembered for every pad. */
export function setLineNumbers(view: EditorView, on: boolean): void {
  view.dispatch({ effects: lineNumbersSlot.reconfigure(on ? lineNumbers() : []) });
  storeLocal(LINE_NUMBERS_KEY, on ? "1" : "0");
}
