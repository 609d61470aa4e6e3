// The event page (`/e/{event}`) in headless Chromium: an event made through the API with sessions
// around now, its schedule by day with the Now/Next box, the live count of a session rising while
// a tab sits in its pad (no reload), the pad's link back to its event, the filter box, search with
// marked snippets, and a phone's width without sideways scrolling.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, launchBrowser, newUser, openPad, pageProblems, startServer, typeAtEnd, waitForText } from "./lib.mjs";

const SHOTS = process.env.EVENT_SHOTS; // a directory to keep screenshots in, when looking at them

const iso = (ms) => new Date(ms).toISOString();

test("the event page lists sessions, counts people live, filters, searches, fits a phone", { timeout: 120_000 }, async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const key = await server.apiKey();
    const hour = 3600_000;
    const now = Date.now();
    const rows = [
      ["Opening plenary", now - 2 * hour, now - hour, "Hall A", "Ana; Bo"],
      ["Nova planning", now - hour / 2, now + hour, "Room 2", "Cy"],
      ["Cinder retrospective", now + 2 * hour, now + 3 * hour, "Room 3", ""],
      ["Keystone and identity", now + 26 * hour, now + 28 * hour, "Room 2", "Dee"],
    ];
    const csv = `title,start,end,room,moderators\n${rows.map(([t, s, e, r, m]) => `${t},${iso(s)},${iso(e)},${r},${m}`).join("\n")}\n`;
    const made = await fetch(`${server.url}/api/v1/events`, {
      method: "POST",
      headers: { apikey: key, "content-type": "application/json" },
      body: JSON.stringify({ id: "summit", title: "Open Summit", timeZone: "Europe/Berlin", schedule: csv }),
    });
    assert.equal(made.status, 201, await made.text());

    const reader = await newUser(browser, { name: "Reader", color: "#1c7ed6" });
    const page = await reader.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const problems = [];
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("console", (msg) => {
      if (/Content.Security.Policy/i.test(msg.text())) problems.push(msg.text());
    });
    await page.goto(`${server.url}/e/summit`);
    await page.locator("#event-title", { hasText: "Open Summit" }).waitFor();
    assert.equal(await page.locator(".session").count(), 4);
    assert.ok((await page.locator(".day h2").count()) >= 2, "sessions a day apart are under two days");
    const nova = page.locator('.session[data-pad="summit-nova-planning"]');
    assert.equal(await nova.locator("a").getAttribute("href"), "/p/summit-nova-planning");
    assert.match(await nova.getAttribute("class"), /\bnow\b/, "the running session is marked");
    await page.locator("#happening h2", { hasText: "Now" }).waitFor();
    assert.match(await page.locator("#happening").innerText(), /Nova planning[\s\S]*next[\s\S]*Cinder retrospective/i);
    assert.equal(await nova.locator(".present").innerText(), "0 here");

    // Someone opens the pad and writes: the event page shows them without a reload.
    const writer = await newUser(browser, { name: "Writer", color: "#e6194b" });
    const pad = await openPad(writer, server.url, "summit-nova-planning");
    await waitForText(pad, "# Nova planning");
    await typeAtEnd(pad, "\n- decide the nova release date\n");
    // The pad links back to its event, with its session in the link's tooltip.
    const back = pad.locator("#event-link");
    await back.waitFor();
    assert.equal(await back.innerText(), "Open Summit");
    assert.equal(await back.getAttribute("href"), "/e/summit");
    assert.match(await back.getAttribute("title"), /^Part of Open Summit · Nova planning · .+ · Room 2$/);
    if (SHOTS) await pad.screenshot({ path: `${SHOTS}/event-pad.png` });
    await page.waitForFunction(
      () => document.querySelector('.session[data-pad="summit-nova-planning"] .present')?.textContent === "1 here",
      null,
      { timeout: WAIT_MS },
    );
    assert.deepEqual(pageProblems(pad), []);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/event-laptop.png`, fullPage: true });
    await pad.close();
    await page.waitForFunction(
      () => document.querySelector('.session[data-pad="summit-nova-planning"] .present')?.textContent === "0 here",
      null,
      { timeout: WAIT_MS },
    );

    // The filter hides what does not match, by title, room or moderator.
    await page.fill("#filter", "room 2");
    assert.equal(await page.locator(".session:visible").count(), 2);
    await page.fill("#filter", "dee");
    assert.deepEqual(await page.locator(".session:visible a").allInnerTexts(), ["Keystone and identity"]);
    await page.fill("#filter", "nothing like this");
    await page.locator("#no-match").waitFor();
    await page.fill("#filter", "");

    // Search the notes: the pad with the typed words, its snippet marked.
    await page.fill("#search", "release date");
    await page.press("#search", "Enter");
    await page.locator("#search-results h2", { hasText: "1 pad mentions" }).waitFor();
    assert.deepEqual(await page.locator("#search-results mark").allInnerTexts(), ["release", "date"]);
    assert.match(page.url(), /\?q=release\+date$/);
    await page.reload();
    await page.locator("#search-results mark", { hasText: "release" }).waitFor();

    // A phone: nothing scrolls sideways, and each session still shows its title and count.
    const phone = await newUser(browser, { name: "Phone", color: "#2b8a3e", viewport: { width: 375, height: 740 } });
    const small = await phone.newPage();
    await small.goto(`${server.url}/e/summit`);
    await small.locator(".session .present").first().waitFor();
    const widths = await small.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(widths[0] <= widths[1], `page is ${widths[0]} px wide in a ${widths[1]} px screen`);
    const box = await small.locator('.session[data-pad="summit-nova-planning"] a').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, "the title fits the screen");
    if (SHOTS) await small.screenshot({ path: `${SHOTS}/event-phone.png`, fullPage: true });

    await page.goto(`${server.url}/e/no-such-event`);
    await page.locator("#event-error", { hasText: "There is no event" }).waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
