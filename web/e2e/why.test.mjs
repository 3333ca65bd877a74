// "Why?" in the inspector (a node, a message, a log entry) and the Check panel's plain sentence
// on a planted stale read.
// Run: trunk build --release --offline && cd web && node --test e2e/why.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open, waitState } from "./harness.mjs";

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

test("Why? explains the leader, a message and a log entry from the trace", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=3&seed=6`);
  const s = await waitState(page, (s) => s.leader !== null && s.time_ms > 1500);
  await page.evaluate(() => window.raftlab.play(20));
  assert.equal((await exec(page, "put color blue")).trim(), "OK");
  await page.evaluate(() => window.raftlab.pause());
  const inspector = page.locator(".inspector");

  // The leader: the election it won, and the timeout that started it.
  await page.getByRole("button", { name: new RegExp(`^Node ${s.leader}: leader`) }).click();
  await inspector.getByRole("button", { name: "Why?" }).click();
  const why = inspector.locator(".why");
  await why.waitFor();
  assert.equal(await why.getAttribute("data-case"), "Elected");
  const text = await why.innerText();
  assert.match(text, new RegExp(`Node ${s.leader} won the election for term \\d+`));
  assert.match(text, /election timeout fired/);
  assert.match(text, /Raft paper §5\.2/);

  // A message in flight: step until one is on screen, then ask about it.
  const msgs = page.getByRole("button", { name: /^Message \d+: / });
  for (let i = 0; i < 200 && (await msgs.count()) === 0; i++) {
    await page.evaluate(() => window.raftlab.step(1));
  }
  await msgs.first().click();
  await inspector.getByRole("button", { name: "Why?" }).click();
  await inspector.locator(".why .why-headline").waitFor();
  assert.ok((await inspector.locator(".why .why-headline").innerText()).length > 20);

  // A log entry: click index 3 (the put) in the leader's row.
  const row = page.getByRole("row", { name: `Log of node ${s.leader}` });
  await row.locator('[data-index="3"]').click();
  await inspector.getByRole("heading", { name: `Entry 3 of node ${s.leader}` }).waitFor();
  await inspector.getByRole("button", { name: "Why?" }).click();
  const entry = await inspector.locator(".why").innerText();
  assert.match(entry, new RegExp(`written by node ${s.leader} as leader of term`));
  assert.match(entry, /put color blue/);
  assert.match(entry, /It was committed at/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a planted stale read opens the Check verdict with one plain sentence", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=5&seed=22`);
  const s = await waitState(page, (s) => s.leader !== null && s.time_ms > 1500);
  await page.evaluate(() => window.raftlab.play(20));
  const follower = s.nodes.map((n) => n.id).find((id) => id !== s.leader);
  await page.evaluate(() => window.raftlab.plantBugs(["follower-local-read"]));
  assert.equal((await exec(page, "put x 1")).trim(), "OK");
  await exec(page, "sleep 1s");
  await exec(page, `partition ${follower}`);
  assert.equal((await exec(page, "put x 2")).trim(), "OK");
  await exec(page, "sleep 100ms");
  assert.deepEqual((await exec(page, `get x --endpoints=node${follower}`)).trim().split("\n"), ["x", "1"]);
  await exec(page, `get x --consistency=s --endpoints=node${follower}`);
  await page.getByRole("button", { name: "Check this session" }).click();
  const panel = page.getByRole("region", { name: "Check" });
  await panel.locator("[data-verdict]", { hasText: /^Not linearizable$/ }).waitFor();
  const sentence = await panel.locator(".check-headline").innerText();
  assert.match(
    sentence,
    new RegExp(`^get x through node ${follower} at [\\d.]+ s returned 1, but put x=2 had finished at [\\d.]+ s: a stale read`),
  );
  // The get is the highlighted operation; the checker's account is one click away.
  assert.match(await panel.locator(".check-op.culprit").textContent(), /get x → 1/);
  await panel.getByText("The checker's own account").click();
  await panel.locator(".check-account .check-explanation").waitFor();
  assert.match(await panel.locator(".check-left-out").innerText(), /^1 serializable read \(--consistency=s\) was left out on purpose/);
  const r = await page.evaluate(() => window.raftlab.check());
  assert.match(r.headline, /a stale read/);
  assert.deepEqual(errors, []);
  await page.close();
});
