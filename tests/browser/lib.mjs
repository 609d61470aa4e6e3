// Helpers for the browser tests: start the real ypad server binary ($YPAD_BIN) on a free port with a
// fresh data directory, launch Debian's headless Chromium through playwright-core, and open pads as
// named users. Nothing here sleeps to synchronise: every wait is for a condition, with a deadline.

import { spawn } from "node:child_process";
import { after, before } from "node:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

/** Longest wait for any one condition in the page. */
export const WAIT_MS = 15_000;
/** Longest wait for the server to print its address. */
const SERVER_START_MS = 30_000;

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"];

/**
 * Start `$YPAD_BIN serve --listen 127.0.0.1:0 --data-dir <fresh temp dir>` and wait for the line
 * `listening on http://127.0.0.1:PORT` on its stdout.
 */
export async function startServer() {
  const bin = process.env.YPAD_BIN;
  if (!bin) throw new Error("set YPAD_BIN to the ypad server binary, e.g. target/debug/ypad");
  const dataDir = await mkdtemp(path.join(tmpdir(), "ypad-browser-test-"));
  let running = await spawnServer(bin, dataDir);
  const stopChild = async () => {
    const { child } = running;
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const server = {
    url: running.url,
    output: () => running.output(),
    /** The Etherpad-compatible API's key, which the server writes into its data directory. */
    apiKey: async () => (await readFile(path.join(dataDir, "APIKEY.txt"), "utf8")).trim(),
    /** Graceful shutdown, then a new server on the same data directory (at a new `url`). */
    async restart() {
      await stopChild();
      running = await spawnServer(bin, dataDir);
      server.url = running.url;
    },
    async stop() {
      await stopChild();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

async function spawnServer(bin, dataDir) {
  const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info" },
  });
  let output = "";
  child.stderr.on("data", (d) => {
    output += d;
  });
  const url = await new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => fail(new Error(`server printed no "listening on" line within ${SERVER_START_MS} ms`)), SERVER_START_MS);
    const fail = (err) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${err.message}\n--- server stdout ---\n${stdout}\n--- server stderr ---\n${output}`));
    };
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`server exited early with code ${code}`)));
    child.stdout.on("data", (d) => {
      stdout += d;
      output += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve(m[1]);
      }
    });
  });
  return { child, url, output: () => output };
}

/**
 * For a test file: start the server and the browser before its tests and stop both after them.
 * The returned object holds them as `server` and `browser` while the tests run.
 */
export function serverAndBrowser() {
  const env = { server: undefined, browser: undefined };
  before(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A pad id no other test uses. */
export function uniquePad(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A browser context (its own storage, like a separate person) whose ypad identity is `name` in
 * `color`. `viewport` defaults to a laptop screen.
 */
export async function newUser(browser, { name, color, viewport = { width: 1280, height: 800 } }) {
  const context = await browser.newContext({ viewport });
  await context.addInitScript(
    ([n, c]) => {
      // Also runs on error pages (offline reload), where storage is off limits.
      try {
        if (!localStorage.getItem("ypad:user")) localStorage.setItem("ypad:user", JSON.stringify({ name: n, color: c }));
      } catch {}
    },
    [name, color],
  );
  return context;
}

/**
 * Problems a page reported: uncaught exceptions and Content-Security-Policy violations (the server
 * sends a strict CSP, so anything inline or fetched from elsewhere shows up here).
 */
const problems = new WeakMap();

export function pageProblems(page) {
  return problems.get(page) ?? [];
}

/**
 * Open `/p/{pad}` in a new page of `context` and wait until it is connected and synced. `suffix`
 * goes after the pad's address (`/present`, `?follow=Alice`, `#goals`).
 */
export async function openPad(context, baseUrl, pad, suffix = "") {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const seen = [];
  problems.set(page, seen);
  page.on("pageerror", (err) => seen.push(`uncaught: ${err.message}`));
  page.on("console", (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) seen.push(`csp: ${msg.text()}`);
  });
  await page.goto(`${baseUrl}/p/${encodeURIComponent(pad)}${suffix}`);
  await waitConnected(page);
  return page;
}

export async function waitConnected(page) {
  await page.locator('#status[data-status="connected"]').waitFor({ timeout: WAIT_MS });
}

/**
 * In the page: the editor's text, lines joined with "\n", without remote carets' name labels; or,
 * given `needle`, whether that text contains it.
 */
function readEditorText(needle) {
  const text = Array.from(document.querySelectorAll(".cm-content .cm-line"), (line) => {
    const copy = line.cloneNode(true);
    for (const w of copy.querySelectorAll(".cm-ySelectionCaret, .cm-widgetBuffer, .cm-placeholder")) w.remove();
    return copy.textContent.replace(/\u2060/g, "");
  }).join("\n");
  return needle === undefined ? text : text.includes(needle);
}

/** The editor's text as the person sees it. */
export function editorText(page) {
  return page.evaluate(readEditorText);
}

/**
 * Wait until the editor's text contains `needle`. The predicate is passed as a function, not a
 * string: Playwright evaluates a function once and reuses it, while a string would be eval'd on
 * every poll, which the pad page's Content-Security-Policy (no 'unsafe-eval') forbids.
 */
export async function waitForText(page, needle) {
  await page.waitForFunction(readEditorText, needle, { timeout: WAIT_MS });
}

/** Put the cursor at the end of the document and type `text`. */
export async function typeAtEnd(page, text) {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(text);
}

/**
 * GET `url` until it answers 2xx, then return its JSON. For server state that has no push
 * notification (a pad's metadata appears once its first edit is stored); bounded by WAIT_MS.
 */
export async function pollJson(request, url) {
  const deadline = Date.now() + WAIT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    const res = await request.get(url, { failOnStatusCode: false });
    if (res.ok()) return res.json();
    last = `${res.status()} ${await res.text()}`;
    await new Promise((r) => setTimeout(r, 100)); // retry interval of the poll
  }
  throw new Error(`GET ${url} did not succeed within ${WAIT_MS} ms; last answer: ${last}`);
}

/**
 * Wait until the page's service worker is active (it has cached the pages and assets), so the
 * page can be reloaded without a network.
 */
export async function waitServiceWorker(page) {
  await page.evaluate(
    (ms) =>
      Promise.race([
        navigator.serviceWorker.ready.then(() => true),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no active service worker")), ms)),
      ]),
    WAIT_MS,
  );
}

/**
 * Wait until IndexedDB has written what the pad page queued for `pad` (y-indexeddb writes each
 * update in its own transaction and does not say when it is done): a read-only transaction on the
 * same store starts only after every read/write transaction created before it has finished.
 */
export async function waitStoredLocally(page, pad) {
  await page.evaluate(
    (name) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(["updates"], "readonly");
          tx.objectStore("updates").count();
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    `ypad:${pad}`,
  );
}

/**
 * Put the cursor at the end of the document and insert `text` as one input (as a paste would): for
 * the long texts that make a pad scroll, which typing key by key would make slow.
 */
export async function insertAtEnd(page, text) {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.insertText(text);
}

/** Wait until `page` has drawn `count` more animation frames: a view that updates once a frame has had its turn. */
export async function frames(page, count = 2) {
  await page.evaluate(
    (n) =>
      new Promise((resolve) => {
        const step = (left) => (left === 0 ? resolve() : requestAnimationFrame(() => step(left - 1)));
        step(n);
      }),
    count,
  );
}

/** A long pad: a title and `sections` headed sections, so that the text scrolls. */
export function longText(sections = 30) {
  let text = "# Weekly sync\n\n";
  for (let i = 1; i <= sections; i++) text += `## Item ${i}\n\nParagraph ${i}, long enough to take a line or two of the page in any of its views.\n\n`;
  return `${text}The end.`;
}

/** Wait until the element `selector` has stopped scrolling (a smooth scroll has ended): the same position three frames running. */
export async function scrollSettled(page, selector) {
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel);
      const seen = (el.__settle ??= []);
      seen.push(el.scrollTop);
      if (seen.length > 3) seen.shift();
      return seen.length === 3 && seen.every((y) => y === seen[0]);
    },
    selector,
    { polling: "raf", timeout: WAIT_MS },
  );
}
