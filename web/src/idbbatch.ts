// y-indexeddb writes every document update into IndexedDB in a transaction of its own. On a busy pad
// that is one write per remote keystroke, about a tenth of a tab's main thread, for updates the
// server keeps anyway. Here updates from the server are gathered and written merged, at most once a
// second (and when the page is hidden); your own edits are still written at once, as they are what
// the offline copy is for, without waiting for the batch (updates apply in any order), so a key
// you type does not pay for merging the others' updates.

import * as Y from "yjs";
import type { IndexeddbPersistence } from "y-indexeddb";

/** How long updates from the server wait to be written. */
const REMOTE_WRITE_DELAY_MS = 1000;

/** Write updates for which `fromServer(origin)` holds in merged batches. */
export function batchServerWrites(doc: Y.Doc, persistence: IndexeddbPersistence, fromServer: (origin: unknown) => boolean): void {
  const write = persistence._storeUpdate;
  doc.off("update", write);
  let queue: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (queue.length === 0) return;
    const merged = queue.length === 1 ? queue[0]! : Y.mergeUpdates(queue);
    queue = [];
    write(merged, null);
  };
  const onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === persistence) return;
    if (fromServer(origin)) {
      queue.push(update);
      timer ??= setTimeout(flush, REMOTE_WRITE_DELAY_MS);
      return;
    }
    write(update, origin);
  };
  // The persistence takes this handler off again when it is destroyed.
  persistence._storeUpdate = onUpdate;
  doc.on("update", onUpdate);
  addEventListener("pagehide", flush);
}
