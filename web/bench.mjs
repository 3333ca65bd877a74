// The playground's budgets, measured (not a timed test): bundle size, time to first leader on
// screen, frame time while 9 nodes run at 10x with 50 client writes per virtual second, and
// simulated events per wall-clock second in the browser next to the native build, the
// cost of a time-travel jump in a 10-minute session, and the Check panel's check of a 10-minute
// session in slices, seeking in a 60-minute session under load, and how long a put's messages
// stay on screen at the default pace.
//
//   trunk build --release --offline   (see scripts/lib.sh: web_build_env)
//   cd web && node bench.mjs
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { execFileSync } from "node:child_process";
import { serve, launch, dist, root } from "./e2e/harness.mjs";
import { messageTimes } from "./bench-picture.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const kb = (n) => (n / 1024).toFixed(1);
// BENCH_ONLY=4,7 node bench.mjs runs only those sections.
const only = process.env.BENCH_ONLY?.split(",").map(Number);
const want = (n) => !only || only.includes(n);

// 1. Bundle: wasm + js, gzip -9.
const files = fs.readdirSync(dist).filter((f) => f.endsWith(".wasm") || f.endsWith(".js"));
let raw = 0;
let gz = 0;
for (const f of files) {
  const b = fs.readFileSync(path.join(dist, f));
  raw += b.length;
  gz += zlib.gzipSync(b, { level: 9 }).length;
}
console.log(`bundle (wasm + js): ${kb(raw)} KiB raw, ${kb(gz)} KiB gzip (budget 640 KiB)`);

const { server, url } = await serve();
const browser = await launch();

// 2. Time to first leader on screen, from navigation start (5 nodes, default speed 1x).
const firsts = [];
for (let i = 0; i < 5; i++) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await ctx.newPage();
  await page.addInitScript(() => {
    const seen = () => {
      if (!window.__leaderAt && document.querySelector("g.node.leader")) {
        window.__leaderAt = performance.now();
      }
    };
    new MutationObserver(seen).observe(document, { subtree: true, childList: true, attributes: true });
  });
  await page.goto(`${url}?seed=${i + 1}`);
  await page.waitForFunction(() => window.__leaderAt, null, { timeout: 30000, polling: 20 });
  const r = await page.evaluate(() => ({
    wall: window.__leaderAt,
    virtual: window.raftlab.state().leaders[0]?.time_ms,
    interactive: performance.getEntriesByType("navigation")[0]?.domContentLoadedEventEnd,
  }));
  firsts.push(r);
  await ctx.close();
}
console.log(
  `time to first leader on screen (5 nodes, 1x, seeds 1-5): median ${median(firsts.map((f) => f.wall)).toFixed(0)} ms wall ` +
    `(virtual election at median ${median(firsts.map((f) => f.virtual))} ms)`,
);

// 3. Frame time: 9 nodes at 10x with 50 client writes per virtual second, 10 s of wall time.
if (want(3)) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(`${url}?nodes=9&seed=1&load=50`);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state().leader !== null, null, { timeout: 30000 });
  await page.evaluate(() => window.raftlab.play(10));
  await page.waitForTimeout(1000);
  const r = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const deltas = [];
        let last = null;
        const t0 = window.raftlab.state().time_ms;
        const w0 = performance.now();
        const tick = (ts) => {
          if (last !== null) deltas.push(ts - last);
          last = ts;
          if (performance.now() - w0 < 10000) requestAnimationFrame(tick);
          else {
            const s = window.raftlab.state();
            resolve({ deltas, virtual: s.time_ms - t0, wall: performance.now() - w0, perf: window.raftlab.perf(), commit: s.nodes[0].commit });
          }
        };
        requestAnimationFrame(tick);
      }),
  );
  console.log(
    `frame time, 9 nodes at 10x with 50 writes/s: p95 ${pct(r.deltas, 0.95).toFixed(1)} ms, median ${median(r.deltas).toFixed(1)} ms ` +
      `over ${r.deltas.length} frames; simulation+signals p95 ${r.perf.frame_work_p95_ms.toFixed(1)} ms; ` +
      `achieved ${(r.virtual / r.wall).toFixed(1)}x; commit index ${r.commit}`,
  );
  await page.close();
}

// 4. Simulated events per wall second, browser vs native, same seeded headless run.
const [seed, nodes, faults, ms] = [1, 5, true, 60000];
if (want(4)) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state());
  await page.evaluate(() => window.raftlab.pause());
  const runs = [];
  let hash = "";
  for (let i = 0; i < 3; i++) {
    const r = await page.evaluate(
      ([s, n, f, m]) => {
        const t = performance.now();
        const r = window.raftlab.headless(s, n, f, m);
        return { ...r, secs: (performance.now() - t) / 1000 };
      },
      [seed, nodes, faults, ms],
    );
    runs.push(r.events / r.secs);
    hash = r.trace_hash;
  }
  const browserRate = median(runs);
  let nativeRate = NaN;
  let nativeHash = "";
  try {
    const out = execFileSync(
      "cargo",
      ["run", "--quiet", "--release", "-p", "web", "--example", "events_per_sec", "--", `${seed}`, `${nodes}`, `${faults}`, `${ms}`, "3"],
      { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    const j = JSON.parse(out.trim().split("\n").pop());
    nativeRate = j.events_per_s;
    nativeHash = j.trace_hash;
  } catch (e) {
    console.log(`native run failed: ${e.message}`);
  }
  console.log(
    `events per wall second (seed ${seed}, ${nodes} nodes, nemesis, ${ms / 1000} s virtual): browser ${browserRate.toFixed(0)}, ` +
      `native ${nativeRate.toFixed(0)}, ratio ${(browserRate / nativeRate).toFixed(2)}; trace hashes ${hash === nativeHash ? "equal" : `DIFFER ${hash} ${nativeHash}`}`,
  );
  await page.close();
}

// 5. Seek cost: a 10-minute virtual session on 5 nodes (2 client writes per second, a partition
// and a crash on the way), then jumps to points spread over it. Each jump replays the recorded
// session from the start (Scenario::replay_until) and refreshes the page.
if (want(5)) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(url);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state());
  const made = await page.evaluate(async () => {
    const r = window.raftlab;
    r.reset({ nodes: 5, seed: 1, load: 2 });
    r.pause();
    r.runFor(120000);
    r.exec("partition leader");
    r.runFor(60000);
    r.exec("heal");
    r.runFor(120000);
    r.exec("crash leader");
    r.runFor(60000);
    r.exec("restart crashed");
    r.runFor(240000);
    r.load(0);
    return { ...r.session(), events: r.state().events };
  });
  const points = [30000, 95000, 170000, 250000, 330000, 410000, 480000, 545000, 599000];
  const times = [];
  for (const t of points) {
    times.push(
      await page.evaluate((t) => {
        const w = performance.now();
        window.raftlab.seek(t);
        return performance.now() - w;
      }, t),
    );
  }
  // The jump's own cost, also with the page's reaction (the next two animation frames).
  const withPaint = await page.evaluate(
    (t) =>
      new Promise((resolve) => {
        const w = performance.now();
        window.raftlab.seek(t);
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - w)));
      }),
    300000,
  );
  console.log(
    `seek in a ${made.end_ms / 60000}-minute session (5 nodes, ${made.lines} lines, ${made.events} events): ` +
      `median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms over ${times.length} jumps ` +
      `(budget 250 ms); one jump until painted ${withPaint.toFixed(0)} ms`,
  );
  await page.close();
}

// 6. Check cost: a 10-minute session on 5 nodes (2 client writes per second, a get every
// second through each member in turn, a watch on the written prefix, a partition and a crash),
// checked in the page in slices while the cluster plays at 1x: the total wall time, the
// slices, the longest slice, and the longest gap between animation frames meanwhile (what a
// person would feel).
if (want(6)) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(url);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state());
  const made = await page.evaluate(() => {
    const r = window.raftlab;
    r.reset({ nodes: 5, seed: 1, load: 2 });
    r.pause();
    r.runFor(3000);
    r.exec("watch --prefix load/ --prev-kv");
    for (let s = 3; s < 600; s++) {
      if (s === 120) r.exec("partition leader");
      if (s === 180) r.exec("heal");
      if (s === 300) r.exec("crash leader");
      if (s === 360) r.exec("restart crashed");
      r.exec(`--endpoints=node${1 + (s % 5)} get load/${s % 16}`);
      r.runFor(1000);
    }
    r.load(0);
    return { ...r.session(), events: r.state().events };
  });
  const res = await page.evaluate(async () => {
    const r = window.raftlab;
    r.play(1);
    let last = performance.now();
    let gap = 0;
    let frames = 0;
    let on = true;
    const tick = (t) => {
      gap = Math.max(gap, t - last);
      last = t;
      frames++;
      if (on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const t0 = performance.now();
    const v = await r.check();
    const wall = performance.now() - t0;
    on = false;
    r.pause();
    return { v, wall, gap, frames };
  });
  const v = res.v;
  console.log(
    `check of a ${(made.end_ms / 60000).toFixed(0)}-minute session (5 nodes, ${v.operations} client operations, ` +
      `${v.watch.watches} watch with ${v.watch.events} events): ${v.verdict}, watches ${v.watch.verdict}; ` +
      `${v.steps} model steps in ${res.wall.toFixed(0)} ms wall over ${v.slices} slices ` +
      `(longest slice ${v.longest_slice_ms.toFixed(1)} ms); playing at 1x meanwhile: ${res.frames} frames, longest gap ${res.gap.toFixed(0)} ms`,
  );
  // The same history under a budget that runs out: how long an Unknown takes to come back.
  const unknown = await page.evaluate(() => window.raftlab.check({ maxSteps: 2000 }));
  console.log(`  with a 2,000-step budget: ${unknown.verdict} in ${unknown.wall_ms.toFixed(0)} ms`);
  await page.close();
}


// 7. Seek in a long session: 60 minutes of virtual time on 5 nodes under the page's background
// load at 50 writes per second (the issue-14 case: a workshop's hour). Jumps to the start, the
// middle, near the end and back to the end, each awaited until the page shows it (seeks
// replay from the session's checkpoints in slices); the wasm memory after each (it never
// shrinks), and the per-frame work (p95 over 3 s at 1x) at the start and at the end.
// SEEK_MINUTES=10 node bench.mjs for a shorter session.
if (want(7)) {
  const minutes = Number(process.env.SEEK_MINUTES || 60);
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  // The wasm instance, as trunk announces it: its linear memory is the page's own memory.
  await page.addInitScript(() =>
    addEventListener("TrunkApplicationStarted", (e) => (window.__wasm = e.detail.wasm)),
  );
  await page.goto(url);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state());
  const frameWork = () =>
    page.evaluate(async () => {
      const r = window.raftlab;
      r.play(1);
      await new Promise((done) => setTimeout(done, 3000));
      r.pause();
      return r.perf().frame_work_p95_ms;
    });
  await page.evaluate(() => {
    const r = window.raftlab;
    r.reset({ nodes: 5, seed: 3, load: 50 });
    r.pause();
    r.runFor(5000);
  });
  const workStart = await frameWork();
  const built = await page.evaluate((minutes) => {
    const r = window.raftlab;
    const w = performance.now();
    r.pause();
    for (let m = 0; m < minutes; m++) r.runFor(60000);
    return { ...r.session(), events: r.state().events, wall: performance.now() - w };
  }, minutes);
  const workEnd = await frameWork();
  await page.evaluate(() => window.raftlab.load(0));
  const end = await page.evaluate(() => window.raftlab.session().end_ms);
  const mem = () => page.evaluate(() => window.__wasm?.memory?.buffer.byteLength ?? 0);
  const before = await mem();
  const jumps = [];
  const min = 60000;
  for (const t of [min, (minutes / 2) * min, (minutes - 1) * min + 40000, end, (minutes / 4) * min, (minutes / 2) * min + 7000, end]) {
    const ms = await page.evaluate(async (t) => {
      const w = performance.now();
      await window.raftlab.seek(t);
      return performance.now() - w;
    }, t);
    jumps.push(ms);
    console.log(`  seek to ${(t / 60000).toFixed(1)} min: ${ms.toFixed(0)} ms, wasm memory ${kb((await mem()) / 1024)} MiB`);
  }
  console.log(
    `seek in a ${(end / 60000).toFixed(0)}-minute session (5 nodes, load 50/s, ${built.events} events, built in ` +
      `${(built.wall / 1000).toFixed(1)} s, wasm memory ${kb(before / 1024)} MiB): median ${median(jumps).toFixed(0)} ms, ` +
      `max ${Math.max(...jumps).toFixed(0)} ms over ${jumps.length} jumps (budget 250 ms each); wasm memory after ` +
      `${kb((await mem()) / 1024)} MiB (budget 256 MB); per-frame work p95 at 1x ${workStart.toFixed(1)} ms at the start, ` +
      `${workEnd.toFixed(1)} ms after ${minutes} minutes`,
  );
  await page.close();
}

// 8. Messages a person can follow: after `put foo bar` at the default speed and pace, how long
// each of the leader's appends is on screen (wall ms), and its label. The cluster picture's
// figures for two builds side by side: node bench-picture.mjs OLD_DIST NEW_DIST.
if (want(8)) {
  const seen = await messageTimes(browser, url);
  const ms = seen.map((m) => m.ms).sort((a, b) => a - b);
  console.log(
    `put foo bar at 1x (5 nodes): ${seen.length} appends on screen, min ${ms[0]?.toFixed(0)} ms, median ${median(ms)?.toFixed(0)} ms of wall time; ` +
      `labels ${[...new Set(seen.map((m) => m.label || "(none)"))].join(", ")}`,
  );
}

await browser.close();
server.close();
