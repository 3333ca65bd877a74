// No input can hang the page (issue 15): the links that froze the tab open with a clear banner
// and a working page; a long import, link or seek replays in slices with a progress bar, the
// page answers meanwhile, and Cancel leaves the page as it was before; `window.raftlab.exec`
// while paused answers at once that the line waits for time, and `execUntilDone` runs the
// clock until the line completes, as `raftlab repl` does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open, waitState } from "./harness.mjs";
import zlib from "node:zlib";

let server, url, browser;

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A share link's fragment for `text`, as the page makes them (deflated, base64url). */
const link = (text) => `#s=${zlib.deflateRawSync(Buffer.from(text)).toString("base64url")}`;

test("the links that froze the tab open with a banner naming the line, and the page works", async () => {
  for (const [frag, line] of [
    // The 46-character link: `@nodes 3`, `put a 1`, `@until 100000h`.
    ["#s=c8jLT0ktVjDmKigtUUhUMORyKM0rycxRMDQAgQwuAA", /line 3/],
    [link("@nodes 3\nat 1s@18446744073709551615 put a 1\n"), /line 2/],
    [link("@nodes 3\n" + "sleep 10m\n".repeat(5000)), /line \d+/],
  ]) {
    const t0 = Date.now();
    const { page, errors } = await open(browser, `${url}${frag}`);
    const banner = page.getByRole("alert");
    await banner.waitFor();
    const text = await banner.textContent();
    assert.match(text, /This link could not be opened/);
    assert.match(text, line, text);
    const s = await waitState(page, (s) => s.leader !== null);
    assert.equal(s.nodes.length, 5, "the default cluster runs");
    assert.ok(Date.now() - t0 < 20000, "the page answered at once");
    assert.deepEqual(errors, []);
    await page.close();
  }
});

const api = (page, f, ...args) => page.evaluate(f, ...args);
const state = (page) => api(page, () => window.raftlab.state());
/** The replay running now ({what, fraction, now_ms, events, elapsed_ms}), or null. */
const replay = (page) => api(page, () => window.raftlab.replay());

/** Waits until a replay runs and has done some work; returns its progress. */
async function midway(page) {
  await page.waitForFunction(() => (window.raftlab.replay()?.events ?? 0) > 0, null, { timeout: 20000, polling: 20 });
  return replay(page);
}

/** A scenario that replays for a long time: 51 members idle for two virtual hours (the bound). */
const LONG = "@title long\n@nodes 51\n@seed 5\nput a 1\n@until 2h\n";

/** The page answers while the replay runs, Cancel stops it and leaves `before`, and the
 * console says so in one line and still works. */
async function cancelMidway(page, before, what) {
  const p1 = await midway(page);
  assert.match(p1.what, what);
  const bar = page.getByRole("status", { name: "Replay" });
  await bar.waitFor();
  assert.match(await bar.textContent(), /% · .* of virtual time, \d+ events/);
  // The page answers meanwhile: a script's call returns while the replay is still running, and
  // the progress moves on between calls.
  const p2 = await page.waitForFunction((e) => {
    const r = window.raftlab.replay();
    return r && r.events > e && r;
  }, p1.events, { timeout: 20000, polling: 20 }).then((h) => h.jsonValue());
  assert.ok(p2.fraction >= p1.fraction && p2.fraction < 1, JSON.stringify([p1, p2]));
  // Cancel (a click, answered while it runs) leaves the page as it was before.
  await bar.getByRole("button", { name: "Cancel" }).click();
  await bar.waitFor({ state: "detached" });
  assert.equal(await replay(page), null);
  const s = await state(page);
  assert.equal(s.trace_hash, before.trace_hash, "the page is as it was before");
  assert.equal(s.time_ms, before.time_ms);
  const note = page.locator(".console-out .entry.note").filter({ hasText: /^Cancelled / }).last();
  assert.match(await note.textContent(), /^Cancelled .* at \d+% \(.*, \d+ events replayed\): the page is as it was before\.$/);
  // The console works: a line runs to its end.
  const r = await api(page, () => window.raftlab.execUntilDone("put after-cancel yes"));
  assert.equal(r.status, "done");
  assert.equal(r.text, "OK\n");
}

test("a long import shows progress, the page answers, and Cancel leaves the page as it was", async () => {
  const { page, errors } = await open(browser, url);
  await api(page, () => window.raftlab.pause());
  await api(page, () => window.raftlab.reset({ nodes: 3, seed: 8, load: 0 }));
  await api(page, () => window.raftlab.runFor(3000));
  const before = await state(page);
  await page.locator("input[type=file]").setInputFiles({ name: "long.txt", mimeType: "text/plain", buffer: Buffer.from(LONG) });
  await cancelMidway(page, before, /^loading long\.txt$/);
  // Through the API: the promise answers with the line saying it stopped.
  const pending = api(page, (t) => window.raftlab.importScenario(t), LONG);
  await midway(page);
  await api(page, () => window.raftlab.cancelReplay());
  assert.match(await pending, /^Cancelled importing a scenario at \d+%/);
  // Another action stops a running import first: the newest input wins.
  const again = api(page, (t) => window.raftlab.importScenario(t), LONG);
  await midway(page);
  await api(page, () => window.raftlab.step(1));
  assert.match(await again, /^Stopped importing a scenario .*another action came first/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a long share link shows progress, the page answers, and Cancel leaves the default cluster", async () => {
  const { page, errors } = await open(browser, `${url}${link(LONG)}`);
  // The link's replay started as the page opened; the default cluster stands meanwhile.
  const before = await state(page);
  assert.equal(before.nodes.length, 5);
  await cancelMidway(page, before, /^opening the link$/);
  assert.equal(await page.getByRole("alert").count(), 0, "a cancelled link is no error");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a long seek shows progress, the page answers, Cancel stays put, and the seek then lands", async () => {
  const { page, errors } = await open(browser, url);
  // A 30-minute session of 51 members (2.7 million events), imported to its end.
  const text = "@title thirty minutes\n@nodes 51\n@seed 6\nput a 1\nat 10m put b 2\n@until 30m\n";
  // The import takes seconds: awaiting its promise through the devtools protocol fails on
  // this chromium with "Promise was collected" when it resolves (the page itself sees it
  // resolve to null), so the page keeps the answer and the test polls for it.
  await api(page, (t) => {
    window.__imported = undefined;
    window.raftlab.importScenario(t).then((v) => (window.__imported = { v }));
  }, text);
  await page.waitForFunction(() => window.__imported !== undefined, null, { timeout: 120000 });
  assert.equal(await api(page, () => window.__imported.v), null);
  const end = await state(page);
  assert.equal(end.time_ms, 30 * 60000);
  // Drag the scrubber to minute 29: the move replays from the start, in slices.
  const range = page.getByRole("slider", { name: "Session time" });
  await range.evaluate((el) => {
    el.value = String(29 * 60000);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await cancelMidway(page, end, /^moving to 29m00s$/);
  assert.equal((await api(page, () => window.raftlab.session())).in_past, false);
  // Let one land: the state of a straight run to that moment.
  const s = await api(page, () => window.raftlab.seek(12 * 60000));
  assert.equal(s.time_ms, 12 * 60000);
  assert.equal((await api(page, () => window.raftlab.session())).in_past, true);
  assert.deepEqual(errors, []);
  await page.close();
});

test("exec while paused answers at once that the line waits for time; execUntilDone runs it", async () => {
  const { page, errors } = await open(browser, url);
  await api(page, () => window.raftlab.pause());
  await api(page, () => window.raftlab.reset({ nodes: 3, seed: 4, load: 0 }));
  await api(page, () => window.raftlab.pause());
  await api(page, () => window.raftlab.runFor(3000));
  const t0 = (await state(page)).time_ms;
  // A line that needs time: the promise resolves at once with a status, and time stands still.
  const w = await api(page, () => window.raftlab.exec("put p 1"));
  assert.equal(w.status, "waiting");
  assert.equal(typeof w.id, "number");
  assert.match(w.note, /completes when virtual time runs/);
  assert.equal((await state(page)).time_ms, t0, "exec does not move the clock");
  // A line answered without time still resolves with its text.
  assert.match(await api(page, () => window.raftlab.exec("put")), /^Error: put command needs 1 argument/);
  // execUntilDone runs virtual time until its line completes; the line in flight completes too.
  const d = await api(page, () => window.raftlab.execUntilDone("get p"));
  assert.equal(d.status, "done");
  assert.equal(d.text, "p\n1\n");
  assert.equal(d.printed, "OK\np\n1\n", "what the repl prints: the put's answer, then the get's");
  const s = await state(page);
  assert.ok(s.time_ms > t0);
  assert.equal(s.playing, false, "the page stays paused");
  // A watch settles (it goes on in the background); a limit that comes first says so.
  assert.equal((await api(page, () => window.raftlab.execUntilDone("watch p"))).status, "settled");
  const at = (await state(page)).time_ms;
  const slow = await api(page, () => window.raftlab.execUntilDone("sleep 5s", { limitMs: 1000 }));
  assert.equal(slow.status, "waiting");
  assert.equal(slow.time_ms, at + 1000);
  assert.deepEqual(errors, []);
  await page.close();
});
