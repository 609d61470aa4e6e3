// Toolbar icons: small stroked SVGs built from static path data (no icon font, nothing fetched).

const SVG_NS = "http://www.w3.org/2000/svg";

type Shape =
  | string
  | { d: string; fill: true }
  | { circle: [number, number, number]; fill?: boolean }
  | { rect: [number, number, number, number, number]; fill?: boolean };

const ICONS: Record<string, Shape[]> = {
  bold: ["M7 4h6.5a4 4 0 0 1 0 8H7z", "M7 12h7.5a4 4 0 0 1 0 8H7z"],
  italic: ["M19 4h-9", "M14 20H5", "M15 4 9 20"],
  strike: [
    "M16 5.5C15.2 4.6 13.8 4 12 4c-2.8 0-4.5 1.5-4.5 3.5 0 1.3.7 2.4 2.2 3",
    "M4 12h16",
    "M15.8 14.5c.4.6.7 1.2.7 2 0 2-1.9 3.5-4.5 3.5-2 0-3.6-.7-4.5-1.8",
  ],
  heading: ["M6 4v16", "M18 4v16", "M6 12h12"],
  bullets: [
    "M9 6h11",
    "M9 12h11",
    "M9 18h11",
    { circle: [4.5, 6, 1.3], fill: true },
    { circle: [4.5, 12, 1.3], fill: true },
    { circle: [4.5, 18, 1.3], fill: true },
  ],
  numbers: [
    "M10 6h10",
    "M10 12h10",
    "M10 18h10",
    "M4 4.5 5.3 4v4.5",
    "M3.8 11a1.3 1.3 0 0 1 2.5.4c0 1-2.5 1.6-2.5 2.8h2.6",
    "M3.8 16.3h2.4l-1.3 1.4a1.2 1.2 0 1 1-1 1.9",
  ],
  task: [{ rect: [3.5, 3.5, 17, 17, 3] }, "m8 12 3 3 5-6"],
  link: ["M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7", "M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"],
  undo: ["M9 14 4 9l5-5", "M4 9h10.5a5.5 5.5 0 0 1 0 11H11"],
  redo: ["m15 14 5-5-5-5", "M20 9H9.5a5.5 5.5 0 0 0 0 11H13"],
  lineNumbers: [{ rect: [3, 3.5, 18, 17, 2.5] }, "M8.5 3.5v17", "M5.5 8h.5", "M5.5 12h.5", "M5.5 16h.5", "M12 8h6", "M12 12h6", "M12 16h4"],
  more: [
    { circle: [5, 12, 1.6], fill: true },
    { circle: [12, 12, 1.6], fill: true },
    { circle: [19, 12, 1.6], fill: true },
  ],
  skipSaved: ["m5 5 8 7-8 7z", { d: "M18 4.5l1.2 2.5 2.7.4-2 1.9.5 2.7-2.4-1.3-2.4 1.3.5-2.7-2-1.9 2.7-.4z", fill: true }],
  skipAuthor: ["m4 5 8 7-8 7z", { circle: [18, 8, 2.6] }, "M14 19v-1a4 4 0 0 1 8 0v1"],
  share: [{ circle: [18, 5, 2.6] }, { circle: [6, 12, 2.6] }, { circle: [18, 19, 2.6] }, "m8.3 13.3 7.4 4.4", "m15.7 6.3-7.4 4.4"],
  users: [
    "M16 20v-1.5a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4V20",
    { circle: [9, 7.5, 3.5] },
    "M22 20v-1.5a4 4 0 0 0-3-3.9",
    "M16 4.1a3.5 3.5 0 0 1 0 6.8",
  ],
  chat: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"],
  comments: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z", "M7.5 8h9", "M7.5 12h6"],
  comment: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z", "M12 6.5v7", "M8.5 10h7"],
  close: ["M6 6l12 12", "M18 6 6 18"],
  authors: ["m9 11-6 6v3h9l3-3", "m22 12-4.6 4.6a2 2 0 0 1-2.8 0l-5.2-5.2a2 2 0 0 1 0-2.8L14 4"],
  history: ["M3 12a9 9 0 1 0 9-9 9.75 9.75 0 0 0-6.74 2.74L3 8", "M3 3v5h5", "M12 7v5l4 2"],
  outline: ["M4 6h16", "M8 12h12", "M8 18h12", { circle: [4.5, 12, 1], fill: true }, { circle: [4.5, 18, 1], fill: true }],
  book: [
    "M12 7v13",
    "M3 18.5V5a1 1 0 0 1 1-1h5a3 3 0 0 1 3 3 3 3 0 0 1 3-3h5a1 1 0 0 1 1 1v13.5a.5.5 0 0 1-.5.5H15a3 3 0 0 0-3 1 3 3 0 0 0-3-1H3.5a.5.5 0 0 1-.5-.5z",
  ],
  present: [{ rect: [2.5, 4, 19, 12, 2] }, "M12 16v4", "M8 20h8"],
  star: ["M12 2.8l2.8 5.8 6.3.9-4.6 4.4 1.1 6.3L12 17.2l-5.6 3 1.1-6.3-4.6-4.4 6.3-.9z"],
  play: [{ d: "M7 4.5v15a1 1 0 0 0 1.5.86l12.5-7.5a1 1 0 0 0 0-1.72L8.5 3.64A1 1 0 0 0 7 4.5z", fill: true }],
  pause: [
    { rect: [5.5, 4, 4.5, 16, 1], fill: true },
    { rect: [14, 4, 4.5, 16, 1], fill: true },
  ],
  stepBack: ["M18 19 9 12l9-7z", "M6 5v14"],
  stepForward: ["m6 5 9 7-9 7z", "M18 5v14"],
  back: ["M19 12H5", "m12 19-7-7 7-7"],
  copy: [{ rect: [8, 8, 13, 13, 2] }, "M16 8V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h3"],
};

export type IconName = keyof typeof ICONS;

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const shape of ICONS[name] ?? []) {
    let el: SVGElement;
    if (typeof shape === "string") {
      el = document.createElementNS(SVG_NS, "path");
      el.setAttribute("d", shape);
    } else if ("d" in shape) {
      el = document.createElementNS(SVG_NS, "path");
      el.setAttribute("d", shape.d);
      el.setAttribute("class", "filled");
    } else if ("circle" in shape) {
      el = document.createElementNS(SVG_NS, "circle");
      const [cx, cy, r] = shape.circle;
      el.setAttribute("cx", String(cx));
      el.setAttribute("cy", String(cy));
      el.setAttribute("r", String(r));
      if (shape.fill) el.setAttribute("class", "filled");
    } else {
      el = document.createElementNS(SVG_NS, "rect");
      const [x, y, w, hgt, rx] = shape.rect;
      el.setAttribute("x", String(x));
      el.setAttribute("y", String(y));
      el.setAttribute("width", String(w));
      el.setAttribute("height", String(hgt));
      el.setAttribute("rx", String(rx));
      if (shape.fill) el.setAttribute("class", "filled");
    }
    svg.appendChild(el);
  }
  return svg;
}
