// The timeslider's saved revisions: a star above the slider for each and a list with label, time
// and who saved it; both jump to the revision. Beside them, the pad's lock changes, listed with
// their time and who made them.

import { type AuthorInfo, displayName } from "./authorcolors";
import { h } from "./dom";
import { icon } from "./icons";
import type { LockEvent, SavedRevision } from "./revisions";
import { formatTime } from "./revisioninfo";

export interface SavedElements {
  marks: HTMLElement;
  box: HTMLElement;
  list: HTMLElement;
  count: HTMLElement;
}

export function renderSaved(
  els: SavedElements,
  saved: SavedRevision[],
  head: number,
  authors: Map<string, AuthorInfo>,
  jump: (rev: number) => void,
): void {
  const span = Math.max(1, head);
  els.marks.replaceChildren(
    ...saved.map((s) => {
      const b = h(
        "button",
        { type: "button", class: "ts-mark", title: `${s.label} (revision ${s.rev})`, "aria-label": `Saved: ${s.label}` },
        icon("star"),
      );
      b.style.left = `calc(8px + (100% - 16px) * ${Math.min(1, s.rev / span)})`;
      b.addEventListener("click", () => jump(s.rev));
      return b;
    }),
  );
  els.box.hidden = saved.length === 0;
  els.count.textContent = String(saved.length);
  els.list.replaceChildren(
    ...saved.map((s) => {
      const when = formatTime(s.timeMs);
      const button = h("button", { type: "button", class: "chip", "data-rev": s.rev }, icon("star"), s.label);
      button.addEventListener("click", () => jump(s.rev));
      const by = s.author ? authors.get(s.author) : undefined;
      return h(
        "li",
        {},
        button,
        h("span", { class: "muted" }, `revision ${s.rev}${when.text ? ` · ${when.text}` : ""}${by ? ` · ${displayName(by)}` : ""}`),
      );
    }),
  );
}

export interface LockElements {
  box: HTMLElement;
  list: HTMLElement;
  count: HTMLElement;
}

export function renderLocks(els: LockElements, locks: LockEvent[], authors: Map<string, AuthorInfo>): void {
  els.box.hidden = locks.length === 0;
  els.count.textContent = String(locks.length);
  els.list.replaceChildren(
    ...locks.map((l) => {
      const what = l.locked ? "Locked" : l.lockAt !== null ? `Lock set for ${formatTime(l.lockAt).text}` : "Unlocked";
      const by = l.by ? authors.get(l.by) : undefined;
      return h(
        "li",
        { class: l.locked ? "ts-lock locked" : "ts-lock" },
        h("b", {}, what),
        h("span", { class: "muted" }, ` ${formatTime(l.timeMs).text}${by ? ` · ${displayName(by)}` : ""}`),
      );
    }),
  );
}
