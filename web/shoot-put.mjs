// Screenshots of the cluster picture during a put, a few virtual milliseconds apart, at a phone
// and a desktop size (web/screenshots/put-WxH-5n-tN.png): for looking at how the leader's
// append labels sit beside its own node's labels.
// Run: RAFTLAB_DIST=dist node web/shoot-put.mjs [out-dir]
import { serve, launch, open, shots } from "./e2e/harness.mjs";

const out = process.argv[2] || shots;
const { server, url } = await serve();
const browser = await launch();
try {
  for (const [width, height] of [
    [390, 844],
    [1440, 900],
  ]) {
    const { page } = await open(browser, `${url}?nodes=5&seed=4`, { width, height });
    await page.waitForFunction(() => window.raftlab?.state().leader != null, null, { timeout: 60000 });
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      for (let i = 0; i < 60000; i++) {
        const s = r.state();
        if (s.leader !== null && s.nodes.every((n) => n.commit === s.nodes[0].commit)) break;
        r.runFor(1);
      }
      r.runFor(500);
      r.exec(`put --endpoints=node${r.state().leader} foo bar`);
      for (let i = 0; i < 20000; i++) {
        if (r.view().in_flight.some((m) => m.summary.kind === "Append" && m.summary.entries > 0)) break;
        r.runFor(1);
      }
    });
    for (const t of [0, 1, 2, 3, 5]) {
      if (t > 0) await page.evaluate((ms) => window.raftlab.runFor(ms), t === 5 ? 2 : 1);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.locator(".cluster-box").screenshot({ path: `${out}/put-${width}x${height}-5n-t${t}.png` });
    }
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
