// Browser benchmark of the pad page on a busy pad (`just bench-browser`): how much of a tab's main
// thread a pad's traffic takes, and how that grows with the pad.
//
// Storm: a pad of ITEMS keystrokes by 20 authors at scattered places (each keystroke its own Yjs
// item), then the 20 authors type together at RATE keys/s in all for SECONDS, each key followed by
// a cursor update (awareness) as a browser sends it, while headless Chromium tabs watch (WATCHERS)
// and one more tab types at the end of the pad at 4 keys/s. Per tab: the main thread's busy share
// (DevTools `TaskDuration` over the window), how long a task posted to it waits (p50, p95, max),
// how far behind it is when typing stops (a marker typed then, until the tab shows it), and for
// the typing tab how long its own keys take to reach a frame.
//
// Cost per remote key: for a pad of one author (SIZE keystrokes typed in a row, so few items) and
// pads of each of SIZES scattered items, one author types KEYS keys with cursor updates while one
// tab watches; main-thread time over the typing and until the tab has shown the last key, less
// the same tab's time over an idle stretch as long, divided by the keys.
//
// Authors are Node Yjs clients speaking the y-websocket protocol to the real server, each with its
// own identity cookie (and name), so the server's authorship map has 20 authors as in real life.
// All figures are noisy on a small machine where the server, the tabs and the authors share the
// cores: take the median of a few runs and compare how cost grows, not single numbers.

import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import * as Y from "yjs";
import * as sync from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    bin: { type: "string", default: process.env.YPAD_BIN ?? path.join(here, "../../../target/release/ypad") },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    items: { type: "string", default: "60000" },
    authors: { type: "string", default: "20" },
    rate: { type: "string", default: "40" },
    seconds: { type: "string", default: "15" },
    watchers: { type: "string", default: "2" },
    sizes: { type: "string", default: "1000,20000,60000" },
    keys: { type: "string", default: "120" },
    only: { type: "string", default: "storm,cost" },
    seed: { type: "string", default: "17" },
    /** Storm runs; with more than one, also a table of all their samples pooled. */
    repeat: { type: "string", default: "1" },
    profile: { type: "string" },
    trace: { type: "string" },
    /** Which tab --profile and --trace record: a watcher's number from 1, or "typist". */
    "profile-tab": { type: "string", default: "1" },
  },
});
const ITEMS = Number(opt.items);
const AUTHORS = Number(opt.authors);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const WATCHERS = Number(opt.watchers);
const SIZES = opt.sizes.split(",").map(Number);
const KEYS = Number(opt.keys);
const PHASES = new Set(opt.only.split(","));
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"];
/** Longest wait for any one condition. */
const WAIT_MS = 120_000;

// A seeded generator, so runs type the same pads.
let rngState = Number(opt.seed) >>> 0 || 1;
function random() {
  rngState ^= rngState << 13;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  return (rngState >>> 0) / 4294967296;
}
const LETTERS = "abcdefghijklmnopqrstuvwxyz    ";
const letter = () => (random() < 0.04 ? "\n" : LETTERS[Math.floor(random() * LETTERS.length)]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms)); // pacing of typists, not synchronisation

async function deadline(what, ms, check) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50); // poll interval
  }
}

// ---------------------------------------------------------------------------------------------
// Server

async function startServer() {
  const dataDir = await mkdtemp(path.join(tmpdir(), "ypad-bench-browser-"));
  const child = spawn(opt.bin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--max-frames-per-sec", "100000"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
  });
  child.removeAllListeners("exit");
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An identity cookie from the server, named `name`. */
async function identity(base, name, color) {
  const res = await fetch(`${base}/api/v1/me`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
  await fetch(`${base}/api/v1/me`, { method: "POST", headers: { Cookie: cookie, "Content-Type": "application/json" }, body: JSON.stringify({ name, color }) });
  return cookie;
}

// ---------------------------------------------------------------------------------------------
// Node authors: one shared Y.Doc, one connection each; a key is a doc update and a cursor update.

const MSG_SYNC = 0;
const MSG_AWARENESS = 1;
const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#14a3a3", "#d6336c", "#2f9e44", "#1c7ed6", "#e8590c"];

class Author {
  constructor(doc, index, cookie) {
    this.doc = doc;
    this.id = 1_000_000 + index * 7919;
    this.name = `Author ${index + 1}`;
    this.cookie = cookie;
    const own = new Y.Doc();
    own.clientID = this.id;
    this.awareness = new awarenessProtocol.Awareness(own);
    const color = COLORS[index % COLORS.length];
    this.awareness.setLocalState({ user: { name: this.name, color, colorLight: `${color}33` } });
    /** The id of this author's last character, where its caret is. */
    this.last = null;
    /** Document updates this connection has received from the server. */
    this.received = 0;
    /** Whether this connection applies what it receives to the shared document. */
    this.keepsDoc = index === 0;
  }

  async connect(base, pad) {
    const ws = new WebSocket(`${base.replace("http", "ws")}/ws/${encodeURIComponent(pad)}`, { headers: { Cookie: this.cookie } });
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.synced = false;
    ws.on("message", (data) => {
      const decoder = decoding.createDecoder(new Uint8Array(data));
      const type = decoding.readVarUint(decoder);
      if (type !== MSG_SYNC) return;
      this.received += 1;
      // The authors share one document, so once synced one connection keeps it up to date and
      // the rest only count: decoding every update 20 times would take a core from the tabs.
      if (this.synced && !this.keepsDoc) return;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MSG_SYNC);
      const kind = sync.readSyncMessage(decoder, encoder, this.doc, this);
      if (kind === sync.messageYjsSyncStep2) this.synced = true;
      if (encoding.length(encoder) > 1) ws.send(encoding.toUint8Array(encoder));
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MSG_SYNC);
    sync.writeSyncStep1(encoder, this.doc);
    ws.send(encoding.toUint8Array(encoder));
    this.sendAwareness();
  }

  sendUpdate(update) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MSG_SYNC);
    sync.writeUpdate(encoder, update);
    this.ws.send(encoding.toUint8Array(encoder));
  }

  sendAwareness() {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MSG_AWARENESS);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.id]));
    this.ws.send(encoding.toUint8Array(encoder));
  }

  /**
   * Type one character where this author's caret is (right after its last one), or at a random
   * place; then tell the others where the caret is. The caret is found by the last character's
   * id, not by walking the text to an index and back: on a 60,000-item pad those walks took this
   * process most of a core, which the tabs being measured share.
   */
  key(ytext, jump) {
    const doc = this.doc;
    doc.clientID = this.id;
    if (this.last === null || jump) {
      const pos = Math.floor(random() * (ytext.length + 1));
      doc.transact(() => ytext.insert(pos, letter()), this);
    } else {
      doc.transact((tr) => {
        // What Y.Text#insert makes for an insertion after `left`, without finding `left` by index.
        const left = Y.getItem(doc.store, this.last);
        const right = left.right;
        const id = Y.createID(this.id, Y.getState(doc.store, this.id));
        new Y.Item(id, left, left.lastId, right, right && right.id, ytext, null, new Y.ContentString(letter())).integrate(tr, 0);
      }, this);
      // Yjs's search markers did not see that insertion.
      if (ytext._searchMarker) ytext._searchMarker.length = 0;
    }
    this.last = Y.createID(this.id, Y.getState(doc.store, this.id) - 1);
    // As a browser sends it: the caret after the new character.
    const rel = new Y.RelativePosition(null, "text", this.last, -1);
    this.awareness.setLocalStateField("cursor", { anchor: rel, head: rel });
    this.sendAwareness();
  }

  close() {
    this.ws?.close();
    this.awareness.destroy();
  }
}

/** A pad with 20 (or `authors`) connected authors sharing one document. */
async function authorsOn(base, pad, count) {
  const doc = new Y.Doc();
  const ytext = doc.getText("text");
  const authors = [];
  for (let i = 0; i < count; i++) authors.push(new Author(doc, i, await identity(base, `Author ${i + 1}`, COLORS[i % COLORS.length])));
  doc.on("update", (update, origin) => {
    if (origin instanceof Author && origin.ws) origin.sendUpdate(update);
  });
  for (const a of authors) await a.connect(base, pad);
  await deadline("the authors' sync", WAIT_MS, () => authors.every((a) => a.synced));
  return { doc, ytext, authors };
}

/**
 * Write `items` keystrokes into the pad: by all authors at scattered places, or (`oneAuthor`) by
 * the first author in a row. The server takes no update that depends on content it does not have
 * yet, and scattered keystrokes depend on each other's authors: so each author first types one
 * character over its own connection, in turn (the server records the author of a client from its
 * first text), and the rest goes over the first author's connection in one update.
 */
async function seed(pad, { doc, ytext, authors }, items, oneAuthor) {
  if (!oneAuthor) {
    for (const [i, a] of authors.entries()) {
      const other = authors[(i + 1) % authors.length];
      const seen = other.received;
      doc.clientID = a.id;
      doc.transact(() => ytext.insert(ytext.length, letter()), a);
      if (other !== a) await deadline(`${a.name}'s first key at the server`, WAIT_MS, () => other.received > seen);
    }
  }
  const claimed = Y.encodeStateVector(doc);
  const saved = authors.map((a) => a.ws);
  for (const a of authors) a.ws = null; // build offline, send below
  if (oneAuthor) {
    doc.clientID = authors[0].id;
    let text = "";
    for (let i = 0; i < items; i++) text += letter();
    for (let i = 0; i < text.length; i += 1000) doc.transact(() => ytext.insert(ytext.length, text.slice(i, i + 1000)), authors[0]);
  } else {
    for (let i = 0; i < items; i++) {
      const a = authors[i % authors.length];
      doc.clientID = a.id;
      doc.transact(() => ytext.insert(Math.floor(random() * (ytext.length + 1)), letter()), a);
    }
  }
  authors.forEach((a, i) => (a.ws = saved[i]));
  authors[0].sendUpdate(Y.encodeStateAsUpdate(doc, claimed));
  return ytext.length;
}

// ---------------------------------------------------------------------------------------------
// Tabs

async function openTab(browser, base, pad, name, color) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(
    ([n, c]) => {
      try {
        localStorage.setItem("ypad:user", JSON.stringify({ name: n, color: c }));
      } catch {}
    },
    [name, color],
  );
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const opened = Date.now();
  await page.goto(`${base}/p/${encodeURIComponent(pad)}`);
  await page.locator('#status[data-status="connected"]').waitFor({ timeout: WAIT_MS });
  // Synced and the text drawn: the first line of the pad is on screen.
  await page.locator(".cm-content .cm-line").first().waitFor({ timeout: WAIT_MS });
  const openMs = Date.now() - opened;
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  return { context, page, cdp, name, openMs };
}

async function taskSeconds(tab) {
  const { metrics } = await tab.cdp.send("Performance.getMetrics");
  return metrics.find((m) => m.name === "TaskDuration").value;
}

/** In the page: post a task every 50 ms and note how long it waited; note when `marker` shows up. */
function startProbes(marker) {
  const b = { waits: [], keys: [], seenAt: 0, run: true };
  window.__bench = b;
  const channel = new MessageChannel();
  let posted = 0;
  channel.port1.onmessage = () => {
    b.waits.push(performance.now() - posted);
    if (b.run) setTimeout(post, 50);
  };
  const post = () => {
    posted = performance.now();
    channel.port2.postMessage(0);
  };
  post();
  const content = document.querySelector(".cm-content");
  const look = () => {
    if (!b.seenAt && marker && content.textContent.includes(marker)) b.seenAt = Date.now();
  };
  new MutationObserver(look).observe(content, { childList: true, subtree: true, characterData: true });
  // Your own keys: from the key event to the next frame after the editor handled it.
  document.addEventListener(
    "keydown",
    (e) => {
      const t0 = e.timeStamp;
      requestAnimationFrame(() => b.keys.push(performance.now() - t0));
    },
    true,
  );
}

const readProbes = (page) =>
  page.evaluate(() => {
    const b = window.__bench;
    b.run = false;
    return { waits: b.waits, keys: b.keys, seenAt: b.seenAt };
  });

function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const ms = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : Math.round(x)} ms` : "–");

/** Until the tab's main thread is quiet (under 15% busy over a second), or 20 s. */
async function settle(tabs) {
  const end = Date.now() + 20_000;
  for (const tab of tabs) {
    for (;;) {
      const a = await taskSeconds(tab);
      await sleep(1000); // the measuring interval
      const busy = (await taskSeconds(tab)) - a;
      if (busy < 0.15 || Date.now() > end) break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async function storm() {
  const server = await startServer();
  try {
    const pad = `storm-${Date.now().toString(36)}`;
    const team = await authorsOn(server.url, pad, AUTHORS);
    log(`storm: seeding ${ITEMS} keystrokes`);
    const length = await seed(pad, team, ITEMS, false);
    log("storm: opening tabs");
    const tabs = [];
    for (let i = 0; i < WATCHERS; i++) tabs.push(await openTab(browser, server.url, pad, `Watcher ${i + 1}`, "#0c8599"));
    const typist = await openTab(browser, server.url, pad, "Moderator", "#7048e8");
    tabs.push(typist);
    await typist.page.locator(".cm-content").click();
    await typist.page.keyboard.press("Control+End");
    await settle(tabs);
    log("storm: typing");

    const marker = `END${Date.now().toString(36)}`;
    for (const t of tabs) await t.page.evaluate(startProbes, marker);
    const probed = opt["profile-tab"] === "typist" ? typist : tabs[Number(opt["profile-tab"]) - 1];
    if (opt.profile) {
      await probed.cdp.send("Profiler.enable");
      await probed.cdp.send("Profiler.start");
    }
    if (opt.trace) await browser.startTracing(probed.page, { path: opt.trace, categories: ["devtools.timeline", "disabled-by-default-devtools.timeline"] });
    const t0 = await Promise.all(tabs.map(taskSeconds));
    const start = Date.now();
    let sent = 0;
    let typed = 0;
    const moderator = (async () => {
      while (Date.now() - start < SECONDS * 1000) {
        await typist.page.keyboard.press(LETTERS[typed++ % 26]);
        await sleep(250); // 4 keys/s
      }
    })();
    while (Date.now() - start < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * RATE);
      while (sent < due) {
        const a = team.authors[sent % team.authors.length];
        a.key(team.ytext, random() < 1 / 8);
        sent++;
      }
      await sleep(5); // pacing
    }
    await moderator;
    const stop = Date.now();
    const t1 = await Promise.all(tabs.map(taskSeconds));
    if (opt.trace) await browser.stopTracing();
    if (opt.profile) {
      const { profile } = await probed.cdp.send("Profiler.stop");
      await writeFile(opt.profile, JSON.stringify(profile));
      log(`storm: CPU profile of ${probed.name} in ${opt.profile}`);
    }
    // The marker at both ends of the pad, so every tab has it on screen.
    const a0 = team.authors[0];
    team.doc.clientID = a0.id;
    team.doc.transact(() => {
      team.ytext.insert(team.ytext.length, ` ${marker}`);
      team.ytext.insert(0, `${marker} `);
    }, a0);
    const results = [];
    log("storm: waiting for the tabs to catch up");
    for (const t of tabs) {
      await deadline(`${t.name} to show the end marker`, WAIT_MS, () => t.page.evaluate(() => window.__bench.seenAt !== 0));
    }
    for (let i = 0; i < tabs.length; i++) {
      const t = tabs[i];
      const p = await readProbes(t.page);
      const wall = (stop - start) / 1000;
      results.push({
        tab: t === typist ? "typing tab" : t.name.toLowerCase(),
        busy: (t1[i] - t0[i]) / wall,
        waits: p.waits,
        behind: p.seenAt - stop,
        keys: t === typist ? p.keys : null,
      });
    }
    for (const t of tabs) await t.context.close();
    for (const a of team.authors) a.close();
    return { length, sent, seconds: (stop - start) / 1000, typed, results, openMs: tabs.map((t) => t.openMs) };
  } finally {
    await server.stop();
  }
}

async function costPerKey(browser, items, oneAuthor) {
  const server = await startServer();
  try {
    const pad = `cost-${Date.now().toString(36)}`;
    const team = await authorsOn(server.url, pad, oneAuthor ? 2 : AUTHORS);
    log(`cost: seeding ${items} keystrokes${oneAuthor ? " by one author" : ""}`);
    await seed(pad, team, items, oneAuthor);
    const tab = await openTab(browser, server.url, pad, "Watcher", "#0c8599");
    await settle([tab]);
    const seconds = KEYS / 10;
    // Idle: the same tab for as long as the typing takes.
    const i0 = await taskSeconds(tab);
    await sleep(seconds * 1000); // the idle measuring window
    const idle = (await taskSeconds(tab)) - i0;
    const marker = `END${Date.now().toString(36)}`;
    await tab.page.evaluate(startProbes, marker);
    const typist = team.authors[1];
    const t0 = await taskSeconds(tab);
    const start = Date.now();
    for (let k = 0; k < KEYS; k++) {
      typist.key(team.ytext, k % 20 === 0);
      await sleep(100); // 10 keys/s
    }
    team.doc.clientID = typist.id;
    team.doc.transact(() => team.ytext.insert(0, `${marker} `), typist);
    await deadline("the watcher to show the marker", WAIT_MS, () => tab.page.evaluate(() => window.__bench.seenAt !== 0));
    const busy = (await taskSeconds(tab)) - t0;
    const wall = (Date.now() - start) / 1000;
    await tab.context.close();
    for (const a of team.authors) a.close();
    return { items, oneAuthor, perKey: ((busy - (idle * wall) / seconds) / KEYS) * 1000, gross: (busy / KEYS) * 1000 };
  } finally {
    await server.stop();
  }
}

function stormTable(results) {
  console.log("| tab | main thread busy | task wait p50 | p95 | max | behind when typing stopped | own key → frame p50 | p95 | max |");
  console.log("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const r of results) {
    const k = r.keys ?? [];
    console.log(
      `| ${r.tab} | ${Math.round(r.busy * 100)}% | ${ms(quantile(r.waits, 0.5))} | ${ms(quantile(r.waits, 0.95))} | ${ms(Math.max(...r.waits))} | ${ms(r.behind)} | ${r.keys ? ms(quantile(k, 0.5)) : "–"} | ${r.keys ? ms(quantile(k, 0.95)) : "–"} | ${r.keys ? ms(Math.max(...k)) : "–"} |`,
    );
  }
}

const browser = await chromium.launch({ executablePath: opt.chromium, args: CHROMIUM_ARGS, headless: true });
try {
  console.log(`binary: ${opt.bin}`);
  if (PHASES.has("storm")) {
    const runs = [];
    for (let run = 0; run < Number(opt.repeat); run++) {
      const s = await storm();
      runs.push(s);
      console.log(`\nStorm: pad of ${ITEMS} scattered keystrokes (${s.length} characters) by ${AUTHORS} authors; ${s.sent} keys in ${s.seconds.toFixed(1)} s (${(s.sent / s.seconds).toFixed(1)}/s) with cursor updates; the typing tab typed ${s.typed}; tabs opened (connected, synced, drawn) in ${s.openMs.map((m) => ms(m)).join(", ")}\n`);
      stormTable(s.results);
    }
    if (runs.length > 1) {
      // A p95 of one run's ~50 own keys is its third worst: pooling the runs steadies it.
      console.log(`\nAll ${runs.length} storm runs: busy and behind are the median of the runs; waits and own keys are quantiles of every sample\n`);
      const median = (xs) => quantile(xs, 0.5);
      const pooled = runs[0].results.map((r, i) => {
        const of = runs.map((s) => s.results[i]);
        return {
          tab: r.tab,
          busy: median(of.map((x) => x.busy)),
          waits: of.flatMap((x) => x.waits),
          behind: median(of.map((x) => x.behind)),
          keys: r.keys ? of.flatMap((x) => x.keys) : null,
        };
      });
      stormTable(pooled);
    }
  }
  if (PHASES.has("cost")) {
    console.log(`\nMain-thread time per remote key (${KEYS} keys at 10/s with cursor updates, one watching tab, idle time subtracted)\n`);
    console.log("| pad | items | per key | gross per key |");
    console.log("|---|--:|--:|--:|");
    const one = await costPerKey(browser, Math.max(...SIZES), true);
    console.log(`| one author, typed in a row | ${one.items} keystrokes | ${ms(one.perKey)} | ${ms(one.gross)} |`);
    for (const n of SIZES) {
      const r = await costPerKey(browser, n, false);
      console.log(`| ${AUTHORS} authors, scattered | ${n} | ${ms(r.perKey)} | ${ms(r.gross)} |`);
    }
  }
} finally {
  await browser.close();
}
// The authors' sockets may still be closing; nothing is left to measure.
process.exit(0);
