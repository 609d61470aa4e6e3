// The pads this browser opened, newest first, kept in the browser's own storage. The start page
// lists them from here: no server route hands out pad names, so a pad whose name nobody was
// given stays private.

import { num, str, field } from "./json";

const KEY = "ypad.recentPads";
/** Enough for a day of sessions; older visits fall off the end. */
const KEPT = 30;

export interface Visit {
  id: string;
  /** When this browser last opened it (ms since the epoch). */
  at: number;
}

function readVisit(v: unknown): Visit | null {
  const id = str(field(v, "id"));
  const at = num(field(v, "at"));
  return id === null || at === null ? null : { id, at };
}

/** The pads this browser opened, newest first. */
export function recentPads(): Visit[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    if (!Array.isArray(stored)) return [];
    return stored.map(readVisit).filter((v): v is Visit => v !== null);
  } catch {
    // Storage disabled or a value written by something else: no list rather than no page.
    return [];
  }
}

function save(visits: Visit[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(visits.slice(0, KEPT)));
  } catch {
    // Private browsing or a full quota: the list is a convenience, the pad still opens.
  }
}

/** Records that this browser opened `id` now. */
export function rememberPad(id: string, now: number = Date.now()): void {
  save([{ id, at: now }, ...recentPads().filter((v) => v.id !== id)]);
}

/** Takes `id` off this browser's list. */
export function forgetPad(id: string): void {
  save(recentPads().filter((v) => v.id !== id));
}
