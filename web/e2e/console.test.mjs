// The console has no traps (issue 12): a txn typed line by line into the console box ends with
// blank lines as in etcdctl, the prompt says which section a line goes to, Esc abandons an
// unfinished txn, and the console answers afterwards.
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

/** Types `line` into the console box and presses Enter. */
async function type(page, line) {
  const box = page.getByRole("textbox", { name: "Command" });
  await box.fill(line);
  await box.press("Enter");
}

const consoleText = (page) => page.getByRole("log", { name: "Console output" }).innerText();

test("a txn typed line by line ends, prints SUCCESS, and the console goes on", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=3&seed=3`);
  await waitState(page, (s) => s.leader !== null);
  await type(page, "put k1 v1");
  await page.waitForFunction(() => document.body.innerText.includes("OK"));
  await type(page, "txn");
  const status = page.getByRole("status").filter({ hasText: "txn ·" });
  await status.filter({ hasText: "compares:" }).waitFor();
  await type(page, 'value("k1") = "v1"');
  await type(page, "");
  await status.filter({ hasText: "success requests" }).waitFor();
  await type(page, "put k2 from-txn");
  await type(page, "");
  await status.filter({ hasText: "failure requests" }).waitFor();
  await type(page, "put k2 failed");
  await type(page, "");
  await page.waitForFunction(() => document.body.innerText.includes("SUCCESS"), null, { timeout: 10000 });
  assert.equal(await status.count(), 0, "the txn prompt is gone once the txn ends");
  await type(page, "get k2");
  await page.waitForFunction(() => /k2\s*\n\s*from-txn/.test(document.querySelector("[aria-label='Console output']").innerText), null, { timeout: 10000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test("Esc abandons an unfinished txn with a message, and nothing is written", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=3&seed=3`);
  await waitState(page, (s) => s.leader !== null);
  await type(page, "txn");
  await type(page, 'value("k") = ""');
  await type(page, "");
  await type(page, "put k never");
  await page.getByRole("textbox", { name: "Command" }).press("Escape");
  await page.waitForFunction(() => document.body.innerText.includes("txn abandoned: nothing was sent"));
  assert.equal(await page.getByRole("status").filter({ hasText: "txn ·" }).count(), 0);
  const out = await page.evaluate(() => window.raftlab.exec("get k"));
  assert.equal(String(out).trim(), "", "the abandoned txn wrote nothing");
  await type(page, "put k after");
  await page.waitForFunction(() => (document.querySelector("[aria-label='Console output']").innerText.match(/\bOK\b/g) || []).length >= 1);
  assert.ok((await consoleText(page)).includes("txn abandoned"));
  assert.deepEqual(errors, []);
  await page.close();
});

test("no silent traps: Esc closes menus, tables scroll instead of wrapping, 'Next leader' says why nothing came, a link greets with its own seed", async () => {
  const { page, errors } = await open(browser, `${url}?nodes=3&seed=3`);
  await waitState(page, (s) => s.leader !== null);
  // Esc closes the Lessons and Teaching menus.
  for (const [name, role, label] of [["Lessons ▾", "menu", "Lessons"], ["Teaching ▾", "group", "Teaching"]]) {
    await page.getByRole("button", { name }).click();
    const menu = page.getByRole(role, { name: label });
    await menu.waitFor();
    await page.keyboard.press("Escape");
    await menu.waitFor({ state: "detached" });
  }
  // A table keeps its lines whole (it scrolls sideways).
  await type(page, "endpoint status -w table");
  const table = page.locator("pre.out", { hasText: "RAFT APPLIED INDEX" });
  await table.waitFor();
  assert.equal(await table.evaluate((e) => getComputedStyle(e).whiteSpace), "pre");
  // With a healthy leader, "Next leader" runs a minute of virtual time and says why nothing came.
  await page.getByRole("button", { name: /next leader/i }).click();
  await page.waitForFunction(() => /No leader change in .* is a healthy leader/.test(document.body.innerText));
  assert.deepEqual(errors, []);
  const link = await page.evaluate(() => window.raftlab.shareLink());
  await page.close();
  // A link to a seed-3 run greets with seed 3, not the default cluster's seed.
  const p2 = await open(browser, link);
  await p2.page.waitForFunction(() => /Loaded .*seed 3\b/.test(document.body.innerText));
  assert.ok(!/nodes, seed 1\./.test(await p2.page.locator("[aria-label='Console output']").innerText()));
  await p2.page.close();
});
