// The site after a first visit works without a network (issue 12, "Offline"): the service
// worker (web/sw.js) keeps the page's files, and a reload with the network cut still loads the
// playground, elects a leader and answers the console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, waitState } from "./harness.mjs";

let server, url, browser;

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("after a first visit the page loads and plays offline", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state());
  // The worker has installed and taken control, and its cache holds the page's files.
  await page.waitForFunction(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    const keys = await caches.keys();
    if (keys.length === 0) return false;
    const cached = await (await caches.open(keys[0])).keys();
    return cached.some((r) => r.url.endsWith(".wasm")) && cached.some((r) => r.url.endsWith(".js"));
  }, null, { timeout: 20000, polling: 100 });

  await context.setOffline(true);
  // The static server is gone too: nothing can come from the network.
  await new Promise((r) => server.close(r));
  server = null;
  await page.goto(`${url}?nodes=3&seed=5`);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state(), null, { timeout: 20000 });
  const s = await waitState(page, (s) => s.leader !== null && s.nodes.length === 3);
  assert.equal(s.nodes.length, 3);
  const out = await page.evaluate(() => window.raftlab.exec("put offline yes"));
  assert.match(String(out), /OK/);
  const got = await page.evaluate(() => window.raftlab.exec("get offline"));
  assert.match(String(got), /offline\s+yes/);
  assert.deepEqual(errors, []);
  await context.close();
});
