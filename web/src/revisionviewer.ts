// The timeslider's view of one revision: which revision the slider asks for (`target`) and which
// one's text is on screen (`shown`), fetching a revision's text only once the slider rests on it
// (answers to earlier requests are aborted or dropped), the bar's description of it, and `#rev`
// in the address kept in step.

import type { AuthorInfo } from "./authorcolors";
import { h } from "./dom";
import type { PadHistory, RevisionText } from "./revisions";
import { authorChip, exportLinks, formatTime } from "./revisioninfo";
import { authorsInText, renderRevisionText } from "./revtext";

/** After a failed fetch, try again this much later. */
const RETRY_MS = 2000;
/** `#rev` is written at most this often (browsers limit history.replaceState calls). */
const HASH_INTERVAL_MS = 400;

export interface ViewerElements {
  slider: HTMLInputElement;
  prev: HTMLButtonElement;
  next: HTMLButtonElement;
  rev: HTMLElement;
  time: HTMLElement;
  by: HTMLElement;
  authors: HTMLElement;
  text: HTMLElement;
  exports: HTMLElement;
}

export function revFromHash(): number | null {
  const m = /^#(\d{1,15})$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

export class RevisionViewer {
  /** The revision asked for (the slider's); -1 before the first. */
  target = -1;
  /** The revision whose text is on screen. */
  shown: RevisionText | null = null;
  /** Every author seen in any answer, for names while the slider moves ahead of the text. */
  readonly knownAuthors = new Map<string, AuthorInfo>();
  private loadTimer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: AbortController | null = null;
  private hashTimer: ReturnType<typeof setTimeout> | null = null;
  private lastHashWrite = 0;
  private readonly pointExports: (rev: number) => void;
  private readonly rendered: Array<(t: RevisionText, newAuthors: boolean) => void> = [];

  constructor(
    private readonly hist: PadHistory,
    private readonly els: ViewerElements,
    padId: string,
  ) {
    this.pointExports = exportLinks(els.exports, padId);
  }

  /** Called after a revision's text is drawn (and whether it named authors not seen before). */
  onRender(listener: (t: RevisionText, newAuthors: boolean) => void): void {
    this.rendered.push(listener);
  }

  /** Whether the slider's revision is on screen. */
  get settled(): boolean {
    return this.shown?.rev === this.target;
  }

  /** Whether a fetch is waiting to start (the slider has not rested yet). */
  get pending(): boolean {
    return this.loadTimer !== null;
  }

  /** Move the slider to `rev` at once and fetch its text after `delay` ms without a newer move. */
  go(rev: number, delay: number): void {
    if (this.hist.head < 0) return;
    this.target = Math.max(0, Math.min(this.hist.head, Math.round(rev)));
    if (this.els.slider.value !== String(this.target)) this.els.slider.value = String(this.target);
    this.showInfo(false);
    if (this.loadTimer !== null) clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(() => void this.load(), delay);
  }

  /** Describe the slider's revision; `settled`: the slider rests there, so fetch missing details. */
  showInfo(settled: boolean): void {
    const { els, hist } = this;
    const head = hist.head;
    const rev = this.target;
    els.slider.setAttribute("aria-valuetext", `Revision ${rev} of ${head}`);
    els.rev.textContent = rev === 0 ? `Revision 0 of ${head} · the empty pad` : `Revision ${rev} of ${head}`;
    const meta = this.shown?.rev === rev ? this.shown : rev > 0 ? hist.metaOf(rev, settled) : undefined;
    const t = formatTime(meta?.time ?? null);
    els.time.textContent = t.text;
    if (t.iso) els.time.setAttribute("datetime", t.iso);
    else els.time.removeAttribute("datetime");
    const author = meta?.author ?? null;
    if (author) els.by.replaceChildren("by ", authorChip(author, this.knownAuthors.get(author)));
    else els.by.replaceChildren();
    els.prev.disabled = rev <= 0;
    els.next.disabled = rev >= head;
    this.pointExports(rev);
  }

  private render(t: RevisionText): void {
    this.shown = t;
    let newAuthors = false;
    for (const [id, info] of t.authors) {
      const known = this.knownAuthors.get(id);
      if (!known || known.name !== info.name || known.color !== info.color) newAuthors = true;
      this.knownAuthors.set(id, info);
    }
    const { els } = this;
    renderRevisionText(els.text, t);
    els.text.dataset.rev = String(t.rev);
    els.text.removeAttribute("aria-busy");
    const authors = authorsInText(t);
    els.authors.replaceChildren(
      h("span", { class: "ts-label" }, "Authors"),
      ...(authors.length > 0 ? authors.map((a) => authorChip(a.id, a.info)) : [h("span", { class: "muted" }, "nobody yet")]),
    );
    this.showInfo(true);
    this.syncHash();
    for (const l of this.rendered) l(t, newAuthors);
  }

  private async load(): Promise<void> {
    this.loadTimer = null;
    const rev = this.target;
    this.inFlight?.abort();
    this.inFlight = null;
    const { els, hist } = this;
    if (this.shown?.rev === rev) {
      els.text.removeAttribute("aria-busy");
      this.showInfo(true);
      return;
    }
    const cached = hist.cachedText(rev);
    if (cached) {
      this.render(cached);
      return;
    }
    this.showInfo(true);
    const ctl = new AbortController();
    this.inFlight = ctl;
    els.text.setAttribute("aria-busy", "true");
    try {
      const t = await hist.text(rev, ctl.signal);
      // A newer revision was asked for meanwhile: this answer is stale.
      if (rev === this.target) this.render(t);
    } catch {
      if (ctl.signal.aborted || rev !== this.target) return;
      els.rev.textContent = `Revision ${rev} could not be loaded. Retrying…`;
      this.loadTimer = setTimeout(() => void this.load(), RETRY_MS);
    } finally {
      if (this.inFlight === ctl) this.inFlight = null;
    }
  }

  private syncHash(): void {
    if (this.hashTimer !== null) return;
    this.hashTimer = setTimeout(
      () => {
        this.hashTimer = null;
        this.lastHashWrite = Date.now();
        try {
          if (this.target >= 0 && location.hash !== `#${this.target}`) history.replaceState(null, "", `#${this.target}`);
        } catch {
          /* too many calls: the next one catches up */
        }
      },
      Math.max(0, this.lastHashWrite + HASH_INTERVAL_MS - Date.now()),
    );
  }
}
