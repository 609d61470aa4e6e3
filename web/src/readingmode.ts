// The reading view on the pad page: the pad rendered (renderview.ts) beside the editor on a wide
// screen, instead of it on a narrower one, switched by the "Reading view" toolbar button and
// remembered per browser (apart for read-only links). A read-only link opened on a phone starts in
// it; elsewhere the editor comes first. A read-only link's editor keeps hiding the Markdown markers
// (readingview.ts): it still serves where the editor shows, with selection and search as in text.

import type * as Y from "yjs";
import { byId, h, loadLocal, storeLocal } from "./dom";
import { icon } from "./icons";
import type { HeadingView } from "./outline";
import { RenderedView } from "./renderview";

/** Below this width the reading view replaces the editor instead of sitting beside it. */
const SIDE_BY_SIDE = "(min-width: 1100px)";
/** Phone widths, where a read-only link opens in the reading view. */
const PHONE = "(max-width: 640px)";

export interface ReadingMode {
  view: RenderedView;
  /** Whether the rendered view is on screen. */
  shown(): boolean;
  /** Whether the editor is on screen too (side by side) or replaced. */
  sideBySide(): boolean;
  /** For the outline. */
  headings: HeadingView;
}

export function setupReadingMode(ytext: Y.Text, opts: { readOnly: boolean; toggleAfter: HTMLElement }): ReadingMode {
  const pane = h("section", { class: "reading-pane", id: "reading", "aria-label": "Reading view", tabindex: "0", hidden: true });
  byId("editor").closest("main")?.after(pane);
  const view = new RenderedView(pane, ytext);
  const toggle = h(
    "button",
    {
      type: "button",
      class: "tool",
      id: "reading-toggle",
      title: "Reading view: the pad rendered",
      "aria-label": "Reading view",
      "aria-controls": "reading",
    },
    icon("book"),
  );
  opts.toggleAfter.after(toggle);

  const key = opts.readOnly ? "ypad:readingView:readOnly" : "ypad:readingView";
  const remembered = loadLocal(key);
  let on = remembered === null ? opts.readOnly && window.matchMedia(PHONE).matches : remembered === "1";
  const wide = window.matchMedia(SIDE_BY_SIDE);

  const render = (): void => {
    pane.hidden = !on;
    toggle.setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("reading-on", on);
    document.body.classList.toggle("reading-only", on && !wide.matches);
    view.setActive(on);
  };
  toggle.addEventListener("click", () => {
    on = !on;
    storeLocal(key, on ? "1" : "0");
    render();
  });
  wide.addEventListener("change", render);
  render();

  return {
    view,
    shown: () => on,
    sideBySide: () => on && wide.matches,
    headings: {
      shown: () => on,
      show: (slug) => view.showHeading(slug),
      current: () => view.currentHeading(),
      scroller: pane,
    },
  };
}
