// Pad ids: the rules the server enforces, mirrored so the start page can refuse a bad name before
// navigating and the pad page can explain a bad URL instead of opening a socket the server drops.

/** Longest pad id, counted in Unicode code points (what the server counts). */
export const MAX_PAD_ID_CHARS = 50;

/** Prefix of a read-only view's id: `/p/r.{id}` shows the pad without letting you edit it. */
export const READ_ONLY_PREFIX = "r.";

/** Etherpad's habit: spaces and `:` in a typed name become `_`. */
export function normalisePadName(name: string): string {
  return name.trim().replace(/[\s:]/g, "_");
}

/** A group pad's id: `g.` and 16 letters or digits (its group), `$`, then its name. */
const GROUP_PAD = /^g\.[A-Za-z0-9]{16}\$(.+)$/;

/** Why `id` is not a valid pad id, or null when it is. */
export function padIdProblem(id: string): string | null {
  const chars = [...id].length;
  if (chars === 0) return "The pad name is empty.";
  if (chars > MAX_PAD_ID_CHARS) return `A pad name has at most ${MAX_PAD_ID_CHARS} characters.`;
  if (id.includes("/")) return "A pad name cannot contain “/”.";
  // The one `$` a group pad has separates its group from its name.
  const name = GROUP_PAD.exec(id)?.[1] ?? id;
  if (name.includes("$")) return "A pad name cannot contain “$”.";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id)) return "A pad name cannot contain control characters.";
  return null;
}

export function isReadOnlyId(id: string): boolean {
  return id.startsWith(READ_ONLY_PREFIX);
}

/** The page path of a pad: `/p/{percent-encoded id}`. */
export function padPath(id: string): string {
  return `/p/${encodeURIComponent(id)}`;
}

/** The timeslider page of a pad. */
export function timesliderPath(id: string): string {
  return `${padPath(id)}/timeslider`;
}

/**
 * The pad id of the current page, from `/p/{id}` (or `/p/{id}{suffix}`, e.g. `/timeslider`, a
 * fixed string without regular-expression characters) in `location.pathname`, percent-decoded.
 * Null when the path is not such a path or does not decode.
 */
export function padIdFromPath(pathname: string, suffix = ""): string | null {
  const m = new RegExp(`^/p/([^/]+)${suffix}/?$`).exec(pathname);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

/** A random pad name for "New pad": 10 characters from an unambiguous alphabet. */
export function randomPadId(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let id = "";
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}
