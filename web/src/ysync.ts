// The binding between the pad's Y.Text and CodeMirror, in place of y-codemirror.next's: local edits go
// to Yjs as they are typed, and a Yjs transaction from elsewhere (the server, the offline copy, undo)
// becomes one CodeMirror change. Its cost depends on the change, not on the pad: y-codemirror.next
// reads `YTextEvent.delta`, which walks every item of the text from the start on every message, and
// Yjs drops its own search markers after every remote transaction. Here the changed items are found
// from the transaction itself (new structs and its delete set), and each one's position is found by
// walking left from it to the nearest item whose position is known (`ItemIndex`'s markers), which
// survive remote transactions because they are mapped through each change.
//
// Changes from the server reach the editor at most once a frame, and on a busy tab less often: Yjs
// takes each message at once, but the editor's update (every extension, the redraw, the measure
// that follows) costs about the same for one key as for several, so the changes that come between
// two frames are composed and dispatched together. Until then the editor is behind Yjs by
// `YBinding.pending`; an edit you make meanwhile is rebased over it (ChangeSet.map) on its way to
// Yjs, and the pending changes over your edit, so both land where they were made. Changes of your
// own from elsewhere (undo, redo) are shown at once.

import * as Y from "yjs";
import { Annotation, ChangeSet, EditorSelection, EditorState, type Extension, StateEffect, Transaction } from "@codemirror/state";
import { EditorView, type KeyBinding, ViewPlugin, type ViewUpdate } from "@codemirror/view";

type Item = Y.Item;

const shown = (it: Item): boolean => it.countable && !it.deleted;
/** A walk longer than this many items leaves a marker every this many items. */
const WAYPOINT_STEPS = 512;

/** Yjs's own search marker (`ArraySearchMarker`, internal to Yjs), as it reads it. */
interface YjsMarker {
  p: Item;
  index: number;
  timestamp: number;
}
/** Yjs keeps at most this many search markers (its `maxSearchMarker`). */
const YJS_MAX_MARKERS = 80;
/** A Yjs marker this close (in characters) to an edit makes lending one pointless. */
const YJS_MARKER_NEAR = 256;

interface Marker {
  item: Item;
  /** Position of the item's first character in the text as it is between transactions. */
  index: number;
  used: number;
}

/**
 * Known positions of some visible items, kept sorted by position and valid between transactions.
 * Positions of other items are found by walking left to the nearest marker, and an item's item at
 * a position by walking right from the nearest marker before it; every answer leaves a marker, so
 * places that are being edited or looked at are a few steps from one.
 */
export class ItemIndex {
  private markers: Marker[] = [];
  private byItem = new Map<Item, Marker>();
  private clock = 0;

  constructor(
    private readonly ytext: Y.Text,
    private readonly capacity = 512,
  ) {}

  /**
   * The position of `item`'s first character, counting the characters `counts` says were there,
   * and starting from `memo` (positions known for this walk only) or a marker. With `limit`, gives
   * up (null) after that many items.
   */
  walkLeft(item: Item, counts: (it: Item) => boolean = shown, memo?: Map<Item, number>, limit = Infinity): number | null {
    let sum = 0;
    let steps = 0;
    // A long walk leaves markers along its way, so the next walk in that stretch is short.
    let waypoints: Array<[Item, number]> | null = null;
    for (let n = item.left; n !== null; n = n.left) {
      let known = memo?.get(n);
      if (known === undefined) {
        const m = this.byItem.get(n);
        if (m !== undefined) {
          m.used = ++this.clock;
          known = m.index;
        }
      }
      if (known !== undefined) {
        const at = known + (counts(n) ? n.length : 0) + sum;
        if (waypoints) for (const [w, before] of waypoints) this.remember(w, at - before - w.length);
        return at;
      }
      const counted = counts(n);
      steps += 1;
      if (steps % WAYPOINT_STEPS === 0 && counted) {
        waypoints ??= [];
        waypoints.push([n, sum]);
      }
      if (counted) sum += n.length;
      if (steps > limit) return null;
    }
    if (waypoints) for (const [w, before] of waypoints) this.remember(w, sum - before - w.length);
    return sum;
  }

  /** Where a marked item starts, without walking; undefined when it has no marker. */
  known(item: Item): number | undefined {
    const m = this.byItem.get(item);
    if (m) m.used = ++this.clock;
    return m?.index;
  }

  /** The visible item holding the character at `pos`, and where it starts; null at the end. */
  itemAt(pos: number): { item: Item; start: number } | null {
    let lo = 0;
    let hi = this.markers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.markers[mid]!.index <= pos) lo = mid + 1;
      else hi = mid;
    }
    const m = lo > 0 ? this.markers[lo - 1]! : null;
    let n = m ? m.item : this.ytext._start;
    let at = m ? m.index : 0;
    if (m) m.used = ++this.clock;
    for (; n !== null; n = n.right) {
      if (!shown(n)) continue;
      if (pos < at + n.length) {
        this.remember(n, at);
        return { item: n, start: at };
      }
      at += n.length;
    }
    return null;
  }

  /**
   * Yjs drops its search markers after every remote transaction, and then finds the position of
   * a local edit by walking from the text's first item: on a pad typed into from everywhere, that
   * walk was most of a keystroke's cost. Before a local edit at `pos`, lend Yjs a marker near it
   * from this index, whose markers survive remote transactions; Yjs keeps a lent marker up to
   * date through the edit as one of its own. Call it between transactions only.
   */
  lendMarker(pos: number): void {
    const markers = (this.ytext as unknown as { _searchMarker: YjsMarker[] | null })._searchMarker;
    if (markers === null || pos === 0 || markers.length >= YJS_MAX_MARKERS) return;
    for (const m of markers) if (Math.abs(m.index - pos) <= YJS_MARKER_NEAR) return;
    // The character before `pos`: there is one, also at the end of the text.
    const at = this.itemAt(pos - 1);
    if (at === null) return;
    at.item.marker = true;
    // The oldest timestamp: Yjs reuses this marker first unless it finds it useful.
    markers.push({ p: at.item, index: at.start, timestamp: 0 });
  }

  /** Note that visible `item` starts at `index` (in the text between transactions). */
  remember(item: Item, index: number): void {
    if (!shown(item)) return;
    const known = this.byItem.get(item);
    if (known) {
      known.used = ++this.clock;
      if (known.index === index) return;
      this.drop(known);
    }
    const m: Marker = { item, index, used: ++this.clock };
    let lo = 0;
    let hi = this.markers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.markers[mid]!.index <= index) lo = mid + 1;
      else hi = mid;
    }
    this.markers.splice(lo, 0, m);
    this.byItem.set(item, m);
    if (this.markers.length > this.capacity) {
      let oldest = this.markers[0]!;
      for (const x of this.markers) if (x.used < oldest.used) oldest = x;
      this.drop(oldest);
    }
  }

  private drop(m: Marker): void {
    const i = this.markers.indexOf(m);
    if (i >= 0) this.markers.splice(i, 1);
    this.byItem.delete(m.item);
  }

  /** Carry the markers through a change of the text; markers on deleted items go. */
  map(changes: ChangeSet): void {
    const kept: Marker[] = [];
    for (const m of this.markers) {
      if (!shown(m.item)) {
        this.byItem.delete(m.item);
        continue;
      }
      // A visible item's first character survived the change, so text inserted at its position
      // went before it.
      m.index = changes.mapPos(m.index, 1);
      kept.push(m);
    }
    this.markers = kept;
  }

  /**
   * After Yjs has tidied up a transaction: forget items it deleted or merged into their left
   * neighbour (those are no longer in the list).
   */
  prune(): void {
    this.markers = this.markers.filter((m) => {
      const it = m.item;
      const linked = it.left === null ? this.ytext._start === it : it.left.right === it;
      if (linked && shown(it)) return true;
      this.byItem.delete(it);
      return false;
    });
  }

  clear(): void {
    this.markers = [];
    this.byItem.clear();
  }
}

/** Text typed by one Yjs client, in the editor's positions after a change. */
export interface InsertedRun {
  from: number;
  to: number;
  client: number;
}

/** On a transaction that brings a change from Yjs into the editor: the text it inserted, by whom. */
export const yInserted = StateEffect.define<readonly InsertedRun[]>();
/** Marks editor transactions that come from Yjs, so they are not sent back. */
export const fromYjs = Annotation.define<boolean>();

/** A relative position as a peer sends it (JSON of Y.RelativePosition), checked field by field. */
export interface RelPos {
  item: { client: number; clock: number } | null;
  tname: string | null;
  assoc: number;
}

/** A JSON object (peers' awareness states and the server's answers are checked with this). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const isClock = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function readId(v: unknown): { client: number; clock: number } | null {
  if (!isRecord(v)) return null;
  const { client, clock } = v;
  return isClock(client) && isClock(clock) ? { client, clock } : null;
}

/** Read a relative position sent by a peer; null when it is not one. */
export function readRelPos(v: unknown): RelPos | null {
  if (!isRecord(v)) return null;
  const item = v.item === null || v.item === undefined ? null : readId(v.item);
  if (item === null && v.item !== null && v.item !== undefined) return null;
  const assoc = typeof v.assoc === "number" && Number.isFinite(v.assoc) ? v.assoc : 0;
  return { item, tname: typeof v.tname === "string" ? v.tname : null, assoc };
}

export function sameRelPos(a: RelPos | null, b: RelPos | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.assoc === b.assoc &&
    a.tname === b.tname &&
    (a.item === null ? b.item === null : b.item !== null && a.item.client === b.item.client && a.item.clock === b.item.clock)
  );
}

/** Remote changes wait at least this long after the previous ones were shown. */
const REMOTE_BATCH_MS = 80;
/** ...and at least this many times as long as showing the previous ones took. */
const REMOTE_BATCH_COST_FACTOR = 6;
/** ...but never longer than this. */
const REMOTE_BATCH_MAX_MS = 250;
/** While you type (a key within TYPING_MS), remote changes wait this long, so fewer of your keys wait for them. */
const REMOTE_BATCH_TYPING_MS = 200;
const TYPING_MS = 1000;
/** A frame in which you typed is left to your keys: remote changes wait for up to this many more. */
const YIELD_FRAMES = 2;

/**
 * `runs` (positions in a text) in the positions after `changes`: text deleted goes, and a run with
 * text inserted inside it is split around that text, which is not its author's.
 */
export function mapRuns(runs: readonly InsertedRun[], changes: ChangeSet): InsertedRun[] {
  const out: InsertedRun[] = [];
  const piece = (from: number, to: number, client: number): void => {
    const a = changes.mapPos(from, 1);
    const b = changes.mapPos(to, -1);
    if (b > a) out.push({ from: a, to: b, client });
  };
  for (const r of runs) {
    let start = r.from;
    changes.iterChanges((fromA, _toA, _fromB, _toB, inserted) => {
      if (inserted.length > 0 && fromA > start && fromA < r.to) {
        piece(start, fromA, r.client);
        start = fromA;
      }
    });
    piece(start, r.to, r.client);
  }
  return out;
}

const bindings = new WeakMap<Y.Text, YBinding>();

/** What the editor modules share about one Y.Text. */
export class YBinding {
  readonly doc: Y.Doc;
  readonly index: ItemIndex;
  /**
   * Changes Yjs has that the editor does not show yet, in the editor's positions; null when the
   * editor shows the Y.Text as it is. Positions from `relAt`/`posOf` are the Y.Text's.
   */
  pending: ChangeSet | null = null;
  /** Set by the editor side: shows the pending changes now. */
  flusher: (() => void) | null = null;
  /** The origin of the transactions that carry your edits to Yjs; the undo manager tracks it. */
  readonly origin = { binding: "ypad" };
  private readonly tname: string | null;

  constructor(
    readonly ytext: Y.Text,
    readonly undoManager: Y.UndoManager | null,
  ) {
    if (!ytext.doc) throw new Error("the Y.Text is not in a document");
    this.doc = ytext.doc;
    this.index = new ItemIndex(ytext);
    let name: string | null = null;
    this.doc.share.forEach((type, key) => {
      if ((type as unknown) === ytext) name = key;
    });
    this.tname = name;
    bindings.set(ytext, this);
  }

  /** The binding of `ytext`, if an editor has one. */
  static of(ytext: Y.Text): YBinding | undefined {
    return bindings.get(ytext);
  }

  /** Show the pending remote changes now (before reading the Y.Text and the editor together). */
  flush(): void {
    if (this.pending !== null) this.flusher?.();
  }

  /** An editor position in the Y.Text's positions. */
  toYjs(pos: number, assoc = -1): number {
    return this.pending === null ? pos : this.pending.mapPos(pos, assoc);
  }

  /** A relative position for `pos` (as Yjs's createRelativePositionFromTypeIndex with assoc 0). */
  relAt(pos: number): Y.RelativePosition {
    const at = pos < this.ytext.length ? this.index.itemAt(pos) : null;
    const id = at ? Y.createID(at.item.id.client, at.item.id.clock + (pos - at.start)) : null;
    return this.tname !== null ? new Y.RelativePosition(null, this.tname, id, 0) : Y.createRelativePositionFromTypeIndex(this.ytext, pos);
  }

  /**
   * Where a relative position is now, or null when it is not in this text (yet). With `limit`,
   * null also when that takes walking more than `limit` items.
   */
  posOf(rel: RelPos, limit = Infinity): number | null {
    if (rel.item === null) {
      if (rel.tname !== this.tname) return null;
      return rel.assoc >= 0 ? this.ytext.length : 0;
    }
    const { client, clock } = rel.item;
    if (Y.getState(this.doc.store, client) <= clock) return null;
    const struct = Y.getItem(this.doc.store, Y.createID(client, clock));
    if (!(struct instanceof Y.Item) || struct.parent !== this.ytext) return null;
    if (struct.redone !== null) {
      // Undone and redone text: Yjs knows where it went; rare enough to take its walk.
      const abs = Y.createAbsolutePositionFromRelativePosition(
        Y.createRelativePositionFromJSON({ type: null, tname: rel.tname, item: rel.item, assoc: rel.assoc }),
        this.doc,
      );
      return abs && abs.type === this.ytext ? abs.index : null;
    }
    let start: number | null | undefined = this.index.known(struct);
    if (start === undefined) {
      start = this.index.walkLeft(struct, shown, undefined, limit);
      if (start === null) return null;
      this.index.remember(struct, start);
    }
    return shown(struct) ? start + (clock - struct.id.clock) + (rel.assoc >= 0 ? 0 : 1) : start;
  }

  /**
   * The editor change for a Yjs transaction that did not come from this editor, in the positions
   * before it, and the text it inserted in the positions after it. Only the transaction's own
   * items are visited, plus the walk from each changed stretch to the nearest known position.
   */
  changeOf(tr: Y.Transaction, docLength: number): { changes: ChangeSet; inserted: InsertedRun[] } {
    const ytext = this.ytext;
    const store = this.doc.store;
    const before = tr.beforeState;
    const isNew = (it: Item): boolean => it.id.clock >= (before.get(it.id.client) ?? 0);
    const deletedNow = (it: Item): boolean => it.deleted && Y.isDeleted(tr.deleteSet, it.id);
    const wasShown = (it: Item): boolean => it.countable && !isNew(it) && (!it.deleted || deletedNow(it));
    const stable = (it: Item): boolean => shown(it) && wasShown(it);

    const touched: Item[] = [];
    tr.afterState.forEach((clock, client) => {
      const from = before.get(client) ?? 0;
      if (clock <= from) return;
      const structs = store.clients.get(client);
      if (!structs) return;
      for (let i = Y.findIndexSS(structs, from); i < structs.length; i++) {
        const s = structs[i];
        if (s instanceof Y.Item && s.parent === ytext && shown(s)) touched.push(s);
      }
    });
    tr.deleteSet.clients.forEach((ranges, client) => {
      const structs = store.clients.get(client);
      if (!structs) return;
      for (const r of ranges) {
        for (let i = Y.findIndexSS(structs, r.clock); i < structs.length; i++) {
          const s = structs[i]!;
          if (s.id.clock >= r.clock + r.len) break;
          if (s instanceof Y.Item && s.parent === ytext && s.countable && !isNew(s)) touched.push(s);
        }
      }
    });

    interface Run {
      pre: number;
      specs: Array<{ from: number; to: number; insert: string; item: Item | null }>;
      last: Item | null;
      next: Item | null;
    }
    const runs: Run[] = [];
    const done = new Set<Item>();
    const memo = new Map<Item, number>();
    for (const x of touched) {
      if (done.has(x)) continue;
      // A stretch of changed (and long-deleted) items between two unchanged visible ones.
      let first = x;
      while (first.left !== null && !stable(first.left)) first = first.left;
      const pre = this.index.walkLeft(first, wasShown, memo) ?? 0;
      memo.set(first, pre);
      const run: Run = { pre, specs: [], last: null, next: null };
      let pos = pre;
      let n: Item | null = first;
      for (; n !== null && !stable(n); n = n.right) {
        done.add(n);
        const was = wasShown(n);
        const is = shown(n);
        if (was === is) continue;
        const prev = run.specs[run.specs.length - 1];
        if (was) {
          if (prev && prev.insert === "" && prev.to === pos) prev.to += n.length;
          else run.specs.push({ from: pos, to: pos + n.length, insert: "", item: null });
          pos += n.length;
        } else {
          const text = n.content instanceof Y.ContentString ? n.content.str : "\ufffc".repeat(n.length);
          run.specs.push({ from: pos, to: pos, insert: text, item: n });
          run.last = n;
        }
      }
      run.next = n;
      runs.push(run);
    }
    runs.sort((a, b) => a.pre - b.pre);

    // Text inserted at one place by several items (a whole pad on first sync) is one change.
    const specs: Array<{ from: number; to: number; insert: string }> = [];
    const inserted: InsertedRun[] = [];
    const newMarkers: Array<[Item, number]> = [];
    let shift = 0;
    for (const run of runs) {
      let post = run.pre + shift;
      for (const s of run.specs) {
        const last = specs[specs.length - 1];
        if (s.insert !== "" && last && last.from === s.from && last.to === s.from) last.insert += s.insert;
        else specs.push({ from: s.from, to: s.to, insert: s.insert });
        shift += s.insert.length - (s.to - s.from);
        if (s.item) {
          const client = s.item.id.client;
          const prev = inserted[inserted.length - 1];
          if (prev && prev.client === client && prev.to === post) prev.to += s.insert.length;
          else inserted.push({ from: post, to: post + s.insert.length, client });
          if (s.item === run.last) newMarkers.push([s.item, post]);
          post += s.insert.length;
        }
      }
      // The item after the stretch is usually where the typist's caret is.
      if (run.next) newMarkers.push([run.next, post]);
    }
    const changes = ChangeSet.of(specs, docLength);
    this.index.map(changes);
    for (const [item, at] of newMarkers) this.index.remember(item, at);
    return { changes, inserted };
  }
}

/** Your selection before an edit, kept with the edit on the undo stack. */
class SelectionBefore {
  constructor(
    readonly anchor: Y.RelativePosition,
    readonly head: Y.RelativePosition,
  ) {}
}

class SyncPlugin {
  private readonly unobserve: () => void;
  /** Your selection before your last edit, to put back when that edit is undone. */
  private beforeEdit: SelectionBefore | null = null;
  private readonly meta = {};
  /** Text inserted by the pending changes, in the Y.Text's positions. */
  private pendingRuns: InsertedRun[] = [];
  /** A change from Yjs could not be followed: take the whole text at the next flush. */
  private lost = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private frame = 0;
  private yielded = 0;
  private lastShown = 0;
  private showCost = 0;
  /** When you last changed the text (performance.now()). */
  private typedAt = Number.NEGATIVE_INFINITY;
  private lastFrameAt = 0;

  constructor(
    private readonly view: EditorView,
    private readonly b: YBinding,
  ) {
    const observer = (_e: Y.YTextEvent, tr: Y.Transaction): void => {
      if (tr.origin === b.origin) return;
      this.takeFromYjs(tr);
    };
    const cleanup = (tr: Y.Transaction): void => {
      if (tr.changed.size > 0) b.index.prune();
    };
    b.ytext.observe(observer);
    b.doc.on("afterTransactionCleanup", cleanup);
    b.flusher = () => this.flush();
    const um = b.undoManager;
    const added = ({
      stackItem,
      changedParentTypes,
    }: {
      stackItem: { meta: Map<unknown, unknown> };
      changedParentTypes: Map<unknown, unknown>;
    }): void => {
      if (changedParentTypes.has(b.ytext) && this.beforeEdit && !stackItem.meta.has(this.meta))
        stackItem.meta.set(this.meta, this.beforeEdit);
    };
    const popped = ({ stackItem }: { stackItem: { meta: Map<unknown, unknown> } }): void => {
      const sel = stackItem.meta.get(this.meta);
      if (!(sel instanceof SelectionBefore)) return;
      this.flush();
      const { anchor, head } = sel;
      const a = b.posOf({ item: anchor.item, tname: anchor.tname, assoc: anchor.assoc });
      const h = b.posOf({ item: head.item, tname: head.tname, assoc: head.assoc });
      const len = this.view.state.doc.length;
      if (a === null || h === null || a > len || h > len) return;
      const selection = EditorSelection.single(a, h);
      this.view.dispatch({ selection, effects: EditorView.scrollIntoView(selection.main) });
    };
    if (um) {
      um.addTrackedOrigin(b.origin);
      um.on("stack-item-added", added);
      um.on("stack-item-popped", popped);
    }
    this.unobserve = () => {
      b.ytext.unobserve(observer);
      b.doc.off("afterTransactionCleanup", cleanup);
      if (b.flusher) b.flusher = null;
      if (um) {
        um.removeTrackedOrigin(b.origin);
        um.off("stack-item-added", added);
        um.off("stack-item-popped", popped);
      }
    };
  }

  /** Take a Yjs transaction into the pending changes; shown at once if it is your own (undo). */
  private takeFromYjs(tr: Y.Transaction): void {
    const b = this.b;
    if (!this.lost) {
      try {
        const docLength = b.pending ? b.pending.newLength : this.view.state.doc.length;
        const { changes, inserted } = b.changeOf(tr, docLength);
        if (!changes.empty) {
          this.pendingRuns = this.pendingRuns.length > 0 ? mapRuns(this.pendingRuns, changes).concat(inserted) : inserted;
          b.pending = b.pending ? b.pending.compose(changes) : changes;
        }
      } catch (e) {
        console.error("ypad: could not apply a change from Yjs, reloading the text", e);
        this.lost = true;
      }
    }
    if (tr.local) this.flush();
    else if (b.pending !== null || this.lost) this.schedule();
  }

  /** Show the pending changes in a frame, not sooner than the batch interval after the last. */
  private schedule(): void {
    if (this.timer !== null || this.frame !== 0) return;
    const now = performance.now();
    const least = now - this.typedAt < TYPING_MS ? REMOTE_BATCH_TYPING_MS : REMOTE_BATCH_MS;
    const gap = Math.min(REMOTE_BATCH_MAX_MS, Math.max(least, REMOTE_BATCH_COST_FACTOR * this.showCost));
    const wait = Math.max(0, this.lastShown + gap - now);
    this.timer = setTimeout(() => {
      this.timer = null;
      // No frames come while the page is hidden.
      if (document.hidden) this.flush();
      else this.frame = requestAnimationFrame((t) => this.onFrame(t));
    }, wait);
  }

  private onFrame(t: number): void {
    this.frame = 0;
    // You typed since the last frame: this frame shows your key, the others' wait a frame or two.
    if (this.typedAt > this.lastFrameAt && this.yielded < YIELD_FRAMES) {
      this.yielded += 1;
      this.lastFrameAt = t;
      this.frame = requestAnimationFrame((t2) => this.onFrame(t2));
      return;
    }
    this.lastFrameAt = t;
    this.flush();
  }

  /** Show the pending changes now. */
  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    this.timer = null;
    this.frame = 0;
    this.yielded = 0;
    const changes = this.b.pending;
    const inserted = this.pendingRuns;
    this.b.pending = null;
    this.pendingRuns = [];
    if (this.lost) {
      this.lost = false;
      this.resync();
      return;
    }
    if (changes === null) return;
    const start = performance.now();
    let dispatched = false;
    try {
      this.view.dispatch({
        changes,
        effects: inserted.length > 0 ? yInserted.of(inserted) : [],
        annotations: [fromYjs.of(true), Transaction.remote.of(true), Transaction.addToHistory.of(false)],
      });
      dispatched = true;
    } catch (e) {
      console.error("ypad: could not apply a change from Yjs, reloading the text", e);
    }
    const end = performance.now();
    this.showCost = end - start;
    this.lastShown = end;
    if (!dispatched || this.view.state.doc.length !== this.b.ytext.length) this.resync();
  }

  /** Last resort should the editor and Yjs ever disagree: take Yjs's text as it is. */
  private resync(): void {
    this.b.index.clear();
    const text = this.b.ytext.toString();
    if (text === this.view.state.doc.toString()) return;
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: text },
      annotations: [fromYjs.of(true), Transaction.remote.of(true), Transaction.addToHistory.of(false)],
    });
  }

  update(u: ViewUpdate): void {
    if (!u.docChanged || u.transactions.every((t) => t.annotation(fromYjs) === true || !t.docChanged)) return;
    const { ytext, doc, origin } = this.b;
    this.typedAt = performance.now();
    const pending = this.b.pending;
    const sel = u.startState.selection.main;
    if (this.b.undoManager)
      this.beforeEdit = new SelectionBefore(this.b.relAt(this.b.toYjs(sel.anchor)), this.b.relAt(this.b.toYjs(sel.head)));
    // With remote changes pending, your edit is made on the text as Yjs has it, and the pending
    // changes then apply after your edit: both orders give the same text.
    const local = pending ? u.changes.map(pending, true) : u.changes;
    if (pending) {
      this.b.pending = pending.map(u.changes);
      this.pendingRuns = mapRuns(this.pendingRuns, local);
    }
    let first = -1;
    local.iterChangedRanges((fromA) => {
      if (first < 0) first = fromA;
    });
    if (first > 0) this.b.index.lendMarker(first);
    doc.transact(() => {
      let adj = 0;
      local.iterChanges((fromA, toA, _fromB, _toB, insert) => {
        const text = insert.sliceString(0, insert.length, "\n");
        if (toA > fromA) ytext.delete(fromA + adj, toA - fromA);
        if (text.length > 0) ytext.insert(fromA + adj, text);
        adj += text.length - (toA - fromA);
      });
    }, origin);
    this.b.index.map(local);
  }

  destroy(): void {
    this.b.pending = null;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    this.unobserve();
  }
}

/** Undo and redo your own edits (the undo manager tracks only this binding's origin and null). */
export function undoKeymap(b: YBinding): KeyBinding[] {
  const undo = (): boolean => {
    b.undoManager?.undo();
    return true;
  };
  const redo = (): boolean => {
    b.undoManager?.redo();
    return true;
  };
  return [
    { key: "Mod-z", run: undo, preventDefault: true },
    { key: "Mod-y", mac: "Mod-Shift-z", run: redo, preventDefault: true },
    { key: "Mod-Shift-z", run: redo, preventDefault: true },
  ];
}

/** The editor side of the binding: keeps the editor's text equal to the Y.Text. */
export function ySync(b: YBinding): Extension {
  return [
    // Yjs counts "\r\n" as two characters; with one separator the editor does too.
    EditorState.lineSeparator.of("\n"),
    EditorView.clipboardInputFilter.of((text) => text.replace(/\r\n?/g, "\n")),
    ViewPlugin.define((view) => new SyncPlugin(view, b)),
    EditorView.domEventHandlers({
      beforeinput(e) {
        if (e.inputType === "historyUndo") {
          b.undoManager?.undo();
          return true;
        }
        if (e.inputType === "historyRedo") {
          b.undoManager?.redo();
          return true;
        }
        return false;
      },
    }),
  ];
}
