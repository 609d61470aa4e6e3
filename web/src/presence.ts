// Presence: who you are on this pad and who else is here. Your name and colour live in localStorage
// (so every pad remembers them) and in the Yjs awareness state `{ user: { name, color, colorLight } }`,
// which y-codemirror.next also reads to draw remote carets with names. The user list shows everyone
// whose awareness state has a `user`, with "you" marked and your own name and colour editable.
// A read-only viewer has no name: its state is `{ watcher: true }`, counted as "N watching" and
// kept out of the list. Each other person is a "Follow {name}" button (follow.ts).

import type { Awareness } from "y-protocols/awareness";
import { append, h, loadLocal, safeColor, storeLocal } from "./dom";
import { SILENCE_ORIGIN } from "./presencekeeper";

export interface Identity {
  name: string;
  color: string;
}

export interface AwarenessUser extends Identity {
  colorLight: string;
}

const IDENTITY_KEY = "ypad:user";
/** Someone whose connection closed is listed as reconnecting this long before being dropped. */
const AWAY_GRACE_MS = 6000;
const MAX_NAME_CHARS = 40;

/** Colours that read well as a caret and, at 20 % opacity, as a selection in light and dark themes. */
const PALETTE = [
  "#e6194b",
  "#3cb44b",
  "#4363d8",
  "#f58231",
  "#911eb4",
  "#14a3a3",
  "#d6336c",
  "#2f9e44",
  "#1c7ed6",
  "#e8590c",
  "#7048e8",
  "#0c8599",
  "#c2255c",
  "#5c940d",
  "#9c36b5",
  "#b7791f",
];

function randomIdentity(): Identity {
  const n = crypto.getRandomValues(new Uint16Array(2));
  return { name: `Guest ${1000 + (n[0]! % 9000)}`, color: PALETTE[n[1]! % PALETTE.length]! };
}

/** Trim and bound a name typed by you or sent by a peer. */
export function cleanName(value: unknown): string {
  const s = typeof value === "string" ? value.replace(/\s+/g, " ").trim() : "";
  return [...s].slice(0, MAX_NAME_CHARS).join("") || "Anonymous";
}

/**
 * Your identity: remembered in localStorage, or a fresh random one (then remembered). `fresh`
 * says it was just made up, so a name the server remembers for this browser may replace it.
 */
export function loadIdentity(): { identity: Identity; fresh: boolean } {
  try {
    const raw = JSON.parse(loadLocal(IDENTITY_KEY) ?? "null") as Partial<Identity> | null;
    if (raw && typeof raw.name === "string" && typeof raw.color === "string") {
      return { identity: { name: cleanName(raw.name), color: safeColor(raw.color, PALETTE[0]) }, fresh: false };
    }
  } catch {
    /* corrupt entry: start afresh */
  }
  const identity = randomIdentity();
  storeLocal(IDENTITY_KEY, JSON.stringify(identity));
  return { identity, fresh: true };
}

export function awarenessUser(id: Identity): AwarenessUser {
  return { name: id.name, color: id.color, colorLight: `${id.color}33` };
}

/**
 * Peers' colours end up in style attributes that y-codemirror.next writes for remote carets and
 * selections; rewrite anything that is not a plain hex colour before the editor draws it.
 */
function sanitiseRemoteUsers(awareness: Awareness, clientIds: number[]): void {
  for (const id of clientIds) {
    if (id === awareness.clientID) continue;
    const user = (awareness.getStates().get(id) as { user?: Record<string, unknown> } | undefined)?.user;
    if (!user || typeof user !== "object") continue;
    const color = safeColor(user.color);
    if (user.color !== color) user.color = color;
    if (typeof user.colorLight !== "string" || !/^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(user.colorLight)) {
      user.colorLight = `${color}33`;
    }
    if (typeof user.name !== "string") user.name = cleanName(user.name);
  }
}

export interface Presence {
  /** Your current identity (used for chat messages). */
  me(): Identity;
  /** Whether the identity was made up on this visit rather than remembered. */
  fresh: boolean;
  /** Replace your identity (e.g. with the name the server remembers), as if typed. */
  set(identity: Identity): void;
  /** Register for changes you make to your name or colour. */
  onChange(listener: (me: Identity) => void): void;
  /**
   * Show others this colour for you instead of your own (null: your own), because on this pad
   * another author already shows yours; your choice itself is kept.
   */
  showColor(color: string | null): void;
}

export interface PresenceElements {
  /** Holds your own editable row. */
  self: HTMLElement;
  /** The list of the other people on the pad. */
  list: HTMLElement;
  /** Shows how many people are here (toolbar badge and panel heading). */
  counts: HTMLElement[];
  /** Shows how many read-only viewers are watching. */
  watching: HTMLElement;
}

/** A read-only viewer's whole awareness state. */
const WATCHER_STATE = { watcher: true };

function isWatcher(state: unknown): boolean {
  return !!state && typeof state === "object" && "watcher" in state && state.watcher === true;
}

export function setupPresence(awareness: Awareness, els: PresenceElements, opts: { readOnly: boolean }): Presence {
  const loaded = loadIdentity();
  let me = loaded.identity;
  let shownColor: string | null = null;
  const publish = (): void => {
    if (!opts.readOnly) awareness.setLocalStateField("user", awarenessUser({ ...me, color: shownColor ?? me.color }));
  };
  if (opts.readOnly) awareness.setLocalState(WATCHER_STATE);
  else publish();
  const listeners: Array<(me: Identity) => void> = [];

  const update = (next: Identity): void => {
    if (next.name === me.name && next.color === me.color) return;
    me = next;
    storeLocal(IDENTITY_KEY, JSON.stringify(me));
    shownColor = null;
    publish();
    for (const l of listeners) l(me);
  };

  // Your own row is built once and kept, so re-rendering the others never steals focus from it.
  const colorInput = h("input", {
    type: "color",
    class: "user-color-input",
    value: me.color,
    title: "Your colour",
    "aria-label": "Your colour",
  });
  const nameInput = h("input", {
    type: "text",
    class: "user-name-input",
    value: me.name,
    maxlength: MAX_NAME_CHARS,
    placeholder: "Your name",
    title: "Your name, as others see it",
    "aria-label": "Your name",
    autocomplete: "nickname",
  });
  colorInput.addEventListener("input", () => update({ ...me, color: safeColor(colorInput.value, me.color) }));
  nameInput.addEventListener("input", () => update({ ...me, name: cleanName(nameInput.value) }));
  nameInput.addEventListener("change", () => {
    nameInput.value = me.name;
  });
  nameInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") nameInput.blur();
  });
  if (opts.readOnly) els.self.hidden = true;
  else els.self.replaceChildren(colorInput, nameInput, h("span", { class: "you-tag" }, "you"));

  /** Everyone's last known name and colour, and those who just dropped out: shown as reconnecting. */
  const known = new Map<number, AwarenessUser>();
  const away = new Map<number, { user: AwarenessUser; until: number }>();
  /** What the list shows now: most awareness changes are cursor moves that change none of it. */
  let shown = "";

  const render = (): void => {
    const others: Array<AwarenessUser & { away: boolean; client: number }> = [];
    let watchers = 0;
    awareness.getStates().forEach((state, clientId) => {
      if (isWatcher(state)) {
        watchers++;
        return;
      }
      if (clientId === awareness.clientID) return;
      const user = (state as { user?: Partial<AwarenessUser> }).user;
      if (!user || typeof user !== "object") return;
      const u = { name: cleanName(user.name), color: safeColor(user.color), colorLight: "" };
      known.set(clientId, u);
      others.push({ ...u, away: false, client: clientId });
    });
    for (const [client, { user }] of away) others.push({ ...user, away: true, client });
    others.sort((a, b) => a.name.localeCompare(b.name));
    const next = JSON.stringify([others.map((u) => [u.name, u.color, u.away, u.client]), watchers]);
    if (next === shown) return;
    shown = next;
    els.list.replaceChildren(
      ...others.map((u) => {
        const swatch = h("span", { class: "user-swatch", "aria-hidden": "true" });
        swatch.style.backgroundColor = u.color;
        const name = h("span", { class: "user-name" }, u.name);
        if (u.away) return h("li", { class: "user user-away" }, swatch, name, h("span", { class: "user-note" }, "reconnecting…"));
        // A button: following them is follow.ts's business.
        const follow = h(
          "button",
          {
            type: "button",
            class: "user-follow",
            "data-client": u.client,
            "aria-pressed": "false",
            title: `Follow ${u.name}`,
            "aria-label": `Follow ${u.name}`,
          },
          swatch,
          name,
        );
        return h("li", { class: "user" }, follow);
      }),
    );
    if (others.length === 0)
      append(els.list, h("li", { class: "user-empty" }, opts.readOnly ? "Nobody is editing right now." : "Nobody else is here yet."));
    for (const c of els.counts) c.textContent = String(others.length + (opts.readOnly ? 0 : 1));
    els.watching.hidden = watchers === 0;
    els.watching.textContent = `${watchers} watching (read-only)`;
  };

  const expireAway = (): void => {
    const now = Date.now();
    for (const [id, a] of away) if (a.until <= now) away.delete(id);
    render();
  };
  // Registered before the editor exists, so this runs before y-codemirror.next redraws carets.
  awareness.on("change", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    sanitiseRemoteUsers(awareness, [...added, ...updated]);
    for (const id of [...added, ...updated]) away.delete(id);
    // A closed socket may be a blip: keep the person listed a moment. Silence already waited.
    if (origin !== SILENCE_ORIGIN) {
      for (const id of removed) {
        const user = known.get(id);
        if (user && id !== awareness.clientID) away.set(id, { user, until: Date.now() + AWAY_GRACE_MS });
      }
      if (removed.length > 0) setTimeout(expireAway, AWAY_GRACE_MS);
    }
    for (const id of removed) known.delete(id);
    render();
  });
  render();

  return {
    me: () => me,
    fresh: loaded.fresh,
    set: (next) => {
      const clean = { name: cleanName(next.name), color: safeColor(next.color, me.color) };
      update(clean);
      if (document.activeElement !== nameInput) nameInput.value = me.name;
      colorInput.value = me.color;
    },
    onChange: (l) => listeners.push(l),
    showColor: (color) => {
      const next = color === null || color.toLowerCase() === me.color.toLowerCase() ? null : safeColor(color);
      if (next === shownColor) return;
      shownColor = next;
      publish();
    },
  };
}
