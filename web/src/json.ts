// Reading JSON the server sent without trusting its shape: small accessors that check types
// instead of casting, so a changed or broken answer degrades to "missing" rather than a crash.

/** A field of a JSON object, or undefined when `v` is not an object or lacks it. */
export function field(v: unknown, key: string): unknown {
  return v !== null && typeof v === "object" && key in v ? Reflect.get(v, key) : undefined;
}

/** A finite number, or null. */
export function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** A string, or null. */
export function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}
