// Scenarios, lessons, time travel and share links in the browser (issue 6), against the release
// build in Debian's headless chromium. Run: trunk build --release --offline && cd web && node --test e2e/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { serve, launch, open, waitState, shotPath, root } from "./harness.mjs";

let server, url, browser;

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const api = (page, f, ...args) => page.evaluate(f, ...args);
/** Awaits a long promise of the page (a replay) by polling for its result, not through
 * `page.evaluate`: chromium's inspector holds an awaited promise weakly, and a garbage
 * collection during a long replay made the evaluate fail with "Resulting promise was garbage
 * collected" (CI, 2026-12-04). */
const settle = async (page, f, arg) => {
  await page.evaluate(([src, a]) => {
    window.__settled = undefined;
    window.__pending = (0, eval)(src)(a).then((v) => (window.__settled = { v }));
  }, [f.toString(), arg]);
  const h = await page.waitForFunction(() => window.__settled, null, { timeout: 60000 });
  return (await h.jsonValue()).v;
};
const state = (page) => api(page, () => window.raftlab.state());
const exec = (page, line) => api(page, (l) => window.raftlab.exec(l), line);
/** Starts a line without waiting for it (time is paused in these tests). */
const start = (page, line) => api(page, (l) => void window.raftlab.exec(l), line);
const runFor = (page, ms) => api(page, (ms) => window.raftlab.runFor(ms), ms);

/** A session made of clicks-equivalent lines at known virtual times, paused throughout. Returns
 * the trace hash and nodes at 6 s (a point to seek back to) and at the end. */
async function makeSession(page, seed = 31) {
  // Pause before the reset too: the page plays from load, and an animation frame between the
  // reset and the pause would move the new cluster's clock (seen: 16 ms under load).
  await api(page, () => window.raftlab.pause());
  await api(page, (seed) => window.raftlab.reset({ nodes: 5, seed }), seed);
  await api(page, () => window.raftlab.pause());
  assert.equal((await state(page)).time_ms, 0);
  await runFor(page, 2000);
  await start(page, "put a 1");
  await start(page, "watch a");
  await runFor(page, 1500);
  await start(page, "partition leader");
  await runFor(page, 2500);
  const at6 = await state(page);
  assert.equal(at6.time_ms, 6000);
  // Cancel the watch the way a person does: its button in the console.
  await page.locator(".running-row button", { hasText: "cancel" }).first().click();
  await start(page, "heal");
  await runFor(page, 4000);
  await start(page, "put b 2");
  await runFor(page, 3000);
  await api(page, () => window.raftlab.step(7));
  const end = await state(page);
  return { at6, end };
}

test("every built-in scenario and lesson replays in the browser to the native trace hash", async () => {
  const { page, errors } = await open(browser, url);
  const golden = fs
    .readFileSync(path.join(root, "tests", "golden", "scenario_hashes.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.trim().split(/\s+/));
  const builtins = await api(page, () => window.raftlab.builtins());
  assert.deepEqual(builtins.map((b) => b.name).sort(), golden.map((g) => g[0]).sort());
  assert.ok(builtins.filter((b) => b.kind === "lesson").length >= 11);
  for (const [name, ms, hash] of golden) {
    const err = await api(page, (n) => window.raftlab.importScenario(window.raftlab.builtinText(n)), name);
    assert.equal(err, null, `${name}: ${err}`);
    const s = await state(page);
    assert.equal(s.trace_hash, hash, `${name} replays to the native hash`);
    assert.equal(s.time_ms, Number(ms), `${name} ends at the native time`);
    assert.equal(s.playing, false, "an imported run is paused at its end");
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test("a recording of raftlab serve replays in the page to the trace hash it names", async () => {
  // Recorded from `raftlab serve --nodes 3 --seed 5` with etcdctl and curl as clients, a
  // partition of the leader and a heal typed on its standard input.
  const text = fs.readFileSync(path.join(root, "web", "e2e", "fixtures", "serve-partition.scenario"), "utf8");
  const named = text.match(/^# trace hash ([0-9a-f]{16}) /m)[1];
  const { page, errors } = await open(browser, url);
  assert.equal(await settle(page, (t) => window.raftlab.importScenario(t), text), null);
  const s = await state(page);
  assert.equal(s.trace_hash, named, "the page replays the served session exactly");
  assert.equal(s.time_ms, 20219, "to the end the recording names");
  assert.deepEqual(errors, []);
  await page.close();
});

test("export then import round-trips: API, Export button, file picker and drag-and-drop", async () => {
  const { page, errors } = await open(browser, url);
  const { end } = await makeSession(page, 21);
  const text = await api(page, () => window.raftlab.exportScenario());
  assert.match(text, /^@seed 21$/m);
  assert.match(text, /cancel \d+/, "the console's cancel button is kept in the session");
  // The Export button downloads the same text.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export" }).click()]);
  assert.match(download.suggestedFilename(), /^raftlab-5n-seed21-.*\.txt$/);
  assert.equal(fs.readFileSync(await download.path(), "utf8"), text);
  // Import through the API.
  await api(page, () => window.raftlab.reset({ nodes: 3, seed: 2 }));
  assert.equal(await settle(page, (t) => window.raftlab.importScenario(t), text), null);
  let s = await state(page);
  assert.equal(s.trace_hash, end.trace_hash);
  assert.deepEqual(s.nodes, end.nodes);
  // Through the file picker.
  await api(page, () => window.raftlab.reset({ nodes: 3, seed: 2 }));
  await page.locator("input[type=file]").setInputFiles({ name: "session.txt", mimeType: "text/plain", buffer: Buffer.from(text) });
  s = await waitState(page, `s.trace_hash === ${JSON.stringify(end.trace_hash)}`);
  assert.equal(s.time_ms, end.time_ms);
  // By dropping the file on the page.
  await api(page, () => window.raftlab.reset({ nodes: 3, seed: 2 }));
  await api(page, (t) => {
    const dt = new DataTransfer();
    dt.items.add(new File([t], "dropped.txt", { type: "text/plain" }));
    document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, text);
  await waitState(page, `s.trace_hash === ${JSON.stringify(end.trace_hash)}`);
  // A file with a mistake is refused with its line number, and nothing changes.
  const bad = "@title broken\n@nodes 5\nput a 1\nfly to the moon\n";
  await page.locator("input[type=file]").setInputFiles({ name: "broken.txt", mimeType: "text/plain", buffer: Buffer.from(bad) });
  const banner = page.getByRole("alert").filter({ hasText: "broken.txt" });
  await banner.waitFor();
  assert.match(await banner.textContent(), /line 4: unknown command "fly".*Nothing changed/);
  assert.equal((await state(page)).trace_hash, end.trace_hash);
  const tooMany = await api(page, () => window.raftlab.importScenario("@nodes 52\n"));
  assert.match(tooMany, /^scenario line 1: node count 52 is out of range/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a share link opens the same run in a fresh page", async () => {
  const { page } = await open(browser, url);
  const { end } = await makeSession(page, 41);
  await page.getByRole("button", { name: "Share" }).click();
  await page.getByRole("status").filter({ hasText: "Link copied" }).waitFor();
  const link = page.url();
  assert.match(link, /#s=[A-Za-z0-9_-]+$/);
  assert.equal(await api(page, () => window.raftlab.shareLink()), link, "the API gives the same link");
  await page.close();
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const fresh = await ctx.newPage();
  const errors = [];
  fresh.on("pageerror", (e) => errors.push(String(e)));
  await fresh.goto(link);
  await fresh.waitForFunction(() => window.raftlab && window.raftlab.state());
  // The link's run replays in slices (a progress bar meanwhile); wait until it is on the page.
  await fresh.waitForFunction(() => window.raftlab.replay() === null);
  const s = await fresh.evaluate(() => window.raftlab.state());
  assert.equal(s.trace_hash, end.trace_hash);
  assert.deepEqual(s.nodes, end.nodes);
  assert.equal(s.seed, 41);
  assert.equal(await fresh.getByRole("alert").count(), 0);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("a malformed or oversized link says so and starts a default cluster; a link cannot run script", async () => {
  for (const [frag, reason] of [
    ["#s=!!!not-a-link", /damaged/],
    [`#s=${"A".repeat(70000)}`, /too long/],
    ["#x=1", /does not hold a raftlab scenario/],
    ["#lesson=no-such-lesson", /no lesson/],
  ]) {
    const { page, errors } = await open(browser, `${url}${frag}`);
    const banner = page.getByRole("alert");
    await banner.waitFor();
    const text = await banner.textContent();
    assert.match(text, /This link could not be opened/);
    assert.match(text, reason);
    assert.match(text, /Started a default cluster instead/);
    const s = await waitState(page, (s) => s.leader !== null);
    assert.equal(s.nodes.length, 5);
    assert.equal(s.seed, 1);
    assert.deepEqual(errors, []);
    await page.close();
  }
  // Markup inside a linked scenario is only ever text.
  const { page } = await open(browser, url);
  const evil = "<img src=x onerror=alert(1)>";
  assert.equal(await api(page, (t) => window.raftlab.importScenario(t), `@title ${evil}\n@nodes 3\nput k '${evil}'\n`), null);
  const link = await api(page, () => window.raftlab.shareLink());
  await page.close();
  const p2 = await open(browser, link);
  await p2.page.locator(".console-out", { hasText: evil }).waitFor();
  assert.equal(await p2.page.locator("img").count(), 0);
  assert.deepEqual(p2.errors, []);
  await p2.page.close();
});

test("the scrubber reaches a chosen time and equals a straight run; step back; fork from the past", async () => {
  const { page, errors } = await open(browser, url);
  const { at6, end } = await makeSession(page, 31);
  // Drag the scrubber to 6 s (the jump happens when the thumb is released).
  const range = page.getByRole("slider", { name: "Session time" });
  await range.evaluate((el) => {
    el.value = "6000";
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  });
  // The move replays in slices: wait until it is on the page.
  await page.waitForFunction(() => window.raftlab.replay() === null);
  let s = await state(page);
  assert.equal(s.time_ms, 6000);
  assert.equal(s.trace_hash, at6.trace_hash, "the same state as the straight run at 6 s");
  assert.deepEqual(s.nodes, at6.nodes);
  const sess = await api(page, () => window.raftlab.session());
  assert.equal(sess.in_past, true);
  assert.equal(sess.end_ms, end.time_ms);
  await page.getByText("Looking at the past").waitFor();
  await page.screenshot({ path: shotPath("11-scrubber-past"), fullPage: true });
  await page.locator(".time").screenshot({ path: shotPath("12-scrubber") });
  // Any time through the API, and back to the end exactly.
  for (const t of [0, 1234, 9999]) {
    s = await api(page, (t) => window.raftlab.seek(t), t);
    assert.equal(s.time_ms, t);
  }
  await page.getByRole("button", { name: /Back to the end/ }).click();
  await page.waitForFunction(() => window.raftlab.replay() === null);
  s = await state(page);
  assert.equal(s.trace_hash, end.trace_hash);
  assert.deepEqual(s.nodes, end.nodes);
  // Step back one event: the state one event earlier.
  const before = await state(page);
  await api(page, () => window.raftlab.step(1));
  const stepped = await api(page, () => window.raftlab.session());
  await page.getByRole("button", { name: "Step back one event" }).click();
  await page.waitForFunction(() => window.raftlab.replay() === null);
  s = await state(page);
  assert.equal(s.trace_hash, before.trace_hash);
  assert.equal((await api(page, () => window.raftlab.session())).steps, stepped.steps - 1);
  // Fork at 6 s: the later lines are gone, the new one is kept, and the export replays exactly.
  await api(page, () => window.raftlab.seek(6000));
  await start(page, "put forked yes");
  await runFor(page, 1000);
  assert.equal((await api(page, () => window.raftlab.session())).in_past, false);
  const forked = await api(page, () => window.raftlab.exportScenario());
  assert.doesNotMatch(forked, / heal$/m);
  assert.match(forked, /put forked yes$/m);
  const h = (await state(page)).trace_hash;
  assert.equal(await api(page, (t) => window.raftlab.importScenario(t), forked), null);
  assert.equal((await state(page)).trace_hash, h);
  assert.deepEqual(errors, []);
  await page.close();
});

test("lessons: menu, table of contents, narration, expectations checked live, show me", async () => {
  const { page, errors } = await open(browser, url);
  await page.getByRole("button", { name: "Lessons ▾" }).click();
  await page.getByRole("menuitem", { name: /Minority partition and healing/ }).click();
  const panel = page.getByRole("region", { name: "Lesson" });
  await panel.waitFor();
  await panel.getByText("Step 1 of 4").waitFor();
  await panel.getByText("The clock stops by itself when a leader is elected", { exact: false }).waitFor();
  let l = await api(page, () => window.raftlab.lesson());
  assert.equal(l.name, "04-minority-partition");
  assert.equal(l.steps.length, 4);
  assert.ok(l.steps[1].expects.some(([t, met]) => /leader changes/.test(t) && !met));
  // "Show me" runs the step's lines; the expectations turn to ✓ as they come true.
  await api(page, () => window.raftlab.play(10));
  await panel.getByRole("button", { name: "Show me" }).click();
  await page.waitForFunction(() => window.raftlab.lesson().steps[0].expects.every(([, met]) => met), null, { timeout: 30000 });
  // Next opens step 2 and marks step 1 done in the table of contents.
  await panel.getByRole("button", { name: "Next →" }).click();
  await panel.getByText("Step 2 of 4").waitFor();
  await panel.getByText("cannot reach a majority", { exact: false }).first().waitFor();
  l = await api(page, () => window.raftlab.lesson());
  assert.equal(l.current, 1);
  assert.equal(l.steps[0].done, true);
  await panel.getByRole("button", { name: "Show me" }).click();
  await api(page, () => window.raftlab.play(10));
  await page.waitForFunction(() => window.raftlab.lesson().steps[1].expects.every(([, met]) => met), null, { timeout: 30000 });
  await panel.locator(".expects li.met").first().waitFor();
  await api(page, () => window.raftlab.pause());
  await page.locator(".lesson").screenshot({ path: shotPath("13-lesson-panel") });
  await page.screenshot({ path: shotPath("14-lesson-page"), fullPage: true });
  await panel.getByRole("button", { name: "Next →" }).click();
  await panel.getByText("Step 3 of 4").waitFor();
  // The learner acts: a write through the majority's leader satisfies "key kept-write ...".
  await api(page, () => window.raftlab.play(10));
  await exec(page, "put kept-write from-the-majority");
  await page.waitForFunction(() => window.raftlab.lesson().steps[2].expects.every(([, met]) => met), null, { timeout: 20000 });
  // Previous goes back; the table of contents jumps anywhere.
  await panel.getByRole("button", { name: "← Previous" }).click();
  await panel.getByText("Step 2 of 4").waitFor();
  await panel.getByRole("button", { name: /Heal: the uncommitted entries/ }).click();
  await panel.getByText("Step 4 of 4").waitFor();
  // Another lesson by the API; a teacher's own lesson through the same import as scenarios.
  assert.equal(await api(page, () => window.raftlab.openLesson("03-leader-crash")), null);
  await panel.getByText("Leader crash").waitFor();
  await api(page, () => window.raftlab.lessonGo(1));
  await api(page, () => window.raftlab.play(10));
  await exec(page, "crash leader");
  await page.waitForFunction(() => window.raftlab.lesson().steps[1].expects.every(([, met]) => met), null, { timeout: 20000 });
  const own = "@title My own lesson\n@nodes 3\n@seed 9\n@step Elect\n@say Wait for a leader.\n@expect leader\nsleep 3s\n@step Write\nput x 1\n@expect key x 1\n";
  await page.locator("input[type=file]").setInputFiles({ name: "mine.txt", mimeType: "text/plain", buffer: Buffer.from(own) });
  await panel.getByText("My own lesson").waitFor();
  l = await api(page, () => window.raftlab.lesson());
  assert.deepEqual(l.steps.map((s) => s.title), ["Elect", "Write"]);
  assert.equal((await state(page)).nodes.length, 3);
  // A teacher's link opens the lesson at its start in a fresh page; a built-in's link names it.
  await panel.getByRole("button", { name: "Copy link" }).click();
  const ownLink = page.url();
  assert.match(ownLink, /#s=/);
  const p2 = await open(browser, ownLink);
  await p2.page.getByRole("region", { name: "Lesson" }).getByText("My own lesson").waitFor();
  assert.equal((await p2.page.evaluate(() => window.raftlab.lesson())).current, 0);
  await p2.page.close();
  await api(page, () => window.raftlab.openLesson("01-leader-election"));
  assert.match(await api(page, () => window.raftlab.lessonLink()), /#lesson=01-leader-election$/);
  await page.getByRole("button", { name: "Close the lesson" }).click();
  await panel.waitFor({ state: "detached" });
  assert.deepEqual(errors, []);
  await page.close();
});
