// End-to-end tests of the timeslider (`/p/{pad}/timeslider#{rev}`): a past revision shows only the
// text of that time, stepping and dragging reach the head with every author listed, the page
// follows live edits while at the head, saved revisions are marked and jump, play runs to the
// head, exports and read-only links work, and a long history is read a page at a time.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, newUser, openPad, pageProblems, pollJson, serverAndBrowser, typeAtEnd, uniquePad, waitForText } from "./lib.mjs";

const TEST_MS = 90_000;
const env = serverAndBrowser();

/**
 * Open the timeslider of `pad` (at `#rev` if given) and record the page's problems; `onRequest`
 * sees every request from the start.
 */
async function openTimeslider(context, pad, rev, onRequest) {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  if (onRequest) page.on("request", onRequest);
  const problems = [];
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  page.on("console", (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  page.problems = problems;
  await page.goto(`${env.server.url}/p/${encodeURIComponent(pad)}/timeslider${rev === undefined ? "" : `#${rev}`}`);
  return page;
}

/** Wait until the timeslider shows the text of revision `rev`. */
async function waitForRev(page, rev) {
  await page.locator(`#ts-text[data-rev="${rev}"]`).waitFor({ state: "attached", timeout: WAIT_MS });
}

async function shownRev(page) {
  return Number(await page.locator("#ts-text").getAttribute("data-rev"));
}

async function head(request, pad) {
  return (await pollJson(request, `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}/revisions?from=1&to=1`)).head;
}

/** A pad where Alice wrote the first revision in one go and Bob then added a line. */
async function padWithTwoAuthors(prefix) {
  const pad = uniquePad(prefix);
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const bob = await newUser(env.browser, { name: "Bob", color: "#4363d8" });
  const a = await openPad(alice, env.server.url, pad);
  const b = await openPad(bob, env.server.url, pad);
  await a.locator(".cm-content").click();
  await a.keyboard.insertText("First line by Alice.\n");
  await waitForText(b, "First line by Alice.");
  await b.locator(".cm-content").click();
  await b.keyboard.press("Control+End");
  await b.keyboard.insertText("Second line by Bob.");
  await waitForText(a, "Second line by Bob.");
  const viewer = await newUser(env.browser, { name: "Viewer", color: "#911eb4" });
  const close = async () => {
    assert.deepEqual([...pageProblems(a), ...pageProblems(b)], [], "the pad pages reported errors");
    await Promise.all([alice.close(), bob.close(), viewer.close()]);
  };
  return { pad, alice, bob, a, b, viewer, close };
}

test("a past revision shows its text; stepping and dragging reach the head with both authors", { timeout: TEST_MS }, async () => {
  const { pad, a, viewer, close } = await padWithTwoAuthors("ts-basic");
  const last = await head(viewer.request, pad);
  assert.equal(last, 2, "one revision per insertion");

  const t = await openTimeslider(viewer, pad, 1);
  await waitForRev(t, 1);
  assert.equal(await t.locator("#ts-text").textContent(), "First line by Alice.\n");
  assert.match(await t.locator("#ts-rev").textContent(), /^Revision 1 of 2\b/);
  assert.match(await t.locator("#ts-by").textContent(), /Alice/);
  assert.deepEqual(await t.locator("#ts-authors .ts-author .user-name").allTextContents(), ["Alice"]);
  assert.equal(await t.locator('#ts-text .author-mark[title="Alice"]').textContent(), "First line by Alice.\n");
  assert.equal(await t.locator("#ts-slider").inputValue(), "1");

  // Step back to the empty pad, and forward again with the arrow key.
  await t.locator("#ts-prev").click();
  await waitForRev(t, 0);
  assert.equal(await t.locator("#ts-text").textContent(), "");
  await t.keyboard.press("ArrowRight");
  await t.keyboard.press("ArrowRight");
  await waitForRev(t, 2);
  assert.equal(await t.locator("#ts-text").textContent(), "First line by Alice.\nSecond line by Bob.");
  await t.waitForFunction(() => location.hash === "#2");

  // Drag the slider from the start to the end.
  await t.locator("#ts-slider").fill("0");
  await waitForRev(t, 0);
  const box = await t.locator("#ts-slider").boundingBox();
  await t.mouse.move(box.x + 2, box.y + box.height / 2);
  await t.mouse.down();
  for (let i = 1; i <= 10; i++) await t.mouse.move(box.x + (box.width * i) / 10, box.y + box.height / 2);
  await t.mouse.up();
  await waitForRev(t, 2);
  assert.equal(await t.locator("#ts-text").textContent(), "First line by Alice.\nSecond line by Bob.");
  assert.deepEqual(await t.locator("#ts-authors .ts-author .user-name").allTextContents(), ["Alice", "Bob"]);
  assert.equal(await t.locator('#ts-text .author-mark[title="Bob"]').textContent(), "Second line by Bob.");
  assert.match(await t.locator("#ts-by").textContent(), /Bob/);
  assert.ok(Number.isFinite(Date.parse(await t.locator("#ts-time").getAttribute("datetime"))));

  // Exports of the shown revision, and the way back to the pad.
  const md = t.locator('#ts-exports a[data-export="markdown"]');
  assert.equal(await md.getAttribute("href"), `/p/${encodeURIComponent(pad)}/2/export/markdown`);
  await t.locator("#ts-prev").click();
  await waitForRev(t, 1);
  const exported = await viewer.request.get(`${env.server.url}${await md.getAttribute("href")}`);
  assert.ok(exported.ok());
  const body = await exported.text();
  assert.ok(body.includes("First line by Alice.") && !body.includes("Bob"), body);
  assert.equal(await t.locator("#back-link").getAttribute("href"), `/p/${encodeURIComponent(pad)}`);

  // The pad page links to the timeslider.
  assert.equal(await a.locator("#timeslider-link").getAttribute("href"), `/p/${encodeURIComponent(pad)}/timeslider`);
  assert.deepEqual(t.problems, []);
  await close();
});

test("at the head the timeslider follows live edits; saved revisions are starred; play runs to the head", { timeout: TEST_MS }, async () => {
  const { pad, a, viewer, close } = await padWithTwoAuthors("ts-live");
  const t = await openTimeslider(viewer, pad);
  await waitForRev(t, 2);
  assert.equal(await t.locator("#ts-slider").inputValue(), "2");

  // New revisions arrive while the slider is at the head: it follows them.
  await a.keyboard.press("Control+End");
  await a.keyboard.insertText("\nThird line, live.");
  await waitForRev(t, 3);
  assert.equal(await t.locator("#ts-text").textContent(), "First line by Alice.\nSecond line by Bob.\nThird line, live.");
  assert.match(await t.locator("#ts-rev").textContent(), /^Revision 3 of 3\b/);

  // Away from the head, it stays where it is while the head moves on.
  await t.keyboard.press("ArrowLeft");
  await waitForRev(t, 2);
  await typeAtEnd(a, "!");
  await t.waitForFunction(() => document.querySelector("#ts-slider").max === "4");
  assert.equal(await shownRev(t), 2);

  // Alice saves revision 4 from the share menu; the timeslider marks it and jumps to it.
  await a.locator("#share-toggle").click();
  await a.locator("#save-revision").click();
  await a.locator("#save-revision-label").fill("Alice's point");
  await a.locator("#save-revision-label").press("Enter");
  await a.locator("#notice", { hasText: "Saved revision 4" }).waitFor();
  const star = t.locator("#ts-marks .ts-mark");
  await star.waitFor();
  assert.match(await star.getAttribute("title"), /Alice's point \(revision 4\)/);
  await t.keyboard.press("ArrowLeft");
  await waitForRev(t, 1);
  await star.click();
  await waitForRev(t, 4);
  await t.locator('#ts-saved-box summary').click();
  await t.locator('#ts-saved button[data-rev="4"]').waitFor();

  // Play from the start runs to the head and stops there. It follows the pad's clock, so
  // revisions typed in quick succession may be passed over, but never shown out of order.
  await t.locator("#ts-slider").fill("0");
  await waitForRev(t, 0);
  const seen = [];
  await t.exposeFunction("sawRev", (rev) => seen.push(Number(rev)));
  await t.evaluate(() => {
    const el = document.querySelector("#ts-text");
    new MutationObserver(() => window.sawRev(el.dataset.rev)).observe(el, { attributes: true, attributeFilter: ["data-rev"] });
  });
  await t.locator("#ts-play").click();
  assert.equal(await t.locator("#ts-play").getAttribute("aria-pressed"), "true");
  await t.locator('#ts-play[aria-pressed="false"]').waitFor();
  assert.equal(await shownRev(t), 4);
  assert.equal(seen[seen.length - 1], 4, `shown: ${seen}`);
  assert.deepEqual([...seen].sort((x, y) => x - y), seen, `shown: ${seen}`);

  assert.deepEqual(t.problems, []);
  await close();
});

test("a read-only link opens the timeslider too", { timeout: TEST_MS }, async () => {
  const { pad, viewer, close } = await padWithTwoAuthors("ts-readonly");
  const info = await pollJson(viewer.request, `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}`);
  const t = await openTimeslider(viewer, info.readOnlyId, 1);
  await waitForRev(t, 1);
  assert.equal(await t.locator("#ts-text").textContent(), "First line by Alice.\n");
  assert.equal(await t.locator("#back-link").getAttribute("href"), `/p/${encodeURIComponent(info.readOnlyId)}`);
  assert.deepEqual(t.problems, []);
  await close();
});

test("the timeslider of a pad nobody has written in yet starts with the first edit", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("ts-empty");
  const viewer = await newUser(env.browser, { name: "Viewer", color: "#911eb4" });
  const t = await openTimeslider(viewer, pad);
  await t.locator("#ts-rev", { hasText: "no revisions yet" }).waitFor();
  assert.equal(await t.locator("#ts-slider").isDisabled(), true);

  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const a = await openPad(alice, env.server.url, pad);
  await a.locator(".cm-content").click();
  await a.keyboard.insertText("Hello, history.");
  await waitForRev(t, 1);
  assert.equal(await t.locator("#ts-text").textContent(), "Hello, history.");
  assert.equal(await t.locator("#ts-slider").isDisabled(), false);
  assert.deepEqual([...t.problems, ...pageProblems(a)], []);
  await Promise.all([alice.close(), viewer.close()]);
});

test("a long history is read a page at a time and a drag fetches only where it stops", { timeout: 120_000 }, async () => {
  const pad = uniquePad("ts-long");
  const key = await env.server.apiKey();
  const api = async (fn, params) => {
    const res = await fetch(`${env.server.url}/api/1.2.13/${fn}`, { method: "POST", body: new URLSearchParams({ apikey: key, padID: pad, ...params }) });
    const json = await res.json();
    assert.equal(json.code, 0, JSON.stringify(json));
  };
  // 4,100 revisions: more than two pages of the revision list (2,000 each).
  const TOTAL = 4100;
  await api("createPad", { text: "line 0\n" });
  let next = 1;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < TOTAL) await api("appendText", { text: `line ${next++}\n` });
    }),
  );
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const last = await head(context.request, pad);
  assert.ok(last >= TOTAL, `head ${last}`);

  const requests = [];
  const t = await openTimeslider(context, pad, 10, (r) => {
    const u = new URL(r.url());
    if (u.pathname.includes("/revisions")) requests.push(u.pathname.replace(/^.*\/revisions/, "") + u.search);
  });
  await waitForRev(t, 10);
  assert.equal((await t.locator("#ts-text").textContent()).split("\n").length, 11);
  // The time of revision 10 comes from the first page of the list, fetched on demand.
  await t.locator("#ts-time[datetime]").waitFor({ state: "attached" });

  // Drag across the whole history in many small moves.
  const box = await t.locator("#ts-slider").boundingBox();
  await t.mouse.move(box.x + 8, box.y + box.height / 2);
  await t.mouse.down();
  for (let i = 0; i <= 40; i++) await t.mouse.move(box.x + 8 + ((box.width - 16) * i) / 40, box.y + box.height / 2);
  await t.mouse.up();
  await waitForRev(t, last);
  assert.equal(await t.locator("#ts-slider").inputValue(), String(last));
  // Keep the slider moving a little to see that the page answers at once.
  const started = Date.now();
  await t.keyboard.press("ArrowLeft");
  await waitForRev(t, last - 1);
  assert.ok(Date.now() - started < 5000, "a step answers quickly");

  // Only bounded pages of the list were asked for, and few revision texts during the drag.
  // (Without `from` and `to`, the server answers with the newest 2,000.)
  const lists = requests.filter((r) => r === "" || r.startsWith("?"));
  assert.ok(lists.length >= 2, `list requests: ${lists.join(" ")}`);
  for (const r of lists) {
    const q = new URLSearchParams(r.slice(1));
    if (!q.has("from") && !q.has("to")) continue;
    const from = Number(q.get("from"));
    const to = q.has("to") ? Number(q.get("to")) : last;
    assert.ok(q.has("from") && to - from < 2000, `unbounded list request ${r}`);
  }
  const texts = requests.filter((r) => /^\/\d+$/.test(r));
  assert.ok(texts.length <= 8, `revision texts fetched during the drag: ${texts.join(" ")}`);
  assert.deepEqual(t.problems, []);
  await context.close();
});
