// Authorship colours in the editor, as in Etherpad. Yjs remembers which client (a random `clientID`
// per editing session) inserted each character; the server remembers which author each client
// belongs to (`GET /api/v1/pads/{pad}/authorship`). Text is marked in its author's colour with the
// author's name as a tooltip. Because the map lives on the server, colours survive reloads and
// authors who have left.
//
// Cost: each change marks only the text it inserted (the binding says which client inserted what,
// ysync.ts) and the marks are mapped through the change. The whole item list is walked only when
// the marks are built afresh: when the page opens, when the author map changes (someone new,
// a rename) and when the colours are switched back on. While they are off there are no marks and
// nothing is done per change.

import type * as Y from "yjs";
import { type Extension, type Range, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import type { Awareness } from "y-protocols/awareness";
import { type AuthorInfo, authorStyle, displayName, readAuthors } from "./authorcolors";
import { type InsertedRun, YBinding, fromYjs, isRecord, yInserted } from "./ysync";

/** The authorship map is fetched at most this often. */
const FETCH_INTERVAL_MS = 2000;
/** A client id the server did not know is asked about this many times before giving up on it. */
const MAX_TRIES = 3;
/** A peer renamed or recoloured themselves: ask again after their change has reached the server. */
const RENAME_DELAY_MS = 1500;
/** Set on `<html>` by the colours toggle (authorcolors.ts) while the colours are off. */
const COLORS_OFF_CLASS = "author-colors-off";
/** A change that inserted more runs of text than this is coloured by walking the whole pad. */
const MAX_RUNS_PAINTED = 200;

/** The server's answer: client ids → author ids, author ids → name and colour, and the creator. */
export function readAuthorship(body: unknown): { clients: Map<number, string>; authors: Map<string, AuthorInfo>; creator: string | null } {
  const clients = new Map<number, string>();
  if (!isRecord(body)) return { clients, authors: new Map(), creator: null };
  if (isRecord(body.clients)) {
    for (const [c, a] of Object.entries(body.clients)) {
      const id = Number(c);
      if (Number.isSafeInteger(id) && typeof a === "string") clients.set(id, a);
    }
  }
  // The colours shown are distinct within the pad (authorcolors.ts), not each author's own pick.
  return { clients, authors: readAuthors(body.authors), creator: typeof body.creator === "string" ? body.creator : null };
}

/** Runs of visible text, in document order, as `[length in UTF-16 units, Yjs clientID]`. */
export function clientRuns(ytext: Y.Text): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let last: [number, number] | null = null;
  for (let item = ytext._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue;
    const client = item.id.client;
    if (last && last[1] === client) {
      last[0] += item.length;
    } else {
      last = [item.length, client];
      runs.push(last);
    }
  }
  return runs;
}

/** The local user, whose own edits are coloured before the server has mapped their client id. */
export interface LocalAuthor {
  authorId: string | null;
  name: string;
  color: string;
}

/**
 * The pad's client id → author map, fetched from the server and refetched (debounced) when text
 * from a client it does not know shows up.
 */
export class AuthorshipSource {
  private clients = new Map<number, string>();
  private authors = new Map<string, AuthorInfo>();
  private creator: string | null = null;
  private listeners = new Set<() => void>();
  /** Client ids the server did not know at the last fetch → how many fetches asked about them. */
  private tries = new Map<number, number>();
  private lastFetch = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private again = false;

  constructor(
    private readonly padId: string,
    readonly local: () => LocalAuthor,
  ) {}

  /** The author of text inserted by `client`, or null when nobody knows yet. */
  author(client: number, localClient: number): { id: string; info: AuthorInfo } | null {
    const id = this.clients.get(client);
    const info = id === undefined ? undefined : this.authors.get(id);
    if (id !== undefined && info) return { id, info };
    if (client === localClient) {
      const me = this.local();
      return { id: me.authorId ?? "self", info: { name: me.name, color: me.color } };
    }
    return null;
  }

  /** The author id of text inserted by `client`, if the server said. */
  authorIdOf(client: number): string | undefined {
    return this.clients.get(client);
  }

  /** The pad's creator (its moderator), if the server said. */
  creatorId(): string | null {
    return this.creator;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Text from these clients has no known author: ask the server (unless it was asked enough). */
  need(unknown: Iterable<number>): void {
    let ask = false;
    for (const c of unknown) {
      const n = this.tries.get(c) ?? 0;
      if (n === 0) this.tries.set(c, 0);
      if (n < MAX_TRIES) ask = true;
    }
    if (ask) this.schedule(0);
  }

  /** Something may have changed on the server (reconnected, renamed): fetch again, soon. */
  refresh(delay = 0): void {
    this.tries.clear();
    this.schedule(delay);
  }

  private schedule(delay: number): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const at = Math.max(Date.now() + delay, this.lastFetch + FETCH_INTERVAL_MS);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fetch(), at - Date.now());
  }

  private async fetch(): Promise<void> {
    this.timer = null;
    this.inFlight = true;
    this.lastFetch = Date.now();
    for (const [c, n] of this.tries) this.tries.set(c, n + 1);
    try {
      const res = await fetch(`/api/v1/pads/${encodeURIComponent(this.padId)}/authorship`, { headers: { Accept: "application/json" } });
      if (res.ok) this.read(await res.json());
    } catch {
      /* offline or the server is away: the next edit or reconnection asks again */
    } finally {
      this.inFlight = false;
    }
    if (this.again) {
      this.again = false;
      this.schedule(0);
    }
  }

  private read(body: unknown): void {
    const { clients, authors, creator } = readAuthorship(body);
    this.clients = clients;
    this.authors = authors;
    this.creator = creator;
    for (const c of clients.keys()) this.tries.delete(c);
    for (const l of this.listeners) l();
  }
}

/** Fetch the map again when a peer's name or colour changes (cursor moves are ignored). */
export function watchPeerIdentities(awareness: Awareness, source: AuthorshipSource): void {
  const seen = new Map<number, string>();
  awareness.on("change", () => {
    let changed = false;
    awareness.getStates().forEach((state, client) => {
      if (client === awareness.clientID) return;
      const user = isRecord(state) && isRecord(state.user) ? state.user : {};
      const key = `${String(user.name)}|${String(user.color)}`;
      if (seen.has(client) && seen.get(client) !== key) changed = true;
      seen.set(client, key);
    });
    if (changed) source.refresh(RENAME_DELAY_MS);
  });
}

const setMarks = StateEffect.define<DecorationSet>();
const setShown = StateEffect.define<boolean>();

const colorsOn = (): boolean => !document.documentElement.classList.contains(COLORS_OFF_CLASS);

/** The CodeMirror extension that marks each author's text in their colour. */
export function authorshipColors(ytext: Y.Text, source: AuthorshipSource): Extension {
  const cache = new Map<string, Decoration>();
  const localClient = (): number => ytext.doc?.clientID ?? -1;
  const unknown = new Set<number>();
  const askLater = (client: number): void => {
    if (unknown.size === 0) {
      queueMicrotask(() => {
        source.need([...unknown]);
        unknown.clear();
      });
    }
    unknown.add(client);
  };
  const markOf = (client: number): Decoration | null => {
    const author = source.author(client, localClient());
    if (!author) {
      askLater(client);
      return null;
    }
    const name = displayName(author.info);
    const key = `${author.id}\u0000${name}\u0000${author.info.color}`;
    let deco = cache.get(key);
    if (!deco) {
      deco = Decoration.mark({
        class: "author-mark",
        attributes: { "data-author": author.id, title: name, style: authorStyle(author.info.color) },
      });
      cache.set(key, deco);
    }
    return deco;
  };

  /** Mark `run` as its client's text, splitting whatever marks it was inside of. */
  const paint = (marks: DecorationSet, run: InsertedRun): DecorationSet => {
    const { from, to } = run;
    const deco = markOf(run.client);
    let covered = false;
    let start = from;
    let end = to;
    const add: Range<Decoration>[] = [];
    marks.between(from, to, (f, t, v) => {
      if (f < to && t > from) {
        if (deco && v.eq(deco) && f <= from && t >= to) covered = true;
        if (f < from) add.push(v.range(f, from));
        if (t > to) add.push(v.range(to, t));
      } else if (deco && v.eq(deco)) {
        // Neighbouring text of the same author: one mark.
        if (t === from) start = f;
        if (f === to) end = t;
      }
    });
    if (covered) return marks;
    if (deco) {
      // The pieces of an overlapping mark of this same author join the new one.
      const own = add.filter((r) => r.value.eq(deco));
      for (const r of own) {
        start = Math.min(start, r.from);
        end = Math.max(end, r.to);
      }
      const others = add.filter((r) => !r.value.eq(deco));
      others.push(deco.range(start, end));
      return marks.update({
        add: others,
        sort: true,
        filterFrom: start,
        filterTo: end,
        filter: (f, t, v) => !((f < to && t > from) || (v.eq(deco) && f < end && t > start) || (v.eq(deco) && (t === from || f === to))),
      });
    }
    return marks.update({ add, sort: true, filterFrom: from, filterTo: to, filter: (f, t) => !(f < to && t > from) });
  };

  const field = StateField.define<{ shown: boolean; marks: DecorationSet; stale: boolean }>({
    create: () => ({ shown: colorsOn(), marks: Decoration.none, stale: false }),
    update(value, tr) {
      let { shown, marks, stale } = value;
      for (const e of tr.effects) {
        if (e.is(setShown)) {
          shown = e.value;
          marks = Decoration.none;
        } else if (e.is(setMarks)) {
          marks = e.value;
          stale = false;
        }
      }
      if (!shown) return value.shown ? { shown, marks: Decoration.none, stale: false } : value;
      if (tr.docChanged) {
        marks = marks.map(tr.changes);
        if (tr.annotation(fromYjs)) {
          for (const e of tr.effects) {
            if (!e.is(yInserted)) continue;
            // A whole pad arriving (first sync, offline copy): one walk afterwards is cheaper
            // than painting tens of thousands of runs one by one.
            if (e.value.length > MAX_RUNS_PAINTED) stale = true;
            else for (const run of e.value) marks = paint(marks, run);
          }
        } else {
          const client = localClient();
          const runs: InsertedRun[] = [];
          tr.changes.iterChanges((_fa, _ta, from, to) => {
            if (to > from) runs.push({ from, to, client });
          });
          for (const run of runs) marks = paint(marks, run);
        }
      }
      return marks === value.marks && shown === value.shown && stale === value.stale ? value : { shown, marks, stale };
    },
    provide: (f) => EditorView.decorations.from(f, (v) => v.marks),
  });

  /** All marks afresh, from one walk over the item list. */
  const build = (view: EditorView): DecorationSet => {
    // The binding keeps the editor and the Y.Text equal; should they still differ, marks are
    // clipped to the editor's text rather than thrown off its end.
    const docLength = view.state.doc.length;
    const builder = new RangeSetBuilder<Decoration>();
    let pos = 0;
    let open: { from: number; to: number; deco: Decoration } | null = null;
    for (const [len, client] of clientRuns(ytext)) {
      const deco = markOf(client);
      if (open && (open.deco !== deco || open.to !== pos)) {
        if (open.from < docLength) builder.add(open.from, Math.min(open.to, docLength), open.deco);
        open = null;
      }
      if (deco) {
        if (open) open.to = pos + len;
        else open = { from: pos, to: pos + len, deco };
      }
      pos += len;
    }
    if (open && open.from < docLength) builder.add(open.from, Math.min(open.to, docLength), open.deco);
    return builder.finish();
  };

  const plugin = ViewPlugin.define((view) => {
    const rebuild = (): void => {
      // The walk reads the Y.Text: the editor must show all of it first.
      YBinding.of(ytext)?.flush();
      if (view.state.field(field).shown) view.dispatch({ effects: setMarks.of(build(view)) });
    };
    const unsubscribe = source.onChange(rebuild);
    const toggle = new MutationObserver(() => {
      const on = colorsOn();
      if (on === view.state.field(field).shown) return;
      view.dispatch({ effects: setShown.of(on) });
      rebuild();
    });
    toggle.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    // Not from within the constructor or an update: the view is busy then.
    let timer: ReturnType<typeof setTimeout> | null = setTimeout(() => {
      timer = null;
      rebuild();
    }, 0);
    return {
      update(u: ViewUpdate): void {
        if (timer === null && u.state.field(field).stale) {
          timer = setTimeout(() => {
            timer = null;
            rebuild();
          }, 0);
        }
      },
      destroy(): void {
        unsubscribe();
        toggle.disconnect();
        if (timer !== null) clearTimeout(timer);
      },
    };
  });
  return [field, plugin];
}
