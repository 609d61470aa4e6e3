// Authorship colours in the editor, as in Etherpad. Yjs remembers which client (a random `clientID`
// per editing session) inserted each character; the server remembers which author each client
// belongs to (`GET /api/v1/pads/{pad}/authorship`). Walking the Y.Text's item list gives runs of
// text per client, which become CodeMirror mark decorations in the author's colour with the
// author's name as a tooltip. Because the map lives on the server, colours survive reloads and
// authors who have left.
//
// Cost: between recomputations the marks are mapped through each edit (cheap); a recomputation
// walks the item list once (linear in the number of Yjs items, a few milliseconds on a 100 KB pad)
// and runs at most every RECOMPUTE_MS while the text keeps changing.

import type * as Y from "yjs";
import { type Extension, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import type { Awareness } from "y-protocols/awareness";
import { type AuthorInfo, authorStyle, displayName, readAuthors } from "./authorcolors";

/** Quiet time after an edit before the marks are recomputed… */
const DEBOUNCE_MS = 120;
/** …but during continuous typing they are recomputed at least this often. */
const RECOMPUTE_MS = 600;
/** The authorship map is fetched at most this often. */
const FETCH_INTERVAL_MS = 2000;
/** A client id the server did not know is asked about this many times before giving up on it. */
const MAX_TRIES = 3;
/** A peer renamed or recoloured themselves: ask again after their change has reached the server. */
const RENAME_DELAY_MS = 1500;

/** Runs of visible text, in document order, as `[length in UTF-16 units, Yjs clientID]`. */
export function clientRuns(ytext: Y.Text): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let last: [number, number] | null = null;
  for (let item = ytext._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue;
    const client = item.id.client;
    if (last && last[1] === client) last[0] += item.length;
    else runs.push((last = [item.length, client]));
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
    const b = (body && typeof body === "object" ? body : {}) as { clients?: unknown; authors?: unknown };
    const clients = new Map<number, string>();
    if (b.clients && typeof b.clients === "object") {
      for (const [c, a] of Object.entries(b.clients as Record<string, unknown>)) {
        const id = Number(c);
        if (Number.isSafeInteger(id) && typeof a === "string") clients.set(id, a);
      }
    }
    this.clients = clients;
    this.authors = readAuthors(b.authors);
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
      const user = (state as { user?: { name?: unknown; color?: unknown } }).user;
      const key = `${String(user?.name)}|${String(user?.color)}`;
      if (seen.has(client) && seen.get(client) !== key) changed = true;
      seen.set(client, key);
    });
    if (changed) source.refresh(RENAME_DELAY_MS);
  });
}

const setMarks = StateEffect.define<DecorationSet>();

const marksField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const e of tr.effects) if (e.is(setMarks)) marks = e.value;
    return marks.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** The CodeMirror extension that marks each author's text in their colour. */
export function authorshipColors(ytext: Y.Text, source: AuthorshipSource): Extension {
  const plugin = ViewPlugin.fromClass(
    class {
      private timer: ReturnType<typeof setTimeout> | null = null;
      private pendingSince: number | null = null;
      private cache = new Map<string, Decoration>();
      private unsubscribe: () => void;

      constructor(private readonly view: EditorView) {
        this.unsubscribe = source.onChange(() => this.schedule(0));
        this.schedule(0);
      }

      update(u: ViewUpdate): void {
        if (u.docChanged) this.schedule(DEBOUNCE_MS);
      }

      destroy(): void {
        this.unsubscribe();
        if (this.timer !== null) clearTimeout(this.timer);
      }

      private schedule(delay: number): void {
        const now = Date.now();
        this.pendingSince ??= now;
        const wait = Math.max(0, Math.min(delay, this.pendingSince + RECOMPUTE_MS - now));
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = setTimeout(() => this.recompute(), wait);
      }

      private mark(id: string, info: AuthorInfo): Decoration {
        const name = displayName(info);
        const key = `${id}\u0000${name}\u0000${info.color}`;
        let deco = this.cache.get(key);
        if (!deco) {
          deco = Decoration.mark({
            class: "author-mark",
            attributes: { "data-author": id, title: name, style: authorStyle(info.color) },
          });
          this.cache.set(key, deco);
        }
        return deco;
      }

      private recompute(): void {
        this.timer = null;
        this.pendingSince = null;
        // y-codemirror.next keeps the editor and the Y.Text equal, synchronously in both directions.
        // Should they still differ (a "\r\n" counts 2 in Yjs but 1 in CodeMirror), marks are
        // clipped to the editor's text rather than thrown off its end.
        const docLength = this.view.state.doc.length;
        const localClient = ytext.doc?.clientID ?? -1;
        const builder = new RangeSetBuilder<Decoration>();
        const unknown = new Set<number>();
        // Neighbouring runs of one author (two of their sessions) become one mark.
        let pos = 0;
        let open: { from: number; to: number; deco: Decoration } | null = null;
        for (const [len, client] of clientRuns(ytext)) {
          const author = source.author(client, localClient);
          const deco = author ? this.mark(author.id, author.info) : null;
          if (!author) unknown.add(client);
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
        this.view.dispatch({ effects: setMarks.of(builder.finish()) });
        if (unknown.size > 0) source.need(unknown);
      }
    },
  );
  return [marksField, plugin];
}
