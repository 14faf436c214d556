// The map page and the dashboard widget's answer in a real browser: Debian's Chromium,
// headless, driven over the DevTools protocol by puppeteer-core (no browser download; the
// same Node that runs the CDK example's tests). `tests/map_pages.rs` writes the pages
// and, beside each, the report's figures; this opens each page and checks what a person
// sees. A failing check keeps a screenshot under target/browser/failures/ and names it.
//
// Usage: node tests/browser/check.mjs PAGES_DIR                 every check, exit 1 on a failure
//        node tests/browser/check.mjs PAGES_DIR --measure       bytes, DOM elements, load time
//        node tests/browser/check.mjs PAGES_DIR --screenshot DIR  the README's pictures

import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { WIDTHS, inspect, launch, open, shot } from "./bed.mjs";

const [pagesDir, mode, outDir] = process.argv.slice(2);
if (!pagesDir) {
  console.error("usage: node tests/browser/check.mjs PAGES_DIR [--measure | --screenshot DIR]");
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(path.join(pagesDir, "manifest.json"), "utf8"));
const browser = await launch();

async function checkEntry(entry) {
  const report = JSON.parse(readFileSync(path.join(pagesDir, entry.report), "utf8"));
  const failed = [];
  const schemes = entry.theme === "auto" ? ["light", "dark"] : [entry.theme];
  for (const width of WIDTHS) {
    for (const scheme of schemes) {
      const { page, found } = await inspect(browser, pagesDir, entry, report, width, scheme);
      if (found.length) {
        const file = await shot(page, `${entry.name}-${width}-${scheme}`);
        failed.push(`${entry.name} at ${width} px, ${scheme}: ${found.length} failed (see ${file}):\n  ` +
          found.slice(0, 12).join("\n  "));
      }
      await page.close();
    }
  }
  return failed;
}

async function measure(entry) {
  const bytes = readFileSync(path.join(pagesDir, entry.html)).length;
  const { page, loaded } = await open(browser, pagesDir, entry, 1280);
  const elements = await page.evaluate(() => document.getElementsByTagName("*").length);
  // Navigation timing: when the DOM was complete, parsed and laid out, from the start.
  const complete = await page.evaluate(() => performance.getEntriesByType("navigation")[0].domComplete);
  await page.close();
  return { name: entry.name, bytes, elements, load_ms: Math.round(loaded), dom_complete_ms: Math.round(complete) };
}

let status = 0;
if (mode === "--measure") {
  for (const entry of manifest) console.log(JSON.stringify(await measure(entry)));
} else if (mode === "--screenshot") {
  mkdirSync(outDir, { recursive: true });
  for (const entry of manifest.filter((e) => e.picture)) {
    const scheme = entry.theme === "dark" ? "dark" : "light";
    const { page } = await open(browser, pagesDir, entry, entry.picture.width, scheme);
    await page.setViewport({ width: entry.picture.width, height: entry.picture.height });
    const file = path.join(outDir, entry.picture.file);
    await page.screenshot({ path: file });
    console.log(`wrote ${file}`);
    await page.close();
  }
} else {
  let pages = 0;
  const failed = [];
  for (const entry of manifest) {
    failed.push(...(await checkEntry(entry)));
    pages += 1;
  }
  for (const f of failed) console.error(f);
  console.log(`browser: ${pages} pages at ${WIDTHS.join(" and ")} px, ${failed.length} failing`);
  status = failed.length ? 1 : 0;
}
await browser.close();
process.exit(status);

