// `ypad export --event … --format site` makes a static site that works from file:// as it is:
// opened in Chromium with JavaScript off, every link and the stylesheet resolve, pages show the
// schedule and each session's time, room and authors; opened with JavaScript on, nothing a pad
// holds runs or becomes markup. The event is written into a data directory by the test harness's
// `seed-event` (the events API is not what this tests).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { launchBrowser } from "./lib.mjs";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TEST_MS = 180_000;

let dir;
let browser;
let site;

before(async () => {
  const bin = process.env.YPAD_BIN;
  if (!bin) throw new Error("set YPAD_BIN to the ypad binary, e.g. target/debug/ypad");
  dir = await mkdtemp(path.join(tmpdir(), "ypad-site-test-"));
  const data = path.join(dir, "data");
  site = path.join(dir, "site");
  await run("cargo", ["run", "--quiet", "-p", "ypad-tests", "--bin", "seed-event", "--", data], { cwd: ROOT });
  await run(bin, ["export", "--event", "summit-2026", "--format", "site", "--out", site, "--data-dir", data]);
  browser = await launchBrowser();
}, { timeout: TEST_MS });

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the site works offline with JavaScript off and has no broken link", { timeout: TEST_MS }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const failed = [];
  page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));

  const start = pathToFileURL(path.join(site, "index.html")).href;
  const toVisit = [start];
  const visited = new Set();
  const external = [];
  while (toVisit.length > 0) {
    const url = toVisit.shift();
    if (visited.has(url)) continue;
    visited.add(url);
    await page.goto(url);
    // Every page is styled by the one stylesheet: it loaded.
    const width = await page.locator("body").evaluate((b) => getComputedStyle(b).maxWidth);
    assert.equal(width, "736px", `${url} is unstyled`);
    const stylesheets = await page.locator('link[rel="stylesheet"]').evaluateAll((ls) => ls.map((l) => l.href));
    for (const href of stylesheets) await access(fileURLToPath(href));
    assert.equal(await page.locator("script").count(), 0, `${url} has a script element`);
    const links = await page.locator("a[href]").evaluateAll((as) => as.map((a) => a.href));
    for (const href of links) {
      if (href.startsWith("file:")) {
        // Resolves to a file of the site (throws if not).
        await access(fileURLToPath(href.split("#")[0]));
        if (href.endsWith(".html")) toVisit.push(href.split("#")[0]);
      } else {
        external.push(href);
      }
    }
  }
  // The index and both session pages; the pad that was never made has no page.
  assert.equal(visited.size, 3, [...visited].join("\n"));
  // The only links leaving the site are those a pad's writer put there (a defused
  // `javascript:` link points at its own page, so it is a file link).
  assert.deepEqual(external, ["https://example.org/keynote"]);
  assert.deepEqual(failed, []);

  await page.goto(start);
  const schedule = await page.locator("ul.schedule li").allInnerTexts();
  assert.equal(schedule.length, 3);
  assert.match(schedule[0], /^09:00–10:00 Keynote · Hall A · Ana$/);
  assert.match(schedule[1], /^11:00–12:00 Hallway track · no notes · Lobby$/);
  assert.match(schedule[2], /^11:00–12:00 Closing & next steps · Hall <B> · Bo <b>$/);
  assert.deepEqual(await page.locator("h2").allInnerTexts(), ["Tuesday 12 May 2026", "Wednesday 13 May 2026"]);
  // SITE_SCREENSHOTS=<dir> keeps pictures of the pages to look at.
  const shots = process.env.SITE_SCREENSHOTS ?? dir;
  await page.screenshot({ path: path.join(shots, "site-index.png"), fullPage: true });

  await page.locator("a", { hasText: "Keynote" }).click();
  await page.waitForURL(/summit-2026-keynote\.html$/);
  assert.equal(await page.locator("h1").first().innerText(), "Keynote");
  const facts = await page.locator("dl.session").innerText();
  assert.match(facts, /Tuesday 12 May 2026, 09:00–10:00 \(Europe\/Berlin\)/);
  assert.match(facts, /Hall A/);
  assert.match(facts, /Ana/);
  await page.screenshot({ path: path.join(shots, "site-keynote.png"), fullPage: true });
  await context.close();
});

test("nothing a pad holds runs, even with JavaScript on", { timeout: TEST_MS }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.goto(pathToFileURL(path.join(site, "pads", "summit-2026-keynote.html")).href);
  const notes = page.locator("article.notes");
  assert.match(await notes.innerText(), /<script>window.__xss = 1<\/script>/);
  assert.match(await notes.innerText(), /<img src=x onerror="window.__xss = 2">/);
  assert.equal(await page.locator("script, img, iframe, object").count(), 0);
  await page.locator("a", { hasText: "click" }).click();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(dialogs, []);
  await context.close();
});
