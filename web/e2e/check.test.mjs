// The Check panel: the session's client operations through the linearizability checker.
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

/** A paused 5-node cluster with a leader; returns the page, the leader and a follower. */
async function cluster(seed) {
  const { page, errors } = await open(browser, `${url}?nodes=5&seed=${seed}`);
  const s = await waitState(page, (s) => s.leader !== null && s.time_ms > 1500);
  await page.evaluate(() => window.raftlab.play(20));
  const follower = s.nodes.map((n) => n.id).find((id) => id !== s.leader);
  return { page, errors, leader: s.leader, follower };
}

test("puts and gets across a partition check as linearizable, in the panel and through the API", async () => {
  const { page, errors, follower } = await cluster(21);
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
  const r = await page.evaluate(() => window.raftlab.check());
  assert.equal(r.verdict, "Linearizable", r.explanation);
  assert.equal(r.operations, 6);
  // The button shows the same verdict.
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-verdict]", { hasText: /^Linearizable$/ }).waitFor();
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("30-check-linearizable"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a planted follower-local read of a partitioned follower is not linearizable, and the panel shows it", async () => {
  const { page, errors, follower } = await cluster(22);
  assert.equal(await page.evaluate(() => window.raftlab.plantBugs(["follower-local-read"])), null);
  assert.equal((await exec(page, "put x 1")).trim(), "OK");
  await exec(page, "sleep 1s");
  await exec(page, `partition ${follower}`);
  assert.equal((await exec(page, "put x 2")).trim(), "OK");
  await exec(page, "sleep 100ms");
  // The stale answer from the isolated follower.
  assert.deepEqual((await exec(page, `--endpoints=node${follower} get x`)).trim().split("\n"), ["x", "1"]);
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-verdict]", { hasText: /^Not linearizable$/ }).waitFor();
  const r = await page.evaluate(() => window.raftlab.check());
  assert.equal(r.verdict, "Not linearizable");
  assert.ok(r.explanation.length > 0);
  // The offending operations are drawn, one lane per client, the stuck one marked.
  await panel.locator(".check-timeline .check-op.stuck").first().waitFor();
  assert.ok((await panel.locator(".check-timeline .check-op").count()) >= 3);
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("31-check-violation"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
