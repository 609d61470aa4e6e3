// Markup from users stays text everywhere the browser shows it: pad names (start page, HTML export
// title), author names (user list, remote caret label, authorship tooltips, chat, timeslider), chat
// messages, saved-revision labels and pad text (editor, timeslider, HTML export). Every payload
// would set `window.__xss` or open a dialog if it ran; the test also fails if a payload turns into
// elements or if the Content-Security-Policy had to block anything, so it catches missing escaping
// even where the CSP would have stopped the script itself.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, editorText, newUser, openPad, pageProblems, pollJson, serverAndBrowser, waitConnected, waitForText } from "./lib.mjs";

const TEST_MS = 90_000;
const env = serverAndBrowser();

const suffix = () => Math.random().toString(36).slice(2, 8);

// Pad ids may hold anything but `/`, `$`, `\` and control characters (at most 50 characters), so a
// closing `</script>` cannot be in one; the rest can.
const IMG_PAD = `<img src=x onerror=window.__xss=1>-${suffix()}`;
const SVG_PAD = `"><svg onload=alert(2)>-${suffix()}`;
const JS_PAD = `javascript:window.__xss=3;-${suffix()}`;
const SCRIPT_PAD = "<script>window.__xss=4</script>";

// Author names are cut to 40 characters by the client; these fit.
const ALICE = "<img src=x onerror=window.__xss=5>";
const BOB = "<script>window.__xss=6</script>";

const CHAT = `<img src=x onerror=alert(7)> <script>window.__xss=8</script> [x](javascript:window.__xss=9) javascript:alert(10)`;
const TEXT_LINES = [
  "# <script>window.__xss=11</script>",
  "<img src=x onerror=window.__xss=12>",
  "[click me](javascript:window.__xss=13)",
  '<a href="javascript:alert(14)">raw link</a>',
];
const BOB_LINE = "<svg onload=window.__xss=15></svg>";
const SAVED_LABEL = "<img src=x onerror=window.__xss=16>";

/** Elements no payload may turn into, anywhere in a page's body. */
const INJECTED = 'script:not([src]), img:not([src^="/static/"]):not(.cm-widgetBuffer), svg:not(.icon), iframe, object, embed, [onerror], [onload], a[href^="javascript:" i]';

/** Record what would show a payload ran: dialogs, uncaught errors, CSP violations. */
function watch(page) {
  const seen = [];
  page.on("dialog", (d) => {
    seen.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("pageerror", (err) => seen.push(`uncaught: ${err.message}`));
  page.on("console", (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) seen.push(`csp: ${msg.text()}`);
  });
  return seen;
}

/** Nothing ran and nothing was injected in `page`. */
async function assertInert(page, seen, where) {
  assert.equal(await page.evaluate(() => typeof window.__xss), "undefined", `${where}: a payload ran`);
  const injected = await page.evaluate((sel) => Array.from(document.body.querySelectorAll(sel), (el) => el.outerHTML.slice(0, 120)), INJECTED);
  assert.deepEqual(injected, [], `${where}: payload markup became elements`);
  assert.deepEqual([...seen, ...pageProblems(page)], [], `${where}: the page reported problems`);
}

/** Wait until some element matching `selector` has exactly `text` as its text content. */
async function waitForExactText(page, selector, text) {
  await page.waitForFunction(
    ([sel, want]) => Array.from(document.querySelectorAll(sel)).some((el) => el.textContent === want),
    [selector, text],
    { timeout: WAIT_MS },
  );
}

/** Wait until some element matching `selector` has attribute `name` equal to `value`. */
async function waitForAttribute(page, selector, name, value) {
  await page.waitForFunction(
    ([sel, attr, want]) => Array.from(document.querySelectorAll(sel)).some((el) => el.getAttribute(attr) === want),
    [selector, name, value],
    { timeout: WAIT_MS },
  );
}

async function api(fn, params) {
  const key = await env.server.apiKey();
  const res = await fetch(`${env.server.url}/api/1.2.13/${fn}`, { method: "POST", body: new URLSearchParams({ apikey: key, ...params }) });
  const json = await res.json();
  assert.equal(json.code, 0, `${fn}: ${JSON.stringify(json)}`);
  return json.data;
}

test("markup in pad names, author names, chat, labels and text never runs or renders", { timeout: TEST_MS }, async () => {
  // A pad id with `/` is refused outright: the API answers without HTML, and the pad page is the
  // static page (which explains the bad name as text), never the name reflected into markup.
  const api400 = await fetch(`${env.server.url}/api/v1/pads/${encodeURIComponent(SCRIPT_PAD)}/text`);
  assert.equal(api400.status, 400);
  assert.doesNotMatch(api400.headers.get("content-type") ?? "", /html/);
  const page400 = await fetch(`${env.server.url}/p/${encodeURIComponent(SCRIPT_PAD)}`);
  assert.equal(page400.status, 400);
  assert.ok(!(await page400.text()).includes("__xss"), "the bad name is not reflected");
  await api("createPad", { padID: SVG_PAD, text: "svg pad\n" });
  await api("createPad", { padID: JS_PAD, text: "javascript pad\n" });

  // Alice writes the payloads and chats; Bob watches, then adds a line.
  const alice = await newUser(env.browser, { name: ALICE, color: "#e6194b" });
  const bob = await newUser(env.browser, { name: BOB, color: "#4363d8" });
  const a = await openPad(alice, env.server.url, IMG_PAD);
  const aSeen = watch(a);
  const b = await openPad(bob, env.server.url, IMG_PAD);
  const bSeen = watch(b);
  await a.locator(".cm-content").click();
  await a.keyboard.insertText(TEXT_LINES.join("\n"));
  const text = TEXT_LINES.join("\n");
  await waitForText(b, TEXT_LINES.at(-1));
  assert.equal(await editorText(b), text, "the editor shows the Markdown literally");
  assert.equal(await b.title(), `${IMG_PAD} · ypad`);
  assert.equal(await b.locator("#pad-name").textContent(), IMG_PAD);

  await a.locator("#chat-input").fill(CHAT);
  await a.locator("#chat-input").press("Enter");
  await waitForExactText(b, "#chat-log .chat-text", CHAT);
  await waitForExactText(b, "#chat-log .chat-author", ALICE);

  // Bob sees Alice by name in the user list, on her caret and on her text's authorship marks.
  await waitForExactText(b, "#user-list .user-name", ALICE);
  await waitForExactText(a, "#user-list .user-name", BOB);
  await waitForExactText(b, ".cm-ySelectionInfo", ALICE);
  await waitForAttribute(b, ".cm-content [data-author]", "title", ALICE);

  await b.locator(".cm-content").click();
  await b.keyboard.press("Control+End");
  await b.keyboard.insertText(`\n${BOB_LINE}`);
  await waitForText(a, BOB_LINE);
  await waitForExactText(a, ".cm-ySelectionInfo", BOB);
  await waitForAttribute(a, ".cm-content [data-author]", "title", BOB);
  const full = `${text}\n${BOB_LINE}`;
  assert.equal(await editorText(a), full);

  // Alice stars the head with a label made of markup.
  const padUrl = `${env.server.url}/api/v1/pads/${encodeURIComponent(IMG_PAD)}`;
  const { head } = await pollJson(a.request, `${padUrl}/revisions?from=1&to=1`);
  const saved = await a.request.post(`${padUrl}/saved`, { data: { rev: head, label: SAVED_LABEL } });
  assert.ok(saved.ok(), `saving a revision: ${saved.status()} ${await saved.text()}`);

  await assertInert(a, aSeen, "Alice's pad page");
  await assertInert(b, bSeen, "Bob's pad page");

  // The start page lists the pads this browser opened, all three by their literal names, linking
  // to their pad pages.
  const viewer = await newUser(env.browser, { name: "Viewer", color: "#911eb4" });
  const start = await viewer.newPage();
  start.setDefaultTimeout(WAIT_MS);
  const startSeen = watch(start);
  for (const id of [IMG_PAD, SVG_PAD, JS_PAD]) {
    await start.goto(`${env.server.url}/p/${encodeURIComponent(id)}`);
    await waitConnected(start);
  }
  await start.goto(`${env.server.url}/`);
  for (const id of [IMG_PAD, SVG_PAD, JS_PAD]) await waitForExactText(start, "#recent-list .recent-link", id);
  const links = await start.locator("#recent-list .recent-link").evaluateAll((els) => els.map((el) => [el.textContent, el.getAttribute("href")]));
  for (const [id, href] of links) assert.equal(href, `/p/${encodeURIComponent(id)}`, `link of ${id}`);
  await assertInert(start, startSeen, "the start page");

  // The timeslider shows the text, both authors and the saved label literally.
  const ts = await viewer.newPage();
  ts.setDefaultTimeout(WAIT_MS);
  const tsSeen = watch(ts);
  await ts.goto(`${env.server.url}/p/${encodeURIComponent(IMG_PAD)}/timeslider#${head}`);
  await ts.locator(`#ts-text[data-rev="${head}"]`).waitFor({ state: "attached" });
  assert.equal(await ts.locator("#ts-text").textContent(), full);
  assert.equal(await ts.title(), `${IMG_PAD} · Timeslider · ypad`);
  await waitForExactText(ts, "#ts-authors .ts-author .user-name", ALICE);
  await waitForExactText(ts, "#ts-authors .ts-author .user-name", BOB);
  await waitForAttribute(ts, "#ts-text .author-mark", "title", ALICE);
  await waitForAttribute(ts, "#ts-text .author-mark", "title", BOB);
  assert.ok((await ts.locator("#ts-by").textContent()).includes(BOB), await ts.locator("#ts-by").textContent());
  await ts.locator("#ts-saved-box summary").click();
  await waitForExactText(ts, "#ts-saved button", SAVED_LABEL);
  await waitForAttribute(ts, "#ts-marks .ts-mark", "aria-label", `Saved: ${SAVED_LABEL}`);
  await assertInert(ts, tsSeen, "the timeslider");

  // The HTML export, at the head and at a past revision, is inert even without the CSP it is
  // served with: loaded as a plain document, nothing in it may run.
  for (const path of [`/p/${encodeURIComponent(IMG_PAD)}/export/html`, `/p/${encodeURIComponent(IMG_PAD)}/${head}/export/html`]) {
    const res = await viewer.request.get(`${env.server.url}${path}`);
    assert.ok(res.ok(), path);
    const doc = await viewer.newPage();
    const docSeen = watch(doc);
    await doc.setContent(await res.text(), { waitUntil: "load" });
    assert.equal(await doc.title(), IMG_PAD, `${path}: title`);
    const shown = await doc.evaluate(() => document.body.textContent);
    for (const literal of ["<script>window.__xss=11</script>", "<img src=x onerror=window.__xss=12>", '<a href="javascript:alert(14)">raw link</a>', BOB_LINE]) {
      assert.ok(shown.includes(literal), `${path} shows ${literal} as text: ${shown}`);
    }
    const hrefs = await doc.evaluate(() => Array.from(document.querySelectorAll("a"), (el) => el.getAttribute("href") ?? ""));
    for (const href of hrefs) assert.doesNotMatch(href.trim(), /^javascript:/i, `${path}: a link runs script`);
    await assertInert(doc, docSeen, path);
    await doc.close();
  }

  await Promise.all([alice.close(), bob.close(), viewer.close()]);
});
