// The cluster picture: messages a person can follow at the default pace, and the layout rules
// at four window sizes with 3, 5, 9 and 51 nodes, during an election and during a put (each a
// screenshot under web/screenshots/picture-*.png).
// Run: trunk build --release --offline && cd web && node --test e2e/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open, waitState, shotPath } from "./harness.mjs";

let server, url, browser;

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Waits for the page to draw what the controller just did (two animation frames). */
const painted = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/**
 * Records, on every animation frame, each message button on screen: its first and last wall
 * time, its label text and its size. Returns a function that stops and hands them over.
 */
async function watchMessages(page) {
  await page.evaluate(() => {
    window.__seen = {};
    window.__watching = true;
    const look = () => {
      const now = performance.now();
      const box = document.querySelector(".cluster-svg").getBoundingClientRect();
      for (const el of document.querySelectorAll('.cluster-svg [aria-label^="Message "]')) {
        const r = el.getBoundingClientRect();
        const inside = r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
        if (!inside) continue;
        const name = el.getAttribute("aria-label");
        const label = [...el.querySelectorAll("text")].map((t) => t.textContent).join(" ").trim();
        const s = (window.__seen[name] ??= { name, first: now, last: now, label, w: r.width, h: r.height });
        s.last = now;
        s.label = label || s.label;
      }
      if (window.__watching) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
  return () =>
    page.evaluate(() => {
      window.__watching = false;
      return Object.values(window.__seen).map((s) => ({ ...s, ms: s.last - s.first }));
    });
}

test("at the default pace each follower's append stays on screen for half a second, labelled", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=5&seed=3`, { width: 1440, height: 900 });
  const s0 = await waitState(page, (s) => s.leader !== null && s.time_ms > 2500, 40000);
  // The defaults: 1x, the follow pace.
  assert.equal(await page.getByLabel("Speed").inputValue(), "1");
  assert.equal(await page.evaluate(() => window.raftlab.pace()), "follow");
  await page.waitForTimeout(1200);
  const stop = await watchMessages(page);
  const leader = s0.leader;
  const out = await page.evaluate((l) => window.raftlab.exec(`put --endpoints=node${l} foo bar`), leader);
  assert.equal(out.trim(), "OK");
  await page.waitForTimeout(300);
  const seen = await stop();
  const followers = s0.nodes.map((n) => n.id).filter((id) => id !== leader);
  for (const f of followers) {
    const appends = seen.filter((m) => new RegExp(`: append from ${leader} to ${f}$`).test(m.name) && /^append \d+/.test(m.label));
    assert.ok(appends.length >= 1, `no labelled append to ${f}: ${JSON.stringify(seen)}`);
    const best = Math.max(...appends.map((m) => m.ms));
    assert.ok(best >= 500, `the append to ${f} was on screen ${best.toFixed(0)} ms: ${JSON.stringify(appends)}`);
    // Big enough to see and click.
    assert.ok(appends[0].h >= 18 && appends[0].w >= 40, JSON.stringify(appends[0]));
  }
  // The responses come back labelled too, and heartbeats are drawn (quieter, unlabelled).
  assert.ok(seen.some((m) => /: append-resp from/.test(m.name) && /^ack \d+/.test(m.label)), JSON.stringify(seen));
  // The same run as at a steady pace: pacing bends wall time only.
  const s1 = await page.evaluate(() => window.raftlab.state());
  assert.ok(s1.nodes.every((n) => n.term === s0.nodes.find((x) => x.id === n.id).term || n.term >= s0.nodes[0].term));
  assert.deepEqual(errors, []);
  await page.close();
});

// That the pace bends wall time only (the same lines at the same virtual times give the same
// trace hash at either pace) is tested natively, frame by frame: crates/web/tests/pace_frames.rs.

const VIEWPORTS = [
  [390, 844],
  [1280, 720],
  [1440, 900],
  [1920, 1080],
];

/** Pauses, then runs virtual time a millisecond at a time until `pred(state, view)` holds. */
async function runUntil(page, pred, limit = 20000) {
  const ok = await page.evaluate(
    ([src, limit]) => {
      const f = new Function("s", "v", `return (${src})(s, v)`);
      const r = window.raftlab;
      r.pause();
      for (let i = 0; i < limit; i++) {
        if (f(r.state(), r.view())) return true;
        r.runFor(1);
      }
      return false;
    },
    [pred.toString(), limit],
  );
  assert.ok(ok, `never reached: ${pred}`);
  await painted(page);
}

/** The layout rules at this window size; returns the measures. */
async function layoutRules(page, width, height) {
  const m = await page.evaluate(() => {
    const box = (sel) => document.querySelector(sel)?.getBoundingClientRect().toJSON();
    return {
      scrollW: document.documentElement.scrollWidth,
      scrollH: document.documentElement.scrollHeight,
      picture: box(".cluster-svg"),
      logs: box("section.logs"),
      timeline: box("section.time .tl"),
      scrubber: box('[aria-label="Session time"]'),
      command: box('[aria-label="Command"]'),
    };
  });
  assert.ok(m.scrollW <= width, `horizontal overflow at ${width}x${height}: ${m.scrollW}`);
  if (width >= 1280) {
    assert.ok(m.picture.width >= width / 2, `picture ${m.picture.width} of ${width}`);
    assert.ok(m.picture.height >= 300, `picture height ${m.picture.height}`);
  } else {
    assert.ok(m.picture.width >= width - 40, `picture ${m.picture.width} of ${width}`);
    assert.ok(m.picture.height >= 300, `picture height ${m.picture.height}`);
    assert.ok(m.command.width >= 250, `command box ${m.command.width}`);
  }
  if (width === 1440) {
    // The picture, the logs and the time controls together, without scrolling.
    assert.ok(m.scrollH <= height, `the page scrolls: ${m.scrollH} > ${height}`);
    for (const k of ["picture", "logs", "timeline", "scrubber"]) {
      assert.ok(m[k].top >= 0 && m[k].bottom <= height, `${k} outside the window: ${JSON.stringify(m[k])}`);
    }
  }
  return m;
}

for (const nodes of [3, 5, 9, 51]) {
  test(`the picture with ${nodes} nodes at four window sizes, during an election and a put`, async () => {
    for (const [width, height] of VIEWPORTS) {
      const { page, errors } = await open(browser, `${url}?nodes=${nodes}&seed=4`, { width, height });
      // During the first election: a candidate asking for votes.
      await runUntil(page, (s) => s.nodes.some((n) => n.role === "candidate" || n.role === "pre-candidate"));
      await page.waitForSelector('.cluster-svg [aria-label*="vote from"]');
      await page.screenshot({ path: shotPath(`picture-${width}x${height}-${nodes}n-election`) });
      await layoutRules(page, width, height);
      // During a put: the leader's appends on their way.
      await runUntil(page, (s) => s.leader !== null && s.nodes.every((n) => n.commit === s.nodes[0].commit), 60000);
      await page.evaluate(() => window.raftlab.runFor(500));
      await page.evaluate(() => {
        window.raftlab.exec(`put --endpoints=node${window.raftlab.state().leader} foo bar`);
      });
      await runUntil(page, (s, v) => v.in_flight.some((m) => m.summary.kind === "Append" && m.summary.entries > 0));
      const pill = page.locator('.cluster-svg [aria-label*=": append from"]').first();
      await pill.waitFor();
      await page.screenshot({ path: shotPath(`picture-${width}x${height}-${nodes}n-put`) });
      await layoutRules(page, width, height);
      if (nodes > 9) {
        // Big clusters: labels under the nodes on hover, not all at once.
        const sub = page.locator(".cluster-svg .node .node-sub").first();
        assert.equal(await sub.isVisible(), false);
        await page.locator(".cluster-svg .node .body").first().hover({ force: true });
        assert.equal(await sub.isVisible(), true);
      }
      assert.deepEqual(errors, []);
      await page.close();
    }
  });
}

test("51 nodes: a partition is drawn as shaded groups, not 1,300 cut links, and runs at 1x", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=51&seed=1`, { width: 1440, height: 900 });
  await waitState(page, (s) => s.leader !== null, 60000);
  // What the page can keep up with, without the follow pace's slow motion around elections.
  await page.evaluate(() => window.raftlab.pace("steady"));
  await page.evaluate(() => window.raftlab.exec(`partition ${Array.from({ length: 25 }, (_, i) => i + 1).join(",")}`));
  await page.evaluate(() => window.raftlab.play(1));
  await page.locator(".cluster-svg .group-shade").nth(1).waitFor();
  assert.equal(await page.locator(".cluster-svg .group-shade").count(), 2);
  assert.ok((await page.locator(".cluster-svg .lane.cut").count()) < 50, "cut links between the groups are not drawn one by one");
  // Virtual time keeps up with the wall clock at 1x (heartbeats only: no slow motion).
  const r = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const t0 = window.raftlab.state().time_ms;
        const w0 = performance.now();
        setTimeout(() => resolve((window.raftlab.state().time_ms - t0) / (performance.now() - w0)), 4000);
      }),
  );
  assert.ok(r >= 0.9, `51 nodes ran at ${r.toFixed(2)}x`);
  await page.screenshot({ path: shotPath("picture-51n-partition") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a removed member is drawn as removed; a held link lists what it holds", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=5&seed=6`, { width: 1440, height: 900 });
  const s0 = await waitState(page, (s) => s.leader !== null);
  await page.evaluate(() => window.raftlab.play(10));
  const gone = s0.nodes.map((n) => n.id).find((id) => id !== s0.leader);
  const out = await page.evaluate((id) => window.raftlab.exec(`member remove ${id.toString(16)}`), gone);
  assert.match(out, /removed/i);
  await page.getByRole("button", { name: new RegExp(`^Node ${gone}: removed from the cluster`) }).waitFor();
  assert.match(await page.locator(`[data-part-target="node:${gone}"]`).getAttribute("class"), /removed/);
  // Hold the leader's link to a member and let it gather messages.
  const s1 = await page.evaluate(() => window.raftlab.state());
  const to = s1.nodes.map((n) => n.id).find((id) => id !== s1.leader && id !== gone);
  await page.evaluate(([a, b]) => window.raftlab.exec(`hold ${a}->${b}`), [s1.leader, to]);
  await page.evaluate(() => { window.raftlab.exec("put held 1"); });
  await page.evaluate(() => window.raftlab.runFor(400));
  await page.evaluate(() => window.raftlab.pause());
  await page.getByRole("button", { name: `Link ${s1.leader} to ${to}` }).click({ force: true });
  const list = page.getByRole("list", { name: "Held messages" });
  await list.waitFor();
  const items = await list.locator("li").allTextContents();
  assert.ok(items.length >= 2, items.join(" | "));
  assert.ok(items.some((t) => /^append \d+(\.\.\d+)? · T\d+/.test(t)), items.join(" | "));
  assert.ok(items.some((t) => /^hb · T\d+/.test(t)), items.join(" | "));
  await page.screenshot({ path: shotPath("picture-held-link") });
  // "Deliver oldest" delivers the first one listed.
  const first = items[0].match(/message (\d+)/)[1];
  await page.getByRole("button", { name: "Deliver oldest" }).click();
  await page.waitForFunction((id) => !window.raftlab.view().links.some((l) => l.held.includes(Number(id))), first);
  assert.deepEqual(errors, []);
  await page.close();
});
