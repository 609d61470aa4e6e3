// A moderator locks a pad after the session: the other editor's text turns read-only at once and
// says why, what they type changes nothing, and unlocking gives them the pen back.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, editorText, newUser, openPad, pageProblems, pollJson, serverAndBrowser, typeAtEnd, uniquePad, waitForText } from "./lib.mjs";

const env = serverAndBrowser();

/** The pad's text as the server stores it. */
async function stored(request, pad) {
  const res = await request.get(`${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}/text`);
  return res.text();
}

test("a moderator's lock reaches an open editor, refuses its typing, and lifts", { timeout: 90_000 }, async () => {
  const pad = uniquePad("session-notes");
  const alice = await newUser(env.browser, { name: "Alice", color: "#4363d8" });
  const bob = await newUser(env.browser, { name: "Bob", color: "#f58231" });
  try {
    const a = await openPad(alice, env.server.url, pad);
    await typeAtEnd(a, "Decisions");
    await pollJson(alice.request, `${env.server.url}/api/v1/pads/${pad}`);
    const b = await openPad(bob, env.server.url, pad);
    await waitForText(b, "Decisions");
    // Only the pad's creator finds the moderator's controls, in the share menu.
    await a.locator("#share-toggle").click();
    const moderation = a.locator(".moderation-row");
    await moderation.getByRole("button", { name: "Lock pad" }).waitFor();
    await b.locator("#share-toggle").click();
    await b.locator("#share-menu").getByText("Export").waitFor();
    assert.equal(await b.getByRole("button", { name: "Lock pad" }).count(), 0);

    await moderation.getByRole("button", { name: "Lock pad" }).click();
    await b.locator("#lock-line", { hasText: "locked by its moderator" }).waitFor();
    await b.locator('.cm-content[contenteditable="false"]').waitFor();
    await b.locator(".cm-content").click();
    await b.keyboard.type("BOB");
    await typeAtEnd(a, " made");
    await waitForText(b, "Decisions made");
    assert.equal(await stored(bob.request, pad), "Decisions made");
    assert.ok(!(await editorText(b)).includes("BOB"));

    // Chat stays open while the text is locked.
    await b.locator("#lock-line", { hasText: "Chat stays open" }).waitFor();
    await b.getByLabel("Chat message").fill("can we add one more point?");
    await b.getByRole("button", { name: "Send" }).click();
    await a.locator("#chat-log", { hasText: "can we add one more point?" }).waitFor();

    await a.locator(".lock-bar").getByRole("button", { name: "Unlock pad" }).click();
    await b.locator('.cm-content[contenteditable="true"]').waitFor({ timeout: WAIT_MS });
    assert.equal(await b.locator("#lock-line").textContent(), "");
    await typeAtEnd(b, " today");
    await waitForText(a, "Decisions made today");
    assert.deepEqual(pageProblems(a), []);
    assert.deepEqual(pageProblems(b), []);
  } finally {
    await alice.close();
    await bob.close();
  }
});
