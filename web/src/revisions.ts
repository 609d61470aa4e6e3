// A pad's history as the timeslider reads it from the server, built for pads with 100,000
// revisions: the revision list (`/revisions?from=&to=`, time and author of each) is fetched a page
// at a time around the revisions looked at, never all at once; the head is polled for new
// revisions; and the text of a revision with its authorship (`/revisions/{rev}`) is fetched on
// demand and kept in a small cache.

import { type AuthorInfo, readAuthors } from "./authorcolors";
import { field, num, str } from "./json";

/** Revisions per page of the revision list (the server's limit per call). */
const PAGE = 2000;
/** Revision texts kept for stepping back and forth. */
const TEXT_CACHE_ENTRIES = 24;

export interface RevisionMeta {
  rev: number;
  time: number | null;
  author: string | null;
}

export interface SavedRevision {
  rev: number;
  label: string;
  author: string | null;
  timeMs: number | null;
}

/** A change of the pad's lock, an event of its history beside the revisions. */
export interface LockEvent {
  locked: boolean;
  lockAt: number | null;
  by: string | null;
  timeMs: number;
}

export interface RevisionText extends RevisionMeta {
  head: number;
  text: string;
  /** Runs of the text in order: `[length in UTF-16 units, author id or null]`. */
  spans: Array<[number, string | null]>;
  authors: Map<string, AuthorInfo>;
}

function readMeta(v: unknown): RevisionMeta | null {
  const rev = num(field(v, "rev"));
  return rev === null ? null : { rev, time: num(field(v, "time")), author: str(field(v, "author")) };
}

function readSaved(v: unknown): SavedRevision | null {
  const rev = num(field(v, "rev"));
  if (rev === null) return null;
  return { rev, label: str(field(v, "label")) ?? `Revision ${rev}`, author: str(field(v, "author")), timeMs: num(field(v, "timeMs")) };
}

function readLockEvent(v: unknown): LockEvent | null {
  const locked = field(v, "locked");
  const timeMs = num(field(v, "timeMs"));
  if (typeof locked !== "boolean" || timeMs === null) return null;
  return { locked, lockAt: num(field(v, "lockAt")), by: str(field(v, "by")), timeMs };
}

export function readRevisionText(body: unknown): RevisionText {
  const rev = num(field(body, "rev"));
  const text = str(field(body, "text"));
  if (rev === null || text === null) throw new Error("unexpected answer");
  const spans: Array<[number, string | null]> = [];
  const rawSpans = field(body, "spans");
  if (Array.isArray(rawSpans)) {
    for (const s of rawSpans) {
      if (!Array.isArray(s)) continue;
      const len = num(s[0]);
      if (len !== null && len > 0) spans.push([len, str(s[1])]);
    }
  }
  return {
    rev,
    head: num(field(body, "head")) ?? rev,
    time: num(field(body, "time")),
    author: str(field(body, "author")),
    text,
    spans,
    authors: readAuthors(field(body, "authors")),
  };
}

/** The server answered 404: the pad has no revisions (yet). */
export class NoSuchPad extends Error {}

async function getJson(url: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(url, { headers: { Accept: "application/json" }, signal });
  if (res.status === 404) throw new NoSuchPad(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

export class PadHistory {
  /** The newest revision, or -1 before the server answered. */
  head = -1;
  saved: SavedRevision[] = [];
  locks: LockEvent[] = [];
  private meta = new Map<number, RevisionMeta>();
  /** Pages of the revision list being fetched, and the head each was last fetched at. */
  private pagesLoading = new Map<number, Promise<void>>();
  private pagesFetchedAt = new Map<number, number>();
  private texts = new Map<number, RevisionText>();
  private pendingTexts = new Map<number, Promise<RevisionText>>();
  private listeners: Array<() => void> = [];

  constructor(private readonly padId: string) {}

  private url(suffix: string): string {
    return `/api/v1/pads/${encodeURIComponent(this.padId)}/revisions${suffix}`;
  }

  /** Called when the head, the saved revisions or the known revision metadata change. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private take(body: unknown): void {
    const head = num(field(body, "head"));
    if (head !== null && head > this.head) this.head = head;
    const revisions = field(body, "revisions");
    if (Array.isArray(revisions)) {
      for (const r of revisions) {
        const m = readMeta(r);
        if (m) this.meta.set(m.rev, m);
      }
    }
    const saved = field(body, "saved");
    if (Array.isArray(saved)) {
      this.saved = saved.map(readSaved).filter((s): s is SavedRevision => s !== null);
      this.saved.sort((a, b) => a.rev - b.rev);
    }
    const locks = field(body, "locks");
    if (Array.isArray(locks)) {
      this.locks = locks.map(readLockEvent).filter((l): l is LockEvent => l !== null);
    }
  }

  /**
   * Ask for revisions newer than the known head (the first time: the newest page). Returns whether
   * anything changed. Throws NoSuchPad while the pad does not exist.
   */
  async poll(): Promise<boolean> {
    const before = `${this.head}/${this.saved.length}/${this.locks.length}`;
    const body = await getJson(this.url(this.head < 0 ? "" : `?from=${this.head + 1}`));
    this.take(body);
    const changed = `${this.head}/${this.saved.length}/${this.locks.length}` !== before;
    if (changed) this.changed();
    return changed;
  }

  /**
   * Time and author of `rev`, if its page of the list is here. With `fetch`, a missing page is
   * fetched (and onChange called when it arrives); without, nothing is asked (while dragging).
   */
  metaOf(rev: number, fetch: boolean): RevisionMeta | undefined {
    const m = this.meta.get(rev);
    if (fetch && m === undefined && rev >= 1 && rev <= this.head) void this.loadPage(Math.floor((rev - 1) / PAGE));
    return m;
  }

  private loadPage(page: number): Promise<void> {
    // A page is asked for again only if the head has moved since (it may have been incomplete).
    const pending = this.pagesLoading.get(page);
    if (pending) return pending;
    if (this.pagesFetchedAt.get(page) === this.head) return Promise.resolve();
    const load = getJson(this.url(`?from=${page * PAGE + 1}&to=${(page + 1) * PAGE}`))
      .then((body) => {
        this.take(body);
        this.pagesFetchedAt.set(page, this.head);
        this.changed();
      })
      .catch(() => {
        /* shown without time and author; asked again later */
      })
      .finally(() => this.pagesLoading.delete(page));
    this.pagesLoading.set(page, load);
    return load;
  }

  /**
   * The first revision after `rev` whose metadata satisfies `pred`, reading pages of the list as
   * needed; null when there is none up to the head.
   */
  async findAfter(rev: number, pred: (m: RevisionMeta) => boolean): Promise<number | null> {
    for (let r = rev + 1; r <= this.head; r++) {
      let m = this.meta.get(r);
      if (m === undefined) {
        await this.loadPage(Math.floor((r - 1) / PAGE));
        m = this.meta.get(r);
      }
      if (m && pred(m)) return r;
    }
    return null;
  }

  /** A revision's text, from the cache or the server. */
  cachedText(rev: number): RevisionText | undefined {
    const t = this.texts.get(rev);
    if (t) {
      // Most recently used last.
      this.texts.delete(rev);
      this.texts.set(rev, t);
    }
    return t;
  }

  /** A revision's text; a request already on its way for it (a prefetch) is shared. */
  async text(rev: number, signal?: AbortSignal): Promise<RevisionText> {
    const cached = this.cachedText(rev);
    if (cached) return cached;
    let pending = this.pendingTexts.get(rev);
    if (!pending) {
      pending = getJson(this.url(`/${rev}`), signal)
        .then((body) => {
          const t = readRevisionText(body);
          this.texts.set(rev, t);
          while (this.texts.size > TEXT_CACHE_ENTRIES) this.texts.delete(this.texts.keys().next().value as number);
          if (t.time !== null || t.author !== null) this.meta.set(rev, { rev, time: t.time, author: t.author });
          return t;
        })
        .finally(() => this.pendingTexts.delete(rev));
      this.pendingTexts.set(rev, pending);
    }
    return pending;
  }

  /** Fetch a revision's text ahead of need (while playing), ignoring failures. */
  prefetch(rev: number): void {
    if (rev >= 0 && rev <= this.head) this.text(rev).catch(() => undefined);
  }
}
