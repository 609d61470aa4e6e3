// Chat: messages live in the pad's Yjs document as a Y.Array named `chat` of plain JSON objects
// `{ id, text, name, color, time }`, so they are stored with the pad and late joiners (and, later,
// the timeslider) see them. Messages come from any peer, so every field is checked and all text
// goes in through textContent.

import type * as Y from "yjs";
import { h, safeColor } from "./dom";
import { cleanName, type Identity } from "./presence";
import { field, num, str } from "./json";

export interface ChatMessage {
  id: string;
  text: string;
  name: string;
  color: string;
  time: number;
}

/** Longest message accepted from the input (and shown from a peer). */
const MAX_CHARS = 2000;

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Read one array element as a message, whatever a peer put there. */
export function readMessage(value: unknown): ChatMessage {
  const text = str(field(value, "text")) ?? "";
  return {
    id: str(field(value, "id")) ?? "",
    text: text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text,
    name: cleanName(field(value, "name")),
    color: safeColor(field(value, "color")),
    time: num(field(value, "time")) ?? 0,
  };
}

function renderMessage(msg: ChatMessage): HTMLLIElement {
  const dot = h("span", { class: "chat-dot", "aria-hidden": "true" });
  dot.style.backgroundColor = msg.color;
  const when = msg.time ? new Date(msg.time) : null;
  const time = h(
    "time",
    when ? { datetime: when.toISOString(), title: when.toLocaleString() } : {},
    when ? when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "",
  );
  return h(
    "li",
    { class: "chat-msg" },
    h("div", { class: "chat-meta" }, dot, h("span", { class: "chat-author" }, msg.name), time),
    h("div", { class: "chat-text" }, msg.text),
  );
}

export interface ChatElements {
  log: HTMLElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
  /** Unread counter shown on the chat toggle while the chat panel is closed. */
  unread: HTMLElement;
}

export interface Chat {
  /** The chat panel was opened: the messages count as read. */
  markRead(): void;
  /**
   * Send messages through `send` instead of the document (while the pad is locked, the server
   * takes chat over HTTP only); `null` goes back to the document.
   */
  sendThrough(send: ((text: string) => Promise<boolean>) | null): void;
}

export function setupChat(
  doc: Y.Doc,
  els: ChatElements,
  opts: { readOnly: boolean; me: () => Identity; isOpen: () => boolean; live: () => boolean },
): Chat {
  const messages = doc.getArray<unknown>("chat");
  let unread = 0;
  const showUnread = (): void => {
    els.unread.textContent = unread > 9 ? "9+" : String(unread);
    els.unread.hidden = unread === 0;
  };

  const nearBottom = (): boolean => els.log.scrollHeight - els.log.scrollTop - els.log.clientHeight < 40;
  const scrollToEnd = (): void => {
    els.log.scrollTop = els.log.scrollHeight;
  };
  const empty = h("li", { class: "chat-empty" }, "No messages yet.");

  els.log.replaceChildren(...messages.toArray().map((m) => renderMessage(readMessage(m))));
  if (messages.length === 0) els.log.append(empty);
  scrollToEnd();

  // Apply each change as a delta so concurrent messages land where Yjs orders them.
  messages.observe((event, tr) => {
    const stick = nearBottom();
    empty.remove();
    let index = 0;
    let added = 0;
    for (const op of event.changes.delta) {
      if (op.retain !== undefined) index += op.retain;
      if (op.delete !== undefined) for (let i = 0; i < op.delete; i++) els.log.children[index]?.remove();
      if (op.insert !== undefined && Array.isArray(op.insert)) {
        for (const item of op.insert) {
          els.log.insertBefore(renderMessage(readMessage(item)), els.log.children[index] ?? null);
          index++;
          added++;
        }
      }
    }
    if (messages.length === 0) els.log.append(empty);
    if (stick || tr.local) scrollToEnd();
    // Messages that arrive with the first sync (or from the offline copy) were written before you
    // came: they are history, not news.
    if (!tr.local && added > 0 && !opts.isOpen() && opts.live()) {
      unread += added;
      showUnread();
    }
  });

  let sender: ((text: string) => Promise<boolean>) | null = null;
  if (opts.readOnly) {
    els.form.hidden = true;
  } else {
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = els.input.value.trim();
      if (!text) return;
      if (sender) {
        void sender(text.slice(0, MAX_CHARS)).then((sent) => {
          if (sent && els.input.value.trim() === text) els.input.value = "";
        });
        return;
      }
      const me = opts.me();
      const msg: ChatMessage = { id: randomId(), text: text.slice(0, MAX_CHARS), name: me.name, color: me.color, time: Date.now() };
      messages.push([msg]);
      els.input.value = "";
    });
  }
  showUnread();

  return {
    markRead: () => {
      unread = 0;
      showUnread();
    },
    sendThrough: (send) => {
      sender = send;
    },
  };
}
