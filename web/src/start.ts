// Entry point of the start page (`/`): open a new pad with a random name or a named one (spaces and
// `:` become `_`, as in Etherpad, which the page says while you type), and list the pads this
// browser opened (kept in the browser, each removable). It also registers the service worker, so
// pads open offline once the start page has been visited.

import "./css/start.css";
import { byId, h, relativeTime } from "./dom";
import { normalisePadName, padIdProblem, padPath, randomPadId } from "./padid";
import { registerServiceWorker } from "./swregister";
import { forgetPad, recentPads } from "./recent";

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

function showRecent(): void {
  const list = byId("recent-list");
  const pads = recentPads();
  if (pads.length === 0) {
    list.replaceChildren(h("li", { class: "muted" }, "Pads you open show here, on this browser only."));
    return;
  }
  list.replaceChildren(
    ...pads.map((p) => {
      const when = new Date(p.at);
      const remove = h(
        "button",
        { type: "button", class: "recent-remove", title: "Remove from this list", "aria-label": `Remove ${p.id} from this list` },
        "×",
      );
      remove.addEventListener("click", () => {
        forgetPad(p.id);
        showRecent();
      });
      return h(
        "li",
        {},
        h("a", { href: padPath(p.id), class: "recent-link" }, p.id),
        h(
          "span",
          { class: "recent-meta" },
          "opened ",
          h("time", { datetime: when.toISOString(), title: when.toLocaleString() }, relativeTime(p.at)),
        ),
        remove,
      );
    }),
  );
}

setupForm();
showRecent();
registerServiceWorker();
