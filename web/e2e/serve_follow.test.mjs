// `raftlab serve --ui` (issue 17's live view): the release `raftlab` binary serves dist/ and
// the session's stream; the page opened at its address follows the served cluster in
// lockstep. A key put through a member's JSON gateway shows in the page, the page's trace hash
// equals the server's at the points the server reports, and a fault typed or clicked in the
// page reaches the server (it prints it) and comes back. When the server goes, the page says so.
//
// The binary: $RAFTLAB_BIN, else target/release/raftlab (scripts/test.sh builds it first).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { root, dist, launch, open, waitState } from "./harness.mjs";

const bin =
  process.env.RAFTLAB_BIN ||
  path.join(process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, "target"), "release", "raftlab");

let proc, browser, printed = "", live, members = {};
const record = path.join(os.tmpdir(), `raftlab-follow-${process.pid}.scenario`);

/** Waits until the server has printed something matching `re` (bounded). */
async function printedMatch(re, timeout = 20000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const m = printed.match(re);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`the server never printed ${re}; it printed:\n${printed}`);
}

before(async () => {
  assert.ok(
    fs.existsSync(bin),
    `no raftlab binary at ${bin}: cargo build --release -p cli (or set RAFTLAB_BIN)`,
  );
  proc = spawn(
    bin,
    ["serve", "--nodes", "3", "--seed", "7", "--port", "0", "--ui", dist, "--ui-port", "0", "--record", record],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  proc.stdout.on("data", (d) => (printed += d));
  proc.stderr.on("data", (d) => (printed += d));
  const m = await printedMatch(/live view: (http:\/\/\S+)/);
  live = m[1];
  for (const [, n, u] of printed.matchAll(/node(\d+)=(http:\/\/\S+)/g)) members[n] = u;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  fs.rmSync(record, { force: true });
});

/** Reads the server's stream: its points (events -> trace hash) as they come. */
function points(url) {
  const seen = new Map();
  const req = http.get(new URL("/raftlab/follow", url), (res) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (msg.startsWith("event: tick\n")) {
          const [, events, hash] = msg.split("\n")[1].slice("data: ".length).split(" ");
          // A line applied between two ticks at the same event count changes the hash
          // (a client request is traced when it is given): keep every hash seen at a count.
          const k = Number(events);
          if (!seen.has(k)) seen.set(k, new Set());
          seen.get(k).add(hash);
        }
      }
    });
    res.on("error", () => {});
  });
  req.on("error", () => {});
  return { seen, close: () => req.destroy() };
}

/** Types `line` into the console box and presses Enter. */
async function type(page, line) {
  const box = page.getByRole("textbox", { name: "Command" });
  await box.fill(line);
  await box.press("Enter");
}

/**
 * Waits until the page rests at a point the server reported with the same trace hash.
 * The page applies a line as soon as it hears it, so for a moment it can stand at a point the
 * server passed through but never reported (a line given right after a tick, at the same event
 * count); the server's next tick moves it on. A mismatch fails only if it lasts: a page that
 * really diverged never matches again.
 */
async function sameHashAsServer(page, seen) {
  const end = Date.now() + 20000;
  let last = "the page never rested at a point the server reported";
  while (Date.now() < end) {
    // Read in one go: the session's event count (the playground's steps, as the stream
    // counts them) and the trace hash at that moment.
    const s = await page.evaluate(() => ({ ...window.raftlab.state(), steps: window.raftlab.session().steps }));
    if (seen.has(s.steps)) {
      const hashes = [...seen.get(s.steps)];
      if (hashes.includes(s.trace_hash)) return s;
      last = `the page's trace hash at ${s.steps} events: ${s.trace_hash}, the server's: ${hashes.join(", ")}`;
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.fail(last);
}

test("the page follows raftlab serve in lockstep and sends its faults back", async () => {
  const stream = points(live);
  try {
    // The server's own address redirects to the follow mode.
    const { page, errors } = await open(browser, new URL("/", live).href);
    assert.match(page.url(), /\?follow=\/raftlab\/follow$/);
    const banner = page.locator("#follow-banner");
    await banner.filter({ hasText: "Following raftlab serve at 127.0.0.1:" }).waitFor();
    const s0 = await waitState(page, (s) => s.leader !== null);
    // Play is the server's.
    await page.evaluate(() => window.raftlab.play());
    assert.equal((await page.evaluate(() => window.raftlab.state())).playing, false);

    // A client's put through the leader's gateway appears in the page's console.
    const res = await fetch(`${members[s0.leader]}/v3/kv/put`, {
      method: "POST",
      body: JSON.stringify({ key: btoa("follow"), value: btoa("me") }),
    });
    assert.equal(res.status, 200, await res.text());
    const log = page.getByRole("log", { name: "Console output" });
    await log.filter({ hasText: "/v3/kv/put" }).waitFor();
    await sameHashAsServer(page, stream.seen);

    // A fault typed in the page reaches the server, and comes back through the stream.
    await type(page, "partition 1 2,3");
    await printedMatch(/> partition 1 2,3/);
    await log.filter({ hasText: "partition 1 2,3" }).waitFor();
    // A line the server refuses is one line of error in the page.
    await type(page, "partition nine");
    await log.filter({ hasText: "was not taken by raftlab serve" }).waitFor();
    // A fault clicked in the page: the inspector's Crash button.
    await type(page, "heal");
    await printedMatch(/> heal/);
    const s1 = await waitState(page, (s) => s.leader !== null);
    const other = s1.nodes.find((n) => n.id !== s1.leader).id;
    await page.getByRole("button", { name: new RegExp(`^Node ${other}:`) }).click();
    await page.getByRole("button", { name: `Crash node ${other}` }).click();
    await printedMatch(new RegExp(`> crash ${other}`));
    await waitState(page, `s.nodes.find((n) => n.id === ${other}).status === "crashed"`);
    const s2 = await sameHashAsServer(page, stream.seen);
    assert.ok(s2.steps > 0);
    assert.doesNotMatch(await banner.getAttribute("class"), /lost/);
    assert.deepEqual(errors, []);

    // The server goes: the page keeps the cluster and says so.
    proc.kill("SIGINT");
    await banner.filter({ hasText: "Lost raftlab serve" }).waitFor({ timeout: 15000 });
  } finally {
    stream.close();
  }
});
