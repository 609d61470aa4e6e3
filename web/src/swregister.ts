// Registers the service worker (`/sw.js`, scope `/`) that keeps the pages and their assets in a
// cache so a pad opens, and shows its offline copy from IndexedDB, without a network.

export function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator)) return;
  // Offline, the update check fails; the installed worker keeps serving.
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
}
