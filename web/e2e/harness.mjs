// Shared set-up for the browser tests and the benchmark: a tiny static server over dist/ on
// localhost and Debian's chromium through playwright-core (never a downloaded browser).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "..", "..");
export const dist = process.env.RAFTLAB_DIST || path.join(root, "dist");
export const shots = path.join(root, "web", "screenshots");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

/** Serves `dir` (dist/ by default) on 127.0.0.1 at a free port. */
export function serve(dir = dist) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url, "http://localhost");
      let file = path.join(dir, decodeURIComponent(url.pathname));
      if (!file.startsWith(dir)) {
        res.writeHead(403).end();
        return;
      }
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
      fs.readFile(file, (err, body) => {
        if (err) {
          res.writeHead(404).end("not found");
          return;
        }
        res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
        res.end(body);
      });
    });
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    });
  });
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

/** Launches Debian's chromium. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
}

/** A page on the playground, with every request outside localhost recorded in `foreign`. */
export async function open(browser, url, { width = 1440, height = 1000 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  const foreign = [];
  const errors = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!["127.0.0.1", "localhost"].includes(u.hostname) && !["data:", "blob:"].includes(u.protocol)) {
      foreign.push(r.url());
    }
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  await page.goto(url);
  await page.waitForFunction(() => window.raftlab && window.raftlab.state());
  return { page, foreign, errors };
}

/** Waits until `pred(state)` holds, polling the JS API. `pred` is a function of `s` or a
 * string expression in `s` (so that test values can be spliced in). */
export async function waitState(page, pred, timeout = 20000) {
  const src = typeof pred === "string" ? `(s) => (${pred})` : pred.toString();
  await page.waitForFunction(
    (src) => {
      const f = new Function("s", `return (${src})(s)`);
      return f(window.raftlab.state());
    },
    src,
    { timeout, polling: 50 },
  );
  return page.evaluate(() => window.raftlab.state());
}

export function shotPath(name) {
  fs.mkdirSync(shots, { recursive: true });
  return path.join(shots, `${name}.png`);
}
