// "Save revision", as in Etherpad: star the pad's current revision under a label the user types
// (`POST /api/v1/pads/{pad}/saved` with `{label}`), so the timeslider can jump to it. Opened from
// the share menu and with Ctrl-S; the dialog takes the focus and gives it back when it closes.

import { h } from "./dom";
import { icon } from "./icons";
import { showNotice } from "./notice";
import { field, num, str } from "./json";

/** The server refuses longer labels. */
const MAX_LABEL_CHARS = 200;

/** Save the current revision under `label` (empty: the server's default); returns what to tell the user. */
export async function saveRevision(padId: string, label: string): Promise<string> {
  try {
    const res = await fetch(`/api/v1/pads/${encodeURIComponent(padId)}/saved`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(label.trim() ? { label: label.trim() } : {}),
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      if (res.status === 404) return "Not saved: the pad has no edits yet.";
      return `Not saved: ${str(field(body, "error")) ?? `error ${res.status}`}`;
    }
    const rev = num(field(body, "rev"));
    return `Saved revision ${rev ?? ""}${label.trim() ? ` “${label.trim()}”` : ""}. The timeslider marks it with a star.`;
  } catch {
    return "Not saved: the server cannot be reached.";
  }
}

let dialog: HTMLDialogElement | null = null;

/** Ask for a label in a modal dialog, then save; the outcome is shown as a notice. */
export function askAndSaveRevision(padId: string): void {
  if (dialog?.open) return;
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const input = h("input", {
    type: "text",
    id: "save-revision-label",
    maxlength: MAX_LABEL_CHARS,
    placeholder: "e.g. Agenda agreed",
    "aria-label": "Label of the saved revision",
    autocomplete: "off",
  });
  const stamp = new Date().toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  input.value = `Saved ${stamp}`;
  const form = h(
    "form",
    { method: "dialog", class: "save-form" },
    h("h2", {}, "Save revision"),
    h("p", { class: "share-note" }, "The timeslider marks saved revisions with a star and can jump to them."),
    h("label", { for: "save-revision-label" }, "Label"),
    input,
    h(
      "div",
      { class: "dialog-buttons" },
      h("button", { type: "button", class: "secondary", value: "cancel", id: "save-revision-cancel" }, "Cancel"),
      h("button", { type: "submit", class: "primary", value: "save", id: "save-revision-ok" }, icon("star"), "Save"),
    ),
  );
  dialog?.remove();
  const d = h("dialog", { class: "save-dialog", "aria-label": "Save revision" }, form);
  dialog = d;
  document.body.append(d);
  d.querySelector("#save-revision-cancel")?.addEventListener("click", () => d.close());
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const label = input.value;
    d.close();
    void saveRevision(padId, label).then(showNotice);
  });
  d.addEventListener("close", () => {
    d.remove();
    returnFocus?.focus();
  });
  d.showModal();
  input.select();
}
