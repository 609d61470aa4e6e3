// y-websocket sends out every awareness update it sees: its handler ignores where the update came
// from, so each caret move this tab receives from a peer is encoded again and sent back to the server
// (which relays it to every tab on the pad) and to this browser's other tabs. With twenty people on
// a pad, every cursor update came back once per tab, and each tab spent main-thread time encoding
// and sending it and then receiving everyone's echoes. Peers relay nothing; only your own state
// needs sending.

import type { WebsocketProvider } from "y-websocket";

interface AwarenessChanges {
  added: number[];
  updated: number[];
  removed: number[];
}

/** Make `provider` send only this tab's own awareness state. */
export function sendOwnAwarenessOnly(provider: WebsocketProvider): void {
  const { awareness } = provider;
  const send = provider._awarenessUpdateHandler;
  awareness.off("update", send);
  const own = ({ added, updated, removed }: AwarenessChanges, origin: unknown): void => {
    const me = awareness.clientID;
    if (added.includes(me) || updated.includes(me) || removed.includes(me)) send({ added: [], updated: [me], removed: [] }, origin);
  };
  // The provider takes this handler off again when it is destroyed.
  provider._awarenessUpdateHandler = own;
  awareness.on("update", own);
}
