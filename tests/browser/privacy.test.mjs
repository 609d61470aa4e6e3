// What a browser can learn about pads it was not given: the start page lists only the pads this
// browser opened (and forgets one on request), and a read-only link's page names no writable id.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, newUser, openPad, pageProblems, pollJson, serverAndBrowser, typeAtEnd, uniquePad, waitForText } from "./lib.mjs";

const env = serverAndBrowser();

/** The ids the start page lists, once it has drawn its list. */
async function listedPads(page) {
  await page.goto(`${env.server.url}/`);
  await page.locator("#recent-list li").first().waitFor();
  return page.locator("#recent-list .recent-link").allTextContents();
}

test("the start page lists only this browser's own pads, each removable", { timeout: 60_000 }, async () => {
  const secret = uniquePad("secret-board-salaries");
  const mine = uniquePad("my-notes");
  const alice = await newUser(env.browser, { name: "Alice", color: "#3cb44b" });
  const stranger = await newUser(env.browser, { name: "Stranger", color: "#e6194b" });
  try {
    const a = await openPad(alice, env.server.url, secret);
    await typeAtEnd(a, "salaries");
    await pollJson(alice.request, `${env.server.url}/api/v1/pads/${secret}`);
    const s = await stranger.newPage();
    s.setDefaultTimeout(WAIT_MS);

    // Someone who never opened it does not see it, and neither can the list's old source.
    assert.deepEqual(await listedPads(s), []);
    assert.match(await s.locator("#recent-list").textContent(), /on this browser only/);
    const listing = await stranger.request.get(`${env.server.url}/api/v1/pads`, { failOnStatusCode: false });
    assert.equal(listing.status(), 401);
    assert.ok(!(await listing.text()).includes(secret));

    // The stranger's own pad is listed for them, newest first.
    await openPad(stranger, env.server.url, mine);
    assert.deepEqual(await listedPads(s), [mine]);

    // Alice sees hers and removes it; it stays removed after a reload.
    await a.goto(`${env.server.url}/`);
    await a.locator(`#recent-list .recent-link`, { hasText: secret }).waitFor();
    await a.getByRole("button", { name: `Remove ${secret} from this list` }).click();
    await a.locator("#recent-list", { hasText: "on this browser only" }).waitFor();
    assert.deepEqual(await listedPads(a), []);
    assert.deepEqual(pageProblems(a), []);
  } finally {
    await alice.close();
    await stranger.close();
  }
});

test("a read-only link's page never shows the writable id", { timeout: 60_000 }, async () => {
  const pad = uniquePad("board-private");
  const owner = await newUser(env.browser, { name: "Owner", color: "#4363d8" });
  const watcher = await newUser(env.browser, { name: "Watcher", color: "#f58231" });
  try {
    const o = await openPad(owner, env.server.url, pad);
    await typeAtEnd(o, "# Board meeting\n\nBudget");
    const meta = await pollJson(owner.request, `${env.server.url}/api/v1/pads/${pad}`);
    const ro = meta.readOnlyId;
    assert.match(ro, /^r\.[0-9a-f]{32}$/);
    const w = await watcher.newPage();
    w.setDefaultTimeout(WAIT_MS);
    await w.goto(`${env.server.url}/p/${ro}`);
    await waitForText(w, "Budget");
    await o.keyboard.insertText(" approved");
    await waitForText(w, "approved");
    const html = await w.content();
    assert.ok(!html.includes(pad), "the page's markup names the writable id");
    assert.ok(!(await w.title()).includes(pad));
    // Everything the page fetched through the read-only id.
    const timeslider = await watcher.request.get(`${env.server.url}/p/${ro}/timeslider`);
    assert.ok(!(await timeslider.text()).includes(pad));
    await w.goto(`${env.server.url}/`);
    assert.deepEqual(await listedPads(w), [ro]);
  } finally {
    await owner.close();
    await watcher.close();
  }
});
