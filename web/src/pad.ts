// Entry point of the pad page (`/p/{pad}`): reads the pad id from the URL and wires the modules
// together: document, offline copy, connection, editor, toolbar, presence and the server identity,
// authorship colours, chat and share menu, and the service worker that lets the page load offline.
// A pad id starting with `r.` opens the read-only view: no toolbar, no chat input, no offline copy.

import "./css/pad.css";
import * as Y from "yjs";
import { byId, h } from "./dom";
import { icon } from "./icons";
import { isReadOnlyId, padIdFromPath, padIdProblem, timesliderPath } from "./padid";
import { openOfflineStore } from "./offline";
import { openConnection, showConnectionStatus } from "./connection";
import { createEditor } from "./editor";
import { formattingKeymap, setupToolbar } from "./toolbar";
import { setupPresence } from "./presence";
import { setupChat } from "./chat";
import { setupShare } from "./share";
import { setupPanels } from "./panels";
import { syncIdentity } from "./identity";
import { AuthorshipSource, authorshipColors, watchPeerIdentities } from "./authorship";
import { colorsToggle } from "./authorcolors";
import { registerServiceWorker } from "./swregister";

function showFatal(message: string): void {
  document.body.classList.add("fatal");
  byId("workspace").replaceChildren(
    h("div", { class: "fatal-box" }, h("h1", {}, "This pad cannot be opened"), h("p", {}, message), h("p", {}, h("a", { href: "/" }, "Go to the start page"))),
  );
  byId("toolbar-right").hidden = true;
}

function main(): void {
  const padId = padIdFromPath(location.pathname);
  const problem = padId === null ? "The address is not a pad address." : padIdProblem(padId);
  if (padId === null || problem !== null) {
    showFatal(problem ?? "The address is not a pad address.");
    return;
  }
  const readOnly = isReadOnlyId(padId);
  document.title = `${padId} · ypad`;
  byId("pad-name").textContent = padId;
  document.body.classList.toggle("read-only", readOnly);
  byId("read-only-badge").hidden = !readOnly;

  const doc = new Y.Doc();
  const ytext = doc.getText("text");
  // A read-only view has nothing of its own to keep: it always shows the server's copy.
  const store = readOnly ? null : openOfflineStore(doc, padId);
  const conn = openConnection(doc, padId, store);
  showConnectionStatus(byId("status"), conn, store);

  const usersToggle = byId<HTMLButtonElement>("users-toggle");
  const chatToggle = byId<HTMLButtonElement>("chat-toggle");
  const shareToggle = byId<HTMLButtonElement>("share-toggle");
  usersToggle.prepend(icon("users"));
  chatToggle.prepend(icon("chat"));
  shareToggle.prepend(icon("share"));
  const panels = setupPanels({ sidebar: byId("sidebar"), users: byId("users-panel"), chat: byId("chat-panel"), usersToggle, chatToggle });

  const presence = setupPresence(conn.awareness, {
    self: byId("user-self"),
    list: byId("user-list"),
    counts: [byId("users-count"), byId("users-count-heading")],
  });

  const server = syncIdentity(presence);
  const authorship = new AuthorshipSource(padId, () => ({ authorId: server.current()?.authorId ?? null, ...presence.me() }));
  // Your own colour or name changed on the server: redraw your text (and fetch the others' news).
  server.onChange(() => authorship.refresh());
  watchPeerIdentities(conn.awareness, authorship);
  // Back in sync: edits made offline now have an author on the server.
  conn.onStateChange((s) => {
    if (s === "connected") authorship.refresh();
  });

  const timeslider = h(
    "a",
    { class: "tool", id: "timeslider-link", href: timesliderPath(padId), title: "Timeslider: the pad's history", "aria-label": "Timeslider" },
    icon("history"),
  );
  byId("status").after(colorsToggle(), timeslider);

  const undoManager = new Y.UndoManager(ytext);
  const view = createEditor(byId("editor"), ytext, conn.awareness, {
    readOnly,
    undoManager,
    extensions: [authorshipColors(ytext, authorship), readOnly ? [] : formattingKeymap()],
  });
  const formatTools = byId("format-tools");
  if (readOnly) formatTools.hidden = true;
  else setupToolbar(formatTools, view, undoManager);

  const chat = setupChat(
    doc,
    { log: byId("chat-log"), form: byId<HTMLFormElement>("chat-form"), input: byId<HTMLInputElement>("chat-input"), unread: byId("chat-unread") },
    { readOnly, me: presence.me, isOpen: () => panels.isOpen("chat") },
  );
  panels.onOpen("chat", chat.markRead);

  setupShare(shareToggle, byId("share-menu"), padId, readOnly);

  // Connect once the offline copy is in the document, so the first sync already carries it.
  if (store) void store.loaded.then(() => conn.start());
  else conn.start();

  if (!readOnly && !window.matchMedia("(pointer: coarse)").matches) view.focus();
  registerServiceWorker();
}

main();
