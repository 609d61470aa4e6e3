// The share menu: the pad's link, its read-only link (asked from `/api/v1/pads/{pad}`, which has
// none until the pad has been edited, so it is asked again each time the menu opens until it
// answers), the export downloads, importing a file, and the pad's history: a link to the
// timeslider and "Save revision".

import { h } from "./dom";
import { icon } from "./icons";
import { padPath, timesliderPath } from "./padid";
import { askAndSaveRevision } from "./saverevision";
import { field, str } from "./json";
import { importRow } from "./importfile";

const EXPORTS: Array<{ format: string; label: string }> = [
  { format: "markdown", label: "Markdown" },
  { format: "txt", label: "Plain text" },
  { format: "html", label: "HTML" },
  { format: "etherpad", label: "Etherpad" },
];

async function copyText(text: string, input: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No async clipboard (plain http on a LAN address): select the text for a manual copy.
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}

function linkRow(label: string, name: string): { row: HTMLElement; input: HTMLInputElement; note: HTMLElement; button: HTMLButtonElement } {
  const input = h("input", { type: "text", readonly: true, class: "share-url", "data-link": name, "aria-label": label });
  const button = h("button", { type: "button", class: "copy-btn", title: `Copy ${label.toLowerCase()}` }, icon("copy"), "Copy");
  const note = h("p", { class: "share-note", hidden: true });
  const row = h("div", { class: "share-row" }, h("label", {}, label), h("div", { class: "share-field" }, input, button), note);
  button.addEventListener("click", async () => {
    if (!input.value) return;
    const ok = await copyText(input.value, input);
    button.lastChild!.textContent = ok ? "Copied" : "Copy";
    setTimeout(() => (button.lastChild!.textContent = "Copy"), 1500);
  });
  return { row, input, note, button };
}

/** The timeslider link and, for editors, "Save revision", which asks for a label. */
function historyRow(padId: string, readOnly: boolean): HTMLElement {
  const links = h(
    "ul",
    { class: "export-list" },
    h("li", {}, h("a", { href: timesliderPath(padId), "data-link": "timeslider" }, icon("history"), "Timeslider")),
  );
  if (!readOnly) {
    const save = h(
      "button",
      { type: "button", class: "chip", id: "save-revision", title: "Save revision (Ctrl+S)" },
      icon("star"),
      "Save revision",
    );
    save.addEventListener("click", () => askAndSaveRevision(padId));
    links.append(h("li", {}, save));
  }
  return h("div", { class: "share-row history-row" }, h("label", {}, "History"), links);
}

/** The read-only id from the pad's metadata, or null when it has none (yet). */
function readOnlyIdOf(body: unknown): string | null {
  const id = str(field(body, "readOnlyId"));
  return id === "" ? null : id;
}

/** Build the share menu into `menu`, opened and closed by `toggle`. */
export function setupShare(toggle: HTMLButtonElement, menu: HTMLElement, padId: string, readOnly: boolean): void {
  const origin = location.origin;
  const edit = linkRow("Link to edit", "edit");
  edit.input.value = origin + padPath(padId);
  const view = linkRow("Read-only link", "read-only");
  let readOnlyUrl: string | null = readOnly ? origin + padPath(padId) : null;

  const showReadOnly = (): void => {
    view.input.value = readOnlyUrl ?? "";
    view.input.hidden = readOnlyUrl === null;
    view.button.hidden = readOnlyUrl === null;
    view.note.hidden = readOnlyUrl !== null;
  };
  const fetchReadOnly = async (): Promise<void> => {
    if (readOnlyUrl !== null) return;
    view.note.textContent = "Loading…";
    showReadOnly();
    try {
      const res = await fetch(`/api/v1/pads/${encodeURIComponent(padId)}`, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(String(res.status));
      const readOnlyId = readOnlyIdOf(await res.json());
      if (readOnlyId === null) throw new Error("no readOnlyId");
      readOnlyUrl = origin + padPath(readOnlyId);
    } catch {
      view.note.textContent = "Not available yet: the read-only link appears once the pad has been edited.";
    }
    showReadOnly();
  };

  const exportsList = h(
    "ul",
    { class: "export-list" },
    ...EXPORTS.map(({ format, label }) =>
      h("li", {}, h("a", { href: `${padPath(padId)}/export/${format}`, download: "", "data-export": format }, label)),
    ),
  );

  const close = h("button", { type: "button", class: "menu-close", title: "Close", "aria-label": "Close" }, icon("close"));
  menu.replaceChildren(
    h("div", { class: "menu-head" }, h("h2", {}, "Share"), close),
    ...(readOnly ? [] : [edit.row]),
    view.row,
    h("div", { class: "share-row" }, h("label", {}, "Export"), exportsList),
    ...(readOnly ? [] : [importRow(padId)]),
    historyRow(padId, readOnly),
  );
  showReadOnly();

  const setOpen = (open: boolean): void => {
    menu.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      void fetchReadOnly();
      // A dialog takes the focus, so keyboard and screen-reader users land in it.
      (readOnly ? close : edit.input).focus();
      if (!readOnly) edit.input.select();
    }
  };
  toggle.addEventListener("click", () => setOpen(menu.hidden));
  close.addEventListener("click", () => {
    setOpen(false);
    toggle.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !menu.hidden) {
      setOpen(false);
      toggle.focus();
    }
  });
  document.addEventListener("mousedown", (e) => {
    const target = e.target as Node;
    if (!menu.hidden && !menu.contains(target) && !toggle.contains(target)) setOpen(false);
  });
  setOpen(false);
}
