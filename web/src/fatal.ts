// The page that replaces a pad or timeslider page that cannot work (a bad address): a heading, the
// reason, and a way back to the start page.

import { byId, h } from "./dom";

/**
 * Replace the element `areaId` with the explanation and hide the elements `hideIds` (toolbars
 * that have nothing to act on).
 */
export function showFatal(opts: { areaId: string; hideIds: string[]; heading: string; message: string }): void {
  document.body.classList.add("fatal");
  for (const id of opts.hideIds) byId(id).hidden = true;
  byId(opts.areaId).replaceChildren(
    h(
      "div",
      { class: "fatal-box" },
      h("h1", {}, opts.heading),
      h("p", {}, opts.message),
      h("p", {}, h("a", { href: "/" }, "Go to the start page")),
    ),
  );
}
