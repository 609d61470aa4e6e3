// The outline beside the editor: the pad's headings, the one you are reading marked, a click jumping
// there; heading links (`/p/{pad}#slug`) that open the pad scrolled to their heading; and hiding it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, insertAtEnd, longText, newUser, openPad, pageProblems, serverAndBrowser, uniquePad } from "./lib.mjs";

const TEST_MS = 90_000;
const env = serverAndBrowser();
const WIDE = { width: 1500, height: 850 };

/** In the page: whether the editor line holding `text` is at the top of the pad's view. */
function lineAtTop(text) {
  const area = document.querySelector(".pad-area").getBoundingClientRect();
  return Array.from(document.querySelectorAll(".cm-line")).some((line) => {
    const top = line.getBoundingClientRect().top - area.top;
    return line.textContent.includes(text) && top >= 0 && top < 100;
  });
}

async function padWithHeadings() {
  const pad = uniquePad("outline");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b", viewport: WIDE });
  const a = await openPad(alice, env.server.url, pad);
  // A second "Goals", `code` and punctuation in a heading, and a Setext heading.
  await insertAtEnd(a, `## Goals\n\n${longText(25)}\n\n## Goals\n\nAgain.\n\n### The \`sync\` server: v2!\n\nNotes\n===\n`);
  return { pad, alice, a };
}

test("the outline lists the headings, marks where you are, and a click jumps there", { timeout: TEST_MS }, async () => {
  const { alice, a } = await padWithHeadings();
  try {
    const outline = a.getByRole("navigation", { name: "Outline" });
    await outline.getByRole("link", { name: "Notes" }).waitFor();
    const links = await outline.getByRole("link").evaluateAll((els) => els.map((el) => [el.textContent, el.getAttribute("href")]));
    assert.deepEqual(links.slice(0, 4), [
      ["Goals", "#goals"],
      ["Weekly sync", "#weekly-sync"],
      ["Item 1", "#item-1"],
      ["Item 2", "#item-2"],
    ]);
    assert.deepEqual(links.slice(-3), [
      ["Goals", "#goals-1"],
      ["The sync server: v2!", "#the-sync-server-v2"],
      ["Notes", "#notes"],
    ]);
    assert.equal(await a.locator("#outline-toggle").getAttribute("aria-pressed"), "true");

    await outline.getByRole("link", { name: "Item 20", exact: true }).click();
    await a.waitForFunction(lineAtTop, "## Item 20", { timeout: WAIT_MS });
    assert.equal(new URL(a.url()).hash, "#item-20", "the address names the heading");
    await outline.locator('a[aria-current="location"]', { hasText: "Item 20" }).waitFor();

    // Scrolling on marks the heading now at the top.
    await a.locator(".pad-area").evaluate((el) => el.scrollBy(0, 600));
    await outline.locator('a[aria-current="location"]', { hasText: /Item 2[2-4]/ }).waitFor();
    // Headings that appear as someone types show up.
    await a.locator(".cm-content").focus();
    await a.keyboard.press("Control+End");
    await a.keyboard.type("\n## Added just now\n");
    await outline.getByRole("link", { name: "Added just now" }).waitFor();
    assert.deepEqual(pageProblems(a), []);
  } finally {
    await alice.close();
  }
});

test("a heading link opens the pad scrolled to its heading, and so does a new fragment", { timeout: TEST_MS }, async () => {
  const { pad, alice } = await padWithHeadings();
  const bob = await newUser(env.browser, { name: "Bob", color: "#1c7ed6", viewport: WIDE });
  try {
    const b = await openPad(bob, env.server.url, pad, "#item-18");
    await b.waitForFunction(lineAtTop, "## Item 18", { timeout: WAIT_MS });
    await b.evaluate(() => {
      location.hash = "#goals-1";
    });
    // Near the end of the pad: as far down as the pad scrolls, the second "Goals" in view.
    await b.waitForFunction(
      () => {
        const area = document.querySelector(".pad-area");
        const box = area.getBoundingClientRect();
        const lines = Array.from(document.querySelectorAll(".cm-line")).filter((l) => l.textContent === "## Goals");
        const shown = lines.some((l) => l.getBoundingClientRect().top >= box.top && l.getBoundingClientRect().top < box.bottom - 100);
        return area.scrollTop > 1000 && shown;
      },
      null,
      { timeout: WAIT_MS },
    );
    assert.deepEqual(pageProblems(b), []);
  } finally {
    await bob.close();
    await alice.close();
  }
});

test("the outline hides, and stays hidden on the next visit", { timeout: TEST_MS }, async () => {
  const { pad, alice, a } = await padWithHeadings();
  try {
    const outline = a.getByRole("navigation", { name: "Outline" });
    await outline.waitFor();
    await a.locator("#outline-toggle").click();
    await outline.waitFor({ state: "hidden" });
    assert.equal(await a.locator("#outline-toggle").getAttribute("aria-pressed"), "false");
    const again = await openPad(alice, env.server.url, pad);
    await again.locator("#outline").waitFor({ state: "attached" });
    assert.equal(await again.locator("#outline").isHidden(), true);
    await again.locator("#outline-toggle").click();
    await again.getByRole("navigation", { name: "Outline" }).getByRole("link", { name: "Notes" }).waitFor();
  } finally {
    await alice.close();
  }
});
