// End-to-end tests of the built playground in Debian's headless chromium.
// Run: trunk build --release --offline && cd web && node --test e2e/
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

/** A fresh page on a 5-node cluster with `seed`, playing at `speed`. */
async function fresh(seed = 7, nodes = 5) {
  const p = await open(browser, `${url}?nodes=${nodes}&seed=${seed}`);
  return p;
}

const leaderOf = (s) => s.nodes.find((n) => n.id === s.leader);

const exec = (page, line) => page.evaluate((l) => window.raftlab.exec(l), line);

test("a leader appears on screen, with accessible controls", async () => {
  const { page, foreign, errors } = await fresh(1);
  const s = await waitState(page, (s) => s.leader !== null);
  assert.equal(s.nodes.length, 5);
  assert.equal(leaderOf(s).role, "leader");
  // The leader is labelled as such on its node and in the toolbar.
  await page.getByRole("button", { name: new RegExp(`^Node ${s.leader}: leader`) }).waitFor();
  await page.getByLabel("Leader").filter({ hasText: `node ${s.leader}` }).waitFor();
  for (const n of s.nodes) {
    await page.getByRole("button", { name: new RegExp(`^Node ${n.id}:`) }).waitFor();
  }
  await page.getByRole("textbox", { name: "Command" }).waitFor();
  await page.getByRole("button", { name: "Pause" }).waitFor();
  await page.getByRole("button", { name: "Step one event" }).waitFor();
  await page.getByLabel("Speed").waitFor();
  await page.screenshot({ path: shotPath("01-leader"), fullPage: true });
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("play/pause, step and speed drive virtual time", async () => {
  const { page } = await fresh(2);
  await waitState(page, (s) => s.time_ms > 100);
  await page.getByRole("button", { name: "Pause" }).click();
  const a = await page.evaluate(() => window.raftlab.state().time_ms);
  await page.waitForTimeout(300);
  const b = await page.evaluate(() => window.raftlab.state().time_ms);
  assert.equal(a, b, "paused time stands still");
  await page.getByRole("button", { name: "Step one event" }).click();
  const c = await page.evaluate(() => window.raftlab.state());
  assert.ok(c.events > 0);
  // The space bar plays again (focus outside any input).
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("Space");
  await page.getByRole("button", { name: "Pause" }).waitFor();
  await page.getByLabel("Speed").selectOption("10");
  const t0 = await page.evaluate(() => window.raftlab.state().time_ms);
  await page.waitForTimeout(500);
  const t1 = await page.evaluate(() => window.raftlab.state().time_ms);
  assert.ok(t1 - t0 > 1500, `10x advanced only ${t1 - t0} ms in 500 ms`);
  // A speed that is not a preset, set through the JS API, shows as itself (not a blank select).
  await page.evaluate(() => window.raftlab.play(20));
  const shown = () => page.getByLabel("Speed").evaluate((s) => s.selectedOptions[0]?.textContent.trim());
  assert.equal(await shown(), "20×");
  await page.getByLabel("Speed").selectOption("2");
  assert.equal(await shown(), "2×");
  await page.close();
});

test("a write replicates to every node's log and commits", async () => {
  const { page } = await fresh(3);
  const s0 = await waitState(page, (s) => s.leader !== null);
  const before = leaderOf(s0).last_index;
  // Typed in the console, as a person would.
  const input = page.getByRole("textbox", { name: "Command" });
  await input.fill("put foo bar");
  await input.press("Enter");
  await page.locator(".console-out pre.out", { hasText: /^OK$/ }).waitFor();
  await input.fill("get foo");
  await input.press("Enter");
  await page.locator(".console-out pre.out", { hasText: /^foo\s+bar$/ }).waitFor();
  // And through the JS API, which resolves with the output once the command completes.
  assert.equal((await exec(page, "put foo baz")).trim(), "OK");
  assert.deepEqual((await exec(page, "get foo")).trim().split("\n"), ["foo", "baz"]);
  const s = await waitState(page, (s) => {
    const l = s.nodes.find((n) => n.id === s.leader);
    return s.nodes.every((n) => n.commit === l.last_index && n.applied === l.last_index);
  });
  const last = leaderOf(s).last_index;
  assert.ok(last > before);
  await page.getByRole("button", { name: "Pause" }).click();
  // The log view shows the entry committed on every row.
  for (const n of s.nodes) {
    const cell = page.getByRole("row", { name: `Log of node ${n.id}` }).locator(".cell", { hasText: new RegExp(`^${last}$`) });
    await cell.waitFor();
    assert.match(await cell.getAttribute("class"), /committed/);
    assert.doesNotMatch(await cell.getAttribute("class"), /uncommitted/);
  }
  await page.screenshot({ path: shotPath("02-replicated"), fullPage: true });
  await page.close();
});

test("crashing the leader elects a new one with a higher term, shown on the timeline", async () => {
  const { page } = await fresh(4);
  const s0 = await waitState(page, (s) => s.leader !== null);
  const old = leaderOf(s0);
  // Through the node's own menu: select it, then its crash button.
  await page.getByRole("button", { name: new RegExp(`^Node ${old.id}:`) }).click();
  await page.getByRole("button", { name: `Crash node ${old.id}` }).click();
  const s = await waitState(page, `s.leader !== null && s.leader !== ${old.id}`);
  assert.equal(s.nodes.find((n) => n.id === old.id).status, "crashed");
  const nl = leaderOf(s);
  assert.notEqual(nl.id, old.id);
  assert.ok(nl.term > old.term);
  const band = page.locator(".band", { hasText: `T${nl.term} · n${nl.id}` });
  await band.waitFor();
  await page.locator(".mark.fault").first().waitFor();
  await page.getByRole("button", { name: "Pause" }).click();
  await page.screenshot({ path: shotPath("03-leader-crashed"), fullPage: true });
  // Restart it from the same menu: it comes back as a follower.
  await page.getByRole("button", { name: `Restart node ${old.id}` }).click();
  await page.getByRole("button", { name: "Play" }).click();
  await waitState(page, (s) => s.nodes.every((n) => n.status === "up") && s.leader !== null);
  await page.close();
});

test("a leader partitioned into a minority cannot commit; the majority can; healing converges", async () => {
  const { page } = await fresh(5);
  const s0 = await waitState(page, (s) => s.leader !== null && s.time_ms > 1500);
  const old = s0.leader;
  const others = s0.nodes.map((n) => n.id).filter((id) => id !== old);
  const minority = [old, others[0]];
  const majority = others.slice(1);
  await page.evaluate((line) => window.raftlab.exec(line), `partition ${minority.join(",")} ${majority.join(",")}`);
  await page.evaluate(() => window.raftlab.play(10));
  const oldWrite = exec(page, `put --endpoints=node${old} stale 1`);
  const newLeader = await waitState(page, `${JSON.stringify(majority)}.includes(s.leader)`);
  const out = await oldWrite;
  assert.match(out, /timed out|leader|fail|Error/i, `minority write said: ${out}`);
  const mw = await exec(page, `put --endpoints=node${newLeader.leader} fresh 2`);
  assert.equal(mw.trim(), "OK");
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("04-partitioned"), fullPage: true });
  await page.evaluate(() => window.raftlab.exec("heal"));
  await page.evaluate(() => window.raftlab.play(10));
  const healed = await waitState(
    page,
    `(() => { const o = s.nodes.find((n) => n.id === ${old}); const l = s.nodes.find((n) => n.id === s.leader);
       return l && o.role === "follower" && s.nodes.every((n) => n.last_index === l.last_index && n.commit === l.commit); })()`,
  );
  assert.equal(healed.nodes.find((n) => n.id === old).role, "follower");
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("05-healed"), fullPage: true });
  await page.close();
});

test("links are cut and restored by clicking them", async () => {
  const { page } = await fresh(6);
  await waitState(page, (s) => s.leader !== null);
  await page.evaluate(() => window.raftlab.pause());
  await page.getByRole("button", { name: "Link 1 to 2" }).click({ force: true });
  await page.getByRole("button", { name: "Cut", exact: true }).click();
  let links = await page.evaluate(() => window.raftlab.view().links);
  assert.deepEqual(links.map((l) => [l.from, l.to, l.mode]), [[1, 2, "Cut"]]);
  await page.getByRole("button", { name: "Restore" }).click();
  links = await page.evaluate(() => window.raftlab.view().links);
  assert.deepEqual(links, []);
  await page.close();
});

test("nodes dragged into groups partition the cluster through the console line", async () => {
  const { page, errors } = await fresh(8);
  const s0 = await waitState(page, (s) => s.leader !== null && s.time_ms > 1500);
  await page.evaluate(() => window.raftlab.pause());
  const ids = s0.nodes.map((n) => n.id);
  const old = s0.leader;
  const [buddy, ...majority] = ids.filter((id) => id !== old);
  const minority = [old, buddy].sort((a, b) => a - b);
  const node = (id) => page.locator(`[data-part-target="node:${id}"] .body`);
  const centre = async (loc) => {
    const b = await loc.boundingBox();
    return [b.x + b.width / 2, b.y + b.height / 2];
  };
  // A mouse drag, as a person does it: press, move in steps, release.
  const drag = async (from, to) => {
    await page.mouse.move(...(await centre(from)));
    await page.mouse.down();
    await page.mouse.move(...(await centre(to)), { steps: 12 });
    await page.mouse.up();
  };
  await page.getByRole("button", { name: "Draw a partition" }).click();
  const panel = page.getByRole("region", { name: "Partition groups" });
  const zone = (members) => panel.getByRole("button", { name: new RegExp(`^Group [A-Z]: nodes ${members.join(", ")}$`) });
  await zone(ids).waitFor();
  // The leader into a group of its own (the "new group" zone), then another node onto the leader.
  await drag(node(old), panel.getByRole("button", { name: /^New group/ }));
  await drag(node(buddy), node(old));
  await zone(minority).waitFor();
  await zone(majority).waitFor();
  await page.getByRole("button", { name: new RegExp(`^Node ${buddy}: .*, group [A-Z]$`) }).waitFor();
  const line = `partition ${majority.join(",")} ${minority.join(",")}`;
  assert.equal(await panel.getByLabel("Line to run").textContent(), line);
  await page.screenshot({ path: shotPath("08-partition-drawn"), fullPage: true });
  await panel.getByRole("button", { name: "Apply partition" }).click();
  // Run and recorded like any other action: echoed in the console, in the exported session.
  await page.getByRole("log", { name: "Console output" }).locator(".cmd", { hasText: line }).waitFor();
  const exported = await page.evaluate(() => window.raftlab.exportScenario());
  assert.ok(exported.split("\n").some((l) => l.endsWith(` ${line}`)), exported);
  const links = await page.evaluate(() => window.raftlab.view().links);
  for (const m of majority) {
    assert.ok(links.some((l) => l.from === old && l.to === m && l.mode === "Cut"), JSON.stringify(links));
  }
  // The majority elects a new leader in a higher term; the old one stays in the minority.
  await page.evaluate(() => window.raftlab.play(10));
  const s1 = await waitState(page, `${JSON.stringify(majority)}.includes(s.leader)`);
  assert.ok(s1.nodes.find((n) => n.id === s1.leader).term > leaderOf(s0).term);
  await page.evaluate(() => window.raftlab.pause());
  // Drawing again starts from the partition as it stands. By keyboard: Enter picks a node up,
  // Enter on a group puts it there; Cancel runs nothing.
  await page.getByRole("button", { name: "Draw a partition" }).click();
  await zone(minority).waitFor();
  await page.getByRole("button", { name: new RegExp(`^Node ${buddy}:`) }).press("Enter");
  await panel.getByRole("button", { name: new RegExp(`^Move node ${buddy} to group`) }).first().waitFor();
  await zone(majority).waitFor({ state: "detached" });
  await panel.getByRole("button", { name: `New group for node ${buddy}` }).press("Enter");
  await zone([buddy]).waitFor();
  await zone([old]).waitFor();
  const entries = await page.locator(".console-out .cmd").count();
  await panel.getByRole("button", { name: "Cancel drawing" }).click();
  await page.getByRole("button", { name: "Draw a partition" }).waitFor();
  assert.equal(await page.locator(".console-out .cmd").count(), entries);
  assert.deepEqual(errors, []);
  await page.close();
});

test("user text is shown as text and runs nothing", async () => {
  const { page, errors } = await fresh(8);
  await waitState(page, (s) => s.leader !== null);
  const evil = "<img src=x onerror=alert(1)>";
  await exec(page, `put k '${evil}'`);
  assert.equal((await exec(page, "get k")).trim(), `k\n${evil}`);
  await exec(page, evil);
  await page.waitForTimeout(300);
  const text = await page.locator(".console-out").textContent();
  assert.ok(text.includes(evil), "the markup is shown literally");
  assert.equal(await page.locator(".console-out img").count(), 0);
  assert.equal(await page.locator("img").count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a watch streams events; a lease without keep-alive expires and its key goes", async () => {
  const { page } = await fresh(9);
  await waitState(page, (s) => s.leader !== null);
  const w = await exec(page, "watch foo");
  assert.equal(w, "", "a watch resolves once created, with its output so far");
  await page.evaluate(() => window.raftlab.exec("put foo 1"));
  await page.locator("[aria-label=Watches] pre.events", { hasText: /PUT\s+foo\s+1/ }).waitFor();
  const lease = await page.evaluate(() => window.raftlab.exec("lease grant 3"));
  const id = lease.match(/lease ([0-9a-f]+) granted/)[1];
  await page.evaluate((id) => window.raftlab.exec(`put --lease=${id} tmp v`), id);
  await page.locator("[aria-label=Leases]").getByText(id).waitFor();
  assert.equal((await exec(page, "get tmp")).trim(), "tmp\nv");
  await page.evaluate(() => window.raftlab.pause());
  await page.screenshot({ path: shotPath("06-watch-lease"), fullPage: true });
  await page.evaluate(() => window.raftlab.play(10));
  await exec(page, "sleep 6s");
  assert.equal((await exec(page, "get tmp")).trim(), "");
  await page.locator("[aria-label=Leases]").getByText(id).waitFor({ state: "detached" });
  await page.close();
});

test("the wasm build reproduces the native trace hashes", async () => {
  const { page } = await fresh(10);
  const golden = fs
    .readFileSync(path.join(root, "tests", "golden", "web_trace_hashes.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"));
  assert.ok(golden.length >= 3);
  for (const line of golden) {
    const [seed, nodes, faults, hash] = line.trim().split(/\s+/);
    const r = await page.evaluate(
      ([s, n, f]) => window.raftlab.headless(s, n, f, 20000),
      [Number(seed), Number(nodes), faults === "true"],
    );
    assert.equal(r.trace_hash, hash, `seed ${seed}, ${nodes} nodes, faults ${faults}`);
  }
  await page.close();
});

test("reset builds the cluster asked for; bad options are refused in words", async () => {
  const { page } = await fresh(11);
  await page.evaluate(() => window.raftlab.reset({ nodes: 9, seed: 42 }));
  const s = await waitState(page, (s) => s.leader !== null);
  assert.equal(s.nodes.length, 9);
  assert.equal(s.seed, 42);
  const err = await page.evaluate(() => window.raftlab.reset({ nodes: 0, seed: 1 }));
  assert.match(err, /node count 0/);
  await page.screenshot({ path: shotPath("07-nine-nodes"), fullPage: true });
  await page.close();
});
