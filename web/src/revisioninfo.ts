// Pieces of the timeslider's bar that describe a revision: its time, an author chip (swatch and
// name), and the export links for a revision.

import { type AuthorInfo, displayName } from "./authorcolors";
import { h } from "./dom";
import { padPath } from "./padid";

const EXPORTS: Array<{ format: string; label: string }> = [
  { format: "markdown", label: "Markdown" },
  { format: "txt", label: "Plain text" },
  { format: "html", label: "HTML" },
  { format: "etherpad", label: "Etherpad" },
];

export function formatTime(ms: number | null): { text: string; iso: string } {
  if (ms === null) return { text: "", iso: "" };
  const d = new Date(ms);
  return { text: d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }), iso: d.toISOString() };
}

export function authorChip(id: string, info: AuthorInfo | undefined): HTMLElement {
  const swatch = h("span", { class: "user-swatch", "aria-hidden": "true" });
  swatch.style.backgroundColor = info?.color ?? "#888888";
  return h("span", { class: "ts-author", "data-author": id }, swatch, h("span", { class: "user-name" }, displayName(info)));
}

/** The export links (in `list`) and a function pointing them at a revision. */
export function exportLinks(list: HTMLElement, padId: string): (rev: number) => void {
  const links = EXPORTS.map(({ format, label }) => h("a", { download: "", "data-export": format }, label));
  list.replaceChildren(...links.map((a) => h("li", {}, a)));
  return (rev) => {
    for (const a of links) a.href = `${padPath(padId)}/${rev}/export/${a.dataset.export}`;
  };
}
