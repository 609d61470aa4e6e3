// Heading slugs, as GitHub and HedgeDoc make them, so `/p/{pad}#goals` names a heading: lower case,
// punctuation dropped (letters, digits, `-` and `_` kept, in any script), spaces become `-`, and a
// slug seen before in the same document gets `-1`, `-2`, … The outline and the reading view both
// number a pad's headings in document order, so they agree.

const DROPPED = /[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu;

export function slugOf(text: string): string {
  return text.trim().toLowerCase().replace(DROPPED, "").replace(/ /g, "-");
}

/** Slugs for one document's headings in order, unique within it. */
export class Slugger {
  private seen = new Map<string, number>();

  slug(text: string): string {
    const base = slugOf(text) || "section";
    let result = base;
    // github-slugger's rule: "a-1" typed as a heading of its own does not collide with a second "a".
    while (this.seen.has(result)) {
      const n = (this.seen.get(base) ?? 0) + 1;
      this.seen.set(base, n);
      result = `${base}-${n}`;
    }
    this.seen.set(result, 0);
    return result;
  }
}
