// raftlab's service worker: after a first visit the playground works without a network (a
// workshop on bad wifi goes on). Network first, so a new build is picked up as soon as the
// network answers; the cache answers only when it does not. The site stays static: any file
// server serves it, and `trunk serve` keeps working (its live-reload socket is not a fetch).
const CACHE = "raftlab-v1";

// The page's own files: the document and every same-origin asset it names (trunk's hashed
// script, wasm and stylesheet), so the first visit leaves a complete copy behind.
async function precache() {
  const cache = await caches.open(CACHE);
  const res = await fetch("./", { cache: "no-store" });
  if (!res.ok) return;
  const html = await res.clone().text();
  await cache.put("./", res);
  const urls = new Set();
  for (const m of html.matchAll(/\b(?:href|src)="([^"]+)"/g)) {
    const url = new URL(m[1], self.registration.scope);
    if (url.origin === self.location.origin && !url.pathname.endsWith("/sw.js")) urls.add(url.href);
  }
  await Promise.all([...urls].map((u) => cache.add(u).catch(() => {})));
}

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(precache().catch(() => {}));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  // raftlab serve --ui's live stream and status: never cached (the stream never ends).
  if (url.pathname.startsWith("/raftlab/")) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(async () => {
        const cache = await caches.open(CACHE);
        const hit = await cache.match(req, { ignoreSearch: true });
        if (hit) return hit;
        // A navigation to the page with a query (`?nodes=9`) or any other path of the site.
        if (req.mode === "navigate") return (await cache.match("./")) || Response.error();
        return Response.error();
      }),
  );
});
