// Paced lessons (issue 12), for every built-in lesson and classic: a learner path that does every
// step by clicking and typing, and a path that presses Next while "Show me" is still running.
//
// What a learner must see: a step opens paused, with nothing it asks for already ticked; the
// expectations tick through what the learner does; the clock stops by itself when a step's
// moment comes; Next during "Show me" runs its remaining lines first (so later steps still work)
// and leaves no spinner behind; the last step offers the next lesson; progress is kept.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open } from "./harness.mjs";

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
const state = (page) => page.evaluate(() => window.raftlab.state());
// A step is achieved once every expectation was met together (it is then marked done, even if the
// learner plays on and the cluster moves past that moment).
const allMet = (l, i) => l.steps[i].done || l.steps[i].expects.every(([, met]) => met);

/** The built-ins in teaching order, as the Lessons menu lists them. */
async function builtins() {
  const { page } = await open(browser, `${url}?nodes=3&seed=1`);
  const list = await page.evaluate(() => window.raftlab.builtins());
  await page.close();
  return list;
}

/** Opens `name` from the Lessons menu, as a learner does. */
async function openFromMenu(page, title) {
  await page.getByRole("button", { name: "Lessons ▾" }).click();
  await page.getByRole("menuitem", { name: new RegExp(title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).click();
  const panel = page.getByRole("region", { name: "Lesson" });
  await panel.waitFor();
  return panel;
}

/** Presses Play (the toolbar button) if the clock is paused. */
async function play(page) {
  if (!(await state(page)).playing) {
    await page.getByRole("button", { name: "Play" }).click();
  }
}

/**
 * Types `line` into the console, presses Play while it runs, and pauses again in the frame it
 * finishes: the learner reads the output before typing the next line, so the virtual time
 * between two lines does not depend on how fast this machine types (a slow machine at 20x
 * once let lesson 8's 4 s lease expire between `lease grant` and `put --lease`).
 */
async function typeLine(page, line) {
  const box = page.getByRole("textbox", { name: "Command" });
  await box.fill(line);
  await box.press("Enter");
  const deadline = Date.now() + 60000;
  for (;;) {
    // Checked in the page, once per animation frame, after the frame's own work: the clock is
    // paused in the frame the line ends (or after 2 s of wall time, to press Play again).
    const busy = await page.evaluate(
      (typed) =>
        new Promise((resolve) => {
          const start = performance.now();
          const check = () => {
            const entries = [...document.querySelectorAll(".console-out .entry")];
            const last = entries[entries.length - 1];
            const cmd = last?.querySelector(".cmd")?.textContent || "";
            // Wait for the line's own entry (briefly: a line may print as something else).
            if (cmd !== typed && performance.now() - start < 300) {
              requestAnimationFrame(check);
              return;
            }
            const running = !!last?.querySelector(".running-row") && !/^(watch|lease keep-alive|lock|elect)\b/.test(cmd);
            if (!running) {
              window.raftlab.pause();
              resolve(false);
            } else if (performance.now() - start > 2000 || !window.raftlab.state().playing) {
              resolve(true);
            } else {
              requestAnimationFrame(check);
            }
          };
          check();
        }),
      line.trim(),
    );
    if (!busy) return;
    assert.ok(Date.now() < deadline, `"${line}" did not finish`);
    await play(page);
  }
}

/** Waits until every expectation of step `i` is met, pressing Play when the clock stopped. */
async function untilMet(page, i, what) {
  const deadline = Date.now() + 60000;
  for (;;) {
    const l = await lesson(page);
    if (allMet(l, i)) return;
    assert.ok(Date.now() < deadline, `${what}: step ${i + 1} never met ${JSON.stringify(l.steps[i].expects)}`);
    await play(page);
    await page.waitForTimeout(100);
  }
}

test("every lesson, done step by step as a learner does it (typing, clicking Play)", async () => {
  for (const b of await builtins()) {
    const { page, errors } = await open(browser, `${url}?nodes=3&seed=1`);
    await page.evaluate(() => localStorage.clear());
    const panel = await openFromMenu(page, b.title);
    await page.evaluate(() => window.raftlab.pause());
    let l = await lesson(page);
    assert.equal(l.name, b.name);
    for (let i = 0; i < l.steps.length; i++) {
      const what = `${b.name} step ${i + 1}`;
      l = await lesson(page);
      assert.equal(l.current, i, what);
      // The step opens paused, with every narration there and nothing ticked yet.
      assert.equal((await state(page)).playing, false, `${what} opens paused`);
      assert.ok(l.steps[i].narration.length > 0, `${what} has narration`);
      assert.ok(l.steps[i].expects.every(([, met]) => !met), `${what} opens with nothing ticked: ${JSON.stringify(l.steps[i].expects)}`);
      // Speed up the wall clock only (the same virtual times), then act as the narration says.
      await page.evaluate(() => window.raftlab.play(20));
      await page.evaluate(() => window.raftlab.pause());
      for (const line of l.steps[i].lines) await typeLine(page, line);
      await untilMet(page, i, what);
      if (i + 1 < l.steps.length) {
        await panel.getByRole("button", { name: "Next →" }).click();
        await panel.getByText(`Step ${i + 2} of ${l.steps.length}`).waitFor();
      }
    }
    // Every step with expectations is marked done, and kept in the browser.
    l = await lesson(page);
    l.steps.forEach((s, i) => assert.ok(s.done || s.expects.length === 0, `${b.name} step ${i + 1} done`));
    const kept = await page.evaluate(() => localStorage.getItem("raftlab.lessons") || "");
    assert.ok(kept.includes(b.name), `${b.name}: progress kept (${kept})`);
    // The last step leads on to the next built-in, if there is one.
    if (l.next) await panel.getByRole("button", { name: new RegExp(`^Next lesson: ${l.next[1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`) }).waitFor();
    assert.deepEqual(errors, [], b.name);
    await page.close();
  }
});

test("every lesson with Next pressed while Show me runs: the step's lines finish first", async () => {
  for (const b of await builtins()) {
    const { page, errors } = await open(browser, `${url}?nodes=3&seed=1`);
    const panel = await openFromMenu(page, b.title);
    let l = await lesson(page);
    for (let i = 0; i + 1 < l.steps.length; i++) {
      const what = `${b.name} step ${i + 1}`;
      if (l.steps[i].lines.length > 0) {
        await panel.getByRole("button", { name: "Show me" }).click();
      }
      await panel.getByRole("button", { name: "Next →" }).click();
      await panel.getByText(`Step ${i + 2} of ${l.steps.length}`).waitFor();
      // No "Show me" line of the step left half-run, and no spinner for a line that ended.
      const spinners = await page.evaluate(() =>
        [...document.querySelectorAll(".console-out .entry")]
          .filter((e) => e.querySelector(".running-row"))
          .map((e) => e.querySelector(".cmd")?.textContent || "")
          .filter((c) => !/^(watch|lease keep-alive|lock|elect)\b/.test(c)),
      );
      assert.deepEqual(spinners, [], `${what}: spinners left`);
      const shown = await page.evaluate(() =>
        [...document.querySelectorAll(".console-out .entry .cmd")].map((e) => e.textContent),
      );
      for (const line of l.steps[i].lines) {
        assert.ok(shown.includes(line.trim()), `${what}: "${line}" ran before the next step (console: ${shown.slice(-8).join(" | ")})`);
      }
      l = await lesson(page);
    }
    // The last step still works after all that: Show me brings its expectations about.
    const last = l.steps.length - 1;
    if (l.steps[last].lines.length > 0) {
      await panel.getByRole("button", { name: "Show me" }).click();
      await page.evaluate(() => window.raftlab.play(20));
      await untilMet(page, last, `${b.name} (Next early)`);
    }
    assert.deepEqual(errors, [], b.name);
    await page.close();
  }
});
