// The presenter view (`/p/{pad}/present`): the pad rendered large and read-only for a room's
// projector, following the moderator's caret (or `?follow=name`), with the pad's short link and a
// QR code; also through a read-only id. Also takes the README's screenshot of it (web/present.png).

import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { WAIT_MS, frames, insertAtEnd, longText, newUser, openPad, pageProblems, pollJson, scrollSettled, serverAndBrowser, uniquePad } from "./lib.mjs";

const TEST_MS = 90_000;
const env = serverAndBrowser();
const SHOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web/present.png");
const PROJECTOR = { width: 1280, height: 720 };

/** In the presenter page: whether a rendered paragraph containing `needle` is inside the visible text. */
function shows(needle) {
  const view = document.getElementById("present-text");
  const box = view.getBoundingClientRect();
  return Array.from(view.querySelectorAll("p, li, h1, h2, h3")).some((el) => {
    if (!el.textContent.includes(needle)) return false;
    const r = el.getBoundingClientRect();
    return r.top >= box.top && r.bottom <= box.bottom;
  });
}

async function openPresenter(browser, pad, suffix = "") {
  const context = await browser.newContext({ viewport: PROJECTOR });
  const page = await openPad(context, env.server.url, pad, `/present${suffix}`);
  return { context, page };
}

test("the presenter view follows the moderator, shows no editor, and offers a link and QR code", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("present");
  // Alice makes the pad, so she moderates it; Bob writes in it too.
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const bob = await newUser(env.browser, { name: "Bob", color: "#1c7ed6" });
  const a = await openPad(alice, env.server.url, pad);
  await insertAtEnd(a, longText());
  const b = await openPad(bob, env.server.url, pad);
  await b.locator(".cm-content").click();
  await b.keyboard.press("Control+Home");
  await b.keyboard.type("Bob: ");
  // The share menu leads there.
  await a.locator("#share-toggle").click();
  const present = a.getByRole("link", { name: "Presenter view" });
  assert.equal(await present.getAttribute("href"), `/p/${pad}/present`);
  await a.locator("#share-toggle").click();
  await a.locator(".cm-content").focus();
  const { context, page } = await openPresenter(env.browser, pad);
  try {
    await page.locator(".present-text h2", { hasText: "Item 30" }).waitFor();
    // Read-only: no editor, nothing editable.
    assert.equal(await page.locator("[contenteditable], .cm-editor, textarea, input").count(), 0);
    // The way in for the room: the short link and a QR code of the pad's address.
    const link = `${new URL(env.server.url).host}/p/${pad}`;
    assert.equal(await page.locator("#present-link").textContent(), link);
    const qr = page.getByRole("img", { name: `QR code of ${env.server.url}/p/${pad}` });
    assert.ok((await qr.locator("path").getAttribute("d")).length > 1000, "the QR code has its modules");

    // Alice, the moderator, types at the end: the presenter goes there, and says whom it follows.
    await a.keyboard.press("Control+End");
    await a.keyboard.type(" Next steps.");
    await page.waitForFunction(shows, "Next steps.", { timeout: WAIT_MS });
    await page.locator(".follow-bar", { hasText: "Following Alice" }).waitFor();

    // Bob types at the top, after her: the presenter stays with the moderator.
    await b.keyboard.type("still ");
    await page.locator(".present-text p", { hasText: "Bob: still" }).waitFor();
    await frames(page, 3);
    assert.ok(await page.evaluate(shows, "Next steps."), "the presenter still shows Alice's place");
    assert.equal(await page.locator(".follow-bar strong").textContent(), "Alice");
    assert.deepEqual(pageProblems(page), []);

    // ?follow=Bob follows Bob instead.
    const other = await openPresenter(env.browser, pad, "?follow=Bob");
    try {
      await other.page.locator(".follow-bar", { hasText: "Following Bob" }).waitFor();
      await b.keyboard.type("here ");
      await other.page.waitForFunction(shows, "Bob: still here", { timeout: WAIT_MS });
      assert.ok(!(await other.page.evaluate(shows, "Next steps.")), "Bob's place, not Alice's");
    } finally {
      await other.context.close();
    }
  } finally {
    await context.close();
    await alice.close();
    await bob.close();
  }
});

test("the presenter view opens through a read-only id, which it does not give away", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("present-ro");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const a = await openPad(alice, env.server.url, pad);
  await insertAtEnd(a, "# Board meeting\n\nMinutes.");
  const { readOnlyId } = await pollJson(a.request, `${env.server.url}/api/v1/pads/${pad}`);
  const { context, page } = await openPresenter(env.browser, readOnlyId);
  try {
    await page.locator(".present-text h1", { hasText: "Board meeting" }).waitFor();
    assert.equal(await page.locator("#present-link").textContent(), `${new URL(env.server.url).host}/p/${readOnlyId}`);
    assert.equal(await page.locator("#join-heading").textContent(), "Read along");
    assert.ok(!(await page.content()).includes(pad), "the page never shows the writable id");
    await page.waitForFunction(() => document.title === "Board meeting · ypad");
    // A watcher: counted as watching, not listed as a person.
    await a.locator("#watching", { hasText: "1 watching" }).waitFor();
  } finally {
    await context.close();
    await alice.close();
  }
});

test("screenshot of the presenter view", { timeout: TEST_MS }, async () => {
  const pad = "team-retro";
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const a = await openPad(alice, env.server.url, pad);
  await insertAtEnd(
    a,
    "# Team retro\n\nWhat went well, what did not, and what we change next sprint. Add yours from your phone: scan the code.\n\n" +
      "## Went well\n\n- The new sync server shipped on time\n- Offline editing: **no lost work** all sprint\n- Pairing on reviews\n\n" +
      "## To improve\n\n- Flaky browser tests on CI\n- Too many meetings on Thursdays\n\n## Actions\n\n- [x] Move the demo to Friday\n- [ ] Quarantine the flaky tests\n- [ ] ",
  );
  await a.keyboard.type("Write the release notes");
  const { context, page } = await openPresenter(env.browser, pad);
  try {
    await page.waitForFunction(shows, "Write the release notes", { timeout: WAIT_MS });
    await page.locator(".follow-bar", { hasText: "Following Alice" }).waitFor();
    await page.locator("#status[data-status='connected']").waitFor();
    await page.waitForFunction(() => document.title === "Team retro · ypad");
    await scrollSettled(page, "#present-text");
    await page.screenshot({ path: SHOT });
    const { size } = await stat(SHOT);
    assert.ok(size < 150 * 1024, `present.png is ${size} bytes`);
  } finally {
    await context.close();
    await alice.close();
  }
});
