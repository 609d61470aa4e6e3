// Entry point of the pad page (`/p/{pad}`): reads the pad id from the URL and wires the modules
// together: document, offline copy, connection, editor, toolbar, presence and the server identity,
// authorship colours, chat and share menu, and the service worker that lets the page load offline.
// A pad id starting with `r.` opens the read-only view: the reading view of the text titled by its
// first heading (the address is the writable name, which a watcher must not learn), no toolbar, no
// name, no chat input, no offline copy.

import "./css/pad.css";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { EditorView } from "@codemirror/view";
import { byId, h } from "./dom";
import { icon } from "./icons";
import { showEventLink } from "./eventlink";
import { isReadOnlyId, padIdFromPath, padIdProblem, timesliderPath } from "./padid";
import { rememberPad } from "./recent";
import { openOfflineStore } from "./offline";
import { openConnection, showConnectionStatus } from "./connection";
import { createEditor, setEditable } from "./editor";
import { lockPanel, postChat, watchLock } from "./padlock";
import { formattingKeymap, setupToolbar } from "./toolbar";
import { setupPresence } from "./presence";
import { keepPresence } from "./presencekeeper";
import { setupChat } from "./chat";
import { setupShare } from "./share";
import { setupPanels } from "./panels";
import { syncIdentity } from "./identity";
import { AuthorshipSource, authorshipColors, watchPeerIdentities } from "./authorship";
import { colorsToggle } from "./authorcolors";
import { padColors } from "./distinctcolors";
import { registerServiceWorker } from "./swregister";
import { showFatal } from "./fatal";
import { followTitle } from "./padtitle";
import { readingView } from "./readingview";
import { markdownClicks } from "./markdownclicks";
import { pasteAsMarkdown } from "./paste";
import { editingHabits, lineDirection } from "./editinghabits";
import { askAndSaveRevision } from "./saverevision";
import { setupPadViews } from "./padviews";
import { setupComments } from "./comments/comments";

function fatal(message: string): void {
  showFatal({ areaId: "workspace", hideIds: ["toolbar-right"], heading: "This pad cannot be opened", message });
}

function showName(name: string): void {
  document.title = `${name} · ypad`;
  const el = byId("pad-name");
  el.textContent = name;
  el.title = name;
}

function main(): void {
  const padId = padIdFromPath(location.pathname);
  const problem = padId === null ? "The address is not a pad address." : padIdProblem(padId);
  if (padId === null || problem !== null) {
    fatal(problem ?? "The address is not a pad address.");
    return;
  }
  rememberPad(padId);
  const readOnly = isReadOnlyId(padId);
  if (!readOnly) {
    showName(padId);
    void showEventLink(byId<HTMLAnchorElement>("event-link"), padId);
  }
  document.body.classList.toggle("read-only", readOnly);
  byId("read-only-badge").hidden = !readOnly;

  const doc = new Y.Doc();
  const ytext = doc.getText("text");
  if (readOnly) followTitle(ytext, showName);
  // A read-only view has nothing of its own to keep: it always shows the server's copy.
  const store = readOnly ? null : openOfflineStore(doc, padId);
  const conn = openConnection(doc, padId, store);
  showConnectionStatus(byId("status"), conn, store);
  keepPresence(conn.provider);

  const usersToggle = byId<HTMLButtonElement>("users-toggle");
  const chatToggle = byId<HTMLButtonElement>("chat-toggle");
  const shareToggle = byId<HTMLButtonElement>("share-toggle");
  usersToggle.prepend(icon("users"));
  chatToggle.prepend(icon("chat"));
  shareToggle.prepend(icon("share"));
  const panels = setupPanels({ sidebar: byId("sidebar"), users: byId("users-panel"), chat: byId("chat-panel"), usersToggle, chatToggle });

  const presence = setupPresence(
    conn.awareness,
    {
      self: byId("user-self"),
      list: byId("user-list"),
      counts: [byId("users-count"), byId("users-count-heading")],
      watching: byId("watching"),
    },
    { readOnly },
  );

  const server = syncIdentity(presence);
  const authorship = new AuthorshipSource(padId, () => ({ authorId: server.current()?.authorId ?? null, ...presence.me() }));
  // Your own colour or name changed on the server: redraw your text (and fetch the others' news).
  server.onChange(() => authorship.refresh());
  watchPeerIdentities(conn.awareness, authorship);
  // Carets and user lists show you in the colour your text has on this pad.
  padColors.onAssign((shown) => {
    const id = server.current()?.authorId;
    if (id) presence.showColor(shown.get(id) ?? null);
  });
  // Back in sync: edits made offline now have an author on the server.
  conn.onStateChange((s) => {
    if (s === "connected") authorship.refresh();
  });

  const timeslider = h(
    "a",
    {
      class: "tool",
      id: "timeslider-link",
      href: timesliderPath(padId),
      title: "Timeslider: the pad's history",
      "aria-label": "Timeslider",
    },
    icon("history"),
  );
  byId("status").after(colorsToggle(), timeslider);

  const saveRevision = (): void => askAndSaveRevision(padId);
  const undoManager = new Y.UndoManager(ytext);
  const formatTools = byId("format-tools");
  // A watcher's editor gets an awareness of its own: its caret is nobody's business, and the
  // reading view shows no one's caret.
  const editorAwareness = readOnly ? new Awareness(new Y.Doc()) : conn.awareness;
  const view = createEditor(byId("editor"), ytext, editorAwareness, {
    readOnly,
    undoManager,
    extensions: [
      authorshipColors(ytext, authorship),
      markdownClicks(readOnly),
      lineDirection,
      readOnly
        ? readingView
        : [
            formattingKeymap({ saveRevision }),
            editingHabits({ undoManager, toolbar: formatTools }),
            pasteAsMarkdown(),
            EditorView.contentAttributes.of({ "aria-describedby": "editor-keys" }),
          ],
    ],
  });
  if (readOnly) formatTools.hidden = true;
  else setupToolbar(formatTools, view, undoManager);
  const comments = setupComments(doc, view, { readOnly, me: presence.me, toolbar: byId("toolbar-right"), before: usersToggle });

  // Ctrl-S outside the text too, so the browser's "Save page" never takes it.
  if (!readOnly) {
    document.addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "s" && !e.defaultPrevented) {
        e.preventDefault();
        saveRevision();
      }
    });
  }

  const chat = setupChat(
    doc,
    {
      log: byId("chat-log"),
      form: byId<HTMLFormElement>("chat-form"),
      input: byId<HTMLInputElement>("chat-input"),
      unread: byId("chat-unread"),
    },
    { readOnly, me: presence.me, isOpen: () => panels.isOpen("chat"), live: () => conn.provider.synced },
  );
  panels.onOpen("chat", chat.markRead);

  setupShare(shareToggle, byId("share-menu"), padId, readOnly);
  setupPadViews({ view, ytext, awareness: conn.awareness, padId, readOnly });

  // A moderator's lock: everyone else's text turns read-only while it holds.
  if (!readOnly) {
    const showLock = lockPanel(padId, byId("share-menu"), (s) => {
      const writable = !s.locked || s.moderator;
      setEditable(view, writable);
      comments.setWritable(writable);
      document.body.classList.toggle("locked", !writable);
      formatTools.hidden = !writable;
      // The WebSocket refuses every write while the lock holds: chat goes over HTTP then, unless
      // the moderator locked it too.
      const chatOpen = writable || !s.chat;
      for (const el of byId("chat-form").querySelectorAll("input, button")) {
        if (el instanceof HTMLInputElement || el instanceof HTMLButtonElement) el.disabled = !chatOpen;
      }
      chat.sendThrough(writable ? null : (text) => postChat(padId, text));
    });
    watchLock(padId, conn.provider, showLock);
  }

  // Connect once the offline copy is in the document, so the first sync already carries it.
  if (store) void store.loaded.then(() => conn.start());
  else conn.start();

  if (!readOnly && !window.matchMedia("(pointer: coarse)").matches) view.focus();
  registerServiceWorker();
}

main();
