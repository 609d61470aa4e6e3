// Following someone: your view scrolls with their caret until you scroll or type yourself, as in
// HedgeDoc and ep_cursortrace. The caret comes from their awareness state (`cursor.head`, a Yjs
// relative position); it is looked up at most once an animation frame, when their state changes
// or the text changes under it, and handed to the page's `reveal` (the editor, the rendered view,
// or both). Wheel, touch, scroll keys, typing or grabbing a scroll bar in the page's own views
// stops following; a line above the text says whom you follow, with a "Stop" button.
//
// Whom: a person clicked in the user list (buttons "Follow {name}" with `data-client`), a name
// (`?follow=name`, kept across their reconnections) or, on the presenter page, whoever a chooser
// function names whenever something changes (the moderator, else the latest typist).

import * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import { h, safeColor } from "./dom";
import { cleanName } from "./presence";
import { isRecord, readRelPos } from "./ysync";

/** Keys that scroll a view: pressing one is scrolling yourself. */
const SCROLL_KEYS = new Set(["PageUp", "PageDown", "Home", "End", "ArrowUp", "ArrowDown", " "]);
/** Keys that neither scroll nor type. */
const IDLE_KEYS = new Set(["Shift", "Control", "Alt", "Meta", "Tab", "Escape", "CapsLock"]);

export interface FollowOptions {
  awareness: Awareness;
  ytext: Y.Text;
  /** Scroll the page's view(s) so that text offset `pos` shows. */
  reveal: (pos: number) => void;
  /** The page's own scrolling views: scrolling or typing in them stops following. */
  views: HTMLElement[];
  /** The "Following … Stop" line goes at the start of this element. */
  indicatorParent: HTMLElement;
  /** Whether the line offers "Stop" (the presenter page has no one to press it). */
  stoppable?: boolean;
}

interface Target {
  /** The client followed now, or null while nobody by `name` is here. */
  client: number | null;
  name: string;
  /** Chosen by name (`?follow=`): someone of that name who reconnects is followed again. */
  byName: boolean;
}

/** A peer's name, or null for a watcher or a state without a user. */
export function userName(state: unknown): string | null {
  const user = isRecord(state) && isRecord(state.user) ? state.user : null;
  return user ? cleanName(user.name) : null;
}

function userColor(state: unknown): string {
  const user = isRecord(state) && isRecord(state.user) ? state.user : null;
  return safeColor(user?.color);
}

export class Follower {
  private target: Target | null = null;
  private chooser: (() => number | null) | null = null;
  /** The chooser is to be asked again in the next frame. */
  private chooseDue = false;
  /** When each peer's caret last moved (ms), to prefer the active one of two with one name. */
  private readonly moved = new Map<number, number>();
  private frame = 0;
  private readonly listeners: Array<() => void> = [];
  private readonly bar: HTMLElement;
  private readonly label: HTMLElement;
  private readonly swatch: HTMLElement;

  constructor(private readonly opts: FollowOptions) {
    const { awareness, ytext } = opts;
    this.swatch = h("span", { class: "follow-swatch", "aria-hidden": "true" });
    this.label = h("span", { class: "follow-label" });
    const stop = h("button", { type: "button", class: "follow-stop" }, "Stop");
    stop.addEventListener("click", () => this.stop());
    this.bar = h(
      "div",
      { class: "follow-bar", role: "status", hidden: true },
      this.swatch,
      this.label,
      opts.stoppable === false ? null : stop,
    );
    opts.indicatorParent.prepend(this.bar);

    awareness.on("change", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
      const now = Date.now();
      for (const id of [...added, ...updated]) if (id !== awareness.clientID) this.moved.set(id, now);
      for (const id of removed) this.moved.delete(id);
      if (this.chooser) {
        // Asked once a frame: in a big room someone's caret moves many times a frame.
        this.chooseDue = true;
        this.schedule();
      } else if (this.retarget()) {
        this.render();
        this.schedule();
      } else if (this.target?.client != null && [...added, ...updated].includes(this.target.client)) this.schedule();
    });
    // Text typed above the caret moves it down without a change of its relative position.
    ytext.observe(() => {
      if (this.chooser) this.chooseDue = true;
      this.schedule();
    });
    for (const view of opts.views) this.stopOnOwnScroll(view);
  }

  /** Follow the person with awareness client id `client`. */
  follow(client: number): void {
    const name = userName(this.opts.awareness.getStates().get(client));
    if (name === null) return;
    this.chooser = null;
    this.set({ client, name, byName: false });
  }

  /** Follow whoever is called `name`, now or once they come. */
  followName(name: string): void {
    this.chooser = null;
    this.set({ client: null, name: cleanName(name), byName: true });
    this.retarget();
    this.render();
    this.schedule();
  }

  /** Follow whomever `choose` names, asked again whenever the people or the text change. */
  followChosen(choose: () => number | null): void {
    this.chooser = choose;
    this.retarget();
    this.render();
    this.schedule();
  }

  /** Ask the chooser again now (what it knows changed). */
  rechoose(): void {
    if (this.chooser && this.retarget()) {
      this.render();
      this.schedule();
    }
  }

  stop(): void {
    this.chooser = null;
    this.set(null);
  }

  /** Bring the followed caret into view again (the view's layout changed under it). */
  refresh(): void {
    this.schedule();
  }

  /** The client followed now, if any. */
  following(): number | null {
    return this.target?.client ?? null;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private set(target: Target | null): void {
    this.target = target;
    this.render();
    this.schedule();
  }

  /** Find the client for the target now; true when it changed. */
  private retarget(): boolean {
    const states = this.opts.awareness.getStates();
    if (this.chooser) {
      const client = this.chooser();
      const name = client === null ? null : userName(states.get(client));
      const next = client === null || name === null ? null : { client, name, byName: false };
      if (next?.client === this.target?.client && next?.name === this.target?.name) return false;
      this.target = next;
      return true;
    }
    const t = this.target;
    if (t === null) return false;
    if (t.client !== null && states.has(t.client)) {
      const name = userName(states.get(t.client));
      if (name !== null && name !== t.name && !t.byName) {
        t.name = name;
        this.render();
      }
      if (!t.byName || name === t.name) return false;
    }
    if (!t.byName) {
      // They left: keep the line, waiting for nobody, until they are stopped by hand.
      if (t.client === null) return false;
      t.client = null;
      this.render();
      return true;
    }
    let best: number | null = null;
    const wanted = t.name.toLowerCase();
    states.forEach((state, client) => {
      if (client === this.opts.awareness.clientID || userName(state)?.toLowerCase() !== wanted) return;
      if (best === null || (this.moved.get(client) ?? 0) > (this.moved.get(best) ?? 0)) best = client;
    });
    if (best === t.client) return false;
    t.client = best;
    this.render();
    return true;
  }

  private render(): void {
    const t = this.target;
    this.bar.hidden = t === null;
    if (t !== null) {
      const state = t.client === null ? undefined : this.opts.awareness.getStates().get(t.client);
      this.swatch.style.backgroundColor = userColor(state);
      // Their name as they spell it, once found (`?follow=alice` finds "Alice").
      const name = (state === undefined ? null : userName(state)) ?? t.name;
      this.label.replaceChildren("Following ", h("strong", {}, name), t.client === null ? " (not here)" : "");
    }
    for (const l of this.listeners) l();
  }

  private schedule(): void {
    if (this.frame !== 0 || (this.target?.client == null && !this.chooseDue)) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.chooseDue) {
        this.chooseDue = false;
        if (this.chooser && this.retarget()) this.render();
      }
      const pos = this.caret();
      if (pos !== null) this.opts.reveal(pos);
    });
  }

  /** Where the followed caret is in the text now. */
  private caret(): number | null {
    const client = this.target?.client;
    if (client == null) return null;
    const state = this.opts.awareness.getStates().get(client);
    const cursor = isRecord(state) && isRecord(state.cursor) ? state.cursor : null;
    const head = cursor ? readRelPos(cursor.head) : null;
    if (head === null) return null;
    const doc = this.opts.ytext.doc;
    if (!doc) return null;
    try {
      const abs = Y.createAbsolutePositionFromRelativePosition(
        Y.createRelativePositionFromJSON({ type: null, tname: head.tname, item: head.item, assoc: head.assoc }),
        doc,
      );
      return abs && abs.type === this.opts.ytext ? abs.index : null;
    } catch {
      // A position into text this replica has not received yet: the next change tries again.
      return null;
    }
  }

  private stopOnOwnScroll(view: HTMLElement): void {
    const stop = (): void => {
      if (this.target !== null) this.stop();
    };
    view.addEventListener("wheel", stop, { passive: true });
    view.addEventListener("touchmove", stop, { passive: true });
    view.addEventListener("keydown", (e) => {
      if (e.isComposing || IDLE_KEYS.has(e.key)) return;
      // In text you type: any other key is yours. Elsewhere only the keys that scroll.
      const typing = e.target instanceof HTMLElement && e.target.isContentEditable;
      if (typing || SCROLL_KEYS.has(e.key)) stop();
    });
    // A press on the view itself rather than its content: its scroll bar.
    view.addEventListener("mousedown", (e) => {
      if (e.target === view) stop();
    });
  }
}

/**
 * The user list's follow buttons: a click follows that person, or stops following them; the
 * followed person's button is pressed.
 */
export function followFromUserList(list: HTMLElement, follower: Follower): void {
  list.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest<HTMLElement>("[data-client]") : null;
    if (!button) return;
    const client = Number(button.dataset.client);
    if (follower.following() === client) follower.stop();
    else follower.follow(client);
  });
  const mark = (): void => {
    const followed = follower.following();
    for (const b of list.querySelectorAll<HTMLElement>("[data-client]")) {
      const pressed = String(Number(b.dataset.client) === followed);
      if (b.getAttribute("aria-pressed") !== pressed) b.setAttribute("aria-pressed", pressed);
    }
  };
  follower.onChange(mark);
  // The list is redrawn when people come and go.
  new MutationObserver(mark).observe(list, { childList: true });
}
