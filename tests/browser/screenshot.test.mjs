// Takes the README's screenshots: the pad page with two authors writing Markdown, authorship colours
// on, the user list and a chat message (web/screenshot.png); and the timeslider of that pad on a
// past revision, with a saved revision starred (web/timeslider.png).

import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { WAIT_MS, editorText, launchBrowser, newUser, openPad, pollJson, startServer, typeAtEnd, waitForText } from "./lib.mjs";

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web");
const PAD_SHOT = path.join(WEB, "screenshot.png");
const TIMESLIDER_SHOT = path.join(WEB, "timeslider.png");
const MAX_BYTES = 150 * 1024;

async function assertSmall(file) {
  const { size } = await stat(file);
  assert.ok(size < MAX_BYTES, `${path.basename(file)} is ${size} bytes, over ${MAX_BYTES}`);
}

test("screenshots of a pad with two authors and of its timeslider", { timeout: 90_000 }, async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const viewport = { width: 1200, height: 720 };
    const alice = await newUser(browser, { name: "Alice", color: "#e6194b", viewport });
    const bob = await newUser(browser, { name: "Bob", color: "#1c7ed6", viewport });
    const pad = "sprint-planning"; // a fresh server: no other test uses it
    const a = await openPad(alice, server.url, pad);
    const b = await openPad(bob, server.url, pad);
    const revisions = `${server.url}/api/v1/pads/${pad}/revisions`;

    await typeAtEnd(
      a,
      "# Sprint planning\n\nNotes from **Monday's** meeting. Everyone can edit this pad *at the same time*.\n\n## Goals\n",
    );
    // Markdown's Enter continues the list: type each item's text only.
    await a.keyboard.type("- Ship the ~~old~~ new sync server\n");
    await a.keyboard.type("Offline editing that merges when you reconnect\n");
    await a.keyboard.press("Enter"); // ends the list
    await a.keyboard.press("Enter");
    await a.keyboard.type("## Tasks\n- [x] Write the protocol notes\n");
    await a.keyboard.type("Review the [design doc](https://example.org/design)\n");
    await a.keyboard.press("Enter"); // ends the list
    await a.keyboard.press("Enter");
    await waitForText(b, await editorText(a));
    // Alice stars this state of the pad.
    const { head: aliceDone } = await pollJson(a.request, `${revisions}?from=1&to=1`);
    assert.ok((await a.request.post(`${server.url}/api/v1/pads/${pad}/saved`, { data: { rev: aliceDone, label: "Alice's draft" } })).ok());

    // Bob adds a goal in the middle of Alice's list and a line at the end.
    await b.locator(".cm-line", { hasText: "Offline editing" }).click();
    await b.keyboard.press("End");
    await b.keyboard.press("Enter");
    await b.keyboard.type("Authorship colours, as in Etherpad");
    await typeAtEnd(b, "Bob: I'll take the review. See `docs/design.md` first.");
    await waitForText(a, await editorText(b));
    const { head: bobDone } = await pollJson(b.request, `${revisions}?from=1&to=1`);

    // Alice ticks a box afterwards, so the timeslider's revision is not the newest.
    await a.locator(".cm-line", { hasText: "Review the" }).click();
    await a.keyboard.press("Home");
    await a.keyboard.press("ArrowRight");
    await a.keyboard.press("ArrowRight");
    await a.keyboard.press("ArrowRight");
    await a.keyboard.press("Delete");
    await a.keyboard.type("x");
    await waitForText(b, "- [x] Review the");
    // Leave Alice's caret in the middle of the text, where Bob sees her name.
    await a.locator(".cm-line", { hasText: "Offline editing" }).click();
    await a.keyboard.press("End");
    await b.locator(".cm-ySelectionInfo", { hasText: "Alice" }).waitFor();
    await b.locator("#chat-input").fill("Morning! I added the review task.");
    await b.locator("#chat-input").press("Enter");
    await a.locator("#chat-log .chat-msg", { hasText: "Morning!" }).waitFor();
    await a.locator("#chat-input").fill("Great, thanks Bob!");
    await a.locator("#chat-input").press("Enter");
    await b.locator("#chat-log .chat-msg", { hasText: "Great, thanks" }).waitFor();
    await b.locator(".cm-ySelectionInfo", { hasText: "Alice" }).waitFor();
    // Both authors' text is coloured in Bob's view.
    await b.locator('.cm-content .author-mark[title="Alice"]', { hasText: "Sprint planning" }).waitFor();
    await b.locator('.cm-content .author-mark[title="Bob"]', { hasText: "Authorship colours" }).waitFor();
    await b.mouse.move(0, 400);

    await b.screenshot({ path: PAD_SHOT });
    await assertSmall(PAD_SHOT);

    const t = await bob.newPage();
    await t.goto(`${server.url}/p/${pad}/timeslider#${bobDone}`);
    await t.locator(`#ts-text[data-rev="${bobDone}"]`).waitFor({ state: "attached", timeout: WAIT_MS });
    await t.locator("#ts-marks .ts-mark").waitFor({ timeout: WAIT_MS });
    await t.locator("#ts-time[datetime]").waitFor({ state: "attached", timeout: WAIT_MS });
    await t.locator("#ts-saved-box summary").click();
    await t.mouse.move(0, 400);
    await t.screenshot({ path: TIMESLIDER_SHOT });
    await assertSmall(TIMESLIDER_SHOT);
    await alice.close();
    await bob.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
