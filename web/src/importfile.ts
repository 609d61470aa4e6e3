// "Import" in the share menu: a Markdown, text, HTML or Etherpad (`.etherpad`) file replaces the
// pad's text through `POST /p/{pad}/import` (multipart field `file`), as Etherpad's import does.
// The new text reaches the editor through the normal sync, like anyone else's edit.

import { h } from "./dom";
import { padPath } from "./padid";
import { field, str } from "./json";

const ACCEPT = ".md,.markdown,.txt,.html,.htm,.etherpad";

function errorText(body: unknown): string | null {
  return str(field(body, "error")) ?? str(field(body, "message"));
}

export function importRow(padId: string): HTMLElement {
  const input = h("input", { type: "file", accept: ACCEPT, id: "import-file", class: "import-file", "aria-label": "File to import" });
  const button = h("button", { type: "button", class: "chip", id: "import-button", disabled: true }, "Import");
  const note = h(
    "p",
    { class: "share-note", role: "status" },
    "Markdown, text, HTML or Etherpad file. It replaces the pad’s text (the timeslider keeps the old one).",
  );
  input.addEventListener("change", () => {
    button.disabled = !input.files || input.files.length === 0;
  });
  button.addEventListener("click", async () => {
    const file = input.files?.[0];
    if (!file) return;
    button.disabled = true;
    note.textContent = `Importing ${file.name}…`;
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const res = await fetch(`${padPath(padId)}/import`, { method: "POST", body: form, headers: { Accept: "application/json" } });
      const body: unknown = await res.json().catch(() => null);
      note.textContent = res.ok ? `Imported ${file.name}.` : `Not imported: ${errorText(body) ?? `error ${res.status}`}`;
    } catch {
      note.textContent = "Not imported: the server cannot be reached.";
    }
    input.value = "";
  });
  return h(
    "div",
    { class: "share-row import-row" },
    h("label", { for: "import-file" }, "Import"),
    h("div", { class: "share-field" }, input, button),
    note,
  );
}
