// Following: clicking a person in the user list makes your view scroll with their caret until you
// scroll or type yourself; `?follow=name` opens the pad following them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, frames, insertAtEnd, longText, newUser, openPad, pageProblems, scrollSettled, serverAndBrowser, uniquePad } from "./lib.mjs";

const TEST_MS = 90_000;
const env = serverAndBrowser();

/** In the page: whether the remote caret of `name` is drawn inside the visible part of the pad. */
function caretVisible(name) {
  const area = document.querySelector(".pad-area").getBoundingClientRect();
  return Array.from(document.querySelectorAll(".cm-ySelectionCaret")).some((c) => {
    if (c.querySelector(".cm-ySelectionInfo")?.textContent !== name) return false;
    const r = c.getBoundingClientRect();
    return r.height > 0 && r.top >= area.top && r.bottom <= area.bottom;
  });
}

const scrollTop = (page) => page.evaluate(() => document.querySelector(".pad-area").scrollTop);

/** Alice's pad with a long text, her caret at its top, and a second person who opened it. */
async function longPadWithTwo(follower) {
  const pad = uniquePad("follow");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const a = await openPad(alice, env.server.url, pad);
  await insertAtEnd(a, longText());
  await a.keyboard.press("Control+Home");
  const ctx = await newUser(env.browser, { name: follower, color: "#1c7ed6" });
  return { pad, a, ctx, alice };
}

test("following a person from the user list scrolls with their caret until you scroll or type", { timeout: TEST_MS }, async () => {
  const { a, ctx, pad, alice } = await longPadWithTwo("Bob");
  const b = await openPad(ctx, env.server.url, pad);
  try {
    // The reading view beside the editor follows too, and shows when Alice's edits have arrived.
    await b.locator("#reading-toggle").click();
    const reading = b.locator(".reading-pane");
    await reading.locator("h1", { hasText: "Weekly sync" }).waitFor();
    const follow = b.getByRole("button", { name: "Follow Alice" });
    await follow.click();
    assert.equal(await follow.getAttribute("aria-pressed"), "true");
    await b.locator(".follow-bar", { hasText: "Following Alice" }).waitFor();
    assert.equal(await scrollTop(b), 0, "Bob starts at the top, where Alice is");

    // Alice goes to the end and types: Bob's view goes with her, the editor and the reading view.
    await a.keyboard.press("Control+End");
    await a.keyboard.type(" Alice was here.");
    await b.waitForFunction(caretVisible, "Alice", { timeout: WAIT_MS });
    assert.ok((await scrollTop(b)) > 1000, "Bob's editor scrolled down to Alice's caret");
    await b.waitForFunction(() => {
      const pane = document.querySelector(".reading-pane");
      const last = Array.from(pane.querySelectorAll("p")).find((p) => p.textContent.includes("Alice was here."));
      if (!last) return false;
      const r = last.getBoundingClientRect();
      const v = pane.getBoundingClientRect();
      return r.top >= v.top && r.bottom <= v.bottom;
    });

    // Bob scrolls by himself: following stops, and Alice's moves no longer move his view.
    const editorArea = await b.locator(".pad-area").boundingBox();
    await b.mouse.move(editorArea.x + editorArea.width / 2, editorArea.y + 300);
    await b.mouse.wheel(0, -400);
    await b.locator(".follow-bar").waitFor({ state: "hidden" });
    assert.equal(await follow.getAttribute("aria-pressed"), "false");
    await b.waitForFunction(() => document.querySelector(".pad-area").scrollTop > 0); // the wheel's own scroll
    await scrollSettled(b, ".reading-pane");
    const left = await scrollTop(b);
    const readingLeft = await reading.evaluate((el) => el.scrollTop);
    await a.keyboard.press("Control+Home");
    await a.keyboard.type("Top: ");
    // Bob's copy has her edit (and her caret, sent before it), and had frames to act on them.
    await reading.locator("p", { hasText: "Top: # Weekly sync" }).waitFor();
    await frames(b, 3);
    // (The first line lost its heading size above the view, which may move the view by that much.)
    const near = (y, at) => Math.abs(y - at) < 60;
    assert.ok(near(await scrollTop(b), left), "Bob's editor stayed where he scrolled it");
    assert.ok(near(await reading.evaluate((el) => el.scrollTop), readingLeft), "and so did his reading view");

    // Following again, then typing stops it too.
    await follow.click();
    await b.waitForFunction(caretVisible, "Alice", { timeout: WAIT_MS });
    await b.locator(".follow-bar").waitFor();
    await b.locator(".cm-content").click();
    await b.keyboard.type("b");
    await b.locator(".follow-bar").waitFor({ state: "hidden" });

    // "Stop" on the line stops it as well.
    await follow.click();
    await b.getByRole("button", { name: "Stop" }).click();
    await b.locator(".follow-bar").waitFor({ state: "hidden" });
    assert.deepEqual([...pageProblems(a), ...pageProblems(b)], []);
  } finally {
    await ctx.close();
    await alice.close();
  }
});

test("?follow=name opens the pad following that person", { timeout: TEST_MS }, async () => {
  const { a, ctx, pad, alice } = await longPadWithTwo("Carol");
  try {
    const c = await openPad(ctx, env.server.url, pad, "?follow=alice");
    // Matched without regard to case, shown as they spell it.
    await c.locator(".follow-bar", { hasText: "Following Alice" }).waitFor();
    await a.keyboard.press("Control+End");
    await a.keyboard.type(" Carol follows.");
    await c.waitForFunction(caretVisible, "Alice", { timeout: WAIT_MS });
    assert.ok((await scrollTop(c)) > 1000);
    assert.equal(await c.getByRole("button", { name: "Follow Alice" }).getAttribute("aria-pressed"), "true");
    assert.deepEqual(pageProblems(c), []);
  } finally {
    await ctx.close();
    await alice.close();
  }
});
