// Playing a pad's history by its clock rather than one revision per tick: a meeting typed for an
// hour plays in minutes whatever its number of keystrokes. Time runs at a chosen speed; pauses in
// the typing longer than IDLE_CAP_MS play as if they were that short; each step shows the newest
// revision the clock has reached (the ones in between are skipped, not fetched).

/** Speeds offered, as multiples of real time. */
export const SPEEDS = [1, 5, 20, 100, 500];
export const DEFAULT_SPEED = 20;
/** A pause in the typing plays as at most this long (in the pad's time). */
export const IDLE_CAP_MS = 1500;

/** Time of a revision in ms, null when it has none (revision 0), undefined when not known yet. */
export type TimeOf = (rev: number) => number | null | undefined;

export class PlayClock {
  speed = DEFAULT_SPEED;
  /** Pad time (ms, pauses capped) the clock has run ahead of the revision shown. */
  private budget = 0;
  private last: number | null = null;

  /** Start or resume at wall-clock `now`. */
  start(now: number): void {
    this.budget = 0;
    this.last = now;
  }

  /** Time passed without the clock moving on (waiting for a revision's text): not counted. */
  hold(now: number): void {
    this.last = now;
  }

  /** The revision the clock reaches at `now`, starting from `from` (never beyond `head`). */
  advance(now: number, from: number, head: number, timeOf: TimeOf): number {
    this.budget += Math.max(0, now - (this.last ?? now)) * this.speed;
    this.last = now;
    let rev = from;
    while (rev < head) {
      const t0 = timeOf(rev);
      const t1 = timeOf(rev + 1);
      // The next revision's time is still being fetched: wait for it.
      if (t1 === undefined) break;
      const gap = t0 === null || t0 === undefined || t1 === null ? 0 : Math.min(Math.max(0, t1 - t0), IDLE_CAP_MS);
      if (gap > this.budget) break;
      this.budget -= gap;
      rev++;
    }
    if (rev >= head) this.budget = 0;
    return rev;
  }
}
