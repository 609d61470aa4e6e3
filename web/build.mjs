// Builds the browser client into dist/: index.html (start page), pad.html (pad page),
// timeslider.html (a pad's history), event.html (an event's sessions), present.html (a pad's presenter view), the bundled, minified assets in dist/static/ whose names carry
// a content hash, so the server may send them with `Cache-Control: immutable`, and sw.js, the
// service worker, whose name stays fixed (it is served from `/sw.js`) and which carries the list of
// assets to cache. The output is deterministic (same sources, same bytes), and dist/ is committed:
// the Rust binary embeds it without running npm.
//
// Usage: node build.mjs  (npm run build)

import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, "dist");
const staticDir = path.join(dist, "static");

/** The pad page (and the timeslider page) must stay below this many gzip-compressed bytes of JS + CSS. */
const PAGE_BUDGET = 500 * 1024;
const BUDGETED_PAGES = ["pad", "timeslider", "present"];

/** 8 upper-case base-32 characters of SHA-256, like esbuild's own [hash]. */
function contentHash(bytes) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const digest = createHash("sha256").update(bytes).digest();
  let out = "";
  for (let i = 0; i < 8; i++) out += alphabet[digest[i] % 32];
  return out;
}

await rm(dist, { recursive: true, force: true });
await mkdir(staticDir, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    pad: "src/pad.ts",
    start: "src/start.ts",
    timeslider: "src/timeslider.ts",
    event: "src/event.ts",
    present: "src/present.ts",
  },
  outdir: "dist/static",
  entryNames: "[name]-[hash]",
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "eof",
  charset: "utf8",
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
});

/** Template placeholder (`{{pad.js}}`) → URL of the built asset. */
const assets = new Map();
const files = [];
for (const [out, info] of Object.entries(result.metafile.outputs)) {
  files.push(out);
  if (!info.entryPoint) continue;
  const name = path.basename(info.entryPoint, ".ts");
  assets.set(`${name}.js`, `/static/${path.basename(out)}`);
  if (info.cssBundle) assets.set(`${name}.css`, `/static/${path.basename(info.cssBundle)}`);
}

const favicon = await readFile(path.join(root, "src/html/favicon.svg"));
const faviconName = `favicon-${contentHash(favicon)}.svg`;
await writeFile(path.join(staticDir, faviconName), favicon);
assets.set("favicon.svg", `/static/${faviconName}`);
files.push(`dist/static/${faviconName}`);

const pages = [];
for (const [template, output] of [
  ["index.html", "index.html"],
  ["pad.html", "pad.html"],
  ["timeslider.html", "timeslider.html"],
  ["event.html", "event.html"],
  ["present.html", "present.html"],
]) {
  const source = await readFile(path.join(root, "src/html", template), "utf8");
  const html = source.replace(/\{\{([\w.]+)\}\}/g, (_, key) => {
    const url = assets.get(key);
    if (!url) throw new Error(`${template}: no built asset for {{${key}}}`);
    return url;
  });
  await writeFile(path.join(dist, output), html);
  files.push(`dist/${output}`);
  pages.push(html);
}

// The service worker: told which assets to cache, under a cache name that changes with any page or
// asset, so a new release replaces the old cache.
const precache = files
  .filter((f) => f.startsWith("dist/static/"))
  .map((f) => `/static/${path.basename(f)}`)
  .sort();
const cacheHash = createHash("sha256");
for (const f of precache) cacheHash.update(f).update("\0");
for (const html of pages) cacheHash.update(html).update("\0");
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ["src/sw.ts"],
  outfile: "dist/sw.js",
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  define: {
    __PRECACHE__: JSON.stringify(precache),
    __CACHE_NAME__: JSON.stringify(`ypad-${cacheHash.digest("hex").slice(0, 16)}`),
  },
  legalComments: "eof",
  charset: "utf8",
  sourcemap: false,
  logLevel: "warning",
});
files.push("dist/sw.js");

// Report sizes and hold the pad and timeslider pages to their budget.
const gz = async (file) => gzipSync(await readFile(path.join(root, file)), { level: 9 }).length;
for (const file of files.sort()) {
  const raw = (await readFile(path.join(root, file))).length;
  const zipped = await gz(file);
  console.log(`${file.padEnd(40)} ${String(raw).padStart(8)} B  ${String(zipped).padStart(7)} B gzip`);
}
let over = false;
for (const page of BUDGETED_PAGES) {
  let bytes = 0;
  for (const key of [`${page}.js`, `${page}.css`]) bytes += await gz(path.join("dist", assets.get(key)));
  console.log(`${page} page JS+CSS: ${bytes} B gzip (budget ${PAGE_BUDGET} B)`);
  if (bytes > PAGE_BUDGET) {
    console.error(`${page} page is over its size budget`);
    over = true;
  }
}
if (over) process.exit(1);
