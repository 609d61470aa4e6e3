// The timeslider's saved revisions: a star above the slider for each and a list with label, time
// and who saved it; both jump to the revision.

import { type AuthorInfo, displayName } from "./authorcolors";
import { h } from "./dom";
import { icon } from "./icons";
import type { SavedRevision } from "./revisions";
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
      const b = h("button", { type: "button", class: "ts-mark", title: `${s.label} (revision ${s.rev})`, "aria-label": `Saved: ${s.label}` }, icon("star"));
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
      return h("li", {}, button, h("span", { class: "muted" }, `revision ${s.rev}${when.text ? ` · ${when.text}` : ""}${by ? ` · ${displayName(by)}` : ""}`));
    }),
  );
}
