// End-to-end tests of the editor as moderators use it: Etherpad's formatting shortcuts, clickable
// links and task boxes, the read-only reading view, the phone toolbar, distinct author colours,
// presence across a network blip, pasted HTML, and the smaller habits (quotes, undo by words,
// right-to-left lines, keyboard ways out of the text).

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, editorText, newUser, openPad, pageProblems, pollJson, serverAndBrowser, typeAtEnd, uniquePad, waitConnected, waitForText } from "./lib.mjs";

const TEST_MS = 90_000;
const env = serverAndBrowser();

/** The text the server stores for `pad`, once it contains `needle`. */
async function storedText(request, pad, needle) {
  const url = `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}/text`;
  const deadline = Date.now() + WAIT_MS;
  let text = "";
  while (Date.now() < deadline) {
    const res = await request.get(url, { failOnStatusCode: false });
    if (res.ok()) {
      text = await res.text();
      if (text.includes(needle)) return text;
    }
    await new Promise((r) => setTimeout(r, 100)); // retry interval of the poll
  }
  throw new Error(`the stored text never contained ${JSON.stringify(needle)}; last: ${JSON.stringify(text)}`);
}

/** Viewport coordinates of the middle of the first occurrence of `needle` in the editor's text. */
async function textPoint(page, needle) {
  const point = await page.evaluate((n) => {
    for (const line of document.querySelectorAll(".cm-content .cm-line")) {
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.textContent.indexOf(n);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + n.length);
        const r = range.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      }
    }
    return null;
  }, needle);
  assert.ok(point, `no ${JSON.stringify(needle)} on screen`);
  return point;
}

async function onePerson(pad, opts = {}) {
  const context = await newUser(env.browser, { name: "Alice", color: "#e6194b", ...opts });
  const page = await openPad(context, env.server.url, pad);
  return { context, page };
}

test("Ctrl+B, type, Ctrl+B ends the bold without stray markers (and Ctrl+I, Ctrl+5 likewise)", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-bold");
  const { context, page } = await onePerson(pad);
  await page.locator(".cm-content").click();
  await page.keyboard.type("Owner: ");
  await page.keyboard.press("Control+b");
  await page.keyboard.type("Alice");
  await page.keyboard.press("Control+b");
  await page.keyboard.type(" by Friday, ");
  await page.keyboard.press("Control+i");
  await page.keyboard.type("maybe");
  await page.keyboard.press("Control+i");
  await page.keyboard.type(" ");
  await page.keyboard.press("Control+5");
  await page.keyboard.type("Monday");
  await page.keyboard.press("Control+5");
  await page.keyboard.type(".");
  assert.equal(await storedText(context.request, pad, "Monday~~."), "Owner: **Alice** by Friday, *maybe* ~~Monday~~.");
  // A selection that is already bold is unwrapped by a second press.
  await page.keyboard.press("Home");
  await page.keyboard.press("Shift+End");
  await page.keyboard.press("Control+b");
  await page.keyboard.press("Control+b");
  assert.equal(await editorText(page), "Owner: **Alice** by Friday, *maybe* ~~Monday~~.");
  assert.deepEqual(pageProblems(page), []);
  await context.close();
});

test("Ctrl+U is answered, not passed to the browser, and Ctrl+S saves a labelled revision", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-keys");
  const { context, page } = await onePerson(pad);
  await typeAtEnd(page, "Agenda agreed");
  await page.keyboard.press("Control+u");
  await page.locator("#notice", { hasText: "no underline" }).waitFor();
  assert.equal(await editorText(page), "Agenda agreed");
  await storedText(context.request, pad, "Agenda agreed");
  await page.keyboard.press("Control+s");
  const label = page.locator("#save-revision-label");
  await label.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "save-revision-label");
  await label.fill("After the agenda");
  await label.press("Enter");
  await page.locator("#notice", { hasText: "Saved revision" }).waitFor();
  const list = await pollJson(context.request, `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}/revisions?from=1&to=1`);
  assert.deepEqual(list.saved.map((s) => s.label), ["After the agenda"]);
  assert.deepEqual(pageProblems(page), []);
  await context.close();
});

test("Ctrl+click on a link opens it in a new tab, and a click toggles a task box", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-click");
  const { context, page } = await onePerson(pad);
  const target = `${env.server.url}/?from-link`;
  await typeAtEnd(page, `See [the start page](${target}) now.\n`);
  await page.keyboard.insertText("- [ ] buy milk");
  await storedText(context.request, pad, "buy milk");

  // A plain click on the link only moves the caret…
  const link = await textPoint(page, "start page");
  await page.mouse.click(link.x, link.y);
  assert.equal(context.pages().length, 1);
  // …Ctrl+click opens it, without a handle back to the pad.
  await page.keyboard.down("Control");
  const [tab] = await Promise.all([context.waitForEvent("page"), page.mouse.click(link.x, link.y)]);
  await page.keyboard.up("Control");
  await tab.waitForURL(target);
  assert.equal(await tab.evaluate(() => window.opener), null);
  await tab.close();

  const box = await textPoint(page, "[ ]");
  await page.mouse.click(box.x, box.y);
  assert.match(await storedText(context.request, pad, "[x] buy milk"), /- \[x\] buy milk$/);
  const done = await textPoint(page, "[x]");
  await page.mouse.click(done.x, done.y);
  assert.match(await storedText(context.request, pad, "[ ] buy milk"), /- \[ \] buy milk$/);
  assert.deepEqual(pageProblems(page), []);
  await context.close();
});

test("a read-only tab shows the pad's title, reads as a document and only counts as watching", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-ro");
  const { context, page } = await onePerson(pad);
  await typeAtEnd(page, `# Weekly sync\nThe **plan** and a [link](${env.server.url}/?from-reading-view).`);
  const meta = await pollJson(context.request, `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}`);
  assert.ok(meta.readOnlyId);

  const carol = await newUser(env.browser, { name: "Carol", color: "#3cb44b" });
  const r = await openPad(carol, env.server.url, meta.readOnlyId);
  await waitForText(r, "Weekly sync");
  await r.waitForFunction(() => document.title.startsWith("Weekly sync"), null, { timeout: WAIT_MS });
  assert.equal(await r.locator("#pad-name").textContent(), "Weekly sync");
  assert.ok(!(await r.title()).includes(pad) && !(await r.title()).includes(meta.readOnlyId));
  // The reading view: no Markdown markers, no name field.
  assert.equal(await editorText(r), "Weekly sync\nThe plan and a link.");
  assert.equal(await r.locator("#user-self").isVisible(), false);
  // Alice sees one watcher and nobody else in her list.
  await page.locator("#watching", { hasText: "1 watching" }).waitFor();
  assert.equal(await page.locator("#user-list .user").count(), 0);
  assert.equal(await page.locator("#users-count").textContent(), "1");
  // Nor does the watcher's (absent) caret show up for Alice.
  assert.equal(await page.locator(".cm-ySelectionInfo").count(), 0);
  // The watcher sees no carets: Alice types (her caret moves), then renames herself; once the
  // watcher's list has the new name, the caret, sent before it, would have arrived too.
  await typeAtEnd(page, " More.");
  await page.locator(".user-name-input").fill("Alice B.");
  await r.locator("#user-list .user-name", { hasText: "Alice B." }).waitFor();
  await waitForText(r, "More.");
  assert.equal(await r.locator(".cm-ySelectionInfo, .cm-ySelectionCaret").count(), 0);
  // In the reading view a plain click follows a link.
  const link = await textPoint(r, "link");
  const [tab] = await Promise.all([carol.waitForEvent("page"), r.mouse.click(link.x, link.y)]);
  assert.equal(await tab.evaluate(() => window.opener), null);
  await tab.close();
  assert.deepEqual([...pageProblems(page), ...pageProblems(r)], []);
  await Promise.all([context.close(), carol.close()]);
});

test("on a 390 px phone undo and redo stay in the bar and the rest is behind More", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-phone");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const a = await openPad(alice, env.server.url, pad);
  await a.locator("#chat-input").fill("An old message");
  await a.locator("#chat-input").press("Enter");
  await typeAtEnd(a, "Hello");
  await storedText(alice.request, pad, "Hello");

  const phone = await newUser(env.browser, { name: "Phone", color: "#4363d8", viewport: { width: 390, height: 844 } });
  const p = await openPad(phone, env.server.url, pad);
  await p.locator("#chat-log .chat-msg", { hasText: "An old message" }).waitFor({ state: "attached" });
  assert.equal(await p.locator("#chat-unread").isVisible(), false, "an old message counts as unread");

  const inView = async (selector) => {
    const b = await p.locator(selector).boundingBox();
    assert.ok(b && b.x >= 0 && b.x + b.width <= 390 && b.y >= 0, `${selector} is off screen: ${JSON.stringify(b)}`);
    assert.ok(await p.locator(selector).isVisible(), `${selector} is hidden`);
    return b;
  };
  await inView('[data-cmd="undo"]');
  await inView('[data-cmd="redo"]');
  const name = await inView("#pad-name");
  assert.ok(name.width > 20, "the pad name is cut to nothing");
  const logo = await inView(".brand");
  const first = await inView('[data-cmd="bold"]');
  const apart = logo.x + logo.width <= first.x || first.y >= logo.y + logo.height;
  assert.ok(apart, `the logo ${JSON.stringify(logo)} overlaps the first button ${JSON.stringify(first)}`);

  await p.locator(".cm-content").click();
  await p.keyboard.press("Control+End");
  await p.keyboard.type("!");
  await p.locator('[data-cmd="undo"]').click();
  assert.equal(await editorText(p), "Hello");
  assert.equal(await p.locator('[data-cmd="numbered-list"]').isVisible(), false);
  await p.locator("#format-more-toggle").click();
  await inView('[data-cmd="numbered-list"]');
  await p.locator('[data-cmd="numbered-list"]').click();
  assert.equal(await editorText(p), "1. Hello");
  assert.equal(await p.locator('[data-cmd="numbered-list"]').isVisible(), false, "the menu closes after a choice");
  assert.deepEqual([...pageProblems(a), ...pageProblems(p)], []);
  await Promise.all([alice.close(), phone.close()]);
});

test("twelve authors who all chose one colour get twelve distinct colours", { timeout: 180_000 }, async () => {
  const pad = uniquePad("habit-colors");
  for (let i = 1; i <= 12; i++) {
    const context = await newUser(env.browser, { name: `Person ${i}`, color: "#911eb4" });
    const page = await openPad(context, env.server.url, pad);
    await typeAtEnd(page, `Line by person ${i}\n`);
    await storedText(context.request, pad, `Line by person ${i}\n`);
    assert.deepEqual(pageProblems(page), []);
    await context.close();
  }
  const viewer = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const t = await viewer.newPage();
  await t.goto(`${env.server.url}/p/${encodeURIComponent(pad)}/timeslider`);
  await t.waitForFunction(() => document.querySelectorAll("#ts-authors .ts-author").length === 12, null, { timeout: WAIT_MS });
  const colors = await t.$$eval("#ts-authors .ts-author .user-swatch", (els) => els.map((e) => getComputedStyle(e).backgroundColor));
  assert.equal(new Set(colors).size, 12, `colours: ${colors.join(" ")}`);
  const washes = await t.$$eval("#ts-text .author-mark", (els) => els.map((e) => e.style.getPropertyValue("--author-rgb")));
  assert.equal(new Set(washes).size, 12, `text colours: ${washes.join(" | ")}`);
  // The editor shows each author in the same colour as the timeslider.
  const pad13 = await openPad(viewer, env.server.url, pad);
  const editorWashes = () =>
    pad13.$$eval(".cm-content .author-mark", (els) => Object.fromEntries(els.map((e) => [e.dataset.author, e.style.getPropertyValue("--author-rgb")])));
  await pad13.waitForFunction(() => new Set([...document.querySelectorAll(".cm-content .author-mark")].map((e) => e.dataset.author)).size === 12, null, { timeout: WAIT_MS });
  const inTimeslider = await t.$$eval("#ts-text .author-mark", (els) => Object.fromEntries(els.map((e) => [e.dataset.author, e.style.getPropertyValue("--author-rgb")])));
  assert.deepEqual(await editorWashes(), inTimeslider);
  await viewer.close();
});

test("a participant whose socket drops for a few seconds is listed again as soon as they are back", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-blip");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const bob = await newUser(env.browser, { name: "Bob", color: "#4363d8" });
  // Alice's sockets pass through the test, which can cut them (the server sees them close) and
  // refuse new ones for a while, as a flaky Wi-Fi does.
  let blocked = false;
  const sockets = [];
  await alice.routeWebSocket(/\/ws\//, (ws) => {
    if (blocked) {
      ws.close();
      return;
    }
    sockets.push({ ws, server: ws.connectToServer() });
  });
  const a = await openPad(alice, env.server.url, pad);
  const b = await openPad(bob, env.server.url, pad);
  const aliceInBobsList = b.locator("#user-list .user:not(.user-away) .user-name", { hasText: "Alice" });
  await aliceInBobsList.waitFor();

  blocked = true;
  for (const s of sockets.splice(0)) {
    await s.server.close();
    await s.ws.close();
  }
  // The server saw the socket close and told Bob (who lists her as reconnecting for a moment).
  await aliceInBobsList.waitFor({ state: "detached" });
  await a.locator('#status:not([data-status="connected"])').waitFor();
  blocked = false;
  await waitConnected(a);
  // Alice's message travels after her presence on the same socket: once Bob has it, he must
  // list her again (not 15 s later, at her next routine renewal).
  await a.locator("#chat-input").fill("back online");
  await a.locator("#chat-input").press("Enter");
  await b.locator("#chat-log .chat-msg", { hasText: "back online" }).waitFor();
  assert.equal(await aliceInBobsList.count(), 1, "Alice is missing from Bob's list after her reconnection");
  // And Alice lists Bob again: the server's greeting on her new socket names him.
  await a.locator("#user-list .user:not(.user-away) .user-name", { hasText: "Bob" }).waitFor();
  assert.deepEqual([...pageProblems(a), ...pageProblems(b)], []);
  await Promise.all([alice.close(), bob.close()]);
});

test("pasted HTML arrives as Markdown", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-paste");
  const { context, page } = await onePerson(pad);
  await page.locator(".cm-content").click();
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.setData(
      "text/html",
      '<meta charset="utf-8"><h2>Decisions</h2><p><b>Budget</b> approved, see <a href="https://example.org/budget">the sheet</a>.</p><ul><li>Alice: <i>slides</i></li><li>Bob: venue</li></ul><script>window.pwned = 1</script><img src="https://example.org/logo.png" alt="logo" onerror="window.pwned = 2">',
    );
    data.setData("text/plain", "Decisions Budget approved, see the sheet. Alice: slides Bob: venue");
    document.querySelector(".cm-content").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  const expected = "## Decisions\n\n**Budget** approved, see [the sheet](https://example.org/budget).\n\n- Alice: *slides*\n- Bob: venue\n\n![logo](https://example.org/logo.png)";
  assert.equal(await storedText(context.request, pad, "logo.png"), expected);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(pageProblems(page), []);
  await context.close();
});

test("a 1,000-revision pad plays to the end within seconds at top speed, styled like the editor", { timeout: 120_000 }, async () => {
  const pad = uniquePad("habit-play");
  const key = await env.server.apiKey();
  const api = async (fn, params) => {
    const res = await fetch(`${env.server.url}/api/1.2.13/${fn}`, { method: "POST", body: new URLSearchParams({ apikey: key, padID: pad, ...params }) });
    const json = await res.json();
    assert.equal(json.code, 0, JSON.stringify(json));
  };
  await api("createPad", { text: "# Minutes\n" });
  const TOTAL = 1000;
  let next = 1;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < TOTAL) await api("appendText", { text: `- point **${next++}**\n` });
    }),
  );
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { head } = await pollJson(context.request, `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}/revisions?from=1&to=1`);
  assert.ok(head >= TOTAL, `head ${head}`);
  const t = await context.newPage();
  await t.goto(`${env.server.url}/p/${encodeURIComponent(pad)}/timeslider#1`);
  await t.locator('#ts-text[data-rev="1"]').waitFor({ state: "attached" });
  // The text is styled: the heading as a heading, its marker as a marker.
  assert.equal(await t.locator("#ts-text .md-h1", { hasText: "Minutes" }).count() > 0, true);
  assert.equal(await t.locator("#ts-text .md-mark", { hasText: "#" }).count() > 0, true);

  await t.locator("#ts-speed").selectOption("500");
  await t.locator("#ts-play").click();
  // At one revision per tick this would take minutes; by the pad's clock it takes seconds.
  await t.locator(`#ts-text[data-rev="${head}"]`).waitFor({ state: "attached", timeout: WAIT_MS });
  await t.locator('#ts-play[aria-pressed="false"]').waitFor();
  assert.match(await t.locator("#ts-text").textContent(), /point \*\*999\*\*/);
  assert.ok((await t.locator("#ts-text .md-strong").count()) >= 999);
  await context.close();
});

test("the timeslider jumps to the next saved revision and to the next change by someone else", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-jumps");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const bob = await newUser(env.browser, { name: "Bob", color: "#4363d8" });
  const a = await openPad(alice, env.server.url, pad);
  await typeAtEnd(a, "Alice one. ");
  await a.keyboard.type("Alice two. ");
  await storedText(alice.request, pad, "Alice two. ");
  const b = await openPad(bob, env.server.url, pad);
  await typeAtEnd(b, "Bob here.");
  await storedText(bob.request, pad, "Bob here.");
  const revs = `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}/revisions`;
  const list = await pollJson(alice.request, `${revs}?from=1&to=1000`);
  const firstBob = list.revisions.find((r) => r.author !== list.revisions[0].author).rev;
  assert.ok((await alice.request.post(`${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}/saved`, { data: { rev: 3, label: "three" } })).ok());

  const t = await alice.newPage();
  await t.goto(`${env.server.url}/p/${encodeURIComponent(pad)}/timeslider#1`);
  await t.locator('#ts-text[data-rev="1"]').waitFor({ state: "attached" });
  await t.locator("#ts-next-saved:not([disabled])").click();
  await t.locator('#ts-text[data-rev="3"]').waitFor({ state: "attached" });
  await t.locator("#ts-next-author:not([disabled])").click();
  await t.locator(`#ts-text[data-rev="${firstBob}"]`).waitFor({ state: "attached" });
  assert.match(await t.locator("#ts-by").textContent(), /Bob/);
  assert.deepEqual([...pageProblems(a), ...pageProblems(b)], []);
  await Promise.all([alice.close(), bob.close()]);
});

test("smaller habits: quotes end on one Enter, undo goes by words, lines take their own direction, keys lead out of the text", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("habit-small");
  const { context, page } = await onePerson(pad);
  await page.locator(".cm-content").click();
  await page.keyboard.type("> quoted");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await page.keyboard.type("after");
  assert.equal(await editorText(page), "> quoted\n\nafter");

  // Typed without a pause, undone a word at a time.
  await page.keyboard.press("Enter");
  await page.keyboard.type("one two three");
  await page.keyboard.press("Control+z");
  assert.equal(await editorText(page), "> quoted\n\nafter\none two ");
  await page.keyboard.press("Control+z");
  assert.equal(await editorText(page), "> quoted\n\nafter\none ");

  await page.keyboard.press("Enter");
  await page.keyboard.insertText("שלום עולם");
  const dirs = await page.$$eval(".cm-content .cm-line", (lines) => lines.map((l) => getComputedStyle(l).direction));
  assert.equal(dirs[dirs.length - 1], "rtl");
  assert.equal(dirs[0], "ltr");

  // Ctrl+K with nothing selected: fill in the text, Tab, then the address.
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+k");
  await page.keyboard.type("docs");
  await page.keyboard.press("Tab");
  await page.keyboard.type("https://example.org/docs");
  assert.match(await editorText(page), /\[docs\]\(https:\/\/example\.org\/docs\)$/);

  // Alt+F9 leads from the text to the toolbar; the share dialog takes the focus when opened.
  await page.keyboard.press("Alt+F9");
  assert.equal(await page.evaluate(() => document.activeElement?.closest("#format-tools") !== null), true);
  await page.locator("#share-toggle").click();
  assert.equal(await page.evaluate(() => document.activeElement?.closest("#share-menu") !== null), true);
  // The line-numbers button no longer looks like a heading's `#`.
  assert.equal(await page.locator('[data-cmd="line-numbers"] .icon-lineNumbers rect').count(), 1);
  assert.deepEqual(pageProblems(page), []);
  await context.close();
});

test("the start page says how it rewrites a pad name before opening it", { timeout: TEST_MS }, async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(env.server.url);
  await page.locator("#pad-name-input").fill("weekly: board notes");
  await page.locator("#name-hint", { hasText: "“weekly__board_notes”" }).waitFor();
  await page.locator("#pad-name-input").fill("plain-name");
  assert.equal(await page.locator("#name-hint").isVisible(), false);
  await context.close();
});
