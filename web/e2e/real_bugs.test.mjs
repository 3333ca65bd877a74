// The three lessons that replay bugs etcd really had (etcd #741, #11456, #18089), done as a
// learner does them with "Show me" on every step, then "Check this session": the Check panel
// catches each planted bug and says what went wrong in words. (lessons.test.mjs covers these
// lessons' learner and Next-early paths with every other built-in.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open, shotPath } from "./harness.mjs";

let server, url, browser;

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const lesson = (page) => page.evaluate(() => window.raftlab.lesson());
const allMet = (l, i) => l.steps[i].done || l.steps[i].expects.every(([, met]) => met);

/** Opens the lesson titled `title` from the Lessons menu and does every step with Show me. */
async function showEveryStep(page, title) {
  await page.getByRole("button", { name: "Lessons ▾" }).click();
  await page.getByRole("menuitem", { name: new RegExp(title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).click();
  const panel = page.getByRole("region", { name: "Lesson" });
  await panel.waitFor();
  let l = await lesson(page);
  for (let i = 0; i < l.steps.length; i++) {
    l = await lesson(page);
    assert.equal(l.current, i);
    if (l.steps[i].lines.length > 0) {
      await panel.getByRole("button", { name: "Show me" }).click();
      await page.evaluate(() => window.raftlab.play(20));
      const deadline = Date.now() + 60000;
      while (!allMet(await lesson(page), i)) {
        assert.ok(Date.now() < deadline, `${title}: step ${i + 1} never met ${JSON.stringify((await lesson(page)).steps[i].expects)}`);
        if (!(await page.evaluate(() => window.raftlab.state().playing))) await page.evaluate(() => window.raftlab.play(20));
        await page.waitForTimeout(100);
      }
    }
    if (i + 1 < l.steps.length) {
      await panel.getByRole("button", { name: "Next →" }).click();
      await panel.getByText(`Step ${i + 2} of ${l.steps.length}`).waitFor();
    }
  }
  // The last step tells the learner to press Check.
  assert.match(l.steps[l.steps.length - 1].narration.join(" "), /Check this session/);
  await page.evaluate(() => window.raftlab.pause());
  await page.getByRole("button", { name: "Check this session" }).click();
  const check = page.getByRole("region", { name: "Check" });
  await check.locator(".check-result").waitFor();
  return check;
}

test("etcd #741: a stale read from an old leader, named in the Check panel's first sentence", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=3&seed=1`);
  const check = await showEveryStep(page, "A real bug: stale reads from an old leader (etcd #741)");
  await check.locator("[data-verdict]", { hasText: /^Not linearizable$/ }).waitFor();
  await check.getByText(/deliberately broken cluster \(planted: leader-local-read\)/).waitFor();
  const sentence = await check.locator(".check-headline").innerText();
  assert.match(sentence, /^get x through node 3 at [\d.]+ s returned foo, but put x=bar had finished at [\d.]+ s: a stale read/);
  assert.match(await check.locator(".check-op.culprit").textContent(), /get x → foo/);
  await page.screenshot({ path: shotPath("60-real-bug-stale-leader-read"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("etcd #11456: a lock granted to an expired session, Invalid under Locks", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=3&seed=1`);
  const check = await showEveryStep(page, "A real bug: a lock granted to an expired session (etcd #11456)");
  const locks = check.locator("[data-check=locks]");
  await locks.locator("[data-state=Invalid]").waitFor();
  const finding = await locks.locator(".check-findings li").first().innerText();
  assert.match(finding, /jepsen\/1d54663e70c503bc .*the store never gave it the lock: its key was deleted at revision \d+ before it ever owned the lock/);
  const r = await page.evaluate(() => window.raftlab.check());
  assert.equal(r.locks.verdict, "Invalid");
  assert.deepEqual(r.planted, ["lock-without-recheck"]);
  await page.screenshot({ path: shotPath("61-real-bug-lock-lease"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("etcd #18089: a watch that lost the DELETE at the compaction revision, Invalid under Watch streams", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=3&seed=1`);
  const check = await showEveryStep(page, "A real bug: a watch loses a delete after compaction (etcd #18089)");
  const watch = check.locator("[data-check=watch]");
  await watch.locator("[data-state=Invalid]").waitFor();
  const finding = await watch.locator(".check-findings li").first().innerText();
  assert.match(finding, /reliable\s*watch k --rev=5 \(node \d\): DELETE "k" @5 \(between start revision 5 and revision 6\) was never delivered/);
  const r = await page.evaluate(() => window.raftlab.check());
  assert.equal(r.watch.verdict, "Invalid");
  assert.deepEqual(r.planted, ["compaction-loses-delete"]);
  await page.screenshot({ path: shotPath("62-real-bug-watch-compaction"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
