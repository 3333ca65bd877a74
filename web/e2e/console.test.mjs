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
