// The operator's pages in a browser: signing in with the API key, finding a pad, locking it
// (which an open editor feels at once), and deleting it after a confirmation naming it. And a
// group pad opened without a session: the page says why, plainly.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, newUser, openPad, pollJson, serverAndBrowser, typeAtEnd, uniquePad, waitForText } from "./lib.mjs";

const env = serverAndBrowser();

test("an admin signs in, finds a pad, locks it and deletes it", { timeout: 90_000 }, async () => {
  const pad = uniquePad("summit-keynote");
  const writer = await newUser(env.browser, { name: "Writer", color: "#3cb44b" });
  const admin = await newUser(env.browser, { name: "Admin", color: "#4363d8" });
  try {
    const w = await openPad(writer, env.server.url, pad);
    await typeAtEnd(w, "keynote notes");
    await pollJson(writer.request, `${env.server.url}/api/v1/pads/${pad}`);

    const a = await admin.newPage();
    a.setDefaultTimeout(WAIT_MS);
    await a.goto(`${env.server.url}/admin`);
    await a.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.ok(!(await a.content()).includes(pad), "no pad is shown before signing in");
    await a.getByLabel("API key").fill("not-the-key");
    await a.getByRole("button", { name: "Sign in" }).click();
    await a.getByRole("alert").filter({ hasText: "not the API key" }).waitFor();

    await a.getByLabel("API key").fill(await env.server.apiKey());
    await a.getByRole("button", { name: "Sign in" }).click();
    await a.getByLabel("Id prefix").fill("summit-");
    await a.getByRole("button", { name: "Search" }).click();
    const row = a.getByRole("row").filter({ hasText: pad });
    await row.waitFor();
    assert.match(await row.textContent(), /open/);

    await row.getByRole("button", { name: "Lock" }).click();
    await a.getByRole("row").filter({ hasText: pad }).filter({ hasText: "locked" }).waitFor();
    const lock = await (await writer.request.get(`${env.server.url}/api/v1/pads/${pad}/lock`)).json();
    assert.equal(lock.locked, true);

    await a.getByRole("row").filter({ hasText: pad }).getByRole("link", { name: "Delete…" }).click();
    await a.getByRole("heading", { name: `Delete the pad “${pad}”?` }).waitFor();
    // The server deletes the pad before it redirects back to the dashboard.
    await Promise.all([a.waitForURL(`${env.server.url}/admin`), a.getByRole("button", { name: `Delete “${pad}”` }).click()]);
    const gone = await writer.request.get(`${env.server.url}/api/v1/pads/${pad}`, { failOnStatusCode: false });
    assert.equal(gone.status(), 404);

    await a.getByRole("button", { name: "Sign out" }).click();
    await a.getByRole("heading", { name: "Sign in" }).waitFor();
  } finally {
    await writer.close();
    await admin.close();
  }
});

test("a group pad without a session says why it does not open", { timeout: 60_000 }, async () => {
  const key = await env.server.apiKey();
  const call = async (fn, params) => {
    const res = await fetch(`${env.server.url}/api/1.3.0/${fn}?${new URLSearchParams({ apikey: key, ...params })}`);
    const json = await res.json();
    assert.equal(json.code, 0, `${fn}: ${JSON.stringify(json)}`);
    return json.data;
  };
  const { groupID } = await call("createGroup", {});
  const { padID } = await call("createGroupPad", { groupID, padName: "minutes", text: "Group minutes" });
  const { authorID } = await call("createAuthor", { name: "Member" });
  const { sessionID } = await call("createSession", { groupID, authorID, validUntil: String(Math.floor(Date.now() / 1000) + 3600) });
  const stranger = await newUser(env.browser, { name: "Stranger", color: "#e6194b" });
  const member = await newUser(env.browser, { name: "Member", color: "#f58231" });
  try {
    const s = await stranger.newPage();
    const res = await s.goto(`${env.server.url}/p/${encodeURIComponent(padID)}`);
    assert.equal(res.status(), 403);
    await s.getByRole("heading", { name: "This pad is not open to you" }).waitFor();
    assert.match(await s.locator("#why").textContent(), /open it through the site that gave you access/);
    assert.ok(!(await s.content()).includes("Group minutes"));

    const url = new URL(env.server.url);
    await member.addCookies([{ name: "sessionID", value: sessionID, domain: url.hostname, path: "/" }]);
    const m = await openPad(member, env.server.url, padID);
    await waitForText(m, "Group minutes");
  } finally {
    await stranger.close();
    await member.close();
  }
});
