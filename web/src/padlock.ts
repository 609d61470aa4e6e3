// A pad's lock as this browser lives it. A moderator (the pad's creator) can lock the pad now or
// at a set time, unlock it, or delete it; everyone else's editor turns read-only the moment the
// server says the pad is locked, with a line saying why, and editable again when it is unlocked.
// The server tells an open connection of a change with a y-protocols auth message, after which
// the page reads `/api/v1/pads/{pad}/lock` again; it also reads it on every (re)connect.

import type { WebsocketProvider } from "y-websocket";
import * as authProtocol from "y-protocols/auth";
import { byId, h } from "./dom";
import { field, num } from "./json";
import { showNotice } from "./notice";

export interface LockState {
  /** Writes are refused now (for everyone but moderators). */
  locked: boolean;
  /** When a scheduled lock takes hold (ms since the epoch). */
  lockAt: number | null;
  /** This browser moderates the pad. */
  moderator: boolean;
  /** The chat is locked too. */
  chat: boolean;
}

const AUTH_MESSAGE = 2;

function readLock(v: unknown): LockState | null {
  const locked = field(v, "locked");
  if (typeof locked !== "boolean") return null;
  return { locked, lockAt: num(field(v, "lockAt")), moderator: field(v, "moderator") === true, chat: field(v, "chat") === true };
}

function lockUrl(padId: string): string {
  return `/api/v1/pads/${encodeURIComponent(padId)}/lock`;
}

async function fetchLock(padId: string): Promise<LockState | null> {
  const res = await fetch(lockUrl(padId), { headers: { Accept: "application/json" } });
  return res.ok ? readLock(await res.json()) : null;
}

/**
 * Calls `onChange` with the pad's lock on every (re)connect and whenever the server says it
 * changed, until the page goes.
 */
export function watchLock(padId: string, provider: WebsocketProvider, onChange: (s: LockState) => void): void {
  // A pad nobody has written to has no lock and no moderator yet: its first writer becomes the
  // moderator, so after this browser's own edits the lock is read again until the pad exists.
  let known = false;
  let pending = 0;
  const refresh = (): void => {
    fetchLock(padId).then(
      (s) => {
        if (!s) return;
        known = true;
        onChange(s);
      },
      () => {
        // Offline: the next reconnect reads it again.
      },
    );
  };
  provider.messageHandlers[AUTH_MESSAGE] = (_encoder, decoder) => {
    authProtocol.readAuthMessage(decoder, provider.doc, () => refresh());
  };
  provider.on("sync", (synced: boolean) => {
    if (synced) refresh();
  });
  provider.doc.on("update", (_update: Uint8Array, origin: unknown) => {
    if (known || origin === provider || pending) return;
    // Let the edit reach the server first; one read for a burst of keys.
    pending = window.setTimeout(() => {
      pending = 0;
      refresh();
    }, 500);
  });
}

async function putLock(padId: string, body: { locked: boolean; lockAt?: number | null; chat?: boolean }): Promise<LockState | null> {
  const res = await fetch(lockUrl(padId), {
    method: "PUT",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    showNotice(`The lock did not change (${res.status}).`);
    return null;
  }
  return readLock(await res.json());
}

function timeOf(ms: number): string {
  return new Date(ms).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

/**
 * The line under the toolbar that says the pad is locked or will be (with "Unlock" for a
 * moderator), and for a moderator a "Moderation" row in the share menu: lock now (with or
 * without its chat), lock at a time, delete. Returns the function that shows a state.
 */
export function lockPanel(padId: string, menu: HTMLElement, onChange: (s: LockState) => void): (s: LockState) => void {
  const line = h("p", { class: "lock-line", id: "lock-line", role: "status" });
  const unlockSlot = h("div", { class: "lock-controls" });
  const bar = h("div", { class: "lock-bar", hidden: "" }, line, unlockSlot);
  byId("workspace").before(bar);
  const row = h("div", { class: "share-row moderation-row", hidden: "" });
  menu.append(row);

  const show = (s: LockState): void => {
    onChange(s);
    const scheduled = !s.locked && s.lockAt !== null && s.lockAt > Date.now();
    if (s.locked) {
      const chat = s.chat ? " Chat is closed too." : " Chat stays open.";
      line.textContent =
        (s.moderator
          ? "This pad is locked: only its moderators can edit it."
          : "This pad is locked by its moderator: you can read it, not edit it.") + chat;
    } else if (scheduled && s.lockAt !== null) {
      line.textContent = `This pad locks at ${timeOf(s.lockAt)}.`;
    } else {
      line.textContent = "";
    }
    const controls = s.moderator ? moderatorControls(padId, s, show) : null;
    unlockSlot.replaceChildren(...(controls && (s.locked || scheduled) ? [controls.toggle] : []));
    row.replaceChildren(...(controls ? [h("label", {}, "Moderation"), h("div", { class: "lock-controls" }, ...controls.all)] : []));
    row.hidden = controls === null;
    bar.hidden = line.textContent === "";
    bar.classList.toggle("locked", s.locked);
  };
  return show;
}

function moderatorControls(padId: string, s: LockState, show: (s: LockState) => void): { toggle: HTMLElement; all: HTMLElement[] } {
  const apply = (body: { locked: boolean; lockAt?: number | null; chat?: boolean }): void => {
    void putLock(padId, body).then((next) => {
      if (next) show(next);
    });
  };
  const scheduled = !s.locked && s.lockAt !== null && s.lockAt > Date.now();
  const chatToo = h("input", { type: "checkbox", id: "lock-chat-too" });
  const chatLabel = h("label", { for: "lock-chat-too", class: "inline" }, chatToo, " and its chat");
  const lockLabel = s.locked ? "Unlock pad" : scheduled ? "Cancel the scheduled lock" : "Lock pad";
  // The same button stands on the lock line and in the menu.
  const lockButton = (): HTMLButtonElement => {
    const button = h("button", { type: "button", class: "secondary" }, lockLabel);
    button.addEventListener("click", () =>
      apply(s.locked || scheduled ? { locked: false, lockAt: null } : { locked: true, lockAt: null, chat: chatToo.checked }),
    );
    return button;
  };
  const when = h("input", { type: "datetime-local", "aria-label": "Lock at" });
  const schedule = h("button", { type: "button", class: "secondary" }, "Lock at this time");
  schedule.addEventListener("click", () => {
    const at = new Date(when.value).getTime();
    if (Number.isFinite(at)) apply({ locked: false, lockAt: at, chat: chatToo.checked });
  });
  const remove = h("button", { type: "button", class: "danger" }, "Delete pad…");
  remove.addEventListener("click", () => {
    if (!confirm(`Delete the pad “${padId}” with its whole history? This cannot be undone.`)) return;
    void fetch(`/api/v1/pads/${encodeURIComponent(padId)}`, { method: "DELETE" }).then((res) => {
      if (res.ok) location.assign("/");
      else showNotice(`The pad was not deleted (${res.status}).`);
    });
  });
  const all = s.locked || scheduled ? [lockButton(), remove] : [lockButton(), chatLabel, when, schedule, remove];
  return { toggle: lockButton(), all };
}

/** Sends a chat message over HTTP (the WebSocket refuses writes while the pad is locked). */
export async function postChat(padId: string, text: string): Promise<boolean> {
  const res = await fetch(`/api/v1/pads/${encodeURIComponent(padId)}/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ text }),
  });
  if (!res.ok) showNotice(res.status === 403 ? "The chat is locked." : `The message was not sent (${res.status}).`);
  return res.ok;
}
