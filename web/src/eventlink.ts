// The way from a pad back to its event: a pad made from an event's schedule shows the event's
// title beside its own name, linking to the event's page, with the session's title, time and room
// as its tooltip. A read-only view gets none: the event's page names the writable pad.

import { field, num, str } from "./json";

/** Fills and shows `link` if the pad is one of an event's sessions. */
export async function showEventLink(link: HTMLAnchorElement, padId: string): Promise<void> {
  let body: unknown;
  try {
    const res = await fetch(`/api/v1/pads/${encodeURIComponent(padId)}/event`);
    if (!res.ok) return;
    body = await res.json();
  } catch {
    return; // offline, or not an event's pad: the link stays hidden
  }
  const id = str(field(body, "id"));
  if (id === null) return;
  const title = str(field(body, "title")) || id;
  const session = field(body, "session");
  link.href = `/e/${encodeURIComponent(id)}`;
  link.textContent = title;
  link.title = [`Part of ${title}`, str(field(session, "title")), when(body, session), str(field(session, "room"))]
    .filter((x) => x !== null && x !== "")
    .join(" · ");
  link.hidden = false;
}

/** The session's time in the event's zone, or null when the answer lacks it. */
function when(event: unknown, session: unknown): string | null {
  const starts = num(field(session, "startsMs"));
  const ends = num(field(session, "endsMs"));
  if (starts === null || ends === null) return null;
  let timeZone: string | undefined = str(field(event, "timeZone")) ?? undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    timeZone = undefined; // a zone this browser does not know: the reader's own
  }
  const day = new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", day: "numeric", month: "short" });
  const time = new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" });
  return `${day.format(starts)}, ${time.format(starts)}–${time.format(ends)}`;
}
