// Entry point of the timeslider (`/p/{pad}/timeslider#{rev}`): the pad's history, as in Etherpad.
// A slider over revisions 0..head, play/pause, step buttons and arrow keys, stars for saved
// revisions, the revision's number, time and author, and its text read-only with authorship
// colours. The page polls the server for new revisions and, while the slider is at the head,
// follows them. `#rev` in the address is kept in step and honoured on load.
//
// Built for long histories: the revision list is read a page at a time around the revision shown
// (PadHistory), a drag fetches only the revision the slider settles on (earlier answers are
// dropped or aborted), and the text is swapped in with a single DOM operation.

import "./css/timeslider.css";
import { byId, h } from "./dom";
import { icon } from "./icons";
import { padIdFromPath, padIdProblem, padPath } from "./padid";
import { type AuthorInfo, colorsToggle, displayName } from "./authorcolors";
import { NoSuchPad, PadHistory, type RevisionText } from "./revisions";
import { authorsInText, renderRevisionText } from "./revtext";
import { registerServiceWorker } from "./swregister";

/** While dragging, a revision is fetched once the slider has rested this long. */
const DRAG_DEBOUNCE_MS = 120;
/** Key presses and button clicks in quick succession fetch only the last revision. */
const STEP_DEBOUNCE_MS = 40;
/** Playing shows one revision per this many milliseconds (waiting for slow answers). */
const PLAY_INTERVAL_MS = 250;
/** How often to ask for new revisions while the page is visible, and while it is hidden. */
const POLL_MS = 2000;
const HIDDEN_POLL_MS = 15000;
/** `#rev` is written at most this often (browsers limit history.replaceState calls). */
const HASH_INTERVAL_MS = 400;

const EXPORTS: Array<{ format: string; label: string }> = [
  { format: "markdown", label: "Markdown" },
  { format: "txt", label: "Plain text" },
  { format: "html", label: "HTML" },
  { format: "etherpad", label: "Etherpad" },
];

function revFromHash(): number | null {
  const m = /^#(\d{1,15})$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

function formatTime(ms: number | null): { text: string; iso: string } {
  if (ms === null) return { text: "", iso: "" };
  const d = new Date(ms);
  return { text: d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }), iso: d.toISOString() };
}

function authorChip(id: string, info: AuthorInfo | undefined): HTMLElement {
  const swatch = h("span", { class: "user-swatch", "aria-hidden": "true" });
  swatch.style.backgroundColor = info?.color ?? "#888888";
  return h("span", { class: "ts-author", "data-author": id }, swatch, h("span", { class: "user-name" }, displayName(info)));
}

function showFatal(message: string): void {
  byId("ts-bar").hidden = true;
  byId("ts-area").replaceChildren(
    h("div", { class: "fatal-box" }, h("h1", {}, "This history cannot be shown"), h("p", {}, message), h("p", {}, h("a", { href: "/" }, "Go to the start page"))),
  );
}

function main(): void {
  const padId = padIdFromPath(location.pathname, "/timeslider");
  const problem = padId === null ? "The address is not a timeslider address." : padIdProblem(padId);
  if (padId === null || problem !== null) {
    showFatal(problem ?? "The address is not a timeslider address.");
    return;
  }
  document.title = `${padId} · Timeslider · ypad`;
  byId("pad-name").textContent = padId;
  const back = byId<HTMLAnchorElement>("back-link");
  back.href = padPath(padId);
  back.prepend(icon("back"));
  back.before(colorsToggle());

  const slider = byId<HTMLInputElement>("ts-slider");
  const play = byId<HTMLButtonElement>("ts-play");
  const prev = byId<HTMLButtonElement>("ts-prev");
  const next = byId<HTMLButtonElement>("ts-next");
  const revEl = byId("ts-rev");
  const timeEl = byId("ts-time");
  const byEl = byId("ts-by");
  const authorsEl = byId("ts-authors");
  const textEl = byId("ts-text");
  const marks = byId("ts-marks");
  const savedBox = byId("ts-saved-box");
  const savedList = byId("ts-saved");
  const savedCount = byId("ts-saved-count");
  prev.append(icon("stepBack"));
  next.append(icon("stepForward"));
  const exportLinks = EXPORTS.map(({ format, label }) => h("a", { download: "", "data-export": format }, label));
  byId("ts-exports").replaceChildren(...exportLinks.map((a) => h("li", {}, a)));

  const hist = new PadHistory(padId);
  /** Every author seen in any answer, for names while the slider moves ahead of the text. */
  const knownAuthors = new Map<string, AuthorInfo>();
  /** The revision asked for (the slider's), and the one whose text is on screen. */
  let target = -1;
  let shown: RevisionText | null = null;
  let dragging = false;
  let playing = false;
  let loadTimer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: AbortController | null = null;

  // --- #rev in the address -------------------------------------------------------------------
  let hashTimer: ReturnType<typeof setTimeout> | null = null;
  let lastHashWrite = 0;
  const writeHash = (): void => {
    hashTimer = null;
    lastHashWrite = Date.now();
    try {
      if (target >= 0 && location.hash !== `#${target}`) history.replaceState(null, "", `#${target}`);
    } catch {
      /* too many calls: the next one catches up */
    }
  };
  const syncHash = (): void => {
    if (hashTimer === null) hashTimer = setTimeout(writeHash, Math.max(0, lastHashWrite + HASH_INTERVAL_MS - Date.now()));
  };

  // --- what the bar shows ----------------------------------------------------------------------
  /** Show the slider's revision; `settled`: the slider rests there, so missing details are fetched. */
  const showInfo = (settled: boolean): void => {
    const head = hist.head;
    const rev = target;
    slider.setAttribute("aria-valuetext", `Revision ${rev} of ${head}`);
    revEl.textContent = rev === 0 ? `Revision 0 of ${head} · the empty pad` : `Revision ${rev} of ${head}`;
    const meta = shown?.rev === rev ? shown : rev > 0 ? hist.metaOf(rev, settled) : undefined;
    const t = formatTime(meta?.time ?? null);
    timeEl.textContent = t.text;
    if (t.iso) timeEl.setAttribute("datetime", t.iso);
    else timeEl.removeAttribute("datetime");
    const author = meta?.author ?? null;
    if (author) byEl.replaceChildren("by ", authorChip(author, knownAuthors.get(author)));
    else byEl.replaceChildren();
    prev.disabled = rev <= 0;
    next.disabled = rev >= head;
    for (const a of exportLinks) a.href = `${padPath(padId)}/${rev}/export/${a.dataset.export}`;
  };

  const render = (t: RevisionText): void => {
    shown = t;
    let newAuthors = false;
    for (const [id, info] of t.authors) {
      const known = knownAuthors.get(id);
      if (!known || known.name !== info.name || known.color !== info.color) newAuthors = true;
      knownAuthors.set(id, info);
    }
    // The saved revisions' list names who saved them.
    if (newAuthors && hist.saved.length > 0) renderSaved();
    renderRevisionText(textEl, t);
    textEl.dataset.rev = String(t.rev);
    textEl.removeAttribute("aria-busy");
    const authors = authorsInText(t);
    authorsEl.replaceChildren(
      h("span", { class: "ts-label" }, "Authors"),
      ...(authors.length > 0 ? authors.map((a) => authorChip(a.id, a.info)) : [h("span", { class: "muted" }, "nobody yet")]),
    );
    showInfo(true);
    syncHash();
    if (playing && t.rev < hist.head) hist.prefetch(t.rev + 1);
  };

  const load = async (): Promise<void> => {
    loadTimer = null;
    const rev = target;
    inFlight?.abort();
    inFlight = null;
    if (shown?.rev === rev) {
      textEl.removeAttribute("aria-busy");
      showInfo(true);
      return;
    }
    const cached = hist.cachedText(rev);
    if (cached) {
      render(cached);
      return;
    }
    showInfo(true);
    const ctl = new AbortController();
    inFlight = ctl;
    textEl.setAttribute("aria-busy", "true");
    try {
      const t = await hist.text(rev, ctl.signal);
      // A newer revision was asked for meanwhile: this answer is stale.
      if (rev === target) render(t);
    } catch {
      if (ctl.signal.aborted || rev !== target) return;
      revEl.textContent = `Revision ${rev} could not be loaded. Retrying…`;
      loadTimer = setTimeout(() => void load(), POLL_MS);
    } finally {
      if (inFlight === ctl) inFlight = null;
    }
  };

  /** Move the slider to `rev` at once and fetch its text after `delay` ms without a newer move. */
  const go = (rev: number, delay: number): void => {
    if (hist.head < 0) return;
    target = Math.max(0, Math.min(hist.head, Math.round(rev)));
    if (slider.value !== String(target)) slider.value = String(target);
    showInfo(false);
    if (loadTimer !== null) clearTimeout(loadTimer);
    loadTimer = setTimeout(() => void load(), delay);
  };

  // --- saved revisions -------------------------------------------------------------------------
  const renderSaved = (): void => {
    const head = Math.max(1, hist.head);
    marks.replaceChildren(
      ...hist.saved.map((s) => {
        const b = h("button", { type: "button", class: "ts-mark", title: `${s.label} (revision ${s.rev})`, "aria-label": `Saved: ${s.label}` }, icon("star"));
        b.style.left = `calc(8px + (100% - 16px) * ${Math.min(1, s.rev / head)})`;
        b.addEventListener("click", () => {
          setPlaying(false);
          go(s.rev, 0);
        });
        return b;
      }),
    );
    savedBox.hidden = hist.saved.length === 0;
    savedCount.textContent = String(hist.saved.length);
    savedList.replaceChildren(
      ...hist.saved.map((s) => {
        const when = formatTime(s.timeMs);
        const jump = h("button", { type: "button", class: "chip", "data-rev": s.rev }, icon("star"), s.label);
        jump.addEventListener("click", () => {
          setPlaying(false);
          go(s.rev, 0);
        });
        const by = s.author ? knownAuthors.get(s.author) : undefined;
        return h("li", {}, jump, h("span", { class: "muted" }, `revision ${s.rev}${when.text ? ` · ${when.text}` : ""}${by ? ` · ${displayName(by)}` : ""}`));
      }),
    );
  };

  // --- play ------------------------------------------------------------------------------------
  let playTimer: ReturnType<typeof setTimeout> | null = null;
  const tick = (): void => {
    playTimer = null;
    if (!playing) return;
    // Wait for slow answers rather than skip revisions.
    if (shown?.rev === target) {
      if (target >= hist.head) {
        setPlaying(false);
        return;
      }
      go(target + 1, 0);
    }
    playTimer = setTimeout(tick, PLAY_INTERVAL_MS);
  };
  function setPlaying(on: boolean): void {
    if (on && hist.head <= 0) on = false;
    playing = on;
    const label = on ? "Pause" : "Play";
    play.replaceChildren(icon(on ? "pause" : "play"));
    play.title = `${label} (space)`;
    play.setAttribute("aria-label", label);
    play.setAttribute("aria-pressed", String(on));
    if (playTimer !== null) clearTimeout(playTimer);
    playTimer = null;
    if (on) {
      if (target >= hist.head) go(0, 0);
      playTimer = setTimeout(tick, PLAY_INTERVAL_MS);
    }
  }
  setPlaying(false);

  // --- input -----------------------------------------------------------------------------------
  play.addEventListener("click", () => setPlaying(!playing));
  prev.addEventListener("click", () => {
    setPlaying(false);
    go(target - 1, STEP_DEBOUNCE_MS);
  });
  next.addEventListener("click", () => {
    setPlaying(false);
    go(target + 1, STEP_DEBOUNCE_MS);
  });
  slider.addEventListener("pointerdown", () => {
    dragging = true;
    setPlaying(false);
  });
  const endDrag = (): void => {
    if (!dragging) return;
    dragging = false;
    go(Number(slider.value), 0);
  };
  window.addEventListener("pointerup", endDrag);
  window.addEventListener("pointercancel", endDrag);
  slider.addEventListener("input", () => {
    setPlaying(false);
    go(Number(slider.value), dragging ? DRAG_DEBOUNCE_MS : STEP_DEBOUNCE_MS);
  });
  slider.addEventListener("change", () => go(Number(slider.value), 0));
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    const el = e.target as HTMLElement | null;
    // The slider steps by itself; text fields keep their keys.
    if (el && (el === slider || el.closest("input, textarea, select, [contenteditable]"))) return;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      setPlaying(false);
      go(target + (e.key === "ArrowLeft" ? -1 : 1), STEP_DEBOUNCE_MS);
    } else if (e.key === " " && !el?.closest("button, a, summary")) {
      e.preventDefault();
      setPlaying(!playing);
    }
  });
  window.addEventListener("hashchange", () => {
    const rev = revFromHash();
    if (rev !== null && rev !== target) {
      setPlaying(false);
      go(rev, 0);
    }
  });

  // --- the server ------------------------------------------------------------------------------
  hist.onChange(() => {
    slider.max = String(Math.max(0, hist.head));
    renderSaved();
    if (target >= 0) showInfo(loadTimer === null);
  });
  let started = false;
  let pollTimer: ReturnType<typeof setTimeout> | null = null;
  let polling = false;
  const poll = async (): Promise<void> => {
    pollTimer = null;
    polling = true;
    const before = hist.head;
    try {
      await hist.poll();
      slider.disabled = false;
      if (!started) {
        started = true;
        const want = revFromHash();
        go(want === null ? hist.head : want, 0);
      } else if (hist.head > before && target === before && !dragging && !playing) {
        // At the head: follow the new revisions.
        go(hist.head, 0);
      }
    } catch (err) {
      if (err instanceof NoSuchPad && !started) {
        slider.disabled = true;
        revEl.textContent = "This pad has no revisions yet. The timeslider starts once someone writes in it.";
      }
    }
    polling = false;
    pollTimer = setTimeout(() => void poll(), document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  };
  // Back to a hidden tab: catch up now rather than at the slow pace.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden || polling || pollTimer === null) return;
    clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(), 0);
  });
  slider.disabled = true;
  void poll();
  registerServiceWorker();
}

main();
