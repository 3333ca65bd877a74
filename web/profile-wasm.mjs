// Where the wasm spends a headless run's time (bench.mjs's events-per-second case: seed 1,
// 5 nodes, nemesis, 60 s of virtual time): chromium's sampling CPU profiler over twenty runs,
// self time summed by function, the top 40 printed, and the share of the crates they belong to.
// Needs a build whose wasm keeps its function names: in `web_build_env`, set
// CARGO_PROFILE_RELEASE_STRIP=none before `trunk build --release --offline --dist DIST`.
// Not a test; a measuring aid. Run it under the shared lock, like bench.mjs.
//
//   node profile-wasm.mjs DIST
import path from "node:path";
import { serve, launch } from "./e2e/harness.mjs";

const dir = path.resolve(process.argv[2] || "../dist");
const { server, url } = await serve(dir);
const browser = await launch();
const page = await browser.newPage();
await page.goto(url);
await page.waitForFunction(() => window.raftlab && window.raftlab.state());
await page.evaluate(() => window.raftlab.pause());
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
await cdp.send("Profiler.start");
const t = await page.evaluate(() => {
  const w = performance.now();
  let events = 0;
  for (let i = 0; i < 20; i++) events += window.raftlab.headless(1, 5, true, 60000).events;
  return { events, secs: (performance.now() - w) / 1000 };
});
const { profile } = await cdp.send("Profiler.stop");
const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
let total = 0;
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const name = n.callFrame.functionName || `(${n.callFrame.url.split("/").pop() || "program"})`;
  const us = dt[i] ?? 0;
  total += us;
  self.set(name, (self.get(name) ?? 0) + us);
});
console.log(`${t.events} events in ${t.secs.toFixed(2)} s: ${(t.events / t.secs).toFixed(0)} events/s; ${(total / 1000).toFixed(0)} ms sampled`);
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]);
for (const [k, us] of rows.slice(0, 40)) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k.slice(0, 150)}`);
const crate = (k) => (k.match(/^(?:<)?([a-z_][a-z0-9_]*)::/)?.[1] ?? k.match(/_ZN\d+([a-z_0-9]+)/)?.[1] ?? "other");
const by = new Map();
for (const [k, us] of rows) by.set(crate(k), (by.get(crate(k)) ?? 0) + us);
console.log("by crate:", [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([c, us]) => `${c} ${((100 * us) / total).toFixed(1)}%`).join(", "));
await browser.close();
server.close();
