// End-to-end tests of authorship colours and identity: each author's text is marked in the author's
// colour with their name as a tooltip (also in a tab opened later, from the server's map), the
// toolbar toggle removes the colours, renames reach the server and the other tabs, and a browser
// with no name of its own takes the one the server remembers.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, newUser, openPad, pageProblems, serverAndBrowser, typeAtEnd, uniquePad, waitForText } from "./lib.mjs";

const TEST_MS = 60_000;
const env = serverAndBrowser();

const ALICE = { name: "Alice", color: "#e6194b", rgb: "230, 25, 75" };
const BOB = { name: "Bob", color: "#4363d8", rgb: "67, 99, 216" };

/** In the page: the marked runs of text as `{ text, title, author, background }`. */
function readMarks() {
  return Array.from(document.querySelectorAll(".cm-content .author-mark"), (m) => ({
    text: m.textContent,
    title: m.getAttribute("title"),
    author: m.dataset.author,
    background: getComputedStyle(m).backgroundColor,
  }));
}

/** Wait until some mark with this title contains `text`. */
async function waitForMark(page, title, text) {
  await page.waitForFunction(
    ([t, x]) => Array.from(document.querySelectorAll(".cm-content .author-mark")).some((m) => m.getAttribute("title") === t && m.textContent.includes(x)),
    [title, text],
    { timeout: WAIT_MS },
  );
}

async function authorId(context) {
  const res = await context.request.get(`${env.server.url}/api/v1/me`);
  assert.ok(res.ok());
  return (await res.json()).authorId;
}

test("each author's text carries their colour and name, also in a tab opened later", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("authors");
  const alice = await newUser(env.browser, ALICE);
  const bob = await newUser(env.browser, BOB);
  const a = await openPad(alice, env.server.url, pad);
  const b = await openPad(bob, env.server.url, pad);

  await a.locator(".cm-content").click();
  await a.keyboard.insertText("Alice wrote this line.\n");
  await waitForText(b, "Alice wrote this line.");
  await typeAtEnd(b, "Bob added this one.");
  await waitForText(a, "Bob added this one.");
  // Your own text is marked as yours, and the other person's as theirs.
  await waitForMark(a, "Alice", "Alice wrote this line.");
  await waitForMark(a, "Bob", "Bob added this one.");

  const carol = await newUser(env.browser, { name: "Carol", color: "#3cb44b" });
  const c = await openPad(carol, env.server.url, pad);
  await waitForMark(c, "Alice", "Alice wrote this line.");
  await waitForMark(c, "Bob", "Bob added this one.");
  const marks = await c.evaluate(readMarks);
  const aliceId = await authorId(alice);
  const bobId = await authorId(bob);
  for (const m of marks) {
    const who = m.title === "Alice" ? { id: aliceId, ...ALICE } : m.title === "Bob" ? { id: bobId, ...BOB } : null;
    assert.ok(who, `unexpected mark ${JSON.stringify(m)}`);
    assert.equal(m.author, who.id);
    assert.match(m.background, new RegExp(`^rgba\\(${who.rgb}, 0\\.\\d+\\)$`), `${m.title}'s background`);
    assert.ok(m.text.length > 0);
  }
  // Nothing unmarked: every character has an author.
  assert.equal(marks.map((m) => m.text).join(""), "Alice wrote this line.Bob added this one.");

  // The toggle removes the colours (the marks, not only their paint) and is remembered.
  const toggle = c.locator("#author-colors-toggle");
  assert.equal(await toggle.getAttribute("aria-pressed"), "true");
  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-pressed"), "false");
  await c.locator(".cm-content .author-mark").first().waitFor({ state: "detached" });
  await c.reload();
  await waitForText(c, "Bob added this one.");
  assert.equal(await c.locator("#author-colors-toggle").getAttribute("aria-pressed"), "false");
  assert.deepEqual(await c.evaluate(readMarks), [], "still off after a reload");
  await c.locator("#author-colors-toggle").click();
  await waitForMark(c, "Bob", "Bob added this one.");
  assert.ok((await c.evaluate(readMarks)).every((m) => m.background !== "rgba(0, 0, 0, 0)"), "shown again");

  assert.deepEqual([...pageProblems(a), ...pageProblems(b), ...pageProblems(c)], []);
  await Promise.all([alice.close(), bob.close(), carol.close()]);
});

test("a rename reaches the server and the marks in other tabs", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("rename");
  const alice = await newUser(env.browser, ALICE);
  const bob = await newUser(env.browser, BOB);
  const a = await openPad(alice, env.server.url, pad);
  const b = await openPad(bob, env.server.url, pad);
  await typeAtEnd(b, "Bob's words");
  await waitForMark(a, "Bob", "Bob's words");

  await b.locator(".user-name-input").fill("Robert");
  await b.locator(".user-color-input").evaluate((el) => {
    el.value = "#0c8599";
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
  // The server's author record follows…
  const deadline = Date.now() + WAIT_MS;
  let me;
  do {
    me = await (await bob.request.get(`${env.server.url}/api/v1/me`)).json();
    if (me.name === "Robert" && me.color === "#0c8599") break;
    await new Promise((r) => setTimeout(r, 100)); // retry interval of the poll
  } while (Date.now() < deadline);
  assert.deepEqual([me.name, me.color], ["Robert", "#0c8599"]);
  // …and so do the marks, in Bob's tab and in Alice's.
  await waitForMark(b, "Robert", "Bob's words");
  await waitForMark(a, "Robert", "Bob's words");
  const mark = (await a.evaluate(readMarks)).find((m) => m.title === "Robert");
  assert.match(mark.background, /^rgba\(12, 133, 153, 0\.\d+\)$/);

  assert.deepEqual([...pageProblems(a), ...pageProblems(b)], []);
  await Promise.all([alice.close(), bob.close()]);
});

test("a browser with no name of its own takes the one the server remembers", { timeout: TEST_MS }, async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  // The same browser (cookie) named itself earlier, e.g. before its storage was cleared.
  assert.ok((await context.request.get(`${env.server.url}/api/v1/me`)).ok());
  const res = await context.request.post(`${env.server.url}/api/v1/me`, { data: { name: "Dora", color: "#2f9e44" } });
  assert.ok(res.ok(), await res.text());
  const bad = await context.request.post(`${env.server.url}/api/v1/me`, { data: { color: "red" }, failOnStatusCode: false });
  assert.equal(bad.status(), 400);

  const d = await openPad(context, env.server.url, uniquePad("identity"));
  await d.waitForFunction(() => document.querySelector(".user-name-input")?.value === "Dora", null, { timeout: WAIT_MS });
  assert.equal(await d.locator(".user-color-input").inputValue(), "#2f9e44");
  const stored = await d.evaluate(() => JSON.parse(localStorage.getItem("ypad:user")));
  assert.deepEqual(stored, { name: "Dora", color: "#2f9e44" });
  assert.deepEqual(pageProblems(d), []);
  await context.close();
});
