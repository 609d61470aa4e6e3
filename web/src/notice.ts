// A short message at the bottom of the page that a screen reader announces and that goes away by
// itself: the answer to a shortcut that has nothing to change in the text (Ctrl-U), or the outcome
// of an action whose button is gone by then (a revision saved from a dialog).

import { h } from "./dom";

/** How long a notice stays on screen. */
const SHOWN_MS = 4000;

let box: HTMLElement | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;

export function showNotice(text: string): void {
  if (!box) {
    box = h("div", { class: "notice", id: "notice", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  box.textContent = text;
  box.hidden = false;
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(() => {
    if (box) box.hidden = true;
  }, SHOWN_MS);
}
