// The service worker (`/sw.js`, scope `/`): lets a pad page load without a network, so the offline
// copy in IndexedDB can be read and edited after a reload. It caches the pages (start page, pad
// page, timeslider page: the same HTML for every pad, which reads the pad id from the address) and
// the content-hashed assets. Pages go to the network first and fall back to the cache; assets come
// from the cache first (their names change with their content). Nothing else is touched: the API,
// the WebSocket, health checks, exports and imports always go to the server.
//
// build.mjs compiles this file on its own (not content-hashed: its URL must stay the same) and
// defines the asset list and a cache name that changes whenever any of them changes.

export {}; // a module, so that `self` below may be declared as the worker's global scope
declare const self: ServiceWorkerGlobalScope;
/** URLs of the built assets under /static/. */
declare const __PRECACHE__: string[];
/** `ypad-` plus a hash of everything cached, so a new build starts a new cache. */
declare const __CACHE_NAME__: string;

const CACHE = __CACHE_NAME__;
/** Where the pad and timeslider pages are kept; any pad id gets the same HTML. */
const PAD_SHELL = "/p/offline";
const TIMESLIDER_SHELL = "/p/offline/timeslider";
const START_PAGE = "/";
/** A page request that has no answer after this long is answered from the cache, if it can be. */
const NETWORK_TIMEOUT_MS = 4000;

/** The cache key of the page at `path`, or null when the path is not a page this worker serves. */
function shellFor(path: string): string | null {
  if (path === "/") return START_PAGE;
  if (/^\/p\/[^/]+$/.test(path)) return PAD_SHELL;
  if (/^\/p\/[^/]+\/timeslider$/.test(path)) return TIMESLIDER_SHELL;
  return null;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([START_PAGE, PAD_SHELL, TIMESLIDER_SHELL, ...__PRECACHE__]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("ypad-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

/** Network first; a fresh page replaces the cached one, and the cached one answers when offline. */
async function page(request: Request, shell: string): Promise<Response> {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (res) => {
    if (res.ok && res.type === "basic" && !res.redirected) await cache.put(shell, res.clone()).catch(() => undefined);
    return res;
  });
  const cached = (): Promise<Response | undefined> => cache.match(shell);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<Response | undefined>((resolve) => {
    timer = setTimeout(() => void cached().then(resolve), NETWORK_TIMEOUT_MS);
  });
  try {
    const res = await Promise.race([network, slow]);
    if (res) return res;
    return await network;
  } catch (err) {
    const fallback = await cached();
    if (fallback) return fallback;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Cache first: a hashed asset never changes. */
async function asset(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok && res.type === "basic") await cache.put(request, res.clone()).catch(() => undefined);
  return res;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request));
    return;
  }
  const shell = shellFor(url.pathname);
  if (shell !== null && (request.mode === "navigate" || request.destination === "document")) {
    event.respondWith(page(request, shell));
  }
  // Everything else (/api/, /ws/, /health, exports, /sw.js) is left to the browser.
});
