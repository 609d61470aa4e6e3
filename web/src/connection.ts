// The pad's connection to the server: a y-websocket WebsocketProvider on `/ws/{pad}`, and the status
// line that tells the user whether edits are reaching other people (connected / reconnecting /
// offline with N edits waiting).

import type * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import type { Awareness } from "y-protocols/awareness";
import type { OfflineStore } from "./offline";
import { sendOwnAwarenessOnly } from "./awarenessecho";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline" | "closed";

/** After this many failed attempts in a row the server counts as unreachable ("offline"). */
const UNREACHABLE_AFTER_FAILURES = 3;

export interface Connection {
  provider: WebsocketProvider;
  awareness: Awareness;
  state(): ConnectionState;
  onStateChange(listener: (s: ConnectionState) => void): void;
  /** Open the socket (call once the offline copy is loaded, so the first sync carries it). */
  start(): void;
}

export function openConnection(doc: Y.Doc, padId: string, store: OfflineStore | null): Connection {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  // The provider appends `/{room}` to the server URL without encoding it, so encode it here.
  const provider = new WebsocketProvider(`${proto}//${location.host}/ws`, encodeURIComponent(padId), doc, {
    connect: false,
  });
  sendOwnAwarenessOnly(provider);
  store?.addRemoteOrigin(provider);

  let everSynced = false;
  let closed = false;
  let current: ConnectionState = "connecting";
  const listeners: Array<(s: ConnectionState) => void> = [];

  const compute = (): ConnectionState => {
    if (closed) return "closed";
    if (!navigator.onLine) return "offline";
    if (provider.wsconnected && provider.synced) return "connected";
    if (provider.wsUnsuccessfulReconnects >= UNREACHABLE_AFTER_FAILURES) return "offline";
    return everSynced ? "reconnecting" : "connecting";
  };
  const refresh = (): void => {
    const next = compute();
    store?.setSynced(next === "connected");
    if (next === current) return;
    current = next;
    for (const l of listeners) l(next);
  };

  provider.on("status", refresh);
  provider.on("connection-close", refresh);
  provider.on("sync", (isSynced: boolean) => {
    if (isSynced) everSynced = true;
    refresh();
  });
  // A close code in 4400–4499 means the server refused the pad for good: stop and say so.
  provider.on("closed", () => {
    closed = true;
    refresh();
  });
  // The browser knows it has no network: close the socket at once (rather than after the 30 s
  // silence timeout) so edits are counted as waiting, and reconnect without backoff when it returns.
  window.addEventListener("offline", () => {
    provider.disconnect();
    refresh();
  });
  window.addEventListener("online", () => {
    if (!closed) provider.connect();
    refresh();
  });

  return {
    provider,
    awareness: provider.awareness,
    state: () => current,
    onStateChange: (l) => listeners.push(l),
    start: () => {
      if (navigator.onLine) provider.connect();
      refresh();
    },
  };
}

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  closed: "Disconnected",
};

/** Keep `el` showing the connection state and, when not connected, how many edits are waiting. */
export function showConnectionStatus(el: HTMLElement, conn: Connection, store: OfflineStore | null): void {
  const render = (): void => {
    const s = conn.state();
    const waiting = s === "connected" ? 0 : (store?.pending() ?? 0);
    let text = LABELS[s];
    if (waiting > 0) text += ` · ${waiting} ${waiting === 1 ? "edit" : "edits"} waiting`;
    el.textContent = text;
    el.dataset.status = s;
    el.dataset.pending = String(waiting);
    el.title =
      s === "connected"
        ? "Your edits reach everyone on this pad as you type."
        : s === "closed"
          ? "The server closed this pad's connection. Reload the page to try again."
          : "Your edits are kept in this browser and will be sent when the connection returns.";
  };
  conn.onStateChange(render);
  store?.onPendingChange(render);
  render();
}
