// Entry point of the start page (`/`): open a new pad with a random name or a named one (spaces and
// `:` become `_`, as in Etherpad), and list the recently edited pads from `/api/v1/pads`. It also
// registers the service worker, so pads open offline once the start page has been visited.

import "./css/start.css";
import { byId, h, relativeTime } from "./dom";
import { normalisePadName, padIdProblem, padPath, randomPadId } from "./padid";
import { registerServiceWorker } from "./swregister";

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
    error.hidden = true;
    input.removeAttribute("aria-invalid");
  });
}

function parseRecent(body: unknown): RecentPad[] {
  const pads = (body as { pads?: unknown } | null)?.pads;
  if (!Array.isArray(pads)) throw new Error("unexpected answer");
  return pads
    .filter((p): p is Record<string, unknown> => !!p && typeof p === "object" && typeof (p as { id?: unknown }).id === "string")
    .map((p) => ({
      id: p.id as string,
      lastEdited: typeof p.lastEdited === "number" ? p.lastEdited : 0,
      revisions: typeof p.revisions === "number" ? p.revisions : 0,
    }));
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
