// Offline persistence: the pad's Yjs document is mirrored into IndexedDB (y-indexeddb), keyed by pad
// id, so edits made without a connection survive a reload and are merged into the server's copy by
// the normal sync handshake when the connection returns. It also counts the local edits made while
// not in sync with the server ("N edits waiting"); the count is kept in localStorage so that it
// survives a reload as well.

import type * as Y from "yjs";
import { IndexeddbPersistence } from "y-indexeddb";
import { loadLocal, storeLocal } from "./dom";
import { batchServerWrites } from "./idbbatch";

/** How long to wait for IndexedDB before connecting anyway (it can hang in some private modes). */
const LOAD_TIMEOUT_MS = 1500;

export interface OfflineStore {
  /** Resolves when the stored copy has been loaded into the document, or loading gave up. */
  loaded: Promise<void>;
  /** Local edits made while the document was not in sync with the server. */
  pending(): number;
  /**
   * Tell the store whether the document is in sync with the server. Becoming synced clears the
   * pending count: the sync handshake has just sent everything the server lacked.
   */
  setSynced(synced: boolean): void;
  /** Updates with this origin come from the server, not from the user. */
  addRemoteOrigin(origin: unknown): void;
  /** Register for changes of `pending()`. */
  onPendingChange(listener: (n: number) => void): void;
}

export function openOfflineStore(doc: Y.Doc, padId: string): OfflineStore {
  const pendingKey = `ypad:pending:${padId}`;
  let pending = Number.parseInt(loadLocal(pendingKey) ?? "0", 10) || 0;
  let synced = false;
  const remoteOrigins = new Set<unknown>();
  const listeners: Array<(n: number) => void> = [];
  const setPending = (n: number): void => {
    if (n === pending) return;
    pending = n;
    storeLocal(pendingKey, String(n));
    for (const l of listeners) l(n);
  };

  let persistence: IndexeddbPersistence | null = null;
  let loaded: Promise<void>;
  try {
    persistence = new IndexeddbPersistence(`ypad:${padId}`, doc);
    loaded = Promise.race([
      persistence.whenSynced.then(() => undefined),
      new Promise<void>((resolve) => setTimeout(resolve, LOAD_TIMEOUT_MS)),
    ]);
  } catch {
    // No IndexedDB (storage disabled): the pad still works online, it only forgets offline edits.
    loaded = Promise.resolve();
  }
  // Updates loaded from IndexedDB were counted when they were made.
  if (persistence) remoteOrigins.add(persistence);
  if (persistence) batchServerWrites(doc, persistence, (origin) => remoteOrigins.has(origin));

  doc.on("update", (_update: Uint8Array, origin: unknown) => {
    if (synced || remoteOrigins.has(origin)) return;
    setPending(pending + 1);
  });

  return {
    loaded,
    pending: () => pending,
    setSynced: (s) => {
      synced = s;
      if (s) setPending(0);
    },
    addRemoteOrigin: (o) => remoteOrigins.add(o),
    onPendingChange: (l) => listeners.push(l),
  };
}
