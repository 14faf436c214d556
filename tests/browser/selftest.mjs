// The checks can fail: each sabotage of a good page (a wrong figure in a title, a legend
// colour, a marker off its subnet, a page too wide, faint text, the wrong theme, a fetch, an
// image without a text alternative, a subnet in the wrong colour) must be caught by the check
// that names it. Run by `make browser` after the checks pass on the real pages.
//
// Usage: node tests/browser/selftest.mjs PAGES_DIR

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inspect, launch } from "./bed.mjs";

const pagesDir = process.argv[2];
const base = "demo-widget-light";
const good = readFileSync(path.join(pagesDir, `${base}.html`), "utf8");
const report = JSON.parse(readFileSync(path.join(pagesDir, "demo.json"), "utf8"));
const sabotage = path.resolve("target/browser/sabotage");
mkdirSync(sabotage, { recursive: true });

// [what is broken, how, the words of the check that must catch it, the theme the entry claims]
const cases = [
  ["a title's figure", (p) => p.replace("(92.0 %)", "(91.0 %)"), "the title says", "light"],
  ["a legend colour", (p) => p.replace("background:#43a047", "background:#000000"), "legend band", "light"],
  ["a marker", (p) => p.replace(/(item 2 of the list above<\/title><circle cx=")[\d.]+(" cy=")[\d.]+/, "$1900$2900"), "marker is off", "light"],
  ["the width", (p) => p.replace("</body>", '<div style="width:2000px">x</div></body>'), "overflow", "light"],
  ["contrast", (p) => p.replace("</body>", '<p style="color:#bbb">faint</p></body>'), "under AA contrast", "light"],
  ["the theme", (p) => p, "theme: dark wanted", "dark"],
  ["a fetch", (p) => p.replace("</body>", '<img alt="x" src="http://127.0.0.1:9/x.png"></body>'), "fetched", "light"],
  ["accessibility", (p) => p.replace("</body>", '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="9" height="9"></body>'), "axe critical: image-alt", "light"],
  ["a subnet's colour", (p) => p.replace("fill:#b71c1c", "fill:#43a047"), "is drawn rgb", "light"],
];

const browser = await launch();
let missed = 0;
for (const [what, edit, words, theme] of cases) {
  const html = `${what.replace(/\W+/g, "-")}.html`;
  const broken = edit(good);
  if (broken === good && theme === "light") throw new Error(`the sabotage of ${what} changed nothing`);
  writeFileSync(path.join(sabotage, html), broken);
  const entry = { name: what, html, theme, max_elements: 30000 };
  const { page, found } = await inspect(browser, sabotage, entry, report, 1280, theme === "dark" ? "dark" : "light");
  await page.close();
  if (!found.some((f) => f.includes(words))) {
    missed += 1;
    console.error(`sabotaged ${what}, and no check said "${words}": ${found.join("; ") || "nothing failed"}`);
  }
}
await browser.close();
console.log(`self-test: ${cases.length - missed} of ${cases.length} sabotages caught`);
process.exit(missed ? 1 : 0);
