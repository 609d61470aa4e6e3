// Clicks on Markdown that act, as in any notes editor: a link opens in a new tab on Ctrl/Cmd+click
// (on a plain click in a read-only view, where a click has nothing else to do), and a task box
// `[ ]` / `[x]` toggles on a click. Only http(s) and mailto targets open, always without an opener
// or referrer, so a pad's links cannot script or track the page that opened them.

import { ensureSyntaxTree, syntaxTree } from "@codemirror/language";
import type { Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import type { SyntaxNode } from "@lezer/common";

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/** `raw` as an absolute URL that may be opened, or null. */
export function safeUrl(raw: string): string | null {
  const trimmed = raw.trim().replace(/^<(.*)>$/, "$1");
  // `www.example.org/x` (a GFM bare link) means https; a path is relative to the pad's address.
  const absolute = /^[a-z][a-z\d+.-]*:/i.test(trimmed) ? trimmed : /^[\w-]+(\.[\w-]+)+(\/|$)/.test(trimmed) ? `https://${trimmed}` : null;
  try {
    const url = absolute === null ? new URL(trimmed, location.href) : new URL(absolute);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * The syntax tree, parsed at least up to `pos`: the background parser may not have reached text
 * typed a moment ago on a busy machine, and a click on it must still find its link or box.
 */
function parsedTo(view: EditorView, pos: number) {
  return ensureSyntaxTree(view.state, Math.min(view.state.doc.length, pos + 1), 100) ?? syntaxTree(view.state);
}

function ancestor(node: SyntaxNode | null, names: string[]): SyntaxNode | null {
  for (let n = node; n; n = n.parent) if (names.includes(n.name)) return n;
  return null;
}

/** The link target at `pos`: a `[text](url)` link, an `<autolink>` or a bare URL. */
export function linkAt(view: EditorView, pos: number): string | null {
  const tree = parsedTo(view, pos);
  for (const side of [1, -1] as const) {
    const node = tree.resolveInner(pos, side);
    const link = ancestor(node, ["Link", "Image", "Autolink", "URL"]);
    if (!link) continue;
    const url = link.name === "URL" ? link : link.getChild("URL");
    if (url) return view.state.sliceDoc(url.from, url.to);
  }
  return null;
}

/** The task box (`[ ]`, `[x]`) at `pos`, as its range. */
function taskMarkerAt(view: EditorView, pos: number): { from: number; to: number } | null {
  const tree = parsedTo(view, pos);
  for (const side of [1, -1] as const) {
    const marker = ancestor(tree.resolveInner(pos, side), ["TaskMarker"]);
    if (marker) return { from: marker.from, to: marker.to };
  }
  return null;
}

function toggleTask(view: EditorView, box: { from: number; to: number }): void {
  const text = view.state.sliceDoc(box.from, box.to);
  const inner = text.slice(1, -1).trim() === "" ? "x" : " ";
  view.dispatch({ changes: { from: box.from + 1, to: box.to - 1, insert: inner }, userEvent: "input.toggle" });
}

function openLink(url: string): void {
  const w = window.open(url, "_blank", "noopener,noreferrer");
  if (w) w.opener = null;
}

export function markdownClicks(readOnly: boolean): Extension {
  return EditorView.domEventHandlers({
    mousedown(event, view) {
      if (event.button !== 0) return false;
      const pos = view.posAtCoords({ x: event.clientX, y: event.clientY }, false);
      if (pos === null) return false;
      const modifier = event.ctrlKey || event.metaKey;
      if (modifier || readOnly) {
        const raw = linkAt(view, pos);
        const url = raw === null ? null : safeUrl(raw);
        if (url !== null) {
          event.preventDefault();
          openLink(url);
          return true;
        }
      }
      if (!readOnly && !modifier && !event.shiftKey && !event.altKey) {
        const box = taskMarkerAt(view, pos);
        if (box) {
          event.preventDefault();
          toggleTask(view, box);
          return true;
        }
      }
      return false;
    },
  });
}
