// The Check panel: the session's client operations through the linearizability checker (in
// slices, with progress and Cancel), its watch streams through the watch validators, and the
// teaching menu's planted bugs caught by them.
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

const exec = (page, line) => page.evaluate((l) => window.raftlab.exec(l), line);
const check = (page, opts) => page.evaluate((o) => window.raftlab.check(o), opts);

/** A paused 5-node cluster with a leader; returns the page, the leader and a follower. */
async function cluster(seed) {
  const { page, errors } = await open(browser, `${url}?nodes=5&seed=${seed}`);
  const s = await waitState(page, (s) => s.leader !== null && s.time_ms > 1500);
  await page.evaluate(() => window.raftlab.play(20));
  const follower = s.nodes.map((n) => n.id).find((id) => id !== s.leader);
  return { page, errors, leader: s.leader, follower };
}

/** Switches a planted bug with the teaching menu, as a person would. */
async function plant(page, title) {
  await page.getByRole("button", { name: /Teaching ▾/ }).click();
  const menu = page.getByRole("group", { name: "Teaching" });
  await menu.getByRole("checkbox", { name: new RegExp(title) }).check();
  await page.locator(".scrim").click({ position: { x: 8, y: 400 } });
}

/** The stale read of a partitioned follower (the follower-local-read bug shows it). */
async function staleRead(page, follower) {
  assert.equal((await exec(page, "put x 1")).trim(), "OK");
  await exec(page, "sleep 1s");
  await exec(page, `partition ${follower}`);
  assert.equal((await exec(page, "put x 2")).trim(), "OK");
  await exec(page, "sleep 100ms");
  return (await exec(page, `--endpoints=node${follower} get x`)).trim().split("\n");
}

test("puts, gets and a watch across a partition check out, in the panel and through the API", async () => {
  const { page, errors, follower } = await cluster(21);
  await exec(page, "watch --prefix a --prev-kv");
  assert.equal((await exec(page, "put a 1")).trim(), "OK");
  assert.deepEqual((await exec(page, "get a")).trim().split("\n"), ["a", "1"]);
  await exec(page, `partition ${follower}`);
  assert.equal((await exec(page, "put a 2")).trim(), "OK");
  await exec(page, "del b");
  assert.deepEqual((await exec(page, "get a")).trim().split("\n"), ["a", "2"]);
  await exec(page, "sleep 200ms");
  await exec(page, "heal");
  await exec(page, "sleep 2s");
  assert.deepEqual((await exec(page, `--endpoints=node${follower} get a`)).trim().split("\n"), ["a", "2"]);
  const r = await check(page);
  assert.equal(r.verdict, "Linearizable", r.explanation);
  assert.equal(r.operations, 6);
  assert.ok(r.slices >= 1 && r.wall_ms >= 0);
  assert.equal(r.watch.verdict, "Valid", r.watch.explanation);
  assert.deepEqual([r.watch.watches, r.watch.events], [1, 2]);
  assert.deepEqual(r.planted, []);
  // The button shows the same verdicts.
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-verdict]", { hasText: /^Linearizable$/ }).waitFor();
  await panel.locator("[data-check=watch] [data-state=Valid]").waitFor();
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("30-check-linearizable"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("sessions with leases, expiries and range deletes get a real verdict", async () => {
  const { page, errors } = await cluster(26);
  const granted = await exec(page, "lease grant 2");
  const lease = granted.match(/lease ([0-9a-f]+) granted/)[1];
  assert.equal((await exec(page, `put --lease=${lease} session/a 1`)).trim(), "OK");
  assert.equal((await exec(page, "put range/a 1")).trim(), "OK");
  assert.equal((await exec(page, "put range/b 2")).trim(), "OK");
  assert.equal((await exec(page, "del --prefix range/")).trim(), "2");
  // Nobody keeps the lease alive: the leader revokes it, and its key goes.
  await exec(page, "sleep 6s");
  assert.equal((await exec(page, "get session/a")).trim(), "");
  const r = await check(page);
  assert.equal(r.verdict, "Linearizable", r.explanation);
  assert.equal(r.operations, 7, "grant, 3 puts, the range delete, the leader's revoke, the get");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the teaching menu's stale follower reads are caught, and the session replays them", async () => {
  const { page, errors, follower } = await cluster(22);
  await plant(page, "Stale reads from followers");
  assert.deepEqual(await page.evaluate(() => window.raftlab.planted()), ["follower-local-read"]);
  // The cluster says it is broken on purpose, and the switch is a line of the session.
  await page.getByRole("status", { name: "Planted bugs" }).filter({ hasText: "Deliberately broken cluster" }).waitFor();
  await page.locator(".console").getByText("plant follower-local-read").first().waitFor();
  // The stale answer from the isolated follower.
  assert.deepEqual(await staleRead(page, follower), ["x", "1"]);
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-verdict]", { hasText: /^Not linearizable$/ }).waitFor();
  await panel.getByText(/deliberately broken cluster \(planted: follower-local-read\)/).waitFor();
  const r = await check(page);
  assert.equal(r.verdict, "Not linearizable");
  assert.deepEqual(r.planted, ["follower-local-read"]);
  assert.ok(r.explanation.length > 0);
  // The offending operations are drawn, one lane per client, the stuck one marked.
  await panel.locator(".check-timeline .check-op.stuck").first().waitFor();
  assert.ok((await panel.locator(".check-timeline .check-op").count()) >= 3);
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("31-check-violation"), fullPage: true });

  // Export, then import in a fresh page: the same run, the same violation.
  const text = await page.evaluate(() => window.raftlab.exportScenario());
  assert.match(text, /^at \d+ms@\d+ plant follower-local-read$/m);
  const hash = (await page.evaluate(() => window.raftlab.state())).trace_hash;
  const fresh = await open(browser, url);
  assert.equal(await fresh.page.evaluate((t) => window.raftlab.importScenario(t), text), null);
  assert.equal((await fresh.page.evaluate(() => window.raftlab.state())).trace_hash, hash);
  assert.deepEqual(await fresh.page.evaluate(() => window.raftlab.planted()), ["follower-local-read"]);
  const again = await check(fresh.page);
  assert.equal(again.verdict, "Not linearizable");
  // Repair: the strip goes, and the session records that too.
  await fresh.page.getByRole("button", { name: "Repair" }).click();
  assert.deepEqual(await fresh.page.evaluate(() => window.raftlab.planted()), []);
  assert.equal(await fresh.page.getByRole("status", { name: "Planted bugs" }).count(), 0);
  assert.match(await fresh.page.evaluate(() => window.raftlab.exportScenario()), /plant none$/m);
  assert.deepEqual(fresh.errors, []);
  assert.deepEqual(errors, []);
  await fresh.page.close();
  await page.close();
});

test("a dropped watch event is caught by the watch validators", async () => {
  const { page, errors } = await cluster(23);
  await plant(page, "Lose a watch event");
  await exec(page, "watch --prefix k");
  for (let i = 0; i < 10; i++) assert.equal((await exec(page, `put k${i % 3} v${i}`)).trim(), "OK");
  await exec(page, "get k0");
  await exec(page, "sleep 300ms");
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-check=watch] [data-state=Invalid]").waitFor();
  // Linearizability is fine: the bug is in the watch stream only.
  await panel.locator("[data-verdict]", { hasText: /^Linearizable$/ }).waitFor();
  const r = await check(page);
  assert.equal(r.watch.verdict, "Invalid");
  assert.equal(r.watch.events, 9, "one of ten events never arrived");
  const reliable = r.watch.findings.find((f) => f.rule === "reliable");
  assert.ok(reliable, JSON.stringify(r.watch.findings));
  assert.match(reliable.line, /^watch --prefix k \(node \d\)$/);
  await panel.locator("[data-check=watch] .check-findings li", { hasText: "reliable" }).first().waitFor();
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("32-check-watch"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("leases that never expire are caught by the lease check", async () => {
  const { page, errors } = await cluster(27);
  await plant(page, "Leases never expire");
  const granted = await exec(page, "lease grant 2");
  const lease = granted.match(/lease ([0-9a-f]+) granted/)[1];
  assert.equal((await exec(page, `put --lease=${lease} session/a 1`)).trim(), "OK");
  await exec(page, "sleep 7s");
  // The key is still there: nobody revoked the lease.
  assert.deepEqual((await exec(page, "get session/a")).trim().split("\n"), ["session/a", "1"]);
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-check=leases] [data-state=Invalid]").waitFor();
  const r = await check(page);
  assert.equal(r.leases.verdict, "Invalid");
  assert.match(r.leases.findings[0], new RegExp(`lease ${lease} \\(TTL 2 s\\) is still alive`));
  // Linearizability cannot see it (the model has no clock): the lease check's job.
  assert.equal(r.verdict, "Linearizable", r.explanation);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a lock taken without the session re-check is caught by the lock check", async () => {
  const { page, errors } = await cluster(28);
  await plant(page, "Locks without the session re-check");
  // Commands are numbered from 1: plant (1), the holder's lock (2), the waiter's (3).
  const holder = (await exec(page, "lock l")).trim();
  await exec(page, "lock l");
  const leases = (await exec(page, "lease list")).trim().split("\n").slice(1);
  const waiter = leases.find((id) => !holder.endsWith(id.replace(/^0+/, "")));
  assert.equal(leases.length, 2, leases.join(" "));
  // The waiter's session ends on the server; then the holder lets go.
  await exec(page, `lease revoke ${waiter}`);
  await exec(page, "cancel 2");
  await exec(page, "sleep 1s");
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-check=locks] [data-state=Invalid]").waitFor();
  const r = await check(page);
  assert.equal(r.locks.verdict, "Invalid", r.locks.explanation);
  assert.equal(r.locks.holds, 2);
  assert.match(r.locks.findings[0], /client 3 acquired lock key l\/\w+ at \d+ ms, but the store never gave it the lock/);
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("34-check-lock"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a check runs in slices with progress, can be cancelled, and its budget ends in Unknown", async () => {
  const { page, errors } = await cluster(24);
  for (let i = 0; i < 12; i++) {
    await exec(page, `put k${i % 4} ${i}`);
    await exec(page, `--endpoints=node${1 + (i % 5)} get k${(i + 1) % 4}`);
  }
  const whole = await check(page);
  assert.equal(whole.verdict, "Linearizable", whole.explanation);
  assert.ok(whole.steps > 20, `${whole.steps} steps`);

  // Tiny slices: the same answer, over many slices, with progress on the way.
  const seen = await page.evaluate(async () => {
    const r = window.raftlab;
    const done = r.check({ sliceSteps: 2 });
    const progress = [];
    const t0 = r.state().time_ms;
    while (progress.length < 5) {
      await new Promise((res) => setTimeout(res, 0));
      const p = r.checkProgress();
      if (!p) break;
      progress.push(p);
    }
    const bar = document.querySelector(".check-panel [role=progressbar]") !== null;
    const v = await done;
    return { v, progress, bar, moved: r.state().time_ms > t0 };
  });
  assert.equal(seen.v.verdict, whole.verdict);
  assert.equal(seen.v.steps, whole.steps);
  assert.ok(seen.v.slices > 10, `${seen.v.slices} slices`);
  assert.ok(seen.progress.length >= 3, JSON.stringify(seen.progress));
  assert.ok(seen.progress.every((p, i) => i === 0 || p.steps >= seen.progress[i - 1].steps));
  assert.match(seen.progress[0].stage, /per-key pass|global pass/);
  assert.ok(seen.bar, "the progress bar is on screen while it runs");
  assert.ok(seen.moved, "the cluster kept playing while the check ran");

  // Cancel: the button, while a slow check runs.
  const pending = page.evaluate(() => window.raftlab.check({ sliceSteps: 1 }));
  const panel = page.getByRole("region", { name: "Check" });
  await panel.getByRole("progressbar").waitFor();
  await panel.getByRole("button", { name: "Cancel" }).click();
  const cancelled = await pending;
  assert.equal(cancelled.verdict, "Cancelled");
  assert.ok(cancelled.steps < whole.steps);
  await panel.locator("[data-verdict=Cancelled]").waitFor();
  assert.equal(await page.evaluate(() => window.raftlab.checkProgress()), null);

  // A budget too small for the history: Unknown, and the panel says why.
  const unknown = await check(page, { maxSteps: 10 });
  assert.equal(unknown.verdict, "Unknown");
  assert.equal(unknown.steps, 10);
  assert.match(unknown.explanation, /step budget \(10 model steps\) ran out/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the teaching menu lists every planted bug; apply-before-commit starts a new broken cluster", async () => {
  const { page, errors } = await cluster(25);
  await exec(page, "put a 1");
  await page.getByRole("button", { name: "Teaching ▾" }).click();
  const menu = page.getByRole("group", { name: "Teaching" });
  for (const title of [
    "Stale reads from followers",
    "Apply before commit",
    "Lose a watch event",
    "Leases never expire",
    "Locks without the session re-check",
  ]) {
    await menu.getByRole("checkbox", { name: new RegExp(title) }).waitFor();
  }
  await menu.getByRole("checkbox", { name: /Lose a watch event/ }).check();
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("33-teaching-menu"), fullPage: false });
  await menu.getByRole("checkbox", { name: /Apply before commit/ }).check();
  await page.locator(".scrim").click({ position: { x: 8, y: 400 } });
  const planted = await page.evaluate(() => window.raftlab.planted());
  assert.deepEqual(planted, ["apply-before-commit", "drop-watch-event"]);
  // A new cluster, built broken: the session starts over and its header says so.
  const s = await page.evaluate(() => window.raftlab.session());
  assert.equal(s.lines, 0);
  const text = await page.evaluate(() => window.raftlab.exportScenario());
  assert.match(text, /^@planted apply-before-commit,drop-watch-event$/m);
  await page.getByRole("button", { name: "⚠ Teaching ▾" }).waitFor();
  assert.equal(await page.evaluate(() => window.raftlab.plantBugs(["no-such-bug"])).then((e) => /no planted bug/.test(e)), true);
  assert.deepEqual(errors, []);
  await page.close();
});
