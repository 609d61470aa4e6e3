// Authorship colours as the user sees them, shared by the pad and the timeslider: an author's text
// gets a translucent background of the author's colour (the alpha comes from the stylesheet, so it
// suits the light and the dark scheme), and one switch, remembered in localStorage for every pad,
// hides or shows them. Marked text carries `data-author` (the author id) and a `title` with the
// author's name; the colour travels as `--author-rgb: r, g, b` in a style attribute.

import { h, loadLocal, safeColor, storeLocal } from "./dom";
import { icon } from "./icons";
import { padColors } from "./distinctcolors";

const SHOWN_KEY = "ypad:authorColors";
/** Set on `<html>` while the colours are hidden; base.css then drops the backgrounds. */
const HIDDEN_CLASS = "author-colors-off";

/** An author as the server describes one: name (null until they set one) and `#rrggbb` colour. */
export interface AuthorInfo {
  name: string | null;
  color: string;
}

function readAuthor(raw: unknown): AuthorInfo | null {
  if (!raw || typeof raw !== "object") return null;
  const name = "name" in raw && typeof raw.name === "string" && raw.name.trim() !== "" ? raw.name : null;
  return { name, color: safeColor("color" in raw ? raw.color : undefined) };
}

/**
 * Read the server's `authors` table, keeping only well-formed entries, with the colours to show:
 * distinct within the pad (see distinctcolors.ts).
 */
export function readAuthors(value: unknown): Map<string, AuthorInfo> {
  const out = new Map<string, AuthorInfo>();
  if (!value || typeof value !== "object") return out;
  for (const [id, raw] of Object.entries(value)) {
    const author = readAuthor(raw);
    if (author) out.set(id, author);
  }
  const shown = padColors.assign(new Map([...out].map(([id, a]) => [id, a.color])));
  for (const [id, a] of out) a.color = shown.get(id) ?? a.color;
  return out;
}

/** What to call an author in a tooltip or list. */
export function displayName(author: AuthorInfo | undefined): string {
  return author?.name ?? "Unnamed author";
}

/**
 * The style attribute value that colours an element marked with `data-author`: the colour, and
 * for the light scheme an opacity that grows with the colour's lightness, so that a pale colour
 * (the server's default colours are pastels, as in Etherpad) still shows on white while a strong
 * one stays a light wash. The dark scheme uses one opacity for all (base.css).
 */
export function authorStyle(color: string): string {
  const c = safeColor(color);
  const n = Number.parseInt(c.slice(1), 16);
  const r = (n >> 16) & 255;
  const g = (n >> 8) & 255;
  const b = n & 255;
  const lightness = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  const alpha = Math.min(0.65, Math.max(0.24, 0.24 + (lightness - 0.5) * 1.1));
  return `--author-rgb: ${r}, ${g}, ${b}; --author-alpha-light: ${alpha.toFixed(2)}`;
}

export function colorsShown(): boolean {
  return loadLocal(SHOWN_KEY) !== "0";
}

function apply(on: boolean): void {
  document.documentElement.classList.toggle(HIDDEN_CLASS, !on);
}

/**
 * A toolbar button that shows or hides the authorship colours (aria-pressed tells which). Also
 * applies the remembered choice to the page.
 */
export function colorsToggle(): HTMLButtonElement {
  const label = "Authorship colours";
  const button = h(
    "button",
    { type: "button", class: "tool", id: "author-colors-toggle", title: label, "aria-label": label },
    icon("authors"),
  );
  const render = (on: boolean): void => {
    apply(on);
    button.setAttribute("aria-pressed", String(on));
  };
  button.addEventListener("mousedown", (e) => e.preventDefault()); // keep the editor's focus
  button.addEventListener("click", () => {
    const on = !colorsShown();
    storeLocal(SHOWN_KEY, on ? "1" : "0");
    render(on);
  });
  render(colorsShown());
  return button;
}
