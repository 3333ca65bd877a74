// Where a frame's time goes while 9 nodes run at 10x with 50 client writes per virtual second
// (bench.mjs's frame-time section): a chromium performance trace of 5 s, summed by top-level
// event (script, style, layout, paint, ...), and the main thread's time per frame (median, p95,
// longest). Not a test; a measuring aid. Run it under the shared lock, like bench.mjs.
//
//   node profile-frame.mjs [DIST] [OUT.json]
//   CSS='.log-grid{display:none}' node profile-frame.mjs   (try a style rule first)
//   INVAL=1 node profile-frame.mjs ../dist t.json           (record layout invalidations too)
import fs from "node:fs";
import path from "node:path";
import { serve, launch } from "./e2e/harness.mjs";

const dir = path.resolve(process.argv[2] || "../dist");
const out = process.argv[3];
const { server, url } = await serve(dir);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
if (process.env.CSS) await page.addInitScript((css) => document.addEventListener("DOMContentLoaded", () => { const s = document.createElement("style"); s.textContent = css; document.head.append(s); }), process.env.CSS);
await page.goto(`${url}?nodes=9&seed=1&load=50`);
await page.waitForFunction(() => window.raftlab && window.raftlab.state().leader !== null, null, { timeout: 60000 });
await page.evaluate(() => window.raftlab.play(10));
await page.waitForTimeout(1000);
await browser.startTracing(page, {
  categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc", "v8.execute", ...(process.env.INVAL ? ["disabled-by-default-devtools.timeline.invalidationTracking"] : [])],
});
await page.waitForTimeout(5000);
const buf = await browser.stopTracing();
if (out) fs.writeFileSync(out, buf);
const events = JSON.parse(buf.toString()).traceEvents;
const main = events.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain");
const mine = events.filter((e) => e.ph === "X" && main && e.pid === main.pid && e.tid === main.tid);
const by = {};
for (const e of mine) {
  const k = e.name;
  (by[k] ??= { n: 0, ms: 0 }).n++;
  by[k].ms += (e.dur || 0) / 1000;
}
const rows = Object.entries(by).sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
for (const [k, v] of rows) console.log(`${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(6)}x  ${k}`);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const frame = mine.filter((e) => e.name === "ProxyMain::BeginMainFrame").map((e) => e.dur / 1000);
console.log(
  `main thread per frame: median ${pct(frame, 0.5).toFixed(1)} ms, p95 ${pct(frame, 0.95).toFixed(1)} ms, ` +
    `longest ${Math.max(...frame).toFixed(1)} ms over ${frame.length} frames`,
);
await browser.close();
server.close();
