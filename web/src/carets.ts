// Carets and selections of the other people on the pad, and yours sent to them, through the Yjs
// awareness state `cursor: { anchor, head }` (relative positions, as y-codemirror.next sends them).
//
// A caret is kept as an editor position and mapped through every change; it is looked up from its
// relative position only when that person's awareness state changes, together with the next change
// of the text or in a frame of its own, and for a caret off screen only when the lookup is short or
// the tab is idle. Redrawing a caret
// compares its colour, name and activity, so a rename shows at once. The name tag shows on hover
// and for a few seconds after that person typed, as Etherpad shows only a coloured caret.

import { type Extension, type Range, StateEffect } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, ViewPlugin, type ViewUpdate, WidgetType } from "@codemirror/view";
import type { Awareness } from "y-protocols/awareness";
import { safeColor } from "./dom";
import { type RelPos, type YBinding, isRecord, readRelPos, sameRelPos, yInserted } from "./ysync";

/** How long a name tag stays up after its person typed. */
export const TAG_AFTER_TYPING_MS = 3000;
/** How long a caret's new position may wait for the next change of the text to be drawn with it. */
const CARET_BATCH_MS = 40;
/** A caret off screen is looked up in the frame only if that takes walking at most this many items. */
const OFF_SCREEN_WALK = 2000;

interface Caret {
  rel: { anchor: RelPos; head: RelPos } | null;
  anchor: number;
  head: number;
  placed: boolean;
  name: string;
  color: string;
  colorLight: string;
  typedAt: number;
}

class CaretWidget extends WidgetType {
  constructor(
    readonly color: string,
    readonly name: string,
    readonly active: boolean,
  ) {
    super();
  }

  toDOM(): HTMLElement {
    const caret = document.createElement("span");
    caret.className = "cm-ySelectionCaret";
    const dot = document.createElement("div");
    dot.className = "cm-ySelectionCaretDot";
    const info = document.createElement("div");
    info.className = "cm-ySelectionInfo";
    caret.append("\u2060", dot, "\u2060", info, "\u2060");
    this.updateDOM(caret);
    return caret;
  }

  updateDOM(dom: HTMLElement): boolean {
    dom.style.backgroundColor = this.color;
    dom.style.borderColor = this.color;
    dom.classList.toggle("cm-ySelectionActive", this.active);
    const info = dom.querySelector(".cm-ySelectionInfo");
    if (!info) return false;
    info.textContent = this.name;
    return true;
  }

  eq(other: CaretWidget): boolean {
    return other.color === this.color && other.name === this.name && other.active === this.active;
  }

  get estimatedHeight(): number {
    return -1;
  }

  ignoreEvent(): boolean {
    return true;
  }
}

const refresh = StateEffect.define<null>();

function readUser(state: unknown): { name: string; color: string; colorLight: string } {
  const u = isRecord(state) && isRecord(state.user) ? state.user : {};
  const color = safeColor(u.color);
  const light = typeof u.colorLight === "string" && /^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(u.colorLight) ? u.colorLight : `${color}33`;
  const name = typeof u.name === "string" && u.name.trim() !== "" ? u.name : "Anonymous";
  return { name, color, colorLight: light };
}

function readCursor(state: unknown): { anchor: RelPos; head: RelPos } | null {
  const cursor = isRecord(state) ? state.cursor : undefined;
  if (!isRecord(cursor)) return null;
  const a = readRelPos(cursor.anchor);
  const h = readRelPos(cursor.head);
  return a && h ? { anchor: a, head: h } : null;
}

class CaretsPlugin {
  decorations: DecorationSet = Decoration.none;
  private carets = new Map<number, Caret>();
  private dirty = new Set<number>();
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private idle = 0;
  /** Carets far off screen whose lookup waits for idle time. */
  private deferred = new Set<number>();
  /** Set by idle time: look up off-screen carets however far they are. */
  private lookUpAll = false;
  private expiry: ReturnType<typeof setTimeout> | null = null;
  private sentRel: { anchor: RelPos; head: RelPos } | null = null;
  private readonly onChange: (c: { added: number[]; updated: number[]; removed: number[] }) => void;

  constructor(
    private readonly view: EditorView,
    private readonly b: YBinding,
    private readonly awareness: Awareness,
  ) {
    this.onChange = ({ added, updated, removed }) => {
      for (const id of [...added, ...updated, ...removed]) if (id !== awareness.clientID) this.dirty.add(id);
      if (this.dirty.size > 0) this.schedule();
    };
    awareness.on("change", this.onChange);
    for (const id of awareness.getStates().keys()) if (id !== awareness.clientID) this.dirty.add(id);
    if (this.dirty.size > 0) this.schedule();
  }

  /**
   * Look the changed carets up soon: with the next change of the text if one comes within
   * CARET_BATCH_MS (on a busy pad a cursor update usually follows its keystroke), else in a frame
   * of their own.
   */
  private schedule(): void {
    if (this.timer !== null || this.frame !== 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.dirty.size === 0) return;
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        // Remote changes are waiting to be shown: the carets are looked up with them.
        if (this.b.pending !== null) return;
        if (this.dirty.size > 0) this.view.dispatch({ effects: refresh.of(null) });
      });
    }, CARET_BATCH_MS);
  }

  update(u: ViewUpdate): void {
    let changed = false;
    if (u.docChanged) {
      for (const c of this.carets.values()) {
        c.anchor = u.changes.mapPos(c.anchor, 1);
        c.head = u.changes.mapPos(c.head, 1);
      }
      changed = this.carets.size > 0;
      if (this.dirty.size > 0) {
        this.resolve(false);
        changed = true;
      }
    }
    for (const tr of u.transactions) {
      for (const e of tr.effects) {
        if (e.is(yInserted)) {
          const now = Date.now();
          for (const run of e.value) {
            const c = this.carets.get(run.client);
            if (c) {
              if (now - c.typedAt > TAG_AFTER_TYPING_MS / 2) changed = true;
              c.typedAt = now;
            }
          }
          if (changed) this.expireLater();
        }
        if (e.is(refresh)) {
          if (this.lookUpAll) {
            for (const id of this.deferred) this.dirty.add(id);
            this.deferred.clear();
          }
          if (this.resolve(this.lookUpAll)) this.lookUpAll = false;
          changed = true;
        }
      }
    }
    if (u.viewportChanged && this.dirty.size > 0) this.schedule();
    if (changed) this.decorations = this.build();
    if (u.selectionSet || u.focusChanged || u.docChanged) this.sendOwn(u);
  }

  /** Your selection, as relative positions, for the others; sent only when it moved in the text. */
  private sendOwn(u: ViewUpdate): void {
    const view = u.view;
    if (!view.hasFocus || !view.dom.ownerDocument.hasFocus()) return;
    if (this.awareness.getLocalState() === null) return;
    const sel = u.state.selection.main;
    const anchor = this.b.relAt(this.b.toYjs(sel.anchor));
    const head = sel.head === sel.anchor ? anchor : this.b.relAt(this.b.toYjs(sel.head));
    const rel = {
      anchor: { item: anchor.item, tname: anchor.tname, assoc: anchor.assoc },
      head: { item: head.item, tname: head.tname, assoc: head.assoc },
    };
    if (this.sentRel && sameRelPos(this.sentRel.anchor, rel.anchor) && sameRelPos(this.sentRel.head, rel.head)) return;
    this.sentRel = rel;
    this.awareness.setLocalStateField("cursor", { anchor, head });
  }

  /**
   * Look up the carets whose awareness changed. One that was off screen is looked up only if the
   * walk is short; otherwise it waits for idle time. Not while remote changes wait to be shown
   * (positions in the Y.Text are not yet the editor's): false then, and they stay to look up.
   */
  private resolve(all: boolean): boolean {
    if (this.b.pending !== null) return false;
    const states = this.awareness.getStates();
    const { from, to } = this.view.viewport;
    for (const id of [...this.dirty]) {
      const state = states.get(id);
      if (state === undefined) {
        this.carets.delete(id);
        this.dirty.delete(id);
        continue;
      }
      const user = readUser(state);
      const rel = readCursor(state);
      let c = this.carets.get(id);
      if (!c) {
        c = { rel: null, anchor: 0, head: 0, placed: false, typedAt: 0, ...user };
        this.carets.set(id, c);
      }
      Object.assign(c, user);
      if (rel === null) {
        c.rel = null;
        c.placed = false;
        this.dirty.delete(id);
        continue;
      }
      if (c.rel && c.placed && sameRelPos(c.rel.anchor, rel.anchor) && sameRelPos(c.rel.head, rel.head)) {
        this.dirty.delete(id);
        continue;
      }
      const onScreen = c.placed && c.head >= from && c.head <= to;
      const limit = all || onScreen || !c.placed ? Infinity : OFF_SCREEN_WALK;
      const head = this.b.posOf(rel.head, limit);
      const anchor = head === null ? null : sameRelPos(rel.head, rel.anchor) ? head : this.b.posOf(rel.anchor, limit);
      if (head === null || anchor === null) {
        if (limit !== Infinity) {
          // Far off screen: not on every change until then, but once the tab is idle.
          this.dirty.delete(id);
          this.deferred.add(id);
          this.idleLater();
        } else {
          // Not in this text yet (the peer's update is on its way): try again on the next change.
          c.placed = false;
          this.dirty.delete(id);
          this.retryOnChange.add(id);
        }
        continue;
      }
      const len = this.view.state.doc.length;
      c.rel = rel;
      c.anchor = Math.min(anchor, len);
      c.head = Math.min(head, len);
      c.placed = true;
      this.dirty.delete(id);
    }
    return true;
  }

  private retryOnChange = new Set<number>();

  private idleLater(): void {
    if (this.idle !== 0) return;
    const run = (): void => {
      this.idle = 0;
      this.lookUpAll = true;
      this.view.dispatch({ effects: refresh.of(null) });
    };
    this.idle = typeof requestIdleCallback === "function" ? requestIdleCallback(run, { timeout: 1000 }) : window.setTimeout(run, 200);
  }

  private expireLater(): void {
    if (this.expiry !== null) return;
    this.expiry = setTimeout(() => {
      this.expiry = null;
      const now = Date.now();
      if ([...this.carets.values()].some((c) => c.typedAt > 0 && now - c.typedAt < TAG_AFTER_TYPING_MS)) this.expireLater();
      this.view.dispatch({ effects: refresh.of(null) });
    }, TAG_AFTER_TYPING_MS / 2);
  }

  private build(): DecorationSet {
    if (this.retryOnChange.size > 0) {
      for (const id of this.retryOnChange) this.dirty.add(id);
      this.retryOnChange.clear();
      this.schedule();
    }
    const now = Date.now();
    const len = this.view.state.doc.length;
    const ranges: Range<Decoration>[] = [];
    for (const c of this.carets.values()) {
      if (!c.placed || c.rel === null) continue;
      const head = Math.min(c.head, len);
      const anchor = Math.min(c.anchor, len);
      if (anchor !== head) {
        ranges.push(
          Decoration.mark({ class: "cm-ySelection", attributes: { style: `background-color: ${c.colorLight}` } }).range(
            Math.min(anchor, head),
            Math.max(anchor, head),
          ),
        );
      }
      const active = now - c.typedAt < TAG_AFTER_TYPING_MS;
      ranges.push(Decoration.widget({ side: head - anchor > 0 ? -1 : 1, widget: new CaretWidget(c.color, c.name, active) }).range(head));
    }
    return Decoration.set(ranges, true);
  }

  destroy(): void {
    this.awareness.off("change", this.onChange);
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.idle !== 0) {
      if (typeof cancelIdleCallback === "function") cancelIdleCallback(this.idle);
      else clearTimeout(this.idle);
    }
    if (this.expiry !== null) clearTimeout(this.expiry);
  }
}

const caretTheme = EditorView.baseTheme({
  ".cm-ySelectionCaret": {
    position: "relative",
    borderLeft: "1px solid black",
    borderRight: "1px solid black",
    marginLeft: "-1px",
    marginRight: "-1px",
    boxSizing: "border-box",
    display: "inline",
  },
  // A wider strip than the caret answers to the pointer, so its name is easy to hover.
  ".cm-ySelectionCaret::after": { content: '""', position: "absolute", top: "0", bottom: "0", left: "-5px", right: "-5px" },
  ".cm-ySelectionCaretDot": {
    borderRadius: "50%",
    position: "absolute",
    width: ".4em",
    height: ".4em",
    top: "-.2em",
    left: "-.2em",
    backgroundColor: "inherit",
    boxSizing: "border-box",
  },
  ".cm-ySelectionInfo": {
    position: "absolute",
    top: "-1.05em",
    left: "-1px",
    zIndex: "101",
    color: "white",
    whiteSpace: "nowrap",
    userSelect: "none",
    pointerEvents: "none",
    backgroundColor: "inherit",
    opacity: "0",
    transition: "opacity .2s ease-in-out",
  },
  ".cm-ySelectionCaret:hover > .cm-ySelectionInfo, .cm-ySelectionActive > .cm-ySelectionInfo": { opacity: "1" },
});

/** Remote carets and selections, and your own caret sent through `awareness`. */
export function remoteCarets(b: YBinding, awareness: Awareness): Extension {
  return [caretTheme, ViewPlugin.define((view) => new CaretsPlugin(view, b, awareness), { decorations: (v) => v.decorations })];
}
