// Entry point of the presenter view (`/p/{pad}/present`, also through a read-only id): the pad for
// a room's projector, rendered large and read-only (no editor), scrolling with the caret of the
// pad's moderator (its creator, when one of their browsers is here and has typed), else of whoever
// typed last, or of `?follow=name`; beside it the pad's short link and a QR code to join. The page
// is a watcher: it counts among "N watching" and never writes.

import "./css/present.css";
import * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import { byId, h } from "./dom";
import { isReadOnlyId, padIdFromPath, padIdProblem, padPath } from "./padid";
import { openConnection, showConnectionStatus } from "./connection";
import { keepPresence } from "./presencekeeper";
import { followTitle } from "./padtitle";
import { RenderedView } from "./renderview";
import { Follower, userName } from "./follow";
import { AuthorshipSource } from "./authorship";
import { qrCode } from "./qrcode";
import { showFatal } from "./fatal";
import { isRecord } from "./ysync";

function main(): void {
  const padId = padIdFromPath(location.pathname, "/present");
  const problem = padId === null ? "The address is not a pad's presenter view." : padIdProblem(padId);
  if (padId === null || problem !== null) {
    showFatal({ areaId: "present-main", hideIds: [], heading: "This pad cannot be shown", message: problem ?? "" });
    return;
  }

  const doc = new Y.Doc();
  const ytext = doc.getText("text");
  const title = byId("present-title");
  followTitle(ytext, (t) => {
    title.textContent = t;
    document.title = `${t} · ypad`;
  });

  // Whoever scans the code opens the pad as this page was opened: to edit, or read-only.
  const joinUrl = location.origin + padPath(padId);
  // Broken after a slash if it must wrap, never inside a word.
  const parts = `${location.host}${padPath(padId)}`.split("/");
  byId("present-link").replaceChildren(...parts.flatMap((part, i) => (i === 0 ? [part] : ["/", h("wbr"), part])));
  byId("present-qr").append(qrCode(joinUrl, `QR code of ${joinUrl}`));
  if (isReadOnlyId(padId)) byId("join-heading").textContent = "Read along";

  const conn = openConnection(doc, padId, null);
  showConnectionStatus(byId("status"), conn, null);
  keepPresence(conn.provider);
  conn.awareness.setLocalState({ watcher: true });

  const text = byId("present-text");
  const view = new RenderedView(text, ytext);
  view.setActive(true);

  const follower = new Follower({
    awareness: conn.awareness,
    ytext,
    reveal: (pos) => view.reveal(pos),
    views: [],
    indicatorParent: byId("present-follow"),
    stoppable: false,
  });
  // The text arrives before it is drawn: the caret is shown again once it is.
  view.onRender(() => follower.refresh());
  const name = new URLSearchParams(location.search).get("follow");
  if (name) follower.followName(name);
  else
    follower.followChosen(
      moderatorOrTypist(doc, conn.awareness, new AuthorshipSource(padId, () => ({ authorId: null, name: "", color: "" })), follower),
    );

  conn.start();
}

/**
 * Whom the presenter follows: of the people here with a caret, a browser of the pad's creator
 * (the one that typed last), else whoever typed last, else the only person here.
 */
function moderatorOrTypist(doc: Y.Doc, awareness: Awareness, authors: AuthorshipSource, follower: Follower): () => number | null {
  const typedAt = new Map<number, number>();
  doc.on("afterTransaction", (tr: Y.Transaction) => {
    const now = Date.now();
    const typists: number[] = [];
    tr.afterState.forEach((clock, client) => {
      if (clock > (tr.beforeState.get(client) ?? 0)) {
        typedAt.set(client, now);
        typists.push(client);
      }
    });
    // Who is this typist? The server knows once their edit reached it.
    const unknown = typists.filter((c) => authors.authorIdOf(c) === undefined);
    if (unknown.length > 0) authors.need(unknown);
  });
  authors.onChange(() => follower.rechoose());
  authors.refresh();

  return () => {
    const here: number[] = [];
    awareness.getStates().forEach((state, client) => {
      if (client !== awareness.clientID && userName(state) !== null && isRecord(state) && isRecord(state.cursor)) here.push(client);
    });
    const latest = (clients: number[]): number | null => {
      let best: number | null = null;
      for (const c of clients) if ((typedAt.get(c) ?? 0) > 0 && (best === null || typedAt.get(c)! > typedAt.get(best)!)) best = c;
      return best;
    };
    const creator = authors.creatorId();
    const moderators = creator === null ? [] : here.filter((c) => authors.authorIdOf(c) === creator);
    return latest(moderators) ?? moderators[0] ?? latest(here) ?? (here.length === 1 ? here[0]! : null);
  };
}

main();
