// Entry point of the start page (`/`): open a new pad with a random name or a named one (spaces and
// `:` become `_`, as in Etherpad, which the page says while you type), and list the recently edited pads from `/api/v1/pads`. It also
// registers the service worker, so pads open offline once the start page has been visited.

import "./css/start.css";
import { byId, h, relativeTime } from "./dom";
import { normalisePadName, padIdProblem, padPath, randomPadId } from "./padid";
import { registerServiceWorker } from "./swregister";
import { field, num, str } from "./json";

interface RecentPad {
  id: string;
  lastEdited: number;
  revisions: number;
}

function open(id: string): void {
  location.assign(padPath(id));
}

function setupForm(): void {
  const form = byId<HTMLFormElement>("open-form");
  const input = byId<HTMLInputElement>("pad-name-input");
  const error = byId("form-error");
  const hint = byId("name-hint");
  // Say what a typed name becomes before it is rewritten, not after.
  const showRewrite = (): void => {
    const typed = input.value.trim();
    const id = normalisePadName(input.value);
    hint.hidden = typed === id || id === "";
    hint.textContent = `Opens the pad “${id}”: spaces and “:” become “_”, as in Etherpad.`;
  };
  byId("new-pad").addEventListener("click", () => open(randomPadId()));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = normalisePadName(input.value);
    const problem = padIdProblem(id);
    error.textContent = problem ?? "";
    error.hidden = problem === null;
    input.setAttribute("aria-invalid", String(problem !== null));
    if (problem === null) open(id);
  });
  input.addEventListener("input", () => {
    showRewrite();
    error.hidden = true;
    input.removeAttribute("aria-invalid");
  });
}

function readRecentPad(v: unknown): RecentPad | null {
  const id = str(field(v, "id"));
  if (id === null) return null;
  return { id, lastEdited: num(field(v, "lastEdited")) ?? 0, revisions: num(field(v, "revisions")) ?? 0 };
}

function parseRecent(body: unknown): RecentPad[] {
  const pads = field(body, "pads");
  if (!Array.isArray(pads)) throw new Error("unexpected answer");
  return pads.map(readRecentPad).filter((p): p is RecentPad => p !== null);
}

async function loadRecent(): Promise<void> {
  const list = byId("recent-list");
  try {
    const res = await fetch("/api/v1/pads?limit=10", { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(String(res.status));
    const pads = parseRecent(await res.json());
    if (pads.length === 0) {
      list.replaceChildren(h("li", { class: "muted" }, "No pads yet. Start one above."));
      return;
    }
    list.replaceChildren(
      ...pads.map((p) => {
        const when = p.lastEdited ? new Date(p.lastEdited) : null;
        return h(
          "li",
          {},
          h("a", { href: padPath(p.id), class: "recent-link" }, p.id),
          h(
            "span",
            { class: "recent-meta" },
            when ? h("time", { datetime: when.toISOString(), title: when.toLocaleString() }, relativeTime(p.lastEdited)) : null,
            ` · ${p.revisions} ${p.revisions === 1 ? "revision" : "revisions"}`,
          ),
        );
      }),
    );
  } catch {
    list.replaceChildren(h("li", { class: "muted" }, "The list of recent pads is not available right now."));
  }
}

setupForm();
void loadRecent();
registerServiceWorker();
