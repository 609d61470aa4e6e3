// Comment threads in the pad's Yjs document: a top-level Y.Map named `comments`, thread id → Y.Map
// { start, end: Y.encodeRelativePosition(…) of positions in `text` (start with assoc 0, sticking to
// the first commented character; end with assoc -1, sticking to the last), quote: the text when the
// thread was started, resolved: boolean, replies: Y.Array of { id, text, name, color, time } whose
// first entry is the comment itself }. Threads come from any peer, so every field is checked; text
// goes into the page through textContent only.

import * as Y from "yjs";
import { safeColor } from "../dom";
import { field, num, str } from "../json";
import { cleanName, type Identity } from "../presence";

export const COMMENTS_NAME = "comments";
/** Longest comment accepted from the input (and shown from a peer). */
export const MAX_COMMENT_CHARS = 4000;
/** Longest quote kept with a thread. */
const MAX_QUOTE_CHARS = 500;

export interface Reply {
  id: string;
  text: string;
  name: string;
  color: string;
  time: number;
}

export interface Thread {
  id: string;
  start: Y.RelativePosition | null;
  end: Y.RelativePosition | null;
  quote: string;
  resolved: boolean;
  replies: Reply[];
}

export function randomId(prefix = ""): string {
  const b = crypto.getRandomValues(new Uint8Array(10));
  return prefix + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function readReply(value: unknown): Reply | null {
  const text = str(field(value, "text"));
  if (text === null) return null;
  return {
    id: str(field(value, "id")) ?? "",
    text: clip(text, MAX_COMMENT_CHARS),
    name: cleanName(field(value, "name")),
    color: safeColor(field(value, "color")),
    time: num(field(value, "time")) ?? 0,
  };
}

function readPosition(value: unknown): Y.RelativePosition | null {
  if (!(value instanceof Uint8Array)) return null;
  try {
    return Y.decodeRelativePosition(value);
  } catch {
    return null;
  }
}

/** One thread as stored, or null when it is not one (no readable comment). */
export function readThread(id: string, value: unknown): Thread | null {
  if (!(value instanceof Y.Map)) return null;
  const replies = value.get("replies");
  const list = replies instanceof Y.Array ? replies.toArray().flatMap((r) => readReply(r) ?? []) : [];
  if (list.length === 0) return null;
  return {
    id,
    start: readPosition(value.get("start")),
    end: readPosition(value.get("end")),
    quote: clip(str(value.get("quote")) ?? "", MAX_QUOTE_CHARS),
    resolved: value.get("resolved") === true,
    replies: list,
  };
}

export function readThreads(map: Y.Map<unknown>): Thread[] {
  const out: Thread[] = [];
  map.forEach((value, id) => {
    const t = readThread(id, value);
    if (t) out.push(t);
  });
  return out;
}

function newReply(text: string, me: Identity): Reply {
  return { id: randomId(), text: text.slice(0, MAX_COMMENT_CHARS), name: me.name, color: me.color, time: Date.now() };
}

/** Starts a thread on the text between two relative positions; returns its id. */
export function addThread(
  map: Y.Map<unknown>,
  anchor: { start: Y.RelativePosition; end: Y.RelativePosition; quote: string },
  text: string,
  me: Identity,
): string {
  const id = randomId("c-");
  const doc = map.doc;
  const write = (): void => {
    const thread = new Y.Map<unknown>();
    map.set(id, thread);
    thread.set("start", Y.encodeRelativePosition(anchor.start));
    thread.set("end", Y.encodeRelativePosition(anchor.end));
    thread.set("quote", anchor.quote.slice(0, MAX_QUOTE_CHARS));
    thread.set("resolved", false);
    const replies = new Y.Array<unknown>();
    thread.set("replies", replies);
    replies.push([newReply(text, me)]);
  };
  if (doc) doc.transact(write);
  else write();
  return id;
}

export function addReply(map: Y.Map<unknown>, id: string, text: string, me: Identity): boolean {
  const thread = map.get(id);
  const replies = thread instanceof Y.Map ? thread.get("replies") : null;
  if (!(replies instanceof Y.Array)) return false;
  replies.push([newReply(text, me)]);
  return true;
}

export function setResolved(map: Y.Map<unknown>, id: string, resolved: boolean): boolean {
  const thread = map.get(id);
  if (!(thread instanceof Y.Map)) return false;
  thread.set("resolved", resolved);
  return true;
}
