// The title of a pad as its text gives it: the first heading, else the first non-empty line, with
// the Markdown markers taken off. A read-only view shows this instead of its address, because the
// pad's name is its writable id and a watcher must not learn it.

import type * as Y from "yjs";

const MAX_TITLE_CHARS = 60;
export const UNTITLED = "Untitled pad";

function plain(line: string): string {
  return line
    .replace(/^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+(\[[ xX]\]\s+)?|\d{1,9}[.)]\s+)/, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_~`]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

export function titleFromText(text: string): string {
  const lines = text.split("\n");
  const heading = lines.find((l) => /^\s{0,3}#{1,6}\s+\S/.test(l));
  const first = heading ?? lines.find((l) => plain(l) !== "");
  const title = first === undefined ? "" : plain(first);
  if (title === "") return UNTITLED;
  const chars = [...title];
  return chars.length > MAX_TITLE_CHARS ? `${chars.slice(0, MAX_TITLE_CHARS - 1).join("")}…` : title;
}

/** Look at the text again at most this often while it changes (it is read whole each time). */
const RECHECK_MS = 300;

/** Call `show` with the text's title now and whenever it changes. */
export function followTitle(ytext: Y.Text, show: (title: string) => void): void {
  let current = "";
  let timer: ReturnType<typeof setTimeout> | null = null;
  const update = (): void => {
    timer = null;
    const next = titleFromText(ytext.toString());
    if (next === current) return;
    current = next;
    show(next);
  };
  ytext.observe(() => {
    if (timer === null) timer = setTimeout(update, RECHECK_MS);
  });
  update();
}
