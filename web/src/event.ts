// Entry point of an event's page (`/e/{event}`): its sessions by day and time, in the event's
// zone and (where it differs) the reader's, each with its room, its pad, how many are in it now,
// its last edit and its length; a filter box; what runs now and next while the event runs; and
// search across the pads' text (`?q=`).
//
// Live counts come from polling the event's JSON every few seconds while the tab is visible: one
// small GET that any node of a cluster answers from the store, which a cache or proxy passes
// untouched, and which costs nothing while the tab is hidden; a stream would hold a connection
// per reader for counts that change a few times a minute.

import "./css/event.css";
import { byId, h, relativeTime } from "./dom";
import { field, num, str } from "./json";
import { padPath } from "./padid";

const POLL_MS = 5000;

interface Session {
  pad: string;
  title: string;
  startsMs: number;
  endsMs: number;
  room: string;
  moderators: string[];
  present: number;
  lastEditedMs: number | null;
  chars: number;
}

interface EventInfo {
  id: string;
  title: string;
  timeZone: string;
  sessions: Session[];
  nowMs: number;
}

function parseSession(v: unknown): Session | null {
  const pad = str(field(v, "pad"));
  const startsMs = num(field(v, "startsMs"));
  const endsMs = num(field(v, "endsMs"));
  if (pad === null || startsMs === null || endsMs === null) return null;
  const mods = field(v, "moderators");
  return {
    pad,
    title: str(field(v, "title")) || pad,
    startsMs,
    endsMs,
    room: str(field(v, "room")) ?? "",
    moderators: Array.isArray(mods) ? mods.filter((m): m is string => typeof m === "string") : [],
    present: num(field(v, "present")) ?? 0,
    lastEditedMs: num(field(v, "lastEditedMs")),
    chars: num(field(v, "chars")) ?? 0,
  };
}

function parseEvent(v: unknown): EventInfo | null {
  const id = str(field(v, "id"));
  const list = field(v, "sessions");
  if (id === null || !Array.isArray(list)) return null;
  const sessions = list.map(parseSession).filter((s): s is Session => s !== null);
  sessions.sort((a, b) => a.startsMs - b.startsMs || a.room.localeCompare(b.room) || a.title.localeCompare(b.title));
  return {
    id,
    title: str(field(v, "title")) || id,
    timeZone: validZone(str(field(v, "timeZone"))),
    sessions,
    nowMs: num(field(v, "nowMs")) ?? Date.now(),
  };
}

function validZone(zone: string | null): string {
  try {
    if (zone) new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone || "UTC";
  } catch {
    return "UTC";
  }
}

const eventId = decodeURIComponent(location.pathname.replace(/^\/e\//, "").replace(/\/$/, ""));
const readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const api = `/api/v1/events/${encodeURIComponent(eventId)}`;

/** Formatters for a zone, made once. */
function formats(zone: string) {
  return {
    day: new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: "long", day: "numeric", month: "long" }),
    time: new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: "2-digit", minute: "2-digit" }),
    dayKey: new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }),
  };
}

function length(chars: number): string {
  if (chars < 1000) return `${chars} chars`;
  return `${(chars / 1000).toFixed(chars < 10000 ? 1 : 0)}k chars`;
}

/** The elements of a session's row that change while the page is open. */
interface LiveCells {
  row: HTMLElement;
  present: HTMLElement;
  edited: HTMLElement;
  size: HTMLElement;
  haystack: string;
}

const cells = new Map<string, LiveCells>();
let shapeKey = "";

function sessionRow(s: Session, ev: EventInfo): HTMLElement {
  const fmt = formats(ev.timeZone);
  const span = `${fmt.time.format(s.startsMs)}–${fmt.time.format(s.endsMs)}`;
  const time = h("span", { class: "session-time" }, span);
  if (readerZone !== ev.timeZone) {
    const mine = formats(readerZone);
    time.append(
      h(
        "span",
        { class: "local muted", title: `Your time (${readerZone})` },
        `${mine.time.format(s.startsMs)}–${mine.time.format(s.endsMs)} yours`,
      ),
    );
  }
  const present = h("span", { class: "present", "data-pad": s.pad });
  const edited = h("span", { class: "edited" });
  const size = h("span", { class: "size" });
  const row = h(
    "li",
    { class: "session", "data-pad": s.pad },
    time,
    h("span", { class: "session-room muted" }, s.room),
    h(
      "span",
      { class: "session-title" },
      h("a", { href: padPath(s.pad) }, s.title),
      s.moderators.length > 0 ? h("span", { class: "moderators muted" }, s.moderators.join(", ")) : null,
    ),
    h("span", { class: "session-stats muted" }, present, " · ", edited, " · ", size),
  );
  const haystack = `${s.title} ${s.room} ${s.moderators.join(" ")}`.toLowerCase();
  cells.set(s.pad, { row, present, edited, size, haystack });
  return row;
}

function updateLive(ev: EventInfo): void {
  for (const s of ev.sessions) {
    const c = cells.get(s.pad);
    if (!c) continue;
    c.present.textContent = s.present === 1 ? "1 here" : `${s.present} here`;
    c.present.classList.toggle("none", s.present === 0);
    c.edited.textContent = s.lastEditedMs === null ? "not edited" : `edited ${relativeTime(s.lastEditedMs, ev.nowMs)}`;
    c.size.textContent = length(s.chars);
    c.row.classList.toggle("now", s.startsMs <= ev.nowMs && ev.nowMs < s.endsMs);
  }
}

function renderSchedule(ev: EventInfo): void {
  cells.clear();
  const fmt = formats(ev.timeZone);
  const days = new Map<string, Session[]>();
  for (const s of ev.sessions) {
    const key = fmt.dayKey.format(s.startsMs);
    const list = days.get(key) ?? [];
    list.push(s);
    days.set(key, list);
  }
  const sections = [...days.values()].map((sessions) =>
    h(
      "section",
      { class: "day" },
      h("h2", {}, fmt.day.format(sessions[0].startsMs)),
      h("ol", { class: "sessions" }, ...sessions.map((s) => sessionRow(s, ev))),
    ),
  );
  byId("schedule").replaceChildren(...sections);
  applyFilter();
}

/** Sessions running now and the next ones to start, while the event runs. */
function renderHappening(ev: EventInfo): void {
  const box = byId("happening");
  const first = ev.sessions[0];
  const last = ev.sessions.reduce((m, s) => Math.max(m, s.endsMs), 0);
  if (!first || ev.nowMs < first.startsMs - 12 * 3600_000 || ev.nowMs >= last) {
    box.hidden = true;
    return;
  }
  const now = ev.sessions.filter((s) => s.startsMs <= ev.nowMs && ev.nowMs < s.endsMs);
  const upcoming = ev.sessions.filter((s) => s.startsMs > ev.nowMs);
  const nextStart = upcoming[0]?.startsMs;
  const next = upcoming.filter((s) => s.startsMs === nextStart);
  const fmt = formats(ev.timeZone);
  const list = (sessions: Session[]) =>
    h(
      "ul",
      { class: "hits" },
      ...sessions.map((s) =>
        h(
          "li",
          { class: "hit" },
          h("a", { href: padPath(s.pad) }, s.title),
          h("span", { class: "muted" }, ` · ${s.room ? `${s.room} · ` : ""}${fmt.time.format(s.startsMs)}–${fmt.time.format(s.endsMs)}`),
          h("span", { class: "muted" }, s.present > 0 ? ` · ${s.present} here` : ""),
        ),
      ),
    );
  box.replaceChildren(
    ...(now.length > 0 ? [h("h2", {}, "Now"), h("div", { class: "sessions" }, list(now))] : []),
    ...(next.length > 0 ? [h("h2", {}, "Next"), h("div", { class: "sessions" }, list(next))] : []),
  );
  box.hidden = now.length === 0 && next.length === 0;
}

function applyFilter(): void {
  const words = byId<HTMLInputElement>("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const c of cells.values()) {
    const match = words.every((w) => c.haystack.includes(w));
    c.row.hidden = !match;
    if (match) shown++;
  }
  for (const day of document.querySelectorAll<HTMLElement>("#schedule .day")) {
    day.hidden = day.querySelector(".session:not([hidden])") === null;
  }
  byId("no-match").hidden = shown > 0 || cells.size === 0;
}

function showError(message: string): void {
  const box = byId("event-error");
  box.textContent = message;
  box.hidden = false;
}

async function refresh(): Promise<void> {
  let response: Response;
  try {
    response = await fetch(api, { cache: "no-store" });
  } catch {
    return; // offline for a moment: the next poll tries again
  }
  if (response.status === 404) {
    byId("event-title").textContent = "No such event";
    showError(`There is no event “${eventId}”.`);
    return;
  }
  if (!response.ok) return;
  const ev = parseEvent(await response.json().catch(() => null));
  if (!ev) return;
  byId("event-error").hidden = true;
  const key = JSON.stringify([ev.title, ev.timeZone, ev.sessions.map((s) => [s.pad, s.title, s.startsMs, s.endsMs, s.room, s.moderators])]);
  if (key !== shapeKey) {
    shapeKey = key;
    renderHead(ev);
    renderSchedule(ev);
  }
  updateLive(ev);
  renderHappening(ev);
}

function renderHead(ev: EventInfo): void {
  document.title = `${ev.title} · ypad`;
  byId("event-title").textContent = ev.title;
  const fmt = formats(ev.timeZone);
  const first = ev.sessions[0];
  const last = ev.sessions[ev.sessions.length - 1];
  const dates = first && last ? [fmt.day.format(first.startsMs), fmt.day.format(last.startsMs)] : [];
  const span = dates.length === 0 ? "" : dates[0] === dates[1] ? dates[0] : `${dates[0]} – ${dates[1]}`;
  const zone = readerZone === ev.timeZone ? `times in ${ev.timeZone}` : `times in ${ev.timeZone}, and yours (${readerZone}) below`;
  const count = `${ev.sessions.length} session${ev.sessions.length === 1 ? "" : "s"}`;
  byId("event-meta").replaceChildren(
    [span, count, zone].filter(Boolean).join(" · "),
    " · ",
    h("a", { href: `/e/${encodeURIComponent(ev.id)}.ics` }, "calendar"),
  );
}

async function search(q: string): Promise<void> {
  const box = byId("search-results");
  const url = new URL(location.href);
  if (q.trim() === "") {
    box.hidden = true;
    url.searchParams.delete("q");
    history.replaceState(null, "", url);
    return;
  }
  url.searchParams.set("q", q);
  history.replaceState(null, "", url);
  const response = await fetch(`${api}/search?q=${encodeURIComponent(q)}`).catch(() => null);
  const body: unknown = response?.ok ? await response.json().catch(() => null) : null;
  const results = field(body, "results");
  const hits = Array.isArray(results) ? results : [];
  const items = hits.map((hit) => {
    const pad = str(field(hit, "pad")) ?? "";
    const runs = field(hit, "snippet");
    const snippet = h("p", { class: "muted" });
    for (const run of Array.isArray(runs) ? runs : []) {
      const text = str(field(run, "text")) ?? "";
      snippet.append(field(run, "mark") === true ? h("mark", {}, text) : text);
    }
    return h("li", { class: "hit" }, h("a", { href: padPath(pad) }, str(field(hit, "title")) ?? pad), snippet);
  });
  const heading =
    hits.length === 0 ? `No pad mentions “${q}”` : hits.length === 1 ? `1 pad mentions “${q}”` : `${hits.length} pads mention “${q}”`;
  box.replaceChildren(h("h2", {}, heading), ...(items.length > 0 ? [h("ol", { class: "sessions hits" }, ...items)] : []));
  box.hidden = false;
}

function setup(): void {
  byId("filter").addEventListener("input", applyFilter);
  const input = byId<HTMLInputElement>("search");
  byId("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void search(input.value);
  });
  const q = new URLSearchParams(location.search).get("q");
  if (q) {
    input.value = q;
    void search(q);
  }
  void refresh();
  setInterval(() => {
    if (document.visibilityState === "visible") void refresh();
  }, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });
}

setup();
