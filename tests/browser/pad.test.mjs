// End-to-end tests of the pad page against the real server: live sync between two people, loading a
// pad fresh, remote carets with names, the read-only view, chat, and offline edits that survive a
// reload made while offline (the service worker serves the page) and merge when the connection
// returns.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  WAIT_MS,
  editorText,
  newUser,
  openPad,
  pageProblems,
  pollJson,
  serverAndBrowser,
  typeAtEnd,
  uniquePad,
  waitConnected,
  waitForText,
  waitServiceWorker,
  waitStoredLocally,
} from "./lib.mjs";

const TEST_MS = 60_000;
const env = serverAndBrowser();

/** Two people, Alice and Bob, each in their own browser context, on the same pad. */
async function twoUsers(pad) {
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const bob = await newUser(env.browser, { name: "Bob", color: "#4363d8" });
  const a = await openPad(alice, env.server.url, pad);
  const b = await openPad(bob, env.server.url, pad);
  const close = async () => {
    assert.deepEqual([...pageProblems(a), ...pageProblems(b)], [], "the pages reported errors");
    await Promise.all([alice.close(), bob.close()]);
  };
  return { alice, bob, a, b, close };
}

test("typing in one tab shows in the other", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("sync");
  const { a, b, close } = await twoUsers(pad);
  await typeAtEnd(a, "Hello from Alice");
  await waitForText(b, "Hello from Alice");
  await typeAtEnd(b, " and Bob");
  await waitForText(a, "Hello from Alice and Bob");
  await close();
});

test("a fresh tab loads the pad with both people's edits", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("fresh");
  const { a, b, close } = await twoUsers(pad);
  await typeAtEnd(a, "first line by Alice\n");
  // With the line break: typed at the end before it shows, Bob's text would go before it.
  await waitForText(b, "first line by Alice\n");
  await typeAtEnd(b, "second line by Bob");
  await waitForText(a, "second line by Bob");

  const carol = await newUser(env.browser, { name: "Carol", color: "#3cb44b" });
  const c = await openPad(carol, env.server.url, pad);
  await waitForText(c, "second line by Bob");
  assert.equal(await editorText(c), "first line by Alice\nsecond line by Bob");
  await carol.close();
  await close();
});

test("the other person's caret shows with their name", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("caret");
  const { a, b, close } = await twoUsers(pad);
  await typeAtEnd(a, "Alice was here");
  await waitForText(b, "Alice was here");
  const caret = b.locator(".cm-ySelectionInfo", { hasText: "Alice" });
  await caret.waitFor({ timeout: WAIT_MS });
  // And both names are in each user list.
  await b.locator("#user-list .user-name", { hasText: "Alice" }).waitFor();
  await a.locator("#user-list .user-name", { hasText: "Bob" }).waitFor();
  await close();
});

test("a read-only tab cannot change the pad", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("readonly");
  const { a, close } = await twoUsers(pad);
  await typeAtEnd(a, "original text");

  // The server knows the read-only id once the pad has an edit (it may answer 404 until then).
  const info = await pollJson(a.request, `${env.server.url}/api/v1/pads/${encodeURIComponent(pad)}`);
  assert.equal(info.id, pad);
  assert.match(info.readOnlyId, /^r\./);

  const viewer = await newUser(env.browser, { name: "Viewer", color: "#911eb4" });
  const v = await openPad(viewer, env.server.url, info.readOnlyId);
  await waitForText(v, "original text");
  assert.equal(await v.locator(".cm-content").getAttribute("contenteditable"), "false");
  assert.equal(await v.locator("#format-tools").isVisible(), false, "toolbar is hidden");
  assert.equal(await v.locator("#chat-form").isVisible(), false, "chat input is hidden");

  // Typing does nothing.
  await v.locator(".cm-content").click();
  await v.keyboard.type("VANDALISM");
  await v.keyboard.press("Backspace");
  assert.equal(await editorText(v), "original text");

  // The writer's later edit still reaches the viewer, and the writer's text never changed.
  await typeAtEnd(a, " plus more");
  await waitForText(v, "original text plus more");
  assert.equal(await editorText(a), "original text plus more");
  assert.equal(await editorText(v), "original text plus more");

  // The read-only view's share menu offers its own link.
  await v.locator("#share-toggle").click();
  const link = await v.locator('input[data-link="read-only"]').inputValue();
  assert.ok(link.endsWith(`/p/${encodeURIComponent(info.readOnlyId)}`), link);

  await viewer.close();
  await close();
});

test("a chat message reaches the other tab", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("chat");
  const { a, b, close } = await twoUsers(pad);
  await a.locator("#chat-input").fill("Hi Bob, <b>not bold</b>");
  await a.locator("#chat-input").press("Enter");
  const msg = b.locator("#chat-log .chat-msg", { hasText: "Hi Bob" });
  await msg.waitFor();
  assert.equal(await msg.locator(".chat-author").textContent(), "Alice");
  // Chat text is text, never markup.
  assert.equal(await msg.locator(".chat-text").textContent(), "Hi Bob, <b>not bold</b>");
  assert.equal(await msg.locator("b").count(), 0);

  // A late joiner sees the history.
  const carol = await newUser(env.browser, { name: "Carol", color: "#3cb44b" });
  const c = await openPad(carol, env.server.url, pad);
  await c.locator("#chat-log .chat-msg", { hasText: "Hi Bob" }).waitFor();
  await carol.close();
  await close();
});

test("toolbar buttons and Etherpad shortcuts write Markdown; undo undoes only your own edits", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("format");
  const { a, b, close } = await twoUsers(pad);
  await typeAtEnd(a, "word");
  await a.keyboard.press("Shift+Home");
  const steps = [
    ["Control+b", "**word**"],
    ["Control+i", "***word***"],
    ["Control+b", "*word*"],
    ["Control+i", "word"],
    ["Control+5", "~~word~~"],
    ["Control+5", "word"],
    ["Control+Shift+L", "- word"],
    ["Control+Shift+N", "1. word"],
    ["#task", "- [ ] word"],
    ["#heading", "# word"],
    ["#heading", "## word"],
    ["#bullet", "- word"],
    ["#bullet", "word"],
  ];
  for (const [action, expected] of steps) {
    if (action.startsWith("#")) await a.locator(`#format-tools button[data-cmd^="${action.slice(1)}"]`).click();
    else await a.keyboard.press(action);
    assert.equal(await editorText(a), expected, `after ${action}`);
  }
  await waitForText(b, "word");

  // Bob's undo takes back Bob's typing, a word at a time, never Alice's.
  await typeAtEnd(b, " by Bob");
  await waitForText(a, "word by Bob");
  await b.keyboard.press("Control+z");
  assert.equal(await editorText(b), "word by ");
  await b.keyboard.press("Control+z");
  await b.keyboard.press("Control+z");
  assert.equal(await editorText(b), "word");
  await a.waitForFunction(() => !document.querySelector(".cm-content")?.textContent?.includes("by Bob"));
  await b.keyboard.press("Control+z");
  await b.keyboard.press("Control+z");
  assert.equal(await editorText(b), "word", "Alice's edits are not on Bob's undo stack");
  await close();
});

test("an offline edit survives a reload and merges when back online", { timeout: 90_000 }, async () => {
  const pad = uniquePad("offline");
  const { alice, a, b, close } = await twoUsers(pad);
  await typeAtEnd(a, "online line\n");
  await waitForText(b, "online line");
  // The service worker must hold the pages before the network goes.
  await waitServiceWorker(a);

  await alice.setOffline(true);
  await a.locator('#status[data-status="offline"]').waitFor();
  await typeAtEnd(a, "written offline");
  await a.locator('#status[data-status="offline"]:not([data-pending="0"])').waitFor();
  assert.match(await a.locator("#status").textContent(), /edits? waiting/);
  assert.ok(!(await editorText(b)).includes("written offline"), "the offline edit must not reach Bob yet");

  // Reload while offline: the service worker serves the page and its assets, and the edit comes
  // back from IndexedDB (once written there: a keystroke's write may still be on its way).
  await waitStoredLocally(a, pad);
  await a.reload();
  assert.equal(await a.evaluate(() => navigator.onLine), false, "the reload happened offline");
  assert.ok(await a.evaluate(() => navigator.serviceWorker.controller !== null), "the page came from the service worker");
  await waitForText(a, "online line\nwritten offline").catch(async (err) => {
    throw new Error(`after the offline reload the pad shows ${JSON.stringify(await editorText(a))}: ${err.message}`);
  });
  await a.locator('#status[data-status="offline"]:not([data-pending="0"])').waitFor();
  assert.ok(!(await editorText(b)).includes("written offline"), "the offline edit must not reach Bob yet");

  await alice.setOffline(false);
  await waitConnected(a);
  await waitForText(b, "written offline");
  assert.equal(await editorText(b), "online line\nwritten offline");
  await waitForText(a, "online line\nwritten offline");
  await a.locator('#status[data-status="connected"][data-pending="0"]').waitFor();
  await close();
});
