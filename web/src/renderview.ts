// The rendered view of a pad: its Markdown as HTML (mdrender.ts, the HTML export's rules), kept live
// as people type. Used beside or instead of the editor on the pad page (readingmode.ts) and on the
// presenter page (present.ts).
//
// Cost: a change marks the view stale; it renders in the next animation frame (on a big pad, whose
// render took more than 8 ms, in the next idle time), and no sooner after the last render than four
// times that render took, so rendering takes at most a fifth of the time and typing stays smooth.
// A render parses the whole text but touches only the blocks whose HTML changed: a keystroke
// replaces one block's element, a new line above shifts nothing. A hidden view does nothing.

import type * as Y from "yjs";
import { type Block, HEADING_ID_PREFIX, renderBlocks } from "./mdrender";

/** A render waits this many times its own duration after the previous one. */
const BACKOFF = 4;
/** A render that took longer than this (a big pad) waits for idle time instead of the next frame. */
const IDLE_ABOVE_MS = 8;

interface Shown extends Block {
  el: HTMLElement;
}

export class RenderedView {
  /** The element the blocks go in. */
  readonly body: HTMLElement;
  private blocks: Shown[] = [];
  /** Offsets where each line of the rendered text starts, for positions → lines. */
  private lineStarts: number[] = [0];
  private stale = true;
  private active = false;
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private notBefore = 0;
  /** How long the last render took (ms). */
  private cost = 0;
  private readonly listeners: Array<() => void> = [];
  /** Where a smooth scroll started by `reveal` is going, until it ends. */
  private aimedAt: number | null = null;

  /** `scroller` is the element that scrolls; the rendered blocks go in a new child of it. */
  constructor(
    readonly scroller: HTMLElement,
    private readonly ytext: Y.Text,
  ) {
    this.body = document.createElement("article");
    this.body.className = "md-body";
    scroller.append(this.body);
    scroller.addEventListener("scrollend", () => {
      this.aimedAt = null;
    });
    // Your own scrolling ends any aim.
    for (const type of ["wheel", "touchmove", "keydown"]) {
      scroller.addEventListener(
        type,
        () => {
          this.aimedAt = null;
        },
        { passive: true },
      );
    }
    ytext.observe(() => {
      this.stale = true;
      if (this.active) this.schedule();
    });
  }

  /** Render (and keep rendering) only while shown. */
  setActive(active: boolean): void {
    this.active = active;
    if (active && this.stale) this.schedule();
  }

  /** Called after each render (the page's layout may have moved). */
  onRender(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Render now if stale (before jumping to a heading that may have just been typed). */
  flush(): void {
    if (this.stale) this.render();
  }

  private schedule(): void {
    if (this.frame !== 0 || this.timer !== null) return;
    const wait = this.notBefore - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, wait);
      return;
    }
    const run = (): void => {
      this.frame = 0;
      if (this.stale && this.active) this.render();
    };
    // A big pad renders between keystrokes, not in the frame right after one.
    if (this.cost > IDLE_ABOVE_MS && typeof requestIdleCallback === "function") this.frame = requestIdleCallback(run, { timeout: 1000 });
    else this.frame = requestAnimationFrame(run);
  }

  private render(): void {
    const started = performance.now();
    const text = this.ytext.toString();
    this.patch(renderBlocks(text));
    const starts = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
    this.stale = false;
    this.cost = performance.now() - started;
    this.notBefore = started + this.cost * (BACKOFF + 1);
    for (const l of this.listeners) l();
  }

  /** Replace the blocks that changed: the run between the unchanged first and last ones. */
  private patch(next: Block[]): void {
    const old = this.blocks;
    let head = 0;
    while (head < old.length && head < next.length && old[head]!.html === next[head]!.html) head++;
    let tail = 0;
    while (tail < old.length - head && tail < next.length - head && old[old.length - 1 - tail]!.html === next[next.length - 1 - tail]!.html)
      tail++;
    const before = old[old.length - tail]?.el ?? null;
    for (const b of old.slice(head, old.length - tail)) b.el.remove();
    const made: Shown[] = next.slice(head, next.length - tail).map((b) => {
      const el = document.createElement("div");
      el.className = "md-block";
      // markdown-it escaped every character of the pad's text and made only its own elements.
      el.innerHTML = b.html;
      this.body.insertBefore(el, before);
      return { ...b, el };
    });
    const kept = old.slice(old.length - tail);
    next.slice(next.length - tail).forEach((b, i) => {
      kept[i]!.line = b.line;
    });
    this.blocks = [...old.slice(0, head), ...made, ...kept];
  }

  /** The 0-based line of a text offset, as of the last render. */
  lineOf(pos: number): number {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The innermost rendered element that shows source line `line`. */
  elementAtLine(line: number): HTMLElement | null {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (blocks[mid]!.line <= line) lo = mid;
      else hi = mid - 1;
    }
    const block = blocks[lo]!;
    const rel = line - block.line;
    let best: HTMLElement = block.el;
    for (const el of block.el.querySelectorAll<HTMLElement>("[data-line]")) {
      if (Number(el.dataset.line) <= rel) best = el;
    }
    return best;
  }

  /**
   * Bring the text at offset `pos` into view with a sixth of the view's height to spare above and
   * below it, scrolling as little as that takes, so as much as possible of what led to it stays in
   * sight: typing at the end moves the view a line at a time.
   */
  reveal(pos: number, smooth = true): void {
    const el = this.elementAtLine(this.lineOf(pos));
    if (el) this.revealElement(el, smooth);
  }

  /** Scroll the heading whose id is `slug` to the top; false when there is none. */
  showHeading(slug: string): boolean {
    this.flush();
    const el = document.getElementById(HEADING_ID_PREFIX + slug);
    if (!el || !this.body.contains(el)) return false;
    const top = el.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
    this.scroller.scrollTo({ top: this.scroller.scrollTop + top - 8 });
    return true;
  }

  /** The slug of the last heading at or above the top of the view. */
  currentHeading(): string | null {
    const top = this.scroller.getBoundingClientRect().top + 16;
    let current: string | null = null;
    for (const h of this.body.querySelectorAll<HTMLElement>("h1, h2, h3, h4, h5, h6")) {
      if (h.getBoundingClientRect().top > top) break;
      current = h.id.slice(HEADING_ID_PREFIX.length);
    }
    return current;
  }

  private revealElement(el: HTMLElement, smooth: boolean): void {
    const view = this.scroller.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    const height = view.height;
    // In the text's own coordinates, against where the view is going if a smooth scroll is under
    // way: measuring against the middle of that scroll would add the rest of it twice.
    const from = this.scroller.scrollTop;
    const top = box.top - view.top + from;
    // A block taller than the view (a long paragraph): its end is where the typing is.
    const bottom = Math.min(box.bottom, box.top + height / 2) - view.top + from;
    const at = this.aimedAt ?? from;
    const margin = height / 6;
    let next = at;
    if (top < at + margin) next = top - margin;
    else if (bottom > at + height - margin) next = bottom - (height - margin);
    next = Math.max(0, Math.min(next, this.scroller.scrollHeight - height));
    if (Math.abs(next - at) < 1) return;
    this.aimedAt = smooth ? next : null;
    this.scroller.scrollTo({ top: next, behavior: smooth ? "smooth" : "auto" });
  }
}
