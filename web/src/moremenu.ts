// The toolbar's "More" menu: on a wide screen its buttons sit in the bar like the others (the group
// is `display: contents`); on a phone they fold into a drop-down opened by a "⋯" button, which a
// choice, a tap elsewhere or Escape closes.

import { h } from "./dom";
import { icon } from "./icons";

export function moreMenu(...items: Node[]): { group: HTMLElement; toggle: HTMLButtonElement } {
  const group = h("div", { class: "more-group", id: "format-more", role: "group", "aria-label": "More formatting" });
  group.append(...items);
  const toggle = h(
    "button",
    {
      type: "button",
      class: "tool more-toggle",
      id: "format-more-toggle",
      title: "More formatting",
      "aria-label": "More formatting",
      "aria-expanded": "false",
      "aria-controls": "format-more",
    },
    icon("more"),
  );
  const setOpen = (open: boolean): void => {
    group.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  // Keep the editor's selection and focus, as the other toolbar buttons do.
  toggle.addEventListener("mousedown", (e) => e.preventDefault());
  toggle.addEventListener("click", () => setOpen(!group.classList.contains("open")));
  group.addEventListener("click", (e) => {
    if (e.target instanceof Element && e.target.closest("button")) setOpen(false);
  });
  document.addEventListener("pointerdown", (e) => {
    if (e.target instanceof Node && !group.contains(e.target) && !toggle.contains(e.target)) setOpen(false);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && group.classList.contains("open")) setOpen(false);
  });
  return { group, toggle };
}
