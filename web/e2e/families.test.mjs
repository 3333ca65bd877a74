// The page's console prints what `raftlab repl` prints (issue 16), one test per family of
// commands: each transcript of crates/etcd/tests/cases/repl (which `cargo test -p etcd --test
// repl_cases` checks against `raftlab repl`, and whose lines the etcd differential test checks
// against real etcd 3.5.1) is replayed in the page, line by line, on a fresh paused cluster
// with the same nodes and seed. Each line goes through `window.raftlab.execUntilDone`, which
// runs virtual time until the line completes or settles, as the repl does, and answers with
// what every command printed meanwhile (a watch's events after the put that caused them, as in
// the repl). The transcript the page gives must equal the file, byte for byte; and each line's
// own output must be what its console entry shows.
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
  ["compaction", "compaction.txt"],
  ["watch", "watch.txt"],
  ["watch progress", "watch_progress.txt"],
  ["lease", "lease.txt"],
  ["lease across a leader change", "lease_leader_change.txt"],
  ["lock", "locks.txt"],
  ["lock across a partition", "lock_partition.txt"],
  ["elect", "elect.txt"],
  ["endpoint and member", "cluster.txt"],
  ["member add, promote, remove", "membership.txt"],
  ["member changes and move-leader, -w json", "membership_json.txt"],
  ["member remove of the leader", "remove_leader.txt"],
  ["member remove of the leader of two", "remove_leader_of_two.txt"],
  ["errors and usage", "errors.txt"],
  ["JSON gateway", "gateway.txt"],
  ["JSON gateway: lock, election, members", "gateway_recipes.txt"],
  ["JSON gateway (more)", "gateway_more.txt"],
  ["lines as the docs write them (etcdctl, curl)", "docs_lines.txt"],
];

test("every repl case file is a family here", () => {
  const files = fs.readdirSync(CASES).filter((f) => f.endsWith(".txt")).sort();
  assert.deepEqual(FAMILIES.map((f) => f[1]).sort(), files);
});

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
    const r = await page.evaluate((l) => window.raftlab.execUntilDone(l), cmd);
    assert.ok(["done", "failed", "settled"].includes(r.status), `${cmd}: ${JSON.stringify(r)}`);
    out += r.printed;
    if (r.id !== null && !/^\s*cancel\b/.test(cmd)) {
      // The console entry of the line shows the line's own output (trailing blank lines aside).
      const shown = await page.evaluate((l) => {
        const entries = [...document.querySelectorAll(".console-out .entry")].filter(
          (e) => e.querySelector(".cmd")?.textContent === l,
        );
        return entries.at(-1)?.querySelector("pre")?.textContent ?? "";
      }, cmd.trim());
      assert.equal(shown, r.text.trimEnd(), `the console entry of ${cmd}`);
    }
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
    await page.evaluate(() => window.raftlab.pause());
    const s = await page.evaluate(() => window.raftlab.state());
    assert.equal(s.time_ms, 0, "a fresh cluster at time 0");
    // As `raftlab repl` does before its first line: run event by event until a leader is elected.
    await page.evaluate(() => {
      for (let i = 0; i < 100000 && window.raftlab.state().leader === null; i++) window.raftlab.step(1);
    });
    const got = await replay(page, text);
    assert.equal(got, text);
    assert.equal((await page.evaluate(() => window.raftlab.state())).playing, false, "the page stayed paused");
    assert.deepEqual(errors, []);
    await page.close();
  });
}
