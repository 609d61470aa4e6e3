// End-to-end tests of the editor's binding to the pad under other people's edits: remote carets stay
// on the text they were at while others edit before them, follow renames, and show their name only
// on hover or just after their person typed; authorship colours appear on text typed by others and
// go away (marks and all) with the toggle; a remote change far from what you are reading leaves
// your view where it was; concurrent edits (and undo) from several tabs end in the same text; what
// you type while others' changes wait for the next frame lands where you typed it, and theirs where
// they typed it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WAIT_MS, editorText, newUser, openPad, pageProblems, serverAndBrowser, uniquePad, waitForText } from "./lib.mjs";

const TEST_MS = 60_000;
const env = serverAndBrowser();

const ALICE = { name: "Alice", color: "#e6194b" };
const BOB = { name: "Bob", color: "#4363d8" };
const CAROL = { name: "Carol", color: "#3cb44b" };

async function people(pad, ...who) {
  const contexts = [];
  const pages = [];
  for (const person of who) {
    const context = await newUser(env.browser, person);
    contexts.push(context);
    pages.push(await openPad(context, env.server.url, pad));
  }
  const close = async () => {
    assert.deepEqual(pages.flatMap((p) => pageProblems(p)), [], "the pages reported errors");
    await Promise.all(contexts.map((c) => c.close()));
  };
  return { pages, close };
}

/**
 * Run in the page: defines `window.caretPlace(name)`, where the caret named `name` is, as the text
 * of its line before it and the line's number (1-based, among the rendered lines); null when there
 * is not exactly one such caret.
 */
function installCaretPlace() {
  window.caretPlace = (name) => {
    const carets = [...document.querySelectorAll(".cm-ySelectionCaret")].filter((c) => c.querySelector(".cm-ySelectionInfo")?.textContent === name);
    if (carets.length !== 1) return null;
    const caret = carets[0];
    const line = caret.closest(".cm-line");
    if (!line) return null;
    let before = "";
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest(".cm-ySelectionCaret")) continue;
      if (caret.compareDocumentPosition(n) & Node.DOCUMENT_POSITION_PRECEDING) before += n.textContent;
    }
    const lines = [...document.querySelectorAll(".cm-content .cm-line")];
    return { line: lines.indexOf(line) + 1, before: before.replace(/\u2060/g, "") };
  };
}

/** Wait until `page` shows the caret named `name` on line `line` right after `before`. */
async function waitCaretAt(page, name, line, before) {
  await page.evaluate(installCaretPlace);
  try {
    await page.waitForFunction(
      ([n, l, b]) => {
        const place = window.caretPlace(n);
        return place !== null && place.line === l && place.before === b;
      },
      [name, line, before],
      { timeout: WAIT_MS },
    );
  } catch (e) {
    const place = await page.evaluate((n) => window.caretPlace(n), name);
    throw new Error(`${name}'s caret is at ${JSON.stringify(place)}, not on line ${line} after ${JSON.stringify(before)}: ${e.message}`);
  }
}

test("a remote caret stays on its text while others edit before it", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("carets");
  const { pages, close } = await people(pad, ALICE, BOB, CAROL);
  const [a, b, c] = pages;
  await a.locator(".cm-content").click();
  await a.keyboard.insertText("first line\nsecond line\nthird: the target word here\nlast line");
  await waitForText(b, "last line");
  await waitForText(c, "last line");
  // Alice puts her caret after "target".
  await a.locator(".cm-line", { hasText: "third:" }).click();
  await a.keyboard.press("Home");
  for (let i = 0; i < "third: the target".length; i++) await a.keyboard.press("ArrowRight");
  await waitCaretAt(b, "Alice", 3, "third: the target");

  // Carol writes before it: a new first line, words inside Alice's line, and a deletion there.
  await c.locator(".cm-content").click();
  await c.keyboard.press("Control+Home");
  await c.keyboard.insertText("Carol's new opening line\n");
  await c.locator(".cm-line", { hasText: "third:" }).click();
  await c.keyboard.press("Home");
  await c.keyboard.insertText("(edited) ");
  for (let i = 0; i < "third:".length; i++) await c.keyboard.press("ArrowRight");
  await c.keyboard.press("Backspace");
  await c.keyboard.insertText(" -");
  await waitForText(b, "(edited) third - the target word here");
  // And Bob, in his own tab, before it too.
  await b.locator(".cm-line", { hasText: "second line" }).click();
  await b.keyboard.press("End");
  await b.keyboard.insertText(", and more\nan extra line from Bob");
  await waitForText(a, "an extra line from Bob");
  await waitForText(c, "an extra line from Bob");

  await waitCaretAt(b, "Alice", 5, "(edited) third - the target");
  await waitCaretAt(c, "Alice", 5, "(edited) third - the target");
  // Alice's caret has not moved in her own tab either: she goes on typing where it is.
  await a.keyboard.insertText("ed");
  await waitForText(b, "(edited) third - the targeted word here");
  await waitForText(c, "(edited) third - the targeted word here");
  await waitCaretAt(b, "Alice", 5, "(edited) third - the targeted");
  assert.equal(await editorText(a), await editorText(b));
  assert.equal(await editorText(b), await editorText(c));
  await close();
});

test("a rename updates the caret's name tag in other tabs", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("rename-tag");
  const { pages, close } = await people(pad, ALICE, BOB);
  const [a, b] = pages;
  await a.locator(".cm-content").click();
  await a.keyboard.type("Alice types");
  await waitForText(b, "Alice types");
  const tags = () => b.evaluate(() => [...document.querySelectorAll(".cm-ySelectionInfo")].map((el) => el.textContent));
  await b.waitForFunction(() => document.querySelector(".cm-ySelectionInfo")?.textContent === "Alice", null, { timeout: WAIT_MS });
  // Alice renames herself without moving her caret: Bob's tag follows at once, as his user list does.
  await a.locator(".user-name-input").fill("Alicia");
  await b.locator("#user-list .user-name", { hasText: "Alicia" }).waitFor();
  await b.waitForFunction(() => [...document.querySelectorAll(".cm-ySelectionInfo")].map((el) => el.textContent).join("|") === "Alicia", null, { timeout: WAIT_MS }).catch(async (e) => {
    throw new Error(`caret tags in Bob's tab: ${JSON.stringify(await tags())}: ${e.message}`);
  });
  await close();
});

test("a caret's name tag shows on hover and after its person typed, not all the time", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("tags");
  const { pages, close } = await people(pad, ALICE, BOB);
  const [a, b] = pages;
  await a.locator(".cm-content").click();
  await a.keyboard.type("Alice types");
  await waitForText(b, "Alice types");
  const opacity = (value) => b.waitForFunction((v) => getComputedStyle(document.querySelector(".cm-ySelectionInfo")).opacity === v, value, { timeout: WAIT_MS });
  // A little after she stopped typing her name goes, leaving the coloured caret…
  await opacity("0");
  // …hovering the caret shows it…
  const box = await b.locator(".cm-ySelectionCaret").boundingBox();
  await b.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await opacity("1");
  await b.mouse.move(0, 0);
  await opacity("0");
  // …and so does her typing.
  await a.keyboard.type(" more");
  await waitForText(b, "Alice types more");
  await opacity("1");
  await close();
});

/** In the page: the author titles of the marked text, in order, and the marked text. */
function readMarks() {
  return Array.from(document.querySelectorAll(".cm-content .author-mark"), (m) => [m.getAttribute("title"), m.textContent]);
}

test("colours appear on text typed by others and the toggle removes them", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("colours");
  const { pages, close } = await people(pad, ALICE, BOB);
  const [a, b] = pages;
  await a.locator(".cm-content").click();
  await a.keyboard.type("Alice's words");
  await b.waitForFunction(() => [...document.querySelectorAll(".cm-content .author-mark")].some((m) => m.title === "Alice" && m.textContent === "Alice's words"), null, {
    timeout: WAIT_MS,
  });
  // Typing in the middle of Alice's text: Bob's letters are his, and split her mark.
  await b.locator(".cm-content").click();
  await b.keyboard.press("Control+Home");
  for (let i = 0; i < "Alice's".length; i++) await b.keyboard.press("ArrowRight");
  await b.keyboard.type(" own");
  await waitForText(a, "Alice's own words");
  await a.waitForFunction(
    () => JSON.stringify([...document.querySelectorAll(".cm-content .author-mark")].map((m) => [m.title, m.textContent])) === JSON.stringify([["Alice", "Alice's"], ["Bob", " own"], ["Alice", " words"]]),
    null,
    { timeout: WAIT_MS },
  ).catch(async (e) => {
    throw new Error(`marks in Alice's tab: ${JSON.stringify(await a.evaluate(readMarks))}: ${e.message}`);
  });

  // Off: no marks at all, also for text typed while they are off.
  await b.locator("#author-colors-toggle").click();
  await b.locator(".cm-content .author-mark").first().waitFor({ state: "detached" });
  await a.keyboard.press("Control+End");
  await a.keyboard.type(", and more");
  await waitForText(b, "Alice's own words, and more");
  assert.deepEqual(await b.evaluate(readMarks), []);
  // On again: every author's text in their colour.
  await b.locator("#author-colors-toggle").click();
  await b.waitForFunction(
    () => JSON.stringify([...document.querySelectorAll(".cm-content .author-mark")].map((m) => [m.title, m.textContent])) === JSON.stringify([["Alice", "Alice's"], ["Bob", " own"], ["Alice", " words, and more"]]),
    null,
    { timeout: WAIT_MS },
  ).catch(async (e) => {
    throw new Error(`marks in Bob's tab: ${JSON.stringify(await b.evaluate(readMarks))}: ${e.message}`);
  });
  await close();
});

test("a remote change far from the viewport leaves the view where it was", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("viewport");
  const { pages, close } = await people(pad, ALICE, BOB);
  const [a, b] = pages;
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i + 1} of the agenda`);
  await a.locator(".cm-content").click();
  await a.keyboard.insertText(lines.join("\n"));
  // Only what is on screen is drawn: the rest shows as the pad's height.
  await b.waitForFunction(() => document.querySelector(".cm-content").getBoundingClientRect().height > 300 * 20, null, { timeout: WAIT_MS });
  // Bob scrolls to the middle of the pad and reads there.
  await b.locator(".cm-content").hover();
  const topLine = () =>
    b.evaluate(() => {
      // The pad page scrolls the editor's container, not the editor itself.
      let box = document.querySelector(".cm-editor");
      while (box.parentElement && box.scrollTop === 0) box = box.parentElement;
      const view = box.getBoundingClientRect();
      const content = document.querySelector(".cm-content").getBoundingClientRect();
      const el = document.elementFromPoint(content.left + 40, Math.max(view.top, 0) + 40)?.closest(".cm-line");
      return el ? { text: el.textContent, y: Math.round(el.getBoundingClientRect().top) } : null;
    });
  // Wheel scrolling is smooth: wait until the container has stood still for a few frames.
  const settled = () =>
    b.evaluate(
      (ms) =>
        new Promise((resolve, reject) => {
          let box = document.querySelector(".cm-editor");
          while (box.parentElement && box.scrollHeight <= box.clientHeight) box = box.parentElement;
          const deadline = performance.now() + ms;
          let last = -1;
          let still = 0;
          const tick = () => {
            if (box.scrollTop === last) still++;
            else still = 0;
            last = box.scrollTop;
            if (still >= 5) resolve();
            else if (performance.now() > deadline) reject(new Error("the pad kept scrolling"));
            else requestAnimationFrame(tick);
          };
          tick();
        }),
      WAIT_MS,
    );
  for (let i = 0; i < 40 && !/^line 1[4-9]\d /.test((await topLine())?.text ?? ""); i++) {
    await b.mouse.wheel(0, 400);
    await settled();
  }
  const before = await topLine();
  assert.match(before.text, /^line 1[4-9]\d of the agenda$/);

  const height = () => b.evaluate(() => document.querySelector(".cm-content").getBoundingClientRect().height);
  const tall = await height();

  // Alice writes at the top and at the bottom of the pad.
  await a.keyboard.press("Control+Home");
  await a.keyboard.insertText(Array.from({ length: 40 }, (_, i) => `new line ${i} at the top`).join("\n") + "\n");
  await a.keyboard.press("Control+End");
  await a.keyboard.insertText("\nappended at the end");
  // Neither end is on Bob's screen, so the text shows up as a taller pad.
  await b.waitForFunction((h) => document.querySelector(".cm-content").getBoundingClientRect().height > h + 500, tall, { timeout: WAIT_MS });
  await settled();
  const after = await topLine();
  assert.equal(after?.text, before.text, "the line Bob was reading stays at the top");
  assert.ok(Math.abs(after.y - before.y) <= 2, `and where it was on screen: ${before.y} px, now ${after.y} px`);
  await close();
});

test("three people editing all over the pad at once end with the server's text, undo included", { timeout: 120_000 }, async () => {
  const pad = uniquePad("converge");
  const tall = { width: 1280, height: 1400 };
  const { pages, close } = await people(pad, { ...ALICE, viewport: tall }, { ...BOB, viewport: tall }, { ...CAROL, viewport: tall });
  const [a] = pages;
  await a.locator(".cm-content").click();
  const initial = Array.from({ length: 12 }, (_, i) => `line ${i + 1}: the quick brown fox`).join("\n");
  await a.keyboard.insertText(initial);
  for (const p of pages) await waitForText(p, "line 12: the quick brown fox");

  // Each person, at the same time as the others: click somewhere, then type, delete or split a line.
  const edit = async (page, seed) => {
    let s = seed;
    const rand = (n) => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s % n;
    };
    for (let i = 0; i < 25; i++) {
      const lines = page.locator(".cm-content .cm-line");
      const count = await lines.count();
      const line = lines.nth(rand(count));
      const box = await line.boundingBox();
      if (!box) continue;
      await page.mouse.click(box.x + 8 + rand(Math.max(1, Math.floor(box.width / 2))), box.y + box.height / 2);
      const op = rand(4);
      if (op === 0) await page.keyboard.type(` w${seed % 10}${i}`);
      else if (op === 1) await page.keyboard.press("Backspace");
      else if (op === 2) await page.keyboard.press("Enter");
      else await page.keyboard.insertText(`[${i}]`);
    }
  };
  await Promise.all(pages.map((p, i) => edit(p, 7 + i * 13)));
  // Bob takes all his edits back (25 edits are at most 25 steps of his undo history), while Alice
  // and Carol go on.
  const undoAll = async (page) => {
    for (let i = 0; i < 30; i++) await page.keyboard.press("Control+z");
  };
  await Promise.all([undoAll(pages[1]), edit(pages[0], 101), edit(pages[2], 103)]);

  const exported = async () => (await (await a.context().request.get(`${env.server.url}/p/${encodeURIComponent(pad)}/export/txt`)).text()).replace(/\n$/, "");
  const deadline = Date.now() + WAIT_MS;
  let texts;
  let server;
  do {
    texts = await Promise.all(pages.map((p) => editorText(p)));
    server = await exported();
    if (texts.every((t) => t === server)) break;
    await new Promise((r) => setTimeout(r, 100)); // retry interval of the poll
  } while (Date.now() < deadline);
  assert.equal(texts[0], server, "Alice's editor shows the server's text");
  assert.equal(texts[1], server, "Bob's editor shows the server's text");
  assert.equal(texts[2], server, "Carol's editor shows the server's text");
  assert.ok(server.includes("quick") && server.includes(" w7") && server.includes(" w3"), `Alice's and Carol's edits are in: ${JSON.stringify(server)}`);
  assert.ok(!server.includes(" w0"), `Bob's are undone: ${JSON.stringify(server)}`);
  await close();
});

/**
 * Init script: counts the document updates the page receives from the server (y-websocket's sync
 * messages of type update) in `window.updatesIn`.
 */
function countIncomingUpdates() {
  window.updatesIn = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const bytes = e.data instanceof ArrayBuffer ? new Uint8Array(e.data) : null;
        if (bytes && bytes[0] === 0 && bytes[1] === 2) window.updatesIn += 1;
      });
    }
  };
}

/** In the page: hold animation frames (their callbacks wait) until `window.releaseFrames()`. */
function holdFrames() {
  const native = window.requestAnimationFrame.bind(window);
  let holding = true;
  const held = [];
  // Kept in place after the release (a caller may have kept a reference to it).
  window.requestAnimationFrame = (cb) => {
    if (!holding) return native(cb);
    held.push(cb);
    return 0;
  };
  window.releaseFrames = () => {
    holding = false;
    for (const cb of held.splice(0)) native(cb);
  };
}

test("typing while others' changes wait for the next frame keeps both edits where they were made", { timeout: TEST_MS }, async () => {
  const pad = uniquePad("pending");
  const aliceContext = await newUser(env.browser, ALICE);
  await aliceContext.addInitScript(countIncomingUpdates);
  const a = await openPad(aliceContext, env.server.url, pad);
  const bobContext = await newUser(env.browser, BOB);
  const b = await openPad(bobContext, env.server.url, pad);
  await a.evaluate(() => {
    window.marksWithoutCarets = () =>
      Array.from(document.querySelectorAll(".cm-content .author-mark"), (m) => {
        const copy = m.cloneNode(true);
        for (const w of copy.querySelectorAll(".cm-ySelectionCaret, .cm-widgetBuffer")) w.remove();
        return [m.getAttribute("title"), copy.textContent.replace(/\u2060/g, "")];
      }).filter(([, text]) => text !== "");
  });

  await a.locator(".cm-content").click();
  await a.keyboard.insertText("alpha\n");
  await waitForText(b, "alpha\n");
  // Bob writes the second line, and Alice's tab learns he is its author before it holds its
  // frames: text from an author it does not know yet makes it fetch the author map and repaint
  // the colours, which shows pending changes at once.
  await b.locator(".cm-content").click();
  await b.keyboard.press("Control+End");
  await b.keyboard.insertText("omega");
  await a.waitForFunction(() => JSON.stringify(window.marksWithoutCarets()).includes('["Bob","omega"]'), null, { timeout: WAIT_MS });
  await a.keyboard.press("Control+Home");
  await a.keyboard.press("End");

  // Alice's tab draws no frame: Bob's change reaches its Yjs document but waits to be shown.
  await a.evaluate(holdFrames);
  const before = await a.evaluate(() => window.updatesIn);
  await b.locator(".cm-content").click();
  await b.keyboard.press("Control+Home");
  await b.keyboard.insertText("REMOTE ");
  await a.waitForFunction((n) => window.updatesIn > n, before, { timeout: WAIT_MS });
  assert.equal(await editorText(a), "alpha\nomega", "Bob's change is not shown before a frame");

  // Alice types at the end of her first line meanwhile, where her caret is in what she sees.
  await a.keyboard.type(" LOCAL");
  assert.equal(await editorText(a), "alpha LOCAL\nomega");
  await a.evaluate(() => window.releaseFrames());

  const want = "REMOTE alpha LOCAL\nomega";
  for (const [who, page] of [["Alice", a], ["Bob", b]]) {
    await waitForText(page, want).catch(async (e) => {
      throw new Error(`${who}'s tab shows ${JSON.stringify(await editorText(page))}: ${e.message}`);
    });
  }
  assert.equal(await editorText(a), want);
  assert.equal(await editorText(b), want);
  // Her caret stays after her own text, and each part is in its author's colour in her tab.
  await a.keyboard.type("!");
  await waitForText(b, "REMOTE alpha LOCAL!\nomega");
  const marks = [
    ["Bob", "REMOTE "],
    ["Alice", "alpha LOCAL!"],
    ["Bob", "omega"],
  ];
  await a.waitForFunction((want) => JSON.stringify(window.marksWithoutCarets()) === JSON.stringify(want), marks, { timeout: WAIT_MS }).catch(async (e) => {
    throw new Error(`marks in Alice's tab: ${JSON.stringify(await a.evaluate(() => window.marksWithoutCarets()))}: ${e.message}`);
  });
  await waitCaretAt(a, "Bob", 1, "REMOTE ");
  assert.deepEqual([...pageProblems(a), ...pageProblems(b)], [], "the pages reported errors");
  await aliceContext.close();
  await bobContext.close();
});
