// The formatting toolbar and its keyboard shortcuts. Every action is a plain Markdown edit of the
// selection (`**bold**`, `- item`, …), so it syncs, undoes and exports like typed text. Shortcuts
// follow Etherpad: Ctrl-B bold, Ctrl-I italic, Ctrl-5 strikethrough, Ctrl-Shift-L bullet list,
// Ctrl-Shift-N numbered list, Ctrl-S save revision, Ctrl-U answered with a note (Markdown has no
// underline); plus Ctrl-K link.

import { snippet } from "@codemirror/autocomplete";
import { type ChangeSpec, EditorSelection, type Extension, Prec, type Text } from "@codemirror/state";
import { type Command, type EditorView, keymap } from "@codemirror/view";
import type * as Y from "yjs";
import { h } from "./dom";
import { icon, type IconName } from "./icons";
import { lineNumbersShown, setLineNumbers } from "./editor";
import { showNotice } from "./notice";
import { moreMenu } from "./moremenu";

/** How many `ch` characters precede `pos` in an unbroken run (looking back) or follow it. */
function runLength(view: EditorView, pos: number, ch: string, backwards: boolean): number {
  let n = 0;
  const doc = view.state.doc;
  while (n < 3) {
    const at = backwards ? pos - n - 1 : pos + n;
    if (at < 0 || at >= doc.length || doc.sliceString(at, at + 1) !== ch) break;
    n++;
  }
  return n;
}

/**
 * Whether `marker` right after `pos` closes a span opened earlier on the same line: the run of the
 * marker's character there is at least the marker (`***` closes both `*` and `**`), and the text
 * before `pos` on that line holds an odd number of such markers.
 */
function closesHere(doc: Text, pos: number, marker: string): boolean {
  if (doc.sliceString(pos, pos + marker.length) !== marker) return false;
  const line = doc.lineAt(pos);
  const before = doc.sliceString(line.from, pos);
  const ch = marker[0]!;
  let opened = 0;
  // Count marker runs before the caret that could open (a run at least as long as the marker).
  for (const run of before.match(new RegExp(`\\${ch}+`, "g")) ?? []) {
    if (run.length === marker.length || run.length === 3) opened++;
  }
  return opened % 2 === 1;
}

/**
 * Wrap each selection in `marker` (or unwrap it when it is already wrapped). An empty selection
 * gets a pair of markers with the cursor between them. `*` (italic) inside `**` (bold) is told
 * apart by the length of the marker run around the selection: a run of exactly the marker's length,
 * or 3 (`***`, bold and italic), means the selection is wrapped, and the markers are removed.
 */
export function toggleInline(marker: string): Command {
  const len = marker.length;
  const ch = marker[0]!;
  return (view) => {
    if (view.state.readOnly) return false;
    const state = view.state;
    const tr = state.changeByRange((range) => {
      const run = Math.min(runLength(view, range.from, ch, true), runLength(view, range.to, ch, false));
      if (run === len || run === 3) {
        return {
          changes: [
            { from: range.from - len, to: range.from },
            { from: range.to, to: range.to + len },
          ],
          range: EditorSelection.range(range.anchor - len, range.head - len),
        };
      }
      const text = state.sliceDoc(range.from, range.to);
      if (text.length >= 2 * len && text.startsWith(marker) && text.endsWith(marker)) {
        return {
          changes: { from: range.from, to: range.to, insert: text.slice(len, text.length - len) },
          range: EditorSelection.range(range.from, range.to - 2 * len),
        };
      }
      if (range.empty) {
        // The second press of Etherpad's habit (Ctrl-B, type, Ctrl-B) ends the bold: step over the
        // closing marker instead of opening a new pair after the caret.
        if (closesHere(state.doc, range.from, marker)) return { range: EditorSelection.cursor(range.from + len) };
        return { changes: { from: range.from, insert: marker + marker }, range: EditorSelection.cursor(range.from + len) };
      }
      // Keep surrounding spaces outside the markers: `**word** `, not `**word **` (which is not bold).
      const from = range.from + (text.length - text.trimStart().length);
      const to = range.to - (text.length - text.trimEnd().length);
      if (from >= to) return { range };
      return {
        changes: [
          { from, insert: marker },
          { from: to, insert: marker },
        ],
        range: EditorSelection.range(from + len, to + len),
      };
    });
    view.dispatch(state.update(tr, { scrollIntoView: true, userEvent: "input.format" }));
    return true;
  };
}

/** A line's leading Markdown block markup: indentation, then a heading or a list marker. */
const LINE_PREFIX = /^([ \t]*)(?:(#{1,6})[ \t]+|([-*+])[ \t]+(\[[ xX]\][ \t]+)?|(\d{1,9})[.)][ \t]+(\[[ xX]\][ \t]+)?)?/;

type LineKind = "bullet" | "number" | "task" | "heading" | "none";

function lineKind(text: string): { kind: LineKind; indent: number; end: number; level: number } {
  const m = LINE_PREFIX.exec(text)!;
  const indent = m[1]!.length;
  const end = m[0].length;
  if (m[2]) return { kind: "heading", indent, end, level: m[2].length };
  if (m[4] || m[6]) return { kind: "task", indent, end, level: 0 };
  if (m[3]) return { kind: "bullet", indent, end, level: 0 };
  if (m[5]) return { kind: "number", indent, end, level: 0 };
  return { kind: "none", indent, end: indent, level: 0 };
}

/** The lines touched by the selection; blank lines are skipped when there are others. */
function selectedLines(view: EditorView): Array<{ from: number; text: string }> {
  const doc = view.state.doc;
  const seen = new Set<number>();
  const lines: Array<{ from: number; text: string }> = [];
  for (const r of view.state.selection.ranges) {
    // A selection of whole lines ends at the start of the next line, which it does not touch.
    const end = r.to > r.from && doc.lineAt(r.to).from === r.to ? r.to - 1 : r.to;
    const last = doc.lineAt(end).number;
    for (let n = doc.lineAt(r.from).number; n <= last; n++) {
      if (seen.has(n)) continue;
      seen.add(n);
      const line = doc.line(n);
      lines.push({ from: line.from, text: line.text });
    }
  }
  const nonBlank = lines.filter((l) => l.text.trim() !== "");
  return nonBlank.length > 0 ? nonBlank : lines;
}

/** Replace each selected line's block prefix with `prefix(i)`, or remove it where that returns null. */
function rewritePrefixes(view: EditorView, prefix: (index: number, info: ReturnType<typeof lineKind>) => string | null): boolean {
  if (view.state.readOnly) return false;
  const changes: ChangeSpec[] = [];
  selectedLines(view).forEach((line, i) => {
    const info = lineKind(line.text);
    const next = prefix(i, info) ?? "";
    const from = line.from + info.indent;
    const to = line.from + info.end;
    if (view.state.sliceDoc(from, to) !== next) changes.push({ from, to, insert: next });
  });
  if (changes.length === 0) return true;
  const set = view.state.changes(changes);
  // Map the selection with assoc 1 so a cursor at the start of a line ends up after a new bullet.
  view.dispatch({ changes: set, selection: view.state.selection.map(set, 1), scrollIntoView: true, userEvent: "input.format" });
  return true;
}

/** Toggle a list kind on the selected lines: all already of that kind → plain text; else convert. */
export function toggleList(kind: "bullet" | "number" | "task"): Command {
  return (view) => {
    const all = selectedLines(view).every((l) => lineKind(l.text).kind === kind);
    return rewritePrefixes(view, (i) => {
      if (all) return null;
      if (kind === "bullet") return "- ";
      if (kind === "task") return "- [ ] ";
      return `${i + 1}. `;
    });
  };
}

/** Cycle the selected lines through heading levels: none → # → ## → ### → none. */
export const cycleHeading: Command = (view) => {
  const first = lineKind(selectedLines(view)[0]?.text ?? "");
  const level = first.kind === "heading" ? (first.level >= 3 ? 0 : first.level + 1) : 1;
  return rewritePrefixes(view, () => (level === 0 ? null : `${"#".repeat(level)} `));
};

/**
 * Make a Markdown link of the selection: `[text](url)` with `url` selected to type over; a
 * selected URL becomes the target with the cursor in the (empty) link text. With nothing selected,
 * a link with two fields to fill in: the text, then (Tab) the address.
 */
export const insertLink: Command = (view) => {
  if (view.state.readOnly) return false;
  const state = view.state;
  if (state.selection.ranges.length === 1 && state.selection.main.empty) {
    const at = state.selection.main.from;
    // CodeMirror's snippet placeholders, not a template string.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: snippet syntax
    snippet("[${1:link text}](${2:https://})")(view, null, at, at);
    return true;
  }
  const tr = state.changeByRange((range) => {
    const text = state.sliceDoc(range.from, range.to);
    if (/^(https?:\/\/|mailto:)\S+$/.test(text)) {
      return { changes: { from: range.from, to: range.to, insert: `[](${text})` }, range: EditorSelection.cursor(range.from + 1) };
    }
    const label = text || "text";
    const insert = `[${label}](url)`;
    const urlFrom = range.from + label.length + 3;
    return {
      changes: { from: range.from, to: range.to, insert },
      range: text ? EditorSelection.range(urlFrom, urlFrom + 3) : EditorSelection.range(range.from + 1, range.from + 1 + label.length),
    };
  });
  view.dispatch(state.update(tr, { scrollIntoView: true, userEvent: "input.format" }));
  return true;
};

export const bold = toggleInline("**");
export const italic = toggleInline("*");
export const strikethrough = toggleInline("~~");
export const bulletList = toggleList("bullet");
export const numberedList = toggleList("number");
export const taskList = toggleList("task");

/** Markdown has no underline; Etherpad's Ctrl-U must still not reach the browser (View Source). */
const underline: Command = () => {
  showNotice("Markdown has no underline: use bold (Ctrl+B) or italic (Ctrl+I) instead.");
  return true;
};

/** Etherpad's shortcuts; high precedence so they win over CodeMirror defaults (Mod-i). */
export function formattingKeymap(actions: { saveRevision: () => void }): Extension {
  return Prec.high(
    keymap.of([
      { key: "Mod-b", run: bold },
      { key: "Mod-i", run: italic },
      { key: "Mod-5", run: strikethrough },
      { key: "Mod-u", run: underline },
      {
        key: "Mod-s",
        run: () => {
          actions.saveRevision();
          return true;
        },
      },
      { key: "Mod-Shift-l", run: bulletList },
      { key: "Mod-Shift-n", run: numberedList },
      { key: "Mod-k", run: insertLink },
    ]),
  );
}

const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const shortcut = (keys: string): string => (isMac ? keys.replace("Ctrl-", "⌘").replace("Shift-", "⇧") : keys.replace(/-/g, "+"));

function toolButton(name: string, iconName: IconName, label: string, keys: string | null, run: () => void): HTMLButtonElement {
  const title = keys ? `${label} (${shortcut(keys)})` : label;
  const b = h("button", { type: "button", class: "tool", "data-cmd": name, title, "aria-label": label }, icon(iconName));
  // Keep the editor's selection and focus: act on mousedown's click without stealing focus.
  b.addEventListener("mousedown", (e) => e.preventDefault());
  b.addEventListener("click", run);
  return b;
}

/**
 * Fill `container` with the formatting buttons, undo/redo and the line-number toggle (the
 * buttons past italic and strikethrough sit in a "More" menu on a phone).
 */
export function setupToolbar(container: HTMLElement, view: EditorView, undoManager: Y.UndoManager): void {
  const act = (cmd: Command) => () => {
    cmd(view);
    view.focus();
  };
  const sep = () => h("span", { class: "tool-sep", "aria-hidden": "true" });

  const undoBtn = toolButton("undo", "undo", "Undo", "Ctrl-Z", () => {
    undoManager.undo();
    view.focus();
  });
  const redoBtn = toolButton("redo", "redo", "Redo", "Ctrl-Y", () => {
    undoManager.redo();
    view.focus();
  });
  const refreshHistory = (): void => {
    undoBtn.disabled = !undoManager.canUndo();
    redoBtn.disabled = !undoManager.canRedo();
  };
  undoManager.on("stack-item-added", refreshHistory);
  undoManager.on("stack-item-popped", refreshHistory);
  undoManager.on("stack-cleared", refreshHistory);
  refreshHistory();

  const numbersBtn = toolButton("line-numbers", "lineNumbers", "Line numbers", null, () => {
    const on = !lineNumbersShown(view);
    setLineNumbers(view, on);
    numbersBtn.setAttribute("aria-pressed", String(on));
  });
  numbersBtn.setAttribute("aria-pressed", String(lineNumbersShown(view)));

  // On a phone only the inline styles and undo/redo stay in the bar; the rest folds into "More".
  const more = moreMenu(
    sep(),
    toolButton("heading", "heading", "Heading", null, act(cycleHeading)),
    toolButton("bullet-list", "bullets", "Bullet list", "Ctrl-Shift-L", act(bulletList)),
    toolButton("numbered-list", "numbers", "Numbered list", "Ctrl-Shift-N", act(numberedList)),
    toolButton("task-list", "task", "Checkbox", null, act(taskList)),
    toolButton("link", "link", "Link", "Ctrl-K", act(insertLink)),
    sep(),
    numbersBtn,
  );
  container.replaceChildren(
    toolButton("bold", "bold", "Bold", "Ctrl-B", act(bold)),
    toolButton("italic", "italic", "Italic", "Ctrl-I", act(italic)),
    toolButton("strikethrough", "strike", "Strikethrough", "Ctrl-5", act(strikethrough)),
    more.group,
    sep(),
    undoBtn,
    redoBtn,
    more.toggle,
  );
}
