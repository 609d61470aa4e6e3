// The pad page's ways of reading along: the outline beside the editor (outline.ts), the rendered
// reading view (readingmode.ts), following someone's caret from the user list or `?follow=name`
// (follow.ts), and the link to the presenter view (`/p/{pad}/present`, present.ts) in the share
// menu. One call from pad.ts wires them to the editor and to each other.

import type * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import { StateEffect } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { byId, h } from "./dom";
import { Follower, followFromUserList } from "./follow";
import { icon } from "./icons";
import { setupOutline } from "./outline";
import { padPath } from "./padid";
import { setupReadingMode } from "./readingmode";
import "./css/padviews.css";

export function setupPadViews(opts: { view: EditorView; ytext: Y.Text; awareness: Awareness; padId: string; readOnly: boolean }): void {
  const { view, ytext } = opts;
  const anchor = byId("timeslider-link");
  const reading = setupReadingMode(ytext, { readOnly: opts.readOnly, toggleAfter: anchor });
  setupOutline(view, { toggleAfter: anchor, others: [reading.headings] });

  const editorShown = (): boolean => view.dom.getClientRects().length > 0;
  /** The editor grows with its text; the pad area around it scrolls. */
  const scroller = view.dom.closest<HTMLElement>(".pad-area") ?? view.scrollDOM;
  const follower = new Follower({
    awareness: opts.awareness,
    ytext,
    reveal: (pos) => {
      if (editorShown()) {
        const at = Math.min(pos, view.state.doc.length);
        view.dispatch({ effects: EditorView.scrollIntoView(at, { y: "nearest", yMargin: scroller.clientHeight / 4 }) });
      }
      if (reading.shown()) reading.view.reveal(pos);
    },
    views: [scroller, reading.view.scroller],
    indicatorParent: byId("workspace"),
  });
  // Side by side, the reading view keeps your own caret's place in sight as you write or move,
  // unless you follow someone. It draws a frame after the text changed: the caret followed (or
  // yours) is shown again once it has.
  let own: number | null = null;
  let ownFrame = 0;
  const showOwn = (): void => {
    if (ownFrame !== 0) return;
    ownFrame = requestAnimationFrame(() => {
      ownFrame = 0;
      if (own !== null && reading.sideBySide() && follower.following() === null) reading.view.reveal(own);
    });
  };
  view.dispatch({
    effects: StateEffect.appendConfig.of(
      EditorView.updateListener.of((u) => {
        if (own !== null && u.docChanged) own = u.changes.mapPos(own);
        if (!u.transactions.some((tr) => tr.isUserEvent("input") || tr.isUserEvent("delete") || tr.isUserEvent("select"))) return;
        own = u.state.selection.main.head;
        showOwn();
      }),
    ),
  });
  reading.view.onRender(() => {
    follower.refresh();
    showOwn();
  });
  followFromUserList(byId("user-list"), follower);
  const name = new URLSearchParams(location.search).get("follow");
  if (name) follower.followName(name);

  const present = h(
    "a",
    { href: `${padPath(opts.padId)}/present`, target: "_blank", rel: "noopener", "data-link": "present" },
    icon("present"),
    "Presenter view",
  );
  byId("share-menu").append(
    h("div", { class: "share-row present-row" }, h("label", {}, "Project"), h("ul", { class: "export-list" }, h("li", {}, present))),
  );
}
