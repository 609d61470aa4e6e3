// Takes the README's screenshot: the pad page with two authors writing Markdown, the user list and
// a chat message, saved to web/screenshot.png.

import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { launchBrowser, newUser, openPad, startServer, typeAtEnd, waitForText } from "./lib.mjs";

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web/screenshot.png");
const MAX_BYTES = 150 * 1024;

test("screenshot of a pad with two authors", { timeout: 90_000 }, async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const alice = await newUser(browser, { name: "Alice", color: "#e6194b", viewport: { width: 1200, height: 720 } });
    const bob = await newUser(browser, { name: "Bob", color: "#1c7ed6", viewport: { width: 1200, height: 720 } });
    const pad = "sprint-planning"; // a fresh server: no other test uses it
    const a = await openPad(alice, server.url, pad);
    const b = await openPad(bob, server.url, pad);

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
    await waitForText(b, "Tasks");
    await typeAtEnd(b, "Bob: I'll take the review. See `docs/design.md` first.");
    await waitForText(a, "docs/design.md");
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
    await b.mouse.move(0, 400);

    await b.screenshot({ path: OUT });
    const { size } = await stat(OUT);
    assert.ok(size < MAX_BYTES, `screenshot is ${size} bytes, over ${MAX_BYTES}`);
    await alice.close();
    await bob.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
