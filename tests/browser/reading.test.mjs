// The reading view: the pad's Markdown rendered as the HTML export renders it, live as the other tab
// types, beside the editor on a wide screen and instead of it on a narrow one, the default for
// read-only links on phones; links open in a new tab and nothing from the pad ever runs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, insertAtEnd, longText, newUser, openPad, pageProblems, pollJson, serverAndBrowser, typeAtEnd, uniquePad } from "./lib.mjs";

const TEST_MS = 90_000;
/** A 1×1 PNG. */
const DOT = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const env = serverAndBrowser();

const SAMPLE = [
  "# Release *notes*",
  "",
  "Written by **Alice**",
  "and Bob, with ~~no~~ `code`. See https://example.org/notes.",
  "",
  "## Tasks",
  "",
  "- [x] Tag the release",
  "- [ ] Announce it",
  "  1. on the list",
  "  2. [in the chat](https://example.org/chat)",
  "",
  "> Quoted",
  "",
  "| who | what |",
  "|-----|------|",
  "| Alice | tags |",
  "",
  "```",
  "let x = 1;",
  "```",
  "",
  "---",
  "",
  "## Tasks",
].join("\n");

/** In a page: the elements under `root` as `tag` names in document order, and their whole text. */
function shape(root) {
  const tags = [];
  const walk = (el) => {
    for (const child of el.children) {
      if (!child.classList.contains("md-block")) tags.push(child.tagName.toLowerCase());
      walk(child);
    }
  };
  walk(root);
  return { tags, text: root.textContent.replace(/\s+/g, " ").trim() };
}

test("the reading view renders as the HTML export does and follows the other tab's typing", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("reading");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  const bob = await newUser(env.browser, { name: "Bob", color: "#1c7ed6" });
  try {
    const a = await openPad(alice, env.server.url, pad);
    await insertAtEnd(a, SAMPLE);
    const b = await openPad(bob, env.server.url, pad);
    await b.getByRole("button", { name: "Reading view" }).click();
    const pane = b.getByRole("region", { name: "Reading view" });
    await pane.getByRole("heading", { name: "Tasks" }).nth(1).waitFor();
    // Side by side on a laptop screen: the editor stays.
    assert.equal(await b.locator(".cm-editor").isVisible(), true);

    // The same elements and text as the HTML export of the same text.
    const exported = await (await b.request.get(`${env.server.url}/p/${pad}/export/html`)).text();
    const blank = await bob.newPage();
    await blank.setContent(exported);
    const expected = await blank.evaluate(shape, await blank.$("body"));
    await blank.close();
    const shown = await pane.locator(".md-body").evaluate(shape);
    // markdown-it marks task boxes and their lists with classes the export lacks; tags and text agree.
    assert.deepEqual(shown.tags, expected.tags);
    // (Whitespace between table cells differs and shows as nothing.)
    assert.equal(shown.text.replace(/\s+/g, ""), expected.text.replace(/\s+/g, ""));

    // Headings carry their slugs; links leave the page in a new tab; task boxes cannot be ticked.
    assert.deepEqual(await pane.locator("h1, h2").evaluateAll((hs) => hs.map((h) => h.id)), ["md-release-notes", "md-tasks", "md-tasks-1"]);
    const links = await pane.locator("a").evaluateAll((as) => as.map((a) => [a.getAttribute("href"), a.target, a.rel]));
    assert.deepEqual(links, [
      ["https://example.org/notes", "_blank", "noopener noreferrer"],
      ["https://example.org/chat", "_blank", "noopener noreferrer"],
    ]);
    assert.equal(await pane.locator("input[type=checkbox]:checked").count(), 1);
    assert.equal(await pane.locator("input[type=checkbox]:not([disabled])").count(), 0);

    // Alice types: Bob's reading view shows it, as she types.
    await pane.locator("h1").evaluate((h) => {
      h.dataset.kept = "yes";
    });
    await typeAtEnd(a, "\n\nA **new** paragraph");
    await pane.locator("p", { hasText: "A new paragraph" }).locator("strong", { hasText: "new" }).waitFor();
    await a.keyboard.type(" and more.");
    await pane.locator("p", { hasText: "A new paragraph and more." }).waitFor();
    // Only what changed was redrawn: the blocks above kept their elements.
    assert.equal(await pane.locator("h1").getAttribute("data-kept"), "yes");
    assert.deepEqual([...pageProblems(a), ...pageProblems(b)], []);
  } finally {
    await alice.close();
    await bob.close();
  }
});

test("no script from the pad runs in the reading view", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("reading-xss");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  try {
    const a = await openPad(alice, env.server.url, pad);
    const dialogs = [];
    a.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await a.getByRole("button", { name: "Reading view" }).click();
    await insertAtEnd(
      a,
      [
        "# <script>window.__xss=1</script>",
        "<img src=x onerror=window.__xss=2>",
        "",
        "<script>window.__xss=3</script>",
        "",
        "[click](javascript:window.__xss=4) ![img](javascript:window.__xss=5)",
        '<a href="javascript:alert(6)">raw</a> <svg onload=window.__xss=7></svg>',
        "<iframe src=javascript:alert(8)></iframe>",
        "",
        // Images: from elsewhere a link (the page's CSP would block it), inline data shown.
        `![logo](https://example.org/logo.png) ![dot](${DOT})`,
      ].join("\n"),
    );
    const pane = a.getByRole("region", { name: "Reading view" });
    await pane.locator("p", { hasText: "<iframe" }).waitFor();
    // Shown as text, every character of it.
    assert.equal(await pane.locator("h1").textContent(), "<script>window.__xss=1</script>");
    await pane.locator("p", { hasText: "<img src=x onerror=window.__xss=2>" }).waitFor();
    const logo = pane.getByRole("link", { name: "logo" });
    assert.equal(await logo.getAttribute("href"), "https://example.org/logo.png");
    assert.equal(await logo.getAttribute("target"), "_blank");
    assert.equal(await pane.getByRole("img", { name: "dot" }).getAttribute("src"), DOT);
    const made = await pane
      .locator("script, img:not([alt=dot]), iframe, svg, object, embed, [onerror], [onload], a[href^='javascript:' i]")
      .evaluateAll((els) => els.map((e) => e.outerHTML));
    assert.deepEqual(made, []);
    assert.equal(await a.evaluate(() => typeof window.__xss), "undefined");
    assert.deepEqual([...dialogs, ...pageProblems(a)], []);
  } finally {
    await alice.close();
  }
});

test("a read-only link opens in the reading view on a phone, in the editor on a laptop", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("reading-ro");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  try {
    const a = await openPad(alice, env.server.url, pad);
    await insertAtEnd(a, "# Agenda\n\n1. Welcome\n2. Budget");
    const { readOnlyId } = await pollJson(a.request, `${env.server.url}/api/v1/pads/${pad}`);

    const phone = await newUser(env.browser, { name: "P", color: "#3cb44b", viewport: { width: 390, height: 800 } });
    const p = await openPad(phone, env.server.url, readOnlyId);
    const pane = p.getByRole("region", { name: "Reading view" });
    await pane.getByRole("heading", { name: "Agenda" }).waitFor();
    assert.equal(await p.locator(".pad-area").isVisible(), false, "instead of the editor on a phone");
    assert.equal(await p.getByRole("button", { name: "Reading view" }).getAttribute("aria-pressed"), "true");
    // It stays live.
    await typeAtEnd(a, "\nQuestions"); // Enter continues the list: "3. " comes by itself
    await pane.locator("ol > li").nth(2).filter({ hasText: "Questions" }).waitFor();
    // The editor is a tap away.
    await p.getByRole("button", { name: "Reading view" }).click();
    await p.locator(".pad-area").waitFor();
    assert.equal(await pane.isVisible(), false);
    await phone.close();

    const laptop = await newUser(env.browser, { name: "L", color: "#3cb44b" });
    const l = await openPad(laptop, env.server.url, readOnlyId);
    await l.locator(".cm-line", { hasText: "Agenda" }).waitFor();
    assert.equal(await l.locator("#reading").isVisible(), false, "the editor alone on a laptop");
    await laptop.close();
  } finally {
    await alice.close();
  }
});

test("the reading view replaces the editor on a narrow screen and is remembered", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("reading-narrow");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b", viewport: { width: 900, height: 800 } });
  try {
    const a = await openPad(alice, env.server.url, pad);
    await insertAtEnd(a, "# Narrow\n\ntext");
    await a.getByRole("button", { name: "Reading view" }).click();
    const pane = a.getByRole("region", { name: "Reading view" });
    await pane.getByRole("heading", { name: "Narrow" }).waitFor();
    assert.equal(await a.locator(".pad-area").isVisible(), false);
    const again = await openPad(alice, env.server.url, pad);
    await again.getByRole("region", { name: "Reading view" }).getByRole("heading", { name: "Narrow" }).waitFor({ timeout: WAIT_MS });
  } finally {
    await alice.close();
  }
});

test("side by side, the reading view keeps your own place in sight as you write", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("reading-own");
  const alice = await newUser(env.browser, { name: "Alice", color: "#e6194b" });
  try {
    const a = await openPad(alice, env.server.url, pad);
    await a.getByRole("button", { name: "Reading view" }).click();
    await insertAtEnd(a, longText());
    await a.keyboard.type(" Written last.");
    const pane = a.getByRole("region", { name: "Reading view" });
    await a.waitForFunction(() => {
      const view = document.querySelector(".reading-pane");
      const p = Array.from(view.querySelectorAll("p")).find((el) => el.textContent.includes("Written last."));
      if (!p) return false;
      const r = p.getBoundingClientRect();
      const v = view.getBoundingClientRect();
      return r.top >= v.top && r.bottom <= v.bottom;
    });
    assert.ok((await pane.evaluate((el) => el.scrollTop)) > 1000);
    // Back to the top: the reading view goes along.
    await a.keyboard.press("Control+Home");
    await a.waitForFunction(() => document.querySelector(".reading-pane").scrollTop < 100);
  } finally {
    await alice.close();
  }
});
