// The cluster picture's figures, measured (not a timed test), for one or more builds side by
// side in one run: the bundle, frame time while 9 nodes run at 10x with 50 client writes per
// virtual second, how long each follower's append stays on screen after `put foo bar` at the
// default speed, and 51 nodes at 1x (whole, then partitioned).
//
//   node bench-picture.mjs [DIST ...]     (default: ../dist; e.g. /work/baseline-dist ../dist)
//
// bench.mjs runs `messageTimes` on the current build as its own section.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { serve, launch, dist as defaultDist } from "./e2e/harness.mjs";

const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** gzip -9 of the wasm + js of a build, in KiB. */
export function bundleKiB(dir) {
  let gz = 0;
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".wasm") || f.endsWith(".js"))) {
    gz += zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }).length;
  }
  return gz / 1024;
}

/** Animation-frame deltas over `ms` of wall time, with the virtual time covered. */
async function frames(page, ms) {
  return page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const deltas = [];
        let last = null;
        const t0 = window.raftlab.state().time_ms;
        const w0 = performance.now();
        const tick = (ts) => {
          if (last !== null) deltas.push(ts - last);
          last = ts;
          if (performance.now() - w0 < ms) requestAnimationFrame(tick);
          else resolve({ deltas, virtual: window.raftlab.state().time_ms - t0, wall: performance.now() - w0 });
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}

/** Frame time: 9 nodes at 10x with 50 client writes per virtual second, 10 s of wall time. */
export async function frameTime(browser, url, { throttle = 1 } = {}) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // A slower CPU (chromium's CPU throttling, e.g. 2 = half speed): how the frame time holds up
  // on a busier machine.
  if (throttle > 1) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  }
  await page.goto(`${url}?nodes=9&seed=1&load=50`);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state().leader !== null, null, { timeout: 60000 });
  await page.evaluate(() => window.raftlab.play(10));
  await page.waitForTimeout(1000);
  const r = await frames(page, 10000);
  const work = await page.evaluate(() => window.raftlab.perf().frame_work_p95_ms);
  await page.close();
  const missed = r.deltas.filter((d) => d > 20).length;
  return { p95: pct(r.deltas, 0.95), median: median(r.deltas), n: r.deltas.length, missed, work, achieved: r.virtual / r.wall };
}

/**
 * After `put foo bar` at the default speed on 5 nodes: for each append the leader sends,
 * the wall time its button (`Message N: append from L to F`) is on screen, and whether its
 * label was readable (a text element inside it, displayed).
 */
export async function messageTimes(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${url}?nodes=5&seed=3`);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state().leader !== null, null, { timeout: 60000 });
  // Let the election's own messages settle.
  await page.waitForFunction(() => window.raftlab.state().time_ms > 2500, null, { timeout: 60000 });
  await page.waitForTimeout(1500);
  const seen = await page.evaluate(async () => {
    const seen = {};
    let on = true;
    const look = () => {
      const now = performance.now();
      for (const el of document.querySelectorAll('[aria-label^="Message "]')) {
        const m = el.getAttribute("aria-label").match(/^Message (\d+): append from (\d+) to (\d+)/);
        if (!m) continue;
        const label = [...el.querySelectorAll("text")].map((t) => (getComputedStyle(t).display === "none" ? "" : t.textContent)).join(" ").trim();
        const s = (seen[m[1]] ??= { from: +m[2], to: +m[3], first: now, last: now, label });
        s.last = now;
        if (label) s.label = label;
      }
      if (on) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
    const leader = window.raftlab.state().leader;
    await window.raftlab.exec(`put --endpoints=node${leader} foo bar`);
    await new Promise((r) => setTimeout(r, 1500));
    on = false;
    return Object.values(seen).map((s) => ({ ...s, ms: s.last - s.first }));
  });
  await page.close();
  return seen;
}

/** 51 nodes at 1x (steady pace): achieved speed and frame time, whole and then split in two groups. */
export async function big(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${url}?nodes=51&seed=1`);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state().leader !== null, null, { timeout: 120000 });
  // What the page keeps up with: no slow motion around the elections (older builds have no pace).
  await page.evaluate(() => {
    window.raftlab.pace?.("steady");
    window.raftlab.play(1);
  });
  await page.waitForTimeout(500);
  const whole = await frames(page, 5000);
  await page.evaluate(() => window.raftlab.exec(`partition ${Array.from({ length: 25 }, (_, i) => i + 1).join(",")}`));
  await page.waitForTimeout(500);
  const split = await frames(page, 5000);
  await page.close();
  const f = (r) => ({ achieved: r.virtual / r.wall, p95: pct(r.deltas, 0.95), median: median(r.deltas) });
  return { whole: f(whole), split: f(split) };
}

/** Runs every measure on each build in turn, twice, and prints them side by side. */
async function main(dirs) {
  const browser = await launch();
  const rows = [];
  for (let round = 0; round < 2; round++) {
    for (const dir of dirs) {
      process.env.RAFTLAB_DIST = dir;
      const { server, url } = await serve(dir);
      const ft = await frameTime(browser, url);
      const msgs = await messageTimes(browser, url);
      const b = await big(browser, url);
      server.close();
      rows.push({ dir, round, ft, msgs, b });
    }
  }
  await browser.close();
  for (const dir of dirs) {
    console.log(`\n${dir}: bundle ${bundleKiB(dir).toFixed(1)} KiB gzip`);
    for (const r of rows.filter((r) => r.dir === dir)) {
      const ms = r.msgs.map((m) => m.ms);
      const labels = [...new Set(r.msgs.map((m) => m.label || "(none)"))].join(", ");
      console.log(
        `  round ${r.round + 1}: frame time (9 nodes, 10x, 50 writes/s) p95 ${r.ft.p95.toFixed(1)} ms, median ${r.ft.median.toFixed(1)} ms ` +
          `over ${r.ft.n} frames (${r.ft.missed} over 20 ms), simulation+signals p95 ${r.ft.work.toFixed(1)} ms, achieved ${r.ft.achieved.toFixed(1)}x\n` +
          `           put foo bar at 1x: ${r.msgs.length} appends seen, on screen min ${Math.min(...ms).toFixed(0)} ms, median ${median(ms).toFixed(0)} ms; labels: ${labels}\n` +
          `           51 nodes at 1x: achieved ${r.b.whole.achieved.toFixed(2)}x (frame p95 ${r.b.whole.p95.toFixed(1)} ms); ` +
          `partitioned 25/26: achieved ${r.b.split.achieved.toFixed(2)}x (frame p95 ${r.b.split.p95.toFixed(1)} ms)`,
      );
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2).map((d) => path.resolve(d));
  await main(dirs.length ? dirs : [defaultDist]);
}
