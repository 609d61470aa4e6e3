// Distinct authorship colours within a pad. Everyone picks (or is dealt) a colour for all pads, so
// on one pad several authors may share one: 11 people got 6 colours. Shown colours are therefore
// assigned per pad: in the order of the authors' ids, an author keeps their own colour unless an
// author before them already shows one too close to it; then they get the palette colour farthest
// from all colours shown. The assignment is a function of the pad's author table alone, so the
// editor, the timeslider and every participant show the same colours.

import { safeColor } from "./dom";

/**
 * Twenty-four colours apart in hue and lightness, all usable as a translucent wash behind text in
 * the light and the dark scheme and, being mid-tones, behind the white name on a caret.
 */
export const DISTINCT_PALETTE = [
  "#e6194b",
  "#3cb44b",
  "#4363d8",
  "#f58231",
  "#911eb4",
  "#1098ad",
  "#f032e6",
  "#9a6324",
  "#469990",
  "#808000",
  "#f08c00",
  "#66a80f",
  "#e64980",
  "#9775fa",
  "#12b886",
  "#d9480f",
  "#5c7cfa",
  "#b5179e",
  "#868e96",
  "#1c7ed6",
  "#e8590c",
  "#2f9e44",
  "#c2255c",
  "#7048e8",
];

/** Two colours closer than this (CIE76 ΔE) count as the same to the eye at a glance. */
const MIN_DISTANCE = 18;

type Lab = [number, number, number];

function toLab(hex: string): Lab {
  const n = Number.parseInt(safeColor(hex).slice(1), 16);
  const lin = (c: number): number => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const r = lin((n >> 16) & 255);
  const g = lin((n >> 8) & 255);
  const b = lin(n & 255);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

function distance(a: Lab, b: Lab): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export class DistinctColors {
  private listeners: Array<(shown: Map<string, string>) => void> = [];

  /** The colour to show for each author of `chosen` (author id → their own colour). */
  assign(chosen: Map<string, string>): Map<string, string> {
    const shown = new Map<string, string>();
    const taken: Lab[] = [];
    for (const id of [...chosen.keys()].sort()) {
      const color = pick(chosen.get(id)!.toLowerCase(), taken);
      shown.set(id, color);
      taken.push(toLab(color));
    }
    for (const l of this.listeners) l(shown);
    return shown;
  }

  /** Called with every new assignment (to show your own colour as others see it). */
  onAssign(listener: (shown: Map<string, string>) => void): void {
    this.listeners.push(listener);
  }
}

function pick(own: string, taken: Lab[]): string {
  const nearest = (c: string): number => {
    const lab = toLab(c);
    return Math.min(Infinity, ...taken.map((t) => distance(t, lab)));
  };
  if (nearest(own) >= MIN_DISTANCE) return own;
  let best = own;
  let bestDistance = -1;
  for (const c of DISTINCT_PALETTE) {
    const d = nearest(c);
    if (d > bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** One pad per page: the page's assignment. */
export const padColors = new DistinctColors();
