// The browser the checks drive: Debian's Chromium over the DevTools protocol.

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { checks } from "./checks.mjs";

const require = createRequire(import.meta.url);
export const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
// CloudWatch's dashboard is 24 units wide; at a 1,280-pixel console a unit is ~53 px, so a
// 6-unit widget is ~320 px and a 24-unit one ~1,280 (an assumption: the console states no
// pixel width). The page must fit each width without scrolling sideways.
export const WIDTHS = [320, 1280];

const failures = path.resolve("target/browser/failures");

// Flags as the environment's probe found Chromium needs them here: no sandbox as root, and no
// background networking (this machine's closed network refuses it).
export async function launch() {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/// Opens `entry` at `width`, recording console errors and every request the page makes.
export async function open(browser, pagesDir, entry, width, scheme = "light") {
  const page = await browser.newPage();
  const problems = [];
  const requests = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("request", (r) => requests.push(r.url()));
  await page.setViewport({ width, height: 900 });
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
  const url = "file://" + path.resolve(pagesDir, entry.html);
  const started = performance.now();
  await page.goto(url, { waitUntil: "load" });
  const loaded = performance.now() - started;
  // The page fetches nothing: the one request is the page itself.
  for (const r of requests.filter((r) => r !== url)) problems.push(`fetched ${r}`);
  return { page, problems, loaded };
}

export async function shot(page, name) {
  mkdirSync(failures, { recursive: true });
  const file = path.join(failures, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}


/// Opens `entry` at `width` in `scheme` and runs every check: the page (still open) and what
/// failed.
export async function inspect(browser, pagesDir, entry, report, width, scheme) {
  const { page, problems } = await open(browser, pagesDir, entry, width, scheme);
  await page.addScriptTag({ content: AXE });
  return { page, found: [...problems, ...(await checks(page, report, width, scheme, entry))] };
}
