// Keeps the user list true across network blips and drops people who went away without a word.
//
// Awareness is last-writer-wins by clock. When a socket closes, the server announces the client's
// removal at the client's current clock; when the client comes back it re-sends its state at that
// same clock, which everyone ignores until the next renewal (15 s later): a participant vanished
// for 10–15 s after a 3 s blip. So on every (re)connection the local clock is bumped before anything
// else is sent. Likewise the provider, when its own socket closes, forgets the others at a bumped
// clock, which would make it ignore the server's greeting listing them: those entries are
// forgotten too, so the greeting is taken as it comes.
//
// Someone whose connection dies without closing (Wi-Fi gone) is only noticed by silence. Stock
// clients renew every 15 s and drop a peer after 30 s; here an editor's state is renewed every few
// seconds and an editor silent for STALE_MS is hidden locally (not announced: when it speaks
// again, its next renewal brings it back). Read-only watchers, who may be a thousand and are only
// counted, keep the stock pace: every renewal is sent to everyone on the pad.

import type { WebsocketProvider } from "y-websocket";

/** How often your own state is renewed while connected. */
const RENEW_MS = 4000;
/** A peer not heard from for this long is taken as gone (three missed renewals). */
const STALE_MS = 13_000;
/** How often peers are checked for silence. */
const SWEEP_MS = 1000;
/** The origin of the awareness 'change' that hides silent peers. */
export const SILENCE_ORIGIN = "local-timeout";

/** An editor's state names them; a watcher's does not. */
function isEditor(state: unknown): boolean {
  return state !== null && typeof state === "object" && "user" in state;
}

function bumpClock(provider: WebsocketProvider): void {
  const state = provider.awareness.getLocalState();
  // Setting the same state again raises the clock and sends it, without a visible change.
  if (state !== null) provider.awareness.setLocalState(state);
}

export function keepPresence(provider: WebsocketProvider): void {
  const awareness = provider.awareness;
  provider.on("status", ({ status }: { status: string }) => {
    if (status !== "connected") return;
    for (const id of [...awareness.meta.keys()]) {
      if (id !== awareness.clientID && !awareness.states.has(id)) awareness.meta.delete(id);
    }
    bumpClock(provider);
  });
  setInterval(() => {
    if (provider.wsconnected && isEditor(awareness.getLocalState())) bumpClock(provider);
  }, RENEW_MS);
  setInterval(() => {
    const now = Date.now();
    const gone: number[] = [];
    awareness.meta.forEach((meta, id) => {
      if (id === awareness.clientID || !isEditor(awareness.states.get(id))) return;
      if (now - meta.lastUpdated >= STALE_MS) gone.push(id);
    });
    if (gone.length === 0) return;
    for (const id of gone) awareness.states.delete(id);
    // A local 'change' only (no 'update'), so the provider does not announce it to the server.
    awareness.emit("change", [{ added: [], updated: [], removed: gone }, SILENCE_ORIGIN]);
  }, SWEEP_MS);
}
