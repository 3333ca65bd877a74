// The page's console prints what `raftlab repl` prints (issue 16): for each family of etcdctl
// commands, a transcript of crates/etcd/tests/cases/repl (which `cargo test -p etcd --test
// repl_cases` checks against `raftlab repl`, and the etcd differential test against real etcd
// 3.5.1) is replayed in the page, line by line, on a fresh paused cluster with the same nodes
// and seed: `exec` while paused runs each line until it completes, as the repl does. The
// transcript the page gives must equal the file, byte for byte.
//
// Not covered here: families whose output arrives in the background of later lines (watch,
// lock, elect, lease keep-alive); the page shows those in their own console entries.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { serve, launch, open, root } from "./harness.mjs";

let server, url, browser;

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const CASES = path.join(root, "crates", "etcd", "tests", "cases", "repl");
const FAMILIES = [
  ["put, get, del", "kv_basics.txt"],
  ["get: ranges, limits, revisions, sort", "ranges.txt"],
  ["txn", "txn.txt"],
  ["txn abandoned", "txn_cancel.txt"],
  ["errors and usage", "errors.txt"],
  ["JSON gateway", "gateway.txt"],
  ["JSON gateway (more)", "gateway_more.txt"],
  ["endpoint and member", "cluster.txt"],
  ["member add, promote, remove", "membership.txt"],
  ["lines as the docs write them (etcdctl, curl)", "docs_lines.txt"],
];

/** Replays a case file's script in the page; returns the transcript as the repl writes it. */
async function replay(page, text) {
  let out = "";
  for (const line of text.split("\n").slice(0, -1)) {
    let cmd = null;
    if (line.startsWith("> ")) cmd = line.slice(2);
    else if (line === ">") cmd = "";
    else if (line.startsWith("#")) {
      out += line + "\n";
      continue;
    } else continue; // expected output
    out += (cmd === "" ? ">" : `> ${cmd}`) + "\n";
    out += await page.evaluate((l) => window.raftlab.exec(l), cmd);
  }
  return out;
}

for (const [family, file] of FAMILIES) {
  test(`the page prints what raftlab repl prints: ${family} (${file})`, async () => {
    const text = fs.readFileSync(path.join(CASES, file), "utf8");
    const m = text.split("\n")[0].match(/nodes=(\d+)\s+seed=(\d+)/);
    assert.ok(m, `${file}: first line names nodes and seed`);
    const { page, errors } = await open(browser, url);
    await page.evaluate(() => window.raftlab.pause());
    await page.evaluate(([nodes, seed]) => window.raftlab.reset({ nodes, seed, load: 0 }), [Number(m[1]), Number(m[2])]);
    const s = await page.evaluate(() => window.raftlab.state());
    assert.equal(s.time_ms, 0, "a fresh cluster at time 0");
    // As `raftlab repl` does before its first line: run event by event until a leader is elected.
    await page.evaluate(() => {
      for (let i = 0; i < 100000 && window.raftlab.state().leader === null; i++) window.raftlab.step(1);
    });
    const got = await replay(page, text);
    assert.equal(got, text);
    assert.deepEqual(errors, []);
    await page.close();
  });
}
