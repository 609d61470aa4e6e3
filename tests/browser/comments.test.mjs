// Comments on the pad page, between tabs of different people: a comment made in one appears in the
// other beside its text, follows the text as people type before it, is orphaned when its text is
// deleted; replies, resolving and reopening sync; threads survive a server restart, come back from
// offline, show in the timeslider as they were at a revision, leave in the Markdown and HTML exports
// as footnotes, and arrive from an Etherpad with ep_comments_page. Takes the README's screenshot of
// the comment margin (web/comments.png).

import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { WAIT_MS, newUser, openPad, pageProblems, serverAndBrowser, typeAtEnd, uniquePad, waitConnected, waitForText } from "./lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHOT = path.join(ROOT, "web/comments.png");
const FIXTURE = path.join(ROOT, "crates/ypad-formats/tests/fixtures/ep_comments_page/demo.etherpad");

const env = serverAndBrowser();
const wide = { width: 1440, height: 820 };

/** Selects `word` in the editor by double-clicking it (the first text node that holds it). */
async function selectWord(page, word) {
  const box = await page.evaluate((w) => {
    const walker = document.createTreeWalker(document.querySelector(".cm-content"), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const at = n.data.indexOf(w);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(n, at);
      range.setEnd(n, at + w.length);
      const r = range.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    }
    return null;
  }, word);
  assert.ok(box, `${word} is on screen`);
  await page.mouse.dblclick(box.x, box.y);
}

/** Comments on `word` through the toolbar's "Comment" button and the "Comment" box (Ctrl+Enter). */
async function addComment(page, word, text) {
  await selectWord(page, word);
  await page.getByRole("button", { name: "Comment", exact: true }).click();
  const box = page.getByRole("textbox", { name: "Comment", exact: true });
  await box.fill(text);
  await box.press("Control+Enter");
  await box.waitFor({ state: "detached" });
}

const thread = (page, text) => page.locator(".comment-thread", { hasText: text });

/** The text marked in the editor for thread `id`. */
function anchorText(page, id) {
  return page.evaluate((i) => Array.from(document.querySelectorAll(`.cm-comment-anchor[data-thread="${i}"]`), (m) => m.textContent).join(""), id);
}

async function waitAnchor(page, id, expected) {
  await page.waitForFunction(
    ([i, e]) => Array.from(document.querySelectorAll(`.cm-comment-anchor[data-thread="${i}"]`), (m) => m.textContent).join("") === e,
    [id, expected],
    { timeout: WAIT_MS },
  );
}

test("a comment appears in the other tab at its text, follows it, syncs replies and resolution, and is orphaned when its text goes", { timeout: 120_000 }, async () => {
  const pad = "release-planning"; // named for the screenshot; no other test here uses it
  const ada = await newUser(env.browser, { name: "Ada", color: "#c2255c", viewport: wide });
  const bob = await newUser(env.browser, { name: "Bob", color: "#1c7ed6", viewport: wide });
  const a = await openPad(ada, env.server.url, pad);
  const b = await openPad(bob, env.server.url, pad);
  await typeAtEnd(a, "# Release\n\nWe ship the release on Friday after the review.\n\nThe budget stays as planned.\n");
  await waitForText(b, "stays as planned");

  await addComment(a, "Friday", "Friday is a holiday in some offices. Monday?");
  const card = thread(b, "Friday is a holiday");
  await card.waitFor();
  const id = await card.getAttribute("data-thread");
  assert.match(id, /^c-[0-9a-f]+$/);
  await waitAnchor(b, id, "Friday");
  assert.equal(await card.locator(".comment-author").first().textContent(), "Ada");
  assert.equal(await b.locator("#comments-count").textContent(), "1");
  // In the margin, level with its line.
  const [cardTop, markTop] = await b.evaluate((i) => {
    const c = document.querySelector(`.comment-thread[data-thread="${i}"]`).getBoundingClientRect();
    const m = document.querySelector(`.cm-comment-anchor[data-thread="${i}"]`).getBoundingClientRect();
    return [c.top, m.top];
  }, id);
  assert.ok(Math.abs(cardTop - markTop) < 30, `card at ${cardTop}, its text at ${markTop}`);

  // Typing before it, in the other tab, moves it along.
  await selectWord(b, "ship");
  await b.keyboard.press("Home");
  await b.keyboard.type("Plan: ");
  await waitForText(a, "Plan: We ship");
  await waitAnchor(a, id, "Friday");
  await waitAnchor(b, id, "Friday");

  // A reply, then resolve and reopen, from either side.
  await card.getByRole("button", { name: "Reply" }).click();
  const reply = card.getByRole("textbox", { name: "Reply" });
  await reply.fill("Monday works for me.");
  await card.getByRole("button", { name: "Post" }).click();
  const aCard = thread(a, "Friday is a holiday");
  await aCard.getByText("Monday works for me.").waitFor();
  assert.deepEqual(await aCard.locator(".comment-author").allTextContents(), ["Ada", "Bob"]);

  await addComment(b, "budget", "Which budget: travel or tooling?");
  await thread(a, "Which budget").waitFor();
  await a.locator("#comments-count", { hasText: "2" }).waitFor();
  await b.waitForTimeout(300); // let the margin settle for the screenshot (a picture, not a check)
  await b.screenshot({ path: SHOT });
  assert.ok((await stat(SHOT)).size < 200 * 1024, "the screenshot stays small");

  await aCard.getByRole("button", { name: "Resolve" }).click();
  await card.getByRole("button", { name: "Reopen" }).waitFor();
  await b.locator("#comments-count", { hasText: "1" }).waitFor();
  await b.waitForFunction((i) => !document.querySelector(`.cm-comment-anchor[data-thread="${i}"]`), id);
  await card.getByRole("button", { name: "Reopen" }).click();
  await aCard.getByRole("button", { name: "Resolve" }).waitFor();
  await waitAnchor(b, id, "Friday");

  // Deleting its text orphans the thread, which stays.
  await selectWord(b, "Friday");
  await b.keyboard.press("Backspace");
  await waitForText(a, "release on  after");
  await aCard.getByText("The commented text was deleted.").waitFor();
  assert.equal(await anchorText(a, id), "");
  assert.ok(await aCard.evaluate((el) => el.classList.contains("orphaned")));

  assert.deepEqual([...pageProblems(a), ...pageProblems(b)], []);
  await ada.close();
  await bob.close();
});

test("comments leave in the Markdown and HTML exports as footnotes at their text", { timeout: 60_000 }, async () => {
  const pad = uniquePad("comments-export");
  const ada = await newUser(env.browser, { name: "Ada", color: "#c2255c", viewport: wide });
  const a = await openPad(ada, env.server.url, pad);
  await typeAtEnd(a, "Ship on Friday.\n");
  await addComment(a, "Friday", "Is <b>Friday</b> a holiday?");
  const url = (kind) => `${env.server.url}/p/${pad}/export/${kind}?comments=1`;
  // The browser's relative positions, read by the server.
  let md = "";
  const deadline = Date.now() + WAIT_MS;
  while (!md.includes("[^comment-1]:") && Date.now() < deadline) {
    md = await (await a.request.get(url("markdown"))).text();
    if (!md.includes("[^comment-1]:")) await new Promise((r) => setTimeout(r, 100)); // poll interval
  }
  assert.ok(md.startsWith("Ship on Friday[^comment-1].\n"), md);
  assert.match(md, /\[\^comment-1\]: On “Friday”:\n {4}\n {4}\*\*Ada\*\*, .* GMT:\n {4}Is <b>Friday<\/b> a holiday\?/);
  const html = await (await a.request.get(url("html"))).text();
  assert.match(html, /Friday<sup class="footnote-reference"><a href="#comment-1">1<\/a><\/sup>/);
  assert.ok(html.includes("Is &lt;b&gt;Friday&lt;/b&gt; a holiday?"), html);
  await ada.close();
});

test("comments survive a server restart and come back from offline", { timeout: 120_000 }, async () => {
  const pad = uniquePad("comments-durable");
  let ada = await newUser(env.browser, { name: "Ada", color: "#c2255c", viewport: wide });
  let a = await openPad(ada, env.server.url, pad);
  await typeAtEnd(a, "Keep this decision.\nAnd this one.\n");
  await addComment(a, "decision", "Recorded by Ada.");
  await ada.close();

  await env.server.restart();
  ada = await newUser(env.browser, { name: "Ada", color: "#c2255c", viewport: wide });
  const bob = await newUser(env.browser, { name: "Bob", color: "#1c7ed6", viewport: wide });
  a = await openPad(ada, env.server.url, pad);
  const b = await openPad(bob, env.server.url, pad);
  const card = thread(a, "Recorded by Ada.");
  await card.waitFor();
  await waitAnchor(a, await card.getAttribute("data-thread"), "decision");

  // Offline, Bob comments; it reaches Ada once he is back.
  await bob.setOffline(true);
  await b.locator('#status[data-status="offline"]').waitFor();
  await addComment(b, "one", "Written on the train.");
  await thread(b, "Written on the train.").waitFor();
  assert.equal(await thread(a, "Written on the train.").count(), 0, "not before Bob is back");
  await bob.setOffline(false);
  await waitConnected(b);
  const late = thread(a, "Written on the train.");
  await late.waitFor();
  await waitAnchor(a, await late.getAttribute("data-thread"), "one");
  await ada.close();
  await bob.close();
});

test("the timeslider shows the comments as they were at the revision shown", { timeout: 60_000 }, async () => {
  const pad = uniquePad("comments-history");
  const ada = await newUser(env.browser, { name: "Ada", color: "#c2255c", viewport: wide });
  const a = await openPad(ada, env.server.url, pad);
  await typeAtEnd(a, "Agenda: budget\n");
  await addComment(a, "budget", "Travel or tooling?");
  await typeAtEnd(a, "Next: hiring\n");
  await waitForText(a, "Next: hiring");

  const ts = await ada.newPage();
  ts.setDefaultTimeout(WAIT_MS);
  const head = async () => (await (await ts.request.get(`${env.server.url}/api/v1/pads/${pad}`)).json()).revisions;
  let rev = 0;
  const deadline = Date.now() + WAIT_MS;
  while (rev < 20 && Date.now() < deadline) rev = await head(); // the typing is stored in batches
  await ts.goto(`${env.server.url}/p/${pad}/timeslider#${rev}`);
  const card = ts.locator(".comment-thread", { hasText: "Travel or tooling?" });
  await card.waitFor();
  assert.equal(await ts.locator('mark.cm-comment-anchor').first().textContent(), "budget");
  assert.equal(await card.getByRole("button").count(), 0, "the timeslider's threads are read-only");

  // Revision 1 is the first keystroke: no comment yet.
  await ts.goto(`${env.server.url}/p/${pad}/timeslider#1`);
  await ts.reload();
  await ts.locator('#ts-text[data-rev="1"]').waitFor();
  await ts.waitForFunction(() => document.querySelectorAll(".comment-thread").length === 0);
  await ada.close();
});

test("an .etherpad file from an Etherpad with ep_comments_page opens with its comments; a read-only view shows them without controls", { timeout: 60_000 }, async () => {
  const pad = uniquePad("comments-import");
  const ada = await newUser(env.browser, { name: "Ada", color: "#c2255c", viewport: wide });
  const page = await ada.newPage();
  const res = await page.request.post(`${env.server.url}/p/${pad}/import`, {
    multipart: { file: { name: "demo.etherpad", mimeType: "application/json", buffer: await readFile(FIXTURE) } },
  });
  assert.equal(res.status(), 200, await res.text());
  const a = await openPad(ada, env.server.url, pad);
  const friday = thread(a, "Is Friday a holiday somewhere?");
  await friday.waitFor();
  await friday.getByText("No, Friday works everywhere.").waitFor();
  assert.deepEqual(await friday.locator(".comment-author").allTextContents(), ["Bob", "Ada"]);
  await waitAnchor(a, "c-abc123", "Friday");
  await waitAnchor(a, "c-def456", "unchanged");

  const meta = await (await page.request.get(`${env.server.url}/api/v1/pads/${pad}`)).json();
  const ro = await openPad(ada, env.server.url, meta.readOnlyId);
  await thread(ro, "Is Friday a holiday somewhere?").waitFor();
  assert.equal(await ro.getByRole("button", { name: "Reply" }).count(), 0);
  assert.equal(await ro.getByRole("button", { name: "Comment", exact: true }).isVisible(), false);
  await ada.close();
});

test("beside the reading view the threads leave the margin for the drawer, and come back when it closes", { timeout: 60_000 }, async () => {
  const pad = uniquePad("comments-reading");
  const ada = await newUser(env.browser, { name: "Ada", color: "#c2255c", viewport: { width: 1500, height: 820 } });
  try {
    const page = await openPad(ada, env.server.url, pad);
    await typeAtEnd(page, "Ship the replication scheme by Friday.");
    await addComment(page, "replication", "Raft or chain?");
    const margin = page.locator(".comments-margin");
    await thread(page, "Raft or chain?").waitFor();
    assert.equal(await margin.evaluate((m) => m.classList.contains("comments-drawer")), false);

    await page.getByRole("button", { name: "Reading view" }).click();
    await page.getByRole("region", { name: "Reading view" }).waitFor();
    // The sheet shares the width with the rendered view; a margin too would crush it.
    await page.waitForFunction(() => document.querySelector(".comments-margin").classList.contains("comments-drawer"));
    assert.equal(await margin.isHidden(), true);

    await page.getByRole("button", { name: "Reading view" }).click();
    await page.waitForFunction(() => !document.querySelector(".comments-margin").classList.contains("comments-drawer"));
    await thread(page, "Raft or chain?").waitFor();
  } finally {
    await ada.close();
  }
});
