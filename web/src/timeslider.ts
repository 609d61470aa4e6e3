// Entry point of the timeslider (`/p/{pad}/timeslider#{rev}`): the pad's history, as in Etherpad.
// A slider over revisions 0..head; play/pause that follows the pad's clock at a chosen speed
// (pauses in the typing skipped); step buttons and arrow keys; jumps to the next saved revision and
// to the next change by another author; stars for saved revisions; the revision's number, time and
// author; and its text, styled as the editor styles Markdown, with authorship colours. The page
// polls the server for new revisions and, while the slider is at the head, follows them. `#rev`
// in the address is kept in step and honoured on load.
//
// Built for long histories: the revision list is read a page at a time around the revision shown
// (PadHistory), a drag or a playback step fetches only the revision the slider settles on
// (RevisionViewer), and the text is swapped in with a single DOM operation.

import "./css/timeslider.css";
import { byId, h } from "./dom";
import { icon } from "./icons";
import { isReadOnlyId, padIdFromPath, padIdProblem, padPath } from "./padid";
import { titleFromText, UNTITLED } from "./padtitle";
import { colorsToggle } from "./authorcolors";
import { NoSuchPad, PadHistory } from "./revisions";
import { registerServiceWorker } from "./swregister";
import { showFatal } from "./fatal";
import { RevisionViewer, revFromHash } from "./revisionviewer";
import { renderLocks, renderSaved } from "./savedmarks";
import { DEFAULT_SPEED, PlayClock, SPEEDS, type TimeOf } from "./playback";
import { timesliderComments } from "./comments/history";

/** While dragging, a revision is fetched once the slider has rested this long. */
const DRAG_DEBOUNCE_MS = 120;
/** Key presses and button clicks in quick succession fetch only the last revision. */
const STEP_DEBOUNCE_MS = 40;
/** Playback looks at the clock this often. */
const TICK_MS = 100;
/** How often to ask for new revisions while the page is visible, and while it is hidden. */
const POLL_MS = 2000;
const HIDDEN_POLL_MS = 15000;

function fatal(message: string): void {
  showFatal({ areaId: "ts-area", hideIds: ["ts-bar"], heading: "This history cannot be shown", message });
}

function showName(name: string): void {
  document.title = `${name} · Timeslider · ypad`;
  byId("pad-name").textContent = name;
  byId("pad-name").title = name;
}

/** The header: pad name (for a read-only id, the text's title), back link, colours switch. */
function setupHeader(padId: string): void {
  showName(isReadOnlyId(padId) ? UNTITLED : padId);
  const back = byId<HTMLAnchorElement>("back-link");
  back.href = padPath(padId);
  back.prepend(icon("back"));
  back.before(colorsToggle());
}

interface Player {
  playing(): boolean;
  set(on: boolean): void;
}

/** Play/pause and the speed control: the slider follows the pad's clock. */
function setupPlayback(viewer: RevisionViewer, hist: PadHistory): Player {
  const play = byId<HTMLButtonElement>("ts-play");
  const speed = byId<HTMLSelectElement>("ts-speed");
  speed.replaceChildren(...SPEEDS.map((s) => h("option", { value: s, selected: s === DEFAULT_SPEED }, `${s}×`)));
  const clock = new PlayClock();
  speed.addEventListener("change", () => {
    clock.speed = Number(speed.value) || DEFAULT_SPEED;
  });
  const timeOf: TimeOf = (rev) => {
    if (rev === 0) return null;
    const meta = viewer.shown?.rev === rev ? viewer.shown : hist.metaOf(rev, true);
    return meta ? meta.time : undefined;
  };

  let playing = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const tick = (): void => {
    timer = null;
    if (!playing) return;
    const now = performance.now();
    // Wait for the revision on its way; the clock does not run ahead meanwhile.
    if (!viewer.settled || viewer.pending) {
      clock.hold(now);
    } else if (viewer.target >= hist.head) {
      set(false);
      return;
    } else {
      const rev = clock.advance(now, viewer.target, hist.head, timeOf);
      if (rev !== viewer.target) viewer.go(rev, 0);
    }
    timer = setTimeout(tick, TICK_MS);
  };
  function set(on: boolean): void {
    if (on && hist.head <= 0) on = false;
    playing = on;
    const label = on ? "Pause" : "Play";
    play.replaceChildren(icon(on ? "pause" : "play"));
    play.title = `${label} (space)`;
    play.setAttribute("aria-label", label);
    play.setAttribute("aria-pressed", String(on));
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (on) {
      if (viewer.target >= hist.head) viewer.go(0, 0);
      clock.start(performance.now());
      timer = setTimeout(tick, TICK_MS);
    }
  }
  set(false);
  play.addEventListener("click", () => set(!playing));
  return { playing: () => playing, set };
}

/** The jumps: to the next saved revision, and to the next change by someone else. */
function setupJumps(viewer: RevisionViewer, hist: PadHistory, player: Player): () => void {
  const nextSaved = byId<HTMLButtonElement>("ts-next-saved");
  const nextAuthor = byId<HTMLButtonElement>("ts-next-author");
  nextSaved.append(icon("skipSaved"));
  nextAuthor.append(icon("skipAuthor"));
  const refresh = (): void => {
    nextSaved.disabled = !hist.saved.some((s) => s.rev > viewer.target);
    nextAuthor.disabled = viewer.target >= hist.head;
  };
  nextSaved.addEventListener("click", () => {
    const s = hist.saved.find((x) => x.rev > viewer.target);
    if (!s) return;
    player.set(false);
    viewer.go(s.rev, 0);
    refresh();
  });
  nextAuthor.addEventListener("click", async () => {
    player.set(false);
    const from = viewer.target;
    const author = viewer.shown?.rev === from ? viewer.shown.author : (hist.metaOf(from, true)?.author ?? null);
    nextAuthor.disabled = true;
    const rev = await hist.findAfter(from, (m) => m.author !== null && m.author !== author);
    // The slider moved meanwhile: that answer is for a question no longer asked.
    if (viewer.target === from) viewer.go(rev ?? hist.head, 0);
    refresh();
  });
  return refresh;
}

/** Slider, step buttons and keys, and `#rev` changed by hand; returns whether a drag is on. */
function bindInput(viewer: RevisionViewer, player: Player): () => boolean {
  const slider = byId<HTMLInputElement>("ts-slider");
  byId("ts-prev").addEventListener("click", () => {
    player.set(false);
    viewer.go(viewer.target - 1, STEP_DEBOUNCE_MS);
  });
  byId("ts-next").addEventListener("click", () => {
    player.set(false);
    viewer.go(viewer.target + 1, STEP_DEBOUNCE_MS);
  });
  let dragging = false;
  slider.addEventListener("pointerdown", () => {
    dragging = true;
    player.set(false);
  });
  const endDrag = (): void => {
    if (!dragging) return;
    dragging = false;
    viewer.go(Number(slider.value), 0);
  };
  window.addEventListener("pointerup", endDrag);
  window.addEventListener("pointercancel", endDrag);
  slider.addEventListener("input", () => {
    player.set(false);
    viewer.go(Number(slider.value), dragging ? DRAG_DEBOUNCE_MS : STEP_DEBOUNCE_MS);
  });
  slider.addEventListener("change", () => viewer.go(Number(slider.value), 0));
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    const el = e.target instanceof HTMLElement ? e.target : null;
    // The slider steps by itself; text fields keep their keys.
    if (el && (el === slider || el.closest("input, textarea, select, [contenteditable]"))) return;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      player.set(false);
      viewer.go(viewer.target + (e.key === "ArrowLeft" ? -1 : 1), STEP_DEBOUNCE_MS);
    } else if (e.key === " " && !el?.closest("button, a, summary")) {
      e.preventDefault();
      player.set(!player.playing());
    }
  });
  window.addEventListener("hashchange", () => {
    const rev = revFromHash();
    if (rev !== null && rev !== viewer.target) {
      player.set(false);
      viewer.go(rev, 0);
    }
  });
  return () => dragging;
}

/** Poll the server for new revisions; at the head, follow them. */
function followServer(viewer: RevisionViewer, hist: PadHistory, player: Player, isDragging: () => boolean): void {
  const slider = byId<HTMLInputElement>("ts-slider");
  const revEl = byId("ts-rev");
  let started = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let polling = false;
  const poll = async (): Promise<void> => {
    timer = null;
    polling = true;
    const before = hist.head;
    try {
      await hist.poll();
      slider.disabled = false;
      if (!started) {
        started = true;
        const want = revFromHash();
        viewer.go(want === null ? hist.head : want, 0);
      } else if (hist.head > before && viewer.target === before && !isDragging() && !player.playing()) {
        viewer.go(hist.head, 0);
      }
    } catch (err) {
      if (err instanceof NoSuchPad && !started) {
        slider.disabled = true;
        revEl.textContent = "This pad has no revisions yet. The timeslider starts once someone writes in it.";
      }
    }
    polling = false;
    timer = setTimeout(() => void poll(), document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  };
  // Back to a hidden tab: catch up now rather than at the slow pace.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden || polling || timer === null) return;
    clearTimeout(timer);
    timer = setTimeout(() => void poll(), 0);
  });
  slider.disabled = true;
  void poll();
}

function main(): void {
  const padId = padIdFromPath(location.pathname, "/timeslider");
  const problem = padId === null ? "The address is not a timeslider address." : padIdProblem(padId);
  if (padId === null || problem !== null) {
    fatal(problem ?? "The address is not a timeslider address.");
    return;
  }
  setupHeader(padId);
  byId("ts-prev").append(icon("stepBack"));
  byId("ts-next").append(icon("stepForward"));

  const hist = new PadHistory(padId);
  const viewer = new RevisionViewer(
    hist,
    {
      slider: byId<HTMLInputElement>("ts-slider"),
      prev: byId<HTMLButtonElement>("ts-prev"),
      next: byId<HTMLButtonElement>("ts-next"),
      rev: byId("ts-rev"),
      time: byId("ts-time"),
      by: byId("ts-by"),
      authors: byId("ts-authors"),
      text: byId("ts-text"),
      exports: byId("ts-exports"),
    },
    padId,
  );
  const player = setupPlayback(viewer, hist);
  const refreshJumps = setupJumps(viewer, hist, player);
  const savedEls = { marks: byId("ts-marks"), box: byId("ts-saved-box"), list: byId("ts-saved"), count: byId("ts-saved-count") };
  const lockEls = { box: byId("ts-locks-box"), list: byId("ts-locks"), count: byId("ts-locks-count") };
  const showSaved = (): void => {
    renderSaved(savedEls, hist.saved, hist.head, viewer.knownAuthors, (rev) => {
      player.set(false);
      viewer.go(rev, 0);
    });
    renderLocks(lockEls, hist.locks, viewer.knownAuthors);
  };
  // The saved revisions' list names who saved them.
  timesliderComments(padId, byId("ts-text"), (listener) => viewer.onRender(listener));
  viewer.onRender((t, newAuthors) => {
    if (isReadOnlyId(padId)) showName(titleFromText(t.text));
    if (newAuthors && hist.saved.length > 0) showSaved();
    refreshJumps();
  });
  hist.onChange(() => {
    byId<HTMLInputElement>("ts-slider").max = String(Math.max(0, hist.head));
    showSaved();
    refreshJumps();
    if (viewer.target >= 0) viewer.showInfo(!viewer.pending);
  });
  const isDragging = bindInput(viewer, player);
  followServer(viewer, hist, player, isDragging);
  registerServiceWorker();
}

main();
