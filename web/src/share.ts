// The share menu: the pad's link, its read-only link (asked from `/api/v1/pads/{pad}`, which has
// none until the pad has been edited, so it is asked again each time the menu opens until it
// answers), the export downloads, and the pad's history: a link to the timeslider and "Save
// revision", which stars the current revision (`POST /api/v1/pads/{pad}/saved`) so the timeslider
// marks it.

import { h } from "./dom";
import { icon } from "./icons";
import { padPath, timesliderPath } from "./padid";

const EXPORTS: Array<{ format: string; label: string }> = [
  { format: "markdown", label: "Markdown" },
  { format: "txt", label: "Plain text" },
  { format: "html", label: "HTML" },
  { format: "etherpad", label: "Etherpad" },
];

interface PadInfo {
  readOnlyId?: unknown;
}

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

/** The timeslider link and, for editors, the "Save revision" button with its answer. */
function historyRow(padId: string, readOnly: boolean): HTMLElement {
  const links = h(
    "ul",
    { class: "export-list" },
    h("li", {}, h("a", { href: timesliderPath(padId), "data-link": "timeslider" }, icon("history"), "Timeslider")),
  );
  const note = h("p", { class: "share-note", role: "status", hidden: true });
  if (!readOnly) {
    const save = h("button", { type: "button", class: "chip", id: "save-revision" }, icon("star"), "Save revision");
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        const res = await fetch(`/api/v1/pads/${encodeURIComponent(padId)}/saved`, {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/json" },
          body: "{}",
        });
        const body = (await res.json().catch(() => ({}))) as { rev?: unknown; error?: unknown };
        if (!res.ok) {
          throw new Error(res.status === 404 ? "Nothing to save yet: the pad has no edits." : typeof body.error === "string" ? body.error : `error ${res.status}`);
        }
        note.textContent = `Saved revision ${typeof body.rev === "number" ? body.rev : ""}. The timeslider marks it with a star.`;
      } catch (err) {
        note.textContent = err instanceof TypeError ? "Not saved: the server cannot be reached." : `Not saved: ${(err as Error).message}`;
      }
      note.hidden = false;
      save.disabled = false;
    });
    links.append(h("li", {}, save));
  }
  return h("div", { class: "share-row history-row" }, h("label", {}, "History"), links, note);
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
      const info = (await res.json()) as PadInfo;
      if (typeof info.readOnlyId !== "string" || info.readOnlyId === "") throw new Error("no readOnlyId");
      readOnlyUrl = origin + padPath(info.readOnlyId);
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
    historyRow(padId, readOnly),
  );
  showReadOnly();

  const setOpen = (open: boolean): void => {
    menu.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) void fetchReadOnly();
  };
  toggle.addEventListener("click", () => setOpen(menu.hidden));
  close.addEventListener("click", () => setOpen(false));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !menu.hidden) setOpen(false);
  });
  document.addEventListener("mousedown", (e) => {
    const target = e.target as Node;
    if (!menu.hidden && !menu.contains(target) && !toggle.contains(target)) setOpen(false);
  });
  setOpen(false);
}
