// This browser's author on the server. The server knows the browser by an HttpOnly cookie and keeps
// an author record (`GET/POST /api/v1/me`) whose name and colour appear in authorship colours, the
// timeslider and exports. The name and colour you pick in the user list live in localStorage and
// are sent to the server as you change them; on a browser that has no name yet but a server record
// with one, the server's name (and colour) is taken.

import { safeColor } from "./dom";
import { field, str } from "./json";
import type { Identity, Presence } from "./presence";

/** Wait this long after the last keystroke in the name field before telling the server. */
const PUSH_DEBOUNCE_MS = 500;

export interface ServerAuthor {
  authorId: string;
  name: string | null;
  color: string;
}

function readAuthor(body: unknown): ServerAuthor | null {
  const authorId = str(field(body, "authorId"));
  if (authorId === null) return null;
  const name = str(field(body, "name"));
  return { authorId, name: name !== null && name.trim() !== "" ? name : null, color: safeColor(field(body, "color")) };
}

async function call(method: "GET" | "POST", body?: Partial<Identity>): Promise<ServerAuthor | null> {
  const res = await fetch("/api/v1/me", {
    method,
    headers: body ? { Accept: "application/json", "Content-Type": "application/json" } : { Accept: "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} /api/v1/me: ${res.status}`);
  return readAuthor(await res.json());
}

export interface ServerIdentity {
  /** The server's author record as last seen, or null before it answered (offline). */
  current(): ServerAuthor | null;
  /** Register for changes of the server's record (first answer, accepted rename). */
  onChange(listener: (author: ServerAuthor) => void): void;
}

/** Keep the server's author record in step with the identity in `presence`. */
export function syncIdentity(presence: Presence): ServerIdentity {
  let current: ServerAuthor | null = null;
  const listeners: Array<(a: ServerAuthor) => void> = [];
  const learn = (a: ServerAuthor | null): void => {
    if (!a) return;
    current = a;
    for (const l of listeners) l(a);
  };

  let timer: ReturnType<typeof setTimeout> | null = null;
  const push = (): void => {
    timer = null;
    const me = presence.me();
    if (current && current.name === me.name && current.color === me.color.toLowerCase()) return;
    call("POST", { name: me.name, color: me.color.toLowerCase() }).then(learn, () => {
      /* offline: sent again on the next change or visit */
    });
  };
  const pushSoon = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(push, PUSH_DEBOUNCE_MS);
  };

  let adopting = false;
  presence.onChange(() => {
    if (!adopting) pushSoon();
  });

  call("GET").then(
    (server) => {
      learn(server);
      if (server && presence.fresh && server.name !== null) {
        // A browser that has no name of its own yet: use the one the server remembers.
        adopting = true;
        presence.set({ name: server.name, color: server.color });
        adopting = false;
      } else {
        push();
      }
    },
    () => {
      /* offline: the pad works without it */
    },
  );

  return { current: () => current, onChange: (l) => listeners.push(l) };
}
